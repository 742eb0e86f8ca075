import Testing

@testable import DeployBuild
@testable import DeployPipeline

/// The one `build_info.yml` reader, and what `status` makes of a host's answer with it.
@Suite struct BuildInfoTests {
  @Test func quotedAndPlainValues() {
    let fields = BuildInfo.fields(
      """
      build_time: 2026/12/07 17:58:27
      version: 'it''s v1'
      commit: "abc"
      run_id: '20261207T175827Z-00a1b2'
      not a field
      workflow:
      """)
    #expect(fields["build_time"] == "2026/12/07 17:58:27")
    #expect(fields["version"] == "it's v1")
    #expect(fields["commit"] == "abc")
    #expect(fields["run_id"] == "20261207T175827Z-00a1b2")
    #expect(fields["workflow"] == "")
    #expect(fields.count == 5)
  }

  @Test func statusShowsVersionAndBuildTime() {
    #expect(
      deployedVersion("info version: 'v2'\ninfo build_time: 2026/12/07 17:58:31\n")
        == "v2 · 2026/12/07 17:58:31")
    // ECHR-OD's own builds have no version line.
    #expect(deployedVersion("info build_time: 2026/12/07 17:58:31\n") == "? · 2026/12/07 17:58:31")
    // A package's version, and nothing deployed, pass through.
    #expect(deployedVersion("1.2.3-1\n") == "1.2.3-1")
    #expect(deployedVersion("") == "")
  }
}

/// The promotion check's pure parts: which version "latest" means, and holding a deployment to
/// the version that was confirmed.
@Suite struct PromotionChoiceTests {
  @Test func latestCommonIsTheNewestEveryHostOffers() {
    #expect(
      AptVersionChoice.latestCommon([
        ["1.0.81~pr770-3", "1.0.80", "1.0.79~pr751-14"], ["1.0.80", "1.0.79~pr751-14"],
      ]) == "1.0.80")
    // Debian ordering, not text: ~ sorts before anything.
    #expect(AptVersionChoice.latestCommon([["1.0~rc1", "1.0"], ["1.0", "1.0~rc1"]]) == "1.0")
    #expect(AptVersionChoice.latestCommon([["1.0"], ["2.0"]]) == nil)
    #expect(AptVersionChoice.latestCommon([]) == nil)
  }
}

/// The one "which build is newest" answer and the labels `deploy builds` shows.
@Suite struct NewestBuildTests {
  static let listing = BuildFolderListing.parse(
    """
    build run-a
    info build_time: 2026/12/01 10:00:00
    build run-b
    info build_time: 2026/12/03 10:00:00
    build demo_database
    info build_time: 2026/12/02 10:00:00
    build no-time
    """)

  @Test func newestAndLabels() {
    #expect(Self.listing.newest()?.folder == "run-b")
    #expect(Self.listing.newest { $0.folder != "run-b" }?.folder == "demo_database")
    #expect(
      Self.listing.newestFirst.map(\.folder) == ["run-b", "demo_database", "run-a", "no-time"])
    #expect(
      Self.listing.labels(servedAs: "demo_database") == [
        "demo_database": "current", "run-b": "latest", "run-a": "available",
        "no-time": "available",
      ])
  }
}
