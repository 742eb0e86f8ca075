import DeploySupport

/// An INI section header: `[group]`, `[group:children]` or `[group:vars]`, optionally followed by
/// a comment. Group names are what Ansible's pattern allows: no whitespace, `:` or `]`.
struct INISectionHeader {
  var group: String
  var groupLocation: SourceLocation
  /// `""` for a plain `[group]`; validated by the parser, which knows the allowed kinds.
  var kind: String
  var kindLocation: SourceLocation

  /// `[2001:db8::1]:2222 ansible_user=x` starts with `[` but is a host line.
  static func isBracketedAddress(_ text: ArraySlice<Unicode.Scalar>) -> Bool {
    guard text.first == "[", let close = text.firstIndex(of: "]") else { return false }
    let inner = String(String.UnicodeScalarView(text[(text.startIndex + 1)..<close]))
    return HostSpec.looksLikeIPv6(inner)
  }

  /// `open` is the index of the `[`.
  static func parse(
    _ line: [Unicode.Scalar], from open: Int, at lineStart: SourceLocation
  ) throws(DeployError) -> INISectionHeader {
    var index = open + 1
    while index < line.count, !ShlexSplitter.isWhitespace(line[index]), line[index] != ":",
      line[index] != "]"
    {
      index += 1
    }
    guard index > open + 1 else {
      throw .configuration(
        lineStart.movedRight(by: index), "expected a group name after '[' \(found(line, index))")
    }
    var header = INISectionHeader(
      group: String(String.UnicodeScalarView(line[(open + 1)..<index])),
      groupLocation: lineStart.movedRight(by: open + 1), kind: "",
      kindLocation: lineStart.movedRight(by: open + 1))
    if index < line.count, line[index] == ":" {
      index += 1
      let kindStart = index
      while index < line.count, isWordCharacter(line[index]) { index += 1 }
      guard index > kindStart else {
        throw .configuration(
          lineStart.movedRight(by: index),
          "expected 'children' or 'vars' after '[\(header.group):' \(found(line, index))")
      }
      header.kind = String(String.UnicodeScalarView(line[kindStart..<index]))
      header.kindLocation = lineStart.movedRight(by: kindStart)
    }
    guard index < line.count, line[index] == "]" else {
      throw .configuration(
        lineStart.movedRight(by: index),
        "expected ']' to end the section header \(found(line, index))")
    }
    index += 1
    while index < line.count, ShlexSplitter.isWhitespace(line[index]) { index += 1 }
    if index < line.count, line[index] != "#", line[index] != ";" {
      throw .configuration(
        lineStart.movedRight(by: index),
        "expected the end of the line or a comment after the section header \(found(line, index))")
    }
    return header
  }

  private static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
  }

  private static func found(_ line: [Unicode.Scalar], _ index: Int) -> String {
    guard index < line.count else { return "but the line ends" }
    if ShlexSplitter.isWhitespace(line[index]) { return "but found a space" }
    return "but found '\(Character(line[index]))'"
  }
}
