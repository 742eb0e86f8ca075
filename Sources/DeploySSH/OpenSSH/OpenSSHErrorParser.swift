import DeploySupport
import Foundation

/// Turns the OpenSSH client's error text into the same `SSHError`s the libssh2 transport gives,
/// so that callers (and exit codes) cannot tell which transport failed.
struct OpenSSHErrorParser {
  let target: SSHTarget

  /// Whether `ssh` exiting 255 came from the connection rather than from the remote command.
  static func isTransportFailure(_ stderr: String) -> Bool {
    [
      "Connection refused", "Connection timed out", "Could not resolve hostname",
      "No route to host", "Host key verification failed", "Permission denied",
      "Connection closed by", "Connection reset", "mux_client", "Control socket",
      "kex_exchange_identification", "Broken pipe",
    ].contains { stderr.contains($0) }
  }

  func error(fromStderr stderr: String, timedOut: Bool) -> SSHError {
    // ssh writes its warnings with CRLF line ends.
    let lines = stderr.split(whereSeparator: \.isNewline).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let summary =
      lines.last { !$0.hasPrefix("@") && !$0.isEmpty }?
      .trimmingCharacters(in: .whitespaces) ?? "ssh failed"
    if timedOut {
      return .unreachable(host: target.name, reason: "ssh did not connect in time")
    }
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
      let fingerprint =
        lines.first { $0.hasPrefix("SHA256:") }.map { String($0.trimmingSuffix(".")) }
        ?? "(see ssh's message)"
      let type =
        lines.first { $0.contains("key sent by the remote host is") }
        .flatMap { $0.split(separator: " ").dropFirst(3).first.map(String.init) } ?? "host"
      let knownAt =
        lines.first { $0.hasPrefix("Offending") }
        .flatMap { $0.components(separatedBy: " key in ").last } ?? "known_hosts"
      return .hostKeyChanged(
        host: target.name, keyType: type, fingerprint: fingerprint, knownAt: knownAt)
    }
    if stderr.contains("Host key verification failed") || stderr.contains("host key is known") {
      let (type, fingerprint) = scanHostKey()
      return .hostKeyUnknown(
        host: target.name, keyType: type, fingerprint: fingerprint,
        knownHostsFiles: target.knownHostsFiles)
    }
    if stderr.contains("Permission denied") {
      return .authenticationFailed(
        host: target.name, user: target.user,
        tried: target.identityFiles.isEmpty ? ["OpenSSH defaults and agent"] : target.identityFiles,
        hint: summary)
    }
    if stderr.contains("Connection refused") {
      return .unreachable(
        host: target.name,
        reason:
          "\(target.hostname) port \(target.port): connection refused (is sshd running and listening on this port?)"
      )
    }
    if lines.contains(where: { $0.contains("Connection closed") || $0.contains("reset") }),
      !stderr.contains("Connection timed out")
    {
      return .connectionLost(host: target.name, reason: summary)
    }
    return .unreachable(host: target.name, reason: summary)
  }

  /// OpenSSH in BatchMode does not print the fingerprint of an unknown key; fetch it so the
  /// message can show what to verify.
  private func scanHostKey() -> (String, String) {
    guard
      let scan = try? ChildProcess.capture(
        ["ssh-keyscan", "-p", String(target.port), "-T", "5", target.hostname], timeout: 10),
      // ssh prefers ed25519, then ecdsa, then rsa when it knows none: show that key.
      let line = ["ssh-ed25519", "ecdsa-sha2", "ssh-rsa"].lazy.compactMap({ type in
        scan.stdout.split(separator: "\n").first {
          $0.split(separator: " ").dropFirst().first?.hasPrefix(type) == true
        }
      }).first
    else { return ("host", "(unavailable)") }
    let fields = line.split(separator: " ")
    guard fields.count >= 3, let blob = Data(base64Encoded: String(fields[2])) else {
      return ("host", "(unavailable)")
    }
    return (String(fields[1]), Fingerprint.sha256(Array(blob)))
  }
}

extension String {
  fileprivate func trimmingSuffix(_ suffix: String) -> Substring {
    hasSuffix(suffix) ? dropLast(suffix.count) : self[...]
  }
}
