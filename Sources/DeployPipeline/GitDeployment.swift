import DeployBuild
import DeployConfig
import DeployExec
import DeployLedger
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// What to deploy for a `git` app.
public struct GitDeployRequest: Sendable {
  public enum Resume: Sendable, Hashable {
    /// The latest run on each host, which must have failed, been stopped or lost its runner.
    case latest
    case run(String)
  }

  /// Where a rollback goes.
  public enum RollbackTarget: Sendable, Hashable {
    /// The build served before the current one (the rollback copy, or the link's last target).
    case previous
    /// A build still on the hosts, by the run that built it.
    case run(String)
    /// The newest build still on the hosts whose version is this.
    case version(String)
  }

  /// What this invocation does after taking the lock.
  public enum Mode: Sendable, Hashable {
    /// Check out, build (or resume), and activate when the app has `activate:`.
    case build
    /// Activate the finished build of an earlier (detached) run.
    case activate(runID: String)
    /// Put an earlier build back.
    case rollback(RollbackTarget)
  }

  public var mode: Mode = .build
  public var app: String
  public var config: GitAppConfig
  public var stage: String
  /// Branch, tag or commit; nil means the app's `ref`.
  public var version: String?
  public var resume: Resume?
  /// Return once the build has started, instead of waiting for it.
  public var detach: Bool
  /// Seconds to wait for a lock someone else holds before giving up.
  public var lockWait: Double
  public var detachMethod: DetachMethod
  /// Seconds between looks at a running build.
  public var pollInterval: Double
  /// Go on with the hosts that can: deploy the reachable ones when some are unreachable, and
  /// activate the ones that built when others did not. Off by default: the stage moves
  /// together, and no host is activated unless every host of the stage has its build.
  public var allowPartial = false
  /// Seconds a host whose connection broke while its build ran may take to come back.
  public var reconnectWait: Double = 30

  public init(
    app: String, config: GitAppConfig, stage: String, version: String? = nil,
    resume: Resume? = nil, detach: Bool = false, lockWait: Double = 0,
    detachMethod: DetachMethod = .auto, pollInterval: Double = 1
  ) {
    self.app = app
    self.config = config
    self.stage = stage
    self.version = version
    self.resume = resume
    self.detach = detach
    self.lockWait = lockWait
    self.detachMethod = detachMethod
    self.pollInterval = pollInterval
  }
}

/// A host of the stage, with where the app lives on it.
public struct DeployHost: Sendable {
  public var target: SSHTarget
  public var layout: HostLayout
  /// The app's activation settings with this host's variables filled in.
  public var activation: ActivationConfig?

  public init(target: SSHTarget, layout: HostLayout, activation: ActivationConfig? = nil) {
    self.target = target
    self.layout = layout
    self.activation = activation
  }

  public var name: String { target.name }
}

/// The first half of the ECHR-OD release flow for a `git` app, on every host of a stage at once:
/// lock, clone or fetch, check out the exact ref, start the build detached, and (unless
/// detaching) follow it to its end. The stage moves together: if any host's lock is held,
/// nothing is done anywhere.
public final class GitDeployment: Sendable {
  public let request: GitDeployRequest
  public let hosts: [DeployHost]
  public let runID: String
  /// Who runs this deployment, from where: recorded in the lock and the journal.
  public let who: Operator
  public let heldLocks: HeldLocks
  private let session: StageSession

  public init(
    request: GitDeployRequest, hosts: [DeployHost], by who: Operator, heldLocks: HeldLocks,
    forks: Int, runID: String = RunID.make(now: Date()),
    onTransportSwitch: @escaping @Sendable (SSHTarget, String) -> Void = { _, _ in }
  ) {
    self.request = request
    self.hosts = hosts
    self.runID = runID
    self.who = who
    self.heldLocks = heldLocks
    session = StageSession(
      transport: TransportSelector(onSwitch: onTransportSwitch), forks: forks,
      heldLocks: heldLocks)
  }

