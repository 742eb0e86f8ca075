import Testing

@testable import DeployBuildAPI
@testable import DeploySupport

@Suite struct ExitStatusTests {
  @Test func mostSeriousFailureWins() {
    #expect(ExitStatus.combining([.success, .success]) == .success)
    #expect(ExitStatus.combining([.success, .hostsFailed]) == .hostsFailed)
    #expect(ExitStatus.combining([.hostsFailed, .unreachable, .success]) == .unreachable)
    #expect(ExitStatus.combining([.unreachable, .hostKeyRejected]) == .hostKeyRejected)
    #expect(ExitStatus.combining([.authenticationFailed, .unreachable]) == .authenticationFailed)
    #expect(ExitStatus.combining([]) == .success)
  }

  @Test func everyCodeHasAPrecedence() {
    for status in ExitStatus.allCases {
      #expect(ExitStatus.combining([status]) == status)
    }
  }

  @Test func codesAreStable() {
    // These numbers are published in the README; changing one breaks users' scripts.
    #expect(
      ExitStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 70])
  }
}
