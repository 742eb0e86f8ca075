import DeploySupport

/// `systemd` (also `systemd_service`): `service` plus `daemon_reload`. On hosts whose PID 1 is
/// not systemd (containers, chroots) it manages the init script as `service` does, so the same
/// playbook works on the test fleet and on real machines.
enum SystemdModule: PlayModule {
  static let name = "systemd"
  static let arguments: Set<String>? = [
    "name", "unit", "service", "state", "enabled", "daemon_reload", "daemon-reload", "scope",
    "no_block", "masked", "force",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    if let masked = args.values["masked"], masked != .null {
      throw ModuleFailure("masked is not supported by this systemd module")
    }
    if let scope = try args.string("scope"), scope != "system" {
      throw ModuleFailure("scope=\(scope) is not supported (only system)")
    }
    let daemonReload =
      try args.bool("daemon_reload", default: false) || args.bool("daemon-reload", default: false)
    var serviceArgs = args
    if let unit = try args.string("name", "unit", "service") {
      serviceArgs.values["name"] = .string(unit)
    }
    for alias in [
      "unit", "service", "daemon_reload", "daemon-reload", "scope", "no_block", "force",
    ] {
      serviceArgs.values[alias] = nil
    }
    return try ServiceModule.manage(serviceArgs, context, daemonReload: daemonReload)
  }
}
