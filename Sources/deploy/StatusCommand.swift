import ArgumentParser
import DeployBuildAPI
import DeployConfig
import DeployExec
import DeployInventory
import DeployPipeline
import DeploySSH
import DeploySupport
import Foundation
import HostShell

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "For every app, the version each stage runs (also: `deploy` with no arguments).",
    discussion: """
      Between adjacent stages, `>` marks a version waiting for promotion (the left stage runs \
      a newer one) and `<!` a regression (the later stage runs a newer one than the stage \
      before it). A stage whose hosts disagree is shown per host and flagged.
      """)

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus { try showStatus(project: project, connection: connection) }
  }
}

/// Reads what every host of every app's stages runs, and prints the table.
func showStatus(project projectOptions: ProjectOptions, connection: ConnectionOptions)
  throws(DeployError) -> ExitStatus
{
  let (project, inventory) = try projectOptions.load(connection)
  let (table, status) = try StatusTable.gather(
    project: project, inventory: inventory, defaults: connection.defaults(project: project),
    forks: connection.forks(project: project))
  if connection.json {
    Terminal.standardOutput.write(table.json.serialized + "\n")
  } else {
    Terminal.standardOutput.write(render(table))
  }
  return status
}

private func render(_ table: StatusTable) -> String {
  let out = Terminal.standardOutput
  guard !table.rows.isEmpty else { return "no apps in the project file\n" }
  var text = ""
  for row in table.rows {
    text += out.paint(row.app, .bold) + "  (\(row.kind))\n"
    for (index, cell) in row.cells.enumerated() {
      var line = "  " + cell.stage.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
      if let version = cell.version {
        line += version
      } else if cell.hosts.allSatisfy({ $0.version == nil && $0.error == nil }) {
        line += out.paint("-", .dim)
      } else {
        let parts = cell.hosts.map { "\($0.host): \($0.version ?? $0.error ?? "-")" }
        line += out.paint("≠ ", .yellow) + parts.joined(separator: ", ")
      }
      if index < row.marks.count {
        switch row.marks[index] {
        case .pending:
          line += "   " + out.paint("> pending promotion to \(row.cells[index + 1].stage)", .blue)
        case .regression:
          line += "   " + out.paint("<! \(row.cells[index + 1].stage) runs a newer version", .red)
        case .none: break
        }
      }
      text += line + "\n"
    }
  }
  return text
}

extension StatusTable {
  var json: JSONValue {
    .array(
      rows.map { row in
        .object([
          "app": .string(row.app), "kind": .string(row.kind),
          "stages": .array(
            row.cells.map { cell in
              .object([
                "stage": .string(cell.stage),
                "version": cell.version.map(JSONValue.string) ?? .null,
                "mixed": .bool(cell.isMixed),
                "hosts": .object(
                  Dictionary(
                    uniqueKeysWithValues: cell.hosts.map {
                      ($0.host, $0.version.map(JSONValue.string) ?? .null)
                    })),
              ])
            }),
          "marks": .array(row.marks.map { .string($0.rawValue) }),
        ])
      })
  }
}
