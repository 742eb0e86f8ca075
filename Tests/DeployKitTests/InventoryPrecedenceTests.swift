import Testing

@testable import DeployInventory
@testable import DeploySupport

@Suite("Variable precedence")
struct InventoryPrecedenceTests {
  @Test func hostBeatsChildGroupBeatsParentGroupBeatsAll() throws {
    let inventory = try iniInventory(
      """
      [web]
      web1 level=host
      web2
      [prod:children]
      web
      [prod]
      db1
      [all:vars]
      level=all
      only_all=1
      [prod:vars]
      level=prod
      only_prod=1
      [web:vars]
      level=web
      """)
    #expect(inventory.vars(of: "web1")["level"] == .string("host"))
    #expect(inventory.vars(of: "web2")["level"] == .string("web"))
    #expect(inventory.vars(of: "db1")["level"] == .string("prod"))
    #expect(inventory.vars(of: "web2")["only_all"] == .int(1))
    #expect(inventory.vars(of: "web2")["only_prod"] == .int(1))
  }

  @Test func deeperGroupsWinEvenWhenDeclaredEarlier() throws {
    let inventory = try yamlInventory(
      """
      all:
        children:
          zeta:
            vars: {who: zeta}
            children:
              alpha:
                vars: {who: alpha}
                hosts: {h1: }
      """)
    #expect(inventory.vars(of: "h1")["who"] == .string("alpha"))
  }

  @Test func depthIsTheLongestPathFromAll() throws {
    // `b` is a direct child of `all` but also a grandchild through `a`, so it is deeper than `c`.
    let inventory = try iniInventory(
      """
      [all:children]
      b
      [a:children]
      b
      [b]
      h1
      [c]
      h1
      [a]
      [b:vars]
      who=b
      [c:vars]
      who=c
      """)
    #expect(inventory.vars(of: "h1")["who"] == .string("b"))
  }

  @Test func sameDepthGroupsApplyInAlphabeticalOrder() throws {
    let inventory = try iniInventory(
      """
      [beta]
      h1
      [alpha]
      h1
      [beta:vars]
      who=beta
      [alpha:vars]
      who=alpha
      """)
    #expect(inventory.vars(of: "h1")["who"] == .string("beta"))
  }

  @Test func groupPriorityOverridesAlphabeticalOrder() throws {
    let inventory = try iniInventory(
      """
      [beta]
      h1
      [alpha]
      h1
      [beta:vars]
      who=beta
      [alpha:vars]
      who=alpha
      ansible_group_priority=5
      """)
    #expect(inventory.vars(of: "h1")["who"] == .string("alpha"))
  }

  @Test func priorityDoesNotBeatDepth() throws {
    let inventory = try iniInventory(
      """
      [parent:children]
      child
      [child]
      h1
      [parent:vars]
      who=parent
      ansible_group_priority=99
      [child:vars]
      who=child
      """)
    #expect(inventory.vars(of: "h1")["who"] == .string("child"))
  }

  @Test func laterDefinitionsOfTheSameHostVarWin() throws {
    let inventory = try iniInventory(
      """
      [a]
      h1 x=1
      [b]
      h1 x=2
      """)
    #expect(inventory.vars(of: "h1")["x"] == .int(2))
  }
}

@Suite("group_vars and host_vars")
struct InventoryVarsFilesTests {
  @Test func filesBesideTheInventoryOverrideItsVars() throws {
    let directory = try InventoryTestKit.Directory()
    let path = try directory.write(
      "hosts",
      """
      [web]
      web1 from_host=inventory
      web2
      [web:vars]
      from_group=inventory
      from_all=web-inventory
      [all:vars]
      from_all=inventory
      """)
    try directory.write("group_vars/all.yml", "from_all: file\nonly_all_file: yes\n")
    try directory.write("group_vars/web.yaml", "from_group: file\n")
    try directory.write("host_vars/web1.yml", "from_host: file\n")
    let inventory = try Inventory.load(path: path)
    let web1 = inventory.vars(of: "web1")
    #expect(web1["from_host"] == .string("file"))
    #expect(web1["from_group"] == .string("file"))
    // Ansible's order: every inventory group var loses to group_vars/all.
    #expect(web1["from_all"] == .string("file"))
    #expect(web1["only_all_file"] == .bool(true))
    #expect(inventory.vars(of: "web2")["from_group"] == .string("file"))
    #expect(inventory.groups["web"]?.vars["from_group"] == .string("file"))
  }

