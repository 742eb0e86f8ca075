import DeploySupport
import Foundation

/// Evaluates parsed expressions against one host's variables with Jinja2's (Python's)
/// semantics. Failures carry `offset`, the position of the tag being rendered.
struct ExpressionEvaluator {
  var vars: [String: VarValue]
  var offset: Int

  func fail(_ message: String) -> TemplateFailure {
    TemplateFailure(offset: offset, message: message)
  }

  /// The value, or an error naming what is undefined.
  func value(_ node: ExpressionNode) throws(TemplateFailure) -> VarValue {
    try defined(try evaluate(node))
  }

  func defined(_ operand: Operand) throws(TemplateFailure) -> VarValue {
    switch operand {
    case .value(let v): return v
    case .undefined(let message): throw fail(message)
    }
  }

  func evaluate(_ node: ExpressionNode) throws(TemplateFailure) -> Operand {
    switch node {
    case .literal(let v): return .value(v)
    case .variable(let name):
      return vars[name].map(Operand.value) ?? .undefined("'\(name)' is undefined")
    case .list(let items):
      var out: [VarValue] = []
      for item in items { out.append(try value(item)) }
      return .value(.list(out))
    case .dict(let entries):
      var out: [String: VarValue] = [:]
      for entry in entries { out[PythonFormat.str(try value(entry.key))] = try value(entry.value) }
      return .value(.map(out))
    case .attribute(let base, let name):
      return try member(try evaluate(base), .string(name))
    case .index(let base, let index):
      let key = try value(index)
      return try member(try evaluate(base), key)
    case .unary(let op, let operand):
      let v = try value(operand)
      switch op {
      case "not": return .value(.bool(!Expression.isTrue(v)))
      case "-":
        switch v {
        case .int(let i): return .value(.int(-i))
        case .double(let d): return .value(.double(-d))
        case .bool(let b): return .value(.int(b ? -1 : 0))
        default: throw fail("bad operand type for unary -: \(typeName(v))")
        }
      default: return .value(v)
      }
    case .binary(let op, let lhs, let rhs):
      return .value(try binary(op, lhs, rhs))
    case .test(let subject, let name, let arguments, let negated):
      let result = try JinjaTest.apply(
        name, to: try evaluate(subject), arguments: try values(arguments), evaluator: self)
      return .value(.bool(result != negated))
    case .filter(let subject, let name, let arguments):
      return try JinjaFilter.apply(
        name, to: try evaluate(subject), arguments: try values(arguments), evaluator: self)
    case .call(let callee, let arguments):
      guard case .attribute(let base, let method) = callee else {
        throw fail("only methods such as .items() can be called")
      }
      return .value(try call(method, on: try value(base), arguments: try values(arguments)))
    case .conditional(let then, let condition, let otherwise):
      if Expression.isTrue(try value(condition)) { return try evaluate(then) }
      // Jinja2 renders a missing `else` as nothing, even with strict undefined.
      guard let otherwise else { return .value(.string("")) }
      return try evaluate(otherwise)
    }
  }

  func values(_ arguments: [Argument]) throws(TemplateFailure) -> Arguments {
    var out = Arguments()
    for argument in arguments {
      let v = try value(argument.value)
      if let name = argument.name { out.named[name] = v } else { out.positional.append(v) }
    }
    return out
  }

  /// `a.b` and `a['b']`: Jinja2 tries the attribute, then the item, either way round; a miss
  /// is undefined, and so is anything of something undefined (reported as the first miss).
  func member(_ base: Operand, _ key: VarValue) throws(TemplateFailure)
    -> Operand
  {
    guard case .value(let container) = base else {
      return base
    }
    switch (container, key) {
    case (.map(let map), _):
      if let v = map[PythonFormat.str(key)] { return .value(v) }
      return .undefined("'dict object' has no attribute '\(PythonFormat.str(key))'")
    case (.list(let items), .int(let i)):
      let k = i < 0 ? items.count + i : i
      guard items.indices.contains(k) else { return .undefined("list index \(i) out of range") }
      return .value(items[k])
    case (.string(let s), .int(let i)):
      let chars = Array(s)
      let k = i < 0 ? chars.count + i : i
      guard chars.indices.contains(k) else { return .undefined("string index \(i) out of range") }
      return .value(.string(String(chars[k])))
    default:
      return .undefined(
        "'\(typeName(container)) object' has no attribute '\(PythonFormat.str(key))'")
    }
  }

