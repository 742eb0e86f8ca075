import Foundation
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployInventory
@testable import HostScripts
@testable import HostShell

/// `keep:` after an activation, run with /bin/sh in a temporary build folder whose path needs
/// quoting. What probing found: the `current` link and the served build were deleted, a build
/// never activated pushed the previously served one out, and a `build_name` that needs quoting
/// was unprotected (and `$(…)` in it ran).
@Suite struct PruneTests {
  let host: HostSandbox

  init() throws {
    host = try HostSandbox()
  }

  /// A finished build: its folder with `build_info.yml`.
  private func build(_ folder: String, at time: String) throws {
    try host.write(
      host.layout.buildFolder + "/" + folder + "/build_info.yml",
      "build_time: \(time)\nversion: 'v'\n")
  }

  /// Points `current` at `folder` and records the activation, as the activator does.
  private func activate(_ folder: String, at epoch: Int) throws {
    try host.sh(ActivationCommands.switchLink(buildFolder: host.layout.buildFolder, to: folder))
    try host.write(
      host.layout.activations, (host.read(host.layout.activations) ?? "") + "\(epoch) \(folder)\n")
  }

  private func prune(keep: Int, served: String, protected: [String] = []) throws -> [String] {
    let result = try host.sh(
      ActivationCommands.prune(host.layout, keep: keep, served: served, protected: protected))
    #expect(result.status == 0, "\(result.stderr)")
    return result.lines
  }

  private var remaining: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: host.layout.buildFolder)) ?? [])
      .sorted()
  }

  /// Three builds, `--activate` of the oldest: the link and every build stay (the two newer
  /// ones wait for activation).
  @Test func theCurrentLinkAndItsBuildAreNeverRemoved() throws {
    try build("run-a", at: "2026/12/01 10:00:00")
    try build("run-b", at: "2026/12/01 11:00:00")
    try build("run-c", at: "2026/12/01 12:00:00")
    try activate("run-a", at: 100)
    #expect(try prune(keep: 1, served: "run-a") == [])
    #expect(remaining == ["current", "run-a", "run-b", "run-c"])
    #expect(
      try host.sh("readlink " + ShellQuote.word(host.layout.buildFolder + "/current")).stdout
        == "run-a\n")
  }

  /// Builds are ranked by when they were served: a newer build never activated does not push
  /// out the one served before (the rollback target).
  @Test func theBuildServedBeforeOutranksANewerOneNeverServed() throws {
    try build("run-a", at: "2026/12/01 10:00:00")
    try build("run-b", at: "2026/12/01 11:00:00")
    try build("run-c", at: "2026/12/01 12:00:00")  // built with --detach, never activated
    try build("run-d", at: "2026/12/01 13:00:00")
    try activate("run-a", at: 100)
    try activate("run-b", at: 200)
    try activate("run-d", at: 400)
    #expect(Set(try prune(keep: 1, served: "run-d")) == ["run-a", "run-c"])
    #expect(remaining == ["current", "run-b", "run-d"])

    // And rollback goes to the build served before, by the log.
    let listing = BuildFolderListing.parse(
      try host.sh(BuildFolderListing.listing(host.layout).script).stdout)
    #expect(listing.currentLink == "run-d")
    #expect(listing.previouslyServed(before: "run-d").map(\.folder) == ["run-b"])
    #expect(!listing.builds.contains { $0.folder == "current" }, "a link is not a build")
  }

  /// A folder without `build_info.yml` is a build in progress (or a failed one): not pruned.
  @Test func aBuildInProgressIsNotPruned() throws {
    try build("run-0", at: "2026/12/01 09:00:00")
    try build("run-a", at: "2026/12/01 10:00:00")
    try build("run-b", at: "2026/12/01 11:00:00")
    try activate("run-0", at: 50)
    try activate("run-a", at: 100)
    try activate("run-b", at: 200)
    try host.write(host.layout.buildFolder + "/run-c/partial.db", "half")
    // run-a was served before run-b: the rollback target stays even with keep: 1.
    #expect(try prune(keep: 1, served: "run-b") == ["run-0"])
    #expect(remaining == ["current", "run-a", "run-b", "run-c"])
  }

  @Test(arguments: ["my build", "x$(touch PWNED)", "it's", "a\"b`id`", "-rf", "*"])
  func aBuildNameThatNeedsQuotingIsProtectedAndInert(name: String) throws {
    try build("run-0", at: "2026/12/01 09:00:00")
    try build("run-a", at: "2026/12/01 10:00:00")
    try build("run-b", at: "2026/12/01 11:00:00")
    try build(name, at: "2026/12/01 11:00:00")
    try build(name + ".save", at: "2026/12/01 10:00:00")
    try activate("run-0", at: 50)
    try activate("run-a", at: 100)
    try activate("run-b", at: 200)
    let removed = try prune(keep: 1, served: "run-b", protected: [name, name + ".save"])
    #expect(removed == ["run-0"])
    #expect(Set(remaining) == ["current", "run-a", "run-b", name, name + ".save"])
    #expect(!host.exists(host.layout.buildFolder + "/PWNED"))
    #expect(!host.exists(host.base + "/PWNED"))
    #expect(!FileManager.default.fileExists(atPath: "PWNED"))
  }
}
