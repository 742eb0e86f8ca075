import DeploySSH

/// The project file's `ssh:` section: connection defaults shared by everyone who deploys the
/// project, so that nobody has to remember `-u deploy --host-key-checking accept-new`. Options on
/// the command line win over these; inventory host variables win over both, as in Ansible.
public struct ProjectSSHSettings: Sendable, Hashable {
  public var user: String?
  public var hostKeyChecking: HostKeyPolicy?
  public var transport: TransportKind?
  /// Seconds.
  public var connectTimeout: Double?
  /// An ssh_config file, absolute (`~` expanded, relative paths resolved against the project
  /// file's folder).
  public var configFile: String?
  /// known_hosts files, absolute like `configFile`.
  public var knownHostsFiles: [String]
  /// Hosts worked on at once.
  public var forks: Int?

  public init(
    user: String? = nil, hostKeyChecking: HostKeyPolicy? = nil, transport: TransportKind? = nil,
    connectTimeout: Double? = nil, configFile: String? = nil, knownHostsFiles: [String] = [],
    forks: Int? = nil
  ) {
    self.user = user
    self.hostKeyChecking = hostKeyChecking
    self.transport = transport
    self.connectTimeout = connectTimeout
    self.configFile = configFile
    self.knownHostsFiles = knownHostsFiles
    self.forks = forks
  }
}
