import DeploySSH
import DeploySupport
import Foundation
import HostShell

/// Where a task's commands run: a host over SSH, or the controller itself for
/// `delegate_to: localhost`.
public protocol CommandRunner: Sendable {
  func capture(_ command: RemoteCommand) throws(SSHError) -> CapturedOutput
}

/// A host over an open SSH connection.
public struct SSHRunner: CommandRunner {
  public let connection: any SSHConnection

  public init(_ connection: any SSHConnection) { self.connection = connection }

  public func capture(_ command: RemoteCommand) throws(SSHError) -> CapturedOutput {
    try connection.capture(command)
  }
}

/// The controller as a command runner: `/bin/sh -c` on this machine.
public struct LocalRunner: CommandRunner {
  public init() {}

  public func capture(_ command: RemoteCommand) throws(SSHError) -> CapturedOutput {
    let started = MonotonicClock.now
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    do {
      let exit = try ChildProcess.run(
        ["/bin/sh", "-c", command.wireCommand.text], stdin: command.stdin,
        timeout: command.timeout.map { $0 + RemoteCommand.killGrace + 10 }
      ) { stream, bytes in
        if stream == .stdout { stdout += bytes } else { stderr += bytes }
      }
      return CapturedOutput(
        result: CommandResult(
          exitStatus: exit.status, signal: exit.signal, timedOut: exit.timedOut,
          duration: MonotonicClock.now - started),
        stdout: stdout, stderr: stderr)
    } catch {
      throw .unreachable(host: "localhost", reason: "\(error)")
    }
  }

}

/// Why a module could not do what the task asked. The task fails on that host (it is not an
/// unreachable host): the message is shown as Ansible shows `msg`.
public struct ModuleFailure: Error, Sendable {
  public var message: String
  /// Return values to register even though the task failed (`rc`, `stdout`, …).
  public var values: [String: VarValue]

  public init(_ message: String, values: [String: VarValue] = [:]) {
    self.message = message
    self.values = values
  }
}

/// A change to one file's content, shown as a unified diff under `--diff`.
public struct FileDiff: Sendable, Hashable {
  public var path: String
  /// The content before (empty for a new file) and after (empty for a removed one).
  public var before: String
  public var after: String

  public init(path: String, before: String, after: String) {
    self.path = path
    self.before = before
    self.after = after
  }
}

/// What a module did (or, in check mode, would do) on one host.
public struct ModuleResult: Sendable {
  public var changed: Bool
  /// A message to show with the result (`debug`'s output, what `command` would run in check mode).
  public var message: String?
  public var diffs: [FileDiff]
  /// Module-specific return values, registered with the result: `rc`, `stdout`, `stat`, …
  /// `ansible_facts` (a map) is merged into the host's variables (`set_fact`).
  public var values: [String: VarValue]
  /// The task did nothing on purpose (`command` with `creates` that exists reports `ok`; this is
  /// for modules that skip themselves, such as check mode of a module that cannot tell).
  public var skipped: Bool
  /// Check mode only: the module did not do its work and cannot know its outcome (`command`
  /// would run), so `changed` is a prediction and the values it would return are absent;
  /// `changed_when`/`failed_when`, which judge those values, are not applied.
  public var simulated: Bool

  public init(
    changed: Bool, message: String? = nil, diffs: [FileDiff] = [],
    values: [String: VarValue] = [:], skipped: Bool = false, simulated: Bool = false
  ) {
    self.changed = changed
    self.message = message
    self.diffs = diffs
    self.values = values
    self.skipped = skipped
    self.simulated = simulated
  }
}

/// Everything a module may use on one host for one task.
public struct ModuleContext: Sendable {
  public var host: String
  public var runner: any CommandRunner
  /// `sudo` to this user around every command (`become: true`), or nil.
  public var becomeUser: String?
  /// The user the connection logged in as (becoming that same user needs no sudo).
  public var remoteUser: String?
  /// Report what would change, change nothing.
  public var checkMode: Bool
  /// Fill `ModuleResult.diffs` where content changes.
  public var diffMode: Bool
  /// The host's variables for this task (the `template` module renders with them).
  public var vars: [String: VarValue]
  /// `environment:` of the task, exported before each command.
  public var environment: [String: String]
  /// Folders on the controller searched, in order, for `src:` of `copy` (their `files/`
  /// subfolder first, then the folder itself) and of `template` (`templates/`, then itself):
  /// the role's folder, then the playbook's.
  public var searchFolders: [String]

