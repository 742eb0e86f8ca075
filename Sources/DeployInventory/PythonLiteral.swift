import DeploySupport

/// How Ansible types INI values: it runs Python's `ast.literal_eval` on the text and keeps the
/// text as a string when that fails. So `22` is an int, `1.5` a float, `True` a bool, `None` null,
/// `'a b'` the string `a b`, `[1, 2]` a list and `{'k': 1}` a map, while `yes`, `true`, `007` and
/// `/usr/bin/python3` stay strings exactly as written. Tuples and sets become lists (as in
/// Ansible); complex numbers, `...` and anything else `literal_eval` rejects stay strings.
struct PythonLiteral {
  private let scalars: [Unicode.Scalar]
  private var index = 0
  private var depth = 0

  private init(_ text: String) { scalars = Array(text.unicodeScalars) }

  /// The value Ansible would give `text` (already stripped of quotes by the host-line splitter,
  /// where applicable).
  static func value(of text: String) -> VarValue {
    var parser = PythonLiteral(text)
    // literal_eval tolerates leading spaces and tabs, and trailing whitespace.
    parser.skipSpaces()
    guard let value = parser.parseValue() else { return .string(text) }
    parser.skipSpaces()
    return parser.index == parser.scalars.count ? value : .string(text)
  }

  private struct Failure: Error {}

  private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

  private mutating func skipSpaces() {
    while let scalar = current, scalar == " " || scalar == "\t" { index += 1 }
  }

  private mutating func parseValue() -> VarValue? {
    depth += 1
    defer { depth -= 1 }
    // Deeper nesting than any real inventory value; also keeps recursion bounded.
    guard depth < 64, let scalar = current else { return nil }
    switch scalar {
    case "[": return parseSequence(closing: "]")
    case "(": return parseParenthesized()
    case "{": return parseBraces()
    case "+", "-":
      index += 1
      skipSpaces()
      guard let number = parseNumber() else { return nil }
      guard scalar == "-" else { return number }
      switch number {
      case .int(let value): return value == Int.min ? nil : .int(-value)
      case .double(let value): return .double(-value)
      default: return nil
      }
    case "0"..."9", ".": return parseNumber()
    case "'", "\"": return parseStrings()
    default:
      if let strings = parseStrings() { return strings }
      return parseKeyword()
    }
  }

  private mutating func parseKeyword() -> VarValue? {
    var word = ""
    while let scalar = current, isIdentifier(scalar) {
      word.unicodeScalars.append(scalar)
      index += 1
    }
    switch word {
    case "True": return .bool(true)
    case "False": return .bool(false)
    case "None": return .null
    default: return nil
    }
  }

  /// Items up to `closing`, comma-separated, trailing comma allowed.
  private mutating func parseItems(closing: Unicode.Scalar) -> (items: [VarValue], sawComma: Bool)?
  {
    var items: [VarValue] = []
    var sawComma = false
    index += 1
    skipSpaces()
    while current != closing {
      guard let item = parseValue() else { return nil }
      items.append(item)
      skipSpaces()
      if current == "," {
        sawComma = true
        index += 1
        skipSpaces()
      } else if current != closing {
        return nil
      }
    }
    index += 1
    return (items, sawComma)
  }

  private mutating func parseSequence(closing: Unicode.Scalar) -> VarValue? {
    parseItems(closing: closing).map { .list($0.items) }
  }

  /// `()` and `(1,)` are tuples; `(1)` is just 1 in parentheses.
  private mutating func parseParenthesized() -> VarValue? {
    guard let (items, sawComma) = parseItems(closing: ")") else { return nil }
    if items.count == 1 && !sawComma { return items[0] }
    return .list(items)
  }

  /// `{}` is an empty dict, `{1, 2}` a set (a list here), `{'k': v}` a dict.
  private mutating func parseBraces() -> VarValue? {
    let start = index
    index += 1
    skipSpaces()
    if current == "}" {
      index += 1
      return .map([:])
    }
    guard parseValue() != nil else { return nil }
    skipSpaces()
    guard current == ":" else {
      index = start
      return parseSequence(closing: "}")
    }
    index = start + 1
    var map: [String: VarValue] = [:]
    skipSpaces()
    while current != "}" {
      guard let key = parseValue(), let name = Self.keyString(key) else { return nil }
      skipSpaces()
      guard current == ":" else { return nil }
      index += 1
      skipSpaces()
      guard let value = parseValue() else { return nil }
      map[name] = value
      skipSpaces()
      if current == "," {
        index += 1
        skipSpaces()
      } else if current != "}" {
        return nil
      }
    }
    index += 1
    return .map(map)
  }

  /// Dict keys as JSON (and so `ansible-inventory`) spell them; lists and dicts are unhashable.
  private static func keyString(_ key: VarValue) -> String? {
    switch key {
    case .string(let text): return text
    case .int(let value): return String(value)
    case .double(let value): return String(value)
    case .bool(let value): return value ? "true" : "false"
    case .null: return "null"
    case .list, .map: return nil
    }
  }

