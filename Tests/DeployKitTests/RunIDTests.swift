import Foundation
import Testing

@testable import DeployLedger

@Suite struct RunIDTests {
  @Test func newIDsAreValidAndStartWithTheUTCTime() {
    let now = Date(timeIntervalSince1970: 1_795_525_567.9)
    let ids = (0..<50).map { _ in RunID.make(now: now) }
    for id in ids {
      #expect(RunID.isValid(id), "\(id)")
      #expect(id.hasPrefix("20261124T130607Z-"))
    }
    #expect(Set(ids).count > 45)  // 24 random bits: collisions are rare
    #expect(RunID.make(now: Date(timeIntervalSince1970: 0)).hasPrefix("19700101T000000Z-"))
  }

  @Test(arguments: [
    "", "20261124T130607Z", "20261124T130607Z-3FA9C2", "20261124T130607Z-3fa9c",
    "20261124T130607Z-3fa9c2a", "20261124T130607Z-3fa9c2\n", " 20261124T130607Z-3fa9c2",
    "20261124t130607Z-3fa9c2",
    "2026112４T130607Z-3fa9c2", "20261124T130607Z-3fa9g2", "20261124T130607Z_3fa9c2",
    "20261124T130607Z-3fa;c2", "$(id)", "20261124T130607Z-3fa9c2; rm -rf /",
  ])
  func invalidIDsAreRefused(_ text: String) {
    #expect(!RunID.isValid(text))
  }

  @Test func validIDs() {
    #expect(RunID.isValid("20261124T130607Z-3fa9c2"))
    #expect(RunID.isValid("19700101T000000Z-000000"))
  }
}
