import DeployInventory
import DeployPipeline
import DeploySupport
import Foundation
import HostShell
import Synchronization

/// What `deploy` does differently inside a GitHub Actions job (`GITHUB_ACTIONS=true`): workflow
/// commands (`::error …::`, `::group::`, `::add-mask::`), a Markdown job summary appended to
/// `$GITHUB_STEP_SUMMARY` and step outputs appended to `$GITHUB_OUTPUT`. Colour follows
/// `Terminal` (a job's output is no terminal, so none unless FORCE_COLOR) and nothing prompts
/// (no terminal to prompt on).
enum GitHubActions {
  static var isActive: Bool { environment("GITHUB_ACTIONS") == "true" }

  /// Environment variables whose values are secrets `deploy` reads.
  static let secretVariables = ["DEPLOY_SSH_PASSPHRASE", "DEPLOY_BUILD_API_TOKEN"]

  // MARK: Workflow commands

  /// A command's message: `%`, CR and LF escaped as the runner expects.
  static func escapeData(_ text: String) -> String {
    text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  /// A command's property value: as a message, and `:` and `,` too.
  static func escapeProperty(_ text: String) -> String {
    escapeData(text).replacingOccurrences(of: ":", with: "%3A")
      .replacingOccurrences(of: ",", with: "%2C")
  }

  /// `::name key=value,…::message`, one line.
  static func command(
    _ name: String, _ properties: [(String, String)] = [], _ message: String = ""
  ) -> String {
    let props = properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
    return "::\(name)" + (props.isEmpty ? "" : " " + props) + "::" + escapeData(message)
  }

  /// Tells the runner to hide `value` in every later log line. A multi-line secret (a key) is
  /// masked line by line as well, since the runner matches single lines. On stderr (the runner
  /// reads workflow commands from both streams), so `--json` output stays parseable.
  static func mask(_ value: String, to out: Terminal = .standardError) {
    guard isActive else { return }
    var values: [String] = [value]
    let lines = value.split(whereSeparator: \.isNewline).map(String.init)
    if lines.count > 1 { values += lines }
    for item in values {
      let trimmed = item.trimmingCharacters(in: .whitespaces)
      // Masking a very short value would blank out ordinary words all over the log.
      guard trimmed.count >= 4 else { continue }
      out.write(command("add-mask", [], trimmed) + "\n")
    }
  }

  /// Masks the secrets `deploy` reads from the environment, before anything is printed.
  static func maskSecretsFromEnvironment() {
    for name in secretVariables {
      if let value = environment(name), !value.isEmpty { mask(value) }
    }
  }

  /// The annotation for an error that ends the command.
  static func annotation(for error: DeployError) -> String {
    switch error {
    case .configuration(let location, let message):
      var properties: [(String, String)] = [("file", workspaceRelative(location.file))]
      if let line = location.line { properties.append(("line", String(line))) }
      if let column = location.column { properties.append(("col", String(column))) }
      return command("error", properties, message)
    default:
      let text = error.description
      return command("error", [], text.hasPrefix("error: ") ? String(text.dropFirst(7)) : text)
    }
  }

  /// Annotations point at files relative to the checkout (`$GITHUB_WORKSPACE`).
  static func workspaceRelative(_ path: String) -> String {
    guard let workspace = environment("GITHUB_WORKSPACE"), !workspace.isEmpty else { return path }
    let prefix = workspace.hasSuffix("/") ? workspace : workspace + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
  }

  /// A warning: `::warning::` in a job, else `warning: …` on stderr.
  static func warn(_ message: String) {
    if isActive {
      Terminal.standardError.write(command("warning", [], message) + "\n")
    } else {
      Terminal.standardError.write("warning: \(message)\n")
    }
  }

  // MARK: Files the runner reads after the step

  /// Appends outputs to `$GITHUB_OUTPUT`: `name=value`, or the heredoc form for values with
  /// line breaks (with a delimiter that does not occur in the value).
  static func setOutputs(_ outputs: [(String, String)]) {
    guard isActive, let path = environment("GITHUB_OUTPUT"), !path.isEmpty else { return }
    var text = ""
    for (name, value) in outputs {
      if value.contains("\n") || value.contains("\r") {
        var delimiter = "DEPLOY_EOF"
        while value.contains(delimiter) { delimiter += "_" + UUID().uuidString.prefix(8) }
        text += "\(name)<<\(delimiter)\n\(value)\n\(delimiter)\n"
      } else {
        text += "\(name)=\(value)\n"
      }
    }
    append(text, to: path)
  }

  /// Appends Markdown to `$GITHUB_STEP_SUMMARY`.
  static func appendSummary(_ markdown: String) {
    guard isActive, let path = environment("GITHUB_STEP_SUMMARY"), !path.isEmpty else { return }
    append(markdown, to: path)
  }

  private static func append(_ text: String, to path: String) {
    if !FileManager.default.fileExists(atPath: path) {
      _ = FileManager.default.createFile(atPath: path, contents: nil)
    }
    guard let handle = FileHandle(forWritingAtPath: path) else {
      Terminal.standardError.write("warning: cannot write \(path)\n")
      return
    }
    defer { try? handle.close() }
    _ = try? handle.seekToEnd()
    try? handle.write(contentsOf: Data(text.utf8))
  }

  /// A Markdown table cell: one line, pipes escaped.
  static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "<br>")
      .replacingOccurrences(of: "|", with: "\\|")
  }

  /// Outputs and summary for a command that ended with an error before any host was worked on.
  static func reportFailure(_ error: DeployError) {
    setOutputs([("outcome", "error"), ("exit-code", String(error.exitStatus.rawValue))])
    appendSummary(
      "### deploy: error\n\n```\n\(error.description)\n```\n\n"
        + "Exit code \(error.exitStatus.rawValue): nothing was deployed.\n\n")
  }

  /// Wraps a renderer with the GitHub parts when running in a job; else returns it as is.
  static func renderer(wrapping base: any DeployRenderer, app: String, stage: String, json: Bool)
    -> any DeployRenderer
  {
    guard isActive else { return base }
    let wrapper = GitHubActionsDeployRenderer(
      wrapping: base, app: app, stage: stage,
      annotations: json ? .standardError : .standardOutput)
    if let terminal = base as? TerminalDeployRenderer {
      terminal.echo = { host, text in wrapper.record(host: host, line: text) }
    }
    return wrapper
  }
}

