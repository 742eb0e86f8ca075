/// Why `update` or `rollback` did not (fully) happen. Each maps to the HTTP answer the build API
/// gives (`BuildAPI.response`), and its message says what to do.
public enum BuildAPIError: Error, Sendable, Hashable, CustomStringConvertible {
  /// `.lock` exists: a build is writing; swapping now could serve a half-written build.
  case buildInProgress
  /// `rollback` without a `<build>.save` folder.
  case noRollbackCopy
  /// A file operation failed; what is served is unchanged or complete (see `BuildFolder`).
  case fileOperation(String)
  /// The swap happened, then the restart command failed: `what` is "Build updated" or
  /// "Build rolled back".
  case restartFailed(what: String, reason: String)

  public var description: String {
    switch self {
    case .buildInProgress: return "Build in progress"
    case .noRollbackCopy: return "No rollback copy"
    case .fileOperation(let message): return message
    case .restartFailed(let what, let reason):
      return "\(what), but the restart command failed: \(reason)"
    }
  }

  /// The HTTP status the build API answers with.
  public var httpStatus: Int {
    switch self {
    case .buildInProgress, .noRollbackCopy: return 409
    case .fileOperation, .restartFailed: return 500
    }
  }
}
