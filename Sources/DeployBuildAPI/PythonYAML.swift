import DeployInventory
import Yams

/// Reads a YAML document the way the explorer answers it: PyYAML's `yaml.full_load` (YAML 1.1
/// types: `yes` is true, `0755` is 493, `2020-12-19 23:04:48` a datetime), then FastAPI's
/// `jsonable_encoder` (datetimes and dates as ISO 8601 text) — so `/current` and `/available`
/// give what the original gives for the same `build_info.yml`, keys in file order.
public enum PythonYAML {
  /// The document as JSON, or nil where PyYAML (or JSON) would fail: invalid YAML or UTF-8, more
  /// than one document, an impossible date, an infinite or NaN float (FastAPI refuses those). An
  /// empty document is `null`, as in PyYAML.
  public static func load(_ bytes: [UInt8]) -> PythonJSON? {
    guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
    return load(text)
  }

  /// `load(_:)` for text already decoded.
  public static func load(_ text: String) -> PythonJSON? {
    let root: Node?
    do {
      root = try YAMLDocument.compose(text, file: "build_info.yml")
    } catch {
      return nil
    }
    // An empty document (or one of only comments) is None in PyYAML.
    guard let root else { return .null }
    return value(root)
  }

  private static func value(_ node: Node) -> PythonJSON? {
    switch node {
    case .scalar(let scalar): return scalarValue(scalar, node: node)
    case .sequence(let sequence):
      var items: [PythonJSON] = []
      for item in sequence {
        guard let converted = value(item) else { return nil }
        items.append(converted)
      }
      return .array(items)
    case .mapping(let mapping):
      guard let pairs = flattened(mapping) else { return nil }
      var members: [(String, PythonJSON)] = []
      var identities: [KeyIdentity] = []
      for (key, item) in pairs {
        guard case .scalar(let scalar) = key, let keyValue = scalarValue(scalar, node: key),
          let identity = KeyIdentity(keyValue), let converted = value(item)
        else { return nil }
        // FastAPI's `jsonable_encoder` (sqlalchemy_safe) drops string keys starting with `_sa`.
        if case .string(let text) = keyValue, text.hasPrefix("_sa") { continue }
        // A later equal key replaces the value but keeps the first key and position, as a dict
        // does (and `1`, `1.0` and `true` are equal keys in Python).
        if let index = identities.firstIndex(of: identity) {
          members[index].1 = converted
        } else {
          identities.append(identity)
          members.append((keyText(keyValue), converted))
        }
      }
      return .object(members)
    case .alias:
      return nil
    }
  }

  /// PyYAML's `flatten_mapping`: `<<` merge sources come first (a list of sources in reverse
  /// order, so earlier sources win), then the mapping's own keys, which win over merged ones.
  private static func flattened(_ mapping: Node.Mapping) -> [(Node, Node)]? {
    var merged: [(Node, Node)] = []
    var own: [(Node, Node)] = []
    for (key, item) in mapping {
      guard key.tag.rawValue == Tag.Name.merge.rawValue else {
        own.append((key, item))
        continue
      }
      if let source = item.mapping {
        guard let pairs = flattened(source) else { return nil }
        merged += pairs
      } else if let sources = item.sequence {
        var each: [[(Node, Node)]] = []
        for source in sources {
          guard let sourceMapping = source.mapping, let pairs = flattened(sourceMapping) else {
            return nil
          }
          each.append(pairs)
        }
        merged += each.reversed().flatMap { $0 }
      } else {
        return nil
      }
    }
    return merged + own
  }

  /// A dict key as `json.dumps` writes it: strings as they are, numbers, booleans and None as
  /// their JSON text.
  private static func keyText(_ key: PythonJSON) -> String {
    if case .string(let text) = key { return text }
    return key.text
  }

  /// When two dict keys are the same key for Python: numbers (booleans included) by value.
  private enum KeyIdentity: Hashable {
    case string(String)
    case number(Double)
    case null

    init?(_ key: PythonJSON) {
      switch key {
      case .string(let text): self = .string(text)
      case .int(let number): self = .number(Double(number))
      case .double(let number): self = .number(number)
      case .bool(let flag): self = .number(flag ? 1 : 0)
      case .null: self = .null
      case .array, .object: return nil
      }
    }
  }

  private static func scalarValue(_ scalar: Node.Scalar, node: Node) -> PythonJSON? {
    switch node.tag.rawValue {
    case Tag.Name.null.rawValue: return .null
    case Tag.Name.bool.rawValue: return node.bool.map(PythonJSON.bool)
    case Tag.Name.int.rawValue:
      // One past 64 bits (which PyYAML would still read) makes the file unreadable here.
      return YAMLDocument.integer(node).map(PythonJSON.int)
    case Tag.Name.float.rawValue:
      guard let number = node.float, number.isFinite else { return nil }
      return .double(number)
    case Tag.Name.timestamp.rawValue:
      return PythonTimestamp.isoformat(scalar.string).map { .string($0) }
    default: return .string(scalar.string)
    }
  }
}