  public init(
    host: String, runner: any CommandRunner, becomeUser: String? = nil, remoteUser: String? = nil,
    checkMode: Bool = false, diffMode: Bool = false, vars: [String: VarValue] = [:],
    environment: [String: String] = [:], searchFolders: [String] = []
  ) {
    self.host = host
    self.runner = runner
    self.becomeUser = becomeUser
    self.remoteUser = remoteUser
    self.checkMode = checkMode
    self.diffMode = diffMode
    self.vars = vars
    self.environment = environment
    self.searchFolders = searchFolders
  }

  /// Runs a POSIX shell script on the host (as `becomeUser` if set), with the task's
  /// environment. Connection problems propagate as `SSHError` (the host is unreachable);
  /// the script's own exit status is the caller's to judge.
  public func shell(_ script: ShellScript, stdin: [UInt8] = [], timeout: Double? = nil)
    throws(SSHError) -> CapturedOutput
  {
    // Names were checked when the task was planned (`TaskExecution`); one that is not a
    // variable name could only have come in around that check and is not exported.
    let exports = environment.sorted { $0.key < $1.key }.compactMap { variable -> ShellScript? in
      ShellVariableName(variable.key).map { "export \($0)=\(variable.value)\n" }
    }
    let user = becomeUser == remoteUser ? nil : becomeUser
    return try runner.capture(
      RemoteCommand(
        exports.joined(separator: "") + script, stdin: stdin, timeout: timeout, user: user))
  }

  /// Like `shell`, but a non-zero exit fails the task with the script's error output.
  public func succeed(
    _ script: ShellScript, stdin: [UInt8] = [], what: String, timeout: Double? = nil
  )
    throws -> CapturedOutput
  {
    let output = try shell(script, stdin: stdin, timeout: timeout)
    guard output.result.succeeded else {
      let detail = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      throw ModuleFailure(
        "\(what) failed (exit \(output.result.exitStatus))" + (detail.isEmpty ? "" : ": \(detail)"),
        values: [
          "rc": .int(Int(output.result.exitStatus)), "stdout": .string(output.stdoutText),
          "stderr": .string(output.stderrText),
        ])
    }
    return output
  }

  /// Finds a controller file named by `src:`: absolute as given, else in each search folder's
  /// `kind` subfolder (`files`, `templates`), then in the folder itself.
  public func controllerFile(_ name: String, kind: String) throws(ModuleFailure) -> String {
    if name.hasPrefix("/") {
      guard FileManager.default.fileExists(atPath: name) else {
        throw ModuleFailure("could not find \(name) on the controller")
      }
      return name
    }
    var tried: [String] = []
    for folder in searchFolders {
      for candidate in [folder + "/" + kind + "/" + name, folder + "/" + name] {
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        tried.append(candidate)
      }
    }
    throw ModuleFailure(
      "could not find '\(name)' on the controller; looked in: " + tried.joined(separator: ", "))
  }
}

/// A module's arguments after templating, with typed accessors that fail the task with Ansible's
/// kind of message (`missing required arguments: path`, `unsupported parameter: x`).
public struct ModuleArgs: Sendable {
  public var module: String
  public var values: [String: VarValue]
  /// `command: ls -l` style arguments (for `command`, `shell`), already templated.
  public var freeForm: String?

  public init(module: String, values: [String: VarValue], freeForm: String? = nil) {
    self.module = module
    self.values = values
    self.freeForm = freeForm
  }

  /// Fails on any argument not in `known` (typos in arguments must not be ignored silently);
  /// nil allows any (`set_fact`).
  public func allowOnly(_ known: Set<String>?) throws(ModuleFailure) {
    guard let known else { return }
    let unknown = values.keys.filter { !known.contains($0) }.sorted()
    guard unknown.isEmpty else {
      throw ModuleFailure(
        "unsupported parameter\(unknown.count == 1 ? "" : "s") for \(module): "
          + unknown.joined(separator: ", ")
          + " (supported: \(known.sorted().joined(separator: ", ")))")
    }
  }

