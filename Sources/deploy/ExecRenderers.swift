import DeployBuildAPI
import DeployExec
import DeployInventory
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell
import Synchronization

/// Turns the events of a `deploy exec` run into output. People and programs get two renderers of
/// the same events, so the two can never disagree about what happened.
protocol ExecRenderer: RunEventSink {
  /// Warnings about the run as configured, before any host is contacted.
  func warnings(for targets: [SSHTarget])
  func summary(_ results: [HostResult], duration: Double)
}

extension ExecRenderer {
  func warnings(for targets: [SSHTarget]) {
    let unchecked = targets.filter { $0.hostKeyPolicy == .off }.map(\.name)
    if !unchecked.isEmpty {
      Terminal.standardError.write(
        "WARNING: host key checking is OFF for \(unchecked.joined(separator: ", ")): "
          + "anyone in the middle can impersonate these hosts and read everything sent.\n")
    }
  }
}

/// Output for a terminal or a log: lines prefixed by host as they arrive (or grouped per host),
/// then a summary with every failure explained.
final class TerminalExecRenderer: ExecRenderer, Sendable {
  private let grouped: Bool
  private let out = Terminal.standardOutput
  private let buffers = LineBuffers()
  /// Hosts moved to the OpenSSH transport, by reason: said once, in the summary.
  private let switched = Mutex<[String: [String]]>([:])

  init(grouped: Bool) { self.grouped = grouped }

  func handle(_ event: RunEvent) {
    switch event {
    case .transportSwitched(let host, let reason):
      switched.withLock { $0[reason, default: []].append(host) }
    case .output(let host, let stream, let bytes):
      guard !grouped else { return }
      emitLines(host: host, stream: stream, bytes: bytes, flush: false)
    case .hostFinished(let result):
      if grouped {
        printBlock(result)
      } else {
        emitLines(host: result.host, stream: .stdout, bytes: [], flush: true)
        emitLines(host: result.host, stream: .stderr, bytes: [], flush: true)
      }
    }
  }

  private func emitLines(host: String, stream: StandardStream, bytes: [UInt8], flush: Bool) {
    let lines = buffers.lines(host + (stream == .stdout ? "|" : "!"), bytes, flush: flush)
    guard !lines.isEmpty else { return }
    let prefix =
      stream == .stdout ? out.paint(host, .cyan) + " | " : out.paint(host, .yellow) + " ! "
    out.write(lines.map { prefix + $0 + "\n" }.joined())
  }

  private func printBlock(_ result: HostResult) {
    var text = out.paint("== \(result.host) ", .bold) + status(result) + "\n"
    if !result.stdout.isEmpty { text += terminated(result.stdout) }
    if !result.stderr.isEmpty { text += out.paint(terminated(result.stderr), .yellow) }
    out.write(text)
  }

  private func terminated(_ bytes: [UInt8]) -> String {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.hasSuffix("\n") ? text : text + "\n"
  }

  private func status(_ result: HostResult) -> String {
    switch result.outcome {
    case .succeeded(let run):
      return out.paint("ok", .green) + " (exit 0, \(seconds(run.duration)))"
    case .failed(let run):
      return out.paint("FAILED", .red) + " (\(describe(run)), \(seconds(run.duration)))"
    case .error(let error):
      return out.paint(error.kind.uppercased(), .red)
    }
  }

  func summary(_ results: [HostResult], duration: Double) {
    let notes = switched.withLock { $0 }
    for (reason, hosts) in notes.sorted(by: { $0.key < $1.key }) {
      Terminal.standardError.write(
        "note: \(hosts.sorted().joined(separator: ", ")) \(hosts.count == 1 ? "uses" : "use") "
          + "the OpenSSH transport: \(reason)\n")
    }
    var counts: [String: Int] = [:]
    for result in results { counts[result.outcome.label, default: 0] += 1 }
    var problems = ""
    for result in results {
      switch result.outcome {
      case .succeeded: continue
      case .failed(let run):
        problems += out.paint("\(result.host): \(describe(run))", .red) + "\n"
      case .error(let error):
        problems += out.paint(error.description, .red) + "\n"
      }
    }
    let order = ["ok", "failed"]
    let parts = counts.keys.sorted {
      (order.firstIndex(of: $0) ?? 9, $0) < (order.firstIndex(of: $1) ?? 9, $1)
    }.map { "\(counts[$0]!) \($0)" }
    Terminal.standardError.write(
      problems + "\(results.count) host\(results.count == 1 ? "" : "s"): "
        + parts.joined(separator: ", ") + " in \(seconds(duration))\n")
  }
}

/// One JSON object per host result, one per line, for programs.
final class JSONExecRenderer: ExecRenderer, Sendable {
  func handle(_ event: RunEvent) {
    guard case .hostFinished(let result) = event else { return }
    var object: [String: JSONValue] = [
      "event": "exec-result", "host": .string(result.host),
      "status": .string(result.outcome.label),
      "duration": .number(result.duration),
      "stdout": .string(String(decoding: result.stdout, as: UTF8.self)),
      "stderr": .string(String(decoding: result.stderr, as: UTF8.self)),
      "transport": result.transport.map(JSONValue.string) ?? .null,
    ]
    switch result.outcome {
    case .succeeded(let run), .failed(let run):
      object["exit_status"] =
        run.signal == nil && !run.timedOut ? .number(Double(run.exitStatus)) : .null
      object["signal"] = run.signal.map(JSONValue.string) ?? .null
      object["timed_out"] = .bool(run.timedOut)
    case .error(let error):
      object["error"] = JSONEvents.error(code: error.kind, message: error.description)
    }
    JSONEvents.write(object)
  }

  func summary(_ results: [HostResult], duration: Double) {}
}

/// How a command that ran ended, in words.
func describe(_ run: CommandResult) -> String {
  if run.timedOut { return "timed out after \(seconds(run.duration))" }
  if let signal = run.signal { return "killed by signal \(signal)" }
  return "exit \(run.exitStatus)"
}

func seconds(_ value: Double) -> String {
  String(format: "%.2fs", value)
}
