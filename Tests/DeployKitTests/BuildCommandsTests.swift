import Foundation
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployConfig
@testable import DeployInventory
@testable import DeploySupport
@testable import HostScripts
@testable import HostShell

/// Runs the scripts around a build (preflight, start, listings, logs) with /bin/sh in a temporary
/// app folder, against real runners and real processes.
@Suite struct BuildCommandsTests {
  let host: HostSandbox

  init() throws {
    host = try HostSandbox()
  }

  private let runID = "20261124T130607Z-3fa9c2"

  /// A run folder as a runner leaves it, with `state` and (unless nil) `pid`, and `.lock`
  /// naming the run.
  private func leaveRun(pid: String?, state: String = "running 1795525567") throws {
    let run = host.layout.runFolder(runID)
    try host.write(run + "/run.json", "{}\n")
    try host.write(run + "/state", state + "\n")
    if let pid { try host.write(run + "/pid", pid + "\n") }
    try host.write(host.layout.buildLock, runID + "\n")
  }

  private func preflight() throws -> String {
    let result = try host.sh(BuildCommands.preflight(host.layout))
    #expect(result.status == 0, "\(result.stderr)")
    return result.stdout
  }

  // MARK: - preflight

  @Test func preflightIsClearWithoutALock() throws {
    #expect(try preflight() == "clear\n")
    try FileManager.default.createDirectory(
      atPath: host.layout.buildFolder, withIntermediateDirectories: true)
    #expect(try preflight() == "clear\n")
  }

  @Test(arguments: ["ended", "reused pid", "other boot", "empty pid", "no pid"])
  func preflightClearsALockWhoseRunnerIsGone(_ kind: String) throws {
    let pid: String?
    let bootID = (host.read("/proc/sys/kernel/random/boot_id") ?? "").trimmingCharacters(
      in: .newlines)
    switch kind {
    case "ended": pid = try host.deadIdentity()
    // pid 1 runs, but it is not the process that started at tick 1: the pid was reused.
    case "reused pid": pid = "1 999999999999 \(bootID)"
    case "other boot":
      let fields = try host.identity(of: "1").split(separator: " ")
      pid = "\(fields[0]) \(fields[1]) 00000000-0000-0000-0000-000000000000"
    case "empty pid": pid = ""
    default: pid = nil
    }
    try leaveRun(pid: pid)
    #expect(try preflight() == "stale \(runID)\n")
    #expect(!host.exists(host.layout.buildLock))
    let state = host.read(host.layout.runFolder(runID) + "/state") ?? ""
    #expect(state.wholeMatch(of: /lost \d+\n/) != nil, "\(state)")
    #expect(try preflight() == "clear\n")
  }

  @Test func preflightKeepsTheStateOfARunThatEndedOnItsOwn() throws {
    try leaveRun(pid: try host.deadIdentity(), state: "failed 1795525600 2 7")
    #expect(try preflight() == "stale \(runID)\n")
    #expect(host.read(host.layout.runFolder(runID) + "/state") == "failed 1795525600 2 7\n")
  }

  @Test func preflightSeesALiveRunner() throws {
    let sleeper = try host.startSleeper(5)
    defer { host.stop(sleeper) }
    try leaveRun(pid: try host.identity(of: sleeper))
    #expect(try preflight() == "running \(runID)\n")
    #expect(host.read(host.layout.buildLock) == runID + "\n")
    #expect(host.read(host.layout.runFolder(runID) + "/state") == "running 1795525567\n")
  }

  @Test(arguments: ["", "\n", "20261124T130607Z-ffffff", "../../etc", "a b", "$(id)", "x;y"])
  func preflightCallsOtherLocksForeign(_ content: String) throws {
    try leaveRun(pid: try host.deadIdentity())
    try host.write(host.layout.buildLock, content)
    #expect(try preflight() == "foreign\n")
    #expect(host.read(host.layout.buildLock) == content)
  }

  @Test func preflightCallsALockForeignWhenTheRunFolderHasNoMetadata() throws {
    try leaveRun(pid: try host.deadIdentity())
    try FileManager.default.removeItem(atPath: host.layout.runFolder(runID) + "/run.json")
    #expect(try preflight() == "foreign\n")
    #expect(host.exists(host.layout.buildLock))
  }

  // MARK: - listings

