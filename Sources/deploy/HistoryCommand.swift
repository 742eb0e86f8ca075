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
        let sync = try JournalSync.run(
          project: projectFile, inventory: inventory, app: app, stage: stage,
          defaults: connection.defaults(project: projectFile),
          forks: connection.forks(project: projectFile), into: ledger)
        for warning in sync.warnings { Terminal.standardError.write("warning: \(warning)\n") }
        status = sync.status
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
