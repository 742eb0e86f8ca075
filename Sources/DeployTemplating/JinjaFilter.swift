import DeploySupport
import Foundation
import HostShell

/// The filters templates may use: Jinja2's common ones and Ansible's. The set is closed so
/// that an unknown (say misspelt) filter fails at parse time, before any host is touched.
enum JinjaFilter {
  static let names: Set<String> = [
    "default", "d", "join", "upper", "lower", "capitalize", "replace", "int", "float", "bool",
    "string", "to_json", "to_nice_json", "to_nice_yaml", "to_yaml", "basename", "dirname",
    "regex_replace", "length", "count", "trim", "first", "last", "list", "unique", "sort",
    "map", "select", "reject", "selectattr", "rejectattr", "min", "max", "sum", "reverse",
    "quote", "mandatory", "dict2items", "items2dict", "combine", "abs", "round",
  ]

  /// `ansible.builtin.to_json` is `to_json`.
  static func shortName(_ name: String) -> String {
    for prefix in ["ansible.builtin.", "ansible.legacy."] where name.hasPrefix(prefix) {
      return String(name.dropFirst(prefix.count))
    }
    return name
  }

  static func apply(
    _ name: String, to operand: Operand, arguments: Arguments, evaluator: ExpressionEvaluator
  ) throws(TemplateFailure) -> Operand {
    switch name {
    case "default", "d":
      let fallback = arguments.get(0, "default_value") ?? .string("")
      let boolean = arguments.get(1, "boolean").map(Expression.isTrue) ?? false
      switch operand {
      case .undefined: return .value(fallback)
      case .value(let v): return .value(boolean && !Expression.isTrue(v) ? fallback : v)
      }
    case "first", "last":
      // Jinja2 gives undefined for an empty sequence, so `| first | default(x)` works.
      let list = try items(try evaluator.defined(operand), name, evaluator)
      guard let item = name == "first" ? list.first : list.last else {
        return .undefined("No \(name) item, sequence was empty.")
      }
      return .value(item)
    case "mandatory":
      if case .undefined(let message) = operand {
        throw evaluator.fail("mandatory variable not defined: \(message)")
      }
      return operand
    default:
      return .value(try apply(name, to: try evaluator.defined(operand), arguments, evaluator))
    }
  }