  /// A host's state while its part runs.
  private final class Work: StageHost, @unchecked Sendable {
    /// A finished build waiting for activation.
    var pending: Activator.Build?
  }

  public func run(events: any DeployEventSink) -> [HostDeployResult] {
    let works = hosts.map(Work.init)
    let forks = session.forks
    let owner = LockOwner(
      token: runID, user: who.user, origin: who.origin, app: request.app,
      stage: request.stage, version: request.version ?? request.config.ref, runID: runID,
      since: Timestamp.now)
    let ready = session.open(
      works, owner: owner, wait: request.lockWait, allowPartial: request.allowPartial,
      events: events)
    // Build (or find the build to activate, or roll back) on each host, independently.
    _ = ParallelHosts.map(ready, forks: forks) { work in
      switch self.request.mode {
      case .build: self.build(work, events: events)
      case .activate(let runID): self.findFinishedBuild(work, runID: runID)
      case .rollback(let target): self.rollBack(work, to: target, events: events)
      }
    }
    // Activate in batches: a batch starts only when the one before it succeeded. Only when
    // every host of the stage has its build, unless --allow-partial: a stage half on the new
    // build and half on the old is the outcome the lock exists to prevent.
    let built = ready.filter { $0.pending != nil }
    if let missing = works.first(where: { $0.pending == nil && $0.result.failure != nil }),
      !request.allowPartial, !built.isEmpty
    {
      holdBack(built, missing: missing)
    } else {
      activateInBatches(built, events: events)
    }
    return session.close(works, events: events)
  }

  // MARK: - Build

  private func build(_ work: Work, events: any DeployEventSink) {
    guard let connection = work.connection else { return }
    var phase = BuildPhase.checkingOut
    do throws(HostFailure) {
      try checkNoBuildRunning(work, connection: connection, events: events)
      let start = try prepareAttempt(work, connection: connection, events: events)
      phase = .startingRunner(start.plan.runID)
      try launch(work, start: start, connection: connection, events: events)
      phase = .following
      if request.detach {
        events.handle(.detached(host: work.host.name, runID: start.plan.runID))
        return
      }
      let run = try follow(
        work, runID: start.plan.runID, total: start.plan.steps.count, connection: connection,
        events: events)
      work.result.run = run
      if run.state != .succeeded { throw HostFailure.buildFailed(run) }
      // `follow` may have replaced a broken connection.
      if request.config.activation != nil, let current = work.connection {
        work.pending = try finishedBuild(work, runID: run.runID, connection: current)
      }
    } catch {
      work.result.failure = explainLostConnection(error, during: phase, work: work, events: events)
    }
  }

  /// Where a host's build was when its connection broke: what is left there differs.
  private enum BuildPhase {
    case checkingOut
    case startingRunner(String)
    /// `follow` reconnects by itself and explains a host that stays away.
    case following
  }

  /// A connection that broke before the build was followed: says at once what state the host
  /// is in and how to go on.
  private func explainLostConnection(
    _ failure: HostFailure, during phase: BuildPhase, work: Work, events: any DeployEventSink
  ) -> HostFailure {
    guard case .ssh(.connectionLost(let host, let reason)) = failure else { return failure }
    let app = request.app
    let stage = request.stage
    let unlock = "`deploy unlock \(app) \(stage) -l \(host) --force` frees this run's lock"
    let what: String
    switch phase {
    case .following: return failure
    case .checkingOut:
      what =
        "while checking out: nothing was built there. Once it answers again, \(unlock); then"
        + " deploy again"
    case .startingRunner(let run):
      what =
        "while starting the build runner of run \(run): the build may have started there, and"
        + " would go on detached (`deploy builds \(app) \(stage) -l \(host)` shows it). Once it"
        + " answers again, \(unlock); then `deploy \(app) \(stage) --resume` continues a build"
        + " that stopped, or deploy again"
    }
    events.handle(.connectionLost(host: host, error: "connection lost (\(reason)) " + what))
    return .ssh(.connectionLost(host: host, reason: "\(reason), " + what))
  }

