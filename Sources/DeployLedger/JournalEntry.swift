import DeploySupport

/// One line of a host's deployment journal (`<app dir>/.deploy/journal.jsonl`). The journals on
/// the hosts are the source of truth for what was deployed, because CI runners are ephemeral;
/// the local `Ledger` only indexes them.
///
/// Each attempt of a run writes a `started` line when the controller starts it and a `finished`
/// line when it ends. The `finished` line may come from a detached build runner written in POSIX
/// `sh`, long after the controller is gone, so the format is deliberately flat: one JSON object
/// per line, string and integer values only, times as epoch seconds. A `finished` line repeats
/// every field of its `started` line (the runner can reuse it as a template), so that it is
/// enough on its own if the `started` line is lost.
///
/// Keys: `event`, `run`, `attempt`, `host`, `app`, `stage`, `kind`, `version`, `commit`, `user`,
/// `origin`, `workflow`, `started`, `ended`, `outcome`, `message`, `failed_step`.
@dynamicMemberLookup
public struct JournalEntry: Sendable, Hashable {
  public enum Event: String, Sendable {
    case started
    case finished
  }

  public var event: Event
  /// Everything else a line says: the same fields a ledger row has (see `DeploymentRecord`),
  /// readable and writable directly on the entry (`entry.runID`).
  public var record: DeploymentRecord

  public subscript<Value>(dynamicMember field: WritableKeyPath<DeploymentRecord, Value>) -> Value {
    get { record[keyPath: field] }
    set { record[keyPath: field] = newValue }
  }

  public init(
    event: Event, runID: String, attempt: Int = 1, host: String, app: String, stage: String,
    kind: String, version: String, commit: String? = nil, user: String, origin: String,
    workflow: String? = nil, startedAt: Int, endedAt: Int? = nil, outcome: RunOutcome = .running,
    message: String? = nil, failedStep: Int? = nil
  ) {
    self.event = event
    record = DeploymentRecord(
      runID: runID, attempt: attempt, host: host, app: app, stage: stage, kind: kind,
      version: version, commit: commit, user: user, origin: origin, workflow: workflow,
      startedAt: startedAt, endedAt: endedAt, outcome: outcome, message: message,
      failedStep: failedStep)
  }

  /// The `finished` line for this attempt: the same fields, plus how and when it ended. For the
  /// controller's own endings (`interrupted`, `lost`); the build runner writes its own in `sh`.
  public func finishing(
    outcome: RunOutcome, at endedAt: Int, message: String? = nil, failedStep: Int? = nil
  ) -> JournalEntry {
    var entry = self
    entry.event = .finished
    entry.outcome = outcome
    entry.endedAt = endedAt
    entry.message = message
    entry.failedStep = failedStep
    return entry
  }

  /// The entry as one journal line: compact JSON with sorted keys, absent optional fields left
  /// out, no trailing newline (the writer adds it). Newlines inside values are escaped, so the
  /// line never breaks.
  public var jsonLine: String {
    var object: [String: JSONValue] = [
      "event": .string(event.rawValue), "run": .string(record.runID),
      "attempt": .number(Double(record.attempt)), "host": .string(record.host),
      "app": .string(record.app), "stage": .string(record.stage), "kind": .string(record.kind),
      "version": .string(record.version), "user": .string(record.user),
      "origin": .string(record.origin), "started": .number(Double(record.startedAt)),
      "outcome": .string(record.outcome.rawValue),
    ]
    object["commit"] = record.commit.map(JSONValue.string)
    object["workflow"] = record.workflow.map(JSONValue.string)
    object["ended"] = record.endedAt.map { .number(Double($0)) }
    object["message"] = record.message.map(JSONValue.string)
    object["failed_step"] = record.failedStep.map { .number(Double($0)) }
    return JSONValue.object(object).serialized
  }
}
