import DeployBuildAPI
import DeployInventory
import DeployPlay
import DeploySupport
import Foundation
import HostShell
import Synchronization

protocol PlayRenderer: PlayEventSink {
  func finished(duration: Double)
}

/// Ansible's default output: a banner per play and task, a line per host (per loop item), and
/// the PLAY RECAP, so that people who read ansible-playbook's output read ours.
final class TerminalPlayRenderer: PlayRenderer, @unchecked Sendable {
  private let terminal = Terminal.standardOutput
  private let showDiff: Bool

  init(diff: Bool) { showDiff = diff }

  func handle(_ event: PlayEvent) {
    switch event {
    case .playStarted(let name, _):
      terminal.write("\n" + banner("PLAY [\(name)]") + "\n")
    case .noHostsMatched(let play, let pattern):
      terminal.write(
        "\n" + banner("PLAY [\(play)]") + "\n"
          + terminal.paint("skipping: no hosts matched '\(pattern)'", .cyan) + "\n")
    case .taskStarted(let name, let kind, _):
      let title = kind == .handler ? "RUNNING HANDLER [\(name)]" : "TASK [\(name)]"
      terminal.write("\n" + banner(title) + "\n")
    case .hostResult(let result):
      terminal.write(line(result))
    case .hostUnreachable(let host, let error):
      terminal.write(
        terminal.paint("fatal: [\(host)]: UNREACHABLE! => \(error.description)", .red) + "\n")
    case .transportSwitched(let host, let reason):
      terminal.write(terminal.paint("[\(host)] using OpenSSH: \(reason)", .dim) + "\n")
    case .recap(let stats):
      recap(stats)
    }
  }

  private func banner(_ title: String) -> String {
    title + " " + String(repeating: "*", count: max(3, 79 - title.count))
  }

  private func line(_ result: TaskHostResult) -> String {
    var text = ""
    if showDiff {
      for diff in result.diffs { text += UnifiedDiff.render(diff) }
    }
    var host = "[\(result.host)]"
    if let delegated = result.delegatedTo { host = "[\(result.host) -> \(delegated)]" }
    let item = result.item.map { " => (item=\($0))" } ?? ""
    let message = result.message.map { " => \($0)" } ?? ""
    switch result.status {
    case .ok:
      text += terminal.paint("ok: \(host)\(item)", .green) + dim(message) + "\n"
    case .changed:
      text += terminal.paint("changed: \(host)\(item)", .yellow) + dim(message) + "\n"
    case .skipped:
      text += terminal.paint("skipping: \(host)\(item)", .cyan) + "\n"
    case .failed:
      let prefix = result.item == nil ? "fatal: \(host): FAILED!" : "failed: \(host)\(item)"
      text += terminal.paint(prefix + (result.message.map { " => \($0)" } ?? ""), .red) + "\n"
    case .ignored:
      text +=
        terminal.paint("fatal: \(host): FAILED!" + message, .red) + "\n"
        + terminal.paint("...ignoring", .cyan) + "\n"
    case .unreachable:
      text += terminal.paint("fatal: \(host): UNREACHABLE!" + message, .red) + "\n"
    }
    return text
  }

  private func dim(_ text: String) -> String {
    text.isEmpty ? "" : terminal.paint(text, .dim)
  }

  /// Ansible's layout: the host padded to 26 columns, then each count as `name=N` padded to
  /// the name's width plus five.
  private func recap(_ stats: [HostStats]) {
    var text = "\n" + banner("PLAY RECAP") + "\n"
    for host in stats {
      let color: Terminal.Color =
        host.failed > 0 || host.unreachable > 0 ? .red : host.changed > 0 ? .yellow : .green
      let pad = String(repeating: " ", count: max(1, 27 - host.host.count))
      let counts = [
        ("ok", host.ok), ("changed", host.changed), ("unreachable", host.unreachable),
        ("failed", host.failed), ("skipped", host.skipped), ("rescued", host.rescued),
        ("ignored", host.ignored),
      ].map { name, count in
        let value = String(count)
        return "\(name)=\(value)" + String(repeating: " ", count: max(1, 5 - value.count))
      }
      text += terminal.paint(host.host, color) + pad + ": " + counts.joined() + "\n"
    }
    terminal.write(text + "\n")
  }

  func finished(duration: Double) {}
}

/// One JSON object per line: every host result, then a recap object per host.
final class JSONPlayRenderer: PlayRenderer, Sendable {
  /// The play and task under way, named in each result.
  private let current = Mutex<(play: String, task: String)>(("", ""))

  func handle(_ event: PlayEvent) {
    current.withLock { current in handle(event, play: &current.play, task: &current.task) }
  }

  private func handle(_ event: PlayEvent, play: inout String, task: inout String) {
    var object: [String: JSONValue]
    switch event {
    case .playStarted(let name, let hosts):
      play = name
      object = [
        "event": .string("play"), "play": .string(name),
        "hosts": .array(hosts.map(JSONValue.string)),
      ]
    case .noHostsMatched(let name, let pattern):
      object = ["event": .string("no_hosts"), "play": .string(name), "pattern": .string(pattern)]
    case .taskStarted(let name, let kind, let location):
      task = name
      object = [
        "event": .string("task"), "play": .string(play), "task": .string(name),
        "kind": .string(kind.rawValue),
        "location": location.map { .string($0.description) } ?? .null,
      ]
    case .hostResult(let result):
      object = [
        "event": .string("result"), "play": .string(play), "task": .string(result.task),
        "host": .string(result.host), "status": .string(result.status.rawValue),
        "item": result.item.map(JSONValue.string) ?? .null,
        "msg": result.message.map(JSONValue.string) ?? .null,
        "diff": .array(
          result.diffs.map {
            .object([
              "path": .string($0.path), "before": .string($0.before), "after": .string($0.after),
            ])
          }),
      ]
    case .hostUnreachable(let host, let error):
      object = [
        "event": .string("result"), "play": .string(play), "task": .string(task),
        "host": .string(host), "status": .string("unreachable"),
        "error": JSONEvents.error(code: error.kind, message: error.description),
        "exit_status": .number(Double(error.exitStatus.rawValue)),
      ]
    case .transportSwitched(let host, let reason):
      object = [
        "event": "transport", "host": .string(host), "transport": "openssh",
        "error": JSONEvents.error(code: "libssh2-unsupported", message: reason),
      ]
    case .recap(let stats):
      for host in stats {
        let recap: [String: JSONValue] = [
          "event": .string("recap"), "host": .string(host.host), "ok": .number(Double(host.ok)),
          "changed": .number(Double(host.changed)),
          "unreachable": .number(Double(host.unreachable)),
          "failed": .number(Double(host.failed)), "skipped": .number(Double(host.skipped)),
          "rescued": .number(Double(host.rescued)), "ignored": .number(Double(host.ignored)),
        ]
        JSONEvents.write(recap)
      }
      return
    }
    JSONEvents.write(object)
  }

  func finished(duration: Double) {}
}
