import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport
@testable import HostShell

/// The test hosts of `scripts/netns-hosts.sh`: sshd daemons on their own addresses inside the
/// network namespace deploytest-ns, where links can be cut, silenced or made lossy without
/// touching the machine's own network. `scripts/test.sh` starts three.
enum NetnsHosts {
  static let directory = ProcessInfo.processInfo.environment["NETNS_HOSTS_DIR"]
  static var available: Bool { directory != nil }
  static let namespace = "deploytest-ns"
  static func address(_ index: Int) -> String { "127.0.1.\(index)" }
  static func script(_ arguments: String...) throws {
    let result = try ChildProcess.capture(
      [TestHosts.repositoryRoot + "/scripts/netns-hosts.sh"] + arguments + ["-d", directory!])
    try #require(result.exit.status == 0, "netns-hosts.sh \(arguments): \(result.stderr)")
  }
  static func inNamespace(_ command: String) throws {
    try sh("ip netns exec \(namespace) sh -c \(ShellQuote.word(command))")
  }
}

/// A delaying TCP proxy (python3, inside the namespace): every chunk waits `delay` seconds in
/// each direction, so a round trip takes twice that.
final class DelayingProxy {
  let process = Process()
  let port: Int

  init(port: Int, to address: String, delay: Double) throws {
    self.port = port
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = [
      "netns", "exec", NetnsHosts.namespace, "python3", "-c",
      """
      import asyncio
      async def pipe(r, w):
          try:
              while data := await r.read(65536):
                  await asyncio.sleep(\(delay)); w.write(data); await w.drain()
          finally:
              w.close()
      async def serve(cr, cw):
          ur, uw = await asyncio.open_connection("\(address)", 22)
          await asyncio.gather(pipe(cr, uw), pipe(ur, cw), return_exceptions=True)
      async def main():
          server = await asyncio.start_server(serve, "127.0.0.1", \(port))
          async with server: await server.serve_forever()
      asyncio.run(main())
      """,
    ]
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(10)
    let probe = [
      "ip", "netns", "exec", NetnsHosts.namespace, "bash", "-c",
      "exec 3<>/dev/tcp/127.0.0.1/\(port)",
    ]
    while (try? ChildProcess.capture(probe))?.exit.status != 0 {
      if Date() > deadline { break }
      Thread.sleep(forTimeInterval: 0.1)
    }
  }

  /// SIGKILL: the test process may have SIGTERM ignored, and an ignored signal stays ignored in
  /// its children.
  func stop() {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}

extension Integration {
  @Suite(.serialized, .enabled(if: NetnsHosts.available)) struct NetworkFaultTests {
    /// A git app on the namespace's hosts: host01 is node1 (through `host01Via` if given),
    /// host02 node2, prod host03 node3.
    func app(host01Via proxyPort: Int? = nil) throws -> GitAppFixture {
      let app = try GitAppFixture(
        steps: """
                steps:
                  - name: build
                    run: echo "$DEPLOY_RUN_ID" >> "$DEPLOY_BUILD_DIR/../trace"; sleep 1; ./build.sh
          """,
        appExtra: """
              activate:
                strategy: symlink
                restart: {command: "true"}
          """)
      let dir = NetnsHosts.directory!
      let key = dir + "/keys/id_ed25519"
      func host(_ index: Int) -> String {
        let (address, port) =
          index == 1 && proxyPort != nil
          ? ("127.0.0.1", proxyPort!) : (NetnsHosts.address(index), 22)
        return TestHosts.hostName(index)
          + " ansible_host=\(address) ansible_port=\(port) ansible_user=root"
          + " ansible_ssh_private_key_file=\(key)"
      }
      try "[test]\n\(host(1))\n\(host(2))\n\n[prod]\n\(host(3))\n".write(
        toFile: app.directory + "/inventory.ini", atomically: true, encoding: .utf8)
      // The hosts' keys under the names the inventory reaches them by.
      var known = ""
      for line in try String(contentsOfFile: dir + "/known_hosts", encoding: .utf8)
        .split(separator: "\n")
      {
        let fields = line.split(separator: " ", maxSplits: 1)
        guard fields.count == 2, let index = Int(fields[0].prefix { $0 != "." }.dropFirst(4))
        else { continue }
        known += "\(NetnsHosts.address(index)) \(fields[1])\n"
        if index == 1, let proxyPort { known += "[127.0.0.1]:\(proxyPort) \(fields[1])\n" }
      }
      try known.write(toFile: app.directory + "/known_hosts", atomically: true, encoding: .utf8)
      let project = try String(contentsOfFile: app.projectFile, encoding: .utf8)
        .replacingOccurrences(of: TestHosts.knownHosts, with: app.directory + "/known_hosts")
      try project.write(toFile: app.projectFile, atomically: true, encoding: .utf8)
      return app
    }

    func deploy(_ app: GitAppFixture, _ arguments: [String]) throws -> (
      status: Int32, stdout: String, stderr: String
    ) {
      try TestHosts.deploy(
        arguments + ["--connect-timeout", "3"],
        environment: ["DEPLOY_LEDGER": app.ledger, "DEPLOY_CONFIG": app.projectFile],
        wrapper: ["ip", "netns", "exec", NetnsHosts.namespace])
    }

    /// 5% of packets to node1 dropped (nftables numgen) and 100 ms of latency (the proxy): the
    /// deploy succeeds, slower, and no step runs twice.
    @Test func aLossyLaggyLinkIsSlowerButCorrect() throws {
      let proxy = try DelayingProxy(port: 2201, to: NetnsHosts.address(1), delay: 0.05)
      defer { proxy.stop() }
      try NetnsHosts.inNamespace(
        "nft add table inet lossy && nft add chain inet lossy input"
          + " '{ type filter hook input priority 0; policy accept; }'"
          + " && nft add rule inet lossy input ip daddr \(NetnsHosts.address(1))"
          + " numgen random mod 100 '<' 5 drop")
      defer { try? NetnsHosts.inNamespace("nft delete table inet lossy") }
      let app = try app(host01Via: 2201)
      defer { app.remove() }
      let started = MonotonicClock.now
      let result = try deploy(app, ["demo-app", "test", "v1"])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(MonotonicClock.now - started < 120)
      for host in [1, 2] {
        #expect(app.read(app.buildFolder(host) + "/trace")?.split(separator: "\n").count == 1)
        #expect(app.read(app.buildFolder(host) + "/current/data.txt") == "v1\n")
      }
    }

    /// A host whose address is gone, or that silently drops everything, before the deploy:
    /// exit 4 naming it, nothing started on the other, no lock; once it is back, the same
    /// command finishes the job.
    @Test(arguments: ["vanish", "drop"])
    func anUnreachableHostStopsTheStageBeforeAnythingStarts(fault: String) throws {
      let app = try app()
      defer { app.remove() }
      try NetnsHosts.script(fault, "node1")
      var restored = false
      defer {
        if !restored { try? NetnsHosts.script(fault == "vanish" ? "appear" : "undrop", "node1") }
      }
      let result = try deploy(app, ["demo-app", "test", "v1"])
      #expect(result.status == ExitStatus.unreachable.rawValue, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("host01"), "\(result.stdout)")
      #expect(
        result.stdout.contains("host02 ! not started: host01 cannot be reached"), "\(result.stdout)"
      )
      #expect(!app.exists(app.root(2) + "/.deploy/lock") && !app.exists(app.root(2) + "/repo"))
      try NetnsHosts.script(fault == "vanish" ? "appear" : "undrop", "node1")
      restored = true
      let again = try deploy(app, ["demo-app", "test", "v1"])
      #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    }
  }
}
