import DeployInventory

/// A snapshot of a build folder (`data_folder` in the explorer) and the build API's read-only
/// answers computed from it. Kept apart from the disk so the same answers can be computed from
/// files read over SSH: build one with `init(buildName:locked:historyFile:buildInfoFiles:)`.
public struct BuildFolderState: Sendable {
  /// A sub-folder that holds a `build_info.yml` file.
  public struct Build: Sendable, Hashable {
    public var name: String
    /// The file as PyYAML reads it; nil when it cannot be read or parsed.
    public var info: PythonJSON?

    public init(name: String, info: PythonJSON?) {
      self.name = name
      self.info = info
    }
  }

  /// Which build `new_build_available` and `update` pick, and why.
  public struct NewBuild: Sendable, Hashable {
    /// The sub-folder to swap in; nil when nothing is newer.
    public var folder: String?
    public var buildTime: BuildTime?
    /// Set when the choice was not the plain "latest newer than served" rule (the served build
    /// has no readable `build_time`): a line for the server's log.
    public var detail: String?
  }

  /// The folder of the served build (`build_name`).
  public var buildName: String
  /// `.lock` exists: a build is running.
  public var locked: Bool
  /// `.build_history`'s bytes; nil when it is missing or unreadable.
  public var historyFile: [UInt8]?
  /// Available builds, sorted by name (code point order).
  public var builds: [Build]

  public init(buildName: String, locked: Bool, historyFile: [UInt8]?, builds: [Build]) {
    self.buildName = buildName
    self.locked = locked
    self.historyFile = historyFile
    self.builds = builds.sorted { $0.name.precedesByCodePoint($1.name) }
  }

  /// From raw files: `buildInfoFiles` maps each sub-folder holding a `build_info.yml` file to
  /// its bytes (nil when it could not be read).
  public init(
    buildName: String, locked: Bool, historyFile: [UInt8]?, buildInfoFiles: [String: [UInt8]?]
  ) {
    self.init(
      buildName: buildName, locked: locked, historyFile: historyFile,
      builds: buildInfoFiles.map { Build(name: $0.key, info: $0.value.flatMap(PythonYAML.load)) })
  }

  /// Folders `BuildFolder` keeps beside the served build: never candidates for "newer" (the
  /// rollback copy and a rolled-back build are older or known bad), and the transient ones are
  /// not listed as available at all.
  public static func bookkeepingSuffixes(transientOnly: Bool) -> [String] {
    transientOnly ? [".incoming", ".trash"] : [".save", ".failed", ".incoming", ".trash"]
  }

  private func isBookkeeping(_ name: String, transientOnly: Bool) -> Bool {
    Self.bookkeepingSuffixes(transientOnly: transientOnly).contains { buildName + $0 == name }
  }

  /// History entries; nil without a readable history file.
  public var historyEntries: [BuildHistoryEntry]? { historyFile.flatMap(BuildHistoryEntry.parse) }

  /// `/status`: a shields.io endpoint badge.
  public func status() -> PythonJSON {
    let (message, color): (String, String)
    if locked {
      (message, color) = ("in progress", "blue")
    } else if let last = historyEntries?.last {
      (message, color) = (last.date, "green")
    } else {
      (message, color) = ("never built", "grey")
    }
    return .object([
      ("schemaVersion", .int(1)), ("label", .string("Database Update")),
      ("message", .string(message)), ("color", .string(color)),
    ])
  }

  /// `/history`: every line, in file order.
  public func history() -> PythonJSON {
    .array((historyEntries ?? [.neverBuilt]).map(\.json))
  }

  /// `/latest`: the last line (the "never built" entry for a missing or empty file, where the
  /// explorer failed with a 500).
  public func latest() -> PythonJSON {
    (historyEntries?.last ?? .neverBuilt).json
  }

  /// `/current`: the served build's `build_info.yml`, `{}` when unreadable.
  public func current() -> PythonJSON {
    builds.first { $0.name == buildName }?.info ?? .object([])
  }

  /// `/available`: every build folder's `build_info.yml` (`{}` for an unreadable one), by name.
  public func available() -> PythonJSON {
    .object(
      builds.filter { !isBookkeeping($0.name, transientOnly: true) }.map {
        ($0.name, $0.info ?? .object([]))
      })
  }

  /// The build with the latest `build_time` later than the served one's (the first by name
  /// among equals). If the served build has no readable `build_time`, nothing valid is served,
  /// so any available build with one counts as newer. Builds without a readable `build_time`
  /// are never candidates.
  public func newBuild() -> NewBuild {
    let served = BuildTime(buildInfo: builds.first { $0.name == buildName }?.info)
    var best: (name: String, time: BuildTime)?
    for build in builds
    where build.name != buildName && !isBookkeeping(build.name, transientOnly: false) {
      guard let time = BuildTime(buildInfo: build.info) else { continue }
      if let served, time <= served { continue }
      if best == nil || time > best!.time { best = (build.name, time) }
    }
    var detail: String?
    if served == nil {
      detail =
        "the served build \(String(reflecting: buildName)) has no readable build_time, so any "
        + "available build counts as newer: "
        + (best.map { "\(String(reflecting: $0.name)) (\($0.time))" } ?? "there is none")
    }
    return NewBuild(folder: best?.name, buildTime: best?.time, detail: detail)
  }

  /// `/new_build_available`: `[false,null]` or `[true,"<folder>"]`.
  public func newBuildAvailable() -> PythonJSON {
    guard let folder = newBuild().folder else { return .array([.bool(false), .null]) }
    return .array([.bool(true), .string(folder)])
  }
}
