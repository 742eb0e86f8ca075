import HostShell
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployInventory

/// `RunRecord.parse` and `BuildFolderListing.parse` on hand-written listings.
@Suite struct RunRecordTests {
  private let meta =
    #"meta {"app":"demo","commit":"abc","origin":"laptop","stage":"prod","started":1795525567,"#
    + #""steps":["fetch","compile","publish"],"user":"alice","version":"v1","workflow":"steps"}"#

  private func only(_ text: String) throws -> RunRecord {
    let runs = RunRecord.parse(text)
    try #require(runs.count == 1)
    return runs[0]
  }

  @Test func aRunningStateWithADeadRunnerIsLost() throws {
    let text = "run 20261124T130607Z-000001\n\(meta)\nattempt 2\n"
    #expect(try only(text + "status no running 1795525567\n").state == .lost)
    #expect(try only(text + "status no running 1795525567\n").endedAt == nil)
    #expect(try only(text + "status yes running 1795525567\n").state == .running)
    #expect(try only(text + "status yes running 1795525567\n").runnerAlive)
    #expect(try only(text + "status yes running 1795525567\n").attempt == 2)
  }

  @Test func aMissingStateMeansStartingOrLost() throws {
    let text = "run 20261124T130607Z-000001\n\(meta)\nattempt \n"
    let starting = try only(text + "status yes \n")
    #expect(starting.state == .running)
    #expect(starting.attempt == 1)
    #expect(try only(text + "status no \n").state == .lost)
    // No status line at all: lost.
    #expect(try only("run 20261124T130607Z-000001\n").state == .lost)
  }

  @Test func endedStatesCarryTheirFields() throws {
    let head = "run 20261124T130607Z-000001\n\(meta)\n"
    let failed = try only(head + "status no failed 1795525600 2 7\n")
    #expect(failed.state == .failed)
    #expect(failed.endedAt == 1_795_525_600 && failed.failedStep == 2 && failed.exitCode == 7)
    let interrupted = try only(head + "status no interrupted 1795525600 0 143\n")
    #expect(interrupted.state == .interrupted)
    #expect(interrupted.failedStep == nil && interrupted.exitCode == 143)
    let succeeded = try only(head + "status no succeeded 1795525600  \n")
    #expect(succeeded.state == .succeeded && succeeded.endedAt == 1_795_525_600)
    #expect(succeeded.failedStep == nil && succeeded.exitCode == nil)
    let lost = try only(head + "status no lost 1795525600\n")
    #expect(lost.state == .lost && lost.endedAt == 1_795_525_600)
  }

  @Test func stepsTakeTheirNamesFromTheMetadata() throws {
    let run = try only(
      """
      run 20261124T130607Z-000001
      \(meta)
      status no failed 1795525600 2 1
      start 1 1795525570
      end 1 0 1795525580
      done 1 fetch
      start 2 1795525581
      end 2 1 1795525590
      start 4 1795525591
      """)
    #expect(run.steps.map(\.index) == [1, 2, 3, 4])
    #expect(run.steps.map(\.name) == ["fetch", "compile", "publish", "step 4"])
    #expect(run.steps.map(\.startedAt) == [1_795_525_570, 1_795_525_581, nil, 1_795_525_591])
    #expect(run.steps.map(\.endedAt) == [1_795_525_580, 1_795_525_590, nil, nil])
    #expect(run.steps.map(\.exitCode) == [0, 1, nil, nil])
    #expect(run.steps.map(\.done) == [true, false, false, false])
    #expect(run.firstIncompleteStep == 2)
    #expect(run.metadata.user == "alice" && run.metadata.version == "v1")
  }

  @Test func allStepsDoneLeavesNothingToResume() throws {
    let run = try only(
      "run r\n\(meta)\nstatus no succeeded 1\ndone 1 fetch\ndone 2 compile\ndone 3 x\n")
    #expect(run.firstIncompleteStep == nil)
    #expect(run.steps.allSatisfy { $0.done })
  }

  @Test func unknownAndMalformedLinesAreIgnored() throws {
    let run = try only(
      """
      status yes succeeded 1
      garbage before any run
      run 20261124T130607Z-000001
      frobnicate 1 2 3
      meta {not json
      status no failed 1795525600 1 2
      attempt many
      start x 1795525570
      end
      done x
      future-key value
      start 1 soon
      """)
    #expect(run.runID == "20261124T130607Z-000001")
    #expect(run.state == .failed && run.failedStep == 1 && run.exitCode == 2)
    #expect(run.attempt == 1)
    #expect(!run.runnerAlive)
    #expect(run.metadata == RunMetadata())
    // `start 1 soon`: a step 1 with no start time.
    #expect(run.steps.count == 1 && run.steps[0].startedAt == nil && !run.steps[0].done)
    #expect(RunRecord.parse("").isEmpty)
    #expect(RunRecord.parse("status yes running 1\n").isEmpty)
  }

  @Test func runsComeBackNewestFirst() {
    let ids = [
      "20261124T130607Z-000001", "20270101T000000Z-000000", "20261124T130607Z-00000f",
      "20251231T235959Z-ffffff",
    ]
    let text = ids.map { "run \($0)\n\(meta)\nstatus no succeeded 1795525600\n" }.joined()
    #expect(
      RunRecord.parse(text).map(\.runID) == [
        "20270101T000000Z-000000", "20261124T130607Z-00000f", "20261124T130607Z-000001",
        "20251231T235959Z-ffffff",
      ])
    // Each run keeps its own steps.
    let two = RunRecord.parse(
      "run a\nstatus no failed 1 1 1\nend 1 1 5\nrun b\nstatus no succeeded 1\n"
        + "done 1 x\ndone 2 y\n")
    #expect(two.map(\.runID) == ["b", "a"])
    #expect(two.map(\.steps.count) == [2, 1])
    #expect(two[1].steps[0].exitCode == 1)
  }

  @Test func buildListingsParse() {
    let listing = BuildFolderListing.parse(
      """
      info orphan: 'before any build'
      lock 20261124T130607Z-000001
      history 2026/11/24 13:06:07::steps
      history 2026/11/25 08:00:00::odd::name
      history no separator here
      build b1
      info build_time: 2026/11/24 13:06:07
      info version: 'it''s ''v1'''
      info commit: "abc"
      info   spaced  :   'x'
      info no colon
      info empty: ''
      build b2
      """)
    #expect(listing.lock == "20261124T130607Z-000001")
    #expect(listing.history.map(\.date) == ["2026/11/24 13:06:07", "2026/11/25 08:00:00"])
    #expect(listing.history.map(\.workflow) == ["steps", "odd::name"])
    #expect(listing.builds.map(\.folder) == ["b1", "b2"])
    #expect(
      listing.builds[0].info == [
        "build_time": "2026/11/24 13:06:07", "version": "it's 'v1'", "commit": "abc",
        "spaced": "x", "empty": "",
      ])
    #expect(listing.builds[0].buildTime == "2026/11/24 13:06:07")
    #expect(listing.builds[1].info.isEmpty)
    #expect(BuildFolderListing.parse("lock\n").lock == "")
    #expect(BuildFolderListing.parse("").lock == nil)
  }
}
