import DeploySupport

/// One attempt of one run on one host: a `started` journal line merged with its `finished` line
/// (same run, attempt and host). This is what the ledger stores, one row each, and what every
/// journal line carries besides its event (see `JournalEntry` for the fields' meanings).
public struct DeploymentRecord: Sendable, Hashable {
  /// `run`: the run id, shared by every host of the run and by its resumed attempts.
  public var runID: String
  /// `attempt`: 1 for the first, 2 after the first resume, and so on.
  public var attempt: Int
  /// `host`: the host's inventory name (not its address, which may change).
  public var host: String
  public var app: String
  public var stage: String
  /// `kind`: how the app is deployed: `git`, `apt`, `rollback`...
  public var kind: String
  /// What the user asked for: a git ref or a package version.
  public var version: String
  /// The commit `version` resolved to, for git apps.
  public var commit: String?
  /// Who: a local user name (`alice`) or a CI identity (`github:octocat`).
  public var user: String
  /// From where: the controller's hostname, or `github-actions owner/repo run 123`.
  public var origin: String
  public var workflow: String?
  /// `started`: when the attempt started on this host, epoch seconds.
  public var startedAt: Int
  /// `ended`: when it ended, epoch seconds; set on `finished` lines.
  public var endedAt: Int?
  /// `running` until the attempt ends.
  public var outcome: RunOutcome
  /// A short explanation of the outcome, e.g. `step 3/5 'compile' failed`.
  public var message: String?
  /// `failed_step`: the 1-based build step that failed.
  public var failedStep: Int?

  public init(
    runID: String, attempt: Int = 1, host: String, app: String, stage: String, kind: String,
    version: String, commit: String? = nil, user: String, origin: String, workflow: String? = nil,
    startedAt: Int, endedAt: Int? = nil, outcome: RunOutcome = .running, message: String? = nil,
    failedStep: Int? = nil
  ) {
    self.runID = runID
    self.attempt = attempt
    self.host = host
    self.app = app
    self.stage = stage
    self.kind = kind
    self.version = version
    self.commit = commit
    self.user = user
    self.origin = origin
    self.workflow = workflow
    self.startedAt = startedAt
    self.endedAt = endedAt
    self.outcome = outcome
    self.message = message
    self.failedStep = failedStep
  }

  /// The record a single journal line says: a `started` line gives a `running` record.
  public init(_ entry: JournalEntry) {
    self = entry.record
  }

  /// What identifies a record: one attempt of one run on one host.
  struct Key: Hashable {
    var runID: String
    var attempt: Int
    var host: String
  }

  var key: Key { Key(runID: runID, attempt: attempt, host: host) }

  /// Merges journal lines into one record per (run, attempt, host), oldest first. A `finished`
  /// line without its `started` line still yields a record (it repeats the started fields), and
  /// the order of the lines does not matter: journals from several hosts can be concatenated.
  public static func merge(_ entries: [JournalEntry]) -> [DeploymentRecord] {
    var merged: [Key: DeploymentRecord] = [:]
    for entry in entries {
      let record = DeploymentRecord(entry)
      merged[record.key] = merged[record.key].map { $0.updated(with: record) } ?? record
    }
    return merged.values.sorted {
      ($0.startedAt, $0.runID, $0.attempt, $0.host) < ($1.startedAt, $1.runID, $1.attempt, $1.host)
    }
  }

  /// This record after learning `other` about the same attempt. A finished state replaces a
  /// running one, never the other way round: journals are read again and again, and an old
  /// `started` line (or a stale ledger row) must not make a finished deployment look running.
  /// Between two finished states the later end wins (a runner that finished after the
  /// controller gave up on it and recorded `lost` knows better). Facts only one side knows,
  /// such as the commit resolved during the build, are kept either way.
  func updated(with other: DeploymentRecord) -> DeploymentRecord {
    let otherWins: Bool
    switch (outcome.isFinished, other.outcome.isFinished) {
    case (false, _): otherWins = true
    case (true, false): otherWins = false
    case (true, true): otherWins = (other.endedAt ?? .min) >= (endedAt ?? .min)
    }
    var result = otherWins ? other : self
    let loser = otherWins ? self : other
    result.commit = result.commit ?? loser.commit
    result.workflow = result.workflow ?? loser.workflow
    return result
  }

  /// For `history --json`: every key always present (null when unknown), times both as ISO 8601
  /// UTC text and as epoch seconds.
  public var json: JSONValue {
    .object([
      "run": .string(runID), "attempt": .number(Double(attempt)), "host": .string(host),
      "app": .string(app), "stage": .string(stage), "kind": .string(kind),
      "version": .string(version), "commit": .optional(commit), "user": .string(user),
      "origin": .string(origin), "workflow": .optional(workflow),
      "started": .string(Timestamp.iso8601(startedAt)), "started_epoch": .number(Double(startedAt)),
      "ended": .optional(endedAt.map(Timestamp.iso8601)), "ended_epoch": .optional(endedAt),
      "outcome": .string(outcome.rawValue), "message": .optional(message),
      "failed_step": .optional(failedStep),
    ])
  }
}