  /// The build folder and `build_time` of a run's finished build.
  private func finishedBuild(_ work: Work, runID: String, connection: any SSHConnection)
    throws(HostFailure) -> Activator.Build
  {
    let layout = work.host.layout
    let info = try connection.succeed(
      ActivationCommands.buildInfo(layout.buildOutput(runID)),
      what: "reading the build_info.yml of run \(runID)", timeout: 600)
    guard let time = BuildInfo.fields(info.stdoutText)["build_time"] else {
      throw .command(
        what: "reading the build_info.yml of run \(runID)", result: info.result,
        stderr: "it has no build_time")
    }
    return Activator.Build(folder: runID, buildTime: time)
  }

  /// `--activate RUN-ID`: the run must have finished successfully on this host.
  private func findFinishedBuild(_ work: Work, runID: String) {
    guard let connection = work.connection else { return }
    do throws(HostFailure) {
      guard request.config.activation != nil else {
        throw .nothingToDo("\(request.app) has no 'activate:' in the project file")
      }
      let runs = try connection.ask(
        RunRecord.listing(work.host.layout, runID: runID), timeout: 600)
      guard let run = runs.first else {
        throw .nothingToDo("no run \(runID) of \(request.app) on this host")
      }
      work.result.runID = run.runID
      work.result.attempt = run.attempt
      work.result.commit = run.metadata.commit
      work.result.run = run
      guard run.state == .succeeded else {
        if run.state == .running { throw .buildRunning(runID: run.runID) }
        throw .buildFailed(run)
      }
      work.pending = try finishedBuild(work, runID: run.runID, connection: connection)
      // Activation's journal line continues the run's own record.
      work.result.journal = [
        JournalEntry(
          event: .started, runID: run.runID, attempt: run.attempt, host: work.host.name,
          app: request.app, stage: request.stage, kind: "git", version: run.metadata.version,
          commit: run.metadata.commit, user: who.user, origin: who.origin,
          workflow: run.metadata.workflow, startedAt: run.metadata.started)
      ]
    } catch {
      work.result.failure = error
    }
  }

  // MARK: - Activation

  private func activator(for work: Work, connection: any SSHConnection, events: any DeployEventSink)
    -> Activator?
  {
    guard let config = work.host.activation ?? request.config.activation else { return nil }
    return Activator(
      config: config, layout: work.host.layout, buildName: request.config.buildName,
      connection: connection, host: work.host.name, events: events,
      apiToken: ProcessInfo.processInfo.environment["DEPLOY_BUILD_API_TOKEN"])
  }

  /// Leaves every finished build unactivated because `missing` has none, saying how to go on.
  private func holdBack(_ built: [Work], missing: Work) {
    let app = request.app
    let stage = request.stage
    for work in built {
      let run = work.result.runID ?? runID
      work.result.failure = .notActivated(
        reason:
          "\(missing.host.name) has no finished build (\(missing.result.failure?.kind ?? "?")),"
          + " and the stage moves together. The build of run \(run) is kept here: once every"
          + " host has one, `deploy \(app) \(stage) --activate \(run)` activates them all;"
          + " --allow-partial activates the hosts that built")
    }
  }

  private func activateInBatches(_ works: [Work], events: any DeployEventSink) {
    guard let config = request.config.activation, !works.isEmpty else { return }
    var stopped: String?
    for start in stride(from: 0, to: works.count, by: config.batchSize) {
      let batch = Array(works[start..<min(works.count, start + config.batchSize)])
      if let stopped {
        for work in batch {
          work.result.failure = .notActivated(
            reason: "activation failed on \(stopped) first, so later batches were left alone")
        }
        continue
      }
      _ = ParallelHosts.map(batch, forks: batch.count) { work in
        self.activate(work, events: events)
      }
      if let failed = batch.first(where: { $0.result.failure != nil }) {
        stopped = failed.host.name
      }
    }
  }

