import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// A git app deployed to the test hosts: a bare repository with tags v1 and v2 (each with a
/// `build.sh` that writes its version into the build), an inventory with stages `test`
/// (host01, host02, or `testHosts` of them) and `prod` (the next host), and a project file. Each host gets its own app folder
/// under the fixture's directory (the test hosts share one filesystem).
struct GitAppFixture {
  let directory: String
  var projectFile: String { directory + "/deploy.yml" }
  var repository: String { directory + "/origin.git" }
  var ledger: String { directory + "/ledger.sqlite" }

  /// `steps` is the YAML of the app's `build:` section's content, indented by six spaces.
  /// `appExtra` is more YAML for the app (indented by four spaces, like `build:`); `hostVars`
  /// gives each of the three hosts extra inventory variables.
  /// The app's folder under each host's folder: `appFolder` as the project file writes it (it
  /// may use host variables), `renderedAppFolder` as it ends up.
  let renderedAppFolder: String

  init(
    steps: String, extraApps: String = "", buildName: String = "demo_database",
    appExtra: String = "", hostVars: (Int) -> String = { _ in "" },
    appFolder: String = "demo-app", renderedAppFolder: String? = nil, testHosts: Int = 2
  ) throws {
    self.renderedAppFolder = renderedAppFolder ?? appFolder
    directory = NSTemporaryDirectory() + "deploy-git-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(
      atPath: directory + "/work", withIntermediateDirectories: true)
    let work = directory + "/work"
    try sh(
      """
      set -e
      git init -q -b main \(work)
      cd \(work)
      git config user.email test@example.org && git config user.name test
      printf '#!/bin/sh\\necho "building v1"\\necho v1 > "$DEPLOY_BUILD_DIR/data.txt"\\n' > build.sh
      chmod +x build.sh && git add build.sh && git commit -q -m v1 && git tag v1
      printf '#!/bin/sh\\necho "building v2"\\necho v2 > "$DEPLOY_BUILD_DIR/data.txt"\\n' > build.sh
      git commit -q -am v2 && git tag v2
      git clone -q --bare \(work) \(repository)
      """)
    let hosts = (1...testHosts + 1).map { index in
      "\(TestHosts.hostName(index)) ansible_host=127.0.0.1 ansible_port=\(TestHosts.port(index))"
        + " ansible_user=root ansible_ssh_private_key_file=\(TestHosts.key("id_ed25519"))"
        + " " + hostVars(index)
    }
    try """
    [test]
    \(hosts.dropLast().joined(separator: "\n"))

    [prod]
    \(hosts.last!)
    """.write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
    try """
    inventory: inventory.ini
    stages: [test, prod]
    ssh:
      known_hosts: \(TestHosts.knownHosts)
      host_key_checking: strict
    ledger: \(ledger)
    apps:
      demo-app:
        kind: git
        repository: \(repository)
        ref: v1
        path: "\(directory)/hosts/{{ inventory_hostname }}/\(appFolder)"
        build_name: \(buildName)
        build:
    \(steps)
    \(appExtra)
    \(extraApps)
    """.write(toFile: projectFile, atomically: true, encoding: .utf8)
  }

  /// `build:`'s content for one step that runs the repository's `build.sh`.
  static let buildScript = "      steps:\n        - run: ./build.sh"

  /// `appExtra` for the symlink strategy with a restart command, and `keep:` if given.
  static func symlinkActivation(restart: String = "true", keep: Int? = nil) -> String {
    "    activate:\n      strategy: symlink\n      restart: {command: \(String(reflecting: restart))}"
      + (keep.map { "\n    keep: \($0)" } ?? "")
  }

  /// Commits a new `build.sh` that writes `version` into the build, tagged `version`.
  func tag(_ version: String) throws {
    try sh(
      """
      set -e
      cd \(directory)/work
      printf '#!/bin/sh\\necho "building \(version)"\\necho \(version) > "$DEPLOY_BUILD_DIR/data.txt"\\n' > build.sh
      git commit -q -am \(version) && git tag \(version) && git push -q \(repository) main \(version)
      """)
  }

  func root(_ host: Int) -> String {
    directory + "/hosts/\(TestHosts.hostName(host))/" + renderedAppFolder
  }
  func buildFolder(_ host: Int) -> String { root(host) + "/build" }

  func deploy(_ arguments: [String], environment: [String: String] = [:]) throws -> (
    status: Int32, stdout: String, stderr: String
  ) {
    try TestHosts.deploy(
      arguments,
      environment: ["DEPLOY_LEDGER": ledger, "DEPLOY_CONFIG": projectFile].merging(environment) {
        $1
      })
  }

  /// Starts `deploy` without waiting, for tests that kill or interrupt it.
  func start(_ arguments: [String]) throws -> BackgroundDeploy {
    try BackgroundDeploy(arguments: arguments, project: projectFile, ledger: ledger, in: directory)
  }

  func read(_ path: String) -> String? {
    try? String(contentsOfFile: path, encoding: .utf8)
  }

  func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  /// Waits (up to `timeout` seconds) until `condition` holds.
  func waitFor(_ what: String, timeout: Double = 30, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
      try #require(Date() < deadline, "timed out waiting for \(what)")
      Thread.sleep(forTimeInterval: 0.1)
    }
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A `deploy` process running in the background, its output going to files.
final class BackgroundDeploy {
  let process = Process()
  let stdoutPath: String
  let stderrPath: String

  init(arguments: [String], project: String, ledger: String, in directory: String) throws {
    let id = UUID().uuidString.prefix(6)
    stdoutPath = directory + "/bg-\(id).out"
    stderrPath = directory + "/bg-\(id).err"
    FileManager.default.createFile(atPath: stdoutPath, contents: nil)
    FileManager.default.createFile(atPath: stderrPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: TestHosts.deployBinary)
    process.arguments = arguments
    var env = TestHosts.environmentOutsideGitHubActions
    env["NO_COLOR"] = "1"
    env["DEPLOY_LEDGER"] = ledger
    env["DEPLOY_CONFIG"] = project
    process.environment = env
    process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
    process.standardError = FileHandle(forWritingAtPath: stderrPath)
    process.standardInput = FileHandle.nullDevice
    try process.run()
  }

  func signal(_ signo: Int32) { kill(process.processIdentifier, signo) }

  /// Waits for the process to end (at most `timeout` seconds) and returns its status.
  func wait(timeout: Double = 60) throws -> Int32 {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        process.terminate()
        Issue.record("deploy did not end within \(timeout)s")
        break
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    return process.terminationReason == .uncaughtSignal
      ? 128 + process.terminationStatus : process.terminationStatus
  }

  var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
  var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

@discardableResult
func sh(_ script: String) throws -> String {
  let result = try ChildProcess.capture(["/bin/sh", "-c", script])
  try #require(result.exit.status == 0, "sh failed: \(script)\n\(result.stderr)")
  return result.stdout
}
