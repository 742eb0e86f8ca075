import CLibSSH2
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `libssh2_init` is not thread-safe: run it exactly once, before the first session, from
/// whichever thread gets there first (Swift initializes globals once, atomically).
private let libssh2Ready: Int32 = libssh2_init(0)

/// One libssh2 session on one TCP socket. Owns both and frees them in the order libssh2 needs.
/// Used from one thread at a time (its `LibSSH2Connection`), hence `@unchecked Sendable`.
final class LibSSH2Session: @unchecked Sendable {
  let raw: OpaquePointer
  let socket: Int32
  let name: String

  init(target: SSHTarget, hostKeyPreference: String) throws(SSHError) {
    guard libssh2Ready == 0 else {
      throw .connectionLost(host: target.name, reason: "libssh2 failed to initialize")
    }
    socket = try TCPConnector.connect(
      host: target.hostname, port: target.port, timeout: target.connectTimeout, name: target.name)
    guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
      close(socket)
      throw .connectionLost(host: target.name, reason: "libssh2 could not allocate a session")
    }
    raw = session
    name = target.name
    libssh2_session_set_blocking(raw, 1)
    // Applies to every blocking call: a host that accepts TCP but never speaks SSH must not hang us.
    libssh2_session_set_timeout(raw, Int(target.connectTimeout * 1000))
    _ = libssh2_session_method_pref(raw, LIBSSH2_METHOD_HOSTKEY, hostKeyPreference)
    let rc = libssh2_session_handshake(raw, libssh2_socket_t(socket))
    if rc != 0 {
      let reason = lastError()
      free()
      if rc == LIBSSH2_ERROR_KEX_FAILURE {
        throw .unsupported(
          host: target.name,
          reason:
            "libssh2 1.10 and the server share no key exchange or host key algorithm (\(reason))",
          remedy:
            "Use --transport auto (the default) or openssh, or set deploy_transport for this host.")
      }
      throw .unreachable(host: target.name, reason: "SSH handshake failed: \(reason)")
    }
  }

  /// Turns on keepalives. Only after authentication: libssh2 1.10 fails the key exchange
  /// ("Unable to exchange encryption keys") when keepalives are configured before the handshake.
  func enableKeepalive(interval: Int) {
    if interval > 0 { libssh2_keepalive_config(raw, 1, UInt32(interval)) }
  }

  /// The server's host key: its type name (as in known_hosts) and raw blob.
  func hostKey() -> (type: String, blob: [UInt8])? {
    var length = 0
    var type: Int32 = 0
    guard let pointer = libssh2_session_hostkey(raw, &length, &type) else { return nil }
    let blob = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
      Array(UnsafeBufferPointer(start: $0, count: length))
    }
    var reader = SSHWireReader(blob)
    guard let name = reader.string() else { return nil }
    return (String(decoding: name, as: UTF8.self), blob)
  }

  /// libssh2's description of its last error.
  func lastError() -> String {
    var message: UnsafeMutablePointer<CChar>?
    var length: Int32 = 0
    let code = libssh2_session_last_error(raw, &message, &length, 0)
    guard let message, length > 0 else { return "libssh2 error \(code)" }
    return String(cString: message)
  }

  var lastErrno: Int32 { libssh2_session_last_errno(raw) }

  func setBlocking(_ blocking: Bool) {
    libssh2_session_set_blocking(raw, blocking ? 1 : 0)
  }

  /// Waits until the socket is ready in the direction libssh2 is blocked on, at most `milliseconds`.
  func waitForSocket(milliseconds: Int32) {
    let directions = libssh2_session_block_directions(raw)
    var events: Int16 = 0
    if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
    if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
    if events == 0 { events = Int16(POLLIN) }
    var pfd = pollfd(fd: socket, events: events, revents: 0)
    _ = poll(&pfd, 1, milliseconds)
  }

  /// Sends a keepalive if one is due; returns seconds until the next one.
  func keepalive() -> Int32 {
    var next: Int32 = 0
    _ = libssh2_keepalive_send(raw, &next)
    return next
  }

  private var freed = false

  func disconnect() {
    guard !freed else { return }
    setBlocking(true)
    libssh2_session_set_timeout(raw, 2000)
    _ = libssh2_session_disconnect_ex(raw, SSH_DISCONNECT_BY_APPLICATION, "deploy done", "")
    free()
  }

  private func free() {
    guard !freed else { return }
    freed = true
    libssh2_session_free(raw)
    close(socket)
  }

  deinit { free() }
}
