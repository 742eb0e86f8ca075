import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeployLedger
@testable import DeploySSH
@testable import DeploySupport

extension Integration {
  /// Issue 5's acceptance: the app runs as a real container (podman, driven through its
  /// `docker` command) serving `deploy build-api` on its mounted build folder; deploys activate
  /// through the SSH connection, restart it, verify, and roll back.
  @Suite(.serialized, .enabled(if: TestContainers.available))
  struct ActivationTests {
    static let steps = """
            steps:
              - name: build
                run: ./build.sh
      """

    /// Two hosts, each with its own container and API port; the served build starts as the
    /// explorer's classic `demo_database` from 2020.
    struct Stage {
      let app: GitAppFixture
      let ports: [Int: Int]
      let image: String

      init(restart: String = "docker: \"demo-{{ inventory_hostname }}\"", health: String) throws {
        image = try TestContainers.ensureImage()
        var ports: [Int: Int] = [:]
        for host in [1, 2] { ports[host] = try TestContainers.freePort() }
        let portsCopy = ports
        app = try GitAppFixture(
          steps: Self.stepsText,
          appExtra: """
                activate:
                  api: "127.0.0.1:{{ api_port }}"
                  restart: {\(restart)}
                  ready_timeout: 30s
                  api_timeout: 3s
                health:
            \(health)
                keep: 3
            """,
          hostVars: { portsCopy[$0].map { "api_port=\($0)" } ?? "api_port=1" })
        self.ports = ports
        for host in [1, 2] {
          let folder = app.buildFolder(host)
          try sh(
            "mkdir -p \(folder)/demo_database && printf 'build_time: 2020/12/19 23:04:48\\n'"
              + " > \(folder)/demo_database/build_info.yml")
          try TestContainers.run(
            name: container(host), image: image, mounts: [(folder, "/data")],
            command: [
              "deploy", "build-api", "--data-folder", "/data", "--build-name", "demo_database",
              "--listen", "127.0.0.1:\(ports[host]!)",
            ])
        }
        // Wait until each container's own API answers (not merely something on its port: a
        // port picked free can be taken by a test running beside this one).
        for host in [1, 2] {
          let up = TestContainers.wait(timeout: 20) {
            (try? self.servedBuildTime(host)) == "2020/12/19 23:04:48"
          }
          try #require(up, "API of host \(host): \(TestContainers.logs(name: container(host)))")
        }
      }

      static let stepsText = ActivationTests.steps

      func container(_ host: Int) -> String { "demo-" + TestHosts.hostName(host) }

      /// `GET path` on host `host`'s build API, straight from here (it is our loopback too).
      func get(_ host: Int, _ path: String) throws -> (status: Int, body: String) {
        let port = ports[host]!
        let result = try ChildProcess.capture(
          ["python3", "-c", Self.fetch, "http://127.0.0.1:\(port)\(path)"], timeout: 20)
        let lines = result.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
        let body = lines.count > 1 ? lines[1] : ""
        return (Int(lines.first ?? "") ?? 0, body.trimmingCharacters(in: .whitespacesAndNewlines))
      }

      static let fetch = """
        import sys, urllib.request, urllib.error
        try:
            r = urllib.request.urlopen(sys.argv[1], timeout=10); print(r.status); print(r.read().decode())
        except urllib.error.HTTPError as e:
            print(e.code); print(e.read().decode())
        """

      func servedBuildTime(_ host: Int) throws -> String? {
        let answer = try get(host, "/api/v1/build/current")
        let object =
          try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return object?["build_time"] as? String
      }

      func buildTime(_ host: Int, run: String) -> String? {
        app.read(app.buildFolder(host) + "/\(run)/build_info.yml")?
          .firstMatch(of: /build_time: (.+)/).map { String($0.1) }
      }

      func remove() {
        for host in [1, 2] { TestContainers.remove(name: container(host)) }
        app.remove()
      }
    }

    static let greenStatus = """
                http: "http://127.0.0.1:{{ api_port }}/api/v1/build/status"
                contains: green
                retries: 3
                interval: 1s
      """

