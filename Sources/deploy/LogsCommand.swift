import ArgumentParser
import DeployBuild
import DeployBuildAPI
import DeployInventory
import DeployLedger
import DeployPipeline
import DeploySSH
import DeploySupport
import DeployTemplating
import HostScripts
import HostShell

struct LogsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logs",
    abstract: "Show a build run's log from the hosts (the latest run unless RUN-ID is given).",
    discussion: """
      The log lives on the host, so this works from any machine, also after the controller \
      that started the run is gone. With --follow, output continues until the run ends, then \
      its outcome is printed; the exit status is 0 if the run succeeded (or is still running \
      without --follow), 1 if it failed.
      """)

  @Argument var app: String
  @Argument var stage: String?
  @Argument(help: "The run id (default: the latest run on each host).") var runID: String?

  @Flag(name: [.short, .customLong("follow")], help: "Keep printing until the run ends.")
  var follow = false

  @Option(
    name: [.short, .customLong("limit")], help: "Only the stage's hosts matching this pattern.")
  var limit: String?

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      if let runID, !RunID.isValid(runID) {
        throw DeployError.usage("not a run id: \(String(reflecting: runID))")
      }
      let context = try StageContext(
        project: project, connection: connection, app: app, stage: stage, limit: limit)
      let out = Terminal.standardOutput
      let buffers = LineBuffers()
      let prefixed = context.plan.hosts.count > 1
      let follow = self.follow
      let wanted = runID
      let results = context.onEachHost { host, connection throws(HostFailure) -> RunRecord in
        let layout = host.layout
        let runs = try connection.ask(RunRecord.listing(layout, runID: wanted), timeout: 60)
        guard let run = runs.first else {
          throw .nothingToDo(
            wanted.map { "no run \($0) on this host" } ?? "no runs of this app on this host")
        }
        let command = RemoteCommand(
          BuildCommands.showLog(layout, runID: run.runID, follow: follow))
        let emit = { (bytes: [UInt8], flush: Bool) in
          let lines = buffers.lines(host.name, bytes, flush: flush)
          guard !lines.isEmpty else { return }
          let prefix = prefixed ? out.paint(host.name, .cyan) + " | " : ""
          out.write(lines.map { prefix + $0 + "\n" }.joined())
        }
        do throws(SSHError) {
          _ = try connection.run(command) { stream, bytes in
            if stream == .stdout { emit(bytes, false) }
          }
        } catch {
          throw .ssh(error)
        }
        emit([], true)
        // Read the state again: with --follow the run has ended since the listing.
        let final = try connection.ask(RunRecord.listing(layout, runID: run.runID), timeout: 60)
        return final.first ?? run
      }
      var statuses: [ExitStatus] = []
      for (host, result) in results {
        switch result {
        case .success(let run):
          let failed = [.failed, .interrupted, .lost].contains(run.state)
          let text = "== \(host.name): run \(run.runID) \(describeState(run))"
          Terminal.standardError.write(out.paint(text, failed ? .red : .green) + "\n")
          statuses.append(failed ? .hostsFailed : .success)
        case .failure(let failure):
          Terminal.standardError.write(
            out.paint(
              "\(host.name): " + failure.message(app: app, stage: context.plan.stage), .red)
              + "\n")
          statuses.append(failure.exitStatus)
        }
      }
      return ExitStatus.combining(statuses)
    }
  }
}

/// A run's state in a few words: `succeeded`, `failed at step 3/5 'compile' (exit 2)`, …
func describeState(_ run: RunRecord) -> String {
  switch run.state {
  case .failed, .interrupted:
    let step = run.failedStep.flatMap { index in run.steps.first { $0.index == index } }
    return "\(run.state.rawValue) at step \(run.failedStep ?? 0)/\(run.steps.count)"
      + (step.map { " '\($0.name)'" } ?? "") + " (exit \(run.exitCode ?? -1))"
  case .running:
    let done = run.steps.filter(\.done).count
    return "running (\(done)/\(run.steps.count) steps done)"
  case .succeeded, .lost:
    return run.state.rawValue
  }
}
