import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

extension Integration {
  /// Secrets planted in every way `deploy` takes them — a key's passphrase, the build API
  /// token, an `-e` value used by a `no_log` task — must appear in no output, no file on the
  /// hosts (journal, run records, logs, locks), not in the ledger, the `--json` lines or the
  /// GitHub outputs and summary.
  @Suite(.serialized) struct SecretsTests {
    @Test func plantedSecretsAppearNowhere() throws {
      let passphrase = try String(contentsOfFile: TestHosts.key("passphrase"), encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      let token = "tok-" + UUID().uuidString
      let extra = "xv-" + UUID().uuidString
      let app = try GitAppFixture(
        steps: GitAppFixture.buildScript, appExtra: GitAppFixture.symlinkActivation(),
        hostVars: { _ in "ansible_ssh_private_key_file=" + TestHosts.key("id_ed25519_enc") })
      defer { app.remove() }
      let outputs = app.directory + "/github_output"
      let summary = app.directory + "/summary.md"
      let environment = [
        "DEPLOY_SSH_PASSPHRASE": passphrase, "DEPLOY_BUILD_API_TOKEN": token,
      ]
      let github = environment.merging([
        "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outputs, "GITHUB_STEP_SUMMARY": summary,
      ]) { $1 }
      // The encrypted key is the one in use: without its passphrase nothing connects.
      let locked = try app.deploy(
        ["demo-app", "test", "v1"], environment: ["DEPLOY_SSH_PASSPHRASE": ""])
      #expect(locked.status != 0, "\(locked.stdout)")
      var printed: [String] = []
      func run(_ arguments: [String], _ env: [String: String]) throws {
        let result = try app.deploy(arguments, environment: env)
        #expect(result.status == 0, "\(arguments): \(result.stdout)\(result.stderr)")
        printed += [result.stdout, result.stderr]
      }
      try run(["demo-app", "test", "v1", "--transport", "libssh2"], environment)
      try run(["demo-app", "test", "v2", "--json"], environment)
      try run(["demo-app", "test", "v1"], github)
      try run(["rollback", "demo-app", "test", "--json"], environment)
      try run(["history", "--json"], environment)
      try run(["status", "--json"], environment)

      let book = app.directory + "/secret.yml"
      try """
      - hosts: test
        gather_facts: false
        tasks:
          - name: Uses the secret
            command: echo {{ password }}
            no_log: true
      """.write(toFile: book, atomically: true, encoding: .utf8)
      try run(
        [
          "play", book, "-i", app.directory + "/inventory.ini", "--known-hosts",
          TestHosts.knownHosts,
          "-e", "password=" + extra, "--json",
        ], environment)
      try run(
        [
          "play", book, "-i", app.directory + "/inventory.ini", "--known-hosts",
          TestHosts.knownHosts,
          "-e", "password=" + extra,
        ], github)

      // Everything written: outputs, the GitHub files, the ledger, every file on the hosts.
      let files =
        try ChildProcess.capture(["find", app.directory + "/hosts", "-type", "f"])
        .stdout.split(separator: "\n").map(String.init)
        + [outputs, summary, app.ledger]
      #expect(files.count > 10, "\(files)")
      for secret in [passphrase, token, extra] {
        for (index, text) in printed.enumerated() {
          // GitHub's masking command names the value on purpose: that is how it gets masked.
          let visible = text.split(separator: "\n").filter { !$0.hasPrefix("::add-mask::") }
            .joined(separator: "\n")
          #expect(!visible.contains(secret), "output \(index) shows a secret")
        }
        for file in files {
          let data = FileManager.default.contents(atPath: file) ?? Data()
          #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret")
        }
      }
    }
  }
}
