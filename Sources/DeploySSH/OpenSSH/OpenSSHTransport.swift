import DeploySupport
import Foundation
import HostShell
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Connections through the system's OpenSSH client. Each host gets a ControlMaster (one TCP
/// connection for the whole run); each command is a short-lived `ssh` multiplexed over it. This
/// reaches whatever OpenSSH reaches: RSA keys with rsa-sha2, certificates, FIDO keys, ProxyJump,
/// every ssh_config keyword, and the post-quantum key exchange.
public struct OpenSSHTransport: SSHTransport {
  public init() {}

  public func connect(_ target: SSHTarget) throws(SSHError) -> any SSHConnection {
    guard let directory = ControlSocketCounter.directory else {
      throw .unsupported(
        host: target.name, reason: "cannot create a folder for control sockets in /tmp",
        remedy: "Check that /tmp is writable.")
    }
    let socket = "\(directory)/\(ControlSocketCounter.next())"
    let connection = OpenSSHConnection(target: target, controlPath: socket)
    try connection.startMaster()
    return connection
  }
}

/// Hands out unique control socket names within one process.
private enum ControlSocketCounter {
  /// Control sockets live here, one per host; the path must stay short (unix sockets: 108
  /// bytes). Made by mkdtemp(3), mode 700 and a name nobody can guess or create first (a fixed
  /// name could be taken by another user, who would then hold the sockets).
  static let directory: String? = {
    var template = Array("/tmp/deploy-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer in
      mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
    }
  }()
  private static let counter = Atomic(0)

  static func next() -> Int {
    counter.wrappingAdd(1, ordering: .relaxed).newValue
  }
}

final class OpenSSHConnection: SSHConnection, @unchecked Sendable {
  let target: SSHTarget
  var transportName: String { TransportKind.openssh.rawValue }
  private let controlPath: String
  private var closed = false

  init(target: SSHTarget, controlPath: String) {
    self.target = target
    self.controlPath = controlPath
  }

  /// The `ssh` arguments that pin every invocation to this host's settings and control socket.
  var baseArguments: [String] {
    var args = ["ssh"]
    if let file = target.sshConfigFile { args += ["-F", file] }
    args += [
      "-o", "BatchMode=yes", "-o", "ControlPath=\(controlPath)",
      "-p", String(target.port), "-l", target.user,
      "-o", "ConnectTimeout=\(max(1, Int(target.connectTimeout.rounded(.up))))",
    ]
    if target.keepaliveInterval > 0 {
      args += ["-o", "ServerAliveInterval=\(target.keepaliveInterval)"]
    }
    for file in target.identityFiles { args += ["-i", file] }
    if target.identitiesOnly { args += ["-o", "IdentitiesOnly=yes"] }
    switch target.hostKeyPolicy {
    case .strict: args += ["-o", "StrictHostKeyChecking=yes"]
    case .acceptNew: args += ["-o", "StrictHostKeyChecking=accept-new"]
    case .off: args += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    }
    if target.hostKeyPolicy != .off, !target.knownHostsFiles.isEmpty {
      let files = target.knownHostsFiles.map { "\"\($0)\"" }.joined(separator: " ")
      args += ["-o", "UserKnownHostsFile=\(files)"]
    }
    if !target.proxyJump.isEmpty { args += ["-J", target.proxyJump.joined(separator: ",")] }
    return args
  }

  /// Opens the master connection (host key check and authentication happen here) and leaves it
  /// in the background for up to a minute of idleness — so a crashed `deploy` leaks nothing.
  func startMaster() throws(SSHError) {
    let args =
      baseArguments + [
        "-o", "ControlMaster=yes", "-o", "ControlPersist=60", "-N", "-f", target.hostname,
      ]
    let outcome: (exit: ChildProcess.Exit, stdout: String, stderr: String)
    do {
      outcome = try ChildProcess.capture(args, timeout: target.connectTimeout * 3 + 5)
    } catch {
      throw .unsupported(
        host: target.name, reason: "cannot run the OpenSSH client: \(error)",
        remedy: "Install openssh-client.")
    }
    if outcome.exit.status == 0 && !outcome.exit.timedOut { return }
    throw OpenSSHErrorParser(target: target).error(
      fromStderr: outcome.stderr, timedOut: outcome.exit.timedOut)
  }

