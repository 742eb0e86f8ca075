import DeployConfig
import DeployExec
import DeployLedger
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// What to deploy for an `apt` app.
public struct AptDeployRequest: Sendable {
  public var app: String
  public var config: AptAppConfig
  public var stage: String
  /// An exact Debian version; nil means the latest every host of the stage offers.
  public var version: String?
  public var lockWait: Double
  /// Deploy the reachable hosts when some are unreachable (see `GitDeployRequest`).
  public var allowPartial = false
  /// Called with the chosen version before anything is installed; throwing stops the
  /// deployment (`PromotionCheck.approving`: the version must be the one confirmed before the
  /// locks were taken).
  public var approve: @Sendable (String) throws(DeployError) -> Void = { _ throws(DeployError) in }

  public init(
    app: String, config: AptAppConfig, stage: String, version: String? = nil,
    lockWait: Double = 0
  ) {
    self.app = app
    self.config = config
    self.stage = stage
    self.version = version
    self.lockWait = lockWait
  }
}

/// `deploy ooni-api prod`: the OONI flow with what their tool lacked — a lock, every exit code
/// checked, the installed version read back, and a journal. On every host of the stage: lock,
/// refresh the package index, choose the version (the latest offered by every host, by Debian
/// ordering, unless one is given), install exactly it (downgrades allowed: that is rollback),
/// read back what dpkg has, restart and health-check if configured.
public final class AptDeployment: Sendable {
  public let request: AptDeployRequest
  public let hosts: [DeployHost]
  public let runID: String
  public let who: Operator
  public let heldLocks: HeldLocks
  private let session: StageSession

  public init(
    request: AptDeployRequest, hosts: [DeployHost], by who: Operator, heldLocks: HeldLocks,
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

  private final class Work: StageHost, @unchecked Sendable {
    var offered: [String] = []
    var installed: String?
  }

  /// Runs the deployment; throws only when the version asked for is offered by no host (then
  /// nothing was installed anywhere, and the error lists the nearest versions).
  public func run(events: any DeployEventSink) throws(DeployError) -> [HostDeployResult] {
    let works = hosts.map(Work.init)
    let forks = session.forks
    let owner = LockOwner(
      token: runID, user: who.user, origin: who.origin, app: request.app, stage: request.stage,
      version: request.version ?? "latest", runID: runID, since: Timestamp.now)
    let reachable = session.open(
      works, owner: owner, wait: request.lockWait, allowPartial: request.allowPartial,
      events: events)

    // What each host offers, after refreshing its index.
    let package = request.config.package
    _ = ParallelHosts.map(reachable, forks: forks) { work in
      do throws(HostFailure) {
        _ = try self.run(
          AptCommands.update(), on: work, what: "apt-get update",
          timeout: self.request.config.updateTimeout)
        let listing = AptCommands.parse(
          try self.run(AptCommands.versions(package), on: work, what: "apt-cache madison"))
        work.offered = listing.offered
        work.installed = listing.installed
      } catch {
        work.result.failure = error
      }
    }
    let ready = reachable.filter { $0.result.failure == nil }
    let version: String
    do throws(DeployError) {
      guard let chosen = try chooseVersion(ready) else {
        return session.close(works, events: events)
      }
      try request.approve(chosen)
      version = chosen
    } catch {
      // Nothing was installed anywhere: give the hosts back and say why, once.
      _ = session.close(works, events: events, report: false)
      throw error
    }

    _ = ParallelHosts.map(ready, forks: forks) { work in
      self.install(version, on: work, events: events)
    }
    return session.close(works, events: events)
  }

  /// The version to install: the one asked for if some host offers it, else the latest that
  /// every host offers.
  private func chooseVersion(_ works: [Work]) throws(DeployError) -> String? {
    guard !works.isEmpty else { return nil }
    let package = request.config.package
    let all = Set(works.flatMap(\.offered)).compactMap(DebianVersion.init).sorted()
    if let wanted = request.version {
      guard works.contains(where: { $0.offered.contains(wanted) }) else {
        let nearest = DebianVersion.nearest(to: wanted, in: all, count: 5).map(\.description)
        throw .usage(
          "no host of \(request.stage) offers \(package) \(wanted); nothing was installed."
            + (nearest.isEmpty
              ? " apt offers no version of \(package) there."
              : " Nearest available: \(nearest.joined(separator: ", "))"))
      }
      for work in works where !work.offered.contains(wanted) {
        work.result.failure = .nothingToDo("this host's apt does not offer \(package) \(wanted)")
      }
      return wanted
    }
    guard let latest = AptVersionChoice.latestCommon(works.map(\.offered)) else {
      throw .usage(
        "the hosts of \(request.stage) offer no common version of \(package)"
          + (all.isEmpty ? "" : " (offered: \(all.map(\.description).joined(separator: ", ")))"))
    }
    return latest
  }

  private func install(_ version: String, on work: Work, events: any DeployEventSink) {
    guard work.result.failure == nil, let connection = work.connection else { return }
    let started = JournalEntry(
      event: .started, runID: runID, host: work.host.name, app: request.app,
      stage: request.stage, kind: "apt", version: version, user: who.user, origin: who.origin,
      startedAt: Timestamp.now)
    work.result.runID = runID
    work.result.journal = [started]
    HostJournal.append([started], layout: work.host.layout, on: connection)
    events.handle(
      .activation(
        host: work.host.name,
        step: .installing(package: request.config.package, from: work.installed, to: version)))
    var outcome = RunOutcome.succeeded
    var message = "installed \(request.config.package) \(version)"
    do throws(HostFailure) {
      let output = try run(
        AptCommands.install(request.config.package, version: version), on: work,
        what: "apt-get install \(request.config.package)=\(version)",
        timeout: request.config.installTimeout)
      let now = AptCommands.parse(output).installed
      guard now == version else {
        throw .command(
          what: "reading back \(request.config.package)",
          result: CommandResult(exitStatus: 0, duration: 0),
          stderr: "dpkg reports \(now ?? "nothing installed"), not \(version) ("
            + output.split(separator: "\n").suffix(3).joined(separator: " / ") + ")")
      }
      events.handle(.activation(host: work.host.name, step: .installed(version: version)))
      if let activation = work.host.activation {
        let activator = Activator(
          config: activation, layout: work.host.layout, buildName: nil, connection: connection,
          host: work.host.name, events: events, apiToken: nil)
        try activator.activate(Activator.Build(folder: "", buildTime: ""))
      }
    } catch {
      work.result.failure = error
      outcome = .failed
      message = error.message(app: request.app, stage: request.stage)
    }
    let finished = started.finishing(outcome: outcome, at: Timestamp.now, message: message)
    HostJournal.append([finished], layout: work.host.layout, on: connection)
    work.result.journal.append(finished)
  }

  private func run(_ script: ShellScript, on work: Work, what: String, timeout: Double = 120)
    throws(HostFailure) -> String
  {
    guard let connection = work.connection else {
      throw .command(
        what: what, result: CommandResult(exitStatus: -1, duration: 0), stderr: "not connected")
    }
    return try connection.succeed(script, what: what, timeout: timeout, stderrLines: 4).stdoutText
  }
}
