import ArgumentParser
import DeployBuildAPI
import DeployInventory
import DeployPlay
import DeploySupport
import DeployTemplating
import Foundation

struct PlayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "play",
    abstract: "Run an Ansible playbook (the common subset) on hosts, e.g. to provision them.",
    discussion: """
      Reads the whole playbook first (roles, task files, templates): an unknown module, keyword \
      or filter stops the run with file:line:column before any host is contacted. Tasks run on \
      all hosts at once; check mode (--check) reports what would change, command and shell \
      included, and changes nothing. Exit status: 0 if no host failed, 1 if a task failed, \
      4/5/6 if a host was unreachable / had a wrong key / refused us, 2 for a bad playbook.
      """)

  @Argument(help: "The playbook file.")
  var playbook: String

  @Option(name: [.short, .customLong("limit")], help: "Only hosts matching this pattern.")
  var limit: String?

  @Option(
    name: [.short, .customLong("extra-vars")],
    help: "Variables: K=V (several separated by spaces), a JSON/YAML mapping, or @FILE.")
  var extraVars: [String] = []

  @Option(name: [.short, .customLong("tags")], help: "Only tasks with these tags (comma list).")
  var tags: [String] = []

  @Option(name: .customLong("skip-tags"), help: "Skip tasks with these tags (comma list).")
  var skipTags: [String] = []

  @Flag(
    name: [.customShort("C"), .customLong("check")],
    help: "Change nothing; report what would change.")
  var check = false

  @Flag(name: [.customShort("D"), .customLong("diff")], help: "Show the changes to files.")
  var diff = false

  @Option(
    name: .customLong("mask"),
    help: ArgumentHelp(
      "In GitHub Actions, hide this -e variable's value in the log (names with password, "
        + "secret or token are hidden anyway)."))
  var mask: [String] = []

  @Flag(
    name: .customLong("syntax-check"),
    help: "Read and check the playbook (roles, task files, templates); contact no host.")
  var syntaxCheck = false

  @OptionGroup var connection: ConnectionOptions

  @OptionGroup var project: ProjectOptions

  func run() throws {
    try withExitStatus {
      let inventory = try loadInventory()
      let book = try Playbook.load(path: playbook)
      var variables: [String: VarValue] = [:]
      for argument in extraVars {
        variables.merge(try ExtraVars.parse(argument)) { $1 }
      }
      if GitHubActions.isActive { PlayGitHubActions.maskSecrets(variables, named: mask) }
      let options = PlayOptions(
        limit: syntaxCheck ? nil : limit, extraVars: variables, tags: Set(tags.flatMap(Self.split)),
        skipTags: Set(skipTags.flatMap(Self.split)), check: check, diff: diff,
        forks: connection.forks, ssh: connection.defaults)
      var renderer: any PlayRenderer =
        connection.json ? JSONPlayRenderer() : TerminalPlayRenderer(diff: diff)
      if GitHubActions.isActive { renderer = GitHubPlayRenderer(wrapping: renderer) }
      let runner = try PlaybookRunner(
        playbook: book, inventory: inventory, options: options, events: renderer)
      if syntaxCheck {
        Terminal.standardOutput.write("\nplaybook: \(playbook)\n")
        return .success
      }
      let started = MonotonicClock.now
      let (stats, status) = runner.run()
      renderer.finished(duration: MonotonicClock.now - started)
      if GitHubActions.isActive {
        PlayGitHubActions.report(stats, playbook: playbook, status: status)
      }
      return status
    }
  }

  private static func split(_ list: String) -> [String] {
    list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty
    }
  }

  /// `-i`, else `$DEPLOY_INVENTORY`, else the project file's inventory; with the
  /// `group_vars/` and `host_vars/` beside the playbook as well as beside the inventory.
  private func loadInventory() throws(DeployError) -> Inventory {
    let folder = (playbook as NSString).deletingLastPathComponent
    let playbookDirectory = folder.isEmpty ? "." : folder
    if connection.inventory != nil || environment("DEPLOY_INVENTORY") != nil {
      return try connection.loadInventory(playbookDirectory: playbookDirectory)
    }
    return try project.load(connection, playbookDirectory: playbookDirectory).1
  }
}
