/// What each stage of an app runs, and how adjacent stages compare: the table `deploy` shows
/// with no arguments (OONI's `dep`).
public struct StatusTable: Sendable {
  /// One app's row.
  public struct Row: Sendable {
    public var app: String
    public var kind: String
    public var cells: [Cell]
    /// Between `cells[i]` and `cells[i + 1]`.
    public var marks: [Mark]

    public init(app: String, kind: String, cells: [Cell], marks: [Mark]) {
      self.app = app
      self.kind = kind
      self.cells = cells
      self.marks = marks
    }
  }

  /// One stage of one app.
  public struct Cell: Sendable {
    public var stage: String
    /// Per host: the version it runs, nil when nothing is deployed, or an error text.
    public var hosts: [(host: String, version: String?, error: String?)]

    public init(stage: String, hosts: [(host: String, version: String?, error: String?)]) {
      self.stage = stage
      self.hosts = hosts
    }

    /// The stage's version when every host that answered agrees.
    public var version: String? {
      let versions = Set(hosts.compactMap(\.version))
      return versions.count == 1 && hosts.allSatisfy({ $0.error == nil }) ? versions.first : nil
    }
    /// Hosts disagree (or some failed to answer): shown per host, flagged.
    public var isMixed: Bool { Set(hosts.map { $0.version ?? "-" }).count > 1 }
  }

  public enum Mark: String, Sendable {
    case none = ""
    /// The left stage runs a newer version: waiting for promotion.
    case pending
    /// The right (later) stage runs a newer version than the one before it.
    case regression
  }

  public var rows: [Row]

  public init(rows: [Row]) { self.rows = rows }

  /// Marks for a row, ordering versions with `isNewer(a, b)` (a newer than b).
  public static func marks(
    _ cells: [Cell], isNewer: (String, String) -> Bool
  ) -> [Mark] {
    zip(cells, cells.dropFirst()).map { left, right in
      guard let a = left.version, let b = right.version, a != b else { return .none }
      if isNewer(a, b) { return .pending }
      if isNewer(b, a) { return .regression }
      return .none
    }
  }
}
