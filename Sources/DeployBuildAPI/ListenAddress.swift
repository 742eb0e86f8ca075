import DeploySupport

/// Where `deploy build-api` listens: `HOST:PORT`, `[IPV6]:PORT` or a bare port (on 127.0.0.1).
/// Nothing in the explorer's API authenticates `update`, so whether the address is loopback
/// decides whether a token is required.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
  public var host: String
  public var port: Int

  public static let `default` = ListenAddress(host: "127.0.0.1", port: 5000)

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  public init(parsing text: String) throws(DeployError) {
    let invalid = DeployError.usage(
      "--listen wants HOST:PORT (e.g. 127.0.0.1:5000, [::1]:5000) or a port, not "
        + String(reflecting: text))
    var host = "127.0.0.1"
    var portText = Substring(text)
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else {
        throw invalid
      }
      host = String(text[text.index(after: text.startIndex)..<close])
      portText = text[text.index(close, offsetBy: 2)...]
    } else if let colon = text.lastIndex(of: ":") {
      host = String(text[..<colon])
      portText = text[text.index(after: colon)...]
      guard !host.contains(":") else { throw invalid }
    }
    guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
      throw invalid
    }
    self.init(host: host, port: port)
  }

  /// 127.0.0.0/8, ::1 (also written out, or IPv4-mapped) and `localhost`.
  public var isLoopback: Bool {
    let lowered = host.lowercased()
    if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
    let ipv4 = lowered.hasPrefix("::ffff:") ? String(lowered.dropFirst(7)) : lowered
    let parts = ipv4.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts[0] == "127"
      && parts.allSatisfy { UInt8($0) != nil }
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
