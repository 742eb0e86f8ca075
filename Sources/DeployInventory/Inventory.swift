import DeploySupport

/// The fleet: which hosts exist, how they are grouped and which variables each ends up with.
/// Read from the INI and YAML inventories Ansible reads, with the same meaning, so one file can
/// drive both `ansible` and `deploy`.
public struct Inventory: Sendable, Equatable {
  public enum Format: String, Sendable, CaseIterable {
    case ini
    case yaml
  }

  public struct Host: Sendable, Hashable {
    public var name: String
    /// Every variable that applies to the host, merged with Ansible's precedence.
    public var vars: [String: VarValue]
    /// Every group the host belongs to, directly or through a child group, including `all`;
    /// sorted by name.
    public var groups: [String]

    public init(name: String, vars: [String: VarValue] = [:], groups: [String] = ["all"]) {
      self.name = name
      self.vars = vars
      self.groups = groups
    }
  }

  public struct Group: Sendable, Hashable {
    public var name: String
    /// Hosts listed in the group itself (not those of its children), in inventory order.
    public var hosts: [String]
    /// Direct child groups, in the order they were declared.
    public var children: [String]
    /// The group's own variables: the inventory's, overridden by its `group_vars/` file(s).
    public var vars: [String: VarValue]
    /// `ansible_group_priority` (default 1): orders groups of equal depth when merging vars.
    public var priority: Int

    public init(
      name: String, hosts: [String] = [], children: [String] = [],
      vars: [String: VarValue] = [:], priority: Int = 1
    ) {
      self.name = name
      self.hosts = hosts
      self.children = children
      self.vars = vars
      self.priority = priority
    }
  }

  /// In inventory order: the order in which hosts first appear in the file.
  public var hosts: [Host]
  /// Always holds `all` and `ungrouped`, as in Ansible.
  public var groups: [String: Group]

  public init(hosts: [Host], groups: [String: Group]) {
    self.hosts = hosts
    self.groups = groups
  }

  public func host(named name: String) -> Host? {
    hosts.first { $0.name == name }
  }

  /// Parses inventory text. `file` is only used in error locations. `group_vars/` and
  /// `host_vars/` are not consulted; use `load(path:)` for that.
  public static func parse(text: String, file: String, format: Format) throws(DeployError)
    -> Inventory
  {
    var builder = InventoryBuilder()
    try parse(text: text, file: file, format: format, into: &builder)
    return builder.build()
  }

  static func parse(
    text: String, file: String, format: Format, into builder: inout InventoryBuilder
  ) throws(DeployError) {
    switch format {
    case .ini: try INIInventoryParser.parse(text, file: file, into: &builder)
    case .yaml: try YAMLInventoryParser.parse(text, file: file, into: &builder)
    }
  }
}
