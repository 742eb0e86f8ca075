import Foundation

/// Splits template text into text, `{{ }}` and `{% %}` pieces (applying whitespace control),
/// then builds the tree of `if`/`for`/`set` blocks. Every expression is parsed here, so the
/// template is checked completely before it is rendered.
struct TemplateParser {
  private enum Segment {
    case text(String)
    case expression(Range<Int>, offset: Int)
    case statement(Range<Int>, offset: Int)
  }

  private let scalars: [Unicode.Scalar]
  private let options: TemplateOptions
  private var segments: [Segment] = []
  private var position = 0
  private(set) var filters: Set<String> = []
  private(set) var variables: Set<String> = []
  /// Names bound by enclosing `for` loops and earlier `set`s: not free variables.
  private var bound: [Set<String>] = [["loop"]]

  init(scalars: [Unicode.Scalar], options: TemplateOptions) {
    self.scalars = scalars
    self.options = options
  }

  mutating func parse() throws(TemplateFailure) -> [TemplateNode] {
    try split()
    let (nodes, end) = try parseBlock(until: [])
    if let end { throw TemplateFailure(offset: end.offset, message: "unexpected '\(end.word)'") }
    return nodes
  }

  // MARK: Splitting

  private func at(_ i: Int) -> Unicode.Scalar? { i < scalars.count ? scalars[i] : nil }

  private mutating func split() throws(TemplateFailure) {
    var textStart = 0
    var stripLeading = false
    var trimNewline = false
    var i = 0
    while true {
      var k = i
      while k + 1 < scalars.count,
        !(scalars[k] == "{" && ["{", "%", "#"].contains(scalars[k + 1]))
      {
        k += 1
      }
      guard k + 1 < scalars.count else { break }
      let kind = scalars[k + 1]
      let marker = at(k + 2)
      var text = Array(scalars[textStart..<k])
      if stripLeading { text = Array(text.drop(while: { $0.properties.isWhitespace })) }
      if trimNewline { text = Self.droppingNewline(text) }
      if marker == "-" {
        while let last = text.last, last.properties.isWhitespace { text.removeLast() }
      } else if options.lstripBlocks, kind != "{", marker != "+" {
        let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
        let atLineStart = textStart == 0 || scalars[textStart..<k].contains("\n")
        if atLineStart, text[lineStart...].allSatisfy({ $0 == " " || $0 == "\t" }) {
          text.removeSubrange(lineStart...)
        }
      }
      append(text: text)
      let contentStart = k + 2 + (marker == "-" || marker == "+" ? 1 : 0)
      let close = try closing(of: kind, from: contentStart, tagAt: k)
      var contentEnd = close
      let stripAfter = close > contentStart && scalars[close - 1] == "-"
      if stripAfter { contentEnd -= 1 }
      stripLeading = stripAfter
      trimNewline = options.trimBlocks && kind != "{"
      i = close + 2
      switch kind {
      case "{": segments.append(.expression(contentStart..<contentEnd, offset: k))
      case "%" where Self.word(scalars[contentStart..<contentEnd]) == "raw":
        // `{% raw %}…{% endraw %}`: the text between is output as it is, tags and all (Jinja2
        // trims no newline after `raw`, but does after `endraw`).
        guard let end = endRaw(from: i) else {
          throw TemplateFailure(offset: k, message: "'raw' is never closed by 'endraw'")
        }
        var raw = Array(scalars[i..<end.start])
        if stripLeading { raw = Array(raw.drop(while: { $0.properties.isWhitespace })) }
        if end.stripBefore {
          while let last = raw.last, last.properties.isWhitespace { raw.removeLast() }
        }
        append(text: raw)
        stripLeading = end.stripAfter
        i = end.after
      case "%": segments.append(.statement(contentStart..<contentEnd, offset: k))
      default: break
      }
      textStart = i
    }
    var text = Array(scalars[textStart...])
    if stripLeading { text = Array(text.drop(while: { $0.properties.isWhitespace })) }
    if trimNewline { text = Self.droppingNewline(text) }
    if !options.keepTrailingNewline, text.last == "\n" {
      text.removeLast()
      if text.last == "\r" { text.removeLast() }
    }
    append(text: text)
  }

