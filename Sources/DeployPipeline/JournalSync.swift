import DeployConfig
import DeployExec
import DeployInventory
import DeployLedger
import DeploySSH
import DeploySupport
import HostScripts
import HostShell

/// `deploy history` reads the host journals (the record of every deployment, whoever ran it)
/// into the local ledger before answering: every relevant journal once, in parallel.
public enum JournalSync {
  /// How the reading went: the worst host's status (a host not reached: its rows come from
  /// what the ledger already had), and what to warn about.
  public struct Report: Sendable {
    public var status: ExitStatus
    public var warnings: [String]
  }

  /// Reads the journals of the hosts of `app`'s `stage` (nil: every app, every stage) and
  /// indexes them in `ledger`.
  public static func run(
    project: ProjectFile, inventory: Inventory, app: String?, stage: String?,
    defaults: SSHDefaults, forks: Int, into ledger: Ledger
  ) throws(DeployError) -> Report {
    if let app, project.app(named: app) == nil {
      throw .usage("no app named \(String(reflecting: app)) in \(project.path)")
    }
    let resolver = try SSHTargetResolver(defaults: defaults)
    var hosts: [String: DeployHost] = [:]
    for config in project.apps where app == nil || config.name == app {
      for stageName in config.stages ?? project.stages where stage == nil || stageName == stage {
        let plan = try StagePlan.resolve(
          project: project, inventory: inventory, appName: config.name, stage: stageName,
          resolver: resolver)
        for host in plan.hosts { hosts[host.name + "\u{0}" + host.layout.journal] = host }
      }
    }
    let transport = TransportSelector()
    let targets = hosts.values.sorted { $0.name < $1.name }
    let results = ParallelHosts.map(targets, forks: forks) {
      host -> Result<String, SSHError> in
      do throws(SSHError) {
        let connection = try transport.connect(host.target)
        defer { connection.close() }
        let output = try connection.capture(
          RemoteCommand(JournalCommands.read(host.layout), timeout: 120))
        return .success(output.stdoutText)
      } catch {
        return .failure(error)
      }
    }
    var statuses: [ExitStatus] = []
    var warnings: [String] = []
    var records: [DeploymentRecord] = []
    for (host, result) in zip(targets, results) {
      switch result {
      case .success(let text):
        let parsed = Journal.parse(text)
        if !parsed.skippedLines.isEmpty {
          warnings.append(
            "\(host.name):\(host.layout.journal): skipped unreadable lines "
              + parsed.skippedLines.map(String.init).joined(separator: ", "))
        }
        records += DeploymentRecord.merge(parsed.entries)
      case .failure(let error):
        warnings.append(
          "journal of \(host.name) not read (the ledger answers for it): " + error.description)
        statuses.append(error.exitStatus)
      }
    }
    try ledger.record(records)
    return Report(status: ExitStatus.combining(statuses), warnings: warnings)
  }
}
