import Foundation

/// A minimal HTTP/1.1 client over an SSH-forwarded connection, for the few GETs activation
/// makes to an app's build API and health endpoint on the host's loopback. One request per
/// connection (`Connection: close`), bodies by `Content-Length`, chunked, or until close.
public struct HTTPResponse: Sendable, Hashable {
  public var status: Int
  public var headers: [(name: String, value: String)]
  public var body: [UInt8]

  public var text: String { String(decoding: body, as: UTF8.self) }

  public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
    lhs.status == rhs.status && lhs.body == rhs.body
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(status)
    hasher.combine(body)
  }

  /// Parses a whole response; nil if it is not one (or is cut short).
  public static func parse(_ bytes: [UInt8]) -> HTTPResponse? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = bytes.firstRange(of: separator) else { return nil }
    let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
    guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."),
      let status = Int(statusLine[1])
    else { return nil }
    let headers = lines.compactMap { line -> (String, String)? in
      guard let colon = line.firstIndex(of: ":") else { return nil }
      return (
        String(line[..<colon]).lowercased(),
        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      )
    }
    let rest = Array(bytes[end.upperBound...])
    let header = { (name: String) in headers.first { $0.0 == name }?.1 }
    var body = rest
    if header("transfer-encoding")?.lowercased().contains("chunked") == true {
      guard let decoded = dechunk(rest) else { return nil }
      body = decoded
    } else if let length = header("content-length").flatMap({ Int($0) }) {
      guard length >= 0, rest.count >= length else { return nil }
      body = Array(rest.prefix(length))
    }
    return HTTPResponse(status: status, headers: headers.map { ($0.0, $0.1) }, body: body)
  }

  /// The body of a chunked response; nil for anything malformed. The peer is a host's app,
  /// not trusted: sizes are checked before they are used (the fuzzer found an empty size line,
  /// a negative size and a size past the end each crashing this).
  private static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
    var body: [UInt8] = []
    var index = 0
    while index <= bytes.count {
      guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { return nil }
      let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
      let digits = sizeText.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
      guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy(\.isHexDigit),
        let size = Int(digits, radix: 16)
      else { return nil }
      index = lineEnd.upperBound
      if size == 0 { return body }
      guard size <= bytes.count - index else { return nil }
      body += bytes[index..<index + size]
      index += size + 2
    }
    return nil
  }
}

/// What went wrong reaching an HTTP endpoint through a host.
public enum HTTPFailure: Error, Sendable, Hashable, CustomStringConvertible {
  case refused(String)
  case timedOut(seconds: Double)
  case malformed(String)

  public var description: String {
    switch self {
    case .refused(let reason): return reason
    case .timedOut(let seconds): return "no answer within \(Int(seconds))s"
    case .malformed(let start): return "not an HTTP response: \(String(reflecting: start))"
    }
  }
}

extension SSHConnection {
  /// `GET path` on `address:port` as the host sees it.
  public func httpGet(
    address: String, port: Int, path: String, headers: [String: String] = [:],
    timeout: Double = 30
  ) throws(SSHError) -> Result<HTTPResponse, HTTPFailure> {
    var request = "GET \(path) HTTP/1.1\r\nHost: \(address):\(port)\r\nUser-Agent: deploy\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
      request += "\(name): \(value)\r\n"
    }
    request += "Accept: */*\r\nConnection: close\r\n\r\n"
    let exchange = try self.exchange(
      Array(request.utf8), address: address, port: port, timeout: timeout)
    switch exchange.ending {
    case .refused(let reason): return .failure(.refused(reason))
    case .timedOut: return .failure(.timedOut(seconds: timeout))
    case .closed:
      guard let response = HTTPResponse.parse(exchange.received) else {
        if exchange.received.isEmpty {
          return .failure(.refused("the connection to \(address):\(port) closed without an answer"))
        }
        return .failure(.malformed(String(decoding: exchange.received.prefix(60), as: UTF8.self)))
      }
      return .success(response)
    }
  }
}