  func run(_ command: RemoteCommand, onOutput: (StandardStream, [UInt8]) -> Void) throws(SSHError)
    -> CommandResult
  {
    guard !closed else { throw .connectionLost(host: target.name, reason: "connection closed") }
    let started = MonotonicClock.now
    // The outer shell outlives the command, so a command killed by a signal ends the session
    // with status 128+N instead of an exit-signal, which the OpenSSH client does not pass on.
    let remote: ShellScript = "\"${SHELL:-/bin/sh}\" -c \(command.wireCommand.text); exit $?"
    let args = baseArguments + ["-o", "ControlMaster=no", "-T", target.hostname, "--", remote.text]
    var stderrTail: [UInt8] = []
    let exit: ChildProcess.Exit
    do {
      exit = try ChildProcess.run(
        args, stdin: command.stdin,
        timeout: command.backstopTimeout
      ) { stream, bytes in
        if stream == .stderr { stderrTail = Array((stderrTail + bytes).suffix(4096)) }
        onOutput(stream, bytes)
      }
    } catch {
      throw .unsupported(
        host: target.name, reason: "cannot run the OpenSSH client: \(error)",
        remedy: "Install openssh-client.")
    }
    let duration = MonotonicClock.now - started
    if exit.timedOut {
      return CommandResult(exitStatus: -1, timedOut: true, duration: duration)
    }
    if exit.status == 255 {
      let text = String(decoding: stderrTail, as: UTF8.self)
      if OpenSSHErrorParser.isTransportFailure(text) {
        throw OpenSSHErrorParser(target: target).error(fromStderr: text, timedOut: false)
      }
    }
    var result = command.interpret(exitStatus: exit.status, signal: nil, duration: duration)
    if !result.timedOut, exit.status > 128, exit.status < 128 + 32 {
      // Reported by the remote shell as 128+N: the only form OpenSSH lets through.
      result.signal = SignalName.name(exit.status - 128)
    }
    return result
  }

  /// `ssh -W`: stdio forwarded to `address:port` over the master connection. Its stdin stays
  /// open, since `ssh -W` turns end-of-input into a half-close of the forwarded connection.
  func exchange(_ request: [UInt8], address: String, port: Int, timeout: Double) throws(SSHError)
    -> TunnelExchange
  {
    guard !closed else { throw .connectionLost(host: target.name, reason: "connection closed") }
    let args =
      baseArguments + ["-o", "ControlMaster=no", "-W", "\(address):\(port)", target.hostname]
    var received: [UInt8] = []
    var stderr: [UInt8] = []
    let exit: ChildProcess.Exit
    do {
      exit = try ChildProcess.run(args, stdin: request, timeout: timeout, keepStdinOpen: true) {
        stream, bytes in
        if stream == .stdout { received += bytes } else { stderr += bytes }
      }
    } catch {
      throw .unsupported(
        host: target.name, reason: "cannot run the OpenSSH client: \(error)",
        remedy: "Install openssh-client.")
    }
    if exit.timedOut { return TunnelExchange(received: received, ending: .timedOut) }
    let text = String(decoding: stderr, as: UTF8.self)
    if text.contains("open failed") || text.contains("forwarding failed") {
      let reason = text.split(separator: "\n").first { $0.contains("open failed") } ?? "refused"
      return TunnelExchange(
        received: received,
        ending: .refused("the host could not connect to \(address):\(port): \(reason)"))
    }
    if exit.status == 255, OpenSSHErrorParser.isTransportFailure(text) {
      throw OpenSSHErrorParser(target: target).error(fromStderr: text, timedOut: false)
    }
    return TunnelExchange(received: received, ending: .closed)
  }

  func close() {
    guard !closed else { return }
    closed = true
    _ = try? ChildProcess.capture(baseArguments + ["-O", "exit", target.hostname], timeout: 5)
  }

  deinit { close() }
}
