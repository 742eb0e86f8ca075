/// Where an app's files live on one host. Everything `deploy` itself writes is under
/// `<root>/.deploy`, so a later controller on any machine finds the lock, the runs and the
/// journal from the app's path alone.
public struct HostLayout: Sendable, Hashable {
  /// The app's folder (`path:` in the project file).
  public var root: String
  /// The git working tree builds run in.
  public var checkout: String
  /// ECHR-OD's build folder: `.lock`, `.build_history`, one folder per build.
  public var buildFolder: String

  public init(root: String, checkout: String, buildFolder: String) {
    self.root = root
    self.checkout = checkout
    self.buildFolder = buildFolder
  }

  public var stateFolder: String { root + "/.deploy" }
  /// The deploy lock: a folder, created by an atomic rename so it is never seen half-written.
  public var lockFolder: String { stateFolder + "/lock" }
  public var runsFolder: String { stateFolder + "/runs" }
  /// The host's append-only deployment journal (JSON lines): the source of truth for history.
  public var journal: String { stateFolder + "/journal.jsonl" }
  /// One line per verified activation, `EPOCH FOLDER`: which builds were served, and when.
  public var activations: String { stateFolder + "/activations" }

  public func runFolder(_ runID: String) -> String { runsFolder + "/" + runID }
  /// Where a run's build writes its output; it becomes an "available build" once it has
  /// `build_info.yml`.
  public func buildOutput(_ runID: String) -> String { buildFolder + "/" + runID }
  public var buildLock: String { buildFolder + "/.lock" }
  public var buildHistory: String { buildFolder + "/.build_history" }
}
