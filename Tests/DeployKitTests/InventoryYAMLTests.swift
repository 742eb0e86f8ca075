import Testing

@testable import DeployInventory

@Suite("YAML inventories")
struct InventoryYAMLTests {
  @Test func nestedGroupsHostsAndVars() throws {
    let inventory = try yamlInventory(
      """
      all:
        hosts:
          bastion.example.org:
        vars:
          ansible_user: deploy
        children:
          prod:
            vars: {stage: prod}
            children:
              web:
                hosts:
                  web1: {weight: 10}
                  web2:
              db:
                hosts:
                  db1:
                    ansible_port: 2222
                    replicas: [db2, db3]
      """)
    #expect(inventory.hostNames == ["bastion.example.org", "web1", "web2", "db1"])
    #expect(inventory.groups["prod"]?.children == ["web", "db"])
    #expect(inventory.groups["all"]?.children == ["ungrouped", "prod"])
    #expect(inventory.groups["all"]?.hosts == ["bastion.example.org"])
    #expect(inventory.groups["ungrouped"]?.hosts == ["bastion.example.org"])
    #expect(inventory.host(named: "web1")?.groups == ["all", "prod", "web"])
    #expect(
      inventory.vars(of: "web1") == [
        "ansible_user": .string("deploy"), "stage": .string("prod"), "weight": .int(10),
      ])
    #expect(
      inventory.vars(of: "db1") == [
        "ansible_user": .string("deploy"), "stage": .string("prod"), "ansible_port": .int(2222),
        "replicas": .list([.string("db2"), .string("db3")]),
      ])
  }

  @Test func aGroupAppearingTwiceMerges() throws {
    let inventory = try yamlInventory(
      """
      all:
        children:
          test:
            children:
              web:
                hosts: {web1: }
                vars: {color: blue}
          prod:
            children:
              web:
                hosts: {web2: }
                vars: {size: 3}
      """)
    let web = try #require(inventory.groups["web"])
    #expect(web.hosts == ["web1", "web2"])
    #expect(web.vars == ["color": .string("blue"), "size": .int(3)])
    #expect(inventory.host(named: "web1")?.groups == ["all", "prod", "test", "web"])
  }

  @Test func topLevelGroupsBesidesAllGoUnderAll() throws {
    let inventory = try yamlInventory(
      """
      web:
        hosts:
          web1:
      db:
        hosts: db1
      """)
    #expect(inventory.groups["all"]?.children == ["ungrouped", "web", "db"])
    #expect(inventory.groups["db"]?.hosts == ["db1"])
  }

  @Test func rangesAndPortsInHostKeys() throws {
    let inventory = try yamlInventory(
      """
      all:
        hosts:
          web[01:03].example.org:
            role: web
          "db-[a:b]:2200":
      """)
    #expect(
      inventory.hostNames == [
        "web01.example.org", "web02.example.org", "web03.example.org", "db-a", "db-b",
      ])
    #expect(inventory.vars(of: "web02.example.org") == ["role": .string("web")])
    #expect(inventory.vars(of: "db-b") == ["ansible_port": .int(2200)])
  }

  @Test func scalarsAreTypedLikePyYAML() throws {
    let inventory = try yamlInventory(
      """
      all:
        hosts:
          h1:
            a_yes: yes
            a_true: true
            a_quoted: "yes"
            an_int: 42
            an_octal: 0755
            a_float: 1.5
            not_a_float: 1e5
            a_null: ~
            a_string: hello
            a_date: 2024-01-02
            a_map: {x: [1, two]}
      """)
    #expect(
      inventory.vars(of: "h1") == [
        "a_yes": .bool(true), "a_true": .bool(true), "a_quoted": .string("yes"),
        "an_int": .int(42), "an_octal": .int(493), "a_float": .double(1.5),
        "not_a_float": .string("1e5"), "a_null": .null,
        "a_string": .string("hello"), "a_date": .string("2024-01-02"),
        "a_map": .map(["x": .list([.int(1), .string("two")])]),
      ])
  }

  @Test func anchorsAndMergeKeysWork() throws {
    let inventory = try yamlInventory(
      """
      all:
        vars:
          defaults: &defaults {user: deploy, port: 22}
        hosts:
          h1:
            <<: *defaults
            port: 2222
      """)
    #expect(inventory.vars(of: "h1")["user"] == .string("deploy"))
    #expect(inventory.vars(of: "h1")["port"] == .int(2222))
  }

  @Test func emptyDocumentsAreEmptyInventories() throws {
    let inventory = try yamlInventory("# nothing yet\n")
    #expect(inventory.hosts.isEmpty)
    #expect(inventory.groups["all"]?.children == ["ungrouped"])
  }

  @Test func emptyGroupsAndSectionsAreAllowed() throws {
    let inventory = try yamlInventory(
      """
      all:
        children:
          empty:
          also_empty:
            hosts:
            vars:
            children:
      """)
    #expect(inventory.groups["empty"] == Inventory.Group(name: "empty"))
    #expect(inventory.groups["all"]?.children == ["ungrouped", "empty", "also_empty"])
  }
}
