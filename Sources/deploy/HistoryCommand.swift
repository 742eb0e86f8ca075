import ArgumentParser
import DeployBuildAPI
import DeployConfig
import DeployExec
import DeployInventory
import DeployLedger
import DeployPipeline
import DeploySSH
import DeploySupport
import DeployTemplating
import HostScripts
import HostShell

struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "List deployments, newest first, from the host journals and the local ledger.",
    discussion: """
      The journals on the hosts are the record; the local SQLite ledger indexes them. By \
      default the journals of the stages' hosts are read first and indexed (so a fresh \
      machine, or a CI runner, sees everything); hosts that cannot be reached are reported \
      and the ledger answers for them. --local reads only the ledger.
      """)

  @Argument(help: "Only this app.") var app: String?
  @Argument(help: "Only this stage.") var stage: String?

  @Flag(name: .customLong("local"), help: "Read only the local ledger, contact no host.")
  var local = false

  @Option(name: .customLong("limit"), help: "At most this many runs.")
  var limit: Int = 50

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      let (projectFile, inventory) = try project.load(connection)
      let ledger = try Ledger(path: ledgerPath(projectFile))
      var status = ExitStatus.success
      if !local {
        status = try syncJournals(project: projectFile, inventory: inventory, into: ledger)
      }
      let records = try ledger.records(app: app, stage: stage, limit: nil)
      let runs = Array(HistoryRun.group(records).prefix(limit))
      if connection.json {
        Terminal.standardOutput.write(JSONValue.array(runs.map(\.json)).serialized + "\n")
      } else {
        Terminal.standardOutput.write(table(runs))
      }
      return status
    }
  }

  /// Reads every relevant host journal once and indexes it in the ledger.
  private func syncJournals(project: ProjectFile, inventory: Inventory, into ledger: Ledger)
    throws(DeployError) -> ExitStatus
  {
    if let app, project.app(named: app) == nil {
      throw .usage("no app named \(String(reflecting: app)) in \(project.path)")
    }
    let resolver = try SSHTargetResolver(defaults: connection.defaults(project: project))
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
    let results = ParallelHosts.map(targets, forks: connection.forks(project: project)) {
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
    var records: [DeploymentRecord] = []
    for (host, result) in zip(targets, results) {
      switch result {
      case .success(let text):
        let parsed = Journal.parse(text)
        if !parsed.skippedLines.isEmpty {
          Terminal.standardError.write(
            "warning: \(host.name):\(host.layout.journal): skipped unreadable lines "
              + parsed.skippedLines.map(String.init).joined(separator: ", ") + "\n")
        }
        records += DeploymentRecord.merge(parsed.entries)
      case .failure(let error):
        Terminal.standardError.write(
          "warning: journal of \(host.name) not read (the ledger answers for it): "
            + error.description + "\n")
        statuses.append(error.exitStatus)
      }
    }
    try ledger.record(records)
    return ExitStatus.combining(statuses)
  }

  private func table(_ runs: [HistoryRun]) -> String {
    guard !runs.isEmpty else { return "no deployments recorded\n" }
    let out = Terminal.standardOutput
    let header = [
      "RUN", "APP", "STAGE", "KIND", "VERSION", "COMMIT", "OUTCOME", "HOSTS", "BY", "STARTED",
    ]
    let rows = runs.map { run -> [String] in
      let ok = run.hosts.filter { $0.outcome == .succeeded }.count
      return [
        run.runID, run.app, run.stage, run.kind, run.version, String((run.commit ?? "").prefix(8)),
        run.outcome.rawValue, "\(ok)/\(run.hosts.count)", run.user, Timestamp.utc(run.startedAt),
      ]
    }
    let widths = header.indices.map { column in
      ([header] + rows).map { $0[column].count }.max() ?? 0
    }
    func render(_ cells: [String]) -> String {
      zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
    }
    var text = out.paint(render(header), .bold)
    for (run, row) in zip(runs, rows) {
      let color: Terminal.Color =
        run.outcome == .succeeded ? .green : run.outcome == .running ? .blue : .red
      var cells = row
      cells[6] = cells[6].padding(toLength: widths[6], withPad: " ", startingAt: 0)
      let line = render(row)
      text +=
        out.colored
        ? line.replacingOccurrences(of: cells[6], with: out.paint(cells[6], color)) : line
    }
    return text
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var text = Substring(self)
    while text.last == " " { text = text.dropLast() }
    return String(text)
  }
}
