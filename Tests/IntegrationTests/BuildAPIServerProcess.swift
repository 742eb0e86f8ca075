import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory

#if canImport(Glibc)
  import Glibc
#endif

/// A `deploy build-api` process on a free loopback port (it is started with port 0 and says
/// which one it got), its stderr in a file.
final class BuildAPIServerProcess {
  let process = Process()
  let logPath: String
  private(set) var port = 0

  /// Starts the server and waits until it listens.
  init(dataFolder: String, buildName: String, arguments: [String] = []) throws {
    logPath = NSTemporaryDirectory() + "/build-api-\(UUID().uuidString).log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: TestHosts.deployBinary)
    process.arguments =
      [
        "build-api", "--data-folder", dataFolder, "--build-name", buildName, "--listen",
        "127.0.0.1:0",
      ]
      + arguments
    process.standardOutput = FileHandle(forWritingAtPath: logPath)
    process.standardError = FileHandle(forWritingAtPath: logPath)
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    process.environment = environment
    try process.run()
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      if let match = log.firstMatch(of: /listening on 127\.0\.0\.1:([0-9]+)/) {
        port = Int(match.1)!
        return
      }
      if !process.isRunning { break }
      usleep(20_000)
    }
    stop(signal: SIGKILL)
    throw ServerFailure(message: "deploy build-api did not start listening:\n\(log)")
  }

  struct ServerFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }

  var log: String {
    FileManager.default.contents(atPath: logPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  /// SIGTERM (a graceful stop) or SIGKILL (a crash); waits for the process to end.
  func stop(signal: Int32 = SIGTERM) {
    if process.isRunning {
      kill(process.processIdentifier, signal)
      let deadline = Date().addingTimeInterval(10)
      while process.isRunning, Date() < deadline { usleep(10_000) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    try? FileManager.default.removeItem(atPath: logPath)
  }

  func get(_ path: String, headers: [String: String] = [:], timeout: Double = 30) throws
    -> HTTPReply
  {
    try HTTPReply.get(port: port, path: path, headers: headers, timeout: timeout)
  }

  /// `GET /api/v1/build/<endpoint>`.
  func api(_ endpoint: String, headers: [String: String] = [:]) throws -> HTTPReply {
    try get(BuildAPI.pathPrefix + endpoint, headers: headers)
  }
}

/// An HTTP/1.1 answer read off a raw socket, so the test sees the exact body bytes.
struct HTTPReply {
  var status: Int
  var headers: [(String, String)]
  var body: [UInt8]

  var text: String { String(decoding: body, as: UTF8.self) }

  func header(_ name: String) -> String? {
    headers.first { $0.0.lowercased() == name.lowercased() }?.1
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func get(port: Int, path: String, headers: [String: String], timeout: Double) throws
    -> HTTPReply
  {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
    defer { close(fd) }
    var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    request += "\r\n"
    let bytes = Array(request.utf8)
    guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
      throw Failure(description: "send: \(errno)")
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = recv(fd, &buffer, buffer.count, 0)
      if n > 0 {
        received += buffer[0..<n]
      } else if n == 0 {
        break
      } else if errno != EINTR {
        throw Failure(description: "recv: \(errno) after \(received.count) bytes")
      }
    }
    return try parse(received)
  }

  private static func parse(_ bytes: [UInt8]) throws -> HTTPReply {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = bytes.firstRange(of: separator) else {
      throw Failure(
        description: "no complete HTTP answer: \(String(decoding: bytes, as: UTF8.self))")
    }
    let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ")
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
      throw Failure(description: "bad status line in \(head)")
    }
    let headers = lines.compactMap { line -> (String, String)? in
      guard let colon = line.firstIndex(of: ":") else { return nil }
      return (
        String(line[..<colon]),
        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      )
    }
    var body = Array(bytes[end.upperBound...])
    let reply = HTTPReply(status: status, headers: headers, body: body)
    if reply.header("transfer-encoding")?.lowercased() == "chunked" {
      body = try dechunk(body)
    } else if let length = reply.header("content-length").flatMap(Int.init) {
      guard body.count == length else {
        throw Failure(description: "body of \(body.count) bytes, announced \(length)")
      }
    }
    return HTTPReply(status: status, headers: headers, body: body)
  }

  private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while let lineEnd = bytes[index...].firstRange(of: [13, 10]) {
      let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
      guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
        throw Failure(description: "bad chunk size \(sizeText)")
      }
      if size == 0 { return out }
      out += bytes[lineEnd.upperBound..<lineEnd.upperBound + size]
      index = lineEnd.upperBound + size + 2
    }
    throw Failure(description: "unterminated chunked body")
  }
}
