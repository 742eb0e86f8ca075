import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeploySSH
@testable import DeploySupport

#if canImport(Glibc)
  import Glibc
#endif

extension Integration {
  @Suite
  struct AuthenticationTests {
    @Test(arguments: ["id_ed25519", "id_ecdsa"])
    func keyFilesAuthenticateOverLibSSH2(_ key: String) throws {
      for user in ["root", "deploytest"] {
        let connection = try LibSSH2Transport().connect(
          TestHosts.target(5, transport: .libssh2, user: user, key: key))
        defer { connection.close() }
        let whoami = try connection.capture(RemoteCommand("id -un"))
        #expect(whoami.stdoutText == "\(user)\n")
      }
    }

    @Test func anEncryptedKeyTakesItsPassphraseFromTheEnvironment() throws {
      let passphrase = try String(contentsOfFile: TestHosts.key("passphrase"), encoding: .utf8)
        .trimmingCharacters(in: .newlines)
      let target = TestHosts.target(5, transport: .libssh2, key: "id_ed25519_enc")
      unsetenv("DEPLOY_SSH_PASSPHRASE")
      #expect {
        try LibSSH2Transport().connect(target)
      } throws: { error in
        guard case .passphraseRequired = error as? SSHError else { return false }
        return true
      }
      setenv("DEPLOY_SSH_PASSPHRASE", passphrase, 1)
      defer { unsetenv("DEPLOY_SSH_PASSPHRASE") }
      try LibSSH2Transport().connect(target).close()
    }

    @Test func anAgentKeyAuthenticatesOverLibSSH2() throws {
      let socket = NSTemporaryDirectory() + "deploy-agent-\(UUID().uuidString.prefix(8))"
      let agent = try ChildProcess.capture(["ssh-agent", "-a", socket])
      try #require(agent.exit.status == 0)
      let pid = agent.stdout.split(separator: "\n").first { $0.hasPrefix("SSH_AGENT_PID=") }
        .flatMap { $0.split(separator: "=")[1].split(separator: ";").first }.map(String.init)
      defer {
        if let pid { _ = try? ChildProcess.capture(["kill", pid]) }
        unsetenv("SSH_AUTH_SOCK")
      }
      setenv("SSH_AUTH_SOCK", socket, 1)
      let add = try ChildProcess.capture(["ssh-add", TestHosts.key("id_ecdsa")])
      try #require(add.exit.status == 0, "ssh-add: \(add.stderr)")
      // No key file at all: only the agent can authenticate.
      let connection = try LibSSH2Transport().connect(
        TestHosts.target(5, transport: .libssh2, key: ""))
      defer { connection.close() }
      #expect(try connection.capture(RemoteCommand("true")).result.succeeded)
    }

    @Test func anRSAKeyWorksInAutoModeThroughOpenSSH() throws {
      let switched = Recorder()
      let selector = TransportSelector { _, reason in switched.append(reason) }
      let connection = try selector.connect(TestHosts.target(5, transport: .auto, key: "id_rsa"))
      defer { connection.close() }
      #expect(connection.transportName == "openssh")
      #expect(switched.values.count == 1 && switched.values[0].contains("rsa-sha2"))
      #expect(try connection.capture(RemoteCommand("true")).result.succeeded)
    }

    @Test func anRSAKeyWithLibSSH2ForcedFailsSayingWhyAndWhatToDo() throws {
      #expect {
        try TransportSelector().connect(TestHosts.target(5, transport: .libssh2, key: "id_rsa"))
      } throws: { error in
        guard case .unsupported(_, let reason, let remedy) = error as? SSHError else {
          return false
        }
        return reason.contains("rsa-sha2") && remedy.contains("openssh")
      }
    }

    @Test(arguments: Integration.transports)
    func aKeyTheServerDoesNotKnowFailsListingWhatWasTried(_ transport: TransportKind) throws {
      let directory = NSTemporaryDirectory() + "deploy-auth-\(UUID().uuidString)"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let stranger = directory + "/stranger"
      _ = try ChildProcess.capture(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger])
      var target = TestHosts.target(5, transport: transport)
      target.identityFiles = [stranger]
      #expect {
        try TransportSelector().connect(target)
      } throws: { error in
        guard case .authenticationFailed(_, _, let tried, _) = error as? SSHError else {
          return false
        }
        return tried.joined().contains("stranger")
      }
    }
  }
}

/// Collects strings reported from worker threads.
final class Recorder: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [String] = []

  func append(_ value: String) {
    lock.lock()
    stored.append(value)
    lock.unlock()
  }

  var values: [String] {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }
}