    /// 1. v2 is built, swapped in through the build API, the container restarts (new PID), and
    /// the API then serves v2's build_time; the journal says so. 3. rollback from an empty
    /// ledger goes back to the build served before, and is recorded.
    @Test func deployActivatesAndRollbackGoesBack() throws {
      let stage = try Stage(health: Self.greenStatus)
      defer { stage.remove() }
      let pids = try [1, 2].map { try TestContainers.pid(name: stage.container($0)) }
      let result = try stage.app.deploy(["demo-app", "test", "v2"])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(
        result.stdout.contains("build API: {\"message\":\"Build updated\"}"), "\(result.stdout)")
      #expect(result.stdout.contains("restarted (docker restart demo-host01)"))
      let run = try #require(result.stdout.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/)?.output)
      for host in [1, 2] {
        let expected = try #require(stage.buildTime(host, run: String(run)))
        #expect(try stage.servedBuildTime(host) == expected)
        #expect(try TestContainers.pid(name: stage.container(host)) != pids[host - 1])
        let journal = Journal.parse(
          stage.app.read(stage.app.root(host) + "/.deploy/journal.jsonl") ?? "")
        #expect(journal.entries.last?.outcome == .succeeded)
        #expect(journal.entries.last?.message?.contains("activated build_time \(expected)") == true)
      }

      // The status table shows what test serves now; prod has nothing yet.
      let status = try stage.app.deploy(["status", "--json"])
      let rows = try #require(
        try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
      let stages = try #require(rows.first?["stages"] as? [[String: Any]])
      #expect((stages.first?["version"] as? String)?.hasPrefix("v2 · ") == true, "\(status.stdout)")
      #expect(stages.last?["version"] is NSNull)
      let plain = try stage.app.deploy([])
      #expect(plain.stdout.contains("demo-app  (git)"), "\(plain.stdout)\(plain.stderr)")

      try FileManager.default.removeItem(atPath: stage.app.ledger)
      let back = try stage.app.deploy(["rollback", "demo-app", "test"])
      #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
      #expect(back.stdout.contains("rollback verified"))
      for host in [1, 2] {
        #expect(try stage.servedBuildTime(host) == "2020/12/19 23:04:48")
      }
      let history = try stage.app.deploy(["history", "--json"])
      let runs = try #require(
        try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
      #expect(runs.first?["kind"] as? String == "rollback", "\(history.stdout)")
      #expect(runs.first?["outcome"] as? String == "succeeded")
      #expect(runs.count == 2)
    }

    /// 2. A health check that fails for v3: both hosts end serving v2 again, verified; the exit
    /// code is "rolled back"; history shows v3 rolled back.
    @Test func aFailingHealthCheckRollsBack() throws {
      let stage = try Stage(
        health: """
                  http: "http://127.0.0.1:{{ api_port }}/api/v1/build/current"
                  contains: "\\"version\\":\\"v2\\""
                  retries: 2
                  interval: 1s
          """)
      defer { stage.remove() }
      let good = try stage.app.deploy(["demo-app", "test", "v2"])
      #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
      let goodRun = try #require(good.stdout.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/)?.output)
      try stage.app.tag("v3")
      Thread.sleep(forTimeInterval: 1)  // a later build_time than v2's
      let bad = try stage.app.deploy(["demo-app", "test", "v3"])
      #expect(bad.status == ExitStatus.rolledBack.rawValue, "\(bad.stdout)\(bad.stderr)")
      #expect(bad.stdout.contains("health check failed 2 times"), "\(bad.stdout)")
      #expect(bad.stdout.contains("deployed, then rolled back"))
      // Activation goes host by host (batch 1): host02 was never touched.
      #expect(bad.stdout.contains("1 not-activated, 1 rolled-back"), "\(bad.stdout)")
      for host in [1, 2] {
        #expect(try stage.servedBuildTime(host) == stage.buildTime(host, run: String(goodRun)))
      }
      // The bad build no longer counts as newer, so an update does not bring it back.
      #expect(try stage.get(1, "/api/v1/build/new_build_available").body == "[false,null]")
      let history = try stage.app.deploy(["history", "--json"])
      let runs = try #require(
        try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
      #expect(runs.first?["version"] as? String == "v3")
      #expect(runs.first?["outcome"] as? String == "rolled-back", "\(history.stdout)")
    }

