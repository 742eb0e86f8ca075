import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// The container runtime the activation tests stand on: the local test-app image runs `deploy`,
/// a container writes into its host folder, `docker restart` gives it a new process, and a
/// server in it answers on our loopback. Every wait has a deadline.
@Suite(.serialized, .enabled(if: TestContainers.available))
struct ContainerTests {
  let image: String

  init() throws {
    image = try TestContainers.ensureImage()
  }

  @Test func deployRunsInsideTheImage() throws {
    let help = try TestContainers.docker(
      ["run", "--rm", image, "/usr/local/bin/deploy", "--help"], timeout: 60)
    #expect(help.contains("OVERVIEW: Deploy applications"), "\(help)")
    let execHelp = try TestContainers.docker(
      ["run", "--rm", image, "deploy", "exec", "--help"], timeout: 60)
    #expect(execHelp.contains("Run a shell command on hosts in parallel"), "\(execHelp)")
  }

  @Test func aContainerWritesIntoItsFolderAndRestartsAsANewProcess() throws {
    let name = "deploy-containertests-loop"
    let folder = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    defer { TestContainers.remove(name: name) }

    // Traps TERM (as PID 1 it would otherwise ignore it and `docker restart` would wait 10 s);
    // `sleep & wait` lets the trap run at once.
    let script = """
      trap 'echo stopping; exit 0' TERM
      echo "started $$" >> /data/starts
      echo hello from the container
      n=0
      while :; do n=$((n + 1)); echo $n > /data/beat; sleep 0.1 & wait $!; done
      """
    try TestContainers.run(
      name: name, image: image, mounts: [(host: folder, container: "/data")],
      command: ["/bin/sh", "-c", script])
    let starts = folder + "/starts"
    #expect(
      TestContainers.wait(timeout: 10) { Self.lines(starts) == 1 },
      "\(TestContainers.logs(name: name))")
    #expect(TestContainers.wait(timeout: 10) { Self.lines(folder + "/beat") == 1 })
    #expect(TestContainers.status(name: name) == "running")
    let first = try TestContainers.pid(name: name)
    #expect(FileManager.default.fileExists(atPath: "/proc/\(first)"))

    let before = Date()
    try TestContainers.restart(name: name)
    let restartSeconds = Date().timeIntervalSince(before)
    #expect(
      restartSeconds < 5, "docker restart took \(restartSeconds) s: the TERM trap did not run")
    let second = try TestContainers.pid(name: name)
    #expect(second != first)
    #expect(
      TestContainers.wait(timeout: 10) { !FileManager.default.fileExists(atPath: "/proc/\(first)") }
    )
    #expect(TestContainers.wait(timeout: 10) { Self.lines(starts) == 2 })
    let logs = TestContainers.logs(name: name)
    #expect(logs.contains("hello from the container"), "\(logs)")
    #expect(logs.contains("stopping"), "\(logs)")

    TestContainers.remove(name: name)
    #expect(TestContainers.status(name: name) == nil)
    #expect(
      TestContainers.wait(timeout: 10) {
        !FileManager.default.fileExists(atPath: "/proc/\(second)")
      })
  }

  @Test func aServerInAContainerAnswersOnLoopback() throws {
    let name = "deploy-containertests-httpd"
    let folder = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    defer { TestContainers.remove(name: name) }
    try "served from the host folder\n".write(
      toFile: folder + "/hello.txt", atomically: true, encoding: .utf8)
    let port = try TestContainers.freePort()

    try TestContainers.run(
      name: name, image: image, mounts: [(host: folder, container: "/data")],
      command: ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", "/data"])
    // busybox 1.35's static wget crashes (SIGSEGV) with -T: ChildProcess's timeout bounds it.
    var body = ""
    let answered = TestContainers.wait(timeout: 10) {
      let fetch = try? ChildProcess.capture(
        ["/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(port)/hello.txt"],
        timeout: 5)
      body = fetch?.stdout ?? ""
      return fetch?.exit.status == 0
    }
    #expect(answered, "\(TestContainers.logs(name: name))")
    #expect(body == "served from the host folder\n")
  }

  static func temporaryFolder() throws -> String {
    let folder = NSTemporaryDirectory() + "deploy-container-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
  }

  /// The number of lines in a file; 0 if it does not exist (yet).
  static func lines(_ path: String) -> Int {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    return text.split(separator: "\n").count
  }
}

@Suite struct ContainerPrerequisites {
  /// `scripts/test.sh` installs podman (scripts/install-deps.sh): there, no containers is a
  /// failure, not a skip.
  @Test func containersWorkWhenRequired() {
    if ProcessInfo.processInfo.environment["DEPLOY_REQUIRE_INTEGRATION"] == "1" {
      #expect(
        TestContainers.available,
        "no working podman `docker` (\(TestContainers.dockerPath ?? "none found")): run scripts/install-deps.sh"
      )
    }
  }
}
