import DeploySupport

/// Bounds on what rendering one template may cost. Nested loops multiply (the fuzzer found a
/// dozen nested `for` over two items running for minutes), and a template is read from a
/// repository: it must not be able to hang or exhaust the controller.
enum TemplateLimits {
  /// Loop iterations in one rendering, all loops together.
  static let maxIterations = 200_000
  /// Characters of output, and of any one string or list a template builds.
  static let maxLength = 32 << 20
}

/// Walks a parsed template, appending text to `output`.
struct TemplateRenderer {
  let options: TemplateOptions
  private(set) var output = ""
  private var iterations = 0

  init(options: TemplateOptions) {
    self.options = options
  }

  /// `vars` is inout because `{% set %}` outside loops changes what later tags see; a loop body
  /// works on its own copy, as in Jinja2.
  mutating func render(_ nodes: [TemplateNode], vars: inout [String: VarValue])
    throws(TemplateFailure)
  {
    for node in nodes {
      switch node {
      case .text(let s): output += s
      case .output(let expression, let offset):
        let value = try ExpressionEvaluator(vars: vars, offset: offset).value(expression)
        if value == .null && options.noneAsEmpty { continue }
        output += PythonFormat.str(value)
      case .assignment(let name, let expression, let offset):
        vars[name] = try ExpressionEvaluator(vars: vars, offset: offset).value(expression)
      case .conditional(let branches, let otherwise):
        var taken = false
        for branch in branches {
          let evaluator = ExpressionEvaluator(vars: vars, offset: branch.offset)
          if Expression.isTrue(try evaluator.value(branch.condition)) {
            try render(branch.body, vars: &vars)
            taken = true
            break
          }
        }
        if !taken, let otherwise { try render(otherwise, vars: &vars) }
      case .loop(let loop): try render(loop, vars: vars)
      }
    }
  }

  private mutating func render(_ loop: TemplateLoop, vars: [String: VarValue])
    throws(TemplateFailure)
  {
    let evaluator = ExpressionEvaluator(vars: vars, offset: loop.offset)
    var items = try JinjaFilter.items(try evaluator.value(loop.iterable), "for", evaluator)
    var scope = vars
    if let filter = loop.filter {
      var kept: [VarValue] = []
      for item in items {
        try bind(loop, item, into: &scope)
        let test = ExpressionEvaluator(vars: scope, offset: loop.offset)
        if Expression.isTrue(try test.value(filter)) { kept.append(item) }
      }
      items = kept
    }
    if items.isEmpty {
      var scope = vars
      if let otherwise = loop.otherwise { try render(otherwise, vars: &scope) }
      return
    }
    for (index, item) in items.enumerated() {
      iterations += 1
      guard iterations <= TemplateLimits.maxIterations,
        output.utf8.count <= TemplateLimits.maxLength
      else {
        throw TemplateFailure(
          offset: loop.offset,
          message: "rendering this template takes more than \(TemplateLimits.maxIterations) loop"
            + " iterations or \(TemplateLimits.maxLength) characters (nested loops multiply)")
      }
      var scope = vars
      try bind(loop, item, into: &scope)
      scope["loop"] = .map([
        "index": .int(index + 1), "index0": .int(index),
        "revindex": .int(items.count - index), "revindex0": .int(items.count - index - 1),
        "first": .bool(index == 0), "last": .bool(index == items.count - 1),
        "length": .int(items.count),
        "previtem": index > 0 ? items[index - 1] : .null,
        "nextitem": index + 1 < items.count ? items[index + 1] : .null,
      ])
      try render(loop.body, vars: &scope)
    }
  }

  /// `for x in …` binds the item; `for k, v in …` unpacks a pair (such as from `.items()`).
  private func bind(_ loop: TemplateLoop, _ item: VarValue, into scope: inout [String: VarValue])
    throws(TemplateFailure)
  {
    guard loop.targets.count > 1 else {
      scope[loop.targets[0]] = item
      return
    }
    guard case .list(let parts) = item, parts.count == loop.targets.count else {
      throw TemplateFailure(
        offset: loop.offset,
        message: "cannot unpack \(PythonFormat.repr(item)) into \(loop.targets.count) names")
    }
    for (name, part) in zip(loop.targets, parts) { scope[name] = part }
  }
}
