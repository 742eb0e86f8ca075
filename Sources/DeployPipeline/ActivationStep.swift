import DeploySupport

/// What activation or rollback did on a host, as data: renderers word it (the terminal) or
/// carry its fields (JSON, see docs/events.schema.json).
public enum ActivationStep: Sendable, Hashable {
  /// The build API answered `/api/v1/build/update` (its JSON, as it came).
  case apiAnswered(body: String)
  /// The app was restarted (`docker restart web`, `systemctl restart app`, …).
  case restarted(method: String)
  case healthPassed
  /// The build API serves this build now (verified).
  case serving(buildTime: String)
  /// The `current` link now names `folder` (`previous` before, if any).
  case linkSwitched(folder: String, previous: String?)
  /// The new build failed (`reason`, an error's text); the previous one goes back: `to`
  /// (a folder) when known.
  case rollingBack(reason: String, to: String?)
  /// `deploy rollback`: this build goes back.
  case rollbackStarted(folder: String, version: String, buildTime: String?)
  case rollbackVerified
  /// Old builds removed after a successful activation (`keep:`).
  case pruned(removed: [String], keep: Int)
  /// The activation log could not be written (`reason`, an error's text): ranking builds for
  /// pruning and rollback is less precise, nothing else changes.
  case recordFailed(reason: String)
  /// An apt deploy: `package` goes from `from` (nil: not installed) to `to`.
  case installing(package: String, from: String?, to: String)
  /// dpkg reports `version` installed.
  case installed(version: String)

  /// The step's name in JSON (`"step": "serving"`).
  public var name: String {
    switch self {
    case .apiAnswered: return "api-answered"
    case .restarted: return "restarted"
    case .healthPassed: return "health-passed"
    case .serving: return "serving"
    case .linkSwitched: return "link-switched"
    case .rollingBack: return "rolling-back"
    case .rollbackStarted: return "rollback-started"
    case .rollbackVerified: return "rollback-verified"
    case .pruned: return "pruned"
    case .recordFailed: return "record-failed"
    case .installing: return "installing"
    case .installed: return "installed"
    }
  }

  /// The step's fields for JSON, besides its name.
  public var fields: [String: JSONValue] {
    func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    func error(_ code: String, _ message: String) -> JSONValue {
      .object(["code": .string(code), "message": .string(message)])
    }
    switch self {
    case .apiAnswered(let body): return ["body": .string(body)]
    case .restarted(let method): return ["method": .string(method)]
    case .healthPassed, .rollbackVerified: return [:]
    case .serving(let buildTime): return ["build_time": .string(buildTime)]
    case .linkSwitched(let folder, let previous):
      return ["folder": .string(folder), "previous": optional(previous)]
    case .rollingBack(let reason, let to):
      return ["error": error("activation-failed", reason), "to": optional(to)]
    case .rollbackStarted(let folder, let version, let buildTime):
      return [
        "folder": .string(folder), "version": .string(version), "build_time": optional(buildTime),
      ]
    case .pruned(let removed, let keep):
      return ["removed": .array(removed.map(JSONValue.string)), "keep": .number(Double(keep))]
    case .recordFailed(let reason): return ["error": error("activation-log-unwritten", reason)]
    case .installing(let package, let from, let to):
      return ["package": .string(package), "from": optional(from), "to": .string(to)]
    case .installed(let version): return ["version": .string(version)]
    }
  }
}

extension ActivationStep: CustomStringConvertible {
  /// The step in words, for the terminal.
  public var description: String {
    switch self {
    case .apiAnswered(let body): return "build API: \(body)"
    case .restarted(let method): return "restarted (\(method))"
    case .healthPassed: return "health check passed"
    case .serving(let buildTime): return "serving build_time \(buildTime)"
    case .linkSwitched(let folder, let previous):
      return "current -> \(folder)" + (previous.map { " (was \($0))" } ?? "")
    case .rollingBack(let reason, let to):
      return "rolling back" + (to.map { " to \($0)" } ?? "") + ": \(reason)"
    case .rollbackStarted(let folder, let version, let buildTime):
      return "rolling back to \(folder) (\(version), build_time \(buildTime ?? "?"))"
    case .rollbackVerified: return "rollback verified"
    case .pruned(let removed, let keep):
      return "removed \(removed.count) old build(s), keeping \(keep): "
        + removed.joined(separator: ", ")
    case .recordFailed(let reason): return "warning: \(reason)"
    case .installing(let package, let from, let to):
      return "\(package): \(from ?? "nothing") -> \(to)"
    case .installed(let version): return "dpkg-query: \(version) installed"
    }
  }
}
