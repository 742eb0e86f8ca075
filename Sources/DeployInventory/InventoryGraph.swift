extension Inventory {
  /// What `ansible-inventory --graph` prints: the group tree from `@all:`, children before
  /// hosts, both in declaration order; a group with several parents appears under each.
  public func graph() -> String {
    var lines: [String] = []
    func indent(_ depth: Int) -> String {
      depth == 0 ? "" : String(repeating: "  |", count: depth) + "--"
    }
    func add(_ name: String, depth: Int) {
      lines.append(indent(depth) + "@\(name):")
      guard let group = groups[name] else { return }
      for child in group.children { add(child, depth: depth + 1) }
      // `all` holds every host through its children; Ansible does not list them again.
      guard name != "all" else { return }
      for host in group.hosts { lines.append(indent(depth + 1) + host) }
    }
    add("all", depth: 0)
    return lines.joined(separator: "\n")
  }
}
