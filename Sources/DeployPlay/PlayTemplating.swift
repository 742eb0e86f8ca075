import DeployInventory
import DeploySupport
import DeployTemplating
import Foundation
import Yams

/// Templating of playbook values as Ansible does it: every string may hold `{{ }}`; a string
/// that is one expression and nothing else keeps the expression's type (`loop: "{{ pkgs }}"`
/// is a list, not its text); conditions (`when`, `changed_when`, …) are bare expressions.
enum PlayTemplating {
  /// A YAML value with every string in it templated.
  static func value(_ value: PlaybookValue, vars: [String: VarValue]) throws(DeployError)
    -> VarValue
  {
    let raw = try YAMLDocument.varValue(value.node, file: value.location.file)
    return try render(raw, vars: vars, location: value.location)
  }

  static func render(_ value: VarValue, vars: [String: VarValue], location: SourceLocation?)
    throws(DeployError) -> VarValue
  {
    switch value {
    case .string(let text): return try string(text, vars: vars, location: location)
    case .list(let items):
      var rendered: [VarValue] = []
      for item in items { rendered.append(try render(item, vars: vars, location: location)) }
      return .list(rendered)
    case .map(let map):
      var rendered: [String: VarValue] = [:]
      for (key, item) in map {
        rendered[try string(key, vars: vars, location: location).stringValue ?? key] =
          try render(item, vars: vars, location: location)
      }
      return .map(rendered)
    default: return value
    }
  }

  static func hasTemplate(_ text: String) -> Bool {
    text.contains("{{") || text.contains("{%")
  }

  /// One string: itself when it has no template, the expression's value when it is exactly one
  /// `{{ expression }}`, else the rendered text.
  static func string(_ text: String, vars: [String: VarValue], location: SourceLocation?)
    throws(DeployError) -> VarValue
  {
    guard hasTemplate(text) else { return .string(text) }
    if let expression = soleExpression(text) {
      return try Expression.evaluate(expression, vars: vars, location: location)
    }
    return .string(try Template(text, location: location).render(vars))
  }

  /// The expression of a string that is one `{{ … }}` and nothing else (spaces around allowed).
  static func soleExpression(_ text: String) -> String? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.count >= 4 else { return nil }
    let inner = trimmed.dropFirst(2).dropLast(2)
    guard !inner.contains("{{"), !inner.contains("}}"), !inner.contains("{%") else { return nil }
    return String(inner)
  }

  /// A condition (`when:`, `changed_when:`, `failed_when:`, `assert`'s `that:`): a bare
  /// expression, a boolean, or a list of them that must all hold. Ansible also accepts a
  /// condition wrapped in braces (with a warning); so do we.
  static func condition(_ value: PlaybookValue, vars: [String: VarValue]) throws(DeployError)
    -> Bool
  {
    let raw = try YAMLDocument.varValue(value.node, file: value.location.file)
    return try condition(raw, vars: vars, location: value.location)
  }

  static func condition(_ raw: VarValue, vars: [String: VarValue], location: SourceLocation?)
    throws(DeployError) -> Bool
  {
    switch raw {
    case .list(let items):
      for item in items where try !condition(item, vars: vars, location: location) {
        return false
      }
      return true
    case .string(let text):
      let expression = soleExpression(text) ?? text
      return Expression.isTrue(try Expression.evaluate(expression, vars: vars, location: location))
    case .null: return true
    default: return Expression.isTrue(raw)
    }
  }

  /// Checks every template and condition in `value` for syntax errors and unknown filters,
  /// without evaluating anything (variables are not known before hosts are contacted).
  static func validate(_ value: PlaybookValue, asCondition: Bool = false) throws(DeployError) {
    let raw = try YAMLDocument.varValue(value.node, file: value.location.file)
    try validate(raw, asCondition: asCondition, location: value.location)
  }

  private static func validate(_ raw: VarValue, asCondition: Bool, location: SourceLocation)
    throws(DeployError)
  {
    switch raw {
    case .string(let text):
      if asCondition {
        _ = try Template("{{ " + (soleExpression(text) ?? text) + " }}", location: location)
      } else if hasTemplate(text) {
        _ = try Template(text, location: location)
      }
    case .list(let items):
      for item in items { try validate(item, asCondition: asCondition, location: location) }
    case .map(let map):
      for item in map.values { try validate(item, asCondition: asCondition, location: location) }
    default: break
    }
  }

  /// Resolves variables that refer to other variables (`home: "/home/{{ user }}"`), as Ansible's
  /// lazy templating would when they are read. Values that cannot be rendered yet (they use a
  /// variable defined later, say by `register`) are left as written and rendered when used.
  static func resolve(_ vars: [String: VarValue], keys: Set<String>) -> [String: VarValue] {
    var resolved = vars
    for _ in 0..<8 {
      var progressed = false
      for key in keys {
        guard let value = resolved[key], value.containsTemplate else { continue }
        if let rendered = try? render(value, vars: resolved, location: nil), rendered != value {
          resolved[key] = rendered
          progressed = true
        }
      }
      if !progressed { break }
    }
    return resolved
  }
}

extension VarValue {
  var containsTemplate: Bool {
    switch self {
    case .string(let text): return PlayTemplating.hasTemplate(text)
    case .list(let items): return items.contains { $0.containsTemplate }
    case .map(let map): return map.values.contains { $0.containsTemplate }
    default: return false
    }
  }
}
