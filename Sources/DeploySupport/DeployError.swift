/// Errors that end a whole `deploy` invocation before or outside per-host work. Each case has a
/// message a user can act on and a stable exit status. Per-host failures are `HostFailure`s.
public enum DeployError: Error, Sendable, CustomStringConvertible {
  /// A file the user wrote is wrong: says where and what was expected.
  case configuration(SourceLocation, String)
  /// A command-line argument or option is wrong.
  case usage(String)
  /// A file could not be read at all.
  case unreadableFile(path: String, reason: String)
  /// A value would be unsafe to pass to a remote shell and cannot be quoted into safety.
  case unsafeValue(what: String, value: String, reason: String)
  /// Something `deploy` assumed turned out false: a bug in `deploy`, not in what it was given.
  case internalError(String)

  public var description: String {
    switch self {
    case .configuration(let location, let message): return "\(location): error: \(message)"
    case .usage(let message): return "error: \(message)"
    case .unreadableFile(let path, let reason): return "error: cannot read \(path): \(reason)"
    case .unsafeValue(let what, let value, let reason):
      return "error: refusing \(what) \(String(reflecting: value)): \(reason)"
    case .internalError(let message):
      return "error: internal error: \(message)\n" + Self.reportAdvice
    }
  }

  /// What to do about a bug in `deploy`.
  public static let reportAdvice =
    "This is a bug in deploy \(DeployVersion.current), not in your input: please report it with"
    + " the command line that showed it (`deploy --version` names this build)."

  public var exitStatus: ExitStatus {
    switch self {
    case .internalError: return .internalError
    default: return .usage
    }
  }
}