  private static func apply(
    _ name: String, to value: VarValue, _ arguments: Arguments, _ evaluator: ExpressionEvaluator
  ) throws(TemplateFailure) -> VarValue {
    let args = arguments.positional
    func string(_ index: Int, _ label: String, _ fallback: String? = nil)
      throws(TemplateFailure) -> String
    {
      switch arguments.get(index, label) {
      case .string(let s)?: return s
      case let other?: return PythonFormat.str(other)
      case nil:
        guard let fallback else { throw evaluator.fail("filter '\(name)' needs '\(label)'") }
        return fallback
      }
    }
    func items() throws(TemplateFailure) -> [VarValue] {
      try Self.items(value, name, evaluator)
    }
    switch name {
    case "join":
      let separator = try string(0, "d", "")
      if let attribute = arguments.named["attribute"] {
        var parts: [String] = []
        for item in try items() {
          parts.append(PythonFormat.str(try attributeOf(item, attribute, evaluator)))
        }
        return .string(parts.joined(separator: separator))
      }
      return .string(try items().map(PythonFormat.str).joined(separator: separator))
    case "upper": return .string(PythonFormat.str(value).uppercased())
    case "lower": return .string(PythonFormat.str(value).lowercased())
    case "capitalize":
      let s = PythonFormat.str(value)
      return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
    case "replace":
      let old = try string(0, "old")
      let new = try string(1, "new")
      return .string(PythonFormat.str(value).replacingOccurrences(of: old, with: new))
    case "trim":
      return .string(PythonFormat.str(value).trimmingCharacters(in: .whitespacesAndNewlines))
    case "int": return .int(toInt(value) ?? (arguments.get(0, "default").flatMap(toInt) ?? 0))
    case "float":
      switch value {
      case .double: return value
      case .int(let i): return .double(Double(i))
      case .bool(let b): return .double(b ? 1 : 0)
      case .string(let s):
        return .double(Double(s.trimmingCharacters(in: .whitespaces)) ?? 0)
      default: return .double(0)
      }
    case "bool":
      switch value {
      case .bool: return value
      case .null: return .bool(false)
      case .string(let s):
        return .bool(["yes", "on", "1", "true", "y"].contains(s.lowercased()))
      case .int(let i): return .bool(i == 1)
      case .double(let d): return .bool(d == 1)
      default: return .bool(false)
      }
    case "string": return .string(PythonFormat.str(value))
    case "to_json": return .string(PythonFormat.json(value, indent: nil))
    case "to_nice_json":
      let indent = ExpressionEvaluator.integer(arguments.get(0, "indent") ?? .int(4)) ?? 4
      guard (0...64).contains(indent) else {
        throw evaluator.fail("to_nice_json: an indent of \(indent) is not 0 to 64")
      }
      return .string(PythonFormat.json(value, indent: indent))
    case "to_nice_yaml", "to_yaml": return .string(PythonFormat.yaml(value))
    case "basename":
      let s = PythonFormat.str(value)
      return .string(s.lastIndex(of: "/").map { String(s[s.index(after: $0)...]) } ?? s)
    case "dirname":
      // Python's os.path.dirname: everything before the last slash, trailing slashes trimmed
      // unless the result is only slashes.
      let s = PythonFormat.str(value)
      guard let slash = s.lastIndex(of: "/") else { return .string("") }
      let head = String(s[...slash])
      let trimmed = head.replacingOccurrences(of: "/+$", with: "", options: .regularExpression)
      return .string(trimmed.isEmpty ? head : trimmed)
    case "regex_replace":
      let regex = try PythonRegex(try string(0, "pattern"), evaluator: evaluator)
      return .string(
        regex.replace(in: PythonFormat.str(value), with: try string(1, "replacement", "")))
    case "quote":
      let word: ShellScript = "\(PythonFormat.str(value))"
      return .string(word.text)
    case "length", "count":
      switch value {
      case .string(let s): return .int(s.count)
      case .list(let l): return .int(l.count)
      case .map(let m): return .int(m.count)
      default: throw evaluator.fail("object of type '\(evaluator.typeName(value))' has no len()")
      }
    case "list": return .list(try items())
    case "reverse":
      if case .string(let s) = value { return .string(String(s.reversed())) }
      return .list(try items().reversed())
    case "unique":
      var seen: [VarValue] = []
      for item in try items() where !seen.contains(where: { ExpressionEvaluator.equal($0, item) }) {
        seen.append(item)
      }
      return .list(seen)
    case "sort":
      let reverse = arguments.get(0, "reverse").map(Expression.isTrue) ?? false
      let attribute = arguments.named["attribute"]
      var keyed: [(key: VarValue, item: VarValue)] = []
      for item in try items() {
        let key =
          try attribute.map { a throws(TemplateFailure) in
            try attributeOf(item, a, evaluator)
          } ?? item
        keyed.append((Self.caseFolded(key), item))
      }
      var failed = false
      let sorted = keyed.enumerated().sorted { a, b in
        guard let order = ExpressionEvaluator.compare(a.element.key, b.element.key) else {
          failed = true
          return false
        }
        if order == 0 { return a.offset < b.offset }
        return reverse ? order > 0 : order < 0
      }
      if failed { throw evaluator.fail("sort: values cannot be compared") }
      return .list(sorted.map(\.element.item))
    case "min", "max":
      var best: VarValue?
      for item in try items() {
        guard let current = best else {
          best = item
          continue
        }
        guard
          let order = ExpressionEvaluator.compare(Self.caseFolded(item), Self.caseFolded(current))
        else { throw evaluator.fail("\(name): values cannot be compared") }
        if name == "min" ? order < 0 : order > 0 { best = item }
      }
      guard let best else { throw evaluator.fail("\(name) of an empty sequence") }
      return best
    case "sum":
      var total: VarValue = arguments.get(1, "start") ?? .int(0)
      for item in try items() {
        let t = total
        total = try evaluator.evaluateBinary("+", t, item)
      }
      return total
    case "abs":
      switch value {
      case .int(let i): return .int(abs(i))
      case .double(let d): return .double(abs(d))
      default: throw evaluator.fail("abs needs a number")
      }
    case "round":
      guard let d = ExpressionEvaluator.number(value) else {
        throw evaluator.fail("round needs a number")
      }
      let places = ExpressionEvaluator.integer(arguments.get(0, "precision") ?? .int(0)) ?? 0
      let scale = pow(10, Double(places))
      return .double((d * scale).rounded(.toNearestOrEven) / scale)
    case "map":
      if let attribute = arguments.named["attribute"] {
        var out: [VarValue] = []
        for item in try items() {
          let member = try evaluator.member(.value(item), attribute)
          if case .value(let v) = member {
            out.append(v)
          } else if let fallback = arguments.named["default"] {
            out.append(fallback)
          } else {
            throw evaluator.fail("map: an item has no attribute \(PythonFormat.repr(attribute))")
          }
        }
        return .list(out)
      }
      guard case .string(let filter)? = args.first, names.contains(filter) else {
        throw evaluator.fail("map needs attribute='…' or the name of a filter")
      }
      let rest = Arguments(positional: Array(args.dropFirst()), named: arguments.named)
      var out: [VarValue] = []
      for item in try items() { out.append(try apply(filter, to: item, rest, evaluator)) }
      return .list(out)
    case "select", "reject", "selectattr", "rejectattr":
      let byAttribute = name.hasSuffix("attr")
      var rest = args
      let attribute = byAttribute ? rest.first : nil
      if byAttribute {
        guard attribute != nil else { throw evaluator.fail("\(name) needs an attribute name") }
        rest.removeFirst()
      }
      var test: String?
      if case .string(let t)? = rest.first {
        guard JinjaTest.names.contains(t) else { throw evaluator.fail("no test named '\(t)'") }
        test = t
        rest.removeFirst()
      }
      let keep = name.hasPrefix("select")
      var out: [VarValue] = []
      for item in try items() {
        let subject =
          try attribute.map { a throws(TemplateFailure) in
            try evaluator.member(.value(item), a)
          } ?? .value(item)
        let passed: Bool
        if let test {
          passed = try JinjaTest.apply(
            test, to: subject, arguments: Arguments(positional: rest), evaluator: evaluator)
        } else {
          passed = Expression.isTrue(try evaluator.defined(subject))
        }
        if passed == keep { out.append(item) }
      }
      return .list(out)
    case "dict2items":
      guard case .map(let map) = value else { throw evaluator.fail("dict2items needs a dict") }
      let keyName = try string(0, "key_name", "key")
      let valueName = try string(1, "value_name", "value")
      return .list(map.keys.sorted().map { .map([keyName: .string($0), valueName: map[$0]!]) })
    case "items2dict":
      let keyName = try string(0, "key_name", "key")
      let valueName = try string(1, "value_name", "value")
      var out: [String: VarValue] = [:]
      for item in try items() {
        guard case .map(let m) = item, let k = m[keyName], let v = m[valueName] else {
          throw evaluator.fail("items2dict needs dicts with '\(keyName)' and '\(valueName)'")
        }
        out[PythonFormat.str(k)] = v
      }
      return .map(out)
    case "combine":
      guard case .map(var merged) = value else { throw evaluator.fail("combine needs dicts") }
      let recursive = arguments.named["recursive"].map(Expression.isTrue) ?? false
      for other in args {
        guard case .map(let more) = other else { throw evaluator.fail("combine needs dicts") }
        merged = Self.combine(merged, more, recursive: recursive)
      }
      return .map(merged)
    default:
      throw evaluator.fail("filter '\(name)' is not implemented")
    }
  }

