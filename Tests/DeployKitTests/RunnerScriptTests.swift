import Foundation
import Testing
import Yams

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployConfig
@testable import DeployInventory
@testable import DeploySupport
@testable import HostScripts
@testable import HostShell

/// Runs the rendered build runner with /bin/sh in a temporary app folder (in the foreground, not
/// detached) and checks what it leaves: the run folder, ECHR-OD's build folder, the journal.
@Suite struct RunnerScriptTests {
  let host: HostSandbox

  init() throws {
    host = try HostSandbox()
  }

  private var trace: String { host.layout.checkout + "/trace" }

  /// A step that appends `LABEL PWD` to `trace` (relative: it lands where the step runs).
  private func tracing(_ name: String, _ label: String, then more: String = "") -> BuildStep {
    BuildStep(
      name: name,
      command: "printf '%s %s\\n' \(label) \"$PWD\" >> trace" + ShellScript(authored: more))
  }

  private func traceLines() -> [String] {
    (host.read(trace) ?? "").split(separator: "\n").map(String.init)
  }

  private func expectNothingRan() throws {
    // Only the app folder is in the sandbox: no X, Y, … from values that should have stayed
    // words.
    let entries = try FileManager.default.contentsOfDirectory(atPath: host.base)
    #expect(entries == [(host.layout.root as NSString).lastPathComponent])
  }

  @Test func aSuccessfulRunRunsEveryStepAndPublishesTheBuild() throws {
    let base = host.base
    let version = "v1'; touch \(base)/X; echo \"$(touch \(base)/Y)\" `touch \(base)/Z` ünï"
    let workflow = "echr 'wf' $(touch \(base)/W)"
    let runID = "20261124T130607Z-3fa9c2"
    let steps = [
      tracing(
        "prepare 'it' \"now\"", "1",
        then: "; printf '%s\\n' \"$DEPLOY_RUN_ID\" \"$DEPLOY_APP\" \"$DEPLOY_STAGE\""
          + " \"$DEPLOY_VERSION\" \"$DEPLOY_COMMIT\" \"$DEPLOY_CHECKOUT\" \"$DEPLOY_BUILD_FOLDER\""
          + " \"$DEPLOY_BUILD_DIR\" \"$GREETING\" \"[$EMPTY_ONE]\" > vars"),
      tracing("$(touch \(base)/N1); `touch \(base)/N2`", "2"),
      tracing("ünïcødé ✓", "3", then: "; echo built > \"$DEPLOY_BUILD_DIR/artifact\""),
    ]
    let greeting = "hello 'world' \"there\" $HOME `id` ; end"
    let (plan, started) = host.plan(
      runID: runID, steps: steps, version: version, workflow: workflow,
      environment: [("GREETING", greeting), ("EMPTY_ONE", "")])
    let before = Timestamp.now
    #expect(try host.runRunner(plan) == 0)
    let after = Timestamp.now

    // Steps ran in order, in the checkout, with the run's variables.
    let checkout = host.layout.checkout
    #expect(traceLines() == ["1 \(checkout)", "2 \(checkout)", "3 \(checkout)"])
    let vars = (host.read(checkout + "/vars") ?? "").split(
      separator: "\n", omittingEmptySubsequences: false
    ).map(String.init)
    #expect(
      vars == [
        runID, "demo-app", "production", version, HostSandbox.commit, checkout,
        host.layout.buildFolder, host.layout.buildOutput(runID), greeting, "[]", "",
      ])
    #expect(host.read(plan.buildOutput + "/artifact") == "built\n")

