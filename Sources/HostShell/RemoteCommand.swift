import Foundation

/// Which of a command's output streams a chunk came from.
public enum StandardStream: Sendable, Hashable {
  case stdout
  case stderr
}

/// A command to run on a host. Every command the controller sends is one of these, and its
/// wire form is made in one place (`wireCommand`): the script runs under POSIX `sh` whatever
/// the account's login shell is (fish, csh), as another user only through `sudo -n`, and under
/// coreutils' `timeout` when it has one.
public struct RemoteCommand: Sendable {
  /// How the script reaches a shell on the host.
  public enum Interpreter: Sendable, Hashable {
    /// `sh -c SCRIPT`: every script `deploy` writes.
    case posixShell
    /// The line as it is, to the account's login shell: an operator's `deploy exec` line,
    /// written for the shell they log in with.
    case loginShell
  }

  public var script: ShellScript
  /// What the command is for, in a few words (`listing runs`), for `deploy -v`.
  public var purpose: String?
  public var interpreter: Interpreter
  /// Run as this user (`sudo -n -H -u USER`), never prompting; nil runs as the login user.
  public var user: String?
  /// Bytes written to the command's standard input, then end-of-file.
  public var stdin: [UInt8]
  /// Stop the command after this many seconds and report it as timed out.
  public var timeout: Double?

  public init(
    _ script: ShellScript, stdin: [UInt8] = [], timeout: Double? = nil, user: String? = nil,
    interpreter: Interpreter = .posixShell, purpose: String? = nil
  ) {
    self.script = script
    self.purpose = purpose
    self.interpreter = interpreter
    self.user = user
    self.stdin = stdin
    self.timeout = timeout
  }

  /// For scripts whose commands need root whoever logs in: sets `$S` to nothing when the
  /// script already runs as root and to `sudo -n` otherwise (never prompting: a password
  /// prompt would hang an unattended run), to be used as `$S apt-get …`. A host reached as
  /// root need not have sudo at all, which `user: "root"` would require.
  public static let rootOrSudo: ShellScript =
    #"if [ "$(id -u)" = 0 ]; then S=; else S="sudo -n"; fi"#

  /// Seconds between TERM and KILL for a command that ignores TERM.
  public static let killGrace: Double = 5

  /// The command line actually sent to the host. Timeouts are enforced on the host: closing an
  /// SSH channel does not stop the command behind it (sshd lets it run on), so a command with a
  /// timeout runs under `timeout`, which signals the command's whole process group.
  public var wireCommand: ShellScript {
    var command: ShellScript
    switch interpreter {
    case .posixShell: command = "/bin/sh -c \(script.text)"
    case .loginShell:
      command = user == nil && timeout == nil ? script : "\"${SHELL:-/bin/sh}\" -c \(script.text)"
    }
    if let user {
      // -H: the target user's HOME, as Ansible's become does.
      command = "sudo -n -H -u \(user) -- \(command)"
    }
    if let timeout {
      let seconds = ShellScript(verbatim: String(format: "%.3f", timeout))
      command = "timeout -s TERM -k \(Int(Self.killGrace)) \(seconds) \(command)"
    }
    return command
  }
}

/// How a remote command ended.
public struct CommandResult: Sendable, Hashable {
  /// The exit status (meaningless when `signal` is set or `timedOut` is true).
  public var exitStatus: Int32
  /// The signal that killed the command (`TERM`, `KILL`, …), if one did.
  public var signal: String?
  /// The command ran past its timeout and was stopped.
  public var timedOut: Bool
  /// Wall-clock seconds from start to end.
  public var duration: Double

  public init(exitStatus: Int32, signal: String? = nil, timedOut: Bool = false, duration: Double) {
    self.exitStatus = exitStatus
    self.signal = signal
    self.timedOut = timedOut
    self.duration = duration
  }

  public var succeeded: Bool { exitStatus == 0 && signal == nil && !timedOut }
}

/// A finished command with its whole output.
public struct CapturedOutput: Sendable {
  public var result: CommandResult
  public var stdout: [UInt8]
  public var stderr: [UInt8]

  public init(result: CommandResult, stdout: [UInt8], stderr: [UInt8]) {
    self.result = result
    self.stdout = stdout
    self.stderr = stderr
  }

  public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
  public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
