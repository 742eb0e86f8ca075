import Foundation
import HostShell
import Testing

@testable import DeploySSH
@testable import DeploySupport

extension Integration {
  @Suite
  struct HostKeyTests {
    let directory: String

    init() throws {
      directory = NSTemporaryDirectory() + "deploy-hostkeys-" + UUID().uuidString
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A known_hosts file that lists `[127.0.0.1]:port` with freshly made keys of every type the
    /// host has, so whatever type is negotiated, the key differs.
    private func impostorKnownHosts(for index: Int) throws -> String {
      let file = directory + "/known_hosts_wrong"
      var lines = ""
      for type in ["ed25519", "ecdsa", "rsa"] {
        let key = directory + "/impostor_\(type)"
        if !FileManager.default.fileExists(atPath: key) {
          _ = try ChildProcess.capture(["ssh-keygen", "-q", "-t", type, "-N", "", "-f", key])
        }
        let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8)
          .split(separator: " ").prefix(2).joined(separator: " ")
        lines += "[127.0.0.1]:\(TestHosts.port(index)) \(pub)\n"
      }
      try lines.write(toFile: file, atomically: true, encoding: .utf8)
      return file
    }

    @Test(arguments: Integration.transports)
    func aKnownKeyConnects(_ transport: TransportKind) throws {
      let connection = try TransportSelector().connect(TestHosts.target(3, transport: transport))
      connection.close()
    }

    @Test(arguments: Integration.transports)
    func aChangedKeyIsRefusedWithItsFingerprint(_ transport: TransportKind) throws {
      let file = try impostorKnownHosts(for: 3)
      for policy in [HostKeyPolicy.strict, .acceptNew] {
        let target = TestHosts.target(3, transport: transport, knownHosts: [file], policy: policy)
        do {
          let connection = try TransportSelector().connect(target)
          connection.close()
          Issue.record("connected despite a changed host key (\(policy))")
        } catch {
          guard case .hostKeyChanged(_, _, let fingerprint, let knownAt) = error else {
            Issue.record("expected hostKeyChanged, got \(error)")
            continue
          }
          #expect(fingerprint.hasPrefix("SHA256:"))
          #expect(knownAt.contains("known_hosts_wrong"))
          #expect(error.exitStatus == .hostKeyRejected)
          #expect(error.description.contains(fingerprint))
        }
      }
    }

    @Test(arguments: Integration.transports)
    func anUnknownKeyIsRefusedThenAcceptNewRecordsIt(_ transport: TransportKind) throws {
      let file = directory + "/known_hosts_new_\(transport.rawValue)"
      #expect(FileManager.default.createFile(atPath: file, contents: nil))
      let strict = TestHosts.target(4, transport: transport, knownHosts: [file])
      #expect {
        try TransportSelector().connect(strict)
      } throws: { error in
        guard case .hostKeyUnknown(_, _, let fingerprint, _) = error as? SSHError else {
          return false
        }
        return fingerprint.hasPrefix("SHA256:")
      }
      let acceptNew = TestHosts.target(
        4, transport: transport, knownHosts: [file], policy: .acceptNew)
      try TransportSelector().connect(acceptNew).close()
      let recorded = try String(contentsOfFile: file, encoding: .utf8)
      #expect(recorded.contains("[127.0.0.1]:\(TestHosts.port(4))") || recorded.hasPrefix("|1|"))
      // Now known: strict checking accepts it.
      try TransportSelector().connect(strict).close()
    }
  }
}
