import ArgumentParser
import DeployBuildAPI
import DeployInventory
import DeployLedger
import DeployPipeline
import DeploySupport
import DeployTemplating
import Foundation
import HostScripts
import HostShell

struct LockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lock",
    abstract: "Lock an app's stage by hand (e.g. during maintenance) until `deploy unlock`.")

  @Argument var app: String
  @Argument var stage: String

  @Option(
    name: [.short, .customLong("message")], help: "Why: shown to anyone who tries to deploy.")
  var message: String

  @Option(
    name: [.short, .customLong("limit")], help: "Only the stage's hosts matching this pattern.")
  var limit: String?

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      let context = try StageContext(
        project: project, connection: connection, app: app, stage: stage, limit: limit)
      let who = Operator.current()
      let owner = LockOwner(
        token: "manual-" + RunID.make(now: Date()), user: who.user, origin: who.origin, app: app,
        stage: stage, since: Timestamp.now, message: message)
      let results = context.onEachHost { host, connection throws(HostFailure) -> LockState? in
        let script: ShellScript
        do throws(DeployError) {
          script = try LockCommands.acquire(host.layout, owner: owner)
        } catch {
          throw .configuration(error)
        }
        let output = try connection.succeed(script, what: "taking the lock", timeout: 60).stdoutText
        return LockCommands.parse(output)
      }
      var statuses: [ExitStatus] = []
      for (host, result) in results {
        switch result {
        case .success(.acquired?):
          Terminal.standardOutput.write("\(host.name): locked\n")
          statuses.append(.success)
        case .success(.held(let holder)?):
          Terminal.standardError.write("\(host.name): \(holder.describe(app: app, stage: stage))\n")
          statuses.append(.lockHeld)
        case .success:
          statuses.append(.hostsFailed)
        case .failure(let failure):
          Terminal.standardError.write("\(host.name): \(failure.message(app: app, stage: stage))\n")
          statuses.append(failure.exitStatus)
        }
      }
      return ExitStatus.combining(statuses)
    }
  }
}

struct UnlockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Release an app's stage lock taken with `deploy lock`; --force removes any lock.",
    discussion: """
      A lock taken by a deploy run is released by that run. If the run was killed, its lock is \
      left over (`deploy` says so, and how old it is): --force removes it, whoever holds it.
      """)

  @Argument var app: String
  @Argument var stage: String

  @Flag(name: .customLong("force"), help: "Remove the lock even if a deploy run holds it.")
  var force = false

  @Option(
    name: [.short, .customLong("limit")], help: "Only the stage's hosts matching this pattern.")
  var limit: String?

  @OptionGroup var project: ProjectOptions
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    try withExitStatus {
      let context = try StageContext(
        project: project, connection: connection, app: app, stage: stage, limit: limit)
      let force = self.force
      let results = context.onEachHost {
        host, connection throws(HostFailure) -> (state: LockState?, answer: String) in
        let output = try connection.succeed(
          LockCommands.remove(host.layout, force: force), what: "removing the lock", timeout: 60
        ).stdoutText
        return (LockCommands.parse(output), output)
      }
      var statuses: [ExitStatus] = []
      for (host, result) in results {
        switch result {
        case .success((.removed(let holder)?, _)):
          Terminal.standardOutput.write(
            "\(host.name): removed the lock (it was \(holder.describe(app: app, stage: stage)))\n")
          statuses.append(.success)
        case .success((.free?, _)):
          Terminal.standardOutput.write("\(host.name): not locked\n")
          statuses.append(.success)
        case .success((.refused(let holder)?, _)):
          Terminal.standardError.write(
            "\(host.name): a deploy run holds the lock, not `deploy lock`:"
              + " \(holder.describe(app: app, stage: stage)); use --force to remove it anyway\n")
          statuses.append(.lockHeld)
        case .success((_, let answer)):
          // Not an answer the remove script gives: say what came back instead of failing mute.
          Terminal.standardError.write(
            "\(host.name): unexpected answer while removing the lock: \(String(reflecting: answer))\n"
          )
          statuses.append(.hostsFailed)
        case .failure(let failure):
          Terminal.standardError.write("\(host.name): \(failure.message(app: app, stage: stage))\n")
          statuses.append(failure.exitStatus)
        }
      }
      return ExitStatus.combining(statuses)
    }
  }
}