  @Test func listRunsDescribesWhatTheRunnerLeft() throws {
    let steps = [
      BuildStep(name: "fetch 'data'", command: "true"),
      BuildStep(name: "compile", command: "exit 5"),
      BuildStep(name: "publish", command: "true"),
    ]
    let plan = host.plan(runID: runID, steps: steps).plan
    let before = Timestamp.now
    #expect(try host.runRunner(plan) == 5)

    let output = try host.sh(RunRecord.listing(host.layout).script)
    #expect(output.status == 0, "\(output.stderr)")
    let runs = RunRecord.parse(output.stdout)
    try #require(runs.count == 1)
    let run = runs[0]
    #expect(run.runID == runID)
    #expect(run.attempt == 1)
    #expect(run.state == .failed)
    #expect(run.failedStep == 2 && run.exitCode == 5)
    #expect(run.endedAt.map { $0 >= before } == true)
    #expect(!run.runnerAlive)
    #expect(run.metadata == host.metadata(for: plan))
    #expect(run.steps.map(\.name) == ["fetch 'data'", "compile", "publish"])
    #expect(run.steps.map(\.index) == [1, 2, 3])
    #expect(run.steps.map(\.exitCode) == [0, 5, nil])
    #expect(run.steps.map(\.done) == [true, false, false])
    #expect(run.steps.map { $0.startedAt != nil } == [true, true, false])
    #expect(run.steps.map { $0.endedAt != nil } == [true, true, false])
    #expect(run.firstIncompleteStep == 2)

    // One run by id, and an unknown id.
    let one = try host.sh(RunRecord.listing(host.layout, runID: runID).script).stdout
    #expect(RunRecord.parse(one) == runs)
    let none = try host.sh(RunRecord.listing(host.layout, runID: "20261124T130607Z-000000").script)
    #expect(none.status == 0 && none.stdout.isEmpty)
  }

  @Test func listRunsPutsTheNewestFirstAndSkipsFoldersThatAreNotRuns() throws {
    let older = host.plan(
      runID: "20261124T130607Z-000001", steps: [BuildStep(name: "a", command: "true")]
    )
    .plan
    let newer = host.plan(
      runID: "20261125T080000Z-000002", steps: [BuildStep(name: "b", command: "true")]
    )
    .plan
    // The newer first on disk, so the order comes from parse.
    #expect(try host.runRunner(newer) == 0)
    #expect(try host.runRunner(older) == 0)
    try FileManager.default.createDirectory(
      atPath: host.layout.runsFolder + "/not a run", withIntermediateDirectories: true)
    let runs = RunRecord.parse(try host.sh(RunRecord.listing(host.layout).script).stdout)
    #expect(runs.map(\.runID) == [newer.runID, older.runID])
    #expect(runs.map(\.state) == [.succeeded, .succeeded])
    #expect(runs.allSatisfy { $0.firstIncompleteStep == nil })
  }

  /// The race probing found (4 of 15 deploys): the runner writes `succeeded` and exits between
  /// the listing's two looks. Here a `cat` placed first on PATH ends the runner the instant the
  /// listing has read `state`. Whatever the order of events, a run that succeeded must never
  /// read as lost: the listing looks at the runner before it reads the state.
  @Test func aRunnerThatEndsWhileBeingListedIsNeverReportedLost() throws {
    let sleeper = try host.startSleeper(30)
    defer { host.stop(sleeper) }
    try leaveRun(pid: try host.identity(of: sleeper))
    let state = host.layout.runFolder(runID) + "/state"
    let bin = host.base + "/bin"
    try host.write(
      bin + "/cat",
      """
      #!/bin/sh
      /bin/cat "$@"; rc=$?
      case "$1" in */state)
        printf 'succeeded 1795525600\\n' > "$1.tmp" && mv -f "$1.tmp" "$1"
        kill \(sleeper); while kill -0 \(sleeper) 2>/dev/null; do sleep 0.01; done ;;
      esac
      exit $rc
      """)
    try host.sh("chmod +x '\(bin)/cat'")
    let listing = try host.sh("PATH='\(bin)':$PATH\n" + RunRecord.listing(host.layout).script)
    #expect(listing.status == 0, "\(listing.stderr)")
    #expect(host.read(state) == "succeeded 1795525600\n", "the runner ended during the listing")
    let run = try #require(RunRecord.parse(listing.stdout).first)
    #expect(run.state != .lost, "\(listing.stdout)")
    // The next look sees the end.
    let after = RunRecord.parse(try host.sh(RunRecord.listing(host.layout).script).stdout)
    #expect(after.first?.state == .succeeded)
  }

  @Test func listRunsWithoutRunsFolderSaysNothing() throws {
    let result = try host.sh(RunRecord.listing(host.layout).script)
    #expect(result.status == 0 && result.stdout.isEmpty)
    #expect(RunRecord.parse(result.stdout).isEmpty)
  }

