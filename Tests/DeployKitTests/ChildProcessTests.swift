import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeploySSH
@testable import DeploySupport

@Suite struct ChildProcessTests {
  @Test func keepsStreamsApartAndInOrder() throws {
    var events: [(StandardStream, String)] = []
    let exit = try ChildProcess.run(["sh", "-c", "echo a; echo b >&2; echo c; exit 3"]) {
      events.append(($0, String(decoding: $1, as: UTF8.self)))
    }
    #expect(exit.status == 3)
    let out = events.filter { $0.0 == .stdout }.map(\.1).joined()
    let err = events.filter { $0.0 == .stderr }.map(\.1).joined()
    #expect(out == "a\nc\n")
    #expect(err == "b\n")
  }

  @Test func feedsStdinWhileReadingLargeOutput() throws {
    // 4 MiB in and out at once: a runner that writes all input before reading would deadlock.
    let input = [UInt8](repeating: 65, count: 4 << 20)
    let result = try ChildProcess.capture(["cat"], stdin: input)
    #expect(result.stdout.utf8.count == input.count)
  }

  @Test func reportsSignals() throws {
    let exit = try ChildProcess.run(["sh", "-c", "kill -TERM $$"]) { _, _ in }
    #expect(exit.signal == "TERM")
  }

  @Test func stopsAtTimeout() throws {
    let started = MonotonicClock.now
    let exit = try ChildProcess.run(["sleep", "30"], timeout: 0.5) { _, _ in }
    #expect(exit.timedOut)
    #expect(MonotonicClock.now - started < 5)
  }
}