  private func binary(_ op: String, _ lhs: ExpressionNode, _ rhs: ExpressionNode)
    throws(TemplateFailure) -> VarValue
  {
    switch op {
    case "and":
      let l = try value(lhs)
      return Expression.isTrue(l) ? try value(rhs) : l
    case "or":
      let l = try value(lhs)
      return Expression.isTrue(l) ? l : try value(rhs)
    default: break
    }
    let l = try value(lhs)
    let r = try value(rhs)
    switch op {
    case "==": return .bool(Self.equal(l, r))
    case "!=": return .bool(!Self.equal(l, r))
    case "<", "<=", ">", ">=":
      guard let order = Self.compare(l, r) else {
        throw fail("'\(op)' not supported between \(typeName(l)) and \(typeName(r))")
      }
      switch op {
      case "<": return .bool(order < 0)
      case "<=": return .bool(order <= 0)
      case ">": return .bool(order > 0)
      default: return .bool(order >= 0)
      }
    case "in": return .bool(try contains(r, l))
    case "~": return .string(PythonFormat.str(l) + PythonFormat.str(r))
    default: return try arithmetic(op, l, r)
    }
  }

  /// Arithmetic on values already evaluated (for the `sum` filter).
  func evaluateBinary(_ op: String, _ l: VarValue, _ r: VarValue) throws(TemplateFailure)
    -> VarValue
  {
    try arithmetic(op, l, r)
  }

  private func arithmetic(_ op: String, _ l: VarValue, _ r: VarValue) throws(TemplateFailure)
    -> VarValue
  {
    /// `'x' * n` and `[…] * n` within `TemplateLimits.maxLength` (a template must not make the
    /// controller allocate gigabytes: the fuzzer tried).
    func repetitions(_ size: Int, _ count: Int) throws(TemplateFailure) -> Int {
      let count = max(0, count)
      let (total, overflow) = size.multipliedReportingOverflow(by: count)
      guard !overflow, total <= TemplateLimits.maxLength else {
        throw fail(
          "repeating \(size) element(s) \(count) times exceeds the template limit of"
            + " \(TemplateLimits.maxLength)")
      }
      return count
    }
    switch (op, l, r) {
    case ("+", .string(let a), .string(let b)): return .string(a + b)
    case ("+", .list(let a), .list(let b)): return .list(a + b)
    case ("*", .string(let s), _) where Self.integer(r) != nil:
      return .string(String(repeating: s, count: try repetitions(s.utf8.count, Self.integer(r)!)))
    case ("*", _, .string(let s)) where Self.integer(l) != nil:
      return .string(String(repeating: s, count: try repetitions(s.utf8.count, Self.integer(l)!)))
    case ("*", .list(let items), _):
      guard let n = Self.integer(r) else { break }
      let count = try repetitions(items.count, n)
      return .list(Array([[VarValue]](repeating: items, count: count).joined()))
    default: break
    }
    if let a = Self.integer(l), let b = Self.integer(r) {
      switch op {
      case "+": return .int(a &+ b)
      case "-": return .int(a &- b)
      case "*": return .int(a &* b)
      case "/":
        guard b != 0 else { throw fail("division by zero") }
        return .double(Double(a) / Double(b))
      case "//":
        guard b != 0 else { throw fail("integer division or modulo by zero") }
        let q = a / b
        return .int(a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q)
      case "%":
        guard b != 0 else { throw fail("integer division or modulo by zero") }
        let m = a % b
        return .int(m != 0 && (m < 0) != (b < 0) ? m + b : m)
      case "**":
        guard b >= 0 else { return .double(pow(Double(a), Double(b))) }
        var result = 1
        for _ in 0..<min(b, 64) {
          let (product, overflow) = result.multipliedReportingOverflow(by: a)
          guard !overflow else { throw fail("integer result of \(a) ** \(b) is too large") }
          result = product
        }
        // Beyond 64 multiplications only 0, 1 and -1 stay in range.
        if b > 64, abs(a) > 1 { throw fail("integer result of \(a) ** \(b) is too large") }
        if b > 64, a == -1 { return .int(b % 2 == 0 ? 1 : -1) }
        return .int(result)
      default: break
      }
    }
    if let a = Self.number(l), let b = Self.number(r) {
      switch op {
      case "+": return .double(a + b)
      case "-": return .double(a - b)
      case "*": return .double(a * b)
      case "/", "//", "%":
        guard b != 0 else { throw fail("float division by zero") }
        if op == "/" { return .double(a / b) }
        let q = (a / b).rounded(.down)
        return .double(op == "//" ? q : a - q * b)
      case "**": return .double(pow(a, b))
      default: break
      }
    }
    throw fail(
      "unsupported operand type(s) for \(op): '\(typeName(l))' and '\(typeName(r))'")
  }

