import ArgumentParser
import DeployBuildAPI
import DeployConfig
import DeployInventory
import DeployLedger
import DeployPipeline
import DeploySSH
import DeploySupport
import DeployTemplating
import Foundation
import HostScripts

/// `deploy APP [STAGE] [VERSION]`: the default command.
struct DeployAppCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "app",
    abstract: "Deploy an app to a stage: deploy APP [STAGE] [VERSION].",
    discussion: """
      For a git app: on every host of the stage, take the deploy lock, clone or fetch the \
      repository, check out VERSION (a branch, tag or commit; default: the app's ref), start \
      the build detached (tmux, else setsid) and follow it to its end. With --detach, return \
      once it has started; `deploy logs` and `deploy builds` find it later, from any machine. \
      With --resume, continue the latest failed run (or the run id given as VERSION) from its \
      first step that did not complete.
      """)

  @Argument(help: "The app, as named in the project file; without it, the status table.")
  var app: String?

  @Argument(help: "The stage (an inventory group); default: the app's first stage.")
  var stage: String?

  @Argument(help: "Branch, tag or commit to deploy (with --resume: the run id to resume).")
  var version: String?

  @Flag(name: .customLong("resume"), help: "Continue a failed run from its first unfinished step.")
  var resume = false

  @Flag(name: .customLong("detach"), help: "Return once the build has started (for CI).")
  var detach = false

  @Option(
    name: .customLong("activate"),
    help: "Activate the finished build of this (detached) run instead of building.")
  var activateRun: String?

  @Option(
    name: .customLong("lock-wait"),
    help: "Wait this long for a lock someone else holds (e.g. 30s, 5m); default: do not wait.")
  var lockWait: String?

  @Option(
    name: [.short, .customLong("limit")], help: "Only the stage's hosts matching this pattern.")
  var limit: String?

  @Flag(
    name: .customLong("yes"),
    help: "Deploy to a later stage a version the stage before it never ran, without asking.")
  var yes = false

  @Flag(
    name: .customLong("allow-partial"),
    help: """
      Go on without the hosts that cannot be reached, and activate the hosts that built when \
      others did not. Default: the stage moves together.
      """)
  var allowPartial = false

  @Option(
    name: .customLong("reconnect-wait"),
    help: "How long a host whose connection broke during its build may take to come back (30s).")
  var reconnectWait: String?

  @Option(name: .customLong("runner"), help: "How builds are detached: auto, tmux or setsid.")
  var runner: DetachMethod = .auto

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      guard let app else { return try showStatus(project: project, connection: connection) }
      let lockWaitSeconds = try lockWait.map { text throws(DeployError) -> Double in
        guard let seconds = DurationParser.seconds(text), seconds >= 0 else {
          throw .usage("--lock-wait: \(String(reflecting: text)) is not a duration (30s, 5m, 1h)")
        }
        return seconds
      }
      var resumeTarget: GitDeployRequest.Resume?
      if resume {
        if let id = version {
          guard RunID.isValid(id) else {
            throw DeployError.usage(
              "--resume takes a run id such as 20261124T130607Z-3fa9c2, not \(String(reflecting: id))"
            )
          }
          resumeTarget = .run(id)
        } else {
          resumeTarget = .latest
        }
      }
      if let activateRun {
        guard RunID.isValid(activateRun) else {
          throw DeployError.usage(
            "--activate takes a run id, not \(String(reflecting: activateRun))")
        }
        guard !resume, version == nil, !detach else {
          throw DeployError.usage("--activate RUN-ID goes alone: no VERSION, --resume or --detach")
        }
      }
      let (projectFile, inventory) = try project.load(connection)
      let resolver = try SSHTargetResolver(defaults: connection.defaults(project: projectFile))
      let plan = try StagePlan.resolve(
        project: projectFile, inventory: inventory, appName: app, stage: stage,
        resolver: resolver, limit: limit)
      if case .apt(let apt) = plan.app.kind {
        guard !resume, !detach, activateRun == nil else {
          throw DeployError.usage("--resume, --detach and --activate are for git apps")
        }
        if let version, DebianVersion(version) == nil {
          throw DeployError.unsafeValue(
            what: "Debian version", value: version,
            reason: "not a Debian version (digits, letters, . + - ~ : only)")
        }
        var request = AptDeployRequest(
          app: plan.app.name, config: apt, stage: plan.stage, version: version,
          lockWait: lockWaitSeconds ?? 0)
        request.allowPartial = allowPartial
        if !yes,
          let check = try PromotionCheck(
            app: plan.app.name, package: apt.package, plan: plan, project: projectFile,
            inventory: inventory,
            resolver: try SSHTargetResolver(defaults: connection.defaults(project: projectFile)),
            forks: connection.forks(project: projectFile))
        {
          request.approve = try confirmPromotion(check, version: version)
        }
        return try runAptDeployment(
          request, plan: plan, project: projectFile, connection: connection)
      }
      if !resume, let version { try GitCommands.validateRef(version) }
      var request = GitDeployRequest(
        app: plan.app.name, config: try plan.git(), stage: plan.stage,
        version: resume ? nil : version, resume: resumeTarget, detach: detach,
        lockWait: lockWaitSeconds ?? 0, detachMethod: runner)
      request.allowPartial = allowPartial
      if let reconnectWait {
        guard let seconds = DurationParser.seconds(reconnectWait), seconds >= 0 else {
          throw DeployError.usage(
            "--reconnect-wait: \(String(reflecting: reconnectWait)) is not a duration (30s, 5m)")
        }
        request.reconnectWait = seconds
      }
      if let activateRun { request.mode = .activate(runID: activateRun) }
      return try runDeployment(
        request, plan: plan, project: projectFile, connection: connection)
    }
  }
}

