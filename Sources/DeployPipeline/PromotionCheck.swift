import DeployConfig
import DeployExec
import DeployInventory
import DeployLedger
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// An apt app's versions move stage by stage: deploying to a later stage a version the stage
/// before it never ran needs a yes. The question is asked before anything is locked or
/// installed (a prompt answered slowly must not hold a stage's locks), about the version the
/// deployment will install: the one given, or the latest the stage's hosts offer now.
public struct PromotionCheck: Sendable {
  public let app: String
  public let package: String
  public let stage: String
  /// The stage before `stage`, whose host journals say what it ran.
  public let previousStage: String
  private let stageHosts: [DeployHost]
  private let previousHosts: [DeployHost]
  private let forks: Int

  /// Nil for the first stage (nothing comes before it).
  public init?(
    app: String, package: String, plan: StagePlan, project: ProjectFile, inventory: Inventory,
    resolver: SSHTargetResolver, forks: Int
  ) throws(DeployError) {
    guard let index = project.stages.firstIndex(of: plan.stage), index > 0 else { return nil }
    self.app = app
    self.package = package
    stage = plan.stage
    previousStage = project.stages[index - 1]
    stageHosts = plan.hosts
    previousHosts = try StagePlan.resolve(
      project: project, inventory: inventory, appName: app, stage: previousStage,
      resolver: resolver
    ).hosts
    self.forks = forks
  }

  /// Whether some host of the previous stage installed `version` successfully.
  public func previousStageRan(_ version: String) -> Bool {
    let transport = TransportSelector()
    let app = self.app
    return ParallelHosts.map(previousHosts, forks: forks) { host -> Bool in
      guard let connection = try? transport.connect(host.target) else { return false }
      defer { connection.close() }
      guard
        let text = try? connection.capture(
          RemoteCommand(JournalCommands.read(host.layout), timeout: 60)
        ).stdoutText
      else { return false }
      return Journal.parse(text).entries.contains {
        $0.app == app && $0.version == version && $0.outcome == .succeeded
      }
    }.contains(true)
  }

  /// The version "latest" will most likely mean: the latest every reachable host of the stage
  /// offers from its package index as it is (read without a lock and without refreshing it).
  /// Nil when the hosts offer nothing in common. The deployment refreshes the index under its
  /// lock; if that turns up a newer version, it stops before installing (see `approving`).
  public func latestOffered() -> String? {
    let transport = TransportSelector()
    let package = self.package
    let offers = ParallelHosts.map(stageHosts, forks: forks) { host -> [String]? in
      guard let connection = try? transport.connect(host.target) else { return nil }
      defer { connection.close() }
      guard
        let output = try? connection.capture(
          RemoteCommand(AptCommands.versions(package), timeout: 60))
      else { return nil }
      return AptCommands.parse(output.stdoutText).offered
    }
    return AptVersionChoice.latestCommon(offers.compactMap { $0 })
  }

  /// The deployment's `approve`: the version it chose must be the one that was confirmed.
  public func approving(_ confirmed: String) -> @Sendable (String) throws(DeployError) -> Void {
    let stage = self.stage
    return { chosen throws(DeployError) in
      guard chosen != confirmed else { return }
      throw .usage(
        "the version to install on \(stage) is \(chosen), not the \(confirmed) that was"
          + " confirmed (the package index changed when it was refreshed); nothing was installed:"
          + " run the deploy again to be asked about \(chosen)")
    }
  }
}

/// Choosing among the versions hosts offer.
public enum AptVersionChoice {
  /// The latest version, by Debian ordering, that every list offers; nil if there is none.
  public static func latestCommon(_ offers: [[String]]) -> String? {
    guard var common = offers.first.map(Set.init) else { return nil }
    for offered in offers.dropFirst() { common.formIntersection(offered) }
    return common.compactMap(DebianVersion.init).max()?.description
  }
}
