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
public struct JournalEntry: Sendable, Hashable {
  public enum Event: String, Sendable {
    case started
    case finished
  }

  public var event: Event
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
  /// The commit `version` resolved to, for git apps; often known only once the build ran.
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
  /// `running` on `started` lines.
  public var outcome: RunOutcome
  /// A short explanation of the outcome, e.g. `step 3/5 'compile' exited with 2`.
  public var message: String?
  /// `failed_step`: the 1-based build step that failed.
  public var failedStep: Int?

  public init(
    event: Event, runID: String, attempt: Int = 1, host: String, app: String, stage: String,
    kind: String, version: String, commit: String? = nil, user: String, origin: String,
    workflow: String? = nil, startedAt: Int, endedAt: Int? = nil, outcome: RunOutcome = .running,
    message: String? = nil, failedStep: Int? = nil
  ) {
    self.event = event
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
      "event": .string(event.rawValue), "run": .string(runID), "attempt": .number(Double(attempt)),
      "host": .string(host), "app": .string(app), "stage": .string(stage), "kind": .string(kind),
      "version": .string(version), "user": .string(user), "origin": .string(origin),
      "started": .number(Double(startedAt)), "outcome": .string(outcome.rawValue),
    ]
    object["commit"] = commit.map(JSONValue.string)
    object["workflow"] = workflow.map(JSONValue.string)
    object["ended"] = endedAt.map { .number(Double($0)) }
    object["message"] = message.map(JSONValue.string)
    object["failed_step"] = failedStep.map { .number(Double($0)) }
    return JSONValue.object(object).serialized
  }
}