    /// A build API that cannot be reached: no restart, production untouched, exit 8.
    @Test func anUnreachableBuildAPILeavesProductionAlone() throws {
      let stage = try Stage(health: Self.greenStatus)
      defer { stage.remove() }
      TestContainers.remove(name: stage.container(1))
      let result = try stage.app.deploy(["demo-app", "test", "v2", "-l", "host01"])
      #expect(result.status == ExitStatus.activationFailed.rawValue, "\(result.stdout)")
      #expect(result.stdout.contains("activation failed, production unchanged: build API"))
      #expect(result.stdout.contains("could not connect"))
      #expect(!result.stdout.contains("restarted"))
      #expect(
        stage.app.read(stage.app.buildFolder(1) + "/demo_database/build_info.yml")
          == "build_time: 2020/12/19 23:04:48\n")
    }

    /// A restart that fails once: the previous build comes back and is verified (exit 7).
    @Test func aFailingRestartRollsBack() throws {
      let marker = NSTemporaryDirectory() + "deploy-restart-" + UUID().uuidString
      defer { try? FileManager.default.removeItem(atPath: marker) }
      let stage = try Stage(
        restart:
          "command: \"if [ -e \(marker) ]; then docker restart demo-{{ inventory_hostname }};"
          + " else touch \(marker); exit 1; fi\"",
        health: Self.greenStatus)
      defer { stage.remove() }
      let result = try stage.app.deploy(["demo-app", "test", "v2", "-l", "host01"])
      #expect(result.status == ExitStatus.rolledBack.rawValue, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("rolling back"), "\(result.stdout)")
      #expect(try stage.servedBuildTime(1) == "2020/12/19 23:04:48")
    }
  }
}

extension Integration.ActivationTests {
  /// The symlink strategy: each build in its own folder, `current` switched by rename; a failing
  /// health check switches it back; `keep` prunes old builds but never the served one;
  /// `rollback --to VERSION` brings back any build still there.
  @Test func symlinkReleasesSwitchRollBackAndPrune() throws {
    let app = try GitAppFixture(
      steps: Self.steps,
      appExtra: """
            activate:
              strategy: symlink
              restart: {command: "true"}
            health:
              command: "grep -qv v3 $(readlink -f {{ app_root }}/build/current)/data.txt"
              retries: 1
            keep: 1
        """,
      hostVars: { "app_root=" + NSTemporaryDirectory() + "placeholder-\($0)" })
    defer { app.remove() }
    // The health command reads the host's own folder: point app_root at it.
    var yaml = try String(contentsOfFile: app.projectFile, encoding: .utf8)
    yaml = yaml.replacingOccurrences(
      of: "{{ app_root }}", with: app.directory + "/hosts/{{ inventory_hostname }}/demo-app")
    try yaml.write(toFile: app.projectFile, atomically: true, encoding: .utf8)

    func current() -> String? {
      try? FileManager.default.destinationOfSymbolicLink(atPath: app.buildFolder(1) + "/current")
    }
    func runID(_ output: String) -> String? {
      output.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/).map { String($0.output) }
    }
    let first = try app.deploy(["demo-app", "test", "v1", "-l", "host01"])
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    let v1 = try #require(runID(first.stdout))
    #expect(current() == v1)
    Thread.sleep(forTimeInterval: 1)
    let second = try app.deploy(["demo-app", "test", "v2", "-l", "host01"])
    #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
    let v2 = try #require(runID(second.stdout))
    #expect(current() == v2)
    #expect(second.stdout.contains("current -> \(v2) (was \(v1))"))

    try app.tag("v3")
    Thread.sleep(forTimeInterval: 1)
    let third = try app.deploy(["demo-app", "test", "v3", "-l", "host01"])
    #expect(third.status == ExitStatus.rolledBack.rawValue, "\(third.stdout)\(third.stderr)")
    #expect(current() == v2, "current is back on v2")

