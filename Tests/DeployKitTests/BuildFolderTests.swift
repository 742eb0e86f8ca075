import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySupport

@Suite struct BuildFolderTests {
  let old = "2020/12/19 23:04:48"
  let new = "2021/03/01 10:00:00"

  @Test func readsTheStateFromDisk() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("real", time: new)
    try FileManager.default.createSymbolicLink(
      atPath: fixture.root + "/linked", withDestinationPath: fixture.root + "/real")
    fixture.write("not_a_build/readme", "x")
    fixture.write("dir_info/build_info.yml/inside", "a folder, not a file")
    fixture.write(".build_history", "\(new)::database\n")
    let state = fixture.folder.state()
    #expect(state.builds.map(\.name) == [fixture.buildName, "linked", "real"])
    #expect(!state.locked)
    #expect(state.status()["message"] == .string(new))
    #expect(state.current()["build_time"] == .string(old))
    fixture.write(".lock", "run-id\n")
    #expect(fixture.folder.state().locked)
  }

  @Test func updateCopiesBesideSwapsKeepsTheOldBuildAndRestarts() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build(fixture.buildName + ".save", time: "2019/01/01 00:00:00")
    fixture.build("candidate", time: new)
    fixture.build("older_candidate", time: "2021/01/01 00:00:00")
    let marker = fixture.root + "/restarted"
    let result = try fixture.folder.update(restartCommand: "touch '\(marker)'")
    #expect(result == .updated(folder: "candidate", notes: []))
    #expect(fixture.buildTime(of: fixture.buildName) == new)
    #expect(fixture.buildTime(of: fixture.buildName + ".save") == old)
    #expect(fixture.buildTime(of: "candidate") == new, "the source build stays")
    #expect(fixture.exists("restarted"))
    #expect(!fixture.exists(fixture.buildName + "/" + BuildFolder.completeMarker))
    #expect(
      fixture.entries == [
        "candidate", fixture.buildName, fixture.buildName + ".save", "older_candidate", "restarted",
      ])
    #expect(try fixture.folder.update() == .upToDate)
  }

  @Test func updateRefusesWhileABuildIsRunning() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("candidate", time: new)
    fixture.write(".lock", "run\n")
    #expect(throws: BuildAPIError.buildInProgress) { try fixture.folder.update() }
    #expect(fixture.buildTime(of: fixture.buildName) == old)
    let response = BuildAPI.respond(to: .update, folder: fixture.folder)
    #expect(response.status == 409)
    #expect(response.body.text == #"{"message":"Build in progress"}"#)
  }

  @Test func firstActivationRenamesTheCopyIntoPlace() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build("candidate", time: new)
    guard case .updated(let folder, let notes) = try fixture.folder.update() else {
      Issue.record("expected an update")
      return
    }
    #expect(folder == "candidate")
    #expect(notes.contains { $0.contains("no readable build_time") })
    #expect(fixture.buildTime(of: fixture.buildName) == new)
    #expect(!fixture.exists(fixture.buildName + ".save"))
  }

  @Test func aFailingRestartIsReportedAfterTheSwap() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("candidate", time: new)
    let response = BuildAPI.respond(
      to: .update, folder: fixture.folder, restartCommand: "echo app did not start >&2; exit 3")
    #expect(response.status == 500)
    #expect(
      response.body.text
        == #"{"message":"Build updated, but the restart command failed: exit status 3: "#
        + #"app did not start"}"#)
    #expect(fixture.buildTime(of: fixture.buildName) == new)
  }

  @Test func rollbackPutsTheSaveBackAndKeepsTheBadBuildAsFailed() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("candidate", time: new)
    _ = try fixture.folder.update()
    fixture.build(fixture.buildName + ".failed", time: "2000/01/01 00:00:00")
    let response = BuildAPI.respond(to: .rollback, folder: fixture.folder)
    #expect(response.status == 200)
    #expect(response.body.text == #"{"message":"Build rolled back"}"#)
    #expect(fixture.buildTime(of: fixture.buildName) == old)
    #expect(fixture.buildTime(of: fixture.buildName + ".failed") == new)
    #expect(!fixture.exists(fixture.buildName + ".save"))
    #expect(!fixture.exists(fixture.buildName + "/" + BuildFolder.rollbackMarker))
    let again = BuildAPI.respond(to: .rollback, folder: fixture.folder)
    #expect(again.status == 409)
    #expect(again.body.text == #"{"message":"No rollback copy"}"#)
    // The rolled-back build is never "newer" again; the source folder still is.
    #expect(fixture.folder.state().newBuild().folder == "candidate")
  }

  @Test func copiesKeepLinksModesAndNesting() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("candidate", time: new)
    fixture.write("candidate/deep/er/file", "deep\n")
    try FileManager.default.createSymbolicLink(
      atPath: fixture.root + "/candidate/link", withDestinationPath: "deep/er/file")
    chmod(fixture.root + "/candidate/deep/er/file", 0o751)
    _ = try fixture.folder.update()
    let served = fixture.root + "/" + fixture.buildName
    #expect(
      try FileManager.default.destinationOfSymbolicLink(atPath: served + "/link") == "deep/er/file")
    #expect(fixture.read(fixture.buildName + "/link") == "deep\n")
    var info = stat()
    #expect(stat(served + "/deep/er/file", &info) == 0)
    #expect(info.st_mode & 0o777 == 0o751)
  }

  @Test func aFailedCopyLeavesTheServedBuildAndNoLeftovers() throws {
    let fixture = BuildFolderFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("candidate", time: new)
    #expect(mkfifo(fixture.root + "/candidate/data/pipe", 0o644) == 0)
    let response = BuildAPI.respond(to: .update, folder: fixture.folder)
    #expect(response.status == 500)
    #expect(
      response.body["message"]?.stringValue?.hasPrefix("Build not updated: cannot copy") == true)
    #expect(fixture.buildTime(of: fixture.buildName) == old)
    #expect(fixture.entries == ["candidate", fixture.buildName])
  }

  @Test func buildNamesMustBeOneFolder() {
    for bad in ["", ".", "..", "a/b"] {
      #expect(throws: DeployError.self) { try BuildFolder(path: "/tmp", buildName: bad) }
    }
  }
}

