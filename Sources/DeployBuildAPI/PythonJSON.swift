/// A JSON value as Python holds it: objects keep their keys in insertion order. Existing clients
/// of the ECHR-OD explorer's build API compare its answers byte for byte, and those answers are
/// FastAPI's `json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None,
/// separators=(",", ":"))`: `serialized` writes exactly that (`JSONValue` sorts keys and escapes
/// differently, so it cannot).
public indirect enum PythonJSON: Sendable, Hashable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([PythonJSON])
  /// Keys in insertion order, each at most once (as in a Python dict).
  case object([(String, PythonJSON)])

  public static func == (lhs: PythonJSON, rhs: PythonJSON) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.int(let a), .int(let b)): return a == b
    case (.double(let a), .double(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(serialized)
  }

  /// The member named `key` of an object (nil for other values or a missing key).
  public subscript(key: String) -> PythonJSON? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == key }?.1
  }

  /// The text of a string value.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The UTF-8 bytes Python's `json.dumps(…, ensure_ascii=False, separators=(",", ":"))` gives.
  /// Python refuses NaN and infinities (`allow_nan=False`); they are written as `null` here, and
  /// `PythonYAML` never produces them.
  public var serialized: [UInt8] {
    var out: [UInt8] = []
    write(to: &out)
    return out
  }

  /// `serialized` as a string.
  public var text: String { String(decoding: serialized, as: UTF8.self) }

  private func write(to out: inout [UInt8]) {
    switch self {
    case .null: out += Array("null".utf8)
    case .bool(let value): out += Array((value ? "true" : "false").utf8)
    case .int(let value): out += Array(String(value).utf8)
    case .double(let value): out += Array(Self.pythonRepr(value).utf8)
    case .string(let value): Self.writeString(value, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (index, item) in items.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        item.write(to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      for (index, (key, value)) in members.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        Self.writeString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        value.write(to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// Python's `repr(float)`: the shortest digits that read back the same, in positional notation
  /// for decimal exponents -4 to 15 and scientific notation (`1e+16`, `1e-05`) outside. Swift's
  /// `description` follows the same rules (the unit tests check it against Python).
  package static func pythonRepr(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    return value.description
  }

  /// Python's `py_encode_basestring`: escapes `"`, `\` and control characters only, so
  /// non-ASCII text and `/` stay as they are.
  private static func writeString(_ value: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in value.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
      case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
      case 0x0A: out += Array(#"\n"#.utf8)
      case 0x0D: out += Array(#"\r"#.utf8)
      case 0x09: out += Array(#"\t"#.utf8)
      case 0x08: out += Array(#"\b"#.utf8)
      case 0x0C: out += Array(#"\f"#.utf8)
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
