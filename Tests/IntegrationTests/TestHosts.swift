import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// The real sshd daemons started by `scripts/testhosts.sh` (see the README). Integration tests
/// run only when `TESTHOSTS_DIR` points at a running set; `scripts/test.sh` always provides one
/// and sets `DEPLOY_REQUIRE_INTEGRATION=1`, which turns a missing set into a failure, not a skip.
enum TestHosts {
  static let directory: String? = ProcessInfo.processInfo.environment["TESTHOSTS_DIR"]
  static var available: Bool { directory != nil }
  static var dir: String { directory ?? "/nonexistent" }
  static var count: Int {
    Int(ProcessInfo.processInfo.environment["TESTHOSTS_COUNT"] ?? "") ?? 10
  }
  static var basePort: Int {
    Int(ProcessInfo.processInfo.environment["TESTHOSTS_BASE_PORT"] ?? "") ?? 22200
  }

  static var inventoryINI: String { dir + "/inventory.ini" }
  static var knownHosts: String { dir + "/known_hosts" }
  static func key(_ name: String) -> String { dir + "/keys/" + name }
  static func hostName(_ index: Int) -> String { String(format: "host%02d", index) }
  static func port(_ index: Int) -> Int { basePort + index }

  /// A target for host `index`, as the resolver would build it from the harness inventory.
  static func target(
    _ index: Int, transport: TransportKind, user: String = "root", key: String = "id_ed25519",
    knownHosts: [String]? = nil, policy: HostKeyPolicy = .strict, timeout: Double = 5
  ) -> SSHTarget {
    SSHTarget(
      name: hostName(index), hostname: "127.0.0.1", port: port(index), user: user,
      identityFiles: key.isEmpty ? [] : [self.key(key)], identitiesOnly: !key.isEmpty,
      knownHostsFiles: knownHosts ?? [self.knownHosts], hostKeyPolicy: policy,
      connectTimeout: timeout, transport: transport)
  }

  /// Starts or stops one host's sshd through the harness.
  static func harness(_ verb: String, _ host: String) throws {
    let script = repositoryRoot + "/scripts/testhosts.sh"
    let result = try ChildProcess.capture([script, verb, host, "-d", dir])
    try #require(result.exit.status == 0, "testhosts.sh \(verb) \(host): \(result.stderr)")
  }

  static var repositoryRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }

  /// The `deploy` binary built beside this test bundle.
  static var deployBinary: String {
    let executable =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // Swift Testing on Linux runs from `<bin>/deployPackageTests.xctest`.
    while !FileManager.default.fileExists(atPath: directory.path + "/deploy"),
      directory.path != "/"
    {
      directory.deleteLastPathComponent()
    }
    return directory.path + "/deploy"
  }

  /// This process's environment without GitHub Actions' variables: when the tests themselves run
  /// in a job, `deploy` must not write annotations, outputs and summaries into that job.
  static var environmentOutsideGitHubActions: [String: String] {
    ProcessInfo.processInfo.environment.filter {
      !["GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"].contains($0.key)
    }
  }

  /// Runs the `deploy` binary as a user would.
  /// `wrapper` runs it through another command (`ip netns exec NS`).
  static func deploy(
    _ arguments: [String], environment extra: [String: String] = [:], wrapper: [String] = []
  ) throws
    -> (status: Int32, stdout: String, stderr: String)
  {
    var env = environmentOutsideGitHubActions
    env["NO_COLOR"] = "1"
    env.merge(extra) { $1 }
    var out: [UInt8] = []
    var err: [UInt8] = []
    let exit = try ChildProcess.run(
      wrapper + [deployBinary] + arguments, environment: env, timeout: 150
    ) {
      if $0 == .stdout { out += $1 } else { err += $1 }
    }
    return (exit.status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }
}

/// All tests against the shared test hosts, one at a time: some stop a host or set process-wide
/// environment (SSH_AUTH_SOCK, DEPLOY_SSH_PASSPHRASE) that would disturb tests running beside them.
@Suite(.serialized, .enabled(if: TestHosts.available))
struct Integration {
  static let transports: [TransportKind] = [.libssh2, .openssh]
}

@Suite struct IntegrationPrerequisites {
  /// Without this, a CI run whose hosts failed to start would "pass" by skipping everything.
  @Test func testHostsAreRunningWhenRequired() {
    if ProcessInfo.processInfo.environment["DEPLOY_REQUIRE_INTEGRATION"] == "1" {
      #expect(TestHosts.available, "TESTHOSTS_DIR is not set: run scripts/test.sh")
    }
  }
}
