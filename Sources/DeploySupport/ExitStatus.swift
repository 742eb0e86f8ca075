/// The process exit codes of `deploy`. They are part of the interface (scripts and CI workflows
/// branch on them), so a code's meaning never changes once published; new meanings get new codes.
public enum ExitStatus: Int32, Sendable, CaseIterable {
  /// Everything asked for succeeded on every host.
  case success = 0
  /// At least one host ran the work and it failed (a command exited non-zero, a build step failed).
  case hostsFailed = 1
  /// The command line, the project file or the inventory is wrong; nothing was contacted.
  case usage = 2
  /// The deploy lock is held by someone else (and `--lock-wait` ran out).
  case lockHeld = 3
  /// At least one host could not be reached (refused, timed out, name not resolved, reset).
  case unreachable = 4
  /// At least one host's key was unknown or did not match `known_hosts`: possibly an attack.
  case hostKeyRejected = 5
  /// At least one host refused every authentication method and key that was tried.
  case authenticationFailed = 6
  /// Deployed, but the health check failed, so the previous build was put back.
  case rolledBack = 7
  /// Activation failed (the build API answered an error or not at all); production is unchanged.
  case activationFailed = 8
  /// A bug in `deploy` itself.
  case internalError = 70

  /// When hosts fail in different ways, one code must win. The most alarming wins: a wrong host
  /// key may mean an attack, then credentials, then reachability, then ordinary failures.
  static let precedence: [ExitStatus] = [
    .internalError, .hostKeyRejected, .authenticationFailed, .unreachable, .lockHeld,
    .activationFailed, .rolledBack, .hostsFailed, .usage, .success,
  ]

  /// The exit status for a run whose hosts ended with the given statuses.
  public static func combining(_ statuses: some Sequence<ExitStatus>) -> ExitStatus {
    let present = Set(statuses)
    return precedence.first(where: present.contains) ?? .success
  }
}
