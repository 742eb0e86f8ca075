import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

extension Integration {
  /// The fault matrix's fleet-scale rows: at 50 hosts (scripts/fault-matrix.sh) or on the 10
  /// test hosts (CI), back-to-back deploys with near-zero builds (where probing saw succeeded
  /// builds reported lost, 3 in 200 host deployments), and a ledger writer killed again and
  /// again.
  @Suite(.serialized) struct FleetScaleTests {
    /// Every test host but one in the stage.
    static var stageSize: Int { max(2, TestHosts.count - 1) }
    static var deploys: Int { FaultMatrix.rounds > 1 ? 4 * FaultMatrix.rounds : 3 }

    @Test func backToBackDeploysHaveNoFalseLossAndNoSplitStage() throws {
      let app = try GitAppFixture(
        steps: GitAppFixture.buildScript, appExtra: GitAppFixture.symlinkActivation(keep: 2),
        testHosts: Self.stageSize)
      defer { app.remove() }
      for round in 1...Self.deploys {
        let version = round % 2 == 0 ? "v2" : "v1"
        let deploy = try app.deploy(["demo-app", "test", version, "--forks", "64"])
        #expect(deploy.status == 0, "deploy \(round): \(deploy.stdout.suffix(2000))")
        #expect(!deploy.stdout.contains("gone without finishing"), "deploy \(round): a false loss")
        // One stage, one build: every host serves this round's version.
        let served = Set(
          (1...Self.stageSize).map { app.read(app.buildFolder($0) + "/current/data.txt") ?? "-" })
        #expect(served == ["\(version)\n"], "deploy \(round): split stage \(served)")
      }
    }

    /// The local ledger's writer is killed at random moments, again and again: the SQLite file
    /// stays whole (`integrity_check`), no entry is half-written, and a last complete run
    /// indexes every host journal entry.
    @Test func aLedgerWriterKilledAgainAndAgainLosesNothing() throws {
      let app = try GitAppFixture(steps: GitAppFixture.buildScript)
      defer { app.remove() }
      for version in ["v1", "v2", "v1"] {
        #expect(try app.deploy(["demo-app", "test", version]).status == 0)
      }
      let kills = FaultMatrix.rounds > 1 ? 100 : 10
      for kill in 1...kills {
        try? FileManager.default.removeItem(atPath: app.ledger)
        let writer = try app.start(["history", "--json"])
        Thread.sleep(forTimeInterval: Double.random(in: 0...0.4))
        writer.signal(SIGKILL)
        _ = try writer.wait(timeout: 10)
        guard FileManager.default.fileExists(atPath: app.ledger) else { continue }
        let check = try ChildProcess.capture([
          "python3", "-c",
          """
          import sqlite3, sys
          db = sqlite3.connect(sys.argv[1])
          print(db.execute("PRAGMA integrity_check").fetchone()[0])
          # A row is whole when it names its run, host and outcome, and an ended run its end.
          # (Killed before its schema was made, the file has no table yet: nothing is half.)
          if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'deployment'").fetchone():
              print(0); sys.exit(0)
          half = db.execute(
              "SELECT count(*) FROM deployment WHERE run_id = '' OR host = '' OR outcome = ''"
              " OR (outcome NOT IN ('running') AND ended_at IS NULL)").fetchone()[0]
          print(half)
          """, app.ledger,
        ])
        #expect(check.stdout == "ok\n0\n", "kill \(kill): \(check.stdout)\(check.stderr)")
      }
      let complete = try app.deploy(["history", "--json"])
      #expect(complete.status == 0)
      let runs = try #require(
        try JSONSerialization.jsonObject(with: Data(complete.stdout.utf8)) as? [[String: Any]])
      #expect(runs.count == 3, "\(complete.stdout)")
      #expect(runs.allSatisfy { $0["outcome"] as? String == "succeeded" })
    }
  }
}