  @Test func hostVarsInTheInventoryBeatGroupVarsFiles() throws {
    let directory = try InventoryTestKit.Directory()
    let path = try directory.write("inventory.ini", "[web]\nweb1 x=host\n")
    try directory.write("group_vars/web.yml", "x: group\n")
    #expect(try Inventory.load(path: path).vars(of: "web1")["x"] == .string("host"))
  }

  @Test func aDirectoryPerGroupIsReadInSortedOrder() throws {
    let directory = try InventoryTestKit.Directory()
    let path = try directory.write(
      "inventory.yml", "all:\n  children:\n    web:\n      hosts: {web1: }\n")
    try directory.write("group_vars/web/10-base.yml", "a: base\nb: base\n")
    try directory.write("group_vars/web/20-override.yaml", "b: override\n")
    try directory.write("group_vars/web/nested/30-deep.json", #"{"c": "deep"}"#)
    try directory.write("group_vars/web/.hidden.yml", "a: hidden\n")
    try directory.write("group_vars/web/notes.txt", "a: ignored\n")
    try directory.write("group_vars/web/40-backup.yml~", "a: backup\n")
    let vars = try Inventory.load(path: path).vars(of: "web1")
    #expect(vars == ["a": .string("base"), "b": .string("override"), "c": .string("deep")])
  }

  @Test func onlyTheFirstOfNameAndItsExtensionsIsUsed() throws {
    let directory = try InventoryTestKit.Directory()
    let path = try directory.write("hosts.ini", "web1\n")
    try directory.write("host_vars/web1.yml", "x: yml\n")
    try directory.write("host_vars/web1.yaml", "x: yaml\n")
    #expect(try Inventory.load(path: path).vars(of: "web1")["x"] == .string("yml"))
  }

  @Test func filesForUnknownGroupsAndEmptyFilesAreIgnored() throws {
    let directory = try InventoryTestKit.Directory()
    let path = try directory.write("hosts.ini", "web1\n")
    try directory.write("group_vars/nosuchgroup.yml", "x: 1\n")
    try directory.write("host_vars/web1.yml", "# nothing here yet\n")
    #expect(try Inventory.load(path: path).vars(of: "web1") == [:])
  }

  @Test func aVarsFileThatIsNotAMappingIsAnError() throws {
    let directory = try InventoryTestKit.Directory()
    let path = try directory.write("hosts.ini", "[web]\nweb1\n")
    let varsFile = try directory.write("group_vars/web.yml", "# list by mistake\n- a\n- b\n")
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try Inventory.load(path: path)
    }
    #expect(error?.location == DeploySupport.SourceLocation(file: varsFile, line: 2, column: 1))
  }

  @Test func aMissingInventoryIsUnreadable() {
    do {
      _ = try Inventory.load(path: "/nonexistent/inventory.ini")
      Issue.record("expected an error")
    } catch {
      guard case .unreadableFile(let path, _) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(path == "/nonexistent/inventory.ini")
    }
  }

  @Test func formatIsDetectedFromExtensionThenContent() throws {
    #expect(Inventory.format(forPath: "a/hosts.yml") == .yaml)
    #expect(Inventory.format(forPath: "a/hosts.YAML") == .yaml)
    #expect(Inventory.format(forPath: "a/hosts.ini") == .ini)
    #expect(Inventory.format(forPath: "a/hosts") == nil)
    #expect(Inventory.detectFormat(of: "# comment\nall:\n  hosts:\n") == .yaml)
    #expect(Inventory.detectFormat(of: "---\nall: {}\n") == .yaml)
    #expect(Inventory.detectFormat(of: "web1:2222 a=b\n") == .ini)
    #expect(Inventory.detectFormat(of: "; comment\n[web]\nweb1\n") == .ini)

    let directory = try InventoryTestKit.Directory()
    let yamlPath = try directory.write("hosts", "all:\n  hosts:\n    web1:\n")
    #expect(try Inventory.load(path: yamlPath).hostNames == ["web1"])
  }
}
