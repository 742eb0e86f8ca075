/// Chooses the transport per host. `auto` starts with libssh2 and moves a host to OpenSSH when
/// libssh2 reports it cannot serve it (RSA keys, ProxyJump, certificates, no common algorithm),
/// telling the caller why through `onSwitch` so it can say so once.
public struct TransportSelector: SSHTransport {
  private let libssh2 = LibSSH2Transport()
  private let openssh = OpenSSHTransport()
  private let onSwitch: @Sendable (SSHTarget, String) -> Void

  public init(onSwitch: @escaping @Sendable (SSHTarget, String) -> Void = { _, _ in }) {
    self.onSwitch = onSwitch
  }

  public func connect(_ target: SSHTarget) throws(SSHError) -> any SSHConnection {
    RemoteCommandLog.wrapping(try connectDirectly(target))
  }

  private func connectDirectly(_ target: SSHTarget) throws(SSHError) -> any SSHConnection {
    switch target.transport {
    case .libssh2: return try libssh2.connect(target)
    case .openssh: return try openssh.connect(target)
    case .auto:
      if let reason = target.needsOpenSSH {
        onSwitch(target, reason)
        return try openssh.connect(target)
      }
      do {
        return try libssh2.connect(target)
      } catch .unsupported(_, let reason, _) {
        onSwitch(target, reason)
        return try openssh.connect(target)
      }
    }
  }
}
