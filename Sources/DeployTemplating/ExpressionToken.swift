/// A lexical token of a Jinja2 expression, with its scalar offset in the template text.
struct ExpressionToken: Sendable {
  enum Kind: Sendable, Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case symbol(String)
    case end
  }

  var kind: Kind
  var offset: Int

  /// Splits `scalars[range]` into tokens; `range.lowerBound` offsets are kept as they are so
  /// that errors point into the whole template.
  static func tokenize(
    _ scalars: [Unicode.Scalar], _ range: Range<Int>
  ) throws(TemplateFailure) -> [ExpressionToken] {
    var tokens: [ExpressionToken] = []
    var i = range.lowerBound
    let end = range.upperBound
    func at(_ k: Int) -> Unicode.Scalar? { k < end ? scalars[k] : nil }
    while i < end {
      let c = scalars[i]
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        i += 1
      } else if c.properties.isAlphabetic || c == "_" {
        let start = i
        while let d = at(i), d.properties.isAlphabetic || d == "_" || ("0"..."9").contains(d) {
          i += 1
        }
        tokens.append(.init(kind: .name(text(scalars[start..<i])), offset: start))
      } else if ("0"..."9").contains(c) {
        let start = i
        var isFloat = false
        while let d = at(i), ("0"..."9").contains(d) || d == "_" { i += 1 }
        if at(i) == ".", let d = at(i + 1), ("0"..."9").contains(d) {
          isFloat = true
          i += 1
          while let d = at(i), ("0"..."9").contains(d) || d == "_" { i += 1 }
        }
        if let e = at(i), e == "e" || e == "E" {
          var k = i + 1
          if at(k) == "+" || at(k) == "-" { k += 1 }
          if let d = at(k), ("0"..."9").contains(d) {
            isFloat = true
            i = k
            while let d = at(i), ("0"..."9").contains(d) { i += 1 }
          }
        }
        let digits = text(scalars[start..<i]).replacingOccurrences(of: "_", with: "")
        if isFloat, let value = Double(digits) {
          tokens.append(.init(kind: .double(value), offset: start))
        } else if let value = Int(digits) {
          tokens.append(.init(kind: .int(value), offset: start))
        } else {
          throw TemplateFailure(offset: start, message: "invalid number '\(digits)'")
        }
      } else if c == "'" || c == "\"" {
        let start = i
        i += 1
        var value = ""
        while true {
          guard let d = at(i) else {
            throw TemplateFailure(offset: start, message: "unterminated string")
          }
          i += 1
          if d == c { break }
          if d == "\\", let e = at(i) {
            i += 1
            switch e {
            case "n": value += "\n"
            case "t": value += "\t"
            case "r": value += "\r"
            case "0": value += "\0"
            case "\\", "'", "\"": value.unicodeScalars.append(e)
            default:
              value += "\\"
              value.unicodeScalars.append(e)
            }
          } else {
            value.unicodeScalars.append(d)
          }
        }
        tokens.append(.init(kind: .string(value), offset: start))
      } else {
        let two = at(i + 1).map { text([c, $0][...]) } ?? ""
        if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
          tokens.append(.init(kind: .symbol(two), offset: i))
          i += 2
        } else if "+-*/%~|.,:()[]{}=<>".unicodeScalars.contains(c) {
          tokens.append(.init(kind: .symbol(String(c)), offset: i))
          i += 1
        } else {
          throw TemplateFailure(offset: i, message: "unexpected character '\(c)'")
        }
      }
    }
    tokens.append(.init(kind: .end, offset: end))
    return tokens
  }

  private static func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var s = ""
    s.unicodeScalars.append(contentsOf: scalars)
    return s
  }
}
