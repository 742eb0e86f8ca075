import Foundation
import HostShell

/// Remote commands for `apt` apps. Each runs apt as root, through `sudo -n` when the login user
/// is not root (never prompting: a password prompt would hang an unattended run).
public enum AptCommands {
  private static let asRoot = RemoteCommand.rootOrSudo

  /// Refreshes the package index.
  public static func update() -> ShellScript {
    "\(asRoot); DEBIAN_FRONTEND=noninteractive $S apt-get update -q"
  }

  /// Lists the versions apt offers (`apt-cache madison`: `pkg | version | source` lines) and,
  /// after a line `installed`, the installed version (empty if none).
  public static func versions(_ package: String) -> ShellScript {
    let name = package
    return """
      apt-cache madison \(name)
      echo installed
      dpkg-query -W -f '${db:Status-Abbrev} ${Version}\\n' \(name) 2>/dev/null | sed -n 's/^ii *//p'
      """
  }

  /// Installs exactly `package=version`, downgrades allowed (that is how OONI rolled back),
  /// keeping changed configuration files; then prints the installed version.
  public static func install(_ package: String, version: String) -> ShellScript {
    let name = package
    return """
      \(asRoot)
      DEBIAN_FRONTEND=noninteractive $S apt-get install -y -q --allow-downgrades \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      \(package + "=" + version) || exit $?
      echo installed
      dpkg-query -W -f '${db:Status-Abbrev} ${Version}\\n' \(name) | sed -n 's/^ii *//p'
      """
  }

  /// Reads `versions`/`install` output: the versions offered, and the installed one.
  public static func parse(_ output: String) -> (offered: [String], installed: String?) {
    var offered: [String] = []
    var installed: String?
    var afterMarker = false
    // apt and dpkg draw progress with "\r"; in Swift "\r\n" is one Character, which a split
    // on "\n" would not cut, so carriage returns become line ends first.
    let text = output.replacingOccurrences(of: "\r", with: "\n")
    for line in text.split(separator: "\n") {
      if line == "installed" {
        afterMarker = true
        continue
      }
      if afterMarker {
        let version = line.trimmingCharacters(in: .whitespaces)
        if !version.isEmpty { installed = version }
        continue
      }
      let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      if columns.count >= 2, !columns[1].isEmpty, !offered.contains(columns[1]) {
        offered.append(columns[1])
      }
    }
    return (offered, installed)
  }
}
