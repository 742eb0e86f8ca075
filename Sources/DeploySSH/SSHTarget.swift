/// How strictly a host's key is checked against `known_hosts` (OpenSSH's StrictHostKeyChecking).
public enum HostKeyPolicy: String, Sendable, CaseIterable {
  /// Unknown and changed keys are refused. The default: a deploy tool must not trust on first use
  /// without being told to.
  case strict
  /// Unknown keys are recorded in the first `known_hosts` file; changed keys are still refused.
  case acceptNew = "accept-new"
  /// No check at all. Only for throwaway hosts; `deploy` warns loudly on every run.
  case off
}

/// Which SSH implementation talks to a host.
public enum TransportKind: String, Sendable, CaseIterable {
  /// In-process libssh2: fastest, no process per host.
  case libssh2
  /// The system `ssh` client with ControlMaster multiplexing: everything OpenSSH can do.
  case openssh
  /// libssh2, switching to OpenSSH for a host whose needs libssh2 1.10 cannot meet (RSA keys,
  /// ProxyJump, certificates), and saying so once.
  case auto
}

/// Everything needed to open an SSH connection to one host, resolved from the inventory's host
/// variables, `~/.ssh/config` and the command line (in that order of precedence).
public struct SSHTarget: Sendable, Hashable {
  /// The inventory name, used in every message about this host.
  public var name: String
  /// The address or DNS name to connect to (`ansible_host`, else ssh_config's HostName).
  public var hostname: String
  public var port: Int
  public var user: String
  /// Private key files to offer, in order (`ansible_ssh_private_key_file`, IdentityFile).
  public var identityFiles: [String]
  /// Offer only `identityFiles`, not the agent's other keys (IdentitiesOnly).
  public var identitiesOnly: Bool
  /// `known_hosts` files to check against; new keys (accept-new) go into the first.
  public var knownHostsFiles: [String]
  public var hostKeyPolicy: HostKeyPolicy
  /// Seconds to wait for the TCP connection and the SSH handshake.
  public var connectTimeout: Double
  /// ProxyJump hops, `[user@]host[:port]` each, first hop first.
  public var proxyJump: [String]
  public var transport: TransportKind
  /// An ssh_config file given with `-F`, passed on to the OpenSSH transport.
  public var sshConfigFile: String?
  /// Seconds between keepalive probes on an idle connection.
  public var keepaliveInterval: Int
  /// Why `auto` must use OpenSSH for this host before even trying libssh2 (ssh_config keywords
  /// libssh2 does not implement); said once, like a switch found while connecting.
  public var needsOpenSSH: String?

  public init(
    name: String, hostname: String, port: Int = 22, user: String,
    identityFiles: [String] = [], identitiesOnly: Bool = false, knownHostsFiles: [String] = [],
    hostKeyPolicy: HostKeyPolicy = .strict, connectTimeout: Double = 10, proxyJump: [String] = [],
    transport: TransportKind = .auto, sshConfigFile: String? = nil, keepaliveInterval: Int = 15
  ) {
    self.name = name
    self.hostname = hostname
    self.port = port
    self.user = user
    self.identityFiles = identityFiles
    self.identitiesOnly = identitiesOnly
    self.knownHostsFiles = knownHostsFiles
    self.hostKeyPolicy = hostKeyPolicy
    self.connectTimeout = connectTimeout
    self.proxyJump = proxyJump
    self.transport = transport
    self.sshConfigFile = sshConfigFile
    self.keepaliveInterval = keepaliveInterval
  }

  /// The name under which OpenSSH files this host in `known_hosts`: `host`, or `[host]:port`
  /// when the port is not 22.
  public var knownHostsName: String {
    port == 22 ? hostname : "[\(hostname)]:\(port)"
  }
}
