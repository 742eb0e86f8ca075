import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySupport

/// The real `deploy build-api` binary over HTTP: the explorer's answers byte for byte, the
/// fixed weaknesses, tokens. No SSH hosts needed, so it runs always.
@Suite(.serialized) struct BuildAPIServerTests {
  let old = "2020/12/19 23:04:48"
  let new = "2021/03/01 10:00:00"

  private func withServer(
    _ arguments: [String] = [], setUp: (BuildAPIFixture) -> Void,
    body: (BuildAPIFixture, BuildAPIServerProcess) throws -> Void
  ) throws {
    let fixture = BuildAPIFixture()
    defer { fixture.destroy() }
    setUp(fixture)
    let server = try fixture.start(arguments)
    defer { server.stop() }
    try body(fixture, server)
  }

  @Test func statusInItsThreeStates() throws {
    try withServer(
      setUp: { $0.build($0.buildName, time: old) },
      body: { fixture, server throws in
        var reply = try server.api("status")
        #expect(reply.status == 200)
        #expect(reply.header("content-type") == "application/json")
        #expect(
          reply.text
            == #"{"schemaVersion":1,"label":"Database Update","message":"never built","color":"grey"}"#
        )
        fixture.write(".build_history", "\(old)::database\n\(new)::database\n")
        reply = try server.api("status")
        #expect(
          reply.text
            == #"{"schemaVersion":1,"label":"Database Update","message":"2021/03/01 10:00:00","#
            + #""color":"green"}"#)
        fixture.write(".lock", "20210301-run\n")
        reply = try server.api("status")
        #expect(
          reply.text
            == #"{"schemaVersion":1,"label":"Database Update","message":"in progress","color":"blue"}"#
        )
      })
  }

  @Test func historyAndLatestWithAndWithoutAFile() throws {
    try withServer(
      setUp: { _ in },
      body: { fixture, server throws in
        #expect(try server.api("history").text == #"[{"date":"never built","workflow":""}]"#)
        #expect(try server.api("latest").text == #"{"date":"never built","workflow":""}"#)
        fixture.write(".build_history", "\(old)::database\n\(new)::full \"é\" rebuild\n")
        #expect(
          try server.api("history").text
            == #"[{"date":"2020/12/19 23:04:48","workflow":"database\n"},"#
            + #"{"date":"2021/03/01 10:00:00","workflow":"full \"é\" rebuild\n"}]"#)
        #expect(
          try server.api("latest").text
            == #"{"date":"2021/03/01 10:00:00","workflow":"full \"é\" rebuild\n"}"#)
      })
  }

  @Test func currentAndItsEmptyAnswers() throws {
    try withServer(
      setUp: { _ in },
      body: { fixture, server throws in
        #expect(try server.api("current").text == "{}")
        fixture.write(fixture.buildName + "/data.txt", "no build_info.yml\n")
        var reply = try server.api("current")
        #expect(reply.status == 200)
        #expect(reply.text == "{}")
        fixture.write(fixture.buildName + "/build_info.yml", "build_time: [unclosed\n")
        reply = try server.api("current")
        #expect(reply.status == 200)
        #expect(reply.text == "{}")
        fixture.write(
          fixture.buildName + "/build_info.yml",
          "build_time: \(old)\nversion: '2.0'\nrun: 7\nwhen: 2020-12-19 23:04:48\n")
        #expect(
          try server.api("current").text
            == #"{"build_time":"2020/12/19 23:04:48","version":"2.0","run":7,"#
            + #""when":"2020-12-19T23:04:48"}"#)
      })
  }

  @Test func availableAndTheLatestNewerBuild() throws {
    try withServer(
      setUp: {
        $0.build($0.buildName, time: old)
        $0.build("b_newer", time: "2021/01/01 00:00:00")
        $0.build("c_newest", time: new)
        $0.build("a_older", time: "2019/01/01 00:00:00")
        $0.write("not_a_build/readme", "x\n")
      },
      body: { fixture, server throws in
        #expect(
          try server.api("available").text
            == #"{"a_older":{"build_time":"2019/01/01 00:00:00","workflow":"database"},"#
            + #""b_newer":{"build_time":"2021/01/01 00:00:00","workflow":"database"},"#
            + #""c_newest":{"build_time":"2021/03/01 10:00:00","workflow":"database"},"#
            + #""echr_database":{"build_time":"2020/12/19 23:04:48","workflow":"database"}}"#)
        #expect(try server.api("new_build_available").text == #"[true,"c_newest"]"#)
        // Nothing valid served: any build is newer, and the log says why.
        fixture.write(fixture.buildName + "/build_info.yml", "version: 1\n")
        let reply = try server.api("new_build_available")
        #expect(reply.status == 200)
        #expect(reply.text == #"[true,"c_newest"]"#)
        #expect(server.log.contains("no readable build_time"))
        fixture.write(fixture.buildName + "/build_info.yml", "build_time: \(new)\n")
        #expect(try server.api("new_build_available").text == "[false,null]")
      })
  }

  @Test func updateWaitsForTheBuildSwapsKeepsTheSaveAndRestarts() throws {
    let fixture = BuildAPIFixture()
    defer { fixture.destroy() }
    fixture.build(fixture.buildName, time: old)
    fixture.build("candidate", time: new)
    fixture.write(".lock", "run\n")
    let restarted = fixture.root + "/restarted"
    let server = try fixture.start(["--restart-command", "echo restarted >> '\(restarted)'"])
    defer { server.stop() }

    var reply = try server.api("update")
    #expect(reply.status == 409)
    #expect(reply.text == #"{"message":"Build in progress"}"#)
    #expect(try server.api("current").text.contains(old))

    fixture.remove(".lock")
    reply = try server.api("update")
    #expect(reply.status == 200)
    #expect(reply.text == #"{"message":"Build updated"}"#)
    #expect(fixture.read("restarted") == "restarted\n")
    #expect(
      try server.api("current").text
        == #"{"build_time":"2021/03/01 10:00:00","workflow":"database"}"#)
    #expect(fixture.check(fixture.buildName) == .success(new))
    #expect(fixture.check(fixture.buildName + ".save") == .success(old))
    #expect(
      fixture.entries == ["candidate", fixture.buildName, fixture.buildName + ".save", "restarted"])

    reply = try server.api("update")
    #expect(reply.status == 200)
    #expect(reply.text == #"{"message":"Build up-to-date"}"#)
    #expect(fixture.read("restarted") == "restarted\n", "no restart without an update")
  }

  @Test func aFailedRestartIsA500AfterTheSwap() throws {
    try withServer(
      ["--restart-command", "echo 'unit failed' >&2; exit 4"],
      setUp: {
        $0.build($0.buildName, time: old)
        $0.build("candidate", time: new)
      },
      body: { fixture, server throws in
        let reply = try server.api("update")
        #expect(reply.status == 500)
        #expect(
          reply.text
            == #"{"message":"Build updated, but the restart command failed: exit status 4: "#
            + #"unit failed"}"#)
        #expect(fixture.check(fixture.buildName) == .success(new))
      })
  }

  @Test func rollbackPutsTheSaveBack() throws {
    try withServer(
      setUp: {
        $0.build($0.buildName, time: old)
        $0.build("candidate", time: new)
      },
      body: { fixture, server throws in
        var reply = try server.api("rollback")
        #expect(reply.status == 409)
        #expect(reply.text == #"{"message":"No rollback copy"}"#)
        #expect(try server.api("update").status == 200)
        reply = try server.api("rollback")
        #expect(reply.status == 200)
        #expect(reply.text == #"{"message":"Build rolled back"}"#)
        #expect(try server.api("current").text.contains(old))
        #expect(fixture.check(fixture.buildName + ".failed") == .success(new))
        #expect(!fixture.exists(fixture.buildName + ".save"))
      })
  }

  @Test func aTokenGuardsUpdateAndRollbackOnly() throws {
    try withServer(
      ["--token", "s3cret"],
      setUp: {
        $0.build($0.buildName, time: new)
      },
      body: { _, server throws in
        #expect(try server.api("status").status == 200)
        #expect(try server.api("current").status == 200)
        for endpoint in ["update", "rollback", "update?token=wrong"] {
          let reply = try server.api(endpoint)
          #expect(reply.status == 401, "\(endpoint)")
          #expect(reply.text.contains("Unauthorized"))
        }
        #expect(
          try server.api("update", headers: ["Authorization": "Bearer wrong"]).status == 401)
        var reply = try server.api("update", headers: ["Authorization": "Bearer s3cret"])
        #expect(reply.status == 200)
        #expect(reply.text == #"{"message":"Build up-to-date"}"#)
        reply = try server.api("update?token=s3cret")
        #expect(reply.status == 200)
        #expect(try server.api("rollback?token=s3cret").status == 409)
      })
  }

  @Test func unknownEndpointsAre404() throws {
    try withServer(
      setUp: { _ in },
      body: { _, server throws in
        let reply = try server.api("nope")
        #expect(reply.status == 404)
        #expect(reply.text == #"{"detail":"Not Found"}"#)
      })
  }

  @Test func refusesANonLoopbackAddressWithoutAToken() throws {
    let fixture = BuildAPIFixture()
    defer { fixture.destroy() }
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:5000"] {
      let result = try TestHosts.deploy([
        "build-api", "--data-folder", fixture.root, "--build-name", fixture.buildName,
        "--listen", listen,
      ])
      #expect(result.status == ExitStatus.usage.rawValue)
      #expect(result.stderr.contains("refusing to listen on"), "\(result.stderr)")
    }
    let missing = try TestHosts.deploy([
      "build-api", "--data-folder", fixture.root + "/nope", "--build-name", fixture.buildName,
    ])
    #expect(missing.status == ExitStatus.usage.rawValue)
    #expect(missing.stderr.contains("not a folder"))
  }

  @Test func startupServesTheRollbackCopyWhenNothingIsServed() throws {
    try withServer(
      setUp: {
        $0.build($0.buildName + ".save", time: old)
        $0.build($0.buildName + ".incoming", time: new, files: 1)
      },
      body: { fixture, server throws in
        #expect(try server.api("current").text.contains(old))
        #expect(fixture.entries == [fixture.buildName])
        #expect(server.log.contains("recovery: nothing was served: served the rollback copy"))
      })
  }
}
