import DeploySupport

/// A host entry as written in an inventory (INI line or YAML `hosts:` key): a name or range, with
/// an optional `:port` shorthand that Ansible turns into `ansible_port`.
struct HostSpec: Equatable {
  var names: [String]
  var port: Int?

  /// `start` is where `text`'s first character is, so errors can point inside it.
  static func parse(_ text: String, at start: SourceLocation) throws(DeployError) -> HostSpec {
    let scalars = Array(text.unicodeScalars)
    guard !scalars.isEmpty else { throw .configuration(start, "expected a host name") }
    if text == "---" {
      throw .configuration(start, "'---' starts a YAML document; is this a YAML inventory?")
    }
    if let bracketed = try bracketedIPv6(scalars, at: start) { return bracketed }

    let colons = colonsOutsideBrackets(scalars)
    // No colon, or several: a bare IPv6 address cannot carry a port without brackets.
    guard colons.count == 1, let colon = colons.first else {
      return HostSpec(names: try HostRange.expand(text, at: start), port: nil)
    }
    let portText = String(String.UnicodeScalarView(scalars[(colon + 1)...]))
    guard colon > 0 else {
      throw .configuration(start, "expected a host name before ':\(portText)'")
    }
    let port = try parsePort(portText, at: start.movedRight(by: colon + 1))
    let name = String(String.UnicodeScalarView(scalars[..<colon]))
    return HostSpec(names: try HostRange.expand(name, at: start), port: port)
  }

  /// `[2001:db8::1]:2222`. Told apart from a leading host range such as `[1:3].example.org` by the
  /// empty group (`::`) or the number of colons, neither of which a range can have.
  private static func bracketedIPv6(
    _ scalars: [Unicode.Scalar], at start: SourceLocation
  ) throws(DeployError) -> HostSpec? {
    guard scalars.first == "[", let close = scalars.firstIndex(of: "]") else { return nil }
    let inner = String(String.UnicodeScalarView(scalars[1..<close]))
    guard looksLikeIPv6(inner) else { return nil }
    let rest = scalars[(close + 1)...]
    if rest.isEmpty { return HostSpec(names: [inner], port: nil) }
    guard rest.first == ":" else {
      throw .configuration(
        start.movedRight(by: close + 1),
        "expected ':' and a port number after the bracketed IPv6 address")
    }
    let portText = String(String.UnicodeScalarView(rest.dropFirst()))
    return HostSpec(
      names: [inner], port: try parsePort(portText, at: start.movedRight(by: close + 2)))
  }

  /// An IPv6 address rather than a host range's `begin:end[:step]`: a range never has an empty
  /// part (`::`) nor more than two colons.
  static func looksLikeIPv6(_ text: String) -> Bool {
    let scalars = text.unicodeScalars
    let colons = scalars.count { $0 == ":" }
    let addressCharacters = scalars.allSatisfy {
      $0 == ":" || $0 == "." || $0.properties.isASCIIHexDigit
    }
    return addressCharacters && (text.contains("::") || colons >= 3)
  }

  private static func parsePort(_ text: String, at location: SourceLocation) throws(DeployError)
    -> Int
  {
    guard text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(text),
      (1...65535).contains(port)
    else {
      let found = text.isEmpty ? "nothing" : "'\(text)'"
      throw .configuration(location, "expected a port number (1-65535) after ':', found \(found)")
    }
    return port
  }

  private static func colonsOutsideBrackets(_ scalars: [Unicode.Scalar]) -> [Int] {
    var depth = 0
    var colons: [Int] = []
    for (index, scalar) in scalars.enumerated() {
      switch scalar {
      case "[": depth += 1
      case "]": depth = max(0, depth - 1)
      case ":" where depth == 0: colons.append(index)
      default: break
      }
    }
    return colons
  }
}
