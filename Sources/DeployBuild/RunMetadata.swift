import DeploySupport
import Foundation

/// What the controller records about a run when it starts it (`run.json` in the run's folder),
/// so that `builds`, `logs` and `--resume` from another machine know what the run was.
public struct RunMetadata: Sendable, Hashable {
  public var app = ""
  public var stage = ""
  public var version = ""
  public var commit = ""
  public var workflow = ""
  public var user = ""
  public var origin = ""
  /// Seconds since the epoch, controller's clock.
  public var started = 0
  /// Step names in order.
  public var steps: [String] = []

  public init() {}

  public var json: JSONValue {
    .object([
      "app": .string(app), "stage": .string(stage), "version": .string(version),
      "commit": .string(commit), "workflow": .string(workflow), "user": .string(user),
      "origin": .string(origin), "started": .number(Double(started)),
      "steps": .array(steps.map(JSONValue.string)),
    ])
  }

  public init?(jsonLine: String) {
    guard let data = jsonLine.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    app = object["app"] as? String ?? ""
    stage = object["stage"] as? String ?? ""
    version = object["version"] as? String ?? ""
    commit = object["commit"] as? String ?? ""
    workflow = object["workflow"] as? String ?? ""
    user = object["user"] as? String ?? ""
    origin = object["origin"] as? String ?? ""
    started = object["started"] as? Int ?? 0
    steps = object["steps"] as? [String] ?? []
  }
}