  @Test func listBuildsReadsTheBuildFolder() throws {
    let version = "v2 'quoted' \"and\" ü"
    let plan = host.plan(
      runID: runID, steps: [BuildStep(name: "a", command: "true")], version: version,
      workflow: "nightly 'wf'"
    ).plan
    #expect(try host.runRunner(plan) == 0)
    // A build ECHR-OD's own tooling wrote, a folder that is not a build, and a foreign lock.
    try host.write(
      host.layout.buildFolder + "/legacy build/build_info.yml",
      "build_time: 2020/01/02 03:04:05\nversion: \"v0\"\nnote: 'it''s ''old'''\nplain: x\n")
    try host.write(host.layout.buildFolder + "/scratch/readme", "no build here\n")
    try host.write(host.layout.buildLock, "")

    let output = try host.sh(BuildFolderListing.listing(host.layout).script)
    #expect(output.status == 0, "\(output.stderr)")
    let listing = BuildFolderListing.parse(output.stdout)
    #expect(listing.lock == "")
    try #require(listing.history.count == 1)
    #expect(listing.history[0].workflow == "nightly 'wf'")
    #expect(listing.history[0].date.wholeMatch(of: /\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}/) != nil)
    #expect(Set(listing.builds.map(\.folder)) == ["legacy build", runID])
    let ours = try #require(listing.builds.first { $0.folder == runID })
    #expect(ours.info["version"] == version)
    #expect(ours.info["commit"] == HostSandbox.commit)
    #expect(ours.info["run_id"] == runID)
    #expect(ours.info["workflow"] == "nightly 'wf'")
    #expect(ours.buildTime == listing.history[0].date)
    let legacy = try #require(listing.builds.first { $0.folder == "legacy build" })
    #expect(
      legacy.info == [
        "build_time": "2020/01/02 03:04:05", "version": "v0", "note": "it's 'old'", "plain": "x",
      ])