  private func activate(_ work: Work, events: any DeployEventSink) {
    guard let build = work.pending, let connection = work.connection,
      let activator = activator(for: work, connection: connection, events: events)
    else { return }
    var outcome = RunOutcome.succeeded
    var message = "activated build_time \(build.buildTime)"
    do throws(HostFailure) {
      try activator.activate(build)
      prune(work, keep: request.config.activation?.keep, served: build.folder, events: events)
    } catch {
      work.result.failure = error
      message = error.message(app: request.app, stage: request.stage)
      switch error {
      case .rolledBack: outcome = .rolledBack
      default: outcome = .failed
      }
    }
    if let started = work.result.journal.first {
      let entry = started.finishing(outcome: outcome, at: Timestamp.now, message: message)
      appendJournal([entry], layout: work.host.layout, on: connection)
      work.result.journal.append(entry)
    }
  }

  /// `keep:`: old builds go after a successful activation; never the served one, its rollback
  /// copy, or the build just activated.
  private func prune(_ work: Work, keep: Int?, served: String, events: any DeployEventSink) {
    guard let keep, let connection = work.connection else { return }
    let protected = request.config.buildName.map { [$0, $0 + ".save"] } ?? []
    let script = ActivationCommands.prune(
      work.host.layout, keep: keep, served: served, protected: protected)
    guard let output = try? connection.succeed(script, what: "pruning old builds", timeout: 600)
    else { return }
    let removed = output.stdoutText.split(separator: "\n")
    if !removed.isEmpty {
      events.handle(
        .activation(
          host: work.host.name, step: .pruned(removed: removed.map(String.init), keep: keep)))
    }
  }

  // MARK: - Rollback

