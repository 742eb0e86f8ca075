import ArgumentParser
import DeployBuildAPI
import DeployInventory
import DeployLedger
import DeployPipeline
import DeploySSH
import DeploySupport
import DeployTemplating
import HostScripts

struct RollbackCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rollback",
    abstract: "Put an earlier build back on a stage's hosts, restart and verify it.",
    discussion: """
      By default the build served before the current one comes back (the build API's \
      <build_name>.save copy, or the `current` link's previous target). --to takes a run id \
      or a version of any build still on the hosts. Works from any machine: everything is read \
      from the hosts. Takes the deploy lock and is recorded in the journal like a deployment.
      """)

  @Argument var app: String
  @Argument var stage: String?

  @Option(name: .customLong("to"), help: "A run id or version still on the hosts.")
  var target: String?

  @Option(name: .customLong("lock-wait"), help: "Wait this long for someone else's lock.")
  var lockWait: String?

  @Option(
    name: [.short, .customLong("limit")], help: "Only the stage's hosts matching this pattern.")
  var limit: String?

  @Flag(
    name: .customLong("allow-partial"),
    help: "Roll back the hosts that can be reached when some cannot.")
  var allowPartial = false

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      var to = GitDeployRequest.RollbackTarget.previous
      if let target {
        if RunID.isValid(target) {
          to = .run(target)
        } else {
          try GitCommands.validateRef(target)
          to = .version(target)
        }
      }
      let wait = try lockWait.map { text throws(DeployError) -> Double in
        guard let seconds = DurationParser.seconds(text) else {
          throw .usage("--lock-wait: \(String(reflecting: text)) is not a duration")
        }
        return seconds
      }
      let (projectFile, inventory) = try project.load(connection)
      let resolver = try SSHTargetResolver(defaults: connection.defaults(project: projectFile))
      let plan = try StagePlan.resolve(
        project: projectFile, inventory: inventory, appName: app, stage: stage,
        resolver: resolver, limit: limit)
      var request = GitDeployRequest(
        app: plan.app.name, config: try plan.git(), stage: plan.stage, version: target,
        lockWait: wait ?? 0)
      request.mode = .rollback(to)
      request.allowPartial = allowPartial
      return runDeployment(request, plan: plan, project: projectFile, connection: connection)
    }
  }
}
