import DeployInventory
import DeploySupport
import Yams

/// Typed reading of the YAML files whose schema `deploy` owns (the project file, build
/// workflows). Unlike inventories, whose values are free-form variables, every value here has one
/// expected shape, so every read says what it expected; errors point at the offending node and
/// say what was found, and a misspelt key is caught instead of silently ignored.
package struct YAMLSchemaReader {
  /// The file name used in error locations.
  package let file: String

  package init(file: String) { self.file = file }

  /// A mapping's entries, in document order.
  package struct Fields {
    package struct Entry {
      package var key: String
      package var keyNode: Node
      package var value: Node
    }

    var node: Node
    package var entries: [Entry]

    package subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }

    package func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }
  }

  package func location(_ node: Node) -> SourceLocation {
    YAMLDocument.location(of: node, file: file)
  }

  /// What a node is, for "found …" in messages.
  func describe(_ node: Node) -> String {
    switch node {
    case .sequence: return "a list"
    case .mapping: return "a mapping"
    case .scalar(let scalar):
      return node.isNull && scalar.string.isEmpty ? "nothing" : "'\(scalar.string)'"
    case .alias: return "an alias"
    }
  }

  package func mismatch(_ node: Node, expected: String) -> DeployError {
    .configuration(location(node), "expected \(expected), found \(describe(node))")
  }

  /// A mapping whose keys must all be in `allowed`. `what` names it in messages ("app 'web'").
  /// `<<` merge keys are applied (explicit keys win), so shared settings can live in an anchor.
  package func fields(_ node: Node, of what: String, allowed: [String]) throws(DeployError)
    -> Fields
  {
    let fields = try entries(node, expected: "\(what) to be a mapping")
    for entry in fields.entries where !allowed.contains(entry.key) {
      var message = "unknown key '\(entry.key)' in \(what)"
      if let guess = Self.closest(to: entry.key, in: allowed) {
        message += " (did you mean '\(guess)'?)"
      }
      message += "; expected one of: " + allowed.joined(separator: ", ")
      throw .configuration(location(entry.keyNode), message)
    }
    return fields
  }

  /// A mapping with string keys and any values, in document order, merge keys applied.
  package func entries(_ node: Node, expected: String) throws(DeployError) -> Fields {
    guard let mapping = node.mapping else { throw mismatch(node, expected: expected) }
    var explicit: [Fields.Entry] = []
    var merged: [Fields.Entry] = []
    for (key, value) in mapping {
      if key.tag.rawValue == Tag.Name.merge.rawValue {
        for source in value.sequence.map(Array.init) ?? [value] {
          merged += try entries(source, expected: "a mapping (or a list of mappings) after '<<'")
            .entries
        }
        continue
      }
      guard let name = key.scalar?.string, !key.isNull else {
        throw mismatch(key, expected: "a key (a string)")
      }
      explicit.append(Fields.Entry(key: name, keyNode: key, value: value))
    }
    var seen = Set(explicit.map(\.key))
    let inherited = merged.filter { seen.insert($0.key).inserted }
    return Fields(node: node, entries: inherited + explicit)
  }

  /// A scalar's text as written, whatever YAML would type it as: `ref: 1.10` is the tag
  /// `1.10`, not the number 1.1, and `host_key_checking: off` is the word `off`.
  package func string(_ node: Node, expected: String) throws(DeployError) -> String {
    // Only plain `~`, `null` or nothing are null; a quoted "null" is the word.
    guard let scalar = node.scalar, !node.isNull else { throw mismatch(node, expected: expected) }
    return scalar.string
  }

  /// A list of strings, each with its node for later error locations. With `single`, a lone
  /// string is accepted as a list of one (`known_hosts: ~/.ssh/known_hosts`).
  package func strings(
    _ node: Node, expected: String, single: Bool = false
  ) throws(DeployError) -> [(text: String, node: Node)] {
    if single, node.scalar != nil, !node.isNull {
      return [(try string(node, expected: expected), node)]
    }
    guard let sequence = node.sequence else { throw mismatch(node, expected: expected) }
    var items: [(text: String, node: Node)] = []
    for item in sequence { items.append((try string(item, expected: expected), item)) }
    return items
  }

  /// Seconds, written as a number or a duration such as `90s`, `2h` or `1h30m`; more than zero.
  func duration(_ node: Node, expected: String) throws(DeployError) -> Double {
    let what = "\(expected) (seconds, or a duration such as 90s, 5m, 2h, 1d or 1h30m)"
    guard let seconds = DurationParser.seconds(try string(node, expected: what)), seconds > 0
    else { throw mismatch(node, expected: what) }
    return seconds
  }

  func integer(_ node: Node, expected: String, minimum: Int) throws(DeployError) -> Int {
    guard let value = Int(try string(node, expected: expected)), value >= minimum else {
      throw mismatch(node, expected: expected)
    }
    return value
  }

  /// The allowed key a misspelt one was probably meant to be: at most two edits away.
  package static func closest(to key: String, in allowed: [String]) -> String? {
    let scored = allowed.map { ($0, editDistance(key.lowercased(), $0)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2, best.1 < key.count else {
      return nil
    }
    return best.0
  }

  private static func editDistance(_ a: String, _ b: String) -> Int {
    let target = Array(b)
    var row = Array(0...target.count)
    for (i, x) in a.enumerated() {
      var diagonal = row[0]
      row[0] = i + 1
      for (j, y) in target.enumerated() {
        let above = row[j + 1]
        row[j + 1] = min(above + 1, row[j] + 1, diagonal + (x == y ? 0 : 1))
        diagonal = above
      }
    }
    return row[target.count]
  }
}
