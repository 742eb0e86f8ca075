import DeploySupport
import Foundation
import GRDB

#if canImport(Glibc)
  import Glibc
#endif

/// The local index of the hosts' deployment journals, so that `deploy history` answers without
/// contacting every host. The journals stay the source of truth (a fresh CI runner starts with
/// no ledger at all), so the ledger can always be deleted and filled again from them.
public final class Ledger: Sendable {
  /// The SQLite file, for messages.
  public let path: String
  private let database: DatabaseQueue

  /// `DEPLOY_LEDGER`, else `$XDG_STATE_HOME/deploy/ledger.sqlite`, else
  /// `$HOME/.local/state/deploy/ledger.sqlite`. The ledger is state (history that can be
  /// rebuilt), not configuration and not cache, hence the XDG state folder.
  public static func defaultPath(environment: [String: String]) -> String {
    if let path = environment["DEPLOY_LEDGER"], !path.isEmpty { return path }
    // The XDG spec says to ignore a relative XDG_STATE_HOME.
    if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
      return state + "/deploy/ledger.sqlite"
    }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.local/state/deploy/ledger.sqlite"
  }

  /// Opens the ledger at `path`, creating the file and its folders if needed and bringing its
  /// tables up to date.
  public init(path: String) throws(DeployError) {
    self.path = path
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      throw Self.failure(path, "it is a folder, not a file; set DEPLOY_LEDGER to a file's path")
    }
    if let problem = Self.createFolders(of: path) { throw Self.failure(path, problem) }
    var configuration = Configuration()
    // Two `deploy` processes (two terminals, two CI jobs on one runner) may record at once.
    configuration.busyMode = .timeout(10)
    do {
      database = try DatabaseQueue(path: path, configuration: configuration)
      try LedgerSchema.migrator.migrate(database)
    } catch {
      throw Self.failure(path, error)
    }
  }

  /// Stores records, keyed by (run, attempt, host). Recording the same records again changes
  /// nothing, and a finished state is never replaced by `running` (see
  /// `DeploymentRecord.updated(with:)`), so journals can be re-read and recorded at any time.
  public func record(_ records: [DeploymentRecord]) throws(DeployError) {
    try access {
      try database.write { db in
        for record in records {
          let key: StatementArguments = [record.runID, record.attempt, record.host]
          let row = try Row.fetchOne(
            db, sql: "SELECT * FROM deployment WHERE run_id = ? AND attempt = ? AND host = ?",
            arguments: key)
          let stored = row.flatMap(DeploymentRecord.init(row:))
          // A row this version cannot read (an outcome added by a newer `deploy`) is left alone.
          if row != nil && stored == nil { continue }
          let merged = stored.map { $0.updated(with: record) } ?? record
          if merged == stored { continue }
          try db.execute(
            sql: """
              INSERT OR REPLACE INTO deployment (
                run_id, attempt, host, app, stage, kind, version, commit_id, user_name, origin,
                workflow, started_at, ended_at, outcome, message, failed_step
              ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              """,
            arguments: [
              merged.runID, merged.attempt, merged.host, merged.app, merged.stage, merged.kind,
              merged.version, merged.commit, merged.user, merged.origin, merged.workflow,
              merged.startedAt, merged.endedAt, merged.outcome.rawValue, merged.message,
              merged.failedStep,
            ])
        }
      }
    }
  }

  /// Records newest first (by start time), optionally of one app and one stage. `limit` counts
  /// runs, not rows: it returns every record of the newest `limit` runs, because cutting a run's
  /// hosts short would misreport its outcome.
  public func records(app: String?, stage: String?, limit: Int?) throws(DeployError)
    -> [DeploymentRecord]
  {
    var conditions: [String] = []
    var filter: [(any DatabaseValueConvertible)?] = []
    if let app {
      conditions.append("app = ?")
      filter.append(app)
    }
    if let stage {
      conditions.append("stage = ?")
      filter.append(stage)
    }
    let condition = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
    var sql = "SELECT * FROM deployment WHERE \(condition)"
    var arguments = filter
    if let limit {
      sql += """
         AND run_id IN (
          SELECT run_id FROM deployment WHERE \(condition)
          GROUP BY run_id ORDER BY MIN(started_at) DESC, run_id DESC LIMIT ?)
        """
      arguments += filter + [max(0, limit)]
    }
    sql += " ORDER BY started_at DESC, run_id DESC, host, attempt DESC"
    return try access {
      try database.read { db in
        try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
          .compactMap(DeploymentRecord.init(row:))
      }
    }
  }

  /// Whether nothing (of `app`, if given) has been recorded yet: `history` then says where the
  /// history comes from instead of printing an empty table.
  public func isEmpty(app: String?) throws(DeployError) -> Bool {
    try access {
      try database.read { db in
        if let app {
          return try !Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM deployment WHERE app = ?)", arguments: [app])!
        }
        return try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deployment)")!
      }
    }
  }

  private func access<T>(_ body: () throws -> T) throws(DeployError) -> T {
    do {
      return try body()
    } catch {
      throw Self.failure(path, error)
    }
  }

  /// `mkdir -p` for the ledger's folder; the reason it failed, or nil.
  private static func createFolders(of path: String) -> String? {
    let components = path.split(separator: "/").dropLast()
    var current = path.hasPrefix("/") ? "" : "."
    for component in components {
      current += "/" + component
      if mkdir(current, 0o755) != 0 && errno != EEXIST {
        return "cannot create the folder \(current): \(String(cString: strerror(errno)))"
      }
    }
    return nil
  }

  private static func failure(_ path: String, _ error: any Error) -> DeployError {
    guard let error = error as? DatabaseError else {
      return failure(path, String(describing: error))
    }
    let sqlite = error.message ?? "SQLite error \(error.resultCode.rawValue)"
    switch error.resultCode {
    case .SQLITE_NOTADB, .SQLITE_CORRUPT:
      let problem = error.resultCode == .SQLITE_NOTADB ? "not an SQLite database" : "damaged"
      return failure(
        path,
        "it is \(problem) (\(sqlite)). The ledger only indexes the journals kept on the hosts,"
          + " so it is safe to move the file aside or delete it; or set DEPLOY_LEDGER to use"
          + " another file")
    case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
      return failure(
        path,
        "cannot open it for writing (\(sqlite)); check the permissions of the file and its"
          + " folder, or set DEPLOY_LEDGER to use another file")
    case .SQLITE_BUSY, .SQLITE_LOCKED:
      return failure(
        path, "another deploy process kept it locked for too long (\(sqlite)); try again")
    case .SQLITE_FULL:
      return failure(path, "the disk is full (\(sqlite))")
    default:
      return failure(path, sqlite)
    }
  }

  private static func failure(_ path: String, _ reason: String) -> DeployError {
    .configuration(SourceLocation(file: path), "cannot use the deployment ledger: \(reason)")
  }
}

extension DeploymentRecord {
  /// A ledger row; nil for a row this version cannot read (an outcome it does not know).
  fileprivate init?(row: Row) {
    guard let runID: String = row["run_id"], let attempt: Int = row["attempt"],
      let host: String = row["host"], let app: String = row["app"],
      let stage: String = row["stage"], let kind: String = row["kind"],
      let version: String = row["version"], let user: String = row["user_name"],
      let origin: String = row["origin"], let startedAt: Int = row["started_at"],
      let outcome = (row["outcome"] as String?).flatMap(RunOutcome.init(rawValue:))
    else { return nil }
    self.init(
      runID: runID, attempt: attempt, host: host, app: app, stage: stage, kind: kind,
      version: version, commit: row["commit_id"], user: user, origin: origin,
      workflow: row["workflow"], startedAt: startedAt, endedAt: row["ended_at"],
      outcome: outcome, message: row["message"], failedStep: row["failed_step"])
  }
}
