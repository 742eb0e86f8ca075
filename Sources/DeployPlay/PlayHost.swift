import DeployInventory
import DeploySSH
import DeploySupport
import Foundation
import HostShell

/// One inventory host through a playbook run: its connection, its facts and the variables it
/// gained (`register`, `set_fact`), whether it failed, and its tally. Worked on by one thread at
/// a time (a task runs on all hosts in parallel, each host in its own thread).
final class PlayHost: @unchecked Sendable {
  let name: String
  let inventoryVars: [String: VarValue]
  let groups: [String]
  var target: SSHTarget?
  var connection: (any SSHConnection)?
  /// `ansible_*` facts, once gathered.
  var facts: [String: VarValue] = [:]
  /// Registered results and `set_fact` variables: they outlive the play.
  var hostVars: [String: VarValue] = [:]
  /// Handlers notified in this play and not run yet, in the order first notified.
  var notified: [String] = []
  /// Failed in this run (a failed host takes no part in later tasks and plays).
  var failed = false
  var unreachable = false
  /// Why it was unreachable, as an exit status (a wrong host key is not a timeout).
  var unreachableStatus: ExitStatus?
  var stats: HostStats

  init(_ host: Inventory.Host) {
    name = host.name
    inventoryVars = host.vars
    groups = host.groups
    stats = HostStats(host: host.name)
  }

  var active: Bool { !failed && !unreachable }

  func notify(_ handler: String) {
    if !notified.contains(handler) { notified.append(handler) }
  }

  func close() {
    connection?.close()
    connection = nil
  }
}

/// The small fact set `gather_facts` collects, in one command.
enum FactGathering {
  static let script: ShellScript = #"""
    [ -r /etc/os-release ] && . /etc/os-release
    printf 'id=%s\nid_like=%s\nversion_id=%s\ncodename=%s\n' "$ID" "$ID_LIKE" "$VERSION_ID" "$VERSION_CODENAME"
    printf 'debian_version=%s\n' "$(cat /etc/debian_version 2>/dev/null)"
    printf 'nodename=%s\nfqdn=%s\n' "$(uname -n)" "$(hostname -f 2>/dev/null || uname -n)"
    printf 'machine=%s\nkernel=%s\nsystem=%s\n' "$(uname -m)" "$(uname -r)" "$(uname -s)"
    printf 'user=%s\nuid=%s\nhome=%s\npath=%s\n' "$(id -un)" "$(id -u)" "$HOME" "$PATH"
    printf 'pid1=%s\n' "$(cat /proc/1/comm 2>/dev/null)"
    printf 'apt=%s\n' "$(command -v apt-get)"
    """#

  /// The facts, both as `ansible_NAME` variables and under `ansible_facts`.
  static func facts(from output: String) -> [String: VarValue] {
    var raw: [String: String] = [:]
    for line in output.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      raw[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    let id = raw["id"] ?? ""
    let family =
      (id == "debian" || (raw["id_like"] ?? "").split(separator: " ").contains("debian"))
      ? "Debian" : (id.isEmpty ? "Unknown" : id.capitalized)
    let distribution: String
    switch id {
    case "debian": distribution = "Debian"
    case "ubuntu": distribution = "Ubuntu"
    default: distribution = id.isEmpty ? "Unknown" : id.capitalized
    }
    let version =
      id == "debian" && !(raw["debian_version"] ?? "").isEmpty
      ? raw["debian_version"]! : (raw["version_id"] ?? "")
    let nodename = raw["nodename"] ?? ""
    let pid1 = raw["pid1"] ?? ""
    let facts: [String: VarValue] = [
      "os_family": .string(family),
      "distribution": .string(distribution),
      "distribution_release": .string(raw["codename"] ?? ""),
      "distribution_version": .string(version),
      "distribution_major_version": .string(
        String(version.split(separator: ".").first ?? "")),
      "hostname": .string(String(nodename.split(separator: ".").first ?? "")),
      "nodename": .string(nodename),
      "fqdn": .string(raw["fqdn"] ?? nodename),
      "architecture": .string(raw["machine"] ?? ""),
      "machine": .string(raw["machine"] ?? ""),
      "kernel": .string(raw["kernel"] ?? ""),
      "system": .string(raw["system"] ?? ""),
      "user_id": .string(raw["user"] ?? ""),
      "user_uid": raw["uid"].flatMap { Int($0) }.map(VarValue.int) ?? .null,
      "user_dir": .string(raw["home"] ?? ""),
      "service_mgr": .string(pid1 == "systemd" ? "systemd" : (pid1.isEmpty ? "unknown" : pid1)),
      "pkg_mgr": .string((raw["apt"] ?? "").isEmpty ? "unknown" : "apt"),
      "env": .map([
        "HOME": .string(raw["home"] ?? ""), "PATH": .string(raw["path"] ?? ""),
        "USER": .string(raw["user"] ?? ""),
      ]),
    ]
    var variables: [String: VarValue] = ["ansible_facts": .map(facts)]
    for (key, value) in facts { variables["ansible_" + key] = value }
    return variables
  }
}