  private func rollBack(
    _ work: Work, to target: GitDeployRequest.RollbackTarget, events: any DeployEventSink
  ) {
    guard let connection = work.connection else { return }
    let layout = work.host.layout
    do throws(HostFailure) {
      guard let activation = work.host.activation ?? request.config.activation,
        let activator = activator(for: work, connection: connection, events: events)
      else {
        throw .nothingToDo("\(request.app) has no 'activate:' in the project file")
      }
      let builds = try connection.ask(BuildFolderListing.listing(layout), timeout: 600)
      if let lock = builds.lock { throw .buildRunning(runID: lock.isEmpty ? "unknown" : lock) }
      // Which build goes back, and how.
      let chosen: BuildFolderListing.Build?
      switch target {
      case .previous:
        if activation.strategy == .explorer, let name = request.config.buildName {
          // The rollback copy; without one (it was already put back), the newest build older
          // than the served one.
          let served = builds.builds.first { $0.folder == name }?.buildTime ?? "~"
          chosen =
            builds.builds.first { $0.folder == name + ".save" }
            ?? builds.newest { !$0.folder.hasPrefix(name) && ($0.buildTime ?? "") < served }
        } else if let previous = builds.previouslyServed(before: builds.currentLink).first {
          // The build served before the current one, by the activation log.
          chosen = previous
        } else {
          // A host from before the activation log: the newest build older than the current.
          let current = builds.currentLink ?? ""
          let currentTime = builds.builds.first { $0.folder == current }?.buildTime ?? "~"
          chosen = builds.newest {
            $0.folder != current && !$0.folder.hasSuffix(".save") && !$0.folder.hasSuffix(".failed")
              && $0.folder != request.config.buildName && ($0.buildTime ?? "") < currentTime
          }
        }
      case .run(let runID):
        chosen = builds.builds.first { $0.folder == runID }
      case .version(let version):
        chosen = builds.newest { $0.info["version"] == version && !$0.folder.hasSuffix(".failed") }
      }
      guard let chosen else {
        let available = builds.builds.map { "\($0.folder) (\($0.info["version"] ?? "?"))" }
        throw .nothingToDo(
          "no such build on this host to roll back to; builds here: "
            + (available.isEmpty ? "none" : available.joined(separator: ", ")))
      }
      let version = chosen.info["version"] ?? chosen.folder
      let started = JournalEntry(
        event: .started, runID: runID, host: work.host.name, app: request.app,
        stage: request.stage, kind: "rollback", version: version, commit: chosen.info["commit"],
        user: who.user, origin: who.origin, startedAt: Timestamp.now)
      work.result.runID = runID
      work.result.commit = chosen.info["commit"]
      work.result.journal = [started]
      appendJournal([started], layout: layout, on: connection)
      events.handle(
        .activation(
          host: work.host.name,
          step: .rollbackStarted(
            folder: chosen.folder, version: version, buildTime: chosen.buildTime)))
      var outcome = RunOutcome.succeeded
      var message = "rolled back to \(chosen.folder)"
      do throws(HostFailure) {
        try activator.rollBack(toBuildTime: chosen.buildTime) { () throws(HostFailure) in
          switch (activation.strategy, target) {
          case (.explorer, .previous) where chosen.folder.hasSuffix(".save"):
            let name = request.config.buildName ?? ""
            _ = try activator.run(
              ActivationCommands.restoreSave(buildFolder: layout.buildFolder, served: name),
              what: "restoring \(name).save")
          case (.explorer, _):
            let name = request.config.buildName ?? ""
            _ = try activator.run(
              ActivationCommands.install(
                buildFolder: layout.buildFolder, source: chosen.folder, served: name),
              what: "installing \(chosen.folder) as \(name)", timeout: 3600)
          case (.symlink, _), (.package, _):
            _ = try activator.run(
              ActivationCommands.switchLink(buildFolder: layout.buildFolder, to: chosen.folder),
              what: "switching current to \(chosen.folder)")
          }
        }
        if !chosen.folder.hasSuffix(".save") { activator.recordActivation(chosen.folder) }
        events.handle(.activation(host: work.host.name, step: .rollbackVerified))
      } catch {
        outcome = .failed
        message = error.message(app: request.app, stage: request.stage)
        work.result.failure = error
      }
      let finished = started.finishing(outcome: outcome, at: Timestamp.now, message: message)
      appendJournal([finished], layout: layout, on: connection)
      work.result.journal.append(finished)
    } catch {
      work.result.failure = error
    }
  }

  private func checkNoBuildRunning(
    _ work: Work, connection: any SSHConnection, events: any DeployEventSink
  ) throws(HostFailure) {
    let layout = work.host.layout
    let output = try connection.succeed(
      BuildCommands.preflight(layout), what: "checking \(layout.buildLock)", timeout: 600)
    let answer = output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    if answer.hasPrefix("running ") {
      throw .buildRunning(runID: String(answer.dropFirst(8)))
    } else if answer == "foreign" {
      throw .foreignBuildLock(path: layout.buildLock)
    } else if answer.hasPrefix("stale ") {
      events.handle(
        .clearedStaleBuildLock(host: work.host.name, runID: String(answer.dropFirst(6))))
    }
  }

  private struct Attempt {
    var plan: BuildPlan
    var metadata: RunMetadata
  }

