#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Opens the TCP connection under an SSH session, with a real timeout: a blocking `connect()`
/// to a silent address would hang for minutes, and one dead host must not hold up a fleet.
enum TCPConnector {
  static func connect(host: String, port: Int, timeout: Double, name: String) throws(SSHError)
    -> Int32
  {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if canImport(Glibc)
      hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
      hints.ai_socktype = SOCK_STREAM
    #endif
    var list: UnsafeMutablePointer<addrinfo>?
    let rc = getaddrinfo(host, String(port), &hints, &list)
    if rc != 0 {
      throw .unreachable(
        host: name, reason: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
    }
    defer { freeaddrinfo(list) }

    var failure = "no address for \(host)"
    var candidate = list
    while let info = candidate {
      candidate = info.pointee.ai_next
      // Close-on-exec, so ssh processes started for other hosts never inherit this connection.
      let fd = socket(
        info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
        info.pointee.ai_protocol)
      if fd < 0 { continue }
      switch attempt(
        fd: fd, address: info.pointee.ai_addr, length: info.pointee.ai_addrlen,
        timeout: timeout)
      {
      case nil:
        var one: Int32 = 1
        // SSH is many small request/response packets: Nagle would delay every one of them.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
      case let reason?:
        failure = "\(host) port \(port): \(reason)"
        close(fd)
      }
    }
    throw .unreachable(host: name, reason: failure)
  }

  /// Connects without blocking, waiting at most `timeout` seconds. Returns nil on success, else
  /// the reason in words.
  private static func attempt(
    fd: Int32, address: UnsafeMutablePointer<sockaddr>?, length: socklen_t, timeout: Double
  ) -> String? {
    let flags = fcntl(fd, F_GETFL, 0)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    defer { _ = fcntl(fd, F_SETFL, flags) }
    if Glibc.connect(fd, address, length) == 0 { return nil }
    guard errno == EINPROGRESS else { return describe(errno) }
    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    let ready = poll(&pfd, 1, Int32(max(1, timeout * 1000)))
    if ready == 0 { return "connection timed out after \(formatSeconds(timeout))" }
    if ready < 0 { return describe(errno) }
    var error: Int32 = 0
    var size = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
    return error == 0 ? nil : describe(error)
  }

  private static func describe(_ code: Int32) -> String {
    switch code {
    case ECONNREFUSED: return "connection refused (is sshd running and listening on this port?)"
    case EHOSTUNREACH, ENETUNREACH: return "no route to host"
    case ETIMEDOUT: return "connection timed out"
    default: return String(cString: strerror(code))
    }
  }
}

/// `2.5s`, `10s`: durations in messages.
func formatSeconds(_ seconds: Double) -> String {
  seconds == seconds.rounded() ? "\(Int(seconds))s" : "\((seconds * 10).rounded() / 10)s"
}
