import Foundation
import Testing

@testable import DeployInventory
@testable import DeployLedger
@testable import DeploySupport

@Suite struct LedgerTests {
  let folder: String
  let path: String

  init() throws {
    folder = try TemporaryDirectory.make()
    path = folder + "/state/deploy/ledger.sqlite"
  }

  /// The last digit of a sample run id, to keep expectations short.
  private func serial(_ record: DeploymentRecord) -> String { String(record.runID.suffix(1)) }

  private func all(_ ledger: Ledger) throws -> [DeploymentRecord] {
    try ledger.records(app: nil, stage: nil, limit: nil)
  }

  @Test func aFreshFileIsCreatedWithItsFoldersAndIsEmpty() throws {
    let ledger = try Ledger(path: path)
    #expect(FileManager.default.fileExists(atPath: path))
    #expect(try ledger.isEmpty(app: nil))
    #expect(try all(ledger).isEmpty)
  }

  /// SQLite treats an empty file as a new database: `touch` must not break the ledger.
  @Test func anEmptyFileIsMigratedToo() throws {
    #expect(FileManager.default.createFile(atPath: folder + "/empty.sqlite", contents: Data()))
    let ledger = try Ledger(path: folder + "/empty.sqlite")
    try ledger.record([.sample()])
    #expect(try all(ledger) == [.sample()])
  }

  @Test func recordsComeBackAsRecorded() throws {
    let ledger = try Ledger(path: path)
    let full = DeploymentRecord(
      runID: "20261124T130607Z-3fa9c2", attempt: 2, host: "wëb-1", app: "demo-app",
      stage: "production", kind: "git", version: "v1", commit: "abc", user: "github:octocat",
      origin: "github-actions o/r run 1", workflow: "deploy.yml", startedAt: sampleStart,
      endedAt: sampleStart + 9, outcome: .rolledBack, message: "health check \"/up\" failed\n",
      failedStep: 4)
    try ledger.record([full, .sample(host: "web2")])
    #expect(try all(ledger) == [.sample(host: "web2"), full])
    #expect(try !ledger.isEmpty(app: nil))
    #expect(try !ledger.isEmpty(app: "demo-app"))
    #expect(try ledger.isEmpty(app: "other-app"))
  }

  @Test func recordingAgainChangesNothing() throws {
    let ledger = try Ledger(path: path)
    let records: [DeploymentRecord] = [
      .sample(host: "web1", .succeeded), .sample(host: "web2", .failed), .sample(host: "web3"),
    ]
    try ledger.record(records)
    let first = try all(ledger)
    try ledger.record(records)
    try ledger.record(records.reversed())
    #expect(try all(ledger) == first)
    #expect(first.count == 3)
  }

  @Test func aFinishedStateReplacesRunningButNeverTheOtherWayRound() throws {
    let ledger = try Ledger(path: path)
    try ledger.record([.sample(commit: "abc")])
    #expect(try all(ledger).map(\.outcome) == [.running])

    let finished = DeploymentRecord.sample(ended: sampleStart + 70, .failed)
    try ledger.record([finished])
    #expect(try all(ledger).map(\.outcome) == [.failed])
    #expect(try all(ledger).first?.commit == "abc")  // known from the started line, kept

    try ledger.record([.sample()])  // a journal re-read from the start
    #expect(try all(ledger).map(\.outcome) == [.failed])
    #expect(try all(ledger).first?.endedAt == sampleStart + 70)

    // A later ending wins (the runner finished after the controller recorded it lost).
    try ledger.record([.sample(ended: sampleStart + 500, .succeeded)])
    try ledger.record([.sample(ended: sampleStart + 100, .lost)])
    #expect(try all(ledger).map(\.outcome) == [.succeeded])
  }

