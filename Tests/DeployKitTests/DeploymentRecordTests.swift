import HostShell
import Testing

@testable import DeployLedger

@Suite struct DeploymentRecordTests {
  private let started = JournalEntry.started()

  @Test func aStartedLineAloneIsRunning() {
    let records = DeploymentRecord.merge([started])
    #expect(records == [.sample()])
    #expect(records.first?.endedAt == nil)
  }

  @Test func theFinishedLineCompletesItsStartedLine() throws {
    let finished = JournalEntry.started(commit: "abc123").finishing(
      outcome: .failed, at: sampleStart + 30, message: "step 2/4 'test' exited with 1",
      failedStep: 2)
    for lines in [[started, finished], [finished, started]] {
      let records = DeploymentRecord.merge(lines)
      #expect(records.count == 1)
      let record = try #require(records.first)
      #expect(record.outcome == .failed)
      #expect(record.endedAt == sampleStart + 30)
      #expect(record.commit == "abc123")
      #expect(record.message == "step 2/4 'test' exited with 1")
      #expect(record.failedStep == 2)
    }
  }

  @Test func aFinishedLineWithoutItsStartedLineStillMakesARecord() {
    let finished = started.finishing(outcome: .succeeded, at: sampleStart + 60)
    #expect(DeploymentRecord.merge([finished]) == [.sample(.succeeded)])
  }

  @Test func theCommitKnownOnlyAtTheStartIsKept() {
    let start = JournalEntry.started(commit: "abc123")
    let finished = started.finishing(outcome: .succeeded, at: sampleStart + 60)
    #expect(DeploymentRecord.merge([start, finished]).first?.commit == "abc123")
  }

  @Test func attemptsAndHostsAreSeparateRecordsOldestFirst() {
    let lines: [JournalEntry] = [
      .started(attempt: 2, host: "web1", at: sampleStart + 600),
      .started(host: "web2", at: sampleStart + 5),
      started,
      started.finishing(outcome: .interrupted, at: sampleStart + 20),
    ]
    let records = DeploymentRecord.merge(lines)
    #expect(
      records.map { "\($0.host)#\($0.attempt) \($0.outcome.rawValue)" } == [
        "web1#1 interrupted", "web2#1 running", "web1#2 running",
      ])
  }

  /// The controller may give up and record `lost` while a detached runner later finishes.
  @Test func betweenTwoEndingsTheLaterOneWins() {
    let lost = started.finishing(outcome: .lost, at: sampleStart + 100)
    let succeeded = started.finishing(outcome: .succeeded, at: sampleStart + 200)
    for lines in [[started, lost, succeeded], [succeeded, lost, started]] {
      #expect(DeploymentRecord.merge(lines).map(\.outcome) == [.succeeded])
    }
  }

  @Test func jsonHasEveryKeyAndBothTimeForms() {
    let json = DeploymentRecord.sample(ended: sampleStart + 60, .succeeded).json.serialized
    #expect(json.contains(#""started":"2026-11-24T13:06:07Z","started_epoch":1795525567"#))
    #expect(json.contains(#""ended":"2026-11-24T13:07:07Z","ended_epoch":1795525627"#))
    #expect(json.contains(#""commit":null"#) && json.contains(#""failed_step":null"#))
    let running = DeploymentRecord.sample().json.serialized
    #expect(running.contains(#""ended":null,"ended_epoch":null"#))
  }
}
