import DeploySupport

/// The `is` tests: Jinja2's own and Ansible's task-result tests (`changed`, `failed`, …), which
/// look at the keys of a registered result.
enum JinjaTest {
  static let names: Set<String> = [
    "defined", "undefined", "none", "changed", "change", "failed", "failure", "succeeded",
    "success", "successful", "skipped", "skip", "string", "number", "integer", "float",
    "boolean", "mapping", "sequence", "iterable", "true", "false", "even", "odd",
    "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "le", "gt", "ge", "in", "contains",
    "lower", "upper", "match", "search", "regex",
  ]

  static func apply(
    _ name: String, to operand: Operand, arguments: Arguments, evaluator: ExpressionEvaluator
  ) throws(TemplateFailure) -> Bool {
    switch name {
    case "defined":
      if case .undefined = operand { return false }
      return true
    case "undefined":
      if case .undefined = operand { return true }
      return false
    default: break
    }
    let value = try evaluator.defined(operand)
    let argument = arguments.positional.first
    func needArgument() throws(TemplateFailure) -> VarValue {
      guard let argument else { throw evaluator.fail("test '\(name)' needs an argument") }
      return argument
    }
    switch name {
    case "none": return value == .null
    case "changed", "change": return try resultFlag(value, "changed", name, evaluator)
    case "failed", "failure": return try resultFlag(value, "failed", name, evaluator)
    case "succeeded", "success", "successful":
      return !(try resultFlag(value, "failed", name, evaluator))
    case "skipped", "skip": return try resultFlag(value, "skipped", name, evaluator)
    case "string":
      if case .string = value { return true }
      return false
    case "number":
      switch value {
      case .int, .double, .bool: return true
      default: return false
      }
    case "integer":
      if case .int = value { return true }
      return false
    case "float":
      if case .double = value { return true }
      return false
    case "boolean": if case .bool = value { return true } else { return false }
    case "mapping": if case .map = value { return true } else { return false }
    case "sequence", "iterable":
      switch value {
      case .list, .map, .string: return true
      default: return false
      }
    case "true": return value == .bool(true)
    case "false": return value == .bool(false)
    case "even", "odd", "divisibleby":
      guard let n = ExpressionEvaluator.integer(value) else {
        throw evaluator.fail("test '\(name)' needs a number")
      }
      if name == "even" { return n % 2 == 0 }
      if name == "odd" { return n % 2 != 0 }
      guard let d = ExpressionEvaluator.integer(try needArgument()), d != 0 else {
        throw evaluator.fail("divisibleby needs a non-zero number")
      }
      return n % d == 0
    case "eq", "equalto", "==": return ExpressionEvaluator.equal(value, try needArgument())
    case "ne", "!=": return !ExpressionEvaluator.equal(value, try needArgument())
    case "lt", "le", "gt", "ge":
      guard let order = ExpressionEvaluator.compare(value, try needArgument()) else {
        throw evaluator.fail("test '\(name)': values cannot be ordered")
      }
      switch name {
      case "lt": return order < 0
      case "le": return order <= 0
      case "gt": return order > 0
      default: return order >= 0
      }
    case "in": return try evaluator.contains(try needArgument(), value)
    case "contains": return try evaluator.contains(value, try needArgument())
    case "lower", "upper":
      guard case .string(let s) = value else { return false }
      return name == "lower" ? s == s.lowercased() : s == s.uppercased()
    default:
      guard case .string(let s) = value, case .string(let pattern) = try needArgument() else {
        throw evaluator.fail("test '\(name)' needs a string and a pattern")
      }
      let regex = try PythonRegex(pattern, evaluator: evaluator)
      return name == "match" ? regex.matchesAtStart(s) : regex.found(in: s)
    }
  }

  /// Ansible's result tests read `changed`/`failed`/`skipped` from a registered result and
  /// refuse anything that is not one.
  private static func resultFlag(
    _ value: VarValue, _ key: String, _ test: String, _ evaluator: ExpressionEvaluator
  ) throws(TemplateFailure) -> Bool {
    guard case .map(let result) = value else {
      throw evaluator.fail("the '\(test)' test expects a registered task result (a dictionary)")
    }
    return result[key].map(Expression.isTrue) ?? false
  }
}