/// Every state a crash can leave, recovered the way the next start recovers it.
@Suite struct BuildFolderRecoveryTests {
  let old = "2020/12/19 23:04:48"
  let new = "2021/03/01 10:00:00"
  let older = "2019/01/01 00:00:00"

  private func recovered(_ setUp: (BuildFolderFixture) -> Void) throws -> (
    BuildFolderFixture, [String]
  ) {
    let fixture = BuildFolderFixture()
    setUp(fixture)
    let notes = try fixture.folder.recover()
    return (fixture, notes)
  }

  private func name(_ suffix: String = "") -> String { "echr_database" + suffix }

  @Test func anInterruptedCopyIsDiscarded() throws {
    for complete in [false, true] {
      let (fixture, notes) = try recovered {
        $0.build(name(), time: old)
        $0.build(name(".incoming"), time: new, files: 1)
        if complete { $0.write(name(".incoming/") + BuildFolder.completeMarker, "") }
      }
      defer { fixture.destroy() }
      #expect(fixture.buildTime(of: name()) == old)
      #expect(fixture.entries == [name()])
      #expect(notes.contains { $0.contains("discarded") })
    }
  }

  @Test func withNothingServedACompleteCopyOrTheSaveIsServed() throws {
    let (first, _) = try recovered {
      $0.build(name(".incoming"), time: new)
      $0.write(name(".incoming/") + BuildFolder.completeMarker, "")
      $0.build(name(".save"), time: old)
    }
    defer { first.destroy() }
    #expect(first.buildTime(of: name()) == new)
    #expect(first.buildTime(of: name(".save")) == old)
    #expect(!first.exists(name("/") + BuildFolder.completeMarker))

    let (second, notes) = try recovered {
      $0.build(name(".incoming"), time: new, files: 1)
      $0.build(name(".save"), time: old)
    }
    defer { second.destroy() }
    #expect(second.buildTime(of: name()) == old)
    #expect(second.entries == [name()])
    #expect(notes.contains { $0.contains("rollback copy") })
  }

