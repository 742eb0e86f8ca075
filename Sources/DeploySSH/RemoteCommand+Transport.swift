import HostShell

extension RemoteCommand {
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