    // The run folder.
    let state = host.state(plan)
    #expect(state.count == 2 && state.first == "succeeded", "\(state)")
    let ended = try #require(state.count > 1 ? Int(state[1]) : nil)
    #expect(ended >= before && ended <= after)
    #expect(host.read(plan.runFolder + "/attempt") == "1\n")
    #expect(host.read(plan.runFolder + "/steps/1.done") == steps[0].name + "\n")
    #expect(host.read(plan.runFolder + "/steps/2.done") == steps[1].name + "\n")
    #expect(host.read(plan.runFolder + "/steps/3.end")?.hasPrefix("0 ") == true)
    let pid = (host.read(plan.runFolder + "/pid") ?? "").split(separator: " ")
    #expect(pid.count == 3, "pid, start time and boot id")
    let log = host.read(plan.runFolder + "/log") ?? ""
    #expect(log.contains("step 2/3 \(steps[1].name): ok"))
    #expect(log.contains("build succeeded: \(plan.buildOutput)"))

    // ECHR-OD's build folder: build_info.yml, one history line, no lock.
    let info = try #require(host.read(plan.buildOutput + "/build_info.yml"))
    let lines = info.split(separator: "\n").map(String.init)
    let first = try #require(lines.first)
    let stamp = try #require(
      first.wholeMatch(of: /build_time: (\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2})/)?.1)
    let yaml = try #require(try Yams.load(yaml: info) as? [String: Any])
    #expect(yaml["version"] as? String == version)
    #expect(yaml["commit"] as? String == HostSandbox.commit)
    #expect(yaml["run_id"] as? String == runID)
    #expect(yaml["workflow"] as? String == workflow)
    #expect(yaml.count == 5)
    for line in lines.dropFirst() {
      let value = try #require(line.split(separator: ": ", maxSplits: 1).last)
      #expect(value.hasPrefix("'") && value.hasSuffix("'"), "\(line)")
    }
    #expect(host.read(host.layout.buildHistory) == "\(stamp)::\(workflow)\n")
    #expect(!host.exists(host.layout.buildLock))
    #expect(!host.exists(plan.buildOutput + "/build_info.yml.tmp"))

    // The journal: a started and a finished line, both whole.
    let journal = host.journal()
    #expect(journal.skippedLines == [])
    try #require(journal.entries.count == 2)
    var opening = started
    opening.startedAt = journal.entries[0].startedAt
    #expect(journal.entries[0] == opening)
    #expect(opening.startedAt >= before && opening.startedAt <= after)
    let finishedAt = try #require(journal.entries[1].endedAt)
    #expect(journal.entries[1] == started.finishing(outcome: .succeeded, at: finishedAt))
    #expect(finishedAt >= before && finishedAt <= after)

    try expectNothingRan()
  }

  @Test func aFailingStepStopsTheRunAndPublishesNothing() throws {
    let steps = [
      tracing("one", "1"), tracing("two 'it'", "2", then: "; exit 7"), tracing("three", "3"),
    ]
    let (plan, started) = host.plan(runID: "20261124T130607Z-000002", steps: steps)
    #expect(try host.runRunner(plan) == 7)

    #expect(traceLines().map { $0.prefix(1) } == ["1", "2"])
    let state = host.state(plan)
    #expect(state.count == 4 && state[0] == "failed" && state[2] == "2" && state[3] == "7")
    #expect(host.read(plan.runFolder + "/steps/2.end")?.hasPrefix("7 ") == true)
    #expect(!host.exists(plan.runFolder + "/steps/2.done"))
    #expect(!host.exists(plan.runFolder + "/steps/3.start"))
    #expect(!host.exists(plan.buildOutput + "/build_info.yml"))
    #expect(!host.exists(host.layout.buildHistory))
    #expect(!host.exists(host.layout.buildLock))
    #expect(
      (host.read(plan.runFolder + "/log") ?? "").contains(
        "step 2/3 two 'it' failed with exit code 7"))

    let journal = host.journal()
    #expect(journal.skippedLines == [])
    try #require(journal.entries.count == 2)
    let finished = journal.entries[1]
    #expect(finished.event == .finished && finished.outcome == .failed)
    #expect(finished.failedStep == 2)
    #expect(finished.message == "step 2/3 'two 'it'' failed")
    #expect(finished.runID == started.runID && finished.attempt == 1)
  }

  @Test func aResumedRunSkipsTheStepsDoneUnderTheSameName() throws {
    let runID = "20261124T130607Z-000003"
    let broken = [tracing("one", "1"), tracing("two", "2", then: "; exit 3"), tracing("3", "3")]
    #expect(try host.runRunner(host.plan(runID: runID, steps: broken).plan) == 3)
    #expect(traceLines().map { $0.prefix(1) } == ["1", "2"])

    // Attempt 2, still broken: step 1 is skipped, its done file holds its name.
    let second = host.plan(runID: runID, attempt: 2, steps: broken).plan
    #expect(host.read(second.runFolder + "/steps/1.done") == "one\n")
    #expect(try host.runRunner(second) == 3)
    #expect(traceLines().map { $0.prefix(1) } == ["1", "2", "2"])
    #expect(host.read(second.runFolder + "/attempt") == "2\n")
    #expect(
      (host.read(second.runFolder + "/log") ?? "").contains(
        "step 1/3 one: done in an earlier attempt, skipped"))

    // Attempt 3, fixed: steps 2 and 3 run, step 1 is still skipped.
    var fixed = broken
    fixed[1] = tracing("two", "2")
    let third = host.plan(runID: runID, attempt: 3, steps: fixed)
    #expect(try host.runRunner(third.plan) == 0)
    #expect(traceLines().map { $0.prefix(1) } == ["1", "2", "2", "2", "3"])
    #expect(host.state(third.plan).first == "succeeded")
    #expect(host.read(host.layout.buildHistory)?.split(separator: "\n").count == 1)

    let journal = host.journal()
    #expect(journal.skippedLines == [])
    #expect(journal.entries.map(\.attempt) == [1, 1, 2, 2, 3, 3])
    #expect(
      journal.entries.map(\.outcome) == [
        .running, .failed, .running, .failed, .running, .succeeded,
      ])
  }

  @Test func aRenamedStepIsNotSkipped() throws {
    let runID = "20261124T130607Z-000004"
    let broken = [tracing("one", "1"), tracing("two", "2", then: "; exit 3")]
    #expect(try host.runRunner(host.plan(runID: runID, steps: broken).plan) == 3)

    let renamed = [tracing("one, renamed", "1"), tracing("two", "2")]
    let second = host.plan(runID: runID, attempt: 2, steps: renamed).plan
    #expect(try host.runRunner(second) == 0)
    #expect(traceLines().map { $0.prefix(1) } == ["1", "2", "1", "2"])
    #expect(host.read(second.runFolder + "/steps/1.done") == "one, renamed\n")
  }

  @Test func theTimeoutStopsALongStep() throws {
    let steps = [
      BuildStep(name: "slow", command: "sleep 30"), tracing("after", "2"),
    ]
    let plan = host.plan(runID: "20261124T130607Z-000005", steps: steps, timeout: 1).plan
    let started = MonotonicClock.now
    #expect(try host.runRunner(plan) == 124)
    #expect(MonotonicClock.now - started < 10)
    let state = host.state(plan)
    #expect(state.count == 4 && state[0] == "failed" && state[2] == "1" && state[3] == "124")
    #expect(traceLines().isEmpty)
    #expect(!host.exists(host.layout.buildLock))
    #expect(host.journal().entries.last?.failedStep == 1)
  }

  @Test func aSignalToTheRunnersGroupMarksTheRunInterrupted() throws {
    let steps = [BuildStep(name: "slow", command: "sleep 30"), tracing("after", "2")]
    let (plan, _) = host.plan(runID: "20261124T130607Z-000006", steps: steps)
    let pid = try host.startDetached(plan)
    defer { host.signalGroup(pid, SIGKILL) }
    #expect(eventually(within: 5) { host.exists(plan.runFolder + "/steps/1.start") })
    // setsid made the runner a process group leader: the group is the runner and its step.
    #expect(host.signalGroup(pid, SIGTERM))
    #expect(eventually(within: 5) { host.state(plan).first == "interrupted" })
    let state = host.state(plan)
    #expect(state.count == 4 && state[2] == "1" && state[3] == "143", "\(state)")
    #expect(!host.exists(host.layout.buildLock))
    #expect(traceLines().isEmpty)
    #expect(eventually(within: 5) { host.journal().entries.count == 2 })
    let journal = host.journal()
    #expect(journal.skippedLines == [])
    #expect(journal.entries.last?.outcome == .interrupted)
    #expect(journal.entries.last?.message == "stopped by a signal")
  }

  /// What probing found: the runner dies (SIGKILL, as a reboot or a killed tmux server does) and
  /// its step lives on; `--resume` then starts the same step again beside it. The next preflight
  /// must find the orphaned step by its record and stop it before anything runs again.
  @Test(arguments: [nil, 600] as [Double?])
  func aStepOrphanedByAKilledRunnerIsStoppedBeforeTheNextBuild(timeout: Double?) throws {
    let marker = host.base + "/step.pid"
    let steps = [
      BuildStep(
        name: "slow", command: "echo $$ > \(ShellQuote.word(marker)); sleep 60 & wait"),
      tracing("after", "2"),
    ]
    let (plan, _) = host.plan(runID: "20261124T130607Z-000009", steps: steps, timeout: timeout)
    let runner = try host.startDetached(plan)
    #expect(eventually(within: 5) { host.read(marker)?.hasSuffix("\n") == true })
    let step = try #require(Int32(host.read(marker)!.trimmingCharacters(in: .newlines)))
    defer { kill(-getpgid(step), SIGKILL) }
    // Only the runner dies.
    #expect(kill(Int32(runner)!, SIGKILL) == 0)
    #expect(eventually(within: 5) { kill(Int32(runner)!, 0) != 0 })
    // A zombie waiting for init counts as gone.
    func running(_ pid: Int32) -> Bool {
      guard let stat = host.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else {
        return false
      }
      return !stat[close...].hasPrefix(") Z")
    }
    #expect(running(step), "the step outlives its runner")

    let preflight = try host.sh(BuildCommands.preflight(host.layout))
    #expect(preflight.stdout == "stale \(plan.runID)\n", "\(preflight.stderr)")
    #expect(eventually(within: 2) { !running(step) }, "the orphaned step is stopped")
    #expect(host.state(plan).first == "lost")
    #expect(
      host.read(plan.runFolder + "/log")?.contains("step 1: its processes were stopped") == true)
    #expect(traceLines().isEmpty)
  }

  @Test func theRenderedScriptIsValidSh() throws {
    let steps = [BuildStep(name: "a'b", command: "echo 'x'"), BuildStep(name: "c", command: ":")]
    for timeout in [nil, 90.5] as [Double?] {
      let script = RunnerScript.render(
        host.plan(runID: "20261124T130607Z-000007", steps: steps, timeout: timeout).plan
      ).text
      #expect(script.hasPrefix("#!/bin/sh\n") && script.hasSuffix("\n"))
      #expect(try host.sh("sh -n", stdin: script).status == 0)
      if timeout != nil { #expect(script.contains("deadline=$(( $(now) + 91 ))")) }
    }
  }

  @Test(arguments: [
    "plain", "it's", "''", "a: b # c", "line\nbreak", "- dash", "ünï 🚀", "\"dq\"", "",
  ])
  func singleQuotedYAMLScalarsParseBack(_ value: String) throws {
    let text = "key: " + YAMLScalar.singleQuoted(value) + "\n"
    let yaml = try #require(try Yams.load(yaml: text) as? [String: Any])
    #expect(yaml["key"] as? String == value.replacing("\n", with: " "))
    // And as the build listing reads it.
    let listing = BuildFolderListing.parse("build b\ninfo " + text)
    #expect(listing.builds.first?.info["key"] == value.replacing("\n", with: " "))
  }
}
