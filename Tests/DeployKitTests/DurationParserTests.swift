import Testing

@testable import DeploySupport

@Suite("Duration parser")
struct DurationParserTests {
  @Test(
    arguments: [
      ("30", 30.0), ("1.5", 1.5), ("0", 0), ("90s", 90), ("5m", 300), ("2h", 7200),
      ("1d", 86400), ("1h30m", 5400), ("1d 12h", 129_600), ("72h", 259_200), ("1.5h", 5400),
      (" 10s ", 10), ("2m30s", 150),
    ])
  func accepts(text: String, seconds: Double) {
    #expect(DurationParser.seconds(text) == seconds)
  }

  @Test(
    arguments: [
      "", "s", "-5", "-5m", "5x", "5 m", "1m1h", "1h1h", "1.2.3", ".", "5m 3", "inf", "nan",
      "1e3", "h1", "１０",
    ])
  func rejects(text: String) {
    #expect(DurationParser.seconds(text) == nil)
  }
}
