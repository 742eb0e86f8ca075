import DeploySupport
import Yams

/// Ansible's YAML inventory format, following its `yaml` inventory plugin: top-level keys are
/// groups (usually just `all`); each group may have `hosts` (a map of host name or range to its
/// vars, or null), `children` (a map of group name to group) and `vars` (a map). A group may
/// appear in several places; all its appearances add up.
///
/// Stricter than Ansible, which warns and carries on: an unknown key in a group (say `host:`) or
/// a group that is not a map is an error, because silently dropping hosts is worse in a deploy.
enum YAMLInventoryParser {
  static func parse(
    _ text: String, file: String, into builder: inout InventoryBuilder
  ) throws(DeployError) {
    guard let root = try YAMLDocument.compose(text, file: file) else { return }
    guard let groups = root.mapping else {
      throw .configuration(
        YAMLDocument.location(of: root, file: file),
        "expected a mapping of group names (such as 'all:') at the top of the inventory")
    }
    if groups["plugin"] != nil {
      throw .configuration(
        YAMLDocument.location(of: root, file: file),
        "this is an inventory plugin configuration, which deploy cannot run; expected a YAML inventory"
      )
    }
    var parser = Parser(file: file, builder: builder)
    for (name, body) in groups { try parser.parseGroup(name, body, parent: nil) }
    builder = parser.builder
  }

  private struct Parser {
    let file: String
    var builder: InventoryBuilder

    func location(_ node: Node) -> SourceLocation { YAMLDocument.location(of: node, file: file) }

    mutating func parseGroup(_ key: Node, _ body: Node, parent: String?) throws(DeployError) {
      guard let name = key.scalar?.string, !name.isEmpty else {
        throw .configuration(location(key), "expected a group name")
      }
      builder.addGroup(name)
      if let parent { try builder.addChild(name, to: parent, at: location(key)) }
      if body.isNull { return }
      guard let sections = body.mapping else {
        throw .configuration(
          location(body),
          "expected group '\(name)' to be a mapping with 'hosts', 'children' or 'vars' (or empty), found \(describe(body))"
        )
      }
      for (sectionKey, value) in sections {
        let section = sectionKey.scalar?.string ?? ""
        switch section {
        case "hosts":
          for (host, vars) in try entries(of: value, section: section, group: name) {
            try parseHost(host, vars, group: name)
          }
        case "children":
          for (child, childBody) in try entries(of: value, section: section, group: name) {
            try parseGroup(child, childBody, parent: name)
          }
        case "vars":
          guard value.isNull || value.mapping != nil else {
            throw .configuration(
              location(value),
              "expected 'vars' of group '\(name)' to be a mapping of variable names to values, found \(describe(value))"
            )
          }
          for entry in try YAMLDocument.entries(of: value.mapping ?? [:], file: file) {
            try builder.setGroupVar(entry.key, entry.value, group: name, at: entry.location)
          }
        default:
          throw .configuration(
            location(sectionKey),
            "unexpected key '\(section)' in group '\(name)'; expected 'hosts', 'children' or 'vars'"
          )
        }
      }
    }

    /// `hosts:` and `children:` hold mappings; like Ansible, a lone string `hosts: web1` means
    /// `hosts: {web1: null}`.
    func entries(
      of value: Node, section: String, group: String
    ) throws(DeployError) -> [(Node, Node)] {
      if value.isNull { return [] }
      if let mapping = value.mapping { return mapping.map { ($0.key, $0.value) } }
      if let scalar = value.scalar, value.tag.rawValue == Tag.Name.str.rawValue {
        let null = Node.scalar(Node.Scalar("", Tag(.null), .plain, scalar.mark))
        return [(value, null)]
      }
      throw .configuration(
        location(value),
        "expected '\(section)' of group '\(group)' to be a mapping of names, found \(describe(value))"
      )
    }

    mutating func parseHost(_ key: Node, _ body: Node, group: String) throws(DeployError) {
      guard let scalar = key.scalar, !scalar.string.isEmpty else {
        throw .configuration(location(key), "expected a host name")
      }
      // Quoted keys start one column before their text.
      let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
      let spec = try HostSpec.parse(scalar.string, at: location(key).movedRight(by: quoted ? 1 : 0))
      guard body.isNull || body.mapping != nil else {
        throw .configuration(
          location(body),
          "expected the variables of host '\(scalar.string)' to be a mapping (or empty), found \(describe(body))"
        )
      }
      let vars = try YAMLDocument.entries(of: body.mapping ?? [:], file: file)
      for name in spec.names {
        builder.addHost(name, to: group)
        if let port = spec.port { builder.setHostVar("ansible_port", .int(port), host: name) }
        for entry in vars { builder.setHostVar(entry.key, entry.value, host: name) }
      }
    }

    func describe(_ node: Node) -> String {
      switch node {
      case .sequence: return "a list"
      case .mapping: return "a mapping"
      case .scalar(let scalar): return "'\(scalar.string)'"
      case .alias: return "an alias"
      }
    }
  }
}
