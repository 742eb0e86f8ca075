@testable import DeployLedger

/// 2026-11-24T13:06:07Z, the start of most sample runs.
let sampleStart = 1_795_525_567

extension JournalEntry {
  /// A `started` line of a git deployment of demo-app to production.
  static func started(
    run: String = "20261124T130607Z-3fa9c2", attempt: Int = 1, host: String = "web1",
    app: String = "demo-app", stage: String = "production", at startedAt: Int = sampleStart,
    commit: String? = nil, user: String = "alice"
  ) -> JournalEntry {
    JournalEntry(
      event: .started, runID: run, attempt: attempt, host: host, app: app, stage: stage,
      kind: "git", version: "main", commit: commit, user: user, origin: "laptop.example.com",
      startedAt: startedAt)
  }
}

extension DeploymentRecord {
  /// A record of a git deployment of demo-app to production; finished ones end a minute after
  /// they start unless told otherwise.
  static func sample(
    run: String = "20261124T130607Z-3fa9c2", attempt: Int = 1, host: String = "web1",
    app: String = "demo-app", stage: String = "production", at startedAt: Int = sampleStart,
    ended endedAt: Int? = nil, _ outcome: RunOutcome = .running, commit: String? = nil,
    user: String = "alice"
  ) -> DeploymentRecord {
    DeploymentRecord(
      runID: run, attempt: attempt, host: host, app: app, stage: stage, kind: "git",
      version: "main", commit: commit, user: user, origin: "laptop.example.com",
      startedAt: startedAt, endedAt: outcome.isFinished ? (endedAt ?? startedAt + 60) : nil,
      outcome: outcome)
  }
}
