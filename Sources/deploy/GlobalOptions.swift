import ArgumentParser
import DeployKit

/// Options every subcommand that talks to hosts understands.
struct ConnectionOptions: ParsableArguments {
  @Option(name: [.short, .customLong("inventory")], help: "Inventory file (Ansible YAML or INI).")
  var inventory: String?

  @Option(name: [.short, .customLong("user")], help: "Remote user when the inventory names none.")
  var user: String?

  @Option(name: .customLong("forks"), help: "Hosts worked on at once.")
  var forks: Int = 64

  @Option(
    name: .customLong("transport"),
    help: "SSH transport: libssh2, openssh or auto (libssh2, OpenSSH where it must).")
  var transport: TransportKind = .auto

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

  func validate() throws {
    guard forks >= 1 else { throw ValidationError("--forks must be at least 1") }
  }

  var defaults: SSHDefaults {
    SSHDefaults(
      user: user, hostKeyPolicy: hostKeyChecking, transport: transport,
      connectTimeout: connectTimeout, sshConfigFile: sshConfig, knownHostsFiles: knownHosts)
  }

  /// The inventory named with `-i`, else `$DEPLOY_INVENTORY`.
  func loadInventory() throws(DeployError) -> Inventory {
    guard let path = inventory ?? environment("DEPLOY_INVENTORY") else {
      throw .usage("no inventory: pass -i FILE or set DEPLOY_INVENTORY")
    }
    return try Inventory.load(path: path)
  }
}

extension TransportKind: ExpressibleByArgument {}
extension HostKeyPolicy: ExpressibleByArgument {}
