import DeploySupport

extension InventoryBuilder {
  /// The finished inventory. `groupVarFiles` and `hostVarFiles` hold what `group_vars/` and
  /// `host_vars/` define, keyed by group or host name.
  ///
  /// Variables are merged the way Ansible's `VariableManager` does by default (lowest first):
  /// the inventory's `all` vars, the inventory's other group vars, `group_vars/all`, the other
  /// `group_vars/` files, the inventory's host vars, `host_vars/`. Groups are applied in
  /// Ansible's order: by depth below `all` (parents before children), then
  /// `ansible_group_priority`, then name, so the later (deeper, higher, alphabetically later)
  /// wins. Note that `group_vars/all.yml` therefore beats `[web:vars]` in the inventory file.
  func build(
    groupVarFiles: [String: [String: VarValue]] = [:],
    hostVarFiles: [String: [String: VarValue]] = [:]
  ) -> Inventory {
    var builder = self
    builder.reconcile()
    let groups = builder.groups
    let depths = builder.depths()

    var directGroups: [String: [String]] = [:]
    for name in builder.groupNames {
      for host in groups[name]!.hosts { directGroups[host, default: []].append(name) }
    }
    var ancestorCache: [String: Set<String>] = [:]
    func ancestors(_ group: String) -> Set<String> {
      if let cached = ancestorCache[group] { return cached }
      var result: Set<String> = []
      for parent in groups[group]!.parents {
        result.insert(parent)
        result.formUnion(ancestors(parent))
      }
      ancestorCache[group] = result
      return result
    }
    func precedes(_ left: String, _ right: String) -> Bool {
      let (leftGroup, rightGroup) = (groups[left]!, groups[right]!)
      if depths[left]! != depths[right]! { return depths[left]! < depths[right]! }
      if leftGroup.priority != rightGroup.priority {
        return leftGroup.priority < rightGroup.priority
      }
      return left.precedesByCodePoint(right)
    }

    var hosts: [Inventory.Host] = []
    hosts.reserveCapacity(builder.hostNames.count)
    for name in builder.hostNames {
      var memberOf: Set<String> = ["all"]
      for group in directGroups[name] ?? [] {
        memberOf.insert(group)
        memberOf.formUnion(ancestors(group))
      }
      let ordered = memberOf.subtracting(["all"]).sorted(by: precedes)
      var vars = groups["all"]!.vars
      for group in ordered { vars.merge(groups[group]!.vars) { $1 } }
      vars.merge(groupVarFiles["all"] ?? [:]) { $1 }
      for group in ordered { vars.merge(groupVarFiles[group] ?? [:]) { $1 } }
      vars.merge(builder.hostVars[name] ?? [:]) { $1 }
      vars.merge(hostVarFiles[name] ?? [:]) { $1 }
      hosts.append(
        Inventory.Host(
          name: name, vars: vars, groups: memberOf.sorted { $0.precedesByCodePoint($1) }))
    }

    var result: [String: Inventory.Group] = [:]
    for (name, state) in groups {
      result[name] = Inventory.Group(
        name: name, hosts: state.hosts, children: state.children,
        vars: state.vars.merging(groupVarFiles[name] ?? [:]) { $1 }, priority: state.priority)
    }
    return Inventory(hosts: hosts, groups: result)
  }

  /// Ansible's `reconcile_inventory`: every group without a parent goes under `all`; a host that
  /// is in no group but `all` goes into `ungrouped`, and one that is in a real group leaves it.
  private mutating func reconcile() {
    for name in groupNames where name != "all" && groups[name]!.parents.isEmpty {
      link(name, under: "all")
    }
    var direct: [String: Set<String>] = [:]
    for name in groupNames {
      for host in groups[name]!.hosts { direct[host, default: []].insert(name) }
    }
    for host in hostNames {
      let memberOf = direct[host] ?? []
      let real = memberOf.subtracting(["all", "ungrouped"])
      if memberOf.contains("ungrouped"), !real.isEmpty {
        removeHost(host, from: "ungrouped")
      } else if !memberOf.contains("ungrouped"), real.isEmpty {
        addHost(host, to: "ungrouped")
      }
    }
  }

  /// Each group's longest distance below `all`: Ansible's `Group.depth`, the main key when
  /// ordering group variables.
  private func depths() -> [String: Int] {
    var depths: [String: Int] = ["all": 0]
    func depth(_ group: String) -> Int {
      if let known = depths[group] { return known }
      let value = (groups[group]!.parents.map { depth($0) + 1 }).max() ?? 0
      depths[group] = value
      return value
    }
    for name in groupNames { _ = depth(name) }
    return depths
  }
}
