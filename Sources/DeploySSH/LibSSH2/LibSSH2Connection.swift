import CLibSSH2
import DeploySupport
import Foundation
import HostShell

#if canImport(Glibc)
  import Glibc
#endif

/// A connection over in-process libssh2: one TCP connection and SSH session per host, one
/// channel per command. Blocking for handshake and authentication; non-blocking for command I/O,
/// reading stdout and stderr in turn so a full stderr window can never stall stdout.
final class LibSSH2Connection: SSHConnection, @unchecked Sendable {
  let target: SSHTarget
  var transportName: String { TransportKind.libssh2.rawValue }
  private let session: LibSSH2Session
  private var closed = false

  init(target: SSHTarget, session: LibSSH2Session) {
    self.target = target
    self.session = session
  }

  func run(_ command: RemoteCommand, onOutput: (StandardStream, [UInt8]) -> Void) throws(SSHError)
    -> CommandResult
  {
    guard !closed else { throw .connectionLost(host: target.name, reason: "connection closed") }
    let started = MonotonicClock.now
    let deadline = command.backstopTimeout.map { started + $0 }
    session.setBlocking(false)
    defer { session.setBlocking(true) }

    let channel = try retry(until: deadline) {
      libssh2_channel_open_ex(
        session.raw, "session", 7, UInt32(2 * 1024 * 1024), UInt32(32768), nil, 0)
    }
    defer { libssh2_channel_free(channel) }
    let wire = command.wireCommand.text
    try retryCode(until: deadline) {
      libssh2_channel_process_startup(channel, "exec", 4, wire, UInt32(wire.utf8.count))
    }

    var input = command.stdin[...]
    var inputClosed = false
    var buffer = [UInt8](repeating: 0, count: 32768)
    var timedOutLocally = false
    while true {
      var progressed = false
      if !inputClosed {
        if input.isEmpty {
          let rc = libssh2_channel_send_eof(channel)
          if rc == 0 {
            inputClosed = true
          } else if rc != LIBSSH2_ERROR_EAGAIN {
            inputClosed = true  // the command closed its stdin; nothing more to send
          }
        } else {
          let written = input.withUnsafeBytes {
            libssh2_channel_write_ex(channel, 0, $0.baseAddress, $0.count)
          }
          if written > 0 {
            input = input.dropFirst(written)
            progressed = true
          } else if written != Int(LIBSSH2_ERROR_EAGAIN) {
            input = []  // the command stopped reading; drop the rest like a closed pipe would
          }
        }
      }
      for (streamID, stream) in [(Int32(0), StandardStream.stdout), (1, .stderr)] {
        while true {
          let count = libssh2_channel_read_ex(channel, streamID, &buffer, buffer.count)
          if count > 0 {
            onOutput(stream, Array(buffer[0..<count]))
            progressed = true
          } else if count == 0 || count == Int(LIBSSH2_ERROR_EAGAIN) {
            break
          } else {
            throw .connectionLost(host: target.name, reason: session.lastError())
          }
        }
      }
      if libssh2_channel_eof(channel) == 1 { break }
      if let deadline, MonotonicClock.now > deadline {
        timedOutLocally = true
        break
      }
      if !progressed {
        let keepaliveIn = session.keepalive()
        let wait = min(1000, max(50, keepaliveIn * 1000))
        session.waitForSocket(milliseconds: wait)
      }
    }

    if timedOutLocally {
      // The remote `timeout` wrapper should have ended it; if the host is that stuck, give up on
      // the channel rather than wait for it.
      _ = libssh2_channel_close(channel)
      return CommandResult(
        exitStatus: -1, timedOut: true, duration: MonotonicClock.now - started)
    }
    try retryCode(until: nil) { libssh2_channel_close(channel) }
    // Exit status and signal are only reliable once the server's close has arrived.
    try retryCode(until: nil) { libssh2_channel_wait_closed(channel) }
    let status = libssh2_channel_get_exit_status(channel)
    var signalName: UnsafeMutablePointer<CChar>?
    var signalLength = 0
    _ = libssh2_channel_get_exit_signal(
      channel, &signalName, &signalLength, nil, nil, nil, nil)
    var signal: String? = nil
    if let signalName {
      if signalLength > 0 { signal = String(cString: signalName) }
      libssh2_free(session.raw, signalName)
    }
    return command.interpret(
      exitStatus: status, signal: signal, duration: MonotonicClock.now - started)
  }

