import DeploySupport

/// The inventory while parsers fill it in. It keeps Ansible's `InventoryData` rules: groups and
/// hosts exist from their first mention, a host in several groups is one host, child links may
/// not form cycles, and `build` reconciles `all`/`ungrouped` and merges variables.
struct InventoryBuilder {
  struct GroupState {
    var hosts: [String] = []
    var hostSet: Set<String> = []
    var children: [String] = []
    var parents: [String] = []
    var vars: [String: VarValue] = [:]
    var priority = 1
  }

  /// Creation order matters: it decides the order of `all`'s children, as in Ansible.
  private(set) var groupNames: [String] = []
  private(set) var groups: [String: GroupState] = [:]
  /// First-appearance order, which is the order deployments walk the fleet in.
  private(set) var hostNames: [String] = []
  private(set) var hostVars: [String: [String: VarValue]] = [:]

  init() {
    addGroup("all")
    addGroup("ungrouped")
    link("ungrouped", under: "all")
  }

  func hasGroup(_ name: String) -> Bool { groups[name] != nil }

  mutating func addGroup(_ name: String) {
    guard groups[name] == nil else { return }
    groupNames.append(name)
    groups[name] = GroupState()
  }

  mutating func addHost(_ name: String, to group: String) {
    if hostVars[name] == nil {
      hostNames.append(name)
      hostVars[name] = [:]
    }
    addGroup(group)
    if groups[group]!.hostSet.insert(name).inserted {
      groups[group]!.hosts.append(name)
    }
  }

  mutating func removeHost(_ name: String, from group: String) {
    guard groups[group]?.hostSet.remove(name) != nil else { return }
    groups[group]!.hosts.removeAll { $0 == name }
  }

  /// `location` is where the child is named, which is where a cycle gets reported.
  mutating func addChild(
    _ child: String, to parent: String, at location: SourceLocation
  ) throws(DeployError) {
    addGroup(parent)
    addGroup(child)
    guard child != "all" else {
      throw .configuration(
        location, "group 'all' contains every group, so it cannot be a child of '\(parent)'")
    }
    guard child != parent else {
      throw .configuration(location, "group '\(child)' cannot be a child of itself")
    }
    guard !groups[parent]!.children.contains(child) else { return }
    if let path = path(from: child, to: parent) {
      let cycle = ([parent] + path).joined(separator: " -> ")
      throw .configuration(
        location, "making '\(child)' a child of '\(parent)' would create a cycle: \(cycle)")
    }
    link(child, under: parent)
  }

  /// Ansible stores `ansible_group_priority` as the group's priority, not as a variable.
  mutating func setGroupVar(
    _ key: String, _ value: VarValue, group: String, at location: SourceLocation
  ) throws(DeployError) {
    addGroup(group)
    guard key == "ansible_group_priority" else {
      groups[group]!.vars[key] = value
      return
    }
    guard let priority = value.intValue else {
      throw .configuration(
        location, "expected an integer for ansible_group_priority of group '\(group)'")
    }
    groups[group]!.priority = priority
  }

  mutating func setHostVar(_ key: String, _ value: VarValue, host: String) {
    hostVars[host, default: [:]][key] = value
  }

  mutating func link(_ child: String, under parent: String) {
    groups[parent]!.children.append(child)
    groups[child]!.parents.append(parent)
  }

  /// The chain of child links leading from `start` down to `target`, if there is one.
  private func path(from start: String, to target: String) -> [String]? {
    var visited: Set<String> = []
    func search(_ group: String) -> [String]? {
      if group == target { return [group] }
      guard visited.insert(group).inserted else { return nil }
      for child in groups[group]?.children ?? [] {
        if let rest = search(child) { return [group] + rest }
      }
      return nil
    }
    return search(start)
  }
}
