import DeploySupport

/// The `--json` lines of `deploy`, `rollback`, `exec` and `play`: one object per line, each
/// naming its `event` and the schema version `v` (docs/events.schema.json describes every
/// event; a change to a field that is there bumps `v`). No event carries prose of ours but an
/// `error`, which always has a stable `code` beside its `message`.
enum JSONEvents {
  static let version = 1

  static func write(_ object: [String: JSONValue]) {
    var line = object
    line["v"] = .number(Double(version))
    Terminal.standardOutput.write(JSONValue.object(line).serialized + "\n")
  }

  static func error(code: String, message: String) -> JSONValue {
    .object(["code": .string(code), "message": .string(message)])
  }
}
