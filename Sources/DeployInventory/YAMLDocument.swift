import DeploySupport
import Yams

/// YAML reading shared by YAML inventories and `group_vars/`/`host_vars/` files: Yams nodes keep
/// their line and column, and values are typed the way PyYAML (YAML 1.1) types them for Ansible,
/// so `yes` is a bool and `0755` an octal int.
package enum YAMLDocument {
  struct Entry {
    var key: String
    var value: VarValue
    var location: SourceLocation
  }

  /// PyYAML's float rule, which Ansible sees: a float needs a dot, and an exponent needs a sign,
  /// so `1e5` and `1.0e5` stay strings (Yams' default would make them floats).
  private static let resolver = try! Resolver.default.replacing(
    .float,
    with: "^(?:"
      + [
        #"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"#,
        #"\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"#,
        #"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"#,
        #"[-+]?\.(?:inf|Inf|INF)"#,
        #"\.(?:nan|NaN|NAN)"#,
      ].joined(separator: "|") + ")$")

  /// The document's root node, or nil for an empty document (or one with only comments).
  package static func compose(_ text: String, file: String) throws(DeployError) -> Node? {
    do {
      return try Yams.compose(yaml: text, resolver)
    } catch let error as YamlError {
      throw convert(error, file: file, text: text)
    } catch {
      throw .configuration(SourceLocation(file: file), "cannot parse YAML: \(error)")
    }
  }

  package static func location(of node: Node, file: String) -> SourceLocation {
    SourceLocation(file: file, line: node.mark?.line, column: node.mark?.column)
  }

  /// A mapping's entries as variables, in document order, with `<<` merge keys applied (explicit
  /// keys win over merged ones, earlier merge sources over later ones, as in PyYAML).
  static func entries(of mapping: Node.Mapping, file: String) throws(DeployError) -> [Entry] {
    var explicit: [Entry] = []
    var merged: [Entry] = []
    for (key, value) in mapping {
      if key.tag.rawValue == Tag.Name.merge.rawValue {
        let sources = value.sequence.map(Array.init) ?? [value]
        for source in sources {
          guard let sourceMapping = source.mapping else {
            throw .configuration(
              location(of: source, file: file),
              "expected a mapping (or a list of mappings) after '<<'")
          }
          merged += try entries(of: sourceMapping, file: file)
        }
        continue
      }
      guard let name = key.scalar?.string else {
        throw .configuration(location(of: key, file: file), "expected a variable name (a string)")
      }
      explicit.append(
        Entry(
          key: name, value: try varValue(value, file: file), location: location(of: key, file: file)
        ))
    }
    var seen = Set(explicit.map(\.key))
    let inherited = merged.filter { seen.insert($0.key).inserted }
    return inherited + explicit
  }

  package static func varValue(_ node: Node, file: String) throws(DeployError) -> VarValue {
    switch node {
    case .scalar(let scalar):
      return try scalarValue(scalar, node: node, file: file)
    case .sequence(let sequence):
      var items: [VarValue] = []
      for item in sequence { items.append(try varValue(item, file: file)) }
      return .list(items)
    case .mapping(let mapping):
      var map: [String: VarValue] = [:]
      for entry in try entries(of: mapping, file: file) { map[entry.key] = entry.value }
      return .map(map)
    case .alias:
      throw .configuration(location(of: node, file: file), "unresolved YAML alias")
    }
  }

  /// An int-tagged scalar's value, nil when it does not fit. Yams computes YAML 1.1's base-60
  /// integers (`1:30:00`) without overflow checks, so a large one traps (found by fuzzing): those
  /// are checked here first.
  package static func integer(_ node: Node) -> Int? {
    if let text = node.scalar?.string, text.contains(":"), !fitsInBase60(text) { return nil }
    return node.int
  }

  /// Whether Yams can compute a base-60 integer (`-1_0:30:00`) without overflowing: it fits in
  /// an Int, and so does 60 to the power of its number of parts (Yams computes that too).
  private static func fitsInBase60(_ text: String) -> Bool {
    var value = 0
    let digits = text.filter { $0 != "_" }.drop { $0 == "-" || $0 == "+" }
    let components = digits.split(separator: ":", omittingEmptySubsequences: false)
    guard components.count <= 10 else { return false }
    for component in components {
      guard !component.isEmpty, component.allSatisfy(\.isASCII), component.allSatisfy(\.isNumber),
        let part = Int(component)
      else { return false }
      let shifted = value.multipliedReportingOverflow(by: 60)
      let sum = shifted.partialValue.addingReportingOverflow(part)
      guard !shifted.overflow, !sum.overflow else { return false }
      value = sum.partialValue
    }
    return true
  }

  private static func scalarValue(
    _ scalar: Node.Scalar, node: Node, file: String
  ) throws(DeployError) -> VarValue {
    switch node.tag.rawValue {
    case Tag.Name.null.rawValue: return .null
    case Tag.Name.bool.rawValue: return node.bool.map(VarValue.bool) ?? .string(scalar.string)
    case Tag.Name.int.rawValue: return integer(node).map(VarValue.int) ?? .string(scalar.string)
    case Tag.Name.float.rawValue: return node.float.map(VarValue.double) ?? .string(scalar.string)
    case "!vault":
      throw .configuration(
        location(of: node, file: file),
        "vault-encrypted values are not supported; decrypt it or pass it another way")
    default:
      // Strings, timestamps (which Ansible prints back as text) and `!unsafe`.
      return .string(scalar.string)
    }
  }

  private static func convert(_ error: YamlError, file: String, text: String) -> DeployError {
    func located(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> DeployError {
      var message = "invalid YAML: \(problem)"
      if let context {
        message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
      }
      return .configuration(
        SourceLocation(file: file, line: mark.line, column: mark.column), message)
    }
    switch error {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      return located(mark, problem, context)
    case .duplicatedKeysInMapping(let duplicates, let context):
      let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
      return .configuration(
        SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
        "duplicate key \(keys) in the same mapping; merge the two entries")
    case .reader(let problem, let offset, _, _):
      guard let offset else {
        return .configuration(SourceLocation(file: file), "invalid YAML: \(problem)")
      }
      let before = text.prefix(offset)
      let line = before.count { $0 == "\n" || $0 == "\r\n" } + 1
      let column = before.reversed().prefix { $0 != "\n" && $0 != "\r\n" }.count + 1
      return .configuration(
        SourceLocation(file: file, line: line, column: column), "invalid YAML: \(problem)")
    default:
      return .configuration(SourceLocation(file: file), "invalid YAML: \(error)")
    }
  }
}

extension Node {
  /// `~`, `null` or nothing: YAML's null (a scalar; a mapping or list never is).
  package var isNull: Bool { scalar != nil && tag.rawValue == Tag.Name.null.rawValue }
}