  /// Checks out the code and works out the steps: for a new run at the requested ref, for a
  /// resumed run at the commit it started with.
  private func prepareAttempt(
    _ work: Work, connection: any SSHConnection, events: any DeployEventSink
  ) throws(HostFailure) -> Attempt {
    let config = request.config
    let layout = work.host.layout
    var runID = self.runID
    var attempt = 1
    var ref = request.version ?? config.ref
    var metadata = RunMetadata()
    metadata.app = request.app
    metadata.stage = request.stage
    metadata.user = who.user
    metadata.origin = who.origin
    metadata.started = Timestamp.now

    if let resume = request.resume {
      let previous = try runToResume(resume, layout: layout, connection: connection)
      runID = previous.runID
      attempt = previous.attempt + 1
      ref = previous.metadata.commit
      metadata = previous.metadata
      metadata.user = who.user
      metadata.origin = who.origin
    }

    let checkoutScript: ShellScript
    do {
      checkoutScript = try GitCommands.checkout(
        repository: config.repository, path: layout.checkout, ref: ref)
    } catch {
      throw .configuration(error)
    }
    // git says "Out of diskspace" or worse on a full disk; the failure is explained with the
    // folder and the cause. (The checkout is a subshell on its own line, not the left side of
    // `||`, where its `set -e` would be ignored.)
    let checkoutFolder = layout.checkout
    let checkout = try connection.succeed(
      ShellScript.lines([
        DiskSpace.functions,
        "mkdir -p \(layout.root) || { explain_write_failure \(layout.root); exit 1; }",
        "( \(checkoutScript) )", "rc=$?",
        "[ $rc -eq 0 ] || { disk_full \(checkoutFolder) && explain_write_failure \(checkoutFolder); exit $rc; }",
      ]),
      what: "git checkout of \(ref) in \(layout.checkout)", timeout: 3600)
    guard
      let commit = checkout.stdoutText.split(separator: "\n").last.map(String.init),
      commit.count >= 40
    else {
      throw .command(
        what: "git checkout of \(ref)", result: checkout.result,
        stderr: "no commit in its output: \(checkout.stdoutText)")
    }
    work.result.commit = commit
    events.handle(.checkedOut(host: work.host.name, commit: commit))

    let (steps, workflow) = try buildSteps(work, connection: connection)
    metadata.version = request.resume == nil ? ref : metadata.version
    metadata.commit = commit
    metadata.workflow = workflow
    metadata.steps = steps.map(\.name)
    work.result.runID = runID
    work.result.attempt = attempt

    let started = JournalEntry(
      event: .started, runID: runID, attempt: attempt, host: work.host.name, app: request.app,
      stage: request.stage, kind: "git", version: metadata.version, commit: commit,
      user: who.user, origin: who.origin, workflow: workflow,
      startedAt: Timestamp.now, endedAt: nil, outcome: .running, message: nil, failedStep: nil)
    let plan = BuildPlan(
      runID: runID, attempt: attempt, app: request.app, stage: request.stage,
      version: metadata.version, commit: commit, workflow: workflow, steps: steps, layout: layout,
      environment: config.environment.variables.map { (name: $0.name, value: $0.value) },
      timeout: config.buildTimeout, journal: JournalTemplates.lines(for: started, steps: steps))
    work.result.journal = [started]
    return Attempt(plan: plan, metadata: metadata)
  }

  private func runToResume(
    _ resume: GitDeployRequest.Resume, layout: HostLayout, connection: any SSHConnection
  ) throws(HostFailure) -> RunRecord {
    let runID: String?
    switch resume {
    case .latest: runID = nil
    case .run(let id): runID = id
    }
    let runs = try connection.ask(RunRecord.listing(layout, runID: runID), timeout: 600)
    guard let run = runs.first else {
      throw .nothingToDo(
        runID.map { "no run \($0) of \(request.app) on this host" }
          ?? "no earlier run of \(request.app) on this host to resume")
    }
    switch run.state {
    case .succeeded:
      throw .nothingToDo("run \(run.runID) succeeded: nothing to resume")
    case .running:
      throw .buildRunning(runID: run.runID)
    case .failed, .interrupted, .lost:
      return run
    }
  }

