import Foundation
import HostShell
import Testing

@testable import DeploySSH

extension Integration {
  /// Every test here runs against real sshd daemons, on both transports. The suite is serialized
  /// because some tests stop a host or change the process environment (SSH_AUTH_SOCK).
  @Suite
  struct SSHTransportTests {
    private func connect(_ target: SSHTarget) throws(SSHError) -> any SSHConnection {
      try TransportSelector().connect(target)
    }

    @Test(arguments: Integration.transports)
    func runsACommandAndKeepsStreamsApartInOrder(_ transport: TransportKind) throws {
      let connection = try connect(TestHosts.target(1, transport: transport))
      defer { connection.close() }
      #expect(connection.transportName == transport.rawValue)
      var events: [(StandardStream, String)] = []
      let result = try connection.run(
        RemoteCommand("echo one; echo two >&2; sleep 0.2; echo three; echo four >&2; exit 3")
      ) { events.append(($0, String(decoding: $1, as: UTF8.self))) }
      #expect(result.exitStatus == 3 && result.signal == nil && !result.timedOut)
      #expect(events.filter { $0.0 == .stdout }.map(\.1).joined() == "one\nthree\n")
      #expect(events.filter { $0.0 == .stderr }.map(\.1).joined() == "two\nfour\n")
      // "one" arrived before "three" was even printed: output streams as it comes.
      #expect(events.first?.1.hasPrefix("one") == true || events.first?.1.hasPrefix("two") == true)
    }

    @Test(arguments: Integration.transports)
    func manyChannelsOnOneConnection(_ transport: TransportKind) throws {
      let connection = try connect(TestHosts.target(2, transport: transport))
      defer { connection.close() }
      for index in 1...5 {
        let output = try connection.capture(RemoteCommand("echo \(index)"))
        #expect(output.stdoutText == "\(index)\n")
      }
    }

    @Test(arguments: Integration.transports)
    func largeOutputOnBothStreamsDoesNotDeadlock(_ transport: TransportKind) throws {
      let connection = try connect(TestHosts.target(1, transport: transport))
      defer { connection.close() }
      let output = try connection.capture(
        RemoteCommand("head -c 5000000 /dev/zero >&2; head -c 3000000 /dev/zero"))
      #expect(output.stderr.count == 5_000_000)
      #expect(output.stdout.count == 3_000_000)
      #expect(output.result.succeeded)
    }

    @Test(arguments: Integration.transports)
    func stdinIsDeliveredAndUploadIsAtomic(_ transport: TransportKind) throws {
      let connection = try connect(TestHosts.target(1, transport: transport))
      defer { connection.close() }
      let echoed = try connection.capture(RemoteCommand("wc -c", stdin: Array("hello\n".utf8)))
      #expect(echoed.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "6")
      let path = "/tmp/deploy-upload-\(transport.rawValue)-\(UUID().uuidString)"
      let upload = try connection.upload(Array("content\n".utf8), to: path, mode: 0o640)
      #expect(upload.succeeded)
      let check = try connection.capture(
        RemoteCommand("stat -c %a \(path); cat \(path); rm \(path)"))
      #expect(check.stdoutText == "640\ncontent\n")
    }

    @Test(arguments: Integration.transports)
    func aCommandKilledByASignalIsReportedAsSuch(_ transport: TransportKind) throws {
      let connection = try connect(TestHosts.target(1, transport: transport))
      defer { connection.close() }
      let result = try connection.run(RemoteCommand("kill -TERM $$")) { _, _ in }
      #expect(result.signal == "TERM")
      #expect(!result.succeeded)
    }

    @Test(arguments: Integration.transports)
    func aCommandPastItsTimeoutIsStoppedAndReported(_ transport: TransportKind) throws {
      let connection = try connect(TestHosts.target(1, transport: transport))
      defer { connection.close() }
      let marker = "31.\(Int.random(in: 100...999))"
      let result = try connection.run(RemoteCommand("sleep \(marker)", timeout: 1)) { _, _ in }
      #expect(result.timedOut)
      #expect(result.duration < 8)
      // Stopped on the host, not merely abandoned.
      // -x: the whole command line must match, so pgrep's own shell does not count.
      let check = try connection.capture(RemoteCommand("pgrep -fx 'sleep \(marker)' || echo gone"))
      #expect(check.stdoutText == "gone\n")
    }

    @Test(arguments: Integration.transports)
    func aStoppedHostIsUnreachable(_ transport: TransportKind) throws {
      let port = TestHosts.basePort + 900  // nothing listens there
      var target = TestHosts.target(1, transport: transport)
      target.port = port
      #expect {
        try connect(target)
      } throws: { error in
        guard let error = error as? SSHError, case .unreachable(_, let reason) = error else {
          return false
        }
        return reason.contains("refused") && error.exitStatus == .unreachable
      }
    }
  }
}
