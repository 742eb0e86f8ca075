import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Timeouts are enforced on the host: closing an SSH channel does not stop the command behind
/// it (sshd lets it run on), so a command with a timeout runs under coreutils' `timeout`, which
/// signals the command's whole process group. Both transports send the same wire command.
extension RemoteCommand {
  /// Seconds between TERM and KILL for a command that ignores TERM.
  static let killGrace: Double = 5

  /// The command line actually sent to the host.
  public var wireCommand: String {
    guard let timeout else { return command }
    let seconds = String(format: "%.3f", timeout)
    return "timeout -s TERM -k \(Int(Self.killGrace)) \(seconds) \"${SHELL:-/bin/sh}\" -c "
      + ShellQuote.word(command)
  }

  /// Seconds after which the controller gives up waiting, even if the host-side `timeout`
  /// never reported back (a host that stopped answering).
  var backstopTimeout: Double? {
    timeout.map { $0 + Self.killGrace + 10 }
  }

  /// Turns what the host reported into a result, recognising the `timeout` wrapper's statuses.
  func interpret(exitStatus: Int32, signal: String?, duration: Double) -> CommandResult {
    if let timeout, duration >= timeout, signal == nil, exitStatus == 124 || exitStatus == 137 {
      return CommandResult(exitStatus: exitStatus, timedOut: true, duration: duration)
    }
    return CommandResult(exitStatus: exitStatus, signal: signal, duration: duration)
  }
}