  /// The steps from the project file, or from the ECHR-OD workflow files in the checkout.
  private func buildSteps(_ work: Work, connection: any SSHConnection) throws(HostFailure)
    -> ([BuildStep], String)
  {
    switch request.config.build {
    case .steps(let steps):
      return (steps, "steps")
    case .workflow(let name, let directory, let location):
      let layout = work.host.layout
      let output = try connection.succeed(
        WorkflowFiles.readCommand(checkout: layout.checkout, directory: directory),
        what: "reading \(directory)/ in \(layout.checkout)", timeout: 600)
      let files = WorkflowFiles.parse(output: output.stdoutText)
      do throws(DeployError) {
        let steps = try WorkflowLoader.expand(
          name: name, directory: directory, files: files,
          origin: "\(work.host.name):\(layout.checkout)/", location: location)
        return (steps, name)
      } catch {
        throw .configuration(error)
      }
    }
  }

  private func launch(
    _ work: Work, start: Attempt, connection: any SSHConnection, events: any DeployEventSink
  ) throws(HostFailure) {
    let plan = start.plan
    let runner = RunnerScript.render(plan)
    _ = try connection.succeed(
      BuildCommands.prepare(runFolder: plan.runFolder, metadata: start.metadata.json),
      what: "writing the run folder \(plan.runFolder)", stdin: Array(runner.text.utf8), timeout: 600
    )
    do {
      let output = try connection.succeed(
        BuildCommands.start(
          runFolder: plan.runFolder, app: plan.app, runID: plan.runID, attempt: plan.attempt,
          method: request.detachMethod),
        what: "starting the build runner", timeout: 60)
      let runner =
        output.stdoutText.split(separator: "\n").first { $0.hasPrefix("runner ") }
        .map { String($0.dropFirst(7)) } ?? "?"
      events.handle(
        .buildStarted(
          host: work.host.name, runID: plan.runID, attempt: plan.attempt, runner: runner))
    } catch {
      // The runner never ran, so it wrote no journal lines: record the failed start here.
      var failed = work.result.journal[0]
      failed.event = .finished
      failed.endedAt = Timestamp.now
      failed.outcome = .failed
      failed.message = error.message(app: request.app, stage: request.stage)
      appendJournal([work.result.journal[0], failed], layout: work.host.layout, on: connection)
      work.result.journal.append(failed)
      throw error
    }
  }

  /// Watches the run until it ends, reporting each step as it ends.
  private func follow(
    _ work: Work, runID: String, total: Int, connection: any SSHConnection,
    events: any DeployEventSink
  ) throws(HostFailure) -> RunRecord {
    var reported = Set<Int>()
    var interval = min(0.2, request.pollInterval)
    var connection = connection
    while true {
      let listing = RunRecord.listing(work.host.layout, runID: runID)
      let output: CapturedOutput
      do {
        output = try connection.succeed(
          listing.script, what: "reading the state of run \(runID)", timeout: 60)
      } catch {
        // The build is detached and goes on: a broken connection loses only the view of it.
        guard case .ssh(let lost) = error else { throw error }
        connection = try reconnect(work, runID: runID, after: lost, events: events)
        continue
      }
      guard let run = listing.answer(from: output.stdoutText).first else {
        throw .command(
          what: "reading the state of run \(runID)", result: output.result,
          stderr: "the run folder is gone")
      }
      for step in run.steps where step.endedAt != nil && !reported.contains(step.index) {
        reported.insert(step.index)
        events.handle(.stepEnded(host: work.host.name, step: step, total: total))
      }
      if run.state != .running {
        events.handle(.buildEnded(host: work.host.name, run: run))
        work.result.journal.append(finishedEntry(from: work.result.journal[0], run: run))
        return run
      }
      Thread.sleep(forTimeInterval: interval)
      interval = min(request.pollInterval, interval * 2)
    }
  }

