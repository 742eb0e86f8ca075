/// A variable's value as Ansible inventories and playbooks hold them: YAML scalars, lists and
/// maps. INI inventories produce the same values (Ansible parses INI host vars as literals).
public enum VarValue: Sendable, Hashable {
  case string(String)
  case int(Int)
  case double(Double)
  case bool(Bool)
  case list([VarValue])
  case map([String: VarValue])
  case null

  /// The value as a string the way Ansible would template it into a command line.
  public var stringValue: String? {
    switch self {
    case .string(let s): return s
    case .int(let i): return String(i)
    case .double(let d): return String(d)
    case .bool(let b): return b ? "True" : "False"
    case .null: return nil
    case .list, .map: return nil
    }
  }

  public var intValue: Int? {
    switch self {
    case .int(let i): return i
    case .string(let s): return Int(s)
    default: return nil
    }
  }

  /// Ansible's truthiness for flags such as `ansible_become`: yes/true/on/1.
  public var boolValue: Bool? {
    switch self {
    case .bool(let b): return b
    case .int(let i): return i != 0
    case .string(let s):
      switch s.lowercased() {
      case "yes", "true", "on", "1", "y": return true
      case "no", "false", "off", "0", "n", "": return false
      default: return nil
      }
    default: return nil
    }
  }
}
