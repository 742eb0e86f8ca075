import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeployLedger
@testable import DeployPipeline
@testable import DeploySupport

/// Issue 6's acceptance on the fleet of real Debian hosts, each with its own dpkg state: the
/// OONI `deployer.ini` as it was, `deploy ooni-api [STAGE] [VERSION]`, status marks, a failing
/// install on one host, badges.
extension FleetTests {
  @Suite(.enabled(if: TestFleet.hasPackages))
  struct AptDeployTests {
    let directory: String

    init() throws {
      directory = NSTemporaryDirectory() + "deploy-apt-" + UUID().uuidString.prefix(8)
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      // OONI's stages test, hel, prod mapped onto the fleet; names resolve through ssh_config.
      try """
      [environment]
      deb_packages = ooni-api fastpath analysis
      stages = test hel prod
      badges_path = \(directory)/badges

      [stage:test]
      hosts = test1

      [stage:hel]
      hosts = test2

      [stage:prod]
      hosts = prod1 prod2
      """.write(toFile: directory + "/deployer.ini", atomically: true, encoding: .utf8)
      for host in TestFleet.hosts {
        try TestFleet.exec(
          host,
          "apt-mark unhold ooni-api >/dev/null 2>&1; dpkg --purge ooni-api fastpath analysis"
            + " >/dev/null 2>&1; rm -rf /var/lib/deploy; true")
      }
    }

    func deploy(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
      try TestHosts.deploy(
        arguments + ["-F", TestFleet.sshConfig],
        environment: [
          "DEPLOY_CONFIG": directory + "/deployer.ini", "DEPLOY_LEDGER": directory + "/ledger",
        ])
    }

    func installed(_ host: String, _ package: String = "ooni-api") throws -> String {
      try TestFleet.exec(host, "dpkg-query -W -f '${Version}' \(package) 2>/dev/null || true")
    }

    func marks() throws -> [String] {
      let status = try deploy(["status", "--json"])
      let rows = try #require(
        try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]],
        "\(status.stdout)\(status.stderr)")
      return rows.first { $0["app"] as? String == "ooni-api" }?["marks"] as? [String] ?? []
    }

    /// 1. Latest to the first stage, latest to prod, an exact version (a downgrade) to test, and
    /// the pending / regression marks of `deploy`.
    @Test func latestExactDowngradeAndMarks() throws {
      let first = try deploy(["ooni-api"])
      #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
      #expect(try installed("test1") == "1.0.81~pr770-3")
      #expect(try installed("test2") == "", "hel untouched")

      // prod's hosts never saw 1.0.81~pr770-3 on hel: not on a terminal, that needs --yes.
      let refused = try deploy(["ooni-api", "prod"])
      #expect(refused.status == ExitStatus.usage.rawValue, "\(refused.stdout)\(refused.stderr)")
      #expect(refused.stderr.contains("was never deployed to hel"))
      // Asked before anything was locked or refreshed: the deployment never started.
      #expect(!refused.stdout.contains(" as run "), "\(refused.stdout)")
      #expect(try installed("prod1") == "")
      let prod = try deploy(["ooni-api", "prod", "--yes"])
      #expect(prod.status == 0, "\(prod.stdout)\(prod.stderr)")
      #expect(try installed("prod1") == "1.0.81~pr770-3")
      #expect(try installed("prod2") == "1.0.81~pr770-3")

      let hel = try deploy(["ooni-api", "hel", "1.0.80", "--yes"])
      #expect(hel.status == 0, "\(hel.stdout)\(hel.stderr)")
      // test 1.0.81~pr770-3 > hel 1.0.80: pending; hel 1.0.80 < prod: regression.
      #expect(try marks() == ["pending", "regression"])

      let down = try deploy(["ooni-api", "test", "1.0.79~pr751-14"])
      #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
      #expect(down.stdout.contains("ooni-api: 1.0.81~pr770-3 -> 1.0.79~pr751-14"))
      #expect(try installed("test1") == "1.0.79~pr751-14")
      #expect(try marks() == ["regression", "regression"])
      let table = try deploy([])
      #expect(table.stdout.contains("<! hel runs a newer version"), "\(table.stdout)")

      // A version no host offers: nothing installed, the nearest ones named.
      let missing = try deploy(["ooni-api", "test", "1.0.79~pr751-15"])
      #expect(missing.status == ExitStatus.usage.rawValue)
      #expect(missing.stderr.contains("Nearest available: "), "\(missing.stderr)")
      #expect(missing.stderr.contains("1.0.79~pr751-14"))
      #expect(try installed("test1") == "1.0.79~pr751-14")

      // Every run is in the host journals, and so in history (read from them).
      let history = try deploy(["history", "ooni-api", "--json"])
      #expect(history.status == 0, "\(history.stderr)")
      let runs = try #require(
        try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
      #expect(runs.count == 4, "\(history.stdout)")
      // Newest first, but runs started in one second tie (run ids order them by their
      // random part): the downgrade is among the runs of test.
      #expect(
        runs.contains {
          $0["version"] as? String == "1.0.79~pr751-14" && $0["stage"] as? String == "test"
        }, "\(history.stdout)")
      #expect(runs.allSatisfy { $0["kind"] as? String == "apt" })

      // 4. Badges per app and stage, rewritten only when changed.
      let badges = try deploy(["badges"])
      #expect(badges.status == 0, "\(badges.stdout)\(badges.stderr)")
      let svg = try String(contentsOfFile: directory + "/badges/ooni-api-test.svg", encoding: .utf8)
      #expect(svg.contains("1.0.79~pr751-14"))
      let again = try deploy(["badges"])
      #expect(again.stdout.contains("0 file(s) written"), "\(again.stdout)")
    }

    /// 2. apt-get failing on one host (its package is held): that host's error, the others
    /// succeed, exit "some hosts failed", and the journal records both.
    @Test func aFailingInstallOnOneHost() throws {
      try TestFleet.exec(
        "prod2", "apt-get install -y -q ooni-api=1.0.80 >/dev/null && apt-mark hold ooni-api")
      let result = try deploy(["ooni-api", "prod", "1.0.80~pr760-20", "--yes"])
      #expect(result.status == ExitStatus.hostsFailed.rawValue, "\(result.stdout)\(result.stderr)")
      #expect(
        result.stdout.contains("prod2 ! apt-get install ooni-api=1.0.80~pr760-20 exited with 100"),
        "\(result.stdout)")
      #expect(try installed("prod1") == "1.0.80~pr760-20")
      #expect(try installed("prod2") == "1.0.80")
      for (host, outcome) in [("prod1", "succeeded"), ("prod2", "failed")] {
        let journal = try TestFleet.exec(host, "cat /var/lib/deploy/ooni-api/.deploy/journal.jsonl")
        #expect(
          Journal.parse(journal).entries.last?.outcome.rawValue == outcome, "\(host): \(journal)")
      }
    }
  }
}