  /// Connects again after the connection broke during `follow`, for up to `request.reconnectWait`
  /// seconds, and makes the lock this run holds belong to the new session. When the host stays
  /// away, the failure says that the build goes on there and how to finish the deploy.
  private func reconnect(
    _ work: Work, runID: String, after lost: SSHError, events: any DeployEventSink
  ) throws(HostFailure) -> any SSHConnection {
    let host = work.host.name
    events.handle(
      .connectionLost(
        host: host,
        error: "connection lost while run \(runID) builds (\(lost.kind)); the build goes on"
          + " there, detached: reconnecting"))
    work.connection?.close()
    work.connection = nil
    let deadline = MonotonicClock.now + request.reconnectWait
    var last = lost
    repeat {
      do throws(SSHError) {
        let connection = try session.transport.connect(work.host.target)
        work.connection = connection
        if let token = work.lockToken,
          let script = try? LockCommands.adopt(work.host.layout, token: token)
        {
          _ = try? connection.capture(RemoteCommand(script, timeout: 30))
        }
        events.handle(.reconnected(host: host, runID: runID))
        return connection
      } catch {
        last = error
        Thread.sleep(forTimeInterval: min(2, max(0, deadline - MonotonicClock.now)))
      }
    } while MonotonicClock.now < deadline
    throw .ssh(
      .connectionLost(
        host: host,
        reason: "lost while run \(runID) was building, and not back within"
          + " \(Int(request.reconnectWait))s (\(last.kind)). The build goes on there, detached; this"
          + " run's lock stays on \(host). When the host is back: `deploy logs \(request.app)"
          + " \(request.stage) \(runID) -l \(host) --follow` shows it, `deploy unlock \(request.app)"
          + " \(request.stage) -l \(host) --force` frees the lock, and `deploy \(request.app)"
          + " \(request.stage) --activate \(runID)` activates the stage"))
  }

  private func finishedEntry(from started: JournalEntry, run: RunRecord) -> JournalEntry {
    var entry = started
    entry.event = .finished
    entry.endedAt = run.endedAt ?? Timestamp.now
    entry.failedStep = run.failedStep
    switch run.state {
    case .succeeded: entry.outcome = .succeeded
    case .failed: entry.outcome = .failed
    case .interrupted: entry.outcome = .interrupted
    case .lost: entry.outcome = .lost
    case .running: entry.outcome = .running
    }
    if let step = run.failedStep, step >= 1, step <= run.steps.count {
      entry.message = JournalTemplates.failureMessage(
        step: step, total: run.steps.count, name: run.steps[step - 1].name)
    }
    return entry
  }

  private func appendJournal(
    _ entries: [JournalEntry], layout: HostLayout, on connection: any SSHConnection
  ) {
    HostJournal.append(entries, layout: layout, on: connection)
  }
}

/// Journal lines for the runner, built from real `JournalEntry` values with a marker where the
/// host's clock goes, so that the shell writes JSON without knowing JSON.
public enum JournalTemplates {
  private static let marker = 8_888_888_888_888

  public static func failureMessage(step: Int, total: Int, name: String) -> String {
    "step \(step)/\(total) '\(name)' failed"
  }

  public static func lines(for started: JournalEntry, steps: [BuildStep]) -> BuildJournalLines {
    var opening = started
    opening.startedAt = marker
    var finished = started
    finished.event = .finished
    finished.endedAt = marker
    var succeeded = finished
    succeeded.outcome = .succeeded
    var interrupted = finished
    interrupted.outcome = .interrupted
    interrupted.message = "stopped by a signal"
    let failures = steps.enumerated().map { offset, step in
      var failed = finished
      failed.outcome = .failed
      failed.failedStep = offset + 1
      failed.message = failureMessage(step: offset + 1, total: steps.count, name: step.name)
      return template(failed)
    }
    return BuildJournalLines(
      started: template(opening), succeeded: template(succeeded), failedAtStep: failures,
      interrupted: template(interrupted))
  }

  static func template(_ entry: JournalEntry) -> JournalLineTemplate {
    let line = entry.jsonLine
    let text = String(marker)
    guard let range = line.range(of: text) else {
      return JournalLineTemplate(prefix: line, suffix: "")
    }
    return JournalLineTemplate(
      prefix: String(line[..<range.lowerBound]), suffix: String(line[range.upperBound...]))
  }
}