  private func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
  }

  // MARK: Numbers

  private mutating func parseNumber() -> VarValue? {
    var token = ""
    while let scalar = current {
      let previous = token.unicodeScalars.last
      let isExponentSign =
        (scalar == "+" || scalar == "-") && (previous == "e" || previous == "E")
        && !token.lowercased().hasPrefix("0x")
      guard isIdentifier(scalar) || scalar == "." || isExponentSign else { break }
      token.unicodeScalars.append(scalar)
      index += 1
    }
    return Self.number(token)
  }

  private static func number(_ token: String) -> VarValue? {
    let lower = token.lowercased()
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
      let digits = String(lower.dropFirst(2))
      guard underscoresValid(digits, allowLeading: true) else { return nil }
      return Int(digits.replacing("_", with: ""), radix: radix).map(VarValue.int)
    }
    let isFloat = lower.contains(".") || lower.contains("e")
    guard isFloat else {
      // Python 3 rejects `007` (but accepts `0`, `00` and `0_0`).
      guard underscoresValid(lower, allowLeading: false),
        !(lower.hasPrefix("0") && lower.contains(where: { $0 != "0" && $0 != "_" }))
      else { return nil }
      return Int(lower.replacing("_", with: "")).map(VarValue.int)
    }
    let parts = lower.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
    let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
    guard mantissa.count <= 2, mantissa.contains(where: { !$0.isEmpty }),
      mantissa.allSatisfy({ $0.isEmpty || underscoresValid(String($0), allowLeading: false) })
    else { return nil }
    if parts.count == 2 {
      let exponent = parts[1].drop { $0 == "+" || $0 == "-" }
      guard parts[1].count - exponent.count <= 1,
        underscoresValid(String(exponent), allowLeading: false)
      else { return nil }
    }
    return Double(lower.replacing("_", with: "")).map(VarValue.double)
  }

  /// Digits with single underscores between them, as Python number literals allow.
  private static func underscoresValid(_ digits: String, allowLeading: Bool) -> Bool {
    guard !digits.isEmpty, digits.last != "_", !digits.contains("__") else { return false }
    guard allowLeading || digits.first != "_" else { return false }
    return digits.allSatisfy { $0 == "_" || $0.isHexDigit }
  }

  // MARK: Strings

  /// One or more adjacent string literals (Python concatenates them), with optional r/u/b prefix.
  private mutating func parseStrings() -> VarValue? {
    var result = ""
    var found = false
    while true {
      let start = index
      var raw = false
      var prefix = ""
      while let scalar = current, "rRuUbB".unicodeScalars.contains(scalar), prefix.count < 2 {
        prefix.unicodeScalars.append(scalar)
        index += 1
      }
      raw = prefix.lowercased().contains("r")
      guard prefix.count < 2 || ["rb", "br"].contains(prefix.lowercased()),
        let quote = current, quote == "'" || quote == "\""
      else {
        index = start
        return found ? .string(result) : nil
      }
      guard let text = parseQuoted(quote: quote, raw: raw) else { return nil }
      result += text
      found = true
      skipSpaces()
    }
  }

  private mutating func parseQuoted(quote: Unicode.Scalar, raw: Bool) -> String? {
    let triple =
      index + 2 < scalars.count && scalars[index + 1] == quote && scalars[index + 2] == quote
    index += triple ? 3 : 1
    var text = String.UnicodeScalarView()
    while let scalar = current {
      if scalar == quote
        && (!triple
          || (index + 2 < scalars.count && scalars[index + 1] == quote
            && scalars[index + 2] == quote))
      {
        index += triple ? 3 : 1
        return String(text)
      }
      index += 1
      guard scalar == "\\", let next = current else {
        text.append(scalar)
        continue
      }
      if raw {
        text.append(scalar)
        text.append(next)
        index += 1
        continue
      }
      guard let escaped = parseEscape(next) else { return nil }
      text.append(contentsOf: escaped.unicodeScalars)
    }
    return nil
  }

  /// After a backslash; `letter` is the character following it (not yet consumed).
  private mutating func parseEscape(_ letter: Unicode.Scalar) -> String? {
    index += 1
    let simple: [Unicode.Scalar: String] = [
      "\\": "\\", "'": "'", "\"": "\"", "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}",
      "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}",
    ]
    if let replacement = simple[letter] { return replacement }
    switch letter {
    case "0"..."7":
      var digits = String(letter)
      while digits.count < 3, let scalar = current, ("0"..."7").contains(scalar) {
        digits.unicodeScalars.append(scalar)
        index += 1
      }
      return UInt32(digits, radix: 8).flatMap(Unicode.Scalar.init).map { String($0) }
    case "x", "u", "U":
      let count = letter == "x" ? 2 : letter == "u" ? 4 : 8
      guard index + count <= scalars.count else { return nil }
      let digits = String(String.UnicodeScalarView(scalars[index..<(index + count)]))
      index += count
      guard digits.allSatisfy(\.isHexDigit) else { return nil }
      return UInt32(digits, radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
    case "N":
      return nil
    default:
      // Python keeps unknown escapes such as `\d` as written.
      return "\\" + String(letter)
    }
  }
}