  func exchange(_ request: [UInt8], address: String, port: Int, timeout: Double) throws(SSHError)
    -> TunnelExchange
  {
    guard !closed else { throw .connectionLost(host: target.name, reason: "connection closed") }
    let deadline = MonotonicClock.now + timeout
    session.setBlocking(false)
    defer { session.setBlocking(true) }
    var channel: OpaquePointer?
    while channel == nil {
      channel = libssh2_channel_direct_tcpip_ex(session.raw, address, Int32(port), "127.0.0.1", 0)
      if channel != nil { break }
      let code = session.lastErrno
      if code == LIBSSH2_ERROR_CHANNEL_FAILURE {
        // The server opened no channel: its connect() to the address failed.
        return TunnelExchange(
          received: [],
          ending: .refused(
            "the host could not connect to \(address):\(port): \(session.lastError())"))
      }
      guard code == LIBSSH2_ERROR_EAGAIN else {
        throw .connectionLost(host: target.name, reason: session.lastError())
      }
      if MonotonicClock.now > deadline { return TunnelExchange(received: [], ending: .timedOut) }
      session.waitForSocket(milliseconds: 100)
    }
    guard let channel else { return TunnelExchange(received: [], ending: .timedOut) }
    defer { libssh2_channel_free(channel) }
    var input = request[...]
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 32768)
    while true {
      var progressed = false
      if !input.isEmpty {
        let written = input.withUnsafeBytes {
          libssh2_channel_write_ex(channel, 0, $0.baseAddress, $0.count)
        }
        if written > 0 {
          input = input.dropFirst(written)
          progressed = true
        } else if written != Int(LIBSSH2_ERROR_EAGAIN) {
          throw .connectionLost(host: target.name, reason: session.lastError())
        }
      }
      while true {
        let count = libssh2_channel_read_ex(channel, 0, &buffer, buffer.count)
        if count > 0 {
          received += buffer[0..<count]
          progressed = true
        } else if count == 0 || count == Int(LIBSSH2_ERROR_EAGAIN) {
          break
        } else {
          throw .connectionLost(host: target.name, reason: session.lastError())
        }
      }
      let ended = libssh2_channel_eof(channel) == 1
      if ended {
        // The peer closed: close our side and wait for the server's close, as after a command.
        try retryCode(until: MonotonicClock.now + 10) { libssh2_channel_close(channel) }
        try retryCode(until: MonotonicClock.now + 10) { libssh2_channel_wait_closed(channel) }
        return TunnelExchange(received: received, ending: .closed)
      }
      if MonotonicClock.now > deadline {
        // No answer in time: close our side and move on; sshd drops the forwarded connection
        // when it gets the close. (Waiting for its close would wait for the silent peer.)
        _ = libssh2_channel_close(channel)
        return TunnelExchange(received: received, ending: .timedOut)
      }
      if !progressed { session.waitForSocket(milliseconds: 100) }
    }
  }

  /// Repeats a libssh2 call that answers NULL with EAGAIN until it yields a value.
  private func retry<T>(until deadline: Double?, _ call: () -> T?) throws(SSHError) -> T {
    while true {
      if let value = call() { return value }
      guard session.lastErrno == LIBSSH2_ERROR_EAGAIN else {
        throw .connectionLost(host: target.name, reason: session.lastError())
      }
      if let deadline, MonotonicClock.now > deadline {
        throw .connectionLost(host: target.name, reason: "the host stopped answering")
      }
      session.waitForSocket(milliseconds: 1000)
    }
  }

  /// Repeats a libssh2 call that returns an int code while it returns EAGAIN.
  private func retryCode(until deadline: Double?, _ call: () -> Int32) throws(SSHError) {
    while true {
      let rc = call()
      if rc == 0 { return }
      guard rc == LIBSSH2_ERROR_EAGAIN else {
        throw .connectionLost(host: target.name, reason: session.lastError())
      }
      if let deadline, MonotonicClock.now > deadline {
        throw .connectionLost(host: target.name, reason: "the host stopped answering")
      }
      session.waitForSocket(milliseconds: 1000)
    }
  }

  func close() {
    guard !closed else { return }
    closed = true
    session.disconnect()
  }

  deinit { close() }
}