    try FileManager.default.removeItem(atPath: host.layout.buildLock)
    let unlocked = BuildFolderListing.parse(
      try host.sh(BuildFolderListing.listing(host.layout).script).stdout)
    #expect(unlocked.lock == nil)
  }

  @Test func listBuildsWithoutBuildFolderSaysNothing() throws {
    let result = try host.sh(BuildFolderListing.listing(host.layout).script)
    #expect(result.status == 0 && result.stdout.isEmpty)
    #expect(BuildFolderListing.parse(result.stdout).builds.isEmpty)
  }

  // MARK: - tmux session names

  @Test func tmuxSessionNamesAreSafeAndDistinct() {
    let one = BuildCommands.tmuxSession(
      app: "my.app:x y", runID: runID, attempt: 1, runFolder: "/srv/a/.deploy/runs/\(runID)")
    let other = BuildCommands.tmuxSession(
      app: "my.app:x y", runID: runID, attempt: 1, runFolder: "/srv/b/.deploy/runs/\(runID)")
    let resumed = BuildCommands.tmuxSession(
      app: "my.app:x y", runID: runID, attempt: 2, runFolder: "/srv/a/.deploy/runs/\(runID)")
    for name in [one, other, resumed] {
      #expect(!name.contains(".") && !name.contains(":") && !name.contains(" "), "\(name)")
      #expect(name.hasPrefix("deploy-my_app_x_y-\(runID)-"))
      #expect(name.wholeMatch(of: /.*-[0-9a-f]{8}/) != nil, "\(name)")
    }
    #expect(one != other)
    #expect(resumed.contains("-a2-"))
    #expect(Set([one, other, resumed]).count == 3)
    // Stable: the same folder always gives the same name.
    #expect(
      one
        == BuildCommands.tmuxSession(
          app: "my.app:x y", runID: runID, attempt: 1, runFolder: "/srv/a/.deploy/runs/\(runID)"))
  }

  // MARK: - start, logs

  private func sleepyPlan(_ seconds: Double = 3) -> BuildPlan {
    host.plan(
      runID: runID,
      steps: [
        BuildStep(name: "wait", command: "echo waiting; sleep \(String(seconds)); echo woke"),
        BuildStep(name: "after", command: "echo after"),
      ]
    ).plan
  }

  @Test func startWithSetsidDetachesTheRunner() throws {
    let plan = sleepyPlan()
    try host.prepare(plan)
    let started = MonotonicClock.now
    let result = try host.sh(
      BuildCommands.start(
        runFolder: plan.runFolder, app: plan.app, runID: runID, attempt: 1, method: .setsid),
      timeout: 15)
    #expect(MonotonicClock.now - started < 3, "start returns once the runner wrote its pid")
    #expect(result.status == 0, "\(result.stderr)")
    let pid = try #require(host.read(plan.runFolder + "/pid")?.trimmingCharacters(in: .newlines))
    defer { host.signalGroup(pid.split(separator: " ")[0], SIGKILL) }
    #expect(result.lines == ["runner setsid", "pid \(pid)"])

    // Still running after `start` returned, in a session of its own.
    let runs = RunRecord.parse(try host.sh(RunRecord.listing(host.layout).script).stdout)
    #expect(runs.first?.runnerAlive == true)
    #expect(runs.first?.state == .running)
    let runner = String(pid.split(separator: " ")[0])
    let session = try host.sh("ps -o sid= -p \(runner)").stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(session == runner)

    #expect(eventually(within: 8) { host.state(plan).first == "succeeded" })
    let done = RunRecord.parse(try host.sh(RunRecord.listing(host.layout).script).stdout)
    #expect(done.first?.state == .succeeded)
    #expect(
      try eventually(within: 2) {
        try host.sh(HostProcess.functions + "\nis_alive '\(pid)'").status != 0
      })
    #expect(host.exists(plan.buildOutput + "/build_info.yml"))
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
  func startWithTmuxDetachesTheRunnerInASession() throws {
    let plan = sleepyPlan()
    try host.prepare(plan)
    // A tmux server of the test's own, not the machine's `deploy` one.
    var environment = ProcessInfo.processInfo.environment
    environment["TMUX_TMPDIR"] = host.base
    environment["TMUX"] = nil
    func tmux(_ script: ShellScript) throws -> (status: Int32, stdout: String) {
      var out: [UInt8] = []
      let exit = try ChildProcess.run(
        ["/bin/sh", "-c", script.text], environment: environment, timeout: 15
      ) { stream, bytes in if stream == .stdout { out += bytes } }
      return (exit.status, String(decoding: out, as: UTF8.self))
    }
    defer { _ = try? tmux("tmux -L \(BuildCommands.tmuxSocket) kill-server 2>/dev/null") }
    let session = BuildCommands.tmuxSession(
      app: plan.app, runID: runID, attempt: 1, runFolder: plan.runFolder)
    let result = try tmux(
      BuildCommands.start(
        runFolder: plan.runFolder, app: plan.app, runID: runID, attempt: 1, method: .auto))
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.first == "runner tmux \(session)"[...])
    #expect(lines.count == 2 && lines[1].hasPrefix("pid "))
    #expect(try tmux("tmux -L deploy has-session -t \(ShellQuote.word(session))").status == 0)
    #expect(
      RunRecord.parse(try host.sh(RunRecord.listing(host.layout).script).stdout).first?.state
        == .running)
    #expect(eventually(within: 8) { host.state(plan).first == "succeeded" })
    // The pane's `tail --pid` ends with the runner, and the session with it.
    #expect(
      try eventually(within: 5) {
        try tmux("tmux -L deploy has-session -t \(ShellQuote.word(session)) 2>/dev/null").status
          != 0
      })
  }

  @Test func showLogFollowsARunningRunnerToItsEnd() throws {
    let plan = sleepyPlan()
    try host.prepare(plan)
    let result = try host.sh(
      BuildCommands.start(
        runFolder: plan.runFolder, app: plan.app, runID: runID, attempt: 1, method: .setsid))
    #expect(result.status == 0, "\(result.stderr)")
    let pid = try #require(host.read(plan.runFolder + "/pid")?.split(separator: " ").first)
    defer { host.signalGroup(pid, SIGKILL) }
    #expect(host.state(plan).first != "succeeded")

    let log = try host.sh(
      BuildCommands.showLog(host.layout, runID: runID, follow: true), timeout: 10)
    #expect(log.status == 0)
    // It returned because the runner ended, not before.
    #expect(host.state(plan).first == "succeeded")
    #expect(log.stdout == host.read(plan.runFolder + "/log"))
    for expected in ["step 1/2 wait", "waiting", "woke", "after", "build succeeded"] {
      #expect(log.stdout.contains(expected), "\(expected)")
    }

    // After the end, following just prints the log; so does not following.
    let again = try host.sh(BuildCommands.showLog(host.layout, runID: runID, follow: true))
    #expect(again.stdout == log.stdout)
    let plain = try host.sh(BuildCommands.showLog(host.layout, runID: runID, follow: false))
    #expect(plain.stdout == log.stdout)
  }

  @Test func prepareWritesTheRunnerAndMetadata() throws {
    let plan = sleepyPlan()
    try host.prepare(plan)
    #expect(host.read(plan.runFolder + "/runner.sh") == RunnerScript.render(plan).text)
    #expect(!host.exists(plan.runFolder + "/runner.sh.tmp"))
    let json = try #require(host.read(plan.runFolder + "/run.json"))
    #expect(json.hasSuffix("\n") && json.split(separator: "\n").count == 1)
    #expect(RunMetadata(jsonLine: json) == host.metadata(for: plan))
    var directory: ObjCBool = false
    #expect(
      FileManager.default.fileExists(atPath: plan.runFolder + "/steps", isDirectory: &directory)
        && directory.boolValue)
  }
}
