/// How one attempt of a run ended on one host. The raw values are the journal's spelling, and the
/// build runner's shell script writes them too, so a published value never changes meaning.
public enum RunOutcome: String, Sendable, Codable, CaseIterable {
  /// Started and not finished yet (or its end was never recorded).
  case running
  case succeeded
  /// A build or activation step failed.
  case failed
  /// Stopped on purpose (Ctrl-C, a signal) before it finished.
  case interrupted
  /// The process doing the work disappeared without recording an end (host rebooted, killed).
  case lost
  /// Deployed, but the health check failed and the previous build was put back.
  case rolledBack = "rolled-back"

  /// Whether the attempt has ended; a finished attempt never goes back to `running`.
  public var isFinished: Bool { self != .running }
}
