import DeployConfig
import HostScripts

/// Everything the host-side runner of one build attempt needs, fixed by the controller before
/// the start: after that the runner is on its own.
public struct BuildPlan: Sendable {
  public var runID: String
  /// 1 for a new run, then 2, 3, … for each `--resume`.
  public var attempt: Int
  public var app: String
  public var stage: String
  public var version: String
  public var commit: String
  /// The name written to `.build_history` after `::` (the workflow's name, or `steps`).
  public var workflow: String
  public var steps: [BuildStep]
  public var layout: HostLayout
  /// Extra environment for the steps (`build.env`), names already validated.
  public var environment: [(name: String, value: String)]
  /// The whole attempt's limit in seconds; each step gets what is left.
  public var timeout: Double?
  /// Journal lines the runner appends, split around the place where it writes the time.
  public var journal: BuildJournalLines

  public init(
    runID: String, attempt: Int, app: String, stage: String, version: String, commit: String,
    workflow: String, steps: [BuildStep], layout: HostLayout,
    environment: [(name: String, value: String)] = [], timeout: Double? = nil,
    journal: BuildJournalLines
  ) {
    self.runID = runID
    self.attempt = attempt
    self.app = app
    self.stage = stage
    self.version = version
    self.commit = commit
    self.workflow = workflow
    self.steps = steps
    self.layout = layout
    self.environment = environment
    self.timeout = timeout
    self.journal = journal
  }

  public var buildOutput: String { layout.buildOutput(runID) }
  public var runFolder: String { layout.runFolder(runID) }
}

/// A journal line with a hole where the host's clock goes: the runner writes
/// `prefix + seconds-since-epoch + suffix`. The controller builds these from real journal
/// entries, so the shell never has to produce JSON itself.
public struct JournalLineTemplate: Sendable, Hashable {
  public var prefix: String
  public var suffix: String

  public init(prefix: String, suffix: String) {
    self.prefix = prefix
    self.suffix = suffix
  }
}

/// The runner's journal lines: when it starts, when it succeeds, when step N fails, when it is
/// stopped by a signal.
public struct BuildJournalLines: Sendable {
  public var started: JournalLineTemplate
  public var succeeded: JournalLineTemplate
  /// Indexed by step number − 1.
  public var failedAtStep: [JournalLineTemplate]
  public var interrupted: JournalLineTemplate

  public init(
    started: JournalLineTemplate, succeeded: JournalLineTemplate,
    failedAtStep: [JournalLineTemplate], interrupted: JournalLineTemplate
  ) {
    self.started = started
    self.succeeded = succeeded
    self.failedAtStep = failedAtStep
    self.interrupted = interrupted
  }
}
