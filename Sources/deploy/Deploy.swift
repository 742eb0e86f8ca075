import ArgumentParser
import DeployBuildAPI
import DeployInventory
import DeploySupport
import Foundation

@main
struct Deploy: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "deploy",
    abstract: "Deploy applications to fleets of Linux hosts over SSH, and roll them back.",
    discussion: """
      Exit codes: 0 success, 1 some hosts failed, 2 usage or configuration error, 3 lock held by \
      someone else, 4 hosts unreachable, 5 host key rejected, 6 authentication failed, \
      7 deployed but health check failed and rolled back, 8 activation failed, 70 internal error.
      """,
    version: "deploy \(DeployVersion.current)",
    subcommands: [
      DeployAppCommand.self, ExecCommand.self, InventoryCommand.self, LogsCommand.self,
      BuildsCommand.self, HistoryCommand.self, LockCommand.self, UnlockCommand.self,
      RollbackCommand.self, StatusCommand.self, BadgesCommand.self,
      BuildAPICommand.self, PlayCommand.self,
    ],
    defaultSubcommand: DeployAppCommand.self
  )

  /// ArgumentParser's own `main`, with `deploy`'s conventions: a usage error exits 2 (the
  /// README's code; ArgumentParser's is 64), and options written before the subcommand
  /// (`deploy -c deploy.yml status`) belong to it instead of making it the default command's
  /// app name.
  static func main() {
    let arguments = SubcommandFirst.reorder(
      Array(CommandLine.arguments.dropFirst()),
      subcommands: configuration.subcommands.map { $0._commandName })
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch {
      switch exitCode(for: error) {
      case .validationFailure:
        Terminal.standardError.write(fullMessage(for: error) + "\n")
        Foundation.exit(ExitStatus.usage.rawValue)
      case .failure where !(error is ExitCode):
        // Not ArgumentParser's and not `deploy`'s own: nothing planned for it, so a bug.
        Terminal.standardError.write(DeployError.internalError("\(error)").description + "\n")
        Foundation.exit(ExitStatus.internalError.rawValue)
      default:
        exit(withError: error)
      }
    }
  }
}

/// Moves a subcommand's name in front of the options written before it.
enum SubcommandFirst {
  /// Options of every subcommand that take a value, so that the value is not taken for the
  /// subcommand's name (`-c status.yml status`).
  static let optionsWithValue: Set<String> = [
    "-c", "--config", "-i", "--inventory", "-u", "--user", "--forks", "--transport",
    "--host-key-checking", "-F", "--ssh-config", "--known-hosts", "--connect-timeout", "-l",
    "--limit",
  ]

  static func reorder(_ arguments: [String], subcommands: [String]) -> [String] {
    var index = 0
    while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "--" {
      let option = arguments[index]
      index += optionsWithValue.contains(option) ? 2 : 1
    }
    guard index > 0, index < arguments.count, subcommands.contains(arguments[index]) else {
      return arguments
    }
    var reordered = arguments
    let name = reordered.remove(at: index)
    reordered.insert(name, at: 0)
    return reordered
  }
}

/// Runs a command body, turning `deploy`'s errors into their message on stderr and their exit
/// status: every failure path of every subcommand goes through here.
func withExitStatus(_ body: () throws -> ExitStatus) throws {
  let status: ExitStatus
  // In a GitHub Actions job: secrets are masked before anything could print them, and errors
  // become annotations (see GitHubActions.swift).
  let github = GitHubActions.isActive
  if github { GitHubActions.maskSecretsFromEnvironment() }
  do {
    // Fault injection for the internal-error path (README, CommandLineTests): a bug cannot be
    // summoned on demand, so this stands in for one.
    if ProcessInfo.processInfo.environment["DEPLOY_INJECT_INTERNAL_ERROR"] == "1" {
      throw InjectedFault()
    }
    status = try body()
  } catch let error as DeployError {
    Terminal.standardError.write(
      (github ? GitHubActions.annotation(for: error) : error.description) + "\n")
    if github { GitHubActions.reportFailure(error) }
    status = error.exitStatus
  } catch let error as ExitCode {
    throw error
  } catch {
    // An error no layer turned into a DeployError or a host's failure: a bug in deploy.
    let bug = DeployError.internalError("\(type(of: error)): \(error)")
    Terminal.standardError.write(
      (github ? GitHubActions.annotation(for: bug) : bug.description) + "\n")
    if github { GitHubActions.reportFailure(bug) }
    status = .internalError
  }
  if status != .success { throw ExitCode(status.rawValue) }
}

/// The stand-in for a bug that `DEPLOY_INJECT_INTERNAL_ERROR=1` throws.
struct InjectedFault: Error, CustomStringConvertible {
  var description: String { "injected by DEPLOY_INJECT_INTERNAL_ERROR=1" }
}