/// Runs a deployment (build, activation or rollback) with a renderer, interrupt handling and the
/// ledger: what `deploy APP` and `deploy rollback` share.
func runDeployment(
  _ request: GitDeployRequest, plan: StagePlan, project projectFile: ProjectFile,
  connection: ConnectionOptions
) -> ExitStatus {
  let renderer = makeDeployRenderer(plan: plan, connection: connection)
  let heldLocks = HeldLocks()
  let deployment = GitDeployment(
    request: request, hosts: plan.hosts, by: .current(), heldLocks: heldLocks,
    forks: connection.forks(project: projectFile)
  ) { target, reason in
    renderer.handle(.transportSwitched(host: target.name, reason: reason))
  }
  let interrupts = InterruptHandler(
    releasing: heldLocks, runID: deployment.runID, renderer: renderer)
  let started = MonotonicClock.now
  renderer.starting(request: request, hosts: plan.hosts, runID: deployment.runID)
  let results = deployment.run(events: renderer)
  interrupts.disarm()
  recordInLedger(results, project: projectFile)
  renderer.summary(results, request: request, duration: MonotonicClock.now - started)
  return ExitStatus.combining(results.map(\.exitStatus))
}

/// People get the terminal renderer, programs JSON; in a GitHub Actions job both are wrapped
/// with annotations, groups, the job summary and outputs.
func makeDeployRenderer(plan: StagePlan, connection: ConnectionOptions) -> any DeployRenderer {
  let base: any DeployRenderer =
    connection.json
    ? JSONDeployRenderer() : TerminalDeployRenderer(app: plan.app.name, stage: plan.stage)
  return GitHubActions.renderer(
    wrapping: base, app: plan.app.name, stage: plan.stage, json: connection.json)
}

/// The ledger is an index: failing to write it loses nothing (the host journals have it all),
/// so it is a warning, not a failure.
func recordInLedger(_ results: [HostDeployResult], project: ProjectFile) {
  let entries = results.flatMap(\.journal)
  guard !entries.isEmpty else { return }
  do {
    let ledger = try Ledger(path: ledgerPath(project))
    try ledger.record(DeploymentRecord.merge(entries))
  } catch {
    GitHubActions.warn("local ledger not updated: \(error)")
  }
}

/// The ledger file: `DEPLOY_LEDGER`, else the project's `ledger:`, else the user's state folder.
func ledgerPath(_ project: ProjectFile?) -> String {
  let env = ProcessInfo.processInfo.environment
  if let path = env["DEPLOY_LEDGER"] { return path }
  if let path = project?.ledgerPath { return path }
  return Ledger.defaultPath(environment: env)
}

extension DetachMethod: ExpressibleByArgument {}
