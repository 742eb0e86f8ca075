import DeploySupport

/// Jinja2 expressions on their own, as playbooks write them in `when:` conditions (without
/// braces) and inside `{{ }}`.
public enum Expression {
  /// Parses and evaluates `expression` against `vars`. Undefined variables are an error
  /// (naming the variable) unless the expression asks `is defined` or uses `default`.
  /// Errors are located at `location` (the place the expression was written), if given.
  public static func evaluate(
    _ expression: String, vars: [String: VarValue], location: SourceLocation? = nil
  ) throws(DeployError) -> VarValue {
    let scalars = Array(expression.unicodeScalars)
    let locate = { (failure: TemplateFailure) -> DeployError in
      .configuration(
        TemplateLocator(scalars: scalars, base: location).location(of: failure.offset),
        failure.message)
    }
    do {
      let tokens = try ExpressionToken.tokenize(scalars, 0..<scalars.count)
      var parser = ExpressionParser(tokens: tokens)
      let node = try parser.parseComplete()
      return try ExpressionEvaluator(vars: vars, offset: 0).value(node)
    } catch {
      throw locate(error)
    }
  }

  /// Jinja2's (Python's) truthiness: `False`, `None`, zero, and empty strings, lists and
  /// dicts are false; everything else is true (including the string `"false"`).
  public static func isTrue(_ value: VarValue) -> Bool {
    switch value {
    case .bool(let b): return b
    case .null: return false
    case .int(let i): return i != 0
    case .double(let d): return d != 0
    case .string(let s): return !s.isEmpty
    case .list(let l): return !l.isEmpty
    case .map(let m): return !m.isEmpty
    }
  }
}
