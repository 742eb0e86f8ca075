import DeploySupport

/// Why talking to a host failed. Each case says what happened and what to do about it, and maps
/// to its own exit status, because "unreachable", "wrong host key" and "wrong credentials" call
/// for different reactions from whoever reads the result.
public enum SSHError: Error, Sendable, Hashable, CustomStringConvertible {
  /// TCP connect refused, timed out, name not resolved, or the connection dropped.
  case unreachable(host: String, reason: String)
  /// The host offered a key that no `known_hosts` file lists for it (strict checking).
  case hostKeyUnknown(host: String, keyType: String, fingerprint: String, knownHostsFiles: [String])
  /// The host offered a key different from the one `known_hosts` lists for it.
  case hostKeyChanged(
    host: String, keyType: String, fingerprint: String, knownAt: String)
  /// The host's key is marked `@revoked` in `known_hosts`.
  case hostKeyRevoked(host: String, fingerprint: String, knownAt: String)
  /// Every method and key was refused. `tried` lists them, e.g. `publickey ~/.ssh/id_ed25519`.
  case authenticationFailed(host: String, user: String, tried: [String], hint: String?)
  /// An encrypted key file needs a passphrase and none could be had (no terminal, no variable).
  case passphraseRequired(keyFile: String)
  /// This transport cannot do what the host needs (e.g. libssh2 1.10 and RSA keys).
  case unsupported(host: String, reason: String, remedy: String)
  /// The connection was open but broke mid-way, or the SSH protocol failed.
  case connectionLost(host: String, reason: String)

  public var description: String {
    switch self {
    case .unreachable(let host, let reason):
      return "\(host): unreachable: \(reason)"
    case .hostKeyUnknown(let host, let keyType, let fingerprint, let files):
      let location =
        files.isEmpty
        ? "no known_hosts file is configured" : "it is in none of " + files.joined(separator: ", ")
      return """
        \(host): host key not known: the host offered \(keyType) key \(fingerprint), and \
        \(location). Verify the fingerprint with the host's administrator, then add it \
        (ssh-keyscan, or run once with --host-key-checking accept-new).
        """
    case .hostKeyChanged(let host, let keyType, let fingerprint, let knownAt):
      return """
        \(host): HOST KEY CHANGED: the host offered \(keyType) key \(fingerprint), which \
        differs from the key recorded at \(knownAt). This may be an attack (someone in the \
        middle) or a reinstalled host. Refusing to connect; if the change is expected, remove \
        the old line and verify the new key.
        """
    case .hostKeyRevoked(let host, let fingerprint, let knownAt):
      return
        "\(host): host key \(fingerprint) is marked @revoked at \(knownAt); refusing to connect"
    case .authenticationFailed(let host, let user, let tried, let hint):
      let list =
        tried.isEmpty ? "nothing could be offered" : "tried " + tried.joined(separator: ", ")
      return "\(host): authentication failed for user \(user): \(list)"
        + (hint.map { ". \($0)" } ?? "")
    case .passphraseRequired(let keyFile):
      return """
        \(keyFile) is encrypted and no passphrase is available: set DEPLOY_SSH_PASSPHRASE, \
        run on a terminal to be asked, or load the key into ssh-agent
        """
    case .unsupported(let host, let reason, let remedy):
      return "\(host): \(reason). \(remedy)"
    case .connectionLost(let host, let reason):
      return "\(host): connection lost: \(reason)"
    }
  }

  public var exitStatus: ExitStatus {
    switch self {
    case .unreachable, .connectionLost: return .unreachable
    case .hostKeyUnknown, .hostKeyChanged, .hostKeyRevoked: return .hostKeyRejected
    case .authenticationFailed, .passphraseRequired: return .authenticationFailed
    case .unsupported: return .hostsFailed
    }
  }

  /// A short machine-readable kind for `--json` and GitHub annotations.
  public var kind: String {
    switch self {
    case .unreachable: return "unreachable"
    case .hostKeyUnknown: return "host-key-unknown"
    case .hostKeyChanged: return "host-key-changed"
    case .hostKeyRevoked: return "host-key-revoked"
    case .authenticationFailed: return "authentication-failed"
    case .passphraseRequired: return "passphrase-required"
    case .unsupported: return "unsupported"
    case .connectionLost: return "connection-lost"
    }
  }
}
