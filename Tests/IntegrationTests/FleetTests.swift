import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// The fleet itself, over our SSH layer: per-host dpkg state, the test package repository, and
/// the machine's own dpkg database left alone.
@Suite(.serialized, .enabled(if: TestFleet.available))
struct FleetTests {
  static let package = "ooni-api"

  /// Runs a command over SSH and returns what it printed; records its stderr if it failed.
  func run(_ connection: any SSHConnection, _ command: String) throws -> CapturedOutput {
    try connection.capture(RemoteCommand(ShellScript(authored: command), timeout: 120))
  }

  func installedVersion(_ connection: any SSHConnection) throws -> String? {
    let output = try run(connection, "dpkg-query -W -f '${Status} ${Version}' \(Self.package)")
    let text = output.stdoutText
    guard output.result.exitStatus == 0, text.hasPrefix("install ok installed ") else {
      return nil
    }
    return String(text.dropFirst("install ok installed ".count))
  }

  @Test func everyHostIsItsOwnDebianMachine() throws {
    let hosts = TestFleet.hosts
    try #require(hosts.count >= 2, "the fleet needs at least two hosts")
    var machineIDs: Set<String> = []
    for host in hosts {
      let connection = try TransportSelector().connect(TestFleet.target(host))
      defer { connection.close() }
      let output = try run(connection, "hostname; id -u; cut -d. -f1 /etc/debian_version")
      #expect(output.stdoutText == "\(host)\n0\n12\n")
      // Writes stay in the host: a marker file is seen only there.
      let marker = try run(connection, "echo \(host) > /root/fleet-marker; cat /root/fleet-marker")
      #expect(marker.stdoutText == "\(host)\n")
      machineIDs.insert(try TestFleet.exec(host, "cat /root/fleet-marker"))
    }
    #expect(machineIDs.count == hosts.count)
  }

  @Test func theInventoryNamesEveryHost() throws {
    let inventory = try Inventory.load(path: TestFleet.inventoryPath)
    for host in TestFleet.hosts {
      let vars = inventory.host(named: host)?.vars ?? [:]
      #expect(vars["ansible_host"]?.stringValue == "127.0.0.1")
      #expect(vars["ansible_port"]?.stringValue == String(TestFleet.port(host)))
      #expect(vars["ansible_user"]?.stringValue == "root")
      #expect(vars["ansible_ssh_private_key_file"]?.stringValue == TestFleet.key)
    }
  }

  @Test(arguments: Integration.transports)
  func eachHostHasItsOwnPackageVersion(_ transport: TransportKind) throws {
    try #require(TestFleet.hasPackages, "the fleet was started without --packages")
    let hosts = TestFleet.hosts
    try #require(hosts.count >= 2)
    let versions = [hosts[0]: "1.0.79~pr751-14", hosts[1]: "1.0.80"]
    // Other tests deploy to the same fleet: start from nothing installed anywhere.
    for host in hosts {
      try TestFleet.exec(
        host,
        "apt-mark unhold \(Self.package) >/dev/null 2>&1; dpkg --purge \(Self.package) >/dev/null 2>&1; true"
      )
    }
    for (host, version) in versions {
      let connection = try TransportSelector().connect(
        TestFleet.target(host, transport: transport))
      defer { connection.close() }
      _ = try run(connection, "apt-get purge -y -qq \(Self.package) >/dev/null 2>&1; true")
      let madison = try run(connection, "apt-get update -qq && apt-cache madison \(Self.package)")
      #expect(madison.result.exitStatus == 0, "\(madison.stderrText)")
      for listed in [
        "1.0.79~pr751-14", "1.0.80~pr760-20", "1.0.80", "1.0.81~pr770-3", "1.0.80+broken1",
      ] {
        #expect(madison.stdoutText.contains(" \(listed) "), "\(host): madison lacks \(listed)")
      }
      let install = try run(
        connection,
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades "
          + "\(Self.package)=\(version)")
      #expect(install.result.exitStatus == 0, "\(host): \(install.stderrText)")
    }
    for (host, version) in versions {
      let connection = try TransportSelector().connect(
        TestFleet.target(host, transport: transport))
      defer { connection.close() }
      #expect(try installedVersion(connection) == version)
      let file = try run(connection, "cat /usr/share/\(Self.package)/VERSION")
      #expect(file.stdoutText == version + "\n")
      // The same answer without SSH, straight from the host's dpkg database.
      #expect(try TestFleet.exec(host, "dpkg-query -W -f '${Version}' \(Self.package)") == version)
    }
    // The other hosts have not got it, and neither has this machine.
    for host in hosts.dropFirst(2) {
      let connection = try TransportSelector().connect(
        TestFleet.target(host, transport: transport))
      defer { connection.close() }
      #expect(try installedVersion(connection) == nil)
    }
    let machine = try ChildProcess.capture(["dpkg-query", "-W", Self.package])
    #expect(machine.exit.status != 0, "this machine's dpkg has \(Self.package): \(machine.stdout)")
    #expect(machine.stderr.contains("no packages found matching"))
  }

  @Test func theBrokenVersionFailsToInstallOnlyWhereItIsInstalled() throws {
    try #require(TestFleet.hasPackages, "the fleet was started without --packages")
    let hosts = TestFleet.hosts
    try #require(hosts.count >= 2)
    let broken = try TransportSelector().connect(TestFleet.target(hosts[0]))
    defer { broken.close() }
    let healthy = try TransportSelector().connect(TestFleet.target(hosts[1]))
    defer { healthy.close() }
    let install = "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades "
    _ = try run(broken, "apt-get update -qq")
    _ = try run(healthy, "apt-get update -qq")
    let good = try run(healthy, install + "\(Self.package)=1.0.81~pr770-3")
    #expect(good.result.exitStatus == 0, "\(good.stderrText)")
    let bad = try run(broken, install + "\(Self.package)=1.0.80+broken1")
    #expect(bad.result.exitStatus != 0)
    #expect((bad.stdoutText + bad.stderrText).contains("postinst fails on purpose"))
    // dpkg left it unpacked but not configured there; the other host is untouched.
    let status = try run(broken, "dpkg-query -W -f '${Status} ${Version}' \(Self.package)")
    #expect(status.stdoutText == "install ok half-configured 1.0.80+broken1")
    #expect(try installedVersion(healthy) == "1.0.81~pr770-3")
    // Clean up: a half-configured package would break later apt-get runs on that host.
    _ = try run(
      broken, "dpkg --remove --force-remove-reinstreq \(Self.package) >/dev/null 2>&1; true")
    #expect(try installedVersion(broken) == nil)
  }
}

@Suite struct FleetPrerequisites {
  /// Without this, a CI run whose fleet failed to start would "pass" by skipping the fleet tests.
  @Test func theFleetIsRunningWhenRequired() {
    if ProcessInfo.processInfo.environment["DEPLOY_REQUIRE_INTEGRATION"] == "1" {
      #expect(TestFleet.available, "FLEET_DIR is not set: run scripts/test.sh")
      #expect(!TestFleet.hosts.isEmpty, "no hosts in $FLEET_DIR/fleet.env")
      #expect(TestFleet.hasPackages, "the fleet was started without --packages")
    }
  }
}
