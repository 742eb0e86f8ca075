import DeployBuildAPI
import DeploySupport
import Foundation

/// How Python (and so Ansible's Jinja2) turns values into text: `str()` for `{{ }}` output,
/// `repr()` inside lists and dicts, and the JSON and YAML dumps behind `to_json`,
/// `to_nice_json` and `to_nice_yaml`. `VarValue` maps have no key order, so dicts are written
/// with sorted keys (what `to_nice_json` and `to_nice_yaml` do anyway).
enum PythonFormat {
  /// Python's `str(value)`: strings as they are, `True`/`False`, `None`, numbers as Python
  /// prints them, containers as their `repr`.
  static func str(_ value: VarValue) -> String {
    switch value {
    case .string(let s): return s
    default: return repr(value)
    }
  }

  /// Python's `repr(value)`: `['a', 1]`, `{'k': 'v'}`.
  static func repr(_ value: VarValue) -> String {
    switch value {
    case .string(let s): return reprString(s)
    case .int(let i): return String(i)
    case .double(let d): return float(d)
    case .bool(let b): return b ? "True" : "False"
    case .null: return "None"
    case .list(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
    case .map(let map):
      let pairs = map.keys.sorted().map { reprString($0) + ": " + repr(map[$0]!) }
      return "{" + pairs.joined(separator: ", ") + "}"
    }
  }

  /// Python's `repr(float)`, with its spellings of the non-finite values.
  static func float(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return PythonJSON.pythonRepr(value)
  }

  /// Single quotes unless the text holds a `'` and no `"`, as Python chooses.
  static func reprString(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if Character(scalar) == quote {
          out += "\\" + String(quote)
        } else if scalar.value < 0x20 || scalar.value == 0x7F {
          out += String(format: "\\x%02x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out.append(quote)
    return out
  }

  /// Python's `json.dumps` with `ensure_ascii=True` and sorted keys; `indent` nil writes one
  /// line with `", "` and `": "` between items (Ansible's `to_json`), an indent writes
  /// `to_nice_json`'s layout.
  static func json(_ value: VarValue, indent: Int?, level: Int = 0) -> String {
    switch value {
    case .string(let s): return jsonString(s)
    case .int(let i): return String(i)
    case .double(let d):
      if d.isNaN { return "NaN" }
      if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
      return PythonJSON.pythonRepr(d)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .list(let items):
      if items.isEmpty { return "[]" }
      let parts = items.map { json($0, indent: indent, level: level + 1) }
      return wrap(parts, open: "[", close: "]", indent: indent, level: level)
    case .map(let map):
      if map.isEmpty { return "{}" }
      let parts = map.keys.sorted().map {
        jsonString($0) + ": " + json(map[$0]!, indent: indent, level: level + 1)
      }
      return wrap(parts, open: "{", close: "}", indent: indent, level: level)
    }
  }

  private static func wrap(
    _ parts: [String], open: String, close: String, indent: Int?, level: Int
  ) -> String {
    guard let indent else { return open + parts.joined(separator: ", ") + close }
    let inner = "\n" + String(repeating: " ", count: indent * (level + 1))
    let outer = "\n" + String(repeating: " ", count: indent * level)
    return open + inner + parts.joined(separator: "," + inner) + outer + close
  }

  private static func jsonString(_ s: String) -> String {
    var out = "\""
    for unit in s.utf16 {
      switch unit {
      case 0x22: out += "\\\""
      case 0x5C: out += "\\\\"
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0x08: out += "\\b"
      case 0x0C: out += "\\f"
      case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
      default: out += String(format: "\\u%04x", unit)
      }
    }
    return out + "\""
  }

  /// PyYAML's `yaml.dump(value, indent=4, allow_unicode=True, default_flow_style=False)`, as
  /// `to_nice_yaml` calls it: block style, sorted keys, sequences inside mappings not indented.
  /// Strings are plain when PyYAML would leave them so, otherwise single-quoted (double-quoted
  /// when they hold control characters or line breaks).
  static func yaml(_ value: VarValue) -> String {
    switch value {
    case .list(let items) where !items.isEmpty: return yamlBlock(value, indent: 0)
    case .map(let map) where !map.isEmpty: return yamlBlock(value, indent: 0)
    default: return yamlScalar(value) + "\n...\n"
    }
  }

  private static func yamlBlock(_ value: VarValue, indent: Int) -> String {
    let pad = String(repeating: " ", count: indent)
    var out = ""
    switch value {
    case .map(let map):
      for key in map.keys.sorted() {
        let item = map[key]!
        out += pad + yamlString(key) + ":"
        switch item {
        case .map(let inner) where !inner.isEmpty:
          out += "\n" + yamlBlock(item, indent: indent + 4)
        case .list(let inner) where !inner.isEmpty:
          out += "\n" + yamlBlock(item, indent: indent)
        default: out += " " + yamlScalar(item) + "\n"
        }
      }
    case .list(let items):
      for item in items {
        switch item {
        case .map(let inner) where !inner.isEmpty:
          out += pad + "-   " + yamlBlock(item, indent: indent + 4).dropFirst(indent + 4)
        case .list(let inner) where !inner.isEmpty:
          out += pad + "-   " + yamlBlock(item, indent: indent + 4).dropFirst(indent + 4)
        default: out += pad + "- " + yamlScalar(item) + "\n"
        }
      }
    default: out += pad + yamlScalar(value) + "\n"
    }
    return out
  }

  private static func yamlScalar(_ value: VarValue) -> String {
    switch value {
    case .string(let s): return yamlString(s)
    case .int(let i): return String(i)
    case .double(let d):
      if d.isNaN { return ".nan" }
      if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
      let text = PythonJSON.pythonRepr(d)
      return text.contains(".") || text.contains("e") ? text : text + ".0"
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .list: return "[]"
    case .map: return "{}"
    }
  }

  /// Words PyYAML's resolver reads as booleans or null (any case here, which over-quotes a
  /// few harmless spellings).
  private static let yamlReserved: Set<String> = [
    "", "~", "null", "true", "false", "yes", "no", "on", "off",
  ]

  private static func yamlString(_ s: String) -> String {
    if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return json(.string(s), indent: nil)
    }
    let first = s.unicodeScalars.first
    let plainSafe =
      !yamlReserved.contains(s.lowercased())
      && Double(s) == nil && Int(s) == nil
      && !(first.map { "-?:,[]{}#&*!|>'\"%@` ".unicodeScalars.contains($0) } ?? true)
      && !s.hasSuffix(" ") && !s.contains(": ") && !s.contains(" #") && !s.hasSuffix(":")
      && !s.hasPrefix("0")
    if plainSafe { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
  }
}
