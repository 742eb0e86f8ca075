import DeployInventory
import DeploySupport
import Foundation

/// Connection settings that apply to every host unless something more specific says otherwise:
/// the command line and the project file's `ssh:` section.
public struct SSHDefaults: Sendable {
  /// `-u`: used when neither the inventory nor ssh_config names a user.
  public var user: String?
  public var hostKeyPolicy: HostKeyPolicy?
  public var transport: TransportKind
  public var connectTimeout: Double?
  /// `-F FILE`; nil means `~/.ssh/config`.
  public var sshConfigFile: String?
  /// Extra known_hosts files checked before the ssh_config ones (e.g. from the project file).
  public var knownHostsFiles: [String]

  public init(
    user: String? = nil, hostKeyPolicy: HostKeyPolicy? = nil, transport: TransportKind = .auto,
    connectTimeout: Double? = nil, sshConfigFile: String? = nil, knownHostsFiles: [String] = []
  ) {
    self.user = user
    self.hostKeyPolicy = hostKeyPolicy
    self.transport = transport
    self.connectTimeout = connectTimeout
    self.sshConfigFile = sshConfigFile
    self.knownHostsFiles = knownHostsFiles
  }
}

/// Resolves inventory hosts to SSH targets the way Ansible's ssh connection does: ssh_config is
/// looked up for the address (`ansible_host`), and inventory connection variables win over it.
/// Like Ansible, `ansible_user` in the inventory also wins over `-u`.
public struct SSHTargetResolver: Sendable {
  public let defaults: SSHDefaults
  private let config: SSHConfig

  public init(defaults: SSHDefaults) throws(DeployError) {
    self.defaults = defaults
    let path = defaults.sshConfigFile ?? NSHomeDirectory() + "/.ssh/config"
    config = try SSHConfig.load(path: path)
  }

  public func target(for host: Inventory.Host) throws(DeployError) -> SSHTarget {
    let vars = host.vars
    let address = vars["ansible_host"]?.stringValue ?? host.name
    let options = config.options(forHost: address)
    let home = NSHomeDirectory()

    var port = options.port ?? 22
    if let value = vars["ansible_port"] ?? vars["ansible_ssh_port"] {
      guard let number = value.intValue, (1...65535).contains(number) else {
        throw .usage("host \(host.name): ansible_port must be a port number, not \(value)")
      }
      port = number
    }
    let user =
      vars["ansible_user"]?.stringValue ?? vars["ansible_ssh_user"]?.stringValue
      ?? defaults.user ?? options.user ?? ProcessInfo.processInfo.userName
    var identities = options.identityFiles
    if let key = vars["ansible_ssh_private_key_file"]?.stringValue
      ?? vars[
        "ansible_private_key_file"]?.stringValue
    {
      identities.insert(expandTilde(key, home: home), at: 0)
    }
    var transport = defaults.transport
    if let name = vars["deploy_transport"]?.stringValue {
      guard let kind = TransportKind(rawValue: name) else {
        throw .usage(
          "host \(host.name): deploy_transport must be libssh2, openssh or auto, not \(name)")
      }
      transport = kind
    }
    if transport == .libssh2, let keyword = options.unsupported.keys.sorted().first {
      throw .usage(
        "host \(host.name): ssh_config uses \(keyword), which only the OpenSSH transport supports; use transport auto or openssh"
      )
    }
    var needsOpenSSH: String?
    if transport == .auto, let keyword = options.unsupported.keys.sorted().first {
      needsOpenSSH =
        "ssh_config uses \(keyword), which libssh2 does not implement"
        + (options.unsupported.count > 1 ? " (and \(options.unsupported.count - 1) more)" : "")
    }
    let knownHosts =
      defaults.knownHostsFiles
      + (options.userKnownHostsFiles ?? [home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"])
      + ["/etc/ssh/ssh_known_hosts"]
    var target = SSHTarget(
      name: host.name,
      hostname: options.hostName ?? address,
      port: port,
      user: user,
      identityFiles: identities,
      identitiesOnly: options.identitiesOnly ?? false,
      knownHostsFiles: knownHosts,
      hostKeyPolicy: defaults.hostKeyPolicy ?? options.strictHostKeyChecking ?? .strict,
      connectTimeout: defaults.connectTimeout ?? options.connectTimeout ?? 10,
      proxyJump: options.proxyJump ?? [],
      transport: transport,
      sshConfigFile: defaults.sshConfigFile,
      keepaliveInterval: options.serverAliveInterval ?? 15)
    target.needsOpenSSH = needsOpenSSH
    return target
  }

  private func expandTilde(_ path: String, home: String) -> String {
    path.hasPrefix("~/") ? home + path.dropFirst(1) : path
  }
}
