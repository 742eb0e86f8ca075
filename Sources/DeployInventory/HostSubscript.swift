import DeploySupport

/// The `[0]`, `[-1]`, `[1:3]` or `[2:]` after a host pattern: picks hosts by position from what
/// the pattern matched, counting from 0, both ends of a range included (Ansible's semantics).
struct HostSubscript: Equatable {
  var start: Int
  /// nil for a single index; `Int.max` for an open range (`[2:]`).
  var end: Int?

  /// Separates `web[1:3]` into `web` and its subscript. Regexes (`~...`) never have one: their
  /// brackets are character classes.
  static func split(_ text: String) -> (expression: String, subscript: HostSubscript?) {
    guard !text.hasPrefix("~"), text.hasSuffix("]"), let open = text.lastIndex(of: "["),
      open != text.startIndex
    else { return (text, nil) }
    let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
    let expression = String(text[..<open])
    let parts = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
    if parts.count == 1 {
      let digits = inner.hasPrefix("-") ? inner.dropFirst() : inner
      guard isDigits(digits), let index = Int(inner) else { return (text, nil) }
      return (expression, HostSubscript(start: index, end: nil))
    }
    guard isDigits(parts[0]), let start = Int(parts[0]),
      parts[1].isEmpty || isDigits(parts[1])
    else { return (text, nil) }
    return (expression, HostSubscript(start: start, end: Int(parts[1]) ?? Int.max))
  }

  func apply(to hosts: [Int], pattern: String) throws(DeployError) -> [Int] {
    guard let end else {
      let index = start < 0 ? hosts.count + start : start
      guard hosts.indices.contains(index) else {
        throw .usage(
          "host pattern '\(pattern)' asks for host [\(start)] but that part matches only \(hosts.count) hosts"
        )
      }
      return [hosts[index]]
    }
    // Like a Python slice: out-of-range bounds just select fewer hosts.
    let upper = min(end, hosts.count - 1)
    guard start <= upper else { return [] }
    return Array(hosts[start...upper])
  }

  private static func isDigits(_ text: Substring) -> Bool {
    !text.isEmpty && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
  }
}
