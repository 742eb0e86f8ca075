import DeploySupport
import Foundation

/// Opens in-process libssh2 connections: TCP, handshake with a host-key preference taken from
/// known_hosts, host-key verification, then public-key authentication.
public struct LibSSH2Transport: SSHTransport {
  /// Host key algorithms libssh2 1.10 (OpenSSL build) can negotiate, in our default order:
  /// libssh2's own default puts ecdsa first, which makes a host known by its ed25519 key look
  /// unknown.
  static let supportedHostKeyTypes = [
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
  ]

  public init() {}

  public func connect(_ target: SSHTarget) throws(SSHError) -> any SSHConnection {
    let plan = try ConnectionPlan(target: target)
    if let reason = plan.libssh2Limitation {
      throw .unsupported(
        host: target.name, reason: reason,
        remedy:
          "Use --transport auto (the default) or openssh, or set deploy_transport for this host.")
    }
    let session = try LibSSH2Session(target: target, hostKeyPreference: plan.hostKeyPreference)
    try HostKeyVerifier(target: target, knownHosts: plan.knownHosts).verify(session: session)
    try LibSSH2Authenticator(session: session, target: target, keyFiles: plan.keyFiles)
      .authenticate()
    session.enableKeepalive(interval: target.keepaliveInterval)
    return LibSSH2Connection(target: target, session: session)
  }
}

/// What is known about a host before connecting: its usable keys, its known host key types, and
/// whether libssh2 can serve it at all. `auto` uses it to choose a transport without a wasted
/// connection attempt.
struct ConnectionPlan {
  let keyFiles: [PrivateKeyFile]
  let knownHosts: KnownHosts?
  let hostKeyPreference: String
  /// Why libssh2 cannot serve this host, if it cannot.
  let libssh2Limitation: String?

  init(target: SSHTarget) throws(SSHError) {
    let configured = !target.identityFiles.isEmpty
    let candidates =
      configured
      ? target.identityFiles
      : ["id_ed25519", "id_ecdsa", "id_rsa"].map { NSHomeDirectory() + "/.ssh/" + $0 }
    var keys: [PrivateKeyFile] = []
    for path in candidates {
      do {
        if let key = try PrivateKeyFile.inspect(path) { keys.append(key) }
      } catch {
        throw .authenticationFailed(
          host: target.name, user: target.user, tried: [], hint: error.description)
      }
    }
    keyFiles = keys

    if target.hostKeyPolicy == .off {
      knownHosts = nil
    } else {
      do {
        knownHosts = try KnownHosts.load(files: target.knownHostsFiles)
      } catch {
        throw .unsupported(host: target.name, reason: error.description, remedy: "Fix the file.")
      }
    }
    let known = knownHosts?.keyTypes(for: target.knownHostsName) ?? []
    let usableKnown = known.filter { LibSSH2Transport.supportedHostKeyTypes.contains($0) }
    hostKeyPreference =
      (usableKnown
      + LibSSH2Transport.supportedHostKeyTypes.filter { !usableKnown.contains($0) })
      .joined(separator: ",")

    let agentAvailable = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil
    let onlyRSAKeys =
      !keys.isEmpty && keys.allSatisfy { $0.type == .rsa || $0.type == .dsa }
    if !target.proxyJump.isEmpty {
      libssh2Limitation = "ProxyJump is done by the OpenSSH transport"
    } else if !known.isEmpty, known.allSatisfy({ $0 == "ssh-rsa" || $0 == "ssh-dss" }) {
      libssh2Limitation =
        "known_hosts holds only an RSA host key for \(target.knownHostsName), which libssh2 1.10 cannot negotiate with OpenSSH 8.8 or later"
    } else if configured, onlyRSAKeys, !agentAvailable || target.identitiesOnly {
      libssh2Limitation =
        "libssh2 1.10 cannot sign with rsa-sha2-256/512, which OpenSSH 8.8 and later require for RSA keys (\(keys.map(\.path).joined(separator: ", ")))"
    } else if configured, keys.contains(where: \.hasCertificate) {
      libssh2Limitation = "libssh2 cannot authenticate with OpenSSH certificates"
    } else {
      libssh2Limitation = nil
    }
  }
}

/// Checks the key a host offered against known_hosts, before any credential is sent to it.
struct HostKeyVerifier {
  let target: SSHTarget
  let knownHosts: KnownHosts?

  /// Serializes appends to known_hosts from hosts connecting in parallel.
  private static let appendLock = NSLock()

  func verify(session: LibSSH2Session) throws(SSHError) {
    guard let knownHosts else { return }  // --host-key-checking off, warned about by the CLI
    guard let (type, blob) = session.hostKey() else {
      throw .connectionLost(host: target.name, reason: "the server sent no host key")
    }
    let fingerprint = Fingerprint.sha256(blob)
    let name = target.knownHostsName
    switch knownHosts.verify(name: name, keyType: type, key: blob) {
    case .known:
      return
    case .revoked(let at):
      throw .hostKeyRevoked(host: target.name, fingerprint: fingerprint, knownAt: at)
    case .changed(let knownAt):
      throw .hostKeyChanged(
        host: target.name, keyType: type, fingerprint: fingerprint, knownAt: knownAt)
    case .unknown:
      // Our preference lists the known types first, so a host that still has its known key
      // negotiates it. Offering only another type means a reinstalled host or someone in the
      // middle: never record that as "new", whatever the policy (OpenSSH refuses it too).
      let knownTypes = knownHosts.keyTypes(for: name)
      if !knownTypes.isEmpty {
        throw .hostKeyChanged(
          host: target.name, keyType: type, fingerprint: fingerprint,
          knownAt:
            "known_hosts, which lists only \(knownTypes.joined(separator: ", ")) keys for \(name)")
      }
      guard target.hostKeyPolicy == .acceptNew, let file = target.knownHostsFiles.first else {
        throw .hostKeyUnknown(
          host: target.name, keyType: type, fingerprint: fingerprint,
          knownHostsFiles: target.knownHostsFiles)
      }
      Self.appendLock.lock()
      defer { Self.appendLock.unlock() }
      do {
        try KnownHosts.append(to: file, name: name, keyType: type, key: blob, hashed: false)
      } catch {
        throw .unsupported(
          host: target.name, reason: "cannot record the new host key: \(error)",
          remedy: "Make \(file) writable.")
      }
    }
  }
}