/// Forwards every event to the normal renderer, and adds: a collapsed `::group::` per host with
/// its lines once it finishes, `::error title=host NAME::` for a failed host, `::warning::` for
/// what needs a look, and at the end the job summary and the step outputs.
final class GitHubActionsDeployRenderer: DeployRenderer, Sendable {
  private let base: any DeployRenderer
  private let app: String
  private let stage: String
  private let out: Terminal
  /// Each host's lines until it finishes, and the run id.
  private let state = Mutex<(lines: [String: [String]], runID: String)>(([:], ""))

  init(wrapping base: any DeployRenderer, app: String, stage: String, annotations: Terminal) {
    self.base = base
    self.app = app
    self.stage = stage
    self.out = annotations
  }

  func record(host: String, line: String) {
    state.withLock { $0.lines[host, default: []].append(line) }
  }

  func starting(request: GitDeployRequest, hosts: [DeployHost], runID: String) {
    state.withLock { $0.runID = runID }
    base.starting(request: request, hosts: hosts, runID: runID)
  }

  func handle(_ event: DeployEvent) {
    base.handle(event)
    switch event {
    case .clearedStaleBuildLock(let host, let runID):
      out.write(
        GitHubActions.command(
          "warning", [("title", "host \(host)")],
          "removed a stale build .lock of run \(runID) (its runner is gone; run marked lost)")
          + "\n")
    case .connectionLost(let host, let error):
      out.write(GitHubActions.command("warning", [("title", "host \(host)")], error) + "\n")
    case .hostFinished(let result):
      let detail = state.withLock { $0.lines.removeValue(forKey: result.host) } ?? []
      var text = ""
      if !detail.isEmpty {
        let outcome = result.failure?.kind ?? "ok"
        text += "::group::\(GitHubActions.escapeData(result.host)): \(outcome)\n"
        text += detail.map { $0.replacingOccurrences(of: "::", with: ": :") + "\n" }.joined()
        text += "::endgroup::\n"
      }
      if let failure = result.failure {
        let kind: String
        if case .rolledBack = failure { kind = "warning" } else { kind = "error" }
        text +=
          GitHubActions.command(
            kind, [("title", "host \(result.host)")], failure.message(app: app, stage: stage))
          + "\n"
      }
      out.write(text)
    default: break
    }
  }

