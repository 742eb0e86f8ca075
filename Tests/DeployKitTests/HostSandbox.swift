import Foundation
import HostShell
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployConfig
@testable import DeployInventory
@testable import DeployLedger
@testable import DeployPipeline
@testable import DeploySSH
@testable import DeploySupport
@testable import HostScripts

/// An app's folder on a "host" that is a temporary directory on this machine: the scripts built
/// for a host over SSH run here with /bin/sh, exactly as `sh -c` on the host would run them. The
/// paths have spaces, quotes and a `$` in them, so that anything left unquoted breaks.
struct HostSandbox {
  let base: String
  let layout: HostLayout

  init() throws {
    base = try TemporaryDirectory.make()
    let root = base + "/app's \"root\" $HOME"
    layout = HostLayout(
      root: root, checkout: root + "/check out", buildFolder: root + "/build folder")
    try FileManager.default.createDirectory(
      atPath: layout.checkout, withIntermediateDirectories: true)
  }

  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
  }

  /// Runs a script the way `RemoteCommand` has a host run it: `sh -c SCRIPT`.
  @discardableResult
  func sh(_ script: ShellScript, stdin: String = "", timeout: Double = 20) throws -> Output {
    let result = try ChildProcess.capture(
      ["/bin/sh", "-c", script.text], stdin: Array(stdin.utf8), timeout: timeout)
    return Output(status: result.exit.status, stdout: result.stdout, stderr: result.stderr)
  }

  /// A test's own shell, written here to set the scene.
  @discardableResult
  func sh(_ script: String, stdin: String = "", timeout: Double = 20) throws -> Output {
    try sh(ShellScript(authored: script), stdin: stdin, timeout: timeout)
  }

  func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
  }

  func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  func write(_ path: String, _ text: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  /// `proc_identity PID` as the host functions write it (`PID START BOOT`).
  func identity(of pid: String) throws -> String {
    try sh(HostProcess.functions + "\nproc_identity \(pid)").stdout
      .trimmingCharacters(in: .newlines)
  }

  /// The identity of a process that has already ended.
  func deadIdentity() throws -> String {
    try sh(HostProcess.functions + "\nproc_identity $$").stdout.trimmingCharacters(in: .newlines)
  }

  /// Starts `sleep SECONDS` in the background; returns its pid. Stop it with `stop(pid)`.
  func startSleeper(_ seconds: Int) throws -> String {
    try sh("sleep \(seconds) </dev/null >/dev/null 2>&1 & echo $!").stdout
      .trimmingCharacters(in: .newlines)
  }

  func stop(_ pid: String) {
    _ = try? sh("kill \(pid) 2>/dev/null")
  }

  /// Sends `signal` to the process group `pid` leads (a runner started with setsid). dash's
  /// `kill` builtin takes no `--`, so this is done from here.
  @discardableResult
  func signalGroup(_ pid: some StringProtocol, _ signal: Int32) -> Bool {
    guard let number = Int32(pid), number > 1 else { return false }
    return kill(-number, signal) == 0
  }
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
  let deadline = MonotonicClock.now + seconds
  while true {
    if try condition() { return true }
    if MonotonicClock.now >= deadline { return false }
    Thread.sleep(forTimeInterval: 0.05)
  }
}

/// Build plans whose runner runs in the sandbox.
extension HostSandbox {
  static let commit = "0123456789abcdef0123456789abcdef01234567"

  /// The `started` journal entry the controller would write for a run, and the plan built from
  /// it (journal templates included) as `GitDeployment` builds it.
  func plan(
    runID: String, attempt: Int = 1, steps: [BuildStep], version: String = "v1.2.3",
    workflow: String = "steps", environment: [(name: String, value: String)] = [],
    timeout: Double? = nil
  ) -> (plan: BuildPlan, started: JournalEntry) {
    let started = JournalEntry(
      event: .started, runID: runID, attempt: attempt, host: "web1", app: "demo-app",
      stage: "production", kind: "git", version: version, commit: Self.commit, user: "alice",
      origin: "laptop.example.com", workflow: workflow, startedAt: Timestamp.now)
    let plan = BuildPlan(
      runID: runID, attempt: attempt, app: "demo-app", stage: "production", version: version,
      commit: Self.commit, workflow: workflow, steps: steps, layout: layout,
      environment: environment, timeout: timeout,
      journal: JournalTemplates.lines(for: started, steps: steps))
    return (plan, started)
  }

  func metadata(for plan: BuildPlan) -> RunMetadata {
    var metadata = RunMetadata()
    metadata.app = plan.app
    metadata.stage = plan.stage
    metadata.version = plan.version
    metadata.commit = plan.commit
    metadata.workflow = plan.workflow
    metadata.user = "alice"
    metadata.origin = "laptop.example.com"
    metadata.started = 1_795_525_567
    metadata.steps = plan.steps.map(\.name)
    return metadata
  }

  /// Writes the run folder as `GitDeployment` does: `BuildCommands.prepare` with the runner on
  /// its stdin.
  func prepare(_ plan: BuildPlan) throws {
    let result = try sh(
      BuildCommands.prepare(runFolder: plan.runFolder, metadata: metadata(for: plan).json),
      stdin: RunnerScript.render(plan).text)
    #expect(result.status == 0, "prepare: \(result.stderr)")
  }

  /// Prepares the run folder and starts the runner detached with setsid, as a deploy does;
  /// returns the runner's pid (it leads its process group).
  func startDetached(_ plan: BuildPlan) throws -> Substring {
    try prepare(plan)
    let start = try sh(
      BuildCommands.start(
        runFolder: plan.runFolder, app: plan.app, runID: plan.runID, attempt: 1, method: .setsid))
    #expect(start.status == 0, "\(start.stderr)")
    return try #require(read(plan.runFolder + "/pid")?.split(separator: " ").first)
  }

  /// Prepares the run folder and runs the runner in the foreground; returns its exit status.
  @discardableResult
  func runRunner(_ plan: BuildPlan) throws -> Int32 {
    try prepare(plan)
    let result = try ChildProcess.capture(["/bin/sh", plan.runFolder + "/runner.sh"], timeout: 20)
    #expect(!result.exit.timedOut)
    #expect(result.stdout.isEmpty && result.stderr.isEmpty, "the runner writes only to its log")
    return result.exit.status
  }

  func journal() -> (entries: [JournalEntry], skippedLines: [Int]) {
    Journal.parse(read(layout.journal) ?? "")
  }

  /// The run's `state` file split into its fields.
  func state(_ plan: BuildPlan) -> [String] {
    (read(plan.runFolder + "/state") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
      .map(String.init)
  }
}
