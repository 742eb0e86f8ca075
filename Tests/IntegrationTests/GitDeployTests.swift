import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeployLedger
@testable import DeploySSH
@testable import DeploySupport

extension Integration {
  /// Issue 4's acceptance, end to end: the real binary, real sshd, git and tmux on loopback.
  @Suite(.serialized)
  struct GitDeployTests {
    static let plainSteps = """
            steps:
              - name: build
                run: ./build.sh
      """

    /// 1. v1 clones and builds, v2 fetches and builds; both in ECHR-OD's formats. 6. history.
    @Test func deployV1ThenV2WritesBuildHistoryAndBuildInfoAndIsInTheHistory() throws {
      let app = try GitAppFixture(steps: Self.plainSteps)
      defer { app.remove() }
      let first = try app.deploy(["demo-app", "test", "v1"])
      #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
      #expect(first.stdout.contains("host01 | step 1/1 build: ok"))
      #expect(first.stdout.contains("2 hosts: 2 succeeded"))
      let firstRun = try #require(findRunID(in: first.stdout))
      for host in [1, 2] {
        let folder = app.buildFolder(host)
        let history = try #require(app.read(folder + "/.build_history"))
        #expect(
          history.wholeMatch(of: /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d::steps\n/) != nil, "\(history)")
        let info = try #require(app.read(folder + "/\(firstRun)/build_info.yml"))
        #expect(
          info.firstMatch(
            of: /^build_time: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/.anchorsMatchLineEndings()) != nil)
        #expect(info.contains("version: 'v1'"))
        #expect(info.contains("run_id: '\(firstRun)'"))
        #expect(app.read(folder + "/\(firstRun)/data.txt") == "v1\n")
        #expect(!app.exists(folder + "/.lock"))
      }
      #expect(!app.exists(app.buildFolder(3)), "prod was not touched")

