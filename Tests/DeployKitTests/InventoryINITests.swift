import Testing

@testable import DeployInventory

@Suite("INI inventories")
struct InventoryINITests {
  @Test func hostsBeforeTheFirstHeaderAreUngrouped() throws {
    let inventory = try iniInventory(
      """
      lonely.example.org
      [web]
      web1
      """)
    #expect(inventory.groups["ungrouped"]?.hosts == ["lonely.example.org"])
    #expect(inventory.groups["web"]?.hosts == ["web1"])
    #expect(inventory.host(named: "lonely.example.org")?.groups == ["all", "ungrouped"])
    #expect(inventory.host(named: "web1")?.groups == ["all", "web"])
    #expect(inventory.groups["all"]?.children == ["ungrouped", "web"])
  }

  @Test func commentsAndBlankLinesAreIgnoredEverywhere() throws {
    let inventory = try iniInventory(
      """
      # leading comment
      ; another style

      [web]  # frontends
      web1   # first
        web2 ; second, indented
      [web:vars] ; settings
      # comment inside a vars section
      color=blue # trailing
      ratio = 2 ; trailing too
      [prod:children]   ; stages
      web  # child
      """)
    #expect(inventory.hostNames == ["web1", "web2"])
    #expect(inventory.groups["web"]?.vars == ["color": .string("blue"), "ratio": .int(2)])
    #expect(inventory.groups["prod"]?.children == ["web"])
  }

  @Test func aHostInSeveralGroupsIsOneHost() throws {
    let inventory = try iniInventory(
      """
      [web]
      app1 role=web
      [prod]
      app1 stage=prod
      """)
    #expect(inventory.hostNames == ["app1"])
    let host = try #require(inventory.host(named: "app1"))
    #expect(host.groups == ["all", "prod", "web"])
    #expect(host.vars == ["role": .string("web"), "stage": .string("prod")])
  }

  @Test func aHostThatIsUngroupedAndInAGroupLeavesUngrouped() throws {
    let inventory = try iniInventory(
      """
      app1
      app2
      [web]
      app1
      """)
    #expect(inventory.groups["ungrouped"]?.hosts == ["app2"])
    #expect(inventory.host(named: "app1")?.groups == ["all", "web"])
  }

  @Test func portShorthandSetsAnsiblePort() throws {
    let inventory = try iniInventory(
      """
      [web]
      web1:2222
      web[1:2]x:22 ansible_user=deploy
      [2001:db8::1]:2200
      2001:db8::2
      """)
    #expect(inventory.vars(of: "web1") == ["ansible_port": .int(2222)])
    #expect(
      inventory.vars(of: "web2x") == ["ansible_port": .int(22), "ansible_user": .string("deploy")])
    #expect(inventory.vars(of: "2001:db8::1") == ["ansible_port": .int(2200)])
    #expect(inventory.vars(of: "2001:db8::2") == [:])
    #expect(inventory.hostNames == ["web1", "web1x", "web2x", "2001:db8::1", "2001:db8::2"])
  }

  @Test func hostLineValuesAreTypedLikeAnsible() throws {
    let inventory = try iniInventory(
      #"""
      [all]
      h1 port=22 ratio=1.5 flag=True off=False nothing=None yes_flag=yes text=hello quoted="two words" single='it''s' list="[1, 'a']" map="{'k': 1}" zero=007 path=/usr/bin/python3 esc=a\ b empty=
      """#)
    #expect(
      inventory.vars(of: "h1") == [
        "port": .int(22), "ratio": .double(1.5), "flag": .bool(true), "off": .bool(false),
        "nothing": .null, "yes_flag": .string("yes"), "text": .string("hello"),
        "quoted": .string("two words"), "single": .string("its"),
        "list": .list([.int(1), .string("a")]), "map": .map(["k": .int(1)]),
        "zero": .string("007"), "path": .string("/usr/bin/python3"), "esc": .string("a b"),
        "empty": .string(""),
      ])
  }

  @Test func varsSectionValuesAreTypedAndMayBeQuoted() throws {
    let inventory = try iniInventory(
      """
      [web]
      web1
      [web:vars]
      greeting = "hello world"
      raw = hello world
      count=3
      enabled=True
      with_equals=a=b
      url=http://example.org/#anchor
      """)
    #expect(
      inventory.groups["web"]?.vars == [
        "greeting": .string("hello world"), "raw": .string("hello world"), "count": .int(3),
        "enabled": .bool(true), "with_equals": .string("a=b"),
        "url": .string("http://example.org/#anchor"),
      ])
  }

  @Test func childrenMayBeDeclaredAfterTheyAreNamed() throws {
    let inventory = try iniInventory(
      """
      [prod:children]
      web
      db
      [prod:vars]
      stage=prod
      [db]
      db1
      [web]
      web1
      """)
    #expect(inventory.groups["prod"]?.children == ["db", "web"])
    #expect(inventory.groups["all"]?.children == ["ungrouped", "prod"])
    #expect(inventory.host(named: "web1")?.groups == ["all", "prod", "web"])
    #expect(inventory.vars(of: "db1") == ["stage": .string("prod")])
  }

  @Test func varsForAGroupDeclaredLaterAreAllowed() throws {
    let inventory = try iniInventory(
      """
      [web:vars]
      color=red
      [web]
      web1
      """)
    #expect(inventory.vars(of: "web1") == ["color": .string("red")])
  }

  @Test func allAndUngroupedAlwaysExist() throws {
    let inventory = try iniInventory("")
    #expect(inventory.hosts.isEmpty)
    #expect(Set(inventory.groups.keys) == ["all", "ungrouped"])
    #expect(inventory.groups["all"]?.children == ["ungrouped"])
  }

  @Test func windowsLineEndingsAndByteOrderMarkAreAccepted() throws {
    let inventory = try iniInventory("\u{FEFF}[web]\r\nweb1 a=1\r\n")
    #expect(inventory.vars(of: "web1") == ["a": .int(1)])
  }

  @Test func groupPriorityIsNotAVariable() throws {
    let inventory = try iniInventory(
      """
      [web]
      web1
      [web:vars]
      ansible_group_priority=10
      """)
    #expect(inventory.groups["web"]?.priority == 10)
    #expect(inventory.groups["web"]?.vars == [:])
  }
}