  func contains(_ container: VarValue, _ item: VarValue) throws(TemplateFailure) -> Bool {
    switch container {
    case .string(let s):
      guard case .string(let needle) = item else {
        throw fail("'in <string>' requires string as left operand, not \(typeName(item))")
      }
      return needle.isEmpty || s.contains(needle)
    case .list(let items): return items.contains { Self.equal($0, item) }
    case .map(let map): return map[PythonFormat.str(item)] != nil && Self.isKeyLike(item)
    default: throw fail("argument of type '\(typeName(container))' is not iterable")
    }
  }

  private static func isKeyLike(_ v: VarValue) -> Bool {
    if case .string = v { return true }
    return false
  }

  /// String methods and the dict methods playbooks use.
  private func call(_ method: String, on base: VarValue, arguments: Arguments)
    throws(TemplateFailure) -> VarValue
  {
    let args = arguments.positional
    switch (base, method) {
    case (.map(let map), "items"):
      return .list(map.keys.sorted().map { .list([.string($0), map[$0]!]) })
    case (.map(let map), "keys"): return .list(map.keys.sorted().map(VarValue.string))
    case (.map(let map), "values"): return .list(map.keys.sorted().map { map[$0]! })
    case (.map(let map), "get"):
      guard let key = args.first else { break }
      return map[PythonFormat.str(key)] ?? (args.count > 1 ? args[1] : .null)
    case (.string(let s), "upper"): return .string(s.uppercased())
    case (.string(let s), "lower"): return .string(s.lowercased())
    case (.string(let s), "strip"):
      return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
    case (.string(let s), "startswith"):
      guard case .string(let p)? = args.first else { break }
      return .bool(s.hasPrefix(p))
    case (.string(let s), "endswith"):
      guard case .string(let p)? = args.first else { break }
      return .bool(s.hasSuffix(p))
    case (.string(let s), "split"):
      if case .string(let sep)? = args.first {
        return .list(s.components(separatedBy: sep).map(VarValue.string))
      }
      return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
    case (.string(let s), "replace"):
      guard args.count == 2, case .string(let a) = args[0], case .string(let b) = args[1] else {
        break
      }
      return .string(s.replacingOccurrences(of: a, with: b))
    default: break
    }
    throw fail("'\(typeName(base))' object has no method '\(method)' (or wrong arguments)")
  }

  func typeName(_ v: VarValue) -> String {
    switch v {
    case .string: return "str"
    case .int: return "int"
    case .double: return "float"
    case .bool: return "bool"
    case .list: return "list"
    case .map: return "dict"
    case .null: return "NoneType"
    }
  }

  /// Python's int view: booleans are 1 and 0.
  static func integer(_ v: VarValue) -> Int? {
    switch v {
    case .int(let i): return i
    case .bool(let b): return b ? 1 : 0
    default: return nil
    }
  }

  static func number(_ v: VarValue) -> Double? {
    if case .double(let d) = v { return d }
    return integer(v).map(Double.init)
  }

  /// Python's `==`: numbers (booleans included) by value, containers element by element.
  static func equal(_ a: VarValue, _ b: VarValue) -> Bool {
    switch (a, b) {
    case (.list(let x), .list(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    case (.map(let x), .map(let y)):
      return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
    default:
      if let x = number(a), let y = number(b) { return x == y }
      return a == b
    }
  }

  /// Python's ordering for numbers, strings and lists; nil where Python raises.
  static func compare(_ a: VarValue, _ b: VarValue) -> Int? {
    if let x = number(a), let y = number(b) { return x < y ? -1 : x > y ? 1 : 0 }
    switch (a, b) {
    case (.string(let x), .string(let y)):
      let u = Array(x.unicodeScalars).map(\.value)
      let v = Array(y.unicodeScalars).map(\.value)
      return u.lexicographicallyPrecedes(v) ? -1 : u == v ? 0 : 1
    case (.list(let x), .list(let y)):
      for (p, q) in zip(x, y) where !equal(p, q) { return compare(p, q) }
      return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
    default: return nil
    }
  }
}

/// Evaluated arguments of a filter, test or method call.
struct Arguments: Sendable {
  var positional: [VarValue] = []
  var named: [String: VarValue] = [:]

  /// The argument at `index` or called `name`, whichever was given.
  func get(_ index: Int, _ name: String) -> VarValue? {
    named[name] ?? (positional.indices.contains(index) ? positional[index] : nil)
  }
}
