import Testing

@testable import DeployInventory
@testable import DeployLedger

@Suite struct HistoryRunTests {
  @Test(arguments: [
    ([RunOutcome.succeeded, .succeeded], RunOutcome.succeeded),
    ([.succeeded, .running], .running),
    ([.failed, .running], .running),
    ([.succeeded, .failed], .failed),
    ([.succeeded, .lost], .failed),
    ([.interrupted], .failed),
    ([.succeeded, .rolledBack], .rolledBack),
    ([.rolledBack, .failed], .failed),
    ([.rolledBack, .rolledBack], .rolledBack),
  ])
  func runOutcomeFromHostOutcomes(_ hosts: [RunOutcome], _ expected: RunOutcome) {
    let records = hosts.enumerated().map { index, outcome in
      DeploymentRecord.sample(host: "web\(index + 1)", outcome)
    }
    let runs = HistoryRun.group(records)
    #expect(runs.count == 1)
    #expect(runs.first?.outcome == expected)
    #expect(HistoryRun.outcome(of: hosts) == expected)
  }

  @Test func onlyTheLatestAttemptOnEachHostCounts() throws {
    let resumed = sampleStart + 3600
    let records: [DeploymentRecord] = [
      .sample(host: "web2", ended: sampleStart + 50, .failed),
      .sample(host: "web1", ended: sampleStart + 40, .succeeded),
      .sample(
        attempt: 2, host: "web2", at: resumed, ended: resumed + 30, .succeeded, user: "bob"),
    ]
    let run = try #require(HistoryRun.group(records).first)
    #expect(run.outcome == .succeeded)
    #expect(run.attempt == 2)
    #expect(run.user == "bob")
    #expect(run.hosts.map { "\($0.host)#\($0.attempt)" } == ["web1#1", "web2#2"])
    #expect(run.startedAt == sampleStart)
    #expect(run.endedAt == resumed + 30)
  }

  @Test func aRunningRunHasNoEnd() throws {
    let run = try #require(
      HistoryRun.group([.sample(host: "web1", .succeeded), .sample(host: "web2")]).first)
    #expect(run.outcome == .running)
    #expect(run.endedAt == nil)
  }

  @Test func runsComeNewestFirstAndAppsApart() {
    let records: [DeploymentRecord] = [
      .sample(run: "20261124T130607Z-aaaaaa", at: sampleStart),
      .sample(run: "20261125T090000Z-bbbbbb", host: "web1", at: sampleStart + 72_000),
      .sample(run: "20261125T090000Z-bbbbbb", host: "web2", at: sampleStart + 72_003),
      .sample(run: "20261124T130607Z-aaaaaa", app: "other-app", at: sampleStart),
    ]
    let runs = HistoryRun.group(records)
    #expect(runs.map(\.runID).first == "20261125T090000Z-bbbbbb")
    #expect(runs.first?.hosts.count == 2)
    #expect(runs.count == 3)
    #expect(Set(runs.dropFirst().map(\.app)) == ["demo-app", "other-app"])
  }

  @Test func theCommitIsShownOnlyWhenTheHostsAgree() {
    let same = HistoryRun.group([
      .sample(host: "web1", commit: "abc"), .sample(host: "web2", commit: "abc"),
      .sample(host: "web3"),
    ])
    #expect(same.first?.commit == "abc")
    let moved = HistoryRun.group([
      .sample(host: "web1", commit: "abc"), .sample(host: "web2", commit: "def"),
    ])
    #expect(moved.first?.commit == nil)
    #expect(moved.first?.hosts.map(\.commit) == ["abc", "def"])
  }

  @Test func jsonForHistory() throws {
    let run = try #require(
      HistoryRun.group([
        .sample(host: "web1", ended: sampleStart + 60, .succeeded, commit: "abc"),
        .sample(host: "web2", ended: sampleStart + 75, .succeeded, commit: "abc"),
      ]).first)
    guard case .object(let object) = run.json else {
      Issue.record("not an object")
      return
    }
    #expect(
      object.keys.sorted() == [
        "app", "attempt", "commit", "ended", "ended_epoch", "hosts", "kind", "origin", "outcome",
        "run", "stage", "started", "started_epoch", "user", "version", "workflow",
      ])
    #expect(object["started"] == .string("2026-11-24T13:06:07Z"))
    #expect(object["started_epoch"] == .number(1_795_525_567))
    #expect(object["ended"] == .string("2026-11-24T13:07:22Z"))
    #expect(object["outcome"] == .string("succeeded"))
    #expect(object["workflow"] == .null)
    guard case .array(let hosts) = object["hosts"] else {
      Issue.record("no hosts array")
      return
    }
    #expect(hosts.count == 2)
    #expect(run.json.serialized.hasPrefix(#"{"app":"demo-app","attempt":1,"commit":"abc","#))
  }
}
