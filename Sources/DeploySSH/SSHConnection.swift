import HostShell

/// One open connection to one host. A connection is used from one thread at a time; each
/// command gets its own channel on the same connection.
public protocol SSHConnection: AnyObject, Sendable {
  var target: SSHTarget { get }
  /// `libssh2` or `openssh`, for messages and `--json`.
  var transportName: String { get }
  /// Runs a command, handing its output to `onOutput` as it arrives, stdout and stderr apart.
  func run(_ command: RemoteCommand, onOutput: (StandardStream, [UInt8]) -> Void) throws(SSHError)
    -> CommandResult
  /// Opens a TCP connection from the host to `address:port` (as the host sees it: an app bound
  /// to the host's loopback is reachable), sends `request`, and collects what comes back until
  /// the peer closes the connection or `timeout` seconds pass. The sending side is never
  /// half-closed (some HTTP servers drop a request whose client shut down its writing side), so
  /// requests must make the peer close: HTTP/1.1 with `Connection: close`.
  func exchange(_ request: [UInt8], address: String, port: Int, timeout: Double) throws(SSHError)
    -> TunnelExchange
  /// Closes the connection; further use throws.
  func close()
}

/// What came back through a forwarded connection.
public struct TunnelExchange: Sendable, Hashable {
  public enum Ending: Sendable, Hashable {
    /// The peer closed the connection after answering.
    case closed
    /// The host could not connect to the address (nothing listening, or refused).
    case refused(String)
    /// No end within the timeout; `received` holds what arrived.
    case timedOut
  }

  public var received: [UInt8]
  public var ending: Ending

  public init(received: [UInt8], ending: Ending) {
    self.received = received
    self.ending = ending
  }
}

extension SSHConnection {
  /// Runs a command and collects its output.
  public func capture(_ command: RemoteCommand) throws(SSHError) -> CapturedOutput {
    var out: [UInt8] = []
    var err: [UInt8] = []
    let result = try run(command) { stream, bytes in
      switch stream {
      case .stdout: out += bytes
      case .stderr: err += bytes
      }
    }
    return CapturedOutput(result: result, stdout: out, stderr: err)
  }

  /// Writes `content` to `path` atomically (a temporary file beside it, then rename), with
  /// `mode`, in one round trip: the bytes travel on the command's standard input.
  public func upload(_ content: [UInt8], to path: String, mode: Int = 0o644) throws(SSHError)
    -> CommandResult
  {
    let tmp = path + ".deploy-tmp"
    let command: ShellScript =
      "umask 077 && cat > \(tmp) && chmod \(String(mode, radix: 8)) \(tmp) && mv -f \(tmp) \(path)"
    return try run(RemoteCommand(command, stdin: content)) { _, _ in }
  }
}

/// Opens connections of one kind.
public protocol SSHTransport: Sendable {
  func connect(_ target: SSHTarget) throws(SSHError) -> any SSHConnection
}