  func interrupted(releasedLocksOn hosts: [String], runID: String) {
    base.interrupted(releasedLocksOn: hosts, runID: runID)
    GitHubActions.setOutputs([("run-id", runID), ("outcome", "interrupted")])
    GitHubActions.appendSummary(
      "### deploy \(app) \(stage): interrupted (run `\(runID)`)\n\n"
        + "A build already started keeps running on its hosts: "
        + "`deploy logs \(app) \(stage) \(runID) --follow`\n\n")
  }

  func summary(_ results: [HostDeployResult], request: GitDeployRequest, duration: Double) {
    base.summary(results, request: request, duration: duration)
    let report = GitHubDeployReport(
      results: results, request: request, runID: state.withLock { $0.runID }, duration: duration)
    GitHubActions.setOutputs(report.outputs)
    GitHubActions.appendSummary(report.markdown(app: app, stage: stage))
  }
}

/// A deployment's results as GitHub step outputs and a job summary.
struct GitHubDeployReport {
  var results: [HostDeployResult]
  var request: GitDeployRequest
  var runID: String
  var duration: Double

  var exitStatus: ExitStatus { ExitStatus.combining(results.map(\.exitStatus)) }
  var failedCount: Int { results.filter { $0.failure != nil }.count }

  /// The run that did the work: a resumed run keeps its id, a rollback names its own.
  var runIDs: [String] {
    let ids = Set(results.compactMap(\.runID)).sorted()
    return ids.isEmpty ? [runID] : ids
  }

  var version: String {
    let versions = Set(results.compactMap { $0.run?.metadata.version }.filter { !$0.isEmpty })
    if versions.count == 1, let version = versions.first { return version }
    switch request.mode {
    case .build: return request.version ?? request.config.ref
    default: return versions.sorted().joined(separator: " ")
    }
  }

  var commit: String {
    Set(results.compactMap(\.commit)).sorted().joined(separator: " ")
  }

  /// succeeded, started (detached), rolled-back (a rollback, or a failed health check put the
  /// previous build back), or failed.
  var outcome: String {
    switch exitStatus {
    case .success:
      if case .rollback = request.mode { return "rolled-back" }
      return request.detach ? "started" : "succeeded"
    case .rolledBack: return "rolled-back"
    default: return "failed"
    }
  }

  func hostOutcome(_ result: HostDeployResult) -> String {
    if let failure = result.failure { return failure.kind }
    if case .rollback = request.mode { return "rolled-back" }
    if case .activate = request.mode { return "activated" }
    return request.detach ? "started" : "succeeded"
  }

  var outputs: [(String, String)] {
    [
      ("run-id", runIDs.joined(separator: " ")), ("version", version), ("commit", commit),
      ("outcome", outcome), ("hosts-failed", String(failedCount)),
      ("exit-code", String(exitStatus.rawValue)),
    ]
  }

  func markdown(app: String, stage: String) -> String {
    let run = runIDs.joined(separator: ", ")
    var text = "### deploy \(app) \(stage) \(version): \(outcome)\n\n"
    text += "Run `\(run)`"
    if case .activate(let id) = request.mode { text += " (activating the build of run `\(id)`)" }
    text += String(format: ", %.1fs.\n\n", duration)
    text += "| Host | Outcome | Version | Commit | Duration | Message |\n"
    text += "| --- | --- | --- | --- | ---: | --- |\n"
    for result in results {
      let ok = result.failure == nil
      let message = result.failure.map { $0.message(app: app, stage: stage) } ?? ""
      let hostVersion = result.run?.metadata.version ?? ""
      text +=
        "| \(GitHubActions.cell(result.host)) | \(ok ? "✅" : "❌") \(hostOutcome(result)) | "
        + "\(GitHubActions.cell(hostVersion.isEmpty ? version : hostVersion)) | "
        + "\(result.commit.map { "`\($0.prefix(12))`" } ?? "") | "
        + String(format: "%.1fs", result.duration) + " | \(GitHubActions.cell(message)) |\n"
    }
    text += "\n**\(outcome)**: \(results.count - failedCount) of \(results.count) host"
    text += (results.count == 1 ? "" : "s") + " ok, exit code \(exitStatus.rawValue).\n\n"
    if request.detach, exitStatus == .success, let id = runIDs.first {
      text += "The build runs detached on the hosts. Follow it with:\n\n"
      text += "```sh\ndeploy logs \(app) \(stage) \(id) --follow\n```\n\n"
      text +=
        "and, once it succeeded, activate it with `deploy \(app) \(stage) --activate \(id)`.\n\n"
    }
    return text
  }
}
