/// The one reader of `build_info.yml` as `deploy` needs it: the flat `key: value` lines the
/// runner writes (and ECHR-OD's build wrote), values unquoted. The build API's own server reads
/// the file as Python's YAML does (`PythonYAML`), since it must answer exactly as the explorer.
public enum BuildInfo {
  /// `key → value` for each `key: value` line; a quoted value loses its quotes (`''` inside
  /// single quotes is one quote, as YAML writes it). Later keys win.
  public static func fields(_ text: some StringProtocol) -> [String: String] {
    var fields: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon].trimmingCharacters(in: .whitespaces)
      var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
        value = String(value.dropFirst().dropLast()).replacing("''", with: "'")
      } else if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
        value = String(value.dropFirst().dropLast())
      }
      fields[key] = value
    }
    return fields
  }
}
