import ArgumentParser
import DeployConfig
import DeployInventory
import DeploySSH
import DeploySupport
import Foundation
import HostShell

/// Options every subcommand that talks to hosts understands.
struct ConnectionOptions: ParsableArguments {
  @Option(name: [.short, .customLong("inventory")], help: "Inventory file (Ansible YAML or INI).")
  var inventory: String?

  @Option(name: [.short, .customLong("user")], help: "Remote user when the inventory names none.")
  var user: String?

  @Option(name: .customLong("forks"), help: "Hosts worked on at once (default 64).")
  var forksOption: Int?

  @Option(
    name: .customLong("transport"),
    help: "SSH transport: libssh2, openssh or auto (libssh2, OpenSSH where it must).")
  var transport: TransportKind?

  @Option(
    name: .customLong("host-key-checking"),
    help: "strict (refuse unknown and changed keys), accept-new (record unknown keys), or off.")
  var hostKeyChecking: HostKeyPolicy?

  @Option(name: [.customShort("F"), .customLong("ssh-config")], help: "ssh_config file.")
  var sshConfig: String?

  @Option(
    name: .customLong("known-hosts"),
    help: "A known_hosts file to check host keys against, before ssh_config's (repeatable).")
  var knownHosts: [String] = []

  @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for each connection.")
  var connectTimeout: Double?

  @Flag(name: .customLong("json"), help: "One JSON object per line, for programs.")
  var json = false

  @Flag(
    name: [.customShort("v"), .customLong("verbose")],
    help: ArgumentHelp(
      "-v: each remote command with its host, duration and exit status, on stderr; -vv: also"
        + " the script sent and its output."))
  var verbosity: Int

  func validate() throws {
    if let forksOption, forksOption < 1 { throw ValidationError("--forks must be at least 1") }
    // Options are parsed before anything connects, so every connection sees the log's level.
    Diagnostics.start(verbosity: verbosity)
  }

  var forks: Int { forksOption ?? 64 }

  var defaults: SSHDefaults {
    SSHDefaults(
      user: user, hostKeyPolicy: hostKeyChecking, transport: transport ?? .auto,
      connectTimeout: connectTimeout, sshConfigFile: sshConfig, knownHostsFiles: knownHosts)
  }

  /// The command line's settings over the project file's `ssh:` section.
  func defaults(project: ProjectFile) -> SSHDefaults {
    let ssh = project.ssh
    return SSHDefaults(
      user: user ?? ssh.user, hostKeyPolicy: hostKeyChecking ?? ssh.hostKeyChecking,
      transport: transport ?? ssh.transport ?? .auto,
      connectTimeout: connectTimeout ?? ssh.connectTimeout,
      sshConfigFile: sshConfig ?? ssh.configFile, knownHostsFiles: knownHosts + ssh.knownHostsFiles)
  }

  func forks(project: ProjectFile) -> Int { forksOption ?? project.ssh.forks ?? 64 }

  /// The inventory named with `-i`, else `$DEPLOY_INVENTORY`; `playbookDirectory`: see
  /// `Inventory.load`.
  func loadInventory(playbookDirectory: String? = nil) throws(DeployError) -> Inventory {
    guard let path = inventory ?? environment("DEPLOY_INVENTORY") else {
      throw .usage("no inventory: pass -i FILE or set DEPLOY_INVENTORY")
    }
    return try Inventory.load(path: path, playbookDirectory: playbookDirectory)
  }
}

extension TransportKind: ExpressibleByArgument {}
extension HostKeyPolicy: ExpressibleByArgument {}

/// `-c FILE`, else the project file found by walking up from the working directory.
struct ProjectOptions: ParsableArguments {
  @Option(
    name: [.short, .customLong("config")], help: "Project file (default: deploy.yml found upwards)."
  )
  var config: String?

  func loadProject() throws(DeployError) -> ProjectFile {
    if let config { return try ProjectFile.load(path: config) }
    if let env = environment("DEPLOY_CONFIG") { return try ProjectFile.load(path: env) }
    let cwd = FileManager.default.currentDirectoryPath
    guard let path = ProjectFile.discover(from: cwd) else {
      throw .usage(
        "no project file: none of \(ProjectFile.fileNames.joined(separator: ", ")) in \(cwd) or"
          + " above; pass -c FILE")
    }
    return try ProjectFile.load(path: path)
  }

  /// The project, its inventory (`-i` wins over the project's), validated together.
  func load(_ connection: ConnectionOptions, playbookDirectory: String? = nil) throws(DeployError)
    -> (ProjectFile, Inventory)
  {
    let project = try loadProject()
    let inventory: Inventory
    if connection.inventory == nil, let inline = project.inlineInventory {
      inventory = inline
    } else if let path =
      connection.inventory ?? project.inventoryPath ?? environment("DEPLOY_INVENTORY")
    {
      inventory = try Inventory.load(path: path, playbookDirectory: playbookDirectory)
    } else {
      throw .usage("\(project.path) names no inventory: add `inventory:` or pass -i FILE")
    }
    try project.validate(against: inventory)
    return (project, inventory)
  }
}
