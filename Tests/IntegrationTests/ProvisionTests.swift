import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// Issue 7's acceptance on a real Debian host of the fleet: playbooks/provision.yml in check
/// mode changes nothing, the first run (as root) provisions, the second (as the deploy user it
/// created) changes nothing, and root can no longer log in. The same playbook under
/// ansible-playbook ends in the same host state.
extension FleetTests {
  @Suite(.enabled(if: TestFleet.hasProvisionPackages)) struct ProvisionTests {
    static let host = "prod2"
    let directory: String
    let operatorKey: String

    init() throws {
      directory = NSTemporaryDirectory() + "deploy-provision-" + UUID().uuidString.prefix(8)
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      operatorKey = directory + "/operator"
      let keygen = try ChildProcess.capture(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "operator@test", "-f", operatorKey])
      try #require(keygen.exit.status == 0, "\(keygen.stderr)")
    }

    /// Everything provision.yml may touch, with sizes, modes, owners and times.
    func snapshot() throws -> String {
      try TestFleet.exec(
        Self.host,
        "find /etc /home /srv /root /var/lib/dpkg /usr/bin -xdev -printf '%p %s %m %u %T@\\n'"
          + " 2>/dev/null | sort")
    }

    /// Puts the host back as it was before provisioning (for the other fleet tests, and so
    /// that this test can run again on the same fleet): root may log in, no deploy user, none
    /// of the playbook's packages.
    func restore() throws {
      try TestFleet.exec(
        Self.host,
        "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --autoremove git tmux curl"
          + " ca-certificates rsync acl >/dev/null 2>&1;"
          + " rm -f /etc/ssh/sshd_config.d/00-deploy-hardening.conf /etc/sudoers.d/deploy;"
          + " userdel -r deploy 2>/dev/null; groupdel deploy 2>/dev/null; rm -rf /srv/apps;"
          + " kill -HUP \"$(cat /run/sshd.pid)\"; true")
    }

    func play(_ arguments: [String], inventory: String = TestFleet.inventoryPath) throws -> (
      status: Int32, stdout: String, stderr: String
    ) {
      let key = try String(contentsOfFile: operatorKey + ".pub", encoding: .utf8)
        .trimmingCharacters(in: .newlines)
      return try TestHosts.deploy(
        [
          "play", TestHosts.repositoryRoot + "/playbooks/provision.yml", "-i", inventory,
          "--known-hosts", TestFleet.knownHosts, "-e", "deploy_authorized_key='\(key)'",
          // Sudo for everything: the second run becomes root through it.
          "-e", #"{"deploy_sudo_commands": ["ALL"]}"#,
        ] + arguments)
    }

    func recapLine(_ output: String) -> String {
      output.split(separator: "\n").first { $0.hasPrefix(Self.host + " ") }.map(String.init) ?? ""
    }

    @Test func checkThenProvisionThenNothingLeftToDo() throws {
      try restore()
      defer { try? restore() }

      // --check on the fresh host: the changes it would make, and nothing changed.
      let before = try snapshot()
      let checked = try play(["-l", Self.host, "--check", "--diff"])
      #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
      #expect(recapLine(checked.stdout).contains("changed=8 "), "\(checked.stdout)")
      #expect(checked.stdout.contains("would run: useradd"), "\(checked.stdout)")
      #expect(try snapshot() == before, "check mode changed the host")

      // The first run, as root, with the sshd and sudoers diffs.
      let first = try play(["-l", Self.host, "-u", "root", "--diff"])
      #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
      #expect(recapLine(first.stdout).contains("ok=12 "), "\(first.stdout)")
      #expect(recapLine(first.stdout).contains("changed=8 "), "\(first.stdout)")
      #expect(first.stdout.contains("+++ after: /etc/ssh/sshd_config.d/00-deploy-hardening.conf"))
      #expect(first.stdout.contains("+PermitRootLogin no"))
      #expect(first.stdout.contains("+++ after: /etc/sudoers.d/deploy"))
      #expect(first.stdout.contains("+deploy ALL=(root) NOPASSWD: ALL"))
      #expect(first.stdout.contains("RUNNING HANDLER [reload sshd]"))
      #expect(
        try TestFleet.exec(Self.host, "stat -c '%a %U' /etc/sudoers.d/deploy") == "440 root\n")
      #expect(
        try TestFleet.exec(Self.host, "dpkg-query -W -f '${Status}' git tmux curl")
          .components(separatedBy: "install ok installed").count == 4)

      // Root is refused now; the deploy user gets in with the operator's key.
      let asRoot = try TestHosts.deploy(
        [
          "exec", "-i", TestFleet.inventoryPath, "--known-hosts", TestFleet.knownHosts, "-l",
          Self.host, "--", "true",
        ])
      #expect(asRoot.status == ExitStatus.authenticationFailed.rawValue, "\(asRoot.stderr)")
      let inventory = directory + "/deploy-user.ini"
      try
        "\(Self.host) ansible_host=127.0.0.1 ansible_port=\(TestFleet.port(Self.host)) ansible_user=deploy ansible_ssh_private_key_file=\(operatorKey)\n"
        .write(toFile: inventory, atomically: true, encoding: .utf8)

      // The second run, as the deploy user (become through sudo): nothing left to do.
      let second = try play([], inventory: inventory)
      #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
      #expect(recapLine(second.stdout).contains("changed=0 "), "\(second.stdout)")
      #expect(recapLine(second.stdout).contains("failed=0 "), "\(second.stdout)")
    }

    /// The same playbook with ansible-playbook (ansible-core from PyPI, scripts/install-ansible.sh)
    /// on one fresh host and deploy play on another: same recap counts, same host state.
    @Test(.enabled(if: AnsibleComparison.available))
    func ansiblePlaybookEndsInTheSameState() throws {
      let result = try ChildProcess.capture(
        [
          TestHosts.repositoryRoot + "/scripts/compare-ansible.sh", "--deploy",
          TestHosts.deployBinary, "--fleet-dir", directory + "/compare",
        ], timeout: 600)
      #expect(result.exit.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("(same state)"), "\(result.stdout)")
      let recaps = result.stdout.split(separator: "\n").filter { $0.contains(": ok=") }
      #expect(recaps.count == 2, "\(result.stdout)")
      for recap in recaps {
        #expect(recap.contains("ok=12 ") && recap.contains("changed=8 "), "\(recap)")
      }
    }
  }
}

enum AnsibleComparison {
  static let ansiblePlaybook =
    TestHosts.repositoryRoot + "/.build-tools/ansible/bin/ansible-playbook"
  static var available: Bool { FileManager.default.isExecutableFile(atPath: ansiblePlaybook) }
}
