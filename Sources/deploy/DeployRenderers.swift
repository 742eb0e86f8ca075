import DeployBuildAPI
import DeployInventory
import DeployPipeline
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// Turns a deployment's events into output: one renderer for people, one for programs, fed the
/// same events.
protocol DeployRenderer: DeployEventSink {
  func starting(request: GitDeployRequest, hosts: [DeployHost], runID: String)
  func interrupted(releasedLocksOn hosts: [String], runID: String)
  func summary(_ results: [HostDeployResult], request: GitDeployRequest, duration: Double)
}

final class TerminalDeployRenderer: DeployRenderer, @unchecked Sendable {
  private let out = Terminal.standardOutput
  private let app: String
  private let stage: String
  /// Also given each host's line (set before the deployment starts): the GitHub Actions
  /// renderer groups them per host.
  var echo: (@Sendable (_ host: String, _ line: String) -> Void)?

  init(app: String, stage: String) {
    self.app = app
    self.stage = stage
  }

  private func line(_ host: String, _ text: String, failed: Bool = false) {
    let prefix = failed ? out.paint(host, .red) + " ! " : out.paint(host, .cyan) + " | "
    out.write(prefix + text + "\n")
    echo?(host, text)
  }

  func starting(request: GitDeployRequest, hosts: [DeployHost], runID: String) {
    let what: String
    switch (request.mode, request.resume) {
    case (.rollback(let target), _):
      switch target {
      case .previous: what = "rolling back to the previous build (run \(runID))"
      case .run(let id): what = "rolling back to the build of run \(id) (run \(runID))"
      case .version(let version): what = "rolling back to \(version) (run \(runID))"
      }
    case (.activate(let id), _): what = "activating the build of run \(id)"
    case (.build, .latest?): what = "resuming the latest failed run"
    case (.build, .run(let id)?): what = "resuming run \(id)"
    case (.build, nil): what = "\(request.version ?? request.config.ref) as run \(runID)"
    }
    out.write(
      out.paint("deploy \(app) \(stage)", .bold) + ": \(what) on \(hosts.count) host"
        + (hosts.count == 1 ? "" : "s") + "\n")
  }

  func handle(_ event: DeployEvent) {
    switch event {
    case .transportSwitched(let host, let reason):
      line(host, "uses the OpenSSH transport: \(reason)")
    case .waitingForLock(let host, let holder):
      line(host, "waiting for the deploy lock: " + holder.describe(app: app, stage: stage))
    case .locked: break
    case .clearedStaleBuildLock(let host, let runID):
      line(
        host, "removed a stale build .lock of run \(runID) (its runner is gone; run marked lost)")
    case .checkedOut(let host, let commit):
      line(host, "checked out \(commit.prefix(12))")
    case .buildStarted(let host, let runID, let attempt, let runner):
      line(
        host,
        "build started: run \(runID)" + (attempt > 1 ? " attempt \(attempt)" : "")
          + ", detached (\(runner))")
    case .stepEnded(let host, let step, let total):
      let seconds = stepSpan(step.startedAt ?? 0, step.endedAt ?? 0).map { Timestamp.age($1 - $0) }
      let status =
        step.exitCode == 0
        ? out.paint("ok", .green) : out.paint("failed (exit \(step.exitCode ?? -1))", .red)
      line(
        host,
        "step \(step.index)/\(total) \(step.name): \(status)" + (seconds.map { " \($0)" } ?? ""))
    case .buildEnded(let host, let run):
      if run.state == .succeeded {
        line(host, "build " + out.paint("succeeded", .green) + ": \(run.runID)")
      }
    case .detached(let host, let runID):
      line(host, "detached; follow with: deploy logs \(app) \(stage) \(runID) --follow")
    case .activation(let host, let step):
      line(host, step.description)
    case .connectionLost(let host, let error):
      line(host, out.paint(error, .yellow))
    case .reconnected(let host, let runID):
      line(host, "reconnected; following run \(runID)")
    case .hostFinished(let result):
      if let failure = result.failure {
        line(result.host, out.paint(failure.message(app: app, stage: stage), .red), failed: true)
      }
    }
  }

  func interrupted(releasedLocksOn hosts: [String], runID: String) {
    let released =
      hosts.isEmpty
      ? "no lock to release"
      : "released the deploy lock on " + hosts.sorted().joined(separator: ", ")
    Terminal.standardError.write(
      "interrupted: \(released). A build already started keeps running on its hosts:"
        + " deploy logs \(app) \(stage) \(runID) --follow\n")
  }

