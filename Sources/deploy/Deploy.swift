import ArgumentParser
import DeployKit

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
    subcommands: [
      DeployAppCommand.self, ExecCommand.self, InventoryCommand.self, LogsCommand.self,
      BuildsCommand.self, HistoryCommand.self, LockCommand.self, UnlockCommand.self,
      RollbackCommand.self, StatusCommand.self, BadgesCommand.self,
      BuildAPICommand.self, PlayCommand.self,
    ],
    defaultSubcommand: DeployAppCommand.self
  )
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
    status = try body()
  } catch let error as DeployError {
    Terminal.standardError.write(
      (github ? GitHubActions.annotation(for: error) : error.description) + "\n")
    if github { GitHubActions.reportFailure(error) }
    status = error.exitStatus
  }
  if status != .success { throw ExitCode(status.rawValue) }
}
