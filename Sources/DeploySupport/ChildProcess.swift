import Foundation
import HostShell

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a local program synchronously on the calling thread, feeding its stdin and streaming its
/// stdout and stderr apart as they come. The OpenSSH transport runs one `ssh` per command from
/// per-host worker threads, so this is deliberately blocking (poll on the pipes), not async: the
/// Swift concurrency pool has only as many threads as cores.
public enum ChildProcess {
  private static let spawnLock = NSLock()

  public struct Exit: Sendable, Hashable {
    public var status: Int32
    /// Set when a signal ended the process (its name, e.g. `TERM`).
    public var signal: String?
    public var timedOut: Bool
  }

  /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments.
  /// With `keepStdinOpen`, the child's stdin stays open (after `stdin` was written) until its
  /// output closes: for children that treat end-of-input as "hang up" (`ssh -W`).
  public static func run(
    _ arguments: [String], stdin: [UInt8] = [], environment: [String: String]? = nil,
    timeout: Double? = nil, keepStdinOpen: Bool = false,
    onOutput: (StandardStream, [UInt8]) -> Void
  ) throws(DeployError) -> Exit {
    var inPipe: [Int32] = [0, 0]
    var outPipe: [Int32] = [0, 0]
    var errPipe: [Int32] = [0, 0]
    // Pipes are made close-on-exec under a lock held until the child exists: another thread
    // spawning at the same moment must not inherit our pipe ends (a leaked write end — say in
    // an ssh ControlMaster that lives for minutes — would keep our reads from seeing EOF).
    // dup2 onto 0/1/2 clears the flag for our own child.
    spawnLock.lock()
    guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
      spawnLock.unlock()
      throw .usage("cannot create pipes: \(String(cString: strerror(errno)))")
    }
    for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

    // The child starts with default signal handling and nothing blocked: we ignore SIGPIPE,
    // and a test runner may block signals, neither of which a child should inherit.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let rc = withCStrings(arguments) { argv in
      withCStrings(env) { envp in
        posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
      }
    }
    spawnLock.unlock()
    close(inPipe[0])
    close(outPipe[1])
    close(errPipe[1])
    guard rc == 0 else {
      for fd in [inPipe[1], outPipe[0], errPipe[0]] { close(fd) }
      throw .usage("cannot run \(arguments[0]): \(String(cString: strerror(rc)))")
    }
    // A child that exits without reading its stdin must not kill us with SIGPIPE.
    signal(SIGPIPE, SIG_IGN)

    let started = MonotonicClock.now
    var input = stdin[...]
    var inputFD: Int32? = inPipe[1]
    var heldInputFD: Int32?
    // Non-blocking: a blocking write larger than the pipe's free space would wait for the child
    // to read while the child waits for us to read its output.
    _ = fcntl(inPipe[1], F_SETFL, fcntl(inPipe[1], F_GETFL) | O_NONBLOCK)
    if input.isEmpty, let fd = inputFD {
      if keepStdinOpen { heldInputFD = fd } else { close(fd) }
      inputFD = nil
    }
    var open: [(Int32, StandardStream)] = [(outPipe[0], .stdout), (errPipe[0], .stderr)]
    var buffer = [UInt8](repeating: 0, count: 65536)
    var timedOut = false
    while !open.isEmpty || inputFD != nil {
      var fds = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
      if let fd = inputFD { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
      var wait: Int32 = -1
      if let timeout {
        let left = started + timeout - MonotonicClock.now
        if left <= 0 {
          timedOut = true
          kill(pid, SIGTERM)
          break
        }
        wait = Int32(left * 1000) + 1
      }
      if poll(&fds, nfds_t(fds.count), wait) < 0, errno != EINTR { break }
      for entry in fds where entry.revents != 0 {
        if let fd = inputFD, entry.fd == fd {
          let n = input.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
          if n > 0 { input = input.dropFirst(n) }
          if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
          if n <= 0 || input.isEmpty {
            if keepStdinOpen && n > 0 { heldInputFD = fd } else { close(fd) }
            inputFD = nil
          }
          continue
        }
        guard let stream = open.first(where: { $0.0 == entry.fd })?.1 else { continue }
        let n = read(entry.fd, &buffer, buffer.count)
        if n > 0 {
          onOutput(stream, Array(buffer[0..<n]))
        } else if n == 0 || errno != EINTR {
          close(entry.fd)
          open.removeAll { $0.0 == entry.fd }
        }
      }
    }
    for (fd, _) in open { close(fd) }
    if let fd = inputFD { close(fd) }
    if let fd = heldInputFD { close(fd) }

    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let terminatedBySignal = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
    if terminatedBySignal {
      return Exit(status: -1, signal: SignalName.name(status & 0x7f), timedOut: timedOut)
    }
    return Exit(status: (status >> 8) & 0xff, signal: nil, timedOut: timedOut)
  }

  /// Runs a program and collects its output.
  public static func capture(
    _ arguments: [String], stdin: [UInt8] = [], timeout: Double? = nil
  ) throws(DeployError) -> (exit: Exit, stdout: String, stderr: String) {
    var out: [UInt8] = []
    var err: [UInt8] = []
    let exit = try run(arguments, stdin: stdin, timeout: timeout) { stream, bytes in
      if stream == .stdout { out += bytes } else { err += bytes }
    }
    return (exit, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }

  private static func withCStrings<R>(
    _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
  ) -> R {
    var pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
  }
}

/// Signal numbers to the names SSH uses for them (RFC 4254 §6.10: without the `SIG` prefix).
public enum SignalName {
  static let names: [Int32: String] = [
    1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 6: "ABRT", 8: "FPE", 9: "KILL", 10: "USR1",
    11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM",
  ]

  public static func name(_ number: Int32) -> String { names[number] ?? "SIG\(number)" }
}
