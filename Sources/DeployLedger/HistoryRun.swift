import DeployInventory
import DeploySupport

/// A run across hosts, as `deploy history` shows it: the latest attempt on each host, and one
/// outcome for the whole run.
public struct HistoryRun: Sendable, Hashable {
  public var runID: String
  public var app: String
  /// `stage`, `kind`, `version`, `user`, `origin` and `workflow` come from the newest attempt: a
  /// resumed run shows who resumed it.
  public var stage: String
  public var kind: String
  public var version: String
  /// The commit the hosts resolved, or nil if none is known or the hosts disagree (a branch
  /// moved while the run went from host to host); each host's record has its own.
  public var commit: String?
  public var user: String
  public var origin: String
  public var workflow: String?
  /// The highest attempt number on any host: 2 or more means the run was resumed.
  public var attempt: Int
  /// When the run first started, counting attempts since superseded.
  public var startedAt: Int
  /// When the last host finished; nil while the run is running.
  public var endedAt: Int?
  public var outcome: RunOutcome
  /// The latest attempt on each host, sorted by host name.
  public var hosts: [DeploymentRecord]

  /// Groups records into runs, newest first. Records of one run and app form one run; on each
  /// host only its latest attempt counts, so a host that failed and then succeeded when the run
  /// was resumed counts as succeeded.
  public static func group(_ records: [DeploymentRecord]) -> [HistoryRun] {
    var byRun: [RunKey: [DeploymentRecord]] = [:]
    for record in records {
      byRun[RunKey(runID: record.runID, app: record.app), default: []].append(record)
    }
    // Runs started in the same second: the one still running, else the one that ended later,
    // is the newer.
    return byRun.values.map(HistoryRun.init(records:)).sorted {
      ($0.startedAt, $0.endedAt ?? Int.max, $0.runID) > (
        $1.startedAt, $1.endedAt ?? Int.max, $1.runID
      )
    }
  }

  /// The outcome of a whole run from its hosts' outcomes: running while any host is, then
  /// failed if any host did not get there (failed, lost, interrupted), then rolled back if any
  /// host rolled back, else succeeded.
  public static func outcome(of hostOutcomes: some Sequence<RunOutcome>) -> RunOutcome {
    let present = Set(hostOutcomes)
    if present.contains(.running) { return .running }
    if !present.isDisjoint(with: [.failed, .lost, .interrupted]) { return .failed }
    if present.contains(.rolledBack) { return .rolledBack }
    return .succeeded
  }

  private struct RunKey: Hashable {
    var runID: String
    var app: String
  }

  /// `records`: not empty, all of one run and app.
  private init(records: [DeploymentRecord]) {
    var latest: [String: DeploymentRecord] = [:]
    for record in records {
      guard let current = latest[record.host], current.attempt >= record.attempt else {
        latest[record.host] = record
        continue
      }
      if current.attempt == record.attempt { latest[record.host] = current.updated(with: record) }
    }
    hosts = latest.values.sorted { $0.host.precedesByCodePoint($1.host) }
    let newest = hosts.max { ($0.attempt, $0.startedAt) < ($1.attempt, $1.startedAt) }!
    runID = newest.runID
    app = newest.app
    stage = newest.stage
    kind = newest.kind
    version = newest.version
    user = newest.user
    origin = newest.origin
    workflow = newest.workflow
    attempt = newest.attempt
    let commits = Set(hosts.compactMap(\.commit))
    commit = commits.count == 1 ? commits.first : nil
    startedAt = records.map(\.startedAt).min()!
    outcome = Self.outcome(of: hosts.map(\.outcome))
    endedAt = outcome.isFinished ? hosts.compactMap(\.endedAt).max() : nil
  }

  /// For `history --json`: every key always present (null when unknown), times both as ISO 8601
  /// UTC text (`started`, `ended`) and as epoch seconds (`started_epoch`, `ended_epoch`).
  public var json: JSONValue {
    .object([
      "run": .string(runID), "app": .string(app), "stage": .string(stage), "kind": .string(kind),
      "version": .string(version), "commit": .optional(commit), "user": .string(user),
      "origin": .string(origin), "workflow": .optional(workflow),
      "attempt": .number(Double(attempt)), "outcome": .string(outcome.rawValue),
      "started": .string(Timestamp.iso8601(startedAt)), "started_epoch": .number(Double(startedAt)),
      "ended": .optional(endedAt.map(Timestamp.iso8601)), "ended_epoch": .optional(endedAt),
      "hosts": .array(hosts.map(\.json)),
    ])
  }
}
