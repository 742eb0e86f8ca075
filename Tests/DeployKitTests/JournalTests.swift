import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeployLedger
@testable import DeploySSH
@testable import DeploySupport

@Suite struct JournalTests {
  private let full = JournalEntry(
    event: .finished, runID: "20261124T130607Z-3fa9c2", attempt: 2, host: "web1",
    app: "demo-app", stage: "production", kind: "git", version: "release/2026-11",
    commit: "0123456789abcdef0123456789abcdef01234567", user: "github:octocat",
    origin: "github-actions owner/repo run 123", workflow: "deploy.yml",
    startedAt: sampleStart, endedAt: sampleStart + 95, outcome: .failed,
    message: "step 3/5 'compile' exited with 2", failedStep: 3)

  @Test func entriesRoundTripThroughTheirLine() {
    let minimal = JournalEntry.started()
    for entry in [full, minimal, full.finishing(outcome: .succeeded, at: sampleStart + 10)] {
      let parsed = Journal.parse(entry.jsonLine)
      #expect(parsed.entries == [entry])
      #expect(parsed.skippedLines.isEmpty)
    }
  }

  /// The exact text the shell side must produce and can rely on: sorted keys, no spaces,
  /// absent optional keys left out.
  @Test func lineShape() {
    #expect(
      JournalEntry.started().jsonLine
        == #"{"app":"demo-app","attempt":1,"event":"started","host":"web1","kind":"git","#
        + #""origin":"laptop.example.com","outcome":"running","run":"20261124T130607Z-3fa9c2","#
        + #""stage":"production","started":1795525567,"user":"alice","version":"main"}"#)
  }

  @Test(arguments: [
    "it said \"no\" and 'no'", "back\\slash", "line\nbreak\r\n", "tab\there", "ünïcødé 🚀 日本",
    "separators \u{2028}\u{2029}", "control \u{01}\u{1F}\u{7F}", "{\"event\":\"started\"}", "",
  ])
  func awkwardStringsSurvive(_ text: String) {
    var entry = full
    entry.message = text.isEmpty ? nil : text
    entry.version = text
    entry.user = text
    let line = entry.jsonLine
    #expect(!line.contains("\n") && !line.contains("\r"))
    #expect(Journal.parse(line).entries == [entry])
    // Lines around it are unaffected.
    let parsed = Journal.parse([full.jsonLine, line, full.jsonLine].joined(separator: "\n"))
    #expect(parsed.entries == [full, entry, full])
  }

  @Test func blankLinesAndWindowsLineEndingsAreIgnored() {
    let text = "\n" + full.jsonLine + "\r\n\r\n   \n\t\n" + full.jsonLine + "\n\n"
    let parsed = Journal.parse(text)
    #expect(parsed.entries == [full, full])
    #expect(parsed.skippedLines.isEmpty)
    #expect(Journal.parse("").entries.isEmpty)
  }

  @Test func aTornLastLineIsSkippedAndReported() {
    let torn = String(full.jsonLine.prefix(40))
    let parsed = Journal.parse(
      [JournalEntry.started().jsonLine, full.jsonLine, torn].joined(separator: "\n"))
    #expect(parsed.entries == [.started(), full])
    #expect(parsed.skippedLines == [3])
  }

  /// A torn write has no newline, so the next append continues the same line.
  @Test func anEntryAppendedAfterATornWriteIsRecovered() {
    let torn = String(full.jsonLine.prefix(60))
    let text = JournalEntry.started().jsonLine + "\n" + torn + full.jsonLine + "\n"
    let parsed = Journal.parse(text)
    #expect(parsed.entries == [.started(), full])
    #expect(parsed.skippedLines == [2])
  }

  @Test func garbageLinesAreSkippedAndTheRestKept() {
    let good = full.jsonLine
    let bad = [
      "not json", "[1,2,3]", "42", "{}", #"{"event":"started"}"#,
      good.replacingOccurrences(of: #""event":"finished""#, with: #""event":"progress""#),
      good.replacingOccurrences(of: #""outcome":"failed""#, with: #""outcome":"exploded""#),
      good.replacingOccurrences(of: #""outcome":"failed""#, with: #""outcome":"running""#),
      good.replacingOccurrences(of: #","ended":1795525662"#, with: ""),
      good.replacingOccurrences(of: #""attempt":2"#, with: #""attempt":0"#),
      good.replacingOccurrences(of: #""attempt":2"#, with: #""attempt":true"#),
      good.replacingOccurrences(of: #""host":"web1""#, with: #""host":"""#),
      good.replacingOccurrences(of: #""started":1795525567"#, with: #""started":"soon""#),
      JournalEntry.started().jsonLine.replacingOccurrences(
        of: #""outcome":"running""#, with: #""outcome":"succeeded""#),
    ]
    let parsed = Journal.parse(([good] + bad + [good]).joined(separator: "\n"))
    #expect(parsed.entries == [full, full])
    #expect(parsed.skippedLines == Array(2...(bad.count + 1)))
  }

  @Test func unknownKeysFromNewerVersionsAreIgnored() {
    let line = full.jsonLine.replacingOccurrences(
      of: #"{"app""#, with: #"{"aaa_new":{"nested":[1,true,null]},"app""#
    ).replacingOccurrences(of: "}", with: #","zzz":2.5}"#)
    let parsed = Journal.parse(line)
    #expect(parsed.entries == [full])
    #expect(parsed.skippedLines.isEmpty)
  }

  /// What a `printf` in the build runner writes: every key, empty strings for "none", integers
  /// that may come out of `date +%s` quoted or not.
  @Test func aLineWrittenByHandTheWayAShellWould() {
    let line =
      #"{"app":"demo-app","attempt":"1","commit":"","ended":1764000000,"event":"finished","#
      + #""failed_step":"","host":"web1","kind":"git","message":"","origin":"ci-7","#
      + #""outcome":"succeeded","run":"20251124T155000Z-00ff0a","stage":"staging","#
      + #""started":"1763999400","user":"github:octocat","version":"v1.2.3","workflow":""}"#
    let parsed = Journal.parse(line + "\n")
    #expect(parsed.skippedLines.isEmpty)
    #expect(
      parsed.entries == [
        JournalEntry(
          event: .finished, runID: "20251124T155000Z-00ff0a", attempt: 1, host: "web1",
          app: "demo-app", stage: "staging", kind: "git", version: "v1.2.3",
          user: "github:octocat", origin: "ci-7", startedAt: 1_763_999_400,
          endedAt: 1_764_000_000, outcome: .succeeded)
      ])
  }

  /// The same through a real `sh`, the way a detached runner would append its line.
  @Test func aLineAppendedByARealShell() throws {
    let script = """
      run=20251124T155000Z-00ff0a host=web1 outcome=failed step=3
      printf '{"app":"%s","attempt":%s,"ended":%s,"event":"finished","failed_step":%s,' \
        demo-app 2 "$(date +%s)" "$step"
      printf '"host":"%s","kind":"git","origin":"ci","outcome":"%s","run":"%s",' \
        "$host" "$outcome" "$run"
      printf '"stage":"prod","started":%s,"user":"alice","version":"main"}\\n' 1763999400
      """
    let result = try ChildProcess.capture(["sh", "-c", script])
    #expect(result.exit.status == 0)
    let parsed = Journal.parse(result.stdout)
    #expect(parsed.skippedLines.isEmpty)
    let entry = try #require(parsed.entries.first)
    #expect(entry.outcome == .failed && entry.attempt == 2 && entry.failedStep == 3)
    #expect(entry.endedAt.map { $0 > 1_763_999_400 } == true)
  }
}
