import DeployKit
import Testing
import HostShell

@Suite struct ShellQuoteTests {
  /// Round-trips each value through a real `sh`: what the shell sees must be exactly the value.
  @Test(arguments: [
    "v1", "v1; touch /tmp/pwned", "$(id)", "`id`", "it's", "a b", "", "-rf", "line\nbreak",
    "'", "\"\\", "*", "~root", "a'b'c", "ünïcode",
  ])
  func shellSeesExactlyTheValue(_ value: String) throws {
    let script = "printf '%s' " + ShellQuote.word(value)
    let result = try ChildProcess.capture(["sh", "-c", script])
    #expect(result.exit.status == 0)
    #expect(result.stdout == value)
  }

  @Test func safeWordsStayReadable() {
    #expect(ShellQuote.word("/srv/app/releases/v1.2.3") == "/srv/app/releases/v1.2.3")
    #expect(ShellQuote.join(["git", "checkout", "a b"]) == "git checkout 'a b'")
  }
}

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
