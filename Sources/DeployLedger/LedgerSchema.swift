import GRDB

/// The ledger's tables, built by migrations so that a ledger file written by an older `deploy`
/// is brought up to date in place. Migrations are append-only: never edit a published one, add
/// a new one after it.
enum LedgerSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("1: deployment") { db in
      // One row per attempt of a run on a host; column names avoid SQL keywords (`commit`).
      try db.create(table: "deployment") { table in
        table.column("run_id", .text).notNull()
        table.column("attempt", .integer).notNull()
        table.column("host", .text).notNull()
        table.column("app", .text).notNull()
        table.column("stage", .text).notNull()
        table.column("kind", .text).notNull()
        table.column("version", .text).notNull()
        table.column("commit_id", .text)
        table.column("user_name", .text).notNull()
        table.column("origin", .text).notNull()
        table.column("workflow", .text)
        table.column("started_at", .integer).notNull()
        table.column("ended_at", .integer)
        table.column("outcome", .text).notNull()
        table.column("message", .text)
        table.column("failed_step", .integer)
        table.primaryKey(["run_id", "attempt", "host"])
      }
      // `history` lists the newest runs, of one app and stage or of all.
      try db.execute(
        sql: """
          CREATE INDEX deployment_by_start ON deployment(started_at);
          CREATE INDEX deployment_by_app ON deployment(app, stage, started_at);
          """)
    }
    return migrator
  }
}