  /// What a filter iterates: list items, dict keys (sorted: `VarValue` maps have no order),
  /// string characters.
  static func items(_ value: VarValue, _ name: String, _ evaluator: ExpressionEvaluator)
    throws(TemplateFailure) -> [VarValue]
  {
    switch value {
    case .list(let l): return l
    case .map(let m): return m.keys.sorted().map(VarValue.string)
    case .string(let s): return s.map { .string(String($0)) }
    default:
      throw evaluator.fail("'\(evaluator.typeName(value))' object is not iterable (in '\(name)')")
    }
  }

  /// Jinja2's `sort`, `min` and `max` ignore case by default.
  private static func caseFolded(_ v: VarValue) -> VarValue {
    if case .string(let s) = v { return .string(s.lowercased()) }
    return v
  }

  private static func attributeOf(
    _ item: VarValue, _ attribute: VarValue, _ evaluator: ExpressionEvaluator
  ) throws(TemplateFailure) -> VarValue {
    try evaluator.defined(try evaluator.member(.value(item), attribute))
  }

  private static func toInt(_ v: VarValue) -> Int? {
    switch v {
    case .int(let i): return i
    case .bool(let b): return b ? 1 : 0
    case .double(let d): return Int(exactly: d.rounded(.towardZero))
    case .string(let s):
      let t = s.trimmingCharacters(in: .whitespaces)
      return Int(t) ?? Double(t).flatMap { Int(exactly: $0.rounded(.towardZero)) }
    default: return nil
    }
  }

  private static func combine(
    _ a: [String: VarValue], _ b: [String: VarValue], recursive: Bool
  ) -> [String: VarValue] {
    var out = a
    for (k, v) in b {
      if recursive, case .map(let x)? = out[k], case .map(let y) = v {
        out[k] = .map(combine(x, y, recursive: true))
      } else {
        out[k] = v
      }
    }
    return out
  }
}