  /// The tag's only word, if it has exactly one (`raw`).
  private static func word(_ content: ArraySlice<Unicode.Scalar>) -> String {
    var s = ""
    s.unicodeScalars.append(contentsOf: content)
    return s.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The next `{% endraw %}` (with optional `-` on either side) from `start`.
  private func endRaw(from start: Int) -> (
    start: Int, after: Int, stripBefore: Bool, stripAfter: Bool
  )? {
    var k = start
    while k + 1 < scalars.count {
      defer { k += 1 }
      guard scalars[k] == "{", scalars[k + 1] == "%" else { continue }
      var j = k + 2
      let stripBefore = at(j) == "-"
      if stripBefore { j += 1 }
      while let c = at(j), c.properties.isWhitespace { j += 1 }
      guard Array(scalars[j..<min(j + 6, scalars.count)]) == Array("endraw".unicodeScalars)
      else { continue }
      j += 6
      while let c = at(j), c.properties.isWhitespace { j += 1 }
      let stripAfter = at(j) == "-"
      if stripAfter { j += 1 }
      guard at(j) == "%", at(j + 1) == "}" else { continue }
      return (k, j + 2, stripBefore, stripAfter)
    }
    return nil
  }

  private static func droppingNewline(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
    if text.first == "\n" { return Array(text.dropFirst()) }
    if text.starts(with: ["\r", "\n"]) { return Array(text.dropFirst(2)) }
    return text
  }

  private mutating func append(text: [Unicode.Scalar]) {
    guard !text.isEmpty else { return }
    var s = ""
    s.unicodeScalars.append(contentsOf: text)
    segments.append(.text(s))
  }

  /// The offset of the closing `}}`, `%}` or `#}`; strings and brackets inside expressions are
  /// skipped so that `{{ {'a': {'b': 1}} }}` ends where it should.
  private func closing(of kind: Unicode.Scalar, from start: Int, tagAt offset: Int)
    throws(TemplateFailure) -> Int
  {
    let closer: Unicode.Scalar = kind == "{" ? "}" : kind
    var depth = 0
    var i = start
    while i + 1 < scalars.count {
      let c = scalars[i]
      if kind == "#" {
        if c == "#" && scalars[i + 1] == "}" { return i }
      } else if c == "'" || c == "\"" {
        i += 1
        while i < scalars.count, scalars[i] != c {
          if scalars[i] == "\\" { i += 1 }
          i += 1
        }
      } else if c == "(" || c == "[" || c == "{" {
        depth += 1
      } else if depth > 0, c == ")" || c == "]" || c == "}" {
        depth -= 1
      } else if c == closer && scalars[i + 1] == "}" {
        return i
      }
      i += 1
    }
    let what = kind == "{" ? "'{{'" : kind == "%" ? "'{%'" : "comment"
    throw TemplateFailure(offset: offset, message: "\(what) is never closed")
  }

  // MARK: Blocks

  private struct BlockEnd {
    var word: String
    var offset: Int
    var parser: ExpressionParser
  }

  /// Nodes up to a statement whose keyword is in `until` (returned with its parser positioned
  /// after the keyword), or to the end of the template (nil).
  private mutating func parseBlock(until: Set<String>) throws(TemplateFailure)
    -> ([TemplateNode], BlockEnd?)
  {
    var nodes: [TemplateNode] = []
    while position < segments.count {
      let segment = segments[position]
      position += 1
      switch segment {
      case .text(let s): nodes.append(.text(s))
      case .expression(let range, let offset):
        var parser = try expressionParser(range, offset: offset)
        nodes.append(.output(try parser.parseComplete(), offset: offset))
        record(parser)
      case .statement(let range, let offset):
        var parser = try expressionParser(range, offset: offset)
        guard case .name(let word) = parser.current.kind else {
          throw TemplateFailure(offset: offset, message: "expected a tag name after '{%'")
        }
        parser.advance()
        if until.contains(word) {
          return (nodes, BlockEnd(word: word, offset: offset, parser: parser))
        }
        switch word {
        case "if": nodes.append(try parseIf(parser, offset: offset))
        case "for": nodes.append(try parseFor(parser, offset: offset))
        case "set":
          let name = try parser.expectName()
          try parser.expect(symbol: "=")
          let value = try parser.parseComplete()
          record(parser)
          bound[bound.count - 1].insert(name)
          nodes.append(.assignment(name: name, value: value, offset: offset))
        case "elif", "else", "endif", "endfor":
          throw TemplateFailure(offset: offset, message: "unexpected '\(word)'")
        default:
          throw TemplateFailure(offset: offset, message: "unknown tag '\(word)'")
        }
      }
    }
    return (nodes, nil)
  }

  private mutating func parseIf(_ start: ExpressionParser, offset: Int) throws(TemplateFailure)
    -> TemplateNode
  {
    var parser = start
    var branchOffset = offset
    var branches: [ConditionalBranch] = []
    while true {
      let condition = try parser.parseComplete()
      record(parser)
      let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
      branches.append(ConditionalBranch(condition: condition, body: body, offset: branchOffset))
      guard let end else {
        throw TemplateFailure(offset: offset, message: "'if' is never closed by 'endif'")
      }
      switch end.word {
      case "elif":
        parser = end.parser
        branchOffset = end.offset
      case "else":
        try expectEnd(end.parser)
        let (otherwise, close) = try parseBlock(until: ["endif"])
        guard let close else {
          throw TemplateFailure(offset: offset, message: "'if' is never closed by 'endif'")
        }
        try expectEnd(close.parser)
        return .conditional(branches, otherwise: otherwise)
      default:
        try expectEnd(end.parser)
        return .conditional(branches, otherwise: nil)
      }
    }
  }

  private mutating func parseFor(_ start: ExpressionParser, offset: Int) throws(TemplateFailure)
    -> TemplateNode
  {
    var parser = start
    var targets = [try parser.expectName()]
    while parser.skip(symbol: ",") { targets.append(try parser.expectName()) }
    guard parser.skip(name: "in") else { throw parser.unexpected("'in'") }
    let iterable = try parser.parseOr()
    let filter = parser.skip(name: "if") ? try parser.parseOr() : nil
    guard parser.atEnd else { throw parser.unexpected("'%}'") }
    record(parser, except: Set(targets))
    bound.append(Set(targets))
    defer { bound.removeLast() }
    let (body, end) = try parseBlock(until: ["else", "endfor"])
    guard let end else {
      throw TemplateFailure(offset: offset, message: "'for' is never closed by 'endfor'")
    }
    try expectEnd(end.parser)
    var otherwise: [TemplateNode]?
    if end.word == "else" {
      let (nodes, close) = try parseBlock(until: ["endfor"])
      guard let close else {
        throw TemplateFailure(offset: offset, message: "'for' is never closed by 'endfor'")
      }
      try expectEnd(close.parser)
      otherwise = nodes
    }
    return .loop(
      TemplateLoop(
        targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise,
        offset: offset))
  }

  private func expectEnd(_ parser: ExpressionParser) throws(TemplateFailure) {
    guard parser.atEnd else { throw parser.unexpected("'%}'") }
  }

  private func expressionParser(_ range: Range<Int>, offset: Int) throws(TemplateFailure)
    -> ExpressionParser
  {
    let tokens = try ExpressionToken.tokenize(scalars, range)
    guard tokens.count > 1 else {
      throw TemplateFailure(offset: offset, message: "empty tag")
    }
    return ExpressionParser(tokens: tokens)
  }

  private mutating func record(_ parser: ExpressionParser, except: Set<String> = []) {
    filters.formUnion(parser.filters)
    let free = parser.variables.filter { name in
      !except.contains(name) && !bound.contains { $0.contains(name) }
    }
    variables.formUnion(free)
  }
}
