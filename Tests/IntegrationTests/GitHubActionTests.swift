import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeployLedger
@testable import DeploySupport

extension Integration {
  /// The composite action (action.yml) run as a GitHub runner would run it
  /// (`scripts/run-action.py`: inputs, `${{ }}` expressions, a fresh $GITHUB_OUTPUT per step,
  /// `::add-mask::`), with the `deploy` binary built beside the tests (`DEPLOY_BINARY`), its key
  /// in the action's ssh-agent and its known_hosts from the input, against the test hosts.
  @Suite struct GitHubActionTests {
    /// `build.sh`, then a step that fails for v1: v2 deploys, v1 fails on every host.
    static let steps = """
            steps:
              - name: build
                run: ./build.sh
              - name: check
                run: test "$DEPLOY_VERSION" != v1
      """

    @Test func deploysWithOutputsSummaryAndGroupsAndNeverShowsTheKey() throws {
      let app = try GitAppFixture(steps: Self.steps)
      defer { app.remove() }
      try Self.onlyTheActionGivesKeyAndKnownHosts(app)
      let run = try ActionRun(
        app: app,
        inputs: [
          "command": "demo-app test", "version": "v2", "config": app.projectFile,
          "ssh-key": try Self.privateKey(), "known-hosts": try Self.knownHosts(),
        ])
      #expect(run.status == 0, "\(run.log)")
      let runID = run.outputs["run-id"] ?? ""
      #expect(RunID.isValid(runID), "\(run.outputs)")
      #expect(run.outputs["outcome"] == "succeeded")
      #expect(run.outputs["hosts-failed"] == "0")
      #expect(run.outputs["version"] == "v2")
      #expect(run.outputs["exit-code"] == "0")
      #expect((run.outputs["commit"] ?? "").count == 40, "\(run.outputs)")
      #expect(run.summary.contains("### deploy demo-app test v2: succeeded"), "\(run.summary)")
      #expect(run.summary.contains("| Host | Outcome | Version | Commit | Duration | Message |"))
      #expect(run.summary.contains("| host01 | ✅ succeeded | v2 |"), "\(run.summary)")
      #expect(run.summary.contains("| host02 | ✅ succeeded | v2 |"), "\(run.summary)")
      #expect(run.log.contains("::group::host01: ok"), "\(run.log)")
      #expect(run.log.contains("::endgroup::"))
      #expect(app.read(app.buildFolder(1) + "/\(runID)/data.txt") == "v2\n")
      try run.expectNoSecretsAndNoLeftovers()
    }

    @Test func aFailedBuildIsAnErrorAnnotationPerHost() throws {
      let app = try GitAppFixture(steps: Self.steps)
      defer { app.remove() }
      try Self.onlyTheActionGivesKeyAndKnownHosts(app)
      let run = try ActionRun(
        app: app,
        inputs: [
          "command": "demo-app test v1", "config": app.projectFile,
          "ssh-key": try Self.privateKey(), "known-hosts": try Self.knownHosts(),
        ])
      #expect(run.status == 1, "\(run.log)")
      #expect(run.outputs["outcome"] == "failed", "\(run.outputs)")
      #expect(run.outputs["hosts-failed"] == "2")
      #expect(run.outputs["exit-code"] == "1")
      #expect(run.log.contains("::error title=host host01::"), "\(run.log)")
      #expect(run.log.contains("::error title=host host02::"), "\(run.log)")
      #expect(run.log.contains("::group::host01: build-failed"), "\(run.log)")
      #expect(run.summary.contains("| host01 | ❌ build-failed |"), "\(run.summary)")
      #expect(run.summary.contains("exit code 1"))
      try run.expectNoSecretsAndNoLeftovers()
    }

