import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

#if canImport(Glibc)
  import Glibc
#endif

/// Real containers on this machine, through podman-docker's `docker` command (podman underneath;
/// `scripts/install-deps.sh` installs it and writes the settings it needs here — runc, cgroupfs,
/// rlimits within ours — to /etc/containers/containers.conf.d/deploy-tests.conf, so no command
/// below needs extra flags). Test hosts are sshd daemons on this same machine, so a container
/// "on a host" runs here too; `--network host` puts its servers on our loopback.
enum TestContainers {
  /// podman-docker's `docker`: `DEPLOY_TEST_DOCKER` if set, else the first `docker` on PATH (or
  /// /usr/bin/docker) that is podman. A Docker CLI without an engine may come first on PATH (as
  /// /usr/local/bin/docker does on the development machine): it is skipped.
  static let dockerPath: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["DEPLOY_TEST_DOCKER"], !explicit.isEmpty { return explicit }
    var candidates: [String] = []
    for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    where !directory.isEmpty {
      candidates.append(directory + "/docker")
    }
    candidates.append("/usr/bin/docker")
    var seen: Set<String> = []
    for candidate in candidates where seen.insert(candidate).inserted {
      guard FileManager.default.isExecutableFile(atPath: candidate),
        let version = try? ChildProcess.capture([candidate, "--version"], timeout: 10),
        version.exit.status == 0, version.stdout.lowercased().contains("podman")
      else { continue }
      return candidate
    }
    return nil
  }()

  /// A `docker` that is podman, and podman answers.
  static let available: Bool = {
    guard let dockerPath else { return false }
    let info = try? ChildProcess.capture(
      [dockerPath, "info", "--format", "{{.Host.OCIRuntime.Name}}"], timeout: 30)
    return info?.exit.status == 0
  }()

  static let defaultImage = "localhost/deploy-test-app:latest"

  /// Builds (or finds up to date) the image that runs `TestHosts.deployBinary` as
  /// /usr/local/bin/deploy, with busybox as /bin/sh and friends; returns its tag.
  static func ensureImage(tag: String = defaultImage) throws -> String {
    let script = TestHosts.repositoryRoot + "/scripts/test-app-image.sh"
    let result = try ChildProcess.capture([script, TestHosts.deployBinary, tag], timeout: 300)
    guard result.exit.status == 0 else {
      throw Failure(command: [script, TestHosts.deployBinary, tag], result: result)
    }
    return result.stdout.split(separator: "\n").last.map(String.init) ?? tag
  }

  /// `docker run -d --name NAME --network host [-v HOST:CONTAINER]... [extra] IMAGE COMMAND...`,
  /// after removing a container of the same name left by an earlier run. `extraArguments` go
  /// before the image: `--stop-timeout 2` for a main process that ignores SIGTERM (PID 1 in a
  /// container ignores every signal it has no handler for, so `docker restart` would wait 10 s).
  static func run(
    name: String, image: String, mounts: [(host: String, container: String)], command: [String],
    extraArguments: [String] = []
  ) throws {
    remove(name: name)
    var arguments = ["run", "-d", "--name", name, "--network", "host"]
    for mount in mounts { arguments += ["-v", "\(mount.host):\(mount.container)"] }
    try docker(arguments + extraArguments + [image] + command, timeout: 60)
  }

  /// The container's main process, as a PID on this machine.
  static func pid(name: String) throws -> Int {
    let output = try docker(["inspect", "-f", "{{.State.Pid}}", name], timeout: 30)
    guard let pid = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
      throw Failure(description: "container \(name) has no running process (pid \(output))")
    }
    return pid
  }

  /// `{{.State.Status}}`: running, exited, ...; nil when there is no such container.
  static func status(name: String) -> String? {
    guard let dockerPath,
      let result = try? ChildProcess.capture(
        [dockerPath, "inspect", "-f", "{{.State.Status}}", name], timeout: 30),
      result.exit.status == 0
    else { return nil }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func restart(name: String) throws {
    try docker(["restart", name], timeout: 60)
  }

  /// Stops (without waiting: SIGKILL) and removes the container; nothing if there is none.
  static func remove(name: String) {
    guard let dockerPath else { return }
    _ = try? ChildProcess.capture([dockerPath, "rm", "-f", "--time", "0", name], timeout: 60)
  }

  /// The container's stdout and stderr so far (interleaved as podman stored them).
  static func logs(name: String) -> String {
    guard let dockerPath,
      let result = try? ChildProcess.capture([dockerPath, "logs", name], timeout: 30)
    else { return "" }
    return result.stdout + result.stderr
  }

  /// A TCP port free on 127.0.0.1 right now (the kernel's pick), for a server in a container.
  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard bound else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  /// Polls `condition` every 50 ms until it holds or `timeout` seconds have passed.
  static func wait(timeout: Double, until condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if try condition() { return true }
      if Date() >= deadline { return false }
      usleep(50_000)
    }
  }

  /// Runs `docker ARGUMENTS`; returns its stdout, throws with its stderr if it fails.
  @discardableResult
  static func docker(_ arguments: [String], timeout: Double) throws -> String {
    guard let dockerPath else {
      throw Failure(description: "no podman-docker `docker` (scripts/install-deps.sh installs it)")
    }
    let result = try ChildProcess.capture([dockerPath] + arguments, timeout: timeout)
    guard result.exit.status == 0, !result.exit.timedOut else {
      throw Failure(command: [dockerPath] + arguments, result: result)
    }
    return result.stdout
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String

    init(description: String) { self.description = description }

    init(command: [String], result: (exit: ChildProcess.Exit, stdout: String, stderr: String)) {
      let how =
        result.exit.timedOut
        ? "timed out"
        : result.exit.signal.map { "killed by SIG\($0)" } ?? "exit \(result.exit.status)"
      description = "\(command.joined(separator: " ")): \(how): \(result.stderr)\(result.stdout)"
    }
  }
}
