import Testing

@testable import DeployInventory

@Suite("INI and YAML equivalence")
struct InventoryEquivalenceTests {
  @Test func equivalentInventoriesProduceIdenticalModels() throws {
    let ini = try iniInventory(
      """
      bastion ansible_host=10.0.0.1
      [web]
      web[01:02].example.org:2222 tier=front
      [db]
      db-[a:b]
      [prod:children]
      web
      db
      [prod:vars]
      stage=prod
      replicas=3
      debug=False
      [web:vars]
      ansible_group_priority=2
      """)
    let yaml = try yamlInventory(
      """
      all:
        children:
          ungrouped:
            hosts:
              bastion:
                ansible_host: 10.0.0.1
          prod:
            children:
              web:
                hosts:
                  web[01:02].example.org:2222:
                    tier: front
                vars:
                  ansible_group_priority: 2
              db:
                hosts:
                  db-[a:b]:
            vars:
              stage: prod
              replicas: 3
              debug: false
      """)
    #expect(ini == yaml)
    #expect(ini.listJSON() == yaml.listJSON())
    #expect(ini.graph() == yaml.graph())
    #expect(ini.vars(of: "web02.example.org")["ansible_port"] == .int(2222))
  }

  @Test func hostsDirectlyInAllMatchIniUngroupedHostsInEveryOutput() throws {
    // YAML `all: hosts:` also lists the host in group `all` itself, so the models differ in
    // `groups["all"].hosts`, but Ansible (and so deploy) presents both the same way.
    let ini = try iniInventory("bastion\n[web]\nweb1\n")
    let yaml = try yamlInventory(
      """
      all:
        hosts: {bastion: }
        children: {web: {hosts: {web1: }}}
      """)
    #expect(ini.hosts == yaml.hosts)
    #expect(ini.listJSON() == yaml.listJSON())
    #expect(ini.graph() == yaml.graph())
    #expect(yaml.groups["all"]?.hosts == ["bastion"])
  }

  @Test func theExampleInventoriesDescribeTheSameFleet() throws {
    let ini = try Inventory.load(path: InventoryTestKit.repositoryRoot + "/inventory/example.ini")
    let yaml = try Inventory.load(path: InventoryTestKit.repositoryRoot + "/inventory/example.yml")
    #expect(ini == yaml)
    #expect(
      ini.hostNames == [
        "web01.example.org", "web02.example.org", "web03.example.org", "web04.example.org",
        "db01.example.org", "db02.example.org",
      ])
    #expect(
      ini.vars(of: "db01.example.org") == [
        "ansible_user": .string("deploy"), "app_port": .int(8080), "ansible_port": .int(2222),
        "app_env": .string("test"), "db_pool_size": .int(5),
      ])
    #expect(
      try ini.hosts(matching: "web:&prod").map(\.name) == [
        "web02.example.org", "web03.example.org", "web04.example.org",
      ])
    #expect(
      try ini.hosts(matching: "prod:!db").map(\.name) == [
        "web02.example.org", "web03.example.org", "web04.example.org",
      ])
  }
}