  @Test func filtersByAppAndStageNewestFirst() throws {
    let ledger = try Ledger(path: path)
    try ledger.record([
      .sample(run: "20261124T130607Z-000001", stage: "staging", at: sampleStart),
      .sample(run: "20261124T130707Z-000002", stage: "production", at: sampleStart + 60),
      .sample(run: "20261124T130807Z-000003", app: "other", at: sampleStart + 120),
      .sample(run: "20261124T130907Z-000004", stage: "staging", at: sampleStart + 180),
    ])
    #expect(try all(ledger).map(serial) == ["4", "3", "2", "1"])
    #expect(
      try ledger.records(app: "demo-app", stage: nil, limit: nil).map(serial) == [
        "4", "2", "1",
      ])
    #expect(
      try ledger.records(app: "demo-app", stage: "staging", limit: nil).map(serial)
        == ["4", "1"])
    #expect(try ledger.records(app: nil, stage: "production", limit: nil).count == 2)
    #expect(try ledger.records(app: "nope", stage: nil, limit: nil).isEmpty)
  }

  /// `limit` counts runs: a run's hosts are never cut off, or its outcome would be wrong.
  @Test func limitCountsWholeRuns() throws {
    let ledger = try Ledger(path: path)
    for (index, run) in ["20261124T130607Z-000001", "20261124T130707Z-000002"].enumerated() {
      try ledger.record(
        (1...3).map { .sample(run: run, host: "web\($0)", at: sampleStart + index * 60 + $0) })
    }
    try ledger.record([.sample(run: "20261124T130807Z-000003", app: "other", at: sampleStart + 999)]
    )
    let newest = try ledger.records(app: "demo-app", stage: nil, limit: 1)
    #expect(newest.count == 3)
    #expect(Set(newest.map(\.runID)) == ["20261124T130707Z-000002"])
    #expect(try ledger.records(app: nil, stage: nil, limit: 2).count == 4)
    #expect(try ledger.records(app: nil, stage: nil, limit: 10).count == 7)
    #expect(try ledger.records(app: nil, stage: nil, limit: 0).isEmpty)
    #expect(HistoryRun.group(try ledger.records(app: "demo-app", stage: nil, limit: 1)).count == 1)
  }

  @Test func recordsPersistAcrossOpenings() throws {
    do {
      let ledger = try Ledger(path: path)
      try ledger.record([.sample(.succeeded), .sample(host: "web2")])
    }
    let reopened = try Ledger(path: path)
    #expect(try all(reopened).count == 2)
    // Two processes at once: each sees the other's writes.
    let other = try Ledger(path: path)
    try other.record([.sample(host: "web3")])
    #expect(try all(reopened).count == 3)
  }

  @Test func aFileThatIsNotADatabaseIsRefusedByName() throws {
    let junk = folder + "/notes.txt"
    try String(repeating: "these are my notes, not a database\n", count: 40)
      .write(toFile: junk, atomically: true, encoding: .utf8)
    let error = try #require(throws: DeployError.self) { try Ledger(path: junk) }
    #expect(error.description.contains(junk))
    #expect(error.description.contains("DEPLOY_LEDGER"))
    // And the file is left as it was.
    #expect(try String(contentsOfFile: junk, encoding: .utf8).hasPrefix("these are my notes"))
  }

  @Test func aFolderAtThePathIsRefusedByName() throws {
    let error = try #require(throws: DeployError.self) { try Ledger(path: folder) }
    #expect(error.description.contains(folder))
    #expect(error.description.contains("folder"))
  }

  @Test func aPathUnderAFileIsRefusedByName() throws {
    let file = folder + "/plain"
    #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
    let error = try #require(throws: DeployError.self) { try Ledger(path: file + "/ledger.db") }
    #expect(error.description.contains(file + "/ledger.db"))
  }

  @Test func defaultPath() {
    #expect(
      Ledger.defaultPath(environment: ["DEPLOY_LEDGER": "/x/l.db", "HOME": "/home/a"])
        == "/x/l.db")
    #expect(
      Ledger.defaultPath(environment: ["XDG_STATE_HOME": "/st", "HOME": "/home/a"])
        == "/st/deploy/ledger.sqlite")
    #expect(
      Ledger.defaultPath(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/a"])
        == "/home/a/.local/state/deploy/ledger.sqlite")
    #expect(
      Ledger.defaultPath(environment: ["DEPLOY_LEDGER": "", "HOME": "/home/a"])
        == "/home/a/.local/state/deploy/ledger.sqlite")
  }
}
