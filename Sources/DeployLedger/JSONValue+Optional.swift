import DeploySupport

extension JSONValue {
  /// `null` for nil, so that `--json` output has the same keys whatever is known.
  static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
  static func optional(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
}