      Thread.sleep(forTimeInterval: 1)  // history orders by start second
      let second = try app.deploy(["demo-app", "test", "v2"])
      #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
      let secondRun = try #require(findRunID(in: second.stdout))
      let history = try #require(app.read(app.buildFolder(1) + "/.build_history"))
      #expect(history.split(separator: "\n").count == 2)
      #expect(app.read(app.buildFolder(1) + "/\(secondRun)/data.txt") == "v2\n")
      let commit = try sh("git -C \(app.repository) rev-parse v2^{commit}").trimmingCharacters(
        in: .whitespacesAndNewlines)
      #expect(
        app.read(app.buildFolder(2) + "/\(secondRun)/build_info.yml")?.contains(
          "commit: '\(commit)'") == true)

      // The journal on each host and the ledger have both runs.
      let journal = try #require(app.read(app.root(1) + "/.deploy/journal.jsonl"))
      #expect(Journal.parse(journal).entries.count == 4)
      let history1 = try app.deploy(["history", "--json"])
      #expect(history1.status == 0, "\(history1.stderr)")
      let runs = try #require(
        try JSONSerialization.jsonObject(with: Data(history1.stdout.utf8)) as? [[String: Any]])
      #expect(runs.map { $0["run"] as? String } == [secondRun, firstRun])
      #expect(runs.allSatisfy { $0["outcome"] as? String == "succeeded" })

      let builds = try app.deploy(["builds", "demo-app", "test"])
      #expect(builds.status == 0)
      #expect(builds.stdout.contains("\(secondRun)  succeeded"))
      #expect(builds.stdout.contains("latest"))
    }

    /// 2. The controller is killed right after the start: the build finishes anyway, a later
    /// `logs --follow` shows the whole log and its end, `builds` shows it succeeded, and the
    /// lock the killed run left is shown as left over, with its age, until `unlock --force`.
    @Test func aBuildSurvivesItsControllerBeingKilled() throws {
      let app = try GitAppFixture(
        steps: """
                steps:
                  - name: slow
                    run: echo started slow; sleep 3; echo slept
                  - name: build
                    run: ./build.sh
          """)
      defer { app.remove() }
      let controller = try app.start(["demo-app", "test", "-l", "host01"])
      let runs = app.root(1) + "/.deploy/runs"
      try app.waitFor("the runner to start") {
        ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).contains {
          app.exists(runs + "/\($0)/pid")
        }
      }
      controller.signal(SIGKILL)
      #expect(try controller.wait() == 128 + SIGKILL)
      let runID = try #require(try FileManager.default.contentsOfDirectory(atPath: runs).first)

      let logs = try app.deploy(["logs", "demo-app", "test", "-l", "host01", "--follow"])
      #expect(logs.status == 0, "\(logs.stderr)")
      #expect(logs.stdout.contains("started slow"))
      #expect(logs.stdout.contains("slept"))
      #expect(logs.stdout.contains("building v1"))
      #expect(logs.stdout.contains("build succeeded"))
      #expect(logs.stderr.contains("run \(runID) succeeded"))

      let builds = try app.deploy(["builds", "demo-app", "test", "-l", "host01"])
      #expect(builds.stdout.contains("\(runID)  succeeded"), "\(builds.stdout)")
      #expect(builds.stdout.contains("the run that took it is gone"), "\(builds.stdout)")
      #expect(builds.stdout.contains(" ago)"))

      let blocked = try app.deploy(["demo-app", "test", "-l", "host01"])
      #expect(blocked.status == ExitStatus.lockHeld.rawValue)
      #expect(
        blocked.stderr.contains("deploy unlock demo-app test --force")
          || blocked.stdout.contains("deploy unlock demo-app test --force"))
      let unlock = try app.deploy(["unlock", "demo-app", "test", "--force"])
      #expect(unlock.status == 0, "\(unlock.stderr)")
      #expect(unlock.stdout.contains("host01: removed the lock"))
      #expect(!app.exists(app.root(1) + "/.deploy/lock"))
    }

    /// 3. Step 3 of 5 fails: nothing published, served build untouched, `.lock` gone, exit 1,
    /// the log names the step. After the fix, `--resume` runs steps 3–5 only.
    @Test func aFailedStepPublishesNothingAndResumeRunsOnlyTheRest() throws {
      let count = { (n: Int) in "echo ran >> \"$DEPLOY_BUILD_FOLDER/../ran-\(n)\"" }
      let app = try GitAppFixture(
        steps: """
                steps:
                  - name: one
                    run: \(count(1))
                  - name: two
                    run: \(count(2))
                  - name: three
                    run: test -f "$DEPLOY_BUILD_FOLDER/../fixed" && \(count(3))
                  - name: four
                    run: \(count(4))
                  - name: five
                    run: \(count(5))
          """)
      defer { app.remove() }
      // A build already served, as the explorer would serve it.
      for host in [1, 2] {
        try sh(
          "mkdir -p \(app.buildFolder(host))/demo_database && echo 'build_time: 2020/12/19 23:04:48'"
            + " > \(app.buildFolder(host))/demo_database/build_info.yml")
      }
      let failed = try app.deploy(["demo-app", "test"])
      #expect(failed.status == ExitStatus.hostsFailed.rawValue, "\(failed.stdout)\(failed.stderr)")
      #expect(failed.stdout.contains("step 3/5 three: failed (exit 1)"))
      #expect(failed.stdout.contains("build failed at step 3/5 'three' with exit code 1"))
      let runID = try #require(findRunID(in: failed.stdout))
      for host in [1, 2] {
        let folder = app.buildFolder(host)
        #expect(!app.exists(folder + "/.build_history"))
        #expect(!app.exists(folder + "/.lock"))
        #expect(!app.exists(folder + "/\(runID)/build_info.yml"))
        #expect(
          app.read(folder + "/demo_database/build_info.yml") == "build_time: 2020/12/19 23:04:48\n")
        #expect(app.read(app.root(host) + "/ran-1") == "ran\n")
        #expect(!app.exists(app.root(host) + "/ran-4"))
      }
      let log = try app.deploy(["logs", "demo-app", "test", runID, "-l", "host01"])
      #expect(log.status == ExitStatus.hostsFailed.rawValue)
      #expect(log.stdout.contains("step 3/5 three failed with exit code 1"))

      for host in [1, 2] { try sh("touch \(app.root(host))/fixed") }
      let resumed = try app.deploy(["demo-app", "test", "--resume"])
      #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
      #expect(resumed.stdout.contains("run \(runID) attempt 2"))
      for host in [1, 2] {
        for step in [1, 2] { #expect(app.read(app.root(host) + "/ran-\(step)") == "ran\n") }
        for step in [3, 4, 5] { #expect(app.read(app.root(host) + "/ran-\(step)") == "ran\n") }
        #expect(
          app.read(app.buildFolder(host) + "/\(runID)/build_info.yml")?.contains("build_time: ")
            == true)
        #expect(
          app.read(app.buildFolder(host) + "/.build_history")?.split(separator: "\n").count == 1)
      }
      let resumedLog = try app.deploy(["logs", "demo-app", "test", runID, "-l", "host02"])
      #expect(resumedLog.stdout.contains("step 1/5 one: done in an earlier attempt, skipped"))
      #expect(resumedLog.stdout.contains("step 2/5 two: done in an earlier attempt, skipped"))

      // Nothing left to resume.
      let again = try app.deploy(["demo-app", "test", "--resume"])
      #expect(again.status == ExitStatus.hostsFailed.rawValue)
      #expect(again.stdout.contains("succeeded: nothing to resume"))

      // history: the failed attempt and the resumed one, from the ledger and from the journals.
      let history = try app.deploy(["history", "--json"])
      let runs = try #require(
        try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
      #expect(runs.count == 1)
      #expect(runs.first?["outcome"] as? String == "succeeded")
      #expect(runs.first?["attempt"] as? Int == 2)
      try FileManager.default.removeItem(atPath: app.ledger)
      let fresh = try app.deploy(["history", "--json"])
      #expect(fresh.stdout == history.stdout)
    }

    /// 4. A second deploy names the holder and fails with the lock code, or waits with
    /// --lock-wait; a SIGINT to the first releases its lock.
    @Test func concurrentDeploysAndInterrupts() throws {
      let app = try GitAppFixture(
        steps: """
                steps:
                  - name: slow
                    run: sleep 3
          """)
      defer { app.remove() }
      let lock = app.root(1) + "/.deploy/lock"
      let first = try app.start(["demo-app", "test"])
      try app.waitFor("the first deploy's lock") { app.exists(lock + "/owner.json") }
      Thread.sleep(forTimeInterval: 1)  // history orders by start second
      let second = try app.deploy(["demo-app", "test", "v2"])
      #expect(second.status == ExitStatus.lockHeld.rawValue, "\(second.stdout)\(second.stderr)")
      #expect(second.stdout.contains("locked by "), "\(second.stdout)")
      #expect(second.stdout.contains("deploying demo-app test v1"))
      #expect(second.stdout.contains("its SSH session is still open"))
      let waiting = try app.deploy(["demo-app", "test", "v2", "--lock-wait", "60s"])
      #expect(waiting.status == 0, "\(waiting.stdout)\(waiting.stderr)")
      #expect(waiting.stdout.contains("waiting for the deploy lock"))
      #expect(try first.wait() == 0, "\(first.stderr)")

      let interrupted = try app.start(["demo-app", "test"])
      try app.waitFor("the lock") { app.exists(lock + "/owner.json") }
      interrupted.signal(SIGINT)
      let status = try interrupted.wait()
      #expect(status == 128 + SIGINT, "exit \(status): \(interrupted.stdout)\(interrupted.stderr)")
      #expect(interrupted.stderr.contains("interrupted: released the deploy lock on"))
      #expect(!app.exists(lock))
      #expect(!app.exists(app.root(2) + "/.deploy/lock"))
    }

    /// 5. Hostile versions are refused before anything runs anywhere.
    @Test func hostileVersionsRunNothing() throws {
      let app = try GitAppFixture(steps: Self.plainSteps)
      defer { app.remove() }
      let marker = app.directory + "/pwned"
      for version in [
        "v1; touch \(marker)", "--upload-pack=touch \(marker)", "$(touch \(marker))",
        "v1\ntouch \(marker)",
      ] {
        let result = try app.deploy(["demo-app", "test", "--", version])
        #expect(result.status == ExitStatus.usage.rawValue, "\(version): \(result.stderr)")
        #expect(result.stderr.contains("refusing git ref"), "\(result.stderr)")
      }
      #expect(!app.exists(marker))
      #expect(!app.exists(app.root(1)), "no host was contacted")
    }

    /// The setsid runner works where tmux is not wanted, and the tmux runner is really tmux.
    @Test(arguments: ["setsid", "tmux"])
    func bothRunnersDetach(_ runner: String) throws {
      let app = try GitAppFixture(steps: Self.plainSteps)
      defer { app.remove() }
      let result = try app.deploy([
        "demo-app", "test", "-l", "host01", "--runner", runner, "--detach",
      ])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("detached (\(runner)"), "\(result.stdout)")
      #expect(result.stdout.contains("1 host: 1 started"))
      let logs = try app.deploy(["logs", "demo-app", "test", "-l", "host01", "--follow"])
      #expect(logs.status == 0)
      #expect(logs.stdout.contains("build succeeded"))
    }

    /// The whole flow over the OpenSSH transport too (ControlMaster, `sh -c` inside the
    /// wrapper), including a failed step's exit code and the lock being given back.
    @Test func aDeployWorksOverTheOpenSSHTransport() throws {
      let app = try GitAppFixture(
        steps: """
                steps:
                  - name: build
                    run: ./build.sh
                  - name: check
                    run: test "$DEPLOY_VERSION" = v1 || exit 7
          """)
      defer { app.remove() }
      let ok = try app.deploy(["demo-app", "test", "v1", "--transport", "openssh"])
      #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
      #expect(app.read(app.buildFolder(2) + "/.build_history")?.hasSuffix("::steps\n") == true)
      let failed = try app.deploy(["demo-app", "test", "v2", "--transport", "openssh"])
      #expect(failed.status == ExitStatus.hostsFailed.rawValue)
      #expect(failed.stdout.contains("step 2/2 check: failed (exit 7)"), "\(failed.stdout)")
      #expect(!app.exists(app.root(1) + "/.deploy/lock"))
    }

    private func findRunID(in output: String) -> String? {
      output.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/).map { String($0.output) }
    }
  }
}
