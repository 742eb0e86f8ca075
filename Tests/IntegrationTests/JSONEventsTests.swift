import Foundation
import Testing

@testable import DeploySupport

/// Every `--json` line of `exec`, a deploy, a rollback and `play` validates against
/// docs/events.schema.json (with Debian's python3-jsonschema, through
/// scripts/check-json-events.py), and carries no prose but an error's message, which has a code.
enum JSONEventSchema {
  /// Validates `output`'s lines; records each line that does not validate.
  static func check(_ output: String, _ what: String) throws {
    let script = TestHosts.repositoryRoot + "/scripts/check-json-events.py"
    let result = try ChildProcess.capture([script], stdin: Array(output.utf8), timeout: 60)
    #expect(result.exit.status == 0, "\(what): \(result.stdout)\(result.stderr)")
  }

  /// The events of `output`, parsed.
  static func events(_ output: String) throws -> [[String: Any]] {
    try output.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  /// Where a free-text `message` may appear: only inside an `error`.
  static func messagesOutsideErrors(_ value: Any, path: String = "") -> [String] {
    switch value {
    case let object as [String: Any]:
      return object.flatMap { key, child -> [String] in
        if key == "message" && !path.hasSuffix("error") && !path.contains("owner") {
          return [path + "." + key]
        }
        return messagesOutsideErrors(child, path: path + "." + key)
      }
    case let array as [Any]:
      return array.flatMap { messagesOutsideErrors($0, path: path + "[]") }
    default:
      return []
    }
  }
}

extension Integration {
  @Suite struct JSONEventsTests {
    @Test func execLinesValidateAndErrorsCarryACode() throws {
      let base = [
        "exec", "-i", TestHosts.inventoryINI, "--known-hosts", TestHosts.knownHosts, "--json",
        "-l", "host01,host02,host03",
      ]
      try TestHosts.harness("stop-host", "host03")
      defer { try? TestHosts.harness("start-host", "host03") }
      let result = try TestHosts.deploy(base + ["--", "echo out; echo err >&2; exit 3"])
      #expect(result.status == ExitStatus.unreachable.rawValue)
      try JSONEventSchema.check(result.stdout, "exec")
      let events = try JSONEventSchema.events(result.stdout)
      #expect(events.count == 3)
      let unreachable = try #require(events.first { $0["host"] as? String == "host03" })
      let error = try #require(unreachable["error"] as? [String: Any])
      #expect(error["code"] as? String == "unreachable", "\(error)")
      #expect((error["message"] as? String)?.contains("refused") == true)
      #expect(events.allSatisfy { $0["v"] as? Int == 1 })
    }

    /// A deploy, an activation that fails its health check and is rolled back, a prune and a
    /// `deploy rollback`: every kind of activation step is in the lines, all valid.
    @Test func deployAndRollbackLinesValidate() throws {
      // Healthy unless the served build is v3 (the fixture's folder is known once it exists).
      let served = "@DIR@/hosts/{{ inventory_hostname }}/demo-app/build/current/data.txt"
      let app = try GitAppFixture(
        steps: GitAppFixture.buildScript,
        appExtra: GitAppFixture.symlinkActivation()
          + "\n    health: {command: \"! grep -q v3 \(served)\", retries: 1}\n    keep: 2")
      defer { app.remove() }
      let project = try String(contentsOfFile: app.projectFile, encoding: .utf8)
      try project.replacing("@DIR@", with: app.directory).write(
        toFile: app.projectFile, atomically: true, encoding: .utf8)
      var output = ""
      func run(_ arguments: [String], expect status: DeploySupport.ExitStatus) throws {
        let result = try app.deploy(arguments + ["--json"])
        #expect(
          result.status == status.rawValue, "\(arguments): \(result.stdout)\n\(result.stderr)")
        output += result.stdout
      }
      try run(["demo-app", "test", "v1"], expect: .success)
      try run(["demo-app", "test", "v2"], expect: .success)
      try app.tag("v3")
      try run(["demo-app", "test", "v3"], expect: .rolledBack)
      try run(["rollback", "demo-app", "test"], expect: .success)
      try JSONEventSchema.check(output, "deploy and rollback")
      let events = try JSONEventSchema.events(output)
      let steps = Set(events.compactMap { $0["step"] as? String })
      for step in [
        "link-switched", "restarted", "health-passed", "rolling-back", "rollback-started",
        "rollback-verified",
      ] {
        #expect(steps.contains(step), "no \(step) step in \(steps)")
      }
      let rolledBack = try #require(events.first { $0["step"] as? String == "rolling-back" })
      let cause = try #require(rolledBack["error"] as? [String: Any])
      #expect(cause["code"] as? String == "activation-failed")
      #expect((cause["message"] as? String)?.contains("health check failed") == true)
      let finished = events.filter { $0["event"] as? String == "host-finished" }
      let failed = try #require(finished.first { $0["outcome"] as? String != "ok" })
      #expect(
        (failed["error"] as? [String: Any])?["code"] as? String == failed["outcome"] as? String)
      #expect(JSONEventSchema.messagesOutsideErrors(events).isEmpty)
    }

    @Test func playLinesValidate() throws {
      let book = NSTemporaryDirectory() + "deploy-json-play-" + UUID().uuidString + ".yml"
      defer { try? FileManager.default.removeItem(atPath: book) }
      try """
      - hosts: host01,host03
        gather_facts: false
        tasks:
          - name: Says hello
            command: echo hello
          - name: Changes nothing
            stat: {path: /}
      """.write(toFile: book, atomically: true, encoding: .utf8)
      try TestHosts.harness("stop-host", "host03")
      defer { try? TestHosts.harness("start-host", "host03") }
      let result = try TestHosts.deploy(
        [
          "play", book, "--json", "-i", TestHosts.inventoryINI, "--known-hosts",
          TestHosts.knownHosts,
        ])
      #expect(result.status == ExitStatus.unreachable.rawValue, "\(result.stderr)")
      try JSONEventSchema.check(result.stdout, "play")
      let events = try JSONEventSchema.events(result.stdout)
      #expect(
        Set(events.compactMap { $0["event"] as? String }) == ["play", "task", "result", "recap"])
      let unreachable = try #require(events.first { $0["status"] as? String == "unreachable" })
      #expect((unreachable["error"] as? [String: Any])?["code"] as? String == "unreachable")
    }
  }
}