  @Test func anUpdateInterruptedAfterTheExchangeIsFinished() throws {
    // Right after the exchange: the old build is `.incoming`, the older one `.save`.
    let (fixture, _) = try recovered {
      $0.build(name(), time: new)
      $0.write(name("/") + BuildFolder.completeMarker, "")
      $0.build(name(".incoming"), time: old)
      $0.build(name(".save"), time: older)
    }
    defer { fixture.destroy() }
    #expect(fixture.buildTime(of: name()) == new)
    #expect(fixture.buildTime(of: name(".save")) == old)
    #expect(fixture.entries == [name(), name(".save")])
    #expect(!fixture.exists(name("/") + BuildFolder.completeMarker))

    // Between moving the older save to the trash and the old build to `.save`.
    let (second, _) = try recovered {
      $0.build(name(), time: new)
      $0.write(name("/") + BuildFolder.completeMarker, "")
      $0.build(name(".incoming"), time: old)
      $0.build(name(".trash"), time: older, files: 1)
    }
    defer { second.destroy() }
    #expect(second.buildTime(of: name(".save")) == old)
    #expect(second.entries == [name(), name(".save")])
  }

  @Test func aRollbackInterruptedAfterTheExchangeIsFinished() throws {
    let (fixture, _) = try recovered {
      $0.build(name(), time: old)
      $0.write(name("/") + BuildFolder.rollbackMarker, "")
      $0.build(name(".save"), time: new)
    }
    defer { fixture.destroy() }
    #expect(fixture.buildTime(of: name()) == old)
    #expect(fixture.buildTime(of: name(".failed")) == new)
    #expect(fixture.entries == [name(), name(".failed")])
    #expect(!fixture.exists(name("/") + BuildFolder.rollbackMarker))
  }

  @Test func aRollbackInterruptedBeforeTheExchangeChangesNothing() throws {
    let (fixture, _) = try recovered {
      $0.build(name(), time: new)
      $0.build(name(".save"), time: old)
      $0.write(name(".save/") + BuildFolder.rollbackMarker, "")
    }
    defer { fixture.destroy() }
    #expect(fixture.buildTime(of: name()) == new)
    #expect(fixture.buildTime(of: name(".save")) == old)
    #expect(!fixture.exists(name(".save/") + BuildFolder.rollbackMarker))
  }

  @Test func aCleanFolderNeedsNothing() throws {
    let (fixture, notes) = try recovered {
      $0.build(name(), time: new)
      $0.build(name(".save"), time: old)
    }
    defer { fixture.destroy() }
    #expect(notes.isEmpty)
    #expect(fixture.entries == [name(), name(".save")])
  }
}

@Suite struct BuildAPIAccessTests {
  @Test func listenAddresses() throws {
    #expect(
      try ListenAddress(parsing: "127.0.0.1:5000") == ListenAddress(host: "127.0.0.1", port: 5000))
    #expect(try ListenAddress(parsing: "[::1]:80") == ListenAddress(host: "::1", port: 80))
    #expect(try ListenAddress(parsing: "8080") == ListenAddress(host: "127.0.0.1", port: 8080))
    #expect(try ListenAddress(parsing: "localhost:1").isLoopback)
    #expect(try ListenAddress(parsing: "127.1.2.3:1").isLoopback)
    #expect(try !ListenAddress(parsing: "0.0.0.0:5000").isLoopback)
    #expect(try !ListenAddress(parsing: "[::]:5000").isLoopback)
    #expect(try !ListenAddress(parsing: "10.0.0.1:5000").isLoopback)
    #expect(try !ListenAddress(parsing: "127.example.com:5000").isLoopback)
    for bad in ["", ":5000", "host:", "host:99999", "::1:5000", "[::1]5000"] {
      #expect(throws: DeployError.self) { try ListenAddress(parsing: bad) }
    }
    #expect(try ListenAddress(parsing: "[::1]:80").description == "[::1]:80")
  }

  @Test func tokens() {
    #expect(BuildAPI.isAuthorized(token: nil, authorization: nil, queryToken: nil))
    #expect(!BuildAPI.isAuthorized(token: "s3cret", authorization: nil, queryToken: nil))
    #expect(BuildAPI.isAuthorized(token: "s3cret", authorization: "Bearer s3cret", queryToken: nil))
    #expect(BuildAPI.isAuthorized(token: "s3cret", authorization: "bearer s3cret", queryToken: nil))
    #expect(BuildAPI.isAuthorized(token: "s3cret", authorization: nil, queryToken: "s3cret"))
    #expect(!BuildAPI.isAuthorized(token: "s3cret", authorization: "Bearer s3cre", queryToken: "x"))
    #expect(!BuildAPI.isAuthorized(token: "s3cret", authorization: "Basic s3cret", queryToken: nil))
  }
}
