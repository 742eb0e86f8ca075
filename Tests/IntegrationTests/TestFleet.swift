import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// The fleet of Debian hosts started by `scripts/fleet.sh` (see the README): each host has its
/// own root filesystem and dpkg/apt state, its own sshd on `127.0.0.1:PORT`, and (started with
/// `--packages`) an apt repository of test packages. Fleet tests run only when `FLEET_DIR` points
/// at a running fleet; `scripts/test.sh` always starts one, and with
/// `DEPLOY_REQUIRE_INTEGRATION=1` a missing fleet is a failure, not a skip.
enum TestFleet {
  static let directory: String? = ProcessInfo.processInfo.environment["FLEET_DIR"]
  static var available: Bool { directory != nil }
  static var dir: String { directory ?? "/nonexistent" }

  /// `DIR/fleet.env`, as `KEY=VALUE` lines.
  static let environment: [String: String] = {
    guard let directory,
      let text = try? String(contentsOfFile: directory + "/fleet.env", encoding: .utf8)
    else { return [:] }
    var values: [String: String] = [:]
    for line in text.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      values[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return values
  }()

  /// Host names in inventory order: `test1 test2 prod1 prod2` for four hosts.
  static var hosts: [String] {
    (environment["FLEET_HOSTS"] ?? "").split(separator: " ").map(String.init)
  }
  static func port(_ host: String) -> Int { Int(environment["FLEET_PORT_" + host] ?? "") ?? 0 }
  static var inventoryPath: String { dir + "/inventory.ini" }
  static var knownHosts: String { dir + "/known_hosts" }
  static var key: String { dir + "/keys/id_ed25519" }
  static var sshConfig: String { dir + "/ssh_config" }
  /// The fleet was started with `--packages`: the test packages are installable on every host.
  static var hasPackages: Bool { environment["FLEET_PACKAGES"] == "1" }
  /// Started with `--provision-packages`: git, tmux, curl… installable offline (provision.yml).
  static var hasProvisionPackages: Bool { !(environment["FLEET_PROVISION_PACKAGES"] ?? "").isEmpty }

  /// A target for `host`, as the resolver builds it from the fleet's inventory.
  static func target(
    _ host: String, transport: TransportKind = .auto, policy: HostKeyPolicy = .strict,
    timeout: Double = 10
  ) -> SSHTarget {
    SSHTarget(
      name: host, hostname: "127.0.0.1", port: port(host), user: "root", identityFiles: [key],
      identitiesOnly: true, knownHostsFiles: [knownHosts], hostKeyPolicy: policy,
      connectTimeout: timeout, transport: transport)
  }

  struct CommandFailed: Error, CustomStringConvertible {
    let host: String
    let command: String
    let status: Int32
    let stderr: String
    var description: String { "\(host): `\(command)` exited \(status): \(stderr)" }
  }

  /// Runs `command` (a shell command line) as root inside `host`, not over SSH (`fleet.sh exec`:
  /// chroot into the host's root), and returns its standard output; throws if it fails.
  @discardableResult
  static func exec(_ host: String, _ command: String, timeout: Double = 120) throws -> String {
    let script = TestHosts.repositoryRoot + "/scripts/fleet.sh"
    let result = try ChildProcess.capture(
      [script, "exec", host, "-d", dir, "--", "/bin/sh", "-c", command], timeout: timeout)
    guard result.exit.status == 0 else {
      throw CommandFailed(
        host: host, command: command, status: result.exit.status, stderr: result.stderr)
    }
    return result.stdout
  }
}