    // keep: 1 — three builds exist now (v1, v2, v3); a successful activation prunes to the
    // served one and the one served before it (v1, where a rollback goes).
    let back = try app.deploy(["rollback", "demo-app", "test", "--to", "v1", "-l", "host01"])
    #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
    #expect(current() == v1)
    let again = try app.deploy(["demo-app", "test", "v2", "-l", "host01"])
    #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    #expect(again.stdout.contains("removed"), "\(again.stdout)")
    let builds = try FileManager.default.contentsOfDirectory(atPath: app.buildFolder(1))
      .filter { $0 != "current" }
      .filter {
        FileManager.default.fileExists(atPath: app.buildFolder(1) + "/\($0)/build_info.yml")
      }
    #expect(builds.count == 2, "\(builds)")
    #expect(builds.contains(try #require(current())))
  }

  /// Probing's defect 2, end to end: three builds with `--detach`, then `--activate` of the
  /// oldest. Pruning must keep the link, the served build and the two waiting builds; a later
  /// activation prunes the build that was never served, not the one served before; `rollback`
  /// goes back to the build that was served, and `status` flags a link to a missing build.
  @Test func pruningAndRollbackFollowWhatWasServed() throws {
    let app = try GitAppFixture(
      steps: Self.steps, appExtra: GitAppFixture.symlinkActivation(keep: 1))
    defer { app.remove() }
    try app.tag("v3")
    func current() -> String? {
      try? FileManager.default.destinationOfSymbolicLink(atPath: app.buildFolder(1) + "/current")
    }
    var runs: [String] = []
    for version in ["v1", "v2", "v3"] {
      Thread.sleep(forTimeInterval: 1)  // build_time has seconds
      let built = try app.deploy(["demo-app", "test", version, "--detach", "-l", "host01"])
      #expect(built.status == 0, "\(built.stdout)\(built.stderr)")
      let run = try #require(built.stdout.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/)?.output)
      runs.append(String(run))
      _ = try app.deploy(["logs", "demo-app", "test", String(run), "-l", "host01", "--follow"])
    }
    let oldest = try app.deploy(["demo-app", "test", "--activate", runs[0], "-l", "host01"])
    #expect(oldest.status == 0, "\(oldest.stdout)\(oldest.stderr)")
    #expect(!oldest.stdout.contains("removed"), "\(oldest.stdout)")
    #expect(current() == runs[0])
    for run in runs { #expect(app.exists(app.buildFolder(1) + "/\(run)/build_info.yml"), "\(run)") }
    let status = try app.deploy(["status"])
    #expect(status.stdout.contains("v1 · "), "\(status.stdout)")

    // v3 goes live: v2, never served, goes; v1, served before, stays as the rollback target.
    let newest = try app.deploy(["demo-app", "test", "--activate", runs[2], "-l", "host01"])
    #expect(newest.status == 0, "\(newest.stdout)\(newest.stderr)")
    #expect(
      newest.stdout.contains("removed 1 old build(s), keeping 1: \(runs[1])"), "\(newest.stdout)")
    #expect(app.exists(app.buildFolder(1) + "/\(runs[0])/build_info.yml"))
    let back = try app.deploy(["rollback", "demo-app", "test", "-l", "host01"])
    #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
    #expect(current() == runs[0], "rolled back to the build served before, v1")

    // A link to a build that is gone is shown as broken, and status fails.
    try FileManager.default.removeItem(atPath: app.buildFolder(1) + "/\(runs[0])")
    let broken = try app.deploy(["status"])
    #expect(broken.status == ExitStatus.hostsFailed.rawValue, "\(broken.stdout)")
    #expect(broken.stdout.contains("host01: BROKEN: current -> \(runs[0])"), "\(broken.stdout)")
  }

  /// A detached build from CI, activated later by a second `deploy` with the run id.
  /// (Restarted with `podman restart`, the other first-class container kind.)
  @Test func aDetachedBuildIsActivatedLater() throws {
    let stage = try Stage(
      restart: "podman: \"demo-{{ inventory_hostname }}\"", health: Self.greenStatus)
    defer { stage.remove() }
    let started = try stage.app.deploy(["demo-app", "test", "v2", "--detach", "-l", "host01"])
    #expect(started.status == 0, "\(started.stdout)\(started.stderr)")
    #expect(!started.stdout.contains("restarted"), "detached: no activation yet")
    let run = try #require(started.stdout.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/)?.output)
    let followed = try stage.app.deploy([
      "logs", "demo-app", "test", String(run), "-l", "host01", "--follow",
    ])
    #expect(followed.status == 0)
    #expect(try stage.servedBuildTime(1) == "2020/12/19 23:04:48")
    let activated = try stage.app.deploy([
      "demo-app", "test", "--activate", String(run), "-l", "host01",
    ])
    #expect(activated.status == 0, "\(activated.stdout)\(activated.stderr)")
    #expect(try stage.servedBuildTime(1) == stage.buildTime(1, run: String(run)))
  }

  /// `build_time` has whole seconds: two builds finished in one second look alike to it. The
  /// build API picks the first by name among equal times, so `--activate` of the second must
  /// notice by the run id that the other one is served, and roll back.
  @Test func twoBuildsOfOneSecondAreToldApartByTheirRun() throws {
    let stage = try Stage(health: Self.greenStatus)
    defer { stage.remove() }
    var runs: [String] = []
    for version in ["v1", "v2"] {
      let built = try stage.app.deploy(["demo-app", "test", version, "--detach", "-l", "host01"])
      #expect(built.status == 0, "\(built.stdout)\(built.stderr)")
      runs.append(
        String(try #require(built.stdout.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/)?.output)))
      _ = try stage.app.deploy(["logs", "demo-app", "test", runs.last!, "-l", "host01", "--follow"])
    }
    // The same second for both (often so already). The API will pick the first by name; the
    // other is the one activated. (Run ids begin with their start second, so two runs started
    // in one second sort by their random part.)
    runs.sort()
    let first = try #require(stage.buildTime(1, run: runs[0]))
    let info = stage.app.buildFolder(1) + "/\(runs[1])/build_info.yml"
    let text = try #require(stage.app.read(info))
    try text.replacing(/build_time: .+/, with: "build_time: \(first)")
      .write(toFile: info, atomically: true, encoding: .utf8)
    let activated = try stage.app.deploy([
      "demo-app", "test", "--activate", runs[1], "-l", "host01",
    ])
    #expect(activated.status == ExitStatus.rolledBack.rawValue, "\(activated.stdout)")
    #expect(
      activated.stdout.contains("serves the build of run \(runs[0]), not of run \(runs[1])"),
      "\(activated.stdout)")
    #expect(
      try stage.servedBuildTime(1) == "2020/12/19 23:04:48", "the build served before is back")
  }

  /// A build API that answers 500, or nothing in time: no restart, the served build untouched,
  /// exit 8.
  @Test(arguments: ["500", "silent", "invalid"])
  func aBuildAPIErrorLeavesProductionAlone(_ fault: String) throws {
    let stage = try Stage(health: Self.greenStatus)
    defer { stage.remove() }
    TestContainers.remove(name: stage.container(1))
    let port = stage.ports[1]!
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    server.arguments = [
      "-c",
      """
      import http.server
      import time
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              if "\(fault)" == "silent": time.sleep(8)
              if "\(fault)" == "invalid":
                  self.send_response(200); self.end_headers(); self.wfile.write(b"<html>proxy</html>"); return
              self.send_response(500); self.end_headers(); self.wfile.write(b"Internal Server Error")
      http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
      """,
    ]
    try server.run()
    defer {
      kill(server.processIdentifier, SIGKILL)
      server.waitUntilExit()
    }
    try #require(TestContainers.wait(timeout: 10) { isListening(port) })
    let result = try stage.app.deploy(["demo-app", "test", "v2", "-l", "host01"])
    #expect(result.status == ExitStatus.activationFailed.rawValue, "\(result.stdout)")
    let expected = [
      "500": "build API answered HTTP 500", "silent": "update: no answer within 3s",
      "invalid": "answered /api/v1/build/update with HTTP 200 but not the explorer's JSON",
    ]
    #expect(result.stdout.contains(expected[fault]!), "\(result.stdout)")
    #expect(!result.stdout.contains("restarted"))
    #expect(
      stage.app.read(stage.app.buildFolder(1) + "/demo_database/build_info.yml")
        == "build_time: 2020/12/19 23:04:48\n")
  }
}
