import DeployBuildAPI
import DeployInventory
import DeployPlay
import DeploySupport
import Foundation

/// `deploy play` in a GitHub Actions job: secrets given with `-e` masked before anything is
/// printed, an error annotation per failed or unreachable host, the outputs and a recap table
/// in the job summary.
enum PlayGitHubActions {
  /// `-e` variables whose names say they are secret; `--mask NAME` adds others.
  static func isSecretName(_ name: String) -> Bool {
    let lower = name.lowercased()
    return ["password", "passwd", "secret", "token", "private_key", "api_key"].contains {
      lower.contains($0)
    }
  }

  static func maskSecrets(_ variables: [String: VarValue], named extra: [String]) {
    for (name, value) in variables where isSecretName(name) || extra.contains(name) {
      if let text = value.stringValue { GitHubActions.mask(text) }
    }
  }

  static func report(_ stats: [HostStats], playbook: String, status: ExitStatus) {
    let failed = stats.filter { $0.failed > 0 || $0.unreachable > 0 }
    let outcome = status == .success ? "succeeded" : "failed"
    GitHubActions.setOutputs([
      ("run-id", ""), ("version", ""), ("commit", ""), ("outcome", outcome),
      ("hosts-failed", String(failed.count)), ("exit-code", String(status.rawValue)),
    ])
    var text = "### deploy play \(GitHubActions.cell(playbook)): \(outcome)\n\n"
    text += "| Host | ok | changed | unreachable | failed | skipped | rescued | ignored |\n"
    text += "|---|---|---|---|---|---|---|---|\n"
    for host in stats {
      text +=
        "| \(GitHubActions.cell(host.host)) | \(host.ok) | \(host.changed) | \(host.unreachable)"
        + " | \(host.failed) | \(host.skipped) | \(host.rescued) | \(host.ignored) |\n"
    }
    GitHubActions.appendSummary(text + "\nExit code \(status.rawValue).\n\n")
  }
}

/// Passes every event on, and annotates failures as GitHub shows errors.
final class GitHubPlayRenderer: PlayRenderer, @unchecked Sendable {
  private let base: any PlayRenderer

  init(wrapping base: any PlayRenderer) { self.base = base }

  func handle(_ event: PlayEvent) {
    base.handle(event)
    switch event {
    case .hostResult(let result) where result.status == .failed:
      var properties = [("title", "host \(result.host)")]
      if let location = result.location {
        properties.append(("file", GitHubActions.workspaceRelative(location.file)))
        if let line = location.line { properties.append(("line", String(line))) }
      }
      Terminal.standardError.write(
        GitHubActions.command(
          "error", properties, "\(result.task): \(result.message ?? "failed")") + "\n")
    case .hostUnreachable(let host, let error):
      Terminal.standardError.write(
        GitHubActions.command("error", [("title", "host \(host)")], error.description) + "\n")
    default: break
    }
  }

  func finished(duration: Double) { base.finished(duration: duration) }
}
