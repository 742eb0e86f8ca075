import DeploySupport

extension Inventory {
  /// What `ansible-inventory --list` prints: every group reachable from `all` with its `hosts`
  /// and `children` (empty keys and empty groups left out, `all` without hosts), and each host's
  /// merged variables under `_meta.hostvars` (hosts without variables left out). Byte for byte
  /// the same layout, so the two can be diffed.
  public func listJSON() -> String {
    var root: [String: InventoryJSON] = [:]
    var seen: Set<String> = []
    func add(_ name: String) {
      guard let group = groups[name] else { return }
      var entry: [String: InventoryJSON] = [:]
      if name != "all", !group.hosts.isEmpty {
        entry["hosts"] = .array(group.hosts.map(InventoryJSON.string))
      }
      if !group.children.isEmpty {
        entry["children"] = .array(group.children.map(InventoryJSON.string))
      }
      if !entry.isEmpty { root[name] = .object(entry) }
      for child in group.children where seen.insert(child).inserted { add(child) }
    }
    add("all")
    var hostvars: [String: InventoryJSON] = [:]
    for host in hosts where !host.vars.isEmpty {
      hostvars[host.name] = InventoryJSON(.map(host.vars))
    }
    root["_meta"] = .object(["hostvars": .object(hostvars)])
    return InventoryJSON.object(root).rendered()
  }
}

/// JSON written exactly as Python's `json.dumps(value, indent=4, sort_keys=True,
/// ensure_ascii=False)` writes it, which is how `ansible-inventory` prints.
enum InventoryJSON: Equatable {
  case object([String: InventoryJSON])
  case array([InventoryJSON])
  case string(String)
  case int(Int)
  case double(Double)
  case bool(Bool)
  case null

  init(_ value: VarValue) {
    switch value {
    case .string(let text): self = .string(text)
    case .int(let number): self = .int(number)
    case .double(let number): self = .double(number)
    case .bool(let flag): self = .bool(flag)
    case .null: self = .null
    case .list(let items): self = .array(items.map(InventoryJSON.init))
    case .map(let entries): self = .object(entries.mapValues(InventoryJSON.init))
    }
  }

  func rendered(level: Int = 0) -> String {
    let inner = String(repeating: " ", count: 4 * (level + 1))
    let outer = String(repeating: " ", count: 4 * level)
    switch self {
    case .object(let entries):
      if entries.isEmpty { return "{}" }
      let keys = entries.keys.sorted { $0.precedesByCodePoint($1) }
      let lines = keys.map {
        inner + Self.quoted($0) + ": " + entries[$0]!.rendered(level: level + 1)
      }
      return "{\n" + lines.joined(separator: ",\n") + "\n" + outer + "}"
    case .array(let items):
      if items.isEmpty { return "[]" }
      let lines = items.map { inner + $0.rendered(level: level + 1) }
      return "[\n" + lines.joined(separator: ",\n") + "\n" + outer + "]"
    case .string(let text): return Self.quoted(text)
    case .int(let number): return String(number)
    case .bool(let flag): return flag ? "true" : "false"
    case .null: return "null"
    case .double(let number):
      // Swift's shortest round-trip form uses the same digits and thresholds as Python's repr.
      if number.isNaN { return "NaN" }
      if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
      return number.description
    }
  }

  private static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case "\u{08}": result += "\\b"
      case "\u{0C}": result += "\\f"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}
