import ArgumentParser
import DeployBadges
import DeployBuildAPI
import DeployInventory
import DeployPipeline
import DeploySupport
import Foundation

struct BadgesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "badges",
    abstract: "Write a status badge (SVG) and a shields.io endpoint JSON per app and stage.",
    discussion: """
      Files are named APP-STAGE.svg and APP-STAGE.json and rewritten only when their content \
      changes (so a web server's caches and mtimes stay meaningful). The version is the one \
      the stage runs; a stage whose hosts disagree gets an orange badge, one with nothing \
      deployed a grey one.
      """)

  @Option(
    name: [.short, .customLong("output")], help: "Folder to write to (default: badges_path).")
  var output: String?

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      let (projectFile, inventory) = try project.load(connection)
      guard let folder = output ?? projectFile.badgesPath else {
        throw DeployError.usage(
          "where to? pass --output DIR (or set badges_path in a deployer.ini)")
      }
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw DeployError.unreadableFile(path: folder, reason: "cannot create it: \(error)")
      }
      let (table, status) = try StatusTable.gather(
        project: projectFile, inventory: inventory,
        defaults: connection.defaults(project: projectFile),
        forks: connection.forks(project: projectFile))
      var written = 0
      for row in table.rows {
        for cell in row.cells {
          let badge: Badge
          if let version = cell.version {
            badge = Badge(label: "\(row.app) \(cell.stage)", message: version, color: .brightgreen)
          } else if cell.isMixed {
            badge = Badge(label: "\(row.app) \(cell.stage)", message: "mixed", color: .orange)
          } else {
            badge = Badge(label: "\(row.app) \(cell.stage)", message: "none", color: .lightgrey)
          }
          let paths = try BadgeWriter.write(badge, basename: "\(row.app)-\(cell.stage)", to: folder)
          written += paths.count
          for path in paths { Terminal.standardOutput.write("wrote \(path)\n") }
        }
      }
      Terminal.standardOutput.write("\(written) file(s) written in \(folder)\n")
      return status
    }
  }
}
