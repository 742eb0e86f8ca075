import Testing

@testable import DeployInventory
@testable import DeploySupport

@Suite("Host patterns")
struct InventoryPatternTests {
  /// web1-3 and db1-2, split into stages; `canary` is a group inside `prod`.
  private let inventory: Inventory

  init() throws {
    inventory = try iniInventory(
      """
      bastion
      [web]
      web[1:3].example.org
      [db]
      db[1:2].example.org
      [test]
      web1.example.org
      db1.example.org
      [prod:children]
      canary
      [prod]
      web2.example.org
      db2.example.org
      [canary]
      web3.example.org
      [empty]
      """)
  }

  private func names(_ pattern: String) throws -> [String] {
    try inventory.hosts(matching: pattern).map(\.name)
  }

  private let everyone = [
    "bastion", "web1.example.org", "web2.example.org", "web3.example.org", "db1.example.org",
    "db2.example.org",
  ]

  @Test func allAndStarSelectEveryHostInInventoryOrder() throws {
    #expect(try names("all") == everyone)
    #expect(try names("*") == everyone)
  }

  @Test func aGroupIncludesItsChildGroupsHosts() throws {
    #expect(try names("prod") == ["web2.example.org", "web3.example.org", "db2.example.org"])
    #expect(try names("ungrouped") == ["bastion"])
  }

  @Test func aHostName() throws {
    #expect(try names("db2.example.org") == ["db2.example.org"])
  }

  @Test func wildcardsMatchGroupsAndHosts() throws {
    #expect(try names("db*") == ["db1.example.org", "db2.example.org"])
    #expect(
      try names("web?.example.org") == ["web1.example.org", "web2.example.org", "web3.example.org"])
    #expect(
      try names("*[12].example.org") == [
        "web1.example.org", "web2.example.org", "db1.example.org", "db2.example.org",
      ])
    #expect(try names("[!w]*.example.org") == ["db1.example.org", "db2.example.org"])
    #expect(try names("t*") == ["web1.example.org", "db1.example.org"])
  }

  @Test func regexesMatchAtTheStartOfNames() throws {
    #expect(try names("~web[13]") == ["web1.example.org", "web3.example.org"])
    #expect(try names("~(bas|can)") == ["bastion", "web3.example.org"])
  }

  @Test func unionsWithColonOrComma() throws {
    let expected = ["web1.example.org", "web2.example.org", "web3.example.org", "db1.example.org"]
    #expect(try names("web:db1.example.org") == expected)
    #expect(try names("web,db1.example.org") == expected)
    #expect(try names("db1.example.org, web") == expected)
  }

  @Test func intersections() throws {
    #expect(try names("web:&prod") == ["web2.example.org", "web3.example.org"])
    #expect(try names("&prod:web") == ["web2.example.org", "web3.example.org"])
    #expect(try names("web:db:&test") == ["web1.example.org", "db1.example.org"])
  }

  @Test func exclusions() throws {
    #expect(try names("prod:!canary") == ["web2.example.org", "db2.example.org"])
    #expect(try names("!web") == ["bastion", "db1.example.org", "db2.example.org"])
    #expect(try names("all:!web*:!db*") == ["bastion"])
  }

  @Test func unionsComeFirstThenIntersectionsThenExclusions() throws {
    // Written in an order that would give a different answer if applied left to right.
    #expect(try names("!canary:&prod:web") == ["web2.example.org"])
  }

  @Test func subscriptsPickFromAGroup() throws {
    #expect(try names("web[0]") == ["web1.example.org"])
    #expect(try names("web[-1]") == ["web3.example.org"])
    #expect(try names("web[1:2]") == ["web2.example.org", "web3.example.org"])
    #expect(try names("web[1:]") == ["web2.example.org", "web3.example.org"])
    #expect(
      InventoryTestKit.usageError { () throws(DeployError) in
        _ = try inventory.hosts(matching: "web[5]")
      } != nil)
  }

  @Test func duplicatesAreRemoved() throws {
    #expect(
      try names("web1.example.org:web:test") == [
        "web1.example.org", "web2.example.org", "web3.example.org", "db1.example.org",
      ])
  }

  @Test func unknownNamesAreUsageErrorsThatListGroups() throws {
    let message = InventoryTestKit.usageError { () throws(DeployError) in
      _ = try inventory.hosts(matching: "web:webz")
    }
    #expect(message?.contains("'webz'") == true)
    #expect(message?.contains("'web:webz'") == true)
    #expect(message?.contains("canary, db, empty, prod, test, web") == true, "\(message ?? "")")
  }

  @Test func aPatternSelectingNothingIsAUsageError() throws {
    #expect(
      InventoryTestKit.usageError { () throws(DeployError) in
        _ = try inventory.hosts(matching: "empty")
      }?.contains(
        "selects no hosts") == true)
    #expect(
      InventoryTestKit.usageError { () throws(DeployError) in
        _ = try inventory.hosts(matching: "test:&prod")
      }
        != nil)
    #expect(
      InventoryTestKit.usageError { () throws(DeployError) in
        _ = try inventory.hosts(matching: "~(")
      }?.contains(
        "regular expression") == true)
  }

  @Test func anEmptyPatternIsAUsageError() {
    #expect(
      InventoryTestKit.usageError { () throws(DeployError) in
        _ = try inventory.hosts(matching: " , ")
      } != nil)
  }

  @Test func ipv6HostsAreNotSplitAtTheirColons() throws {
    let inventory = try iniInventory("2001:db8::1\n2001:db8::2\n")
    #expect(try inventory.hosts(matching: "2001:db8::1").map(\.name) == ["2001:db8::1"])
    #expect(try inventory.hosts(matching: "2001:db8::1,2001:db8::2").count == 2)
  }
}