  func summary(_ results: [HostDeployResult], request: GitDeployRequest, duration: Double) {
    var counts: [String: Int] = [:]
    for result in results {
      let label: String
      if let failure = result.failure {
        label = failure.kind
      } else {
        if case .rollback = request.mode {
          label = "rolled back"
        } else {
          label = request.detach ? "started" : "succeeded"
        }
      }
      counts[label, default: 0] += 1
    }
    let parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    let runs = Set(results.compactMap(\.runID)).sorted()
    out.write(
      "\(app) \(stage): \(results.count) host" + (results.count == 1 ? "" : "s") + ": "
        + parts.joined(separator: ", ") + String(format: " in %.1fs", duration)
        + (runs.isEmpty ? "" : " (run \(runs.joined(separator: ", ")))") + "\n")
  }
}

private func stepSpan(_ start: Int, _ end: Int) -> (Int, Int)? {
  start > 0 && end >= start ? (start, end) : nil
}

/// One JSON object per line: every event as it happens, then a summary.
final class JSONDeployRenderer: DeployRenderer, @unchecked Sendable {
  private func emit(_ object: [String: JSONValue]) { JSONEvents.write(object) }

  func starting(request: GitDeployRequest, hosts: [DeployHost], runID: String) {
    emit([
      "event": "starting", "app": .string(request.app), "stage": .string(request.stage),
      "run": .string(runID), "version": request.version.map(JSONValue.string) ?? .null,
      "hosts": .array(hosts.map { .string($0.name) }),
    ])
  }

  func handle(_ event: DeployEvent) {
    switch event {
    case .transportSwitched(let host, let reason):
      emit([
        "event": "transport", "host": .string(host), "transport": "openssh",
        "error": JSONEvents.error(code: "libssh2-unsupported", message: reason),
      ])
    case .waitingForLock(let host, let holder):
      emit(["event": "waiting-for-lock", "host": .string(host), "holder": holder.json])
    case .locked(let host): emit(["event": "locked", "host": .string(host)])
    case .clearedStaleBuildLock(let host, let runID):
      emit(["event": "stale-build-lock-cleared", "host": .string(host), "run": .string(runID)])
    case .checkedOut(let host, let commit):
      emit(["event": "checked-out", "host": .string(host), "commit": .string(commit)])
    case .buildStarted(let host, let runID, let attempt, let runner):
      emit([
        "event": "build-started", "host": .string(host), "run": .string(runID),
        "attempt": .number(Double(attempt)), "runner": .string(runner),
      ])
    case .stepEnded(let host, let step, let total):
      emit([
        "event": "step-ended", "host": .string(host), "step": .number(Double(step.index)),
        "total": .number(Double(total)), "name": .string(step.name),
        "exit": step.exitCode.map { .number(Double($0)) } ?? .null,
      ])
    case .buildEnded(let host, let run):
      emit([
        "event": "build-ended", "host": .string(host), "run": .string(run.runID),
        "state": .string(run.state.rawValue),
      ])
    case .detached(let host, let runID):
      emit(["event": "detached", "host": .string(host), "run": .string(runID)])
    case .activation(let host, let step):
      emit(
        ["event": "activation", "host": .string(host), "step": .string(step.name)]
          .merging(step.fields) { first, _ in first })
    case .connectionLost(let host, let error):
      emit([
        "event": "connection-lost", "host": .string(host),
        "error": JSONEvents.error(code: "connection-lost", message: error),
      ])
    case .reconnected(let host, let runID):
      emit(["event": "reconnected", "host": .string(host), "run": .string(runID)])
    case .hostFinished(let result):
      emit(["event": "host-finished"].merging(result.json) { $1 })
    }
  }

  func interrupted(releasedLocksOn hosts: [String], runID: String) {
    emit([
      "event": "interrupted", "run": .string(runID),
      "released": .array(hosts.sorted().map(JSONValue.string)),
    ])
  }

  func summary(_ results: [HostDeployResult], request: GitDeployRequest, duration: Double) {
    emit([
      "event": "summary", "app": .string(request.app), "stage": .string(request.stage),
      "hosts": .array(results.map { .object($0.json) }),
      "exit": .number(Double(ExitStatus.combining(results.map(\.exitStatus)).rawValue)),
      "duration": .number((duration * 1000).rounded() / 1000),
    ])
  }
}

extension HostDeployResult {
  var json: [String: JSONValue] {
    var object: [String: JSONValue] = [
      "host": .string(host), "outcome": .string(failure?.kind ?? "ok"),
      "run": runID.map(JSONValue.string) ?? .null, "attempt": .number(Double(attempt)),
      "commit": commit.map(JSONValue.string) ?? .null,
    ]
    if let run { object["state"] = .string(run.state.rawValue) }
    if let failure {
      object["error"] = JSONEvents.error(
        code: failure.kind, message: failure.message(app: "", stage: ""))
    }
    return object
  }
}

extension LockHolder {
  var json: JSONValue {
    .object([
      "owner": owner?.json ?? .null,
      "alive": sessionAlive.map(JSONValue.bool) ?? .null,
      "age": age.map { .number(Double($0)) } ?? .null,
    ])
  }
}

extension JSONValue: ExpressibleByStringLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
}
