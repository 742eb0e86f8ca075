import ArgumentParser
import DeployBuild
import DeployBuildAPI
import DeployInventory
import DeployPipeline
import DeploySupport
import DeployTemplating
import HostScripts

struct BuildsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "builds",
    abstract: "List the runs and builds of an app on its stage's hosts.",
    discussion: """
      Per host: the deploy lock, every run (running, succeeded, failed, lost) with its steps, \
      and the builds in the build folder: `current` is the served build (build_name), \
      `latest` the newest build_time, the others `available`.
      """)

  @Argument var app: String
  @Argument var stage: String?

  @Option(
    name: [.short, .customLong("limit")], help: "Only the stage's hosts matching this pattern.")
  var limit: String?

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  struct HostBuilds: Sendable {
    var lock: LockState?
    var runs: [RunRecord]
    var folder: BuildFolderListing
  }

  func run() throws {
    try withExitStatus {
      let context = try StageContext(
        project: project, connection: connection, app: app, stage: stage, limit: limit)
      let results = context.onEachHost { host, connection throws(HostFailure) -> HostBuilds in
        let layout = host.layout
        return HostBuilds(
          lock: try connection.ask(LockCommands.inspection(layout), timeout: 60),
          runs: try connection.ask(RunRecord.listing(layout), timeout: 60),
          folder: try connection.ask(BuildFolderListing.listing(layout), timeout: 60))
      }
      let buildName = try context.plan.git().buildName
      if connection.json {
        for (host, result) in results {
          Terminal.standardOutput.write(
            JSONValue.object(json(host: host, result: result, buildName: buildName)).serialized
              + "\n")
        }
      } else {
        for (host, result) in results {
          Terminal.standardOutput.write(text(host: host, result: result, buildName: buildName))
        }
      }
      return ExitStatus.combining(results.map { $0.result.failureStatus })
    }
  }

  private func text(
    host: DeployHost, result: Result<HostBuilds, HostFailure>, buildName: String?
  ) -> String {
    let out = Terminal.standardOutput
    var text = out.paint(host.name, .bold) + "  \(host.layout.root)\n"
    switch result {
    case .failure(let failure):
      return text + "  " + out.paint(failure.message(app: app, stage: stage ?? ""), .red) + "\n"
    case .success(let builds):
      switch builds.lock {
      case .held(let holder)?:
        text +=
          "  lock: " + out.paint(holder.describe(app: app, stage: stage ?? ""), .yellow) + "\n"
      default: text += "  lock: free\n"
      }
      text += "  runs:" + (builds.runs.isEmpty ? " none\n" : "\n")
      for run in builds.runs {
        let state = describeState(run)
        let color: Terminal.Color =
          run.state == .succeeded ? .green : run.state == .running ? .blue : .red
        var line = "    \(run.runID)  " + out.paint(state, color)
        line += "  \(run.metadata.version) \(run.metadata.commit.prefix(12))"
        if run.attempt > 1 { line += "  attempt \(run.attempt)" }
        if run.metadata.started > 0 { line += "  started \(Timestamp.utc(run.metadata.started))" }
        if let ended = run.endedAt { line += "  ended \(Timestamp.utc(ended))" }
        text += line + "\n"
      }
      let labels = builds.folder.labels(servedAs: buildName)
      text +=
        "  builds in \(host.layout.buildFolder):"
        + (builds.folder.builds.isEmpty ? " none\n" : "\n")
      for build in builds.folder.newestFirst {
        text +=
          "    \(build.folder)  build_time \(build.buildTime ?? "?")  "
          + (labels[build.folder] ?? "") + (build.info["version"].map { "  \($0)" } ?? "") + "\n"
      }
      if let lock = builds.folder.lock {
        text +=
          "  " + out.paint("building now (.lock: \(lock.isEmpty ? "no run id" : lock))", .blue)
          + "\n"
      }
      if let last = builds.folder.history.last {
        text +=
          "  .build_history: \(builds.folder.history.count) builds, last \(last.date)"
          + " (\(last.workflow))\n"
      }
      return text
    }
  }

  private func json(
    host: DeployHost, result: Result<HostBuilds, HostFailure>, buildName: String?
  ) -> [String: JSONValue] {
    var object: [String: JSONValue] = ["host": .string(host.name)]
    switch result {
    case .failure(let failure):
      object["error"] = .string(failure.message(app: app, stage: stage ?? ""))
      object["outcome"] = .string(failure.kind)
    case .success(let builds):
      if case .held(let holder)? = builds.lock {
        object["lock"] = holder.json
      } else {
        object["lock"] = .null
      }
      object["runs"] = .array(
        builds.runs.map { run in
          .object([
            "run": .string(run.runID), "state": .string(run.state.rawValue),
            "attempt": .number(Double(run.attempt)), "version": .string(run.metadata.version),
            "commit": .string(run.metadata.commit),
            "failed_step": run.failedStep.map { .number(Double($0)) } ?? .null,
            "steps": .array(
              run.steps.map { step in
                .object([
                  "index": .number(Double(step.index)), "name": .string(step.name),
                  "done": .bool(step.done),
                  "exit": step.exitCode.map { .number(Double($0)) } ?? .null,
                ])
              }),
          ])
        })
      let labels = builds.folder.labels(servedAs: buildName)
      object["builds"] = .array(
        builds.folder.builds.map { build in
          .object([
            "folder": .string(build.folder), "status": .string(labels[build.folder] ?? ""),
            "info": .object(build.info.mapValues(JSONValue.string)),
          ])
        })
      object["building"] = builds.folder.lock.map(JSONValue.string) ?? .null
      object["history"] = .array(
        builds.folder.history.map {
          .object(["date": .string($0.date), "workflow": .string($0.workflow)])
        })
    }
    return object
  }
}

extension Result where Failure == HostFailure {
  var failureStatus: ExitStatus {
    switch self {
    case .success: return .success
    case .failure(let failure): return failure.exitStatus
    }
  }
}