    @Test func aDetachedBuildSaysHowToFollowIt() throws {
      let app = try GitAppFixture(steps: Self.steps)
      defer { app.remove() }
      let run = try ActionRun(
        app: app,
        inputs: [
          "command": "demo-app test", "version": "v2", "detach": "true",
          "config": app.projectFile, "ssh-key": try Self.privateKey(),
        ])
      #expect(run.status == 0, "\(run.log)")
      let runID = run.outputs["run-id"] ?? ""
      #expect(run.outputs["outcome"] == "started", "\(run.outputs)")
      #expect(run.summary.contains("deploy logs demo-app test \(runID) --follow"), "\(run.summary)")
      // Let the detached builds end before the fixture goes.
      for host in 1...2 {
        try app.waitFor("the build on host \(host)") {
          app.exists(app.buildFolder(host) + "/\(runID)/build_info.yml")
        }
      }
      try run.expectNoSecretsAndNoLeftovers()
    }

    @Test func anEncryptedKeyAndHostKeysAcceptedOnFirstUse() throws {
      let app = try GitAppFixture(steps: Self.steps)
      defer { app.remove() }
      try Self.onlyTheActionGivesKeyAndKnownHosts(app)
      let passphrase = try String(contentsOfFile: TestHosts.key("passphrase"), encoding: .utf8)
      let run = try ActionRun(
        app: app,
        inputs: [
          "command": "demo-app test", "version": "v2", "config": app.projectFile,
          "ssh-key": try String(
            contentsOfFile: TestHosts.key("id_ed25519_enc"), encoding: .utf8),
          "ssh-passphrase": passphrase, "accept-new-host-keys": "true",
        ])
      #expect(run.status == 0, "\(run.log)")
      #expect(run.outputs["outcome"] == "succeeded", "\(run.outputs)")
      #expect(run.log.contains("--host-key-checking accept-new"), "\(run.log)")
      #expect(!run.log.contains(passphrase))
      try run.expectNoSecretsAndNoLeftovers(key: "id_ed25519_enc")
    }

    @Test func configurationErrorsAreAnnotationsOnTheFile() throws {
      let app = try GitAppFixture(steps: Self.steps)
      defer { app.remove() }
      try sh("sed -i 's/kind: git/kind: gitx/' \(app.projectFile)")
      let files = ActionRun.files(in: app.directory)
      let result = try TestHosts.deploy(
        ["demo-app", "test"],
        environment: [
          "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": app.directory,
          "GITHUB_OUTPUT": files.output, "GITHUB_STEP_SUMMARY": files.summary,
          "DEPLOY_CONFIG": app.projectFile, "DEPLOY_BUILD_API_TOKEN": "token-to-hide-1234",
        ])
      #expect(result.status == 2)
      #expect(result.stderr.contains("::add-mask::token-to-hide-1234"), "\(result.stderr)")
      #expect(
        result.stderr.contains("::error file=deploy.yml,line="), "\(result.stderr)")
      #expect(result.stderr.contains("::unknown kind 'gitx'"), "\(result.stderr)")
      let outputs = ActionRun.parseOutputs(app.read(files.output) ?? "")
      #expect(outputs["outcome"] == "error")
      #expect(outputs["exit-code"] == "2")
    }

    // MARK: Helpers

    /// Removes the key file from the inventory and the known_hosts file from the project: the
    /// hosts are reached only with the action's agent and known-hosts input.
    static func onlyTheActionGivesKeyAndKnownHosts(_ app: GitAppFixture) throws {
      try sh(
        """
        sed -i 's| ansible_ssh_private_key_file=[^ ]*||' \(app.directory)/inventory.ini
        sed -i '/^  known_hosts:/d' \(app.projectFile)
        """)
    }

    static func privateKey() throws -> String {
      try String(contentsOfFile: TestHosts.key("id_ed25519"), encoding: .utf8)
    }

    static func knownHosts() throws -> String {
      try String(contentsOfFile: TestHosts.knownHosts, encoding: .utf8)
    }
  }
}

/// One run of action.yml through scripts/run-action.py.
struct ActionRun {
  let status: Int32
  let log: String
  let outputs: [String: String]
  let summary: String
  let directory: String
  let runnerTemp: String