  /// The first of `names` present, as a string (numbers and booleans as Ansible prints them).
  public func string(_ names: String...) throws(ModuleFailure) -> String? {
    for name in names {
      guard let value = values[name] else { continue }
      if value == .null { return nil }
      guard let text = value.stringValue else {
        throw ModuleFailure(
          "argument '\(name)' of \(module) must be a string, not a list or mapping")
      }
      return text
    }
    return nil
  }

  public func required(_ names: String...) throws(ModuleFailure) -> String {
    for name in names {
      if let value = values[name], value != .null {
        guard let text = value.stringValue else {
          throw ModuleFailure("argument '\(name)' of \(module) must be a string")
        }
        return text
      }
    }
    throw ModuleFailure("missing required arguments: \(names[0])")
  }

  public func bool(_ name: String, default fallback: Bool) throws(ModuleFailure) -> Bool {
    guard let value = values[name], value != .null else { return fallback }
    guard let flag = value.boolValue else {
      throw ModuleFailure("argument '\(name)' of \(module) must be a boolean, got \(value)")
    }
    return flag
  }

  public func int(_ name: String) throws(ModuleFailure) -> Int? {
    guard let value = values[name], value != .null else { return nil }
    if case .double(let d) = value, d == d.rounded() { return Int(d) }
    guard let number = value.intValue else {
      throw ModuleFailure("argument '\(name)' of \(module) must be an integer, got \(value)")
    }
    return number
  }

  public func double(_ name: String) throws(ModuleFailure) -> Double? {
    guard let value = values[name], value != .null else { return nil }
    switch value {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default:
      guard let text = value.stringValue, let number = Double(text) else {
        throw ModuleFailure("argument '\(name)' of \(module) must be a number, got \(value)")
      }
      return number
    }
  }

  /// A list given as a YAML list or as a comma-separated string (`name: git,tmux`).
  public func list(_ names: String...) throws(ModuleFailure) -> [String]? {
    for name in names {
      guard let value = values[name], value != .null else { continue }
      switch value {
      case .list(let items):
        var result: [String] = []
        for item in items {
          guard let text = item.stringValue else {
            throw ModuleFailure("argument '\(name)' of \(module) must be a list of strings")
          }
          result.append(text)
        }
        return result
      default:
        guard let text = value.stringValue else {
          throw ModuleFailure("argument '\(name)' of \(module) must be a list")
        }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      }
    }
    return nil
  }

  /// One of `choices` (`state: present`), or `fallback` when absent.
  public func choice(_ name: String, _ choices: [String], default fallback: String)
    throws(ModuleFailure) -> String
  {
    guard let text = try string(name) else { return fallback }
    guard choices.contains(text) else {
      throw ModuleFailure(
        "value of \(name) must be one of: \(choices.joined(separator: ", ")), got: \(text)")
    }
    return text
  }

  /// A file mode: `"0644"`, `"644"`, `u=rw,g=r,o=r` is not supported. YAML's unquoted `0644`
  /// reaches us as the integer 420 (octal read by YAML 1.1) or 644 (YAML 1.2); like Ansible,
  /// an integer is taken as the decimal value of the mode bits.
  public func mode(_ name: String = "mode") throws(ModuleFailure) -> Int? {
    guard let value = values[name], value != .null else { return nil }
    if case .int(let bits) = value { return bits }
    guard let text = value.stringValue, !text.isEmpty, text.count <= 5,
      let bits = Int(text, radix: 8)
    else {
      throw ModuleFailure(
        "argument '\(name)' of \(module) must be an octal mode such as '0644', got \(value)")
    }
    return bits
  }
}

/// One module: validates its arguments, reads the host's state, acts only when needed, and in
/// check mode reports what it would do without doing it.
public protocol PlayModule: Sendable {
  /// The short name (`copy`), as playbooks write it after an optional `ansible.builtin.`.
  static var name: String { get }
  /// The arguments it accepts (nil: any, as `set_fact`). Literal argument names are checked
  /// against it before any host is contacted, and every call checks them again.
  static var arguments: Set<String>? { get }
  /// Throws `ModuleFailure` when the task fails on this host, `SSHError` (from
  /// `ModuleContext.shell`) when the host cannot be reached.
  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult
}
