import CLibSSH2
import Foundation

/// Public-key authentication over libssh2: agent keys, then key files, offering only keys that
/// can work. A server counts every refused key against MaxAuthTries (6 by default), so RSA keys —
/// which libssh2 1.10 can only sign with SHA-1, refused by OpenSSH ≥ 8.8 — are never offered.
struct LibSSH2Authenticator {
  let session: LibSSH2Session
  let target: SSHTarget
  /// Key files to try, already inspected (missing defaults dropped).
  let keyFiles: [PrivateKeyFile]

  func authenticate() throws(SSHError) {
    let user = target.user
    var tried: [String] = []
    var skippedRSA: [String] = []

    let methods = userauthList()
    if libssh2_userauth_authenticated(session.raw) == 1 { return }
    if let methods, !methods.contains("publickey") {
      throw .authenticationFailed(
        host: target.name, user: user, tried: [],
        hint: "The server allows only \(methods); deploy authenticates with keys")
    }

    let fileKeyBlobs = Set(keyFiles.compactMap(\.publicKey))
    if tryAgent(user: user, fileKeyBlobs: fileKeyBlobs, tried: &tried, skippedRSA: &skippedRSA) {
      return
    }

    for key in keyFiles {
      if key.type == .rsa || key.type == .dsa {
        skippedRSA.append(key.path)
        tried.append("\(key.path) (skipped: \(key.type == .rsa ? "RSA" : "DSA") key)")
        continue
      }
      var passphrase: String? = nil
      if key.encrypted {
        guard let given = PassphraseSource.shared.passphrase(for: key.path) else {
          throw .passphraseRequired(keyFile: key.path)
        }
        passphrase = given
      }
      let rc = libssh2_userauth_publickey_fromfile_ex(
        session.raw, user, UInt32(user.utf8.count), nil, key.path, passphrase)
      if rc == 0 { return }
      if rc == LIBSSH2_ERROR_FILE {
        // libssh2 reports a wrong passphrase and an unreadable file the same way (-16).
        tried.append(
          "\(key.path) (could not be loaded: \(key.encrypted ? "wrong passphrase?" : session.lastError()))"
        )
      } else if rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT {
        throw .connectionLost(host: target.name, reason: session.lastError())
      } else {
        tried.append("\(key.path) (refused)")
      }
    }

    if !skippedRSA.isEmpty {
      throw .unsupported(
        host: target.name,
        reason:
          "libssh2 1.10 cannot sign with rsa-sha2-256/512, which OpenSSH 8.8 and later require for RSA keys (\(skippedRSA.joined(separator: ", ")))",
        remedy:
          "Use --transport auto (the default) or openssh, or set deploy_transport for this host, so the OpenSSH client uses the key; or use an ed25519 key."
      )
    }
    throw .authenticationFailed(
      host: target.name, user: user, tried: tried,
      hint: keyFiles.isEmpty && tried.isEmpty
        ? "No key file found and no ssh-agent (SSH_AUTH_SOCK) to ask: set ansible_ssh_private_key_file or IdentityFile"
        : "Check that one of these public keys is in ~\(user)/.ssh/authorized_keys on the host")
  }

  /// The methods the server accepts for this user (nil when "none" authentication succeeded).
  private func userauthList() -> String? {
    let user = target.user
    guard let list = libssh2_userauth_list(session.raw, user, UInt32(user.utf8.count)) else {
      return nil
    }
    return String(cString: list)
  }

  /// Tries the agent's usable keys; true once one is accepted. With IdentitiesOnly only agent
  /// keys that match a configured key file are offered, as OpenSSH does.
  private func tryAgent(
    user: String, fileKeyBlobs: Set<[UInt8]>, tried: inout [String], skippedRSA: inout [String]
  ) -> Bool {
    guard ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil,
      let agent = libssh2_agent_init(session.raw)
    else { return false }
    // The agent handle must be freed before the session: the other order crashes libssh2.
    defer { libssh2_agent_free(agent) }
    guard libssh2_agent_connect(agent) == 0 else { return false }
    defer { _ = libssh2_agent_disconnect(agent) }
    guard libssh2_agent_list_identities(agent) == 0 else { return false }

    var previous: UnsafeMutablePointer<libssh2_agent_publickey>? = nil
    var identity: UnsafeMutablePointer<libssh2_agent_publickey>? = nil
    while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
      previous = current
      let blob = Array(
        UnsafeBufferPointer(start: current.pointee.blob, count: current.pointee.blob_len))
      let comment = current.pointee.comment.map { String(cString: $0) } ?? ""
      let label = "agent key \(comment.isEmpty ? Fingerprint.sha256(blob) : comment)"
      if target.identitiesOnly && !fileKeyBlobs.contains(blob) { continue }
      let type = PrivateKeyFile.keyType(ofBlob: blob)
      if type == .rsa || type == .dsa {
        skippedRSA.append(label)
        tried.append("\(label) (skipped: RSA key)")
        continue
      }
      if libssh2_agent_userauth(agent, user, current) == 0 { return true }
      tried.append("\(label) (refused)")
    }
    return false
  }
}
