import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

extension Integration {
  /// `deploy exec` and `deploy inventory` as a user runs them: the real binary, real hosts.
  @Suite
  struct ExecCommandTests {
    /// `-v` reports each remote command on stderr with host, duration and exit status; `-vv`
    /// adds the script sent and its output. Without either, stderr has none of it.
    @Test(arguments: Integration.transports)
    func verboseShowsEachRemoteCommand(_ transport: TransportKind) throws {
      let base = [
        "exec", "-i", TestHosts.inventoryINI, "--known-hosts", TestHosts.knownHosts, "--transport",
        transport.rawValue, "-l", "host01,host02",
      ]
      let quiet = try TestHosts.deploy(base + ["--", "echo marker-out; exit 3"])
      #expect(!quiet.stderr.contains("deploy.remote"), "\(quiet.stderr)")

      let verbose = try TestHosts.deploy(base + ["-v", "--", "echo marker-out; exit 3"])
      #expect(verbose.status == ExitStatus.hostsFailed.rawValue)
      for host in ["host01", "host02"] {
        let line = verbose.stderr.split(separator: "\n").first { $0.contains("] \(host): exit 3") }
        #expect(line?.contains("echo marker-out; exit 3") == true, "\(verbose.stderr)")
        #expect(line?.contains(" s: ") == true, "a duration: \(verbose.stderr)")
      }
      #expect(!verbose.stderr.contains("sending"))

      let trace = try TestHosts.deploy(base + ["-vv", "--", "echo marker-out; exit 3"])
      #expect(trace.stderr.contains("host01: sending"), "\(trace.stderr)")
      #expect(trace.stderr.contains("host01 stdout: marker-out"), "\(trace.stderr)")
    }

    @Test(arguments: Integration.transports)
    func allHostsAnswerAndOneStoppedHostIsReportedUnreachable(_ transport: TransportKind) throws {
      let count = TestHosts.count
      let base = [
        "exec", "-i", TestHosts.inventoryINI, "--known-hosts", TestHosts.knownHosts, "--transport",
        transport.rawValue,
      ]
      let all = try TestHosts.deploy(base + ["-l", "all", "--", "uname -n; echo $SSH_CONNECTION"])
      #expect(all.status == 0, "\(all.stderr)")
      let answered = Set(all.stdout.split(separator: "\n").map { $0.split(separator: " ")[0] })
      #expect(answered.count == count)
      #expect(all.stderr.contains("\(count) hosts: \(count) ok"))

      try TestHosts.harness("stop-host", "host03")
      defer { try? TestHosts.harness("start-host", "host03") }
      let partial = try TestHosts.deploy(base + ["-l", "all", "--json", "--", "uname -n"])
      #expect(partial.status == ExitStatus.unreachable.rawValue)
      let lines = partial.stdout.split(separator: "\n")
      #expect(lines.count == count)
      let objects = try lines.map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
      }
      let byHost = Dictionary(uniqueKeysWithValues: objects.map { ($0["host"] as! String, $0) })
      #expect(byHost["host03"]?["status"] as? String == "unreachable")
      let error = byHost["host03"]?["error"] as? [String: Any]
      #expect(error?["code"] as? String == "unreachable")
      #expect((error?["message"] as? String)?.contains("refused") == true)
      #expect(objects.filter { $0["status"] as? String == "ok" }.count == count - 1)
    }

    @Test func aFailingCommandGivesTheHostsFailedCode() throws {
      let result = try TestHosts.deploy([
        "exec", "-i", TestHosts.inventoryINI, "--known-hosts", TestHosts.knownHosts, "-l",
        "host01:host02", "--",
        "test $(hostname) = never",
      ])
      #expect(result.status == ExitStatus.hostsFailed.rawValue)
      #expect(result.stderr.contains("2 hosts: 2 failed"))
    }

    @Test func patternsSelectHosts() throws {
      let result = try TestHosts.deploy([
        "exec", "-i", TestHosts.inventoryINI, "--known-hosts", TestHosts.knownHosts, "-l",
        "testhosts:!host0[2-9]:!host1*", "--json",
        "--", "true",
      ])
      #expect(result.status == 0)
      #expect(result.stdout.split(separator: "\n").count == 1)
      #expect(result.stdout.contains("\"host\":\"host01\""))
    }

