import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeploySSH

extension Integration {
  /// HTTP through a forwarded channel to an address on the host's loopback, both transports.
  @Suite
  struct TunnelTests {
    /// A real HTTP server (Python's) on a free loopback port, stopped at the end.
    final class PythonHTTPServer {
      let process = Process()
      let port: Int
      let directory: String

      init() throws {
        directory = NSTemporaryDirectory() + "deploy-http-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(
          atPath: directory, withIntermediateDirectories: true)
        try "hello through ssh\n".write(
          toFile: directory + "/hello.txt", atomically: true, encoding: .utf8)
        port = try TestContainers.freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "http.server", "--bind", "127.0.0.1", String(port)]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !isListening(port) {
          try #require(Date() < deadline, "python http.server did not start")
          Thread.sleep(forTimeInterval: 0.05)
        }
      }

      deinit {
        // SIGKILL: the test runner's threads block SIGTERM, and Foundation's Process passes that
        // mask on, so a TERM would never arrive.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
      }
    }

    @Test(arguments: Integration.transports)
    func aGetThroughTheHostReachesItsLoopback(_ transport: TransportKind) throws {
      let server = try PythonHTTPServer()
      let connection = try TransportSelector().connect(TestHosts.target(1, transport: transport))
      defer { connection.close() }
      let response = try connection.httpGet(
        address: "127.0.0.1", port: server.port, path: "/hello.txt", timeout: 10
      ).get()
      #expect(response.status == 200)
      #expect(response.text == "hello through ssh\n")
      let missing = try connection.httpGet(
        address: "127.0.0.1", port: server.port, path: "/nope", timeout: 10
      ).get()
      #expect(missing.status == 404)
      // The connection still runs commands after tunnelling.
      #expect(try connection.capture(RemoteCommand("echo ok")).stdoutText == "ok\n")
    }

    @Test(arguments: Integration.transports)
    func nothingListeningIsRefusedNotAnSSHError(_ transport: TransportKind) throws {
      let port = try TestContainers.freePort()
      let connection = try TransportSelector().connect(TestHosts.target(2, transport: transport))
      defer { connection.close() }
      let result = try connection.httpGet(address: "127.0.0.1", port: port, path: "/", timeout: 10)
      guard case .failure(.refused(let reason)) = result else {
        Issue.record("expected refused, got \(result)")
        return
      }
      #expect(reason.contains("127.0.0.1:\(port)"))
      #expect(
        try connection.capture(RemoteCommand("echo after-refused")).stdoutText == "after-refused\n")
    }
  }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func isListening(_ port: Int) -> Bool {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = UInt16(port).bigEndian
  return withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
    }
  }
}
