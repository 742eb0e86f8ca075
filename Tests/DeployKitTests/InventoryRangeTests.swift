import Testing

@testable import DeployInventory
@testable import DeploySupport

@Suite("Host ranges")
struct InventoryRangeTests {
  private func expand(_ pattern: String) throws -> [String] {
    try HostRange.expand(pattern, at: DeploySupport.SourceLocation(file: "f", line: 1, column: 1))
  }

  @Test func numericRangesKeepZeroPadding() throws {
    #expect(
      try expand("web[01:03].example.org") == [
        "web01.example.org", "web02.example.org", "web03.example.org",
      ])
    #expect(try expand("web[8:10]") == ["web8", "web9", "web10"])
    #expect(try expand("n[001:003]") == ["n001", "n002", "n003"])
  }

  @Test func letterRanges() throws {
    #expect(try expand("db-[a:f]") == ["db-a", "db-b", "db-c", "db-d", "db-e", "db-f"])
    #expect(try expand("[y:B]") == ["y", "z", "A", "B"])
  }

  @Test func strides() throws {
    #expect(try expand("web[1:10:2]") == ["web1", "web3", "web5", "web7", "web9"])
    #expect(try expand("x[a:e:2]") == ["xa", "xc", "xe"])
    #expect(try expand("n[01:10:3]") == ["n01", "n04", "n07", "n10"])
  }

  @Test func omittedBeginIsZero() throws {
    #expect(try expand("h[:2]") == ["h0", "h1", "h2"])
  }

  @Test func severalRangesVaryTheFirstSlowest() throws {
    #expect(try expand("r[1:2]-[a:b]") == ["r1-a", "r1-b", "r2-a", "r2-b"])
  }

  @Test func namesWithoutRangesAreThemselves() throws {
    #expect(try expand("plain.example.org") == ["plain.example.org"])
  }

  @Test(arguments: [
    ("web[01:x]", 8, "expected a number to end the host range, found 'x'"),
    ("web[01:5]", 8, "zero-padded host range bounds must have the same width"),
    ("web[5:1]", 5, "its begin is greater than its end"),
    ("web[1:3", 4, "expected ']' to close the host range"),
    ("web[1]", 4, "expected a host range like [01:20]"),
    ("web[1:]", 7, "expected the host range's end value"),
    ("web[1:5:0]", 9, "expected a positive step"),
    ("web[f:a]", 5, "its begin comes after its end"),
    ("web[a:5]", 5, "expected a number or a single letter to begin the host range"),
    ("web[1:1000000]", 4, "more than 100000 values"),
  ])
  func malformedRangesPointAtTheProblem(pattern: String, column: Int, message: String) {
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try HostRange.expand(
        pattern, at: DeploySupport.SourceLocation(file: "f", line: 7, column: 1))
    }
    #expect(error?.location == DeploySupport.SourceLocation(file: "f", line: 7, column: column))
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
  }
}
