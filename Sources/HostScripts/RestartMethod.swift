/// How the app is restarted so that it serves the new build.
public enum RestartMethod: Sendable, Hashable {
  case docker(container: String)
  case podman(container: String)
  case systemd(unit: String)
  /// Any shell command, run on the host.
  case command(String)

  public var label: String {
    switch self {
    case .docker(let name): return "docker restart \(name)"
    case .podman(let name): return "podman restart \(name)"
    case .systemd(let unit): return "systemctl restart \(unit)"
    case .command(let command): return command
    }
  }
}