  static func files(in directory: String) -> (output: String, summary: String) {
    (directory + "/github-output", directory + "/step-summary.md")
  }

  init(app: GitAppFixture, inputs: [String: String]) throws {
    directory = app.directory + "/action-" + UUID().uuidString.prefix(6)
    runnerTemp = directory + "/runner-temp"
    try FileManager.default.createDirectory(atPath: runnerTemp, withIntermediateDirectories: true)
    let files = Self.files(in: directory)
    // The inputs (the key among them) stand for the repository's secrets: not in `directory`,
    // which holds only what the run wrote, and gone after it.
    let inputsFile = directory + ".inputs.json"
    try JSONSerialization.data(withJSONObject: inputs).write(to: URL(fileURLWithPath: inputsFile))
    defer { try? FileManager.default.removeItem(atPath: inputsFile) }
    var env = TestHosts.environmentOutsideGitHubActions
    // Only the action's agent may hold the key.
    env.removeValue(forKey: "SSH_AUTH_SOCK")
    env.merge([
      "RUNNER_TEMP": runnerTemp, "GITHUB_OUTPUT": files.output,
      "GITHUB_STEP_SUMMARY": files.summary, "GITHUB_WORKSPACE": app.directory,
      "GITHUB_REPOSITORY": "example/deploy", "DEPLOY_BINARY": TestHosts.deployBinary,
      "DEPLOY_LEDGER": app.ledger, "NO_COLOR": "1",
    ]) { $1 }
    var out: [UInt8] = []
    let root = TestHosts.repositoryRoot
    let exit = try ChildProcess.run(
      ["python3", root + "/scripts/run-action.py", root, inputsFile], environment: env,
      timeout: 180
    ) { _, bytes in out += bytes }
    status = exit.status
    log = String(decoding: out, as: UTF8.self)
    outputs = Self.parseOutputs(
      (try? String(contentsOfFile: files.output, encoding: .utf8)) ?? "")
    summary = (try? String(contentsOfFile: files.summary, encoding: .utf8)) ?? ""
  }

  /// `name=value` lines and `name<<DELIMITER` blocks.
  static func parseOutputs(_ text: String) -> [String: String] {
    var values: [String: String] = [:]
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
    while let line = lines.popFirst() {
      if let range = line.range(of: "<<") {
        let delimiter = line[range.upperBound...]
        var body: [Substring] = []
        while let next = lines.popFirst(), next != delimiter { body.append(next) }
        values[String(line[..<range.lowerBound])] = body.joined(separator: "\n")
      } else if let equals = line.firstIndex(of: "=") {
        values[String(line[..<equals])] = String(line[line.index(after: equals)...])
      }
    }
    return values
  }

  /// The key's base64 body is nowhere: not in the log, the outputs, the summary, or any file
  /// left in RUNNER_TEMP (the agent's folder is removed, the agent stopped).
  func expectNoSecretsAndNoLeftovers(key name: String = "id_ed25519") throws {
    let key = try String(contentsOfFile: TestHosts.key(name), encoding: .utf8)
    let body = key.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }
    #expect(!body.isEmpty)
    var texts = ["log": log, "summary": summary, "outputs": "\(outputs)"]
    if let files = FileManager.default.enumerator(atPath: directory) {
      for case let file as String in files where !file.contains("deploy-bin/") {
        texts[file] = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)
      }
    }
    for (name, text) in texts {
      let leaked = body.contains { text.contains($0) }
      #expect(!leaked, "the private key appears in \(name)")
    }
    #expect(!log.contains("::add-mask::"), "the runner consumes add-mask commands")
    let left = (try? FileManager.default.contentsOfDirectory(atPath: runnerTemp)) ?? []
    #expect(left.filter { $0.hasPrefix("deploy-ssh.") }.isEmpty, "left in RUNNER_TEMP: \(left)")
  }
}