    /// An ssh_config keyword libssh2 does not implement sends the host to OpenSSH in auto mode,
    /// and `deploy` says so, naming the keyword.
    @Test func anUnsupportedSSHConfigKeywordIsSaidOnce() throws {
      let directory = NSTemporaryDirectory() + "deploy-sshcfg-\(UUID().uuidString.prefix(8))"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let config = directory + "/ssh_config"
      let base = try String(contentsOfFile: TestHosts.dir + "/ssh_config", encoding: .utf8)
      try ("AddressFamily inet\n" + base).write(toFile: config, atomically: true, encoding: .utf8)
      let result = try TestHosts.deploy([
        "exec", "-i", TestHosts.inventoryINI, "--known-hosts", TestHosts.knownHosts, "-F", config,
        "-l", "host01", "--", "true",
      ])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(
        result.stderr.contains(
          "host01 uses the OpenSSH transport: ssh_config uses AddressFamily, which libssh2 does"
            + " not implement"), "\(result.stderr)")
    }

    @Test func malformedInventoriesNameTheSpotAndContactNobody() throws {
      let directory = NSTemporaryDirectory() + "deploy-badinv-\(UUID().uuidString)"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let yaml = directory + "/bad.yml"
      try "all:\n  hosts:\n    web1:\n      ansible_host: [unclosed\n".write(
        toFile: yaml, atomically: true, encoding: .utf8)
      let ini = directory + "/bad.ini"
      try "[web]\nweb1 ansible_port=22\n[web:vars\nx=1\n".write(
        toFile: ini, atomically: true, encoding: .utf8)
      // libyaml reports where it noticed the problem (the end of the file) and, in the message,
      // where the unclosed construct began.
      for (file, expectedLine) in [(yaml, ":5:1:"), (ini, ":3:")] {
        let result = try TestHosts.deploy(["exec", "-i", file, "--", "touch /tmp/should-not-exist"])
        #expect(result.status == ExitStatus.usage.rawValue)
        #expect(result.stderr.contains(file + expectedLine), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
      }
    }

    /// ssh_config's ProxyJump: host01 is reached through host02 (as the non-root user there);
    /// auto mode moves the host to the OpenSSH transport and says so.
    @Test func proxyJumpReachesAHostThroughAnother() throws {
      let directory = NSTemporaryDirectory() + "deploy-jump-\(UUID().uuidString)"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let config = directory + "/ssh_config"
      try """
      Host host01
        HostName 127.0.0.1
        Port \(TestHosts.port(1))
        ProxyJump jump
      Host jump
        HostName 127.0.0.1
        Port \(TestHosts.port(2))
        User deploytest
      Host *
        IdentityFile \(TestHosts.key("id_ed25519"))
        IdentitiesOnly yes
        UserKnownHostsFile \(TestHosts.knownHosts)

      """.write(toFile: config, atomically: true, encoding: .utf8)
      let inventory = directory + "/inventory.ini"
      try "host01 ansible_user=root\n".write(toFile: inventory, atomically: true, encoding: .utf8)
      let jumpLog = TestHosts.dir + "/hosts/host02/sshd.log"
      let before = try String(contentsOfFile: jumpLog, encoding: .utf8).count

      let result = try TestHosts.deploy(["exec", "-i", inventory, "-F", config, "--", "id -un"])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout == "host01 | root\n")
      #expect(result.stderr.contains("host01 uses the OpenSSH transport: ProxyJump"))
      let jumpLogSince = String(
        try String(contentsOfFile: jumpLog, encoding: .utf8).dropFirst(before))
      #expect(jumpLogSince.contains("Accepted publickey for deploytest"))
    }

    @Test func inventoryListAndGraph() throws {
      let list = try TestHosts.deploy(["inventory", "--list", "-i", TestHosts.inventoryINI])
      #expect(list.status == 0)
      let json = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [String: Any]
      let group = json["testhosts"] as? [String: Any]
      #expect((group?["hosts"] as? [String])?.count == TestHosts.count)
      let graph = try TestHosts.deploy(["inventory", "--graph", "-i", TestHosts.inventoryINI])
      #expect(graph.stdout.hasPrefix("@all:"))
      #expect(graph.stdout.contains("--@testhosts:"))
    }
  }
}
