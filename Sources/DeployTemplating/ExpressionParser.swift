import DeploySupport

/// A recursive-descent parser for Jinja2 expressions, with Jinja2's precedence (lowest first):
/// inline `if`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary
/// minus, then postfix `.attr`, `[index]`, calls, `| filter` and `is test`. Filter and test
/// names are checked here so that a typo is reported before any host is touched.
struct ExpressionParser {
  private var tokens: [ExpressionToken]
  private var position = 0
  /// Every filter and variable the expression names, for `Template.usedFilters` and friends.
  private(set) var filters: Set<String> = []
  private(set) var variables: Set<String> = []

  init(tokens: [ExpressionToken]) {
    self.tokens = tokens
  }

  var current: ExpressionToken { tokens[position] }
  var atEnd: Bool { current.kind == .end }

  mutating func advance() { if position < tokens.count - 1 { position += 1 } }

  func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }
  func isName(_ name: String) -> Bool { current.kind == .name(name) }

  mutating func skip(symbol: String) -> Bool {
    guard isSymbol(symbol) else { return false }
    advance()
    return true
  }

  mutating func skip(name: String) -> Bool {
    guard isName(name) else { return false }
    advance()
    return true
  }

  mutating func expect(symbol: String) throws(TemplateFailure) {
    guard skip(symbol: symbol) else { throw unexpected("'\(symbol)'") }
  }

  mutating func expectName() throws(TemplateFailure) -> String {
    guard case .name(let name) = current.kind else { throw unexpected("a name") }
    advance()
    return name
  }

  func unexpected(_ wanted: String) -> TemplateFailure {
    let found: String
    switch current.kind {
    case .end: found = "end of expression"
    case .name(let n): found = "'\(n)'"
    case .string(let s): found = PythonFormat.reprString(s)
    case .int(let i): found = String(i)
    case .double(let d): found = PythonFormat.float(d)
    case .symbol(let s): found = "'\(s)'"
    }
    return TemplateFailure(offset: current.offset, message: "expected \(wanted), found \(found)")
  }

  /// Parses a whole expression and insists nothing follows it.
  mutating func parseComplete() throws(TemplateFailure) -> ExpressionNode {
    let node = try parseExpression()
    guard atEnd else { throw unexpected("end of expression") }
    return node
  }

  mutating func parseExpression() throws(TemplateFailure) -> ExpressionNode {
    let value = try parseOr()
    guard skip(name: "if") else { return value }
    let condition = try parseOr()
    let otherwise = skip(name: "else") ? try parseExpression() : nil
    return .conditional(then: value, condition: condition, otherwise: otherwise)
  }

  mutating func parseOr() throws(TemplateFailure) -> ExpressionNode {
    var node = try parseAnd()
    while skip(name: "or") { node = .binary("or", node, try parseAnd()) }
    return node
  }

  private mutating func parseAnd() throws(TemplateFailure) -> ExpressionNode {
    var node = try parseNot()
    while skip(name: "and") { node = .binary("and", node, try parseNot()) }
    return node
  }

  private mutating func parseNot() throws(TemplateFailure) -> ExpressionNode {
    if skip(name: "not") { return .unary("not", try parseNot()) }
    return try parseCompare()
  }

  private mutating func parseCompare() throws(TemplateFailure) -> ExpressionNode {
    var node = try parseAdditive()
    while true {
      if case .symbol(let s) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(s) {
        advance()
        node = .binary(s, node, try parseAdditive())
      } else if skip(name: "in") {
        node = .binary("in", node, try parseAdditive())
      } else if isName("not"), tokens[position + 1].kind == .name("in") {
        advance()
        advance()
        node = .unary("not", .binary("in", node, try parseAdditive()))
      } else {
        return node
      }
    }
  }

  private mutating func parseAdditive() throws(TemplateFailure) -> ExpressionNode {
    var node = try parseConcat()
    while case .symbol(let s) = current.kind, s == "+" || s == "-" {
      advance()
      node = .binary(s, node, try parseConcat())
    }
    return node
  }

  private mutating func parseConcat() throws(TemplateFailure) -> ExpressionNode {
    var node = try parseMultiplicative()
    while skip(symbol: "~") { node = .binary("~", node, try parseMultiplicative()) }
    return node
  }

  private mutating func parseMultiplicative() throws(TemplateFailure) -> ExpressionNode {
    var node = try parsePower()
    while case .symbol(let s) = current.kind, ["*", "/", "//", "%"].contains(s) {
      advance()
      node = .binary(s, node, try parsePower())
    }
    return node
  }

  private mutating func parsePower() throws(TemplateFailure) -> ExpressionNode {
    var node = try parseUnary(withFilters: true)
    while skip(symbol: "**") { node = .binary("**", node, try parseUnary(withFilters: true)) }
    return node
  }

  private mutating func parseUnary(withFilters: Bool) throws(TemplateFailure) -> ExpressionNode {
    var node: ExpressionNode
    if skip(symbol: "-") {
      node = .unary("-", try parseUnary(withFilters: false))
    } else if skip(symbol: "+") {
      node = .unary("+", try parseUnary(withFilters: false))
    } else {
      node = try parsePostfix(try parsePrimary())
    }
    if withFilters { node = try parseFiltersAndTests(node) }
    return node
  }

  private mutating func parsePrimary() throws(TemplateFailure) -> ExpressionNode {
    let token = current
    switch token.kind {
    case .string(var value):
      advance()
      // Adjacent string literals are joined, as in Python.
      while case .string(let more) = current.kind {
        value += more
        advance()
      }
      return .literal(.string(value))
    case .int(let value):
      advance()
      return .literal(.int(value))
    case .double(let value):
      advance()
      return .literal(.double(value))
    case .name(let name):
      advance()
      switch name {
      case "true", "True": return .literal(.bool(true))
      case "false", "False": return .literal(.bool(false))
      case "none", "None": return .literal(.null)
      default:
        variables.insert(name)
        return .variable(name)
      }
    case .symbol("("):
      advance()
      let first = try parseExpression()
      guard isSymbol(",") else {
        try expect(symbol: ")")
        return first
      }
      // A tuple: a list here, as Ansible's values have no tuples.
      var items = [first]
      while skip(symbol: ",") && !isSymbol(")") { items.append(try parseExpression()) }
      try expect(symbol: ")")
      return .list(items)
    case .symbol("["):
      advance()
      var items: [ExpressionNode] = []
      while !isSymbol("]") {
        items.append(try parseExpression())
        if !skip(symbol: ",") { break }
      }
      try expect(symbol: "]")
      return .list(items)
    case .symbol("{"):
      advance()
      var entries: [DictEntry] = []
      while !isSymbol("}") {
        let key = try parseExpression()
        try expect(symbol: ":")
        entries.append(DictEntry(key: key, value: try parseExpression()))
        if !skip(symbol: ",") { break }
      }
      try expect(symbol: "}")
      return .dict(entries)
    default:
      throw unexpected("a value")
    }
  }

  private mutating func parsePostfix(_ start: ExpressionNode) throws(TemplateFailure)
    -> ExpressionNode
  {
    var node = start
    while true {
      if skip(symbol: ".") {
        if case .int(let i) = current.kind {
          advance()
          node = .index(node, .literal(.int(i)))
        } else {
          node = .attribute(node, try expectName())
        }
      } else if skip(symbol: "[") {
        let index = try parseExpression()
        try expect(symbol: "]")
        node = .index(node, index)
      } else if isSymbol("(") {
        // Only methods (`.items()`) can be called: Ansible's functions (`lookup`, `query`,
        // `range`, …) would otherwise fail on the first host instead of before any.
        if case .variable(let name) = node {
          throw TemplateFailure(
            offset: current.offset,
            message: "unsupported: function '\(name)()'; deploy play's templates call no"
              + " functions (pass the value with -e or vars_files)")
        }
        node = .call(node, try parseArguments())
      } else {
        return node
      }
    }
  }

  private mutating func parseFiltersAndTests(_ start: ExpressionNode) throws(TemplateFailure)
    -> ExpressionNode
  {
    var node = start
    while true {
      if skip(symbol: "|") {
        let offset = current.offset
        var name = try expectName()
        // Collection-qualified names such as `ansible.builtin.to_json`.
        while skip(symbol: ".") { name += "." + (try expectName()) }
        let short = JinjaFilter.shortName(name)
        guard JinjaFilter.names.contains(short) else {
          throw TemplateFailure(offset: offset, message: "no filter named '\(name)'")
        }
        filters.insert(short)
        let arguments = isSymbol("(") ? try parseArguments() : []
        node = .filter(node, name: short, arguments: arguments)
      } else if skip(name: "is") {
        let negated = skip(name: "not")
        let offset = current.offset
        let name = try expectName()
        guard JinjaTest.names.contains(name) else {
          throw TemplateFailure(offset: offset, message: "no test named '\(name)'")
        }
        var arguments: [Argument] = []
        if isSymbol("(") {
          arguments = try parseArguments()
        } else if startsValue {
          // `x is divisibleby 3`: one argument without parentheses.
          arguments = [Argument(name: nil, value: try parsePostfix(try parsePrimary()))]
        }
        node = .test(node, name: name, arguments: arguments, negated: negated)
      } else {
        return node
      }
    }
  }

  private var startsValue: Bool {
    switch current.kind {
    case .string, .int, .double: return true
    case .name(let n): return !["and", "or", "else", "if", "in", "not", "is"].contains(n)
    case .symbol(let s): return s == "[" || s == "{"
    case .end: return false
    }
  }

  private mutating func parseArguments() throws(TemplateFailure) -> [Argument] {
    try expect(symbol: "(")
    var arguments: [Argument] = []
    while !isSymbol(")") {
      if case .name(let name) = current.kind, tokens[position + 1].kind == .symbol("=") {
        advance()
        advance()
        arguments.append(Argument(name: name, value: try parseExpression()))
      } else {
        arguments.append(Argument(name: nil, value: try parseExpression()))
      }
      if !skip(symbol: ",") { break }
    }
    try expect(symbol: ")")
    return arguments
  }
}
