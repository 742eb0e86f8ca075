import DeploySupport
import HostShell

/// `service`: starts, stops, restarts or reloads a service and sets whether it starts at boot.
/// With systemd as PID 1 it uses systemctl; otherwise (containers, chroots, sysvinit) the
/// `service` command and `update-rc.d`, the way Debian manages init scripts without systemd.
/// `started`/`stopped` and `enabled` act only when the service is not already so;
/// `restarted`/`reloaded` always act, and are always changed (Ansible's rule).
enum ServiceModule: PlayModule {
  static let name = "service"
  static let arguments: Set<String>? = ["name", "state", "enabled", "use"]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    return try manage(args, context, daemonReload: false)
  }

  /// What the host says about the service.
  struct Status {
    var manager: String
    var loaded: Bool
    var active: Bool
    var enabled: Bool
  }

  static func manage(_ args: ModuleArgs, _ context: ModuleContext, daemonReload: Bool) throws
    -> ModuleResult
  {
    let service = try args.string("name")
    let state = try args.string("state").map { requested throws(ModuleFailure) in
      guard ["started", "stopped", "restarted", "reloaded"].contains(requested) else {
        throw ModuleFailure(
          "value of state must be one of: started, stopped, restarted, reloaded, got: \(requested)")
      }
      return requested
    }
    let enabled: Bool? =
      try args.values["enabled"] == nil ? nil : args.bool("enabled", default: true)
    guard let service else {
      if daemonReload {
        return try reloadOnly(context)
      }
      throw ModuleFailure("missing required arguments: name")
    }
    // The name becomes a path under /etc/init.d and an argument: no options, no other folder.
    guard !service.isEmpty, !service.hasPrefix("-"), !service.contains("/") else {
      throw ModuleFailure("invalid service name '\(service)'")
    }
    guard state != nil || enabled != nil || daemonReload else {
      throw ModuleFailure("one of the following is required: state, enabled")
    }

    if daemonReload && !context.checkMode {
      _ = try context.succeed(
        "[ \"$(cat /proc/1/comm 2>/dev/null)\" = systemd ] && systemctl daemon-reload || true",
        what: "systemctl daemon-reload")
    }
    let before = try read(service, context)
    guard before.loaded else {
      throw ModuleFailure("Could not find the requested service \(service): host")
    }

    let plan = Plan(state: state, enabled: enabled, status: before)
    let actions = plan.actions
    let enable = plan.enable
    let changed = plan.changed

    var values: [String: VarValue] = ["name": .string(service)]
    if let state { values["state"] = .string(state) }
    if let enabled { values["enabled"] = .bool(enabled) }
    if !changed || context.checkMode {
      values["status"] = describe(before)
      let words = actions + (enable.map { [$0 ? "enable" : "disable"] } ?? [])
      return ModuleResult(
        changed: changed,
        message: changed && context.checkMode
          ? "would \(words.joined(separator: " and ")) \(service)" : nil, values: values)
    }

    let output = try context.succeed(
      plan.script(service: service, manager: before.manager),
      what: "\(actions.first ?? (enable == true ? "enable" : "disable")) \(service)",
      timeout: 300)
    values["status"] = describe(try read(service, context))
    values["stdout"] = .string(output.stdoutText)
    return ModuleResult(changed: true, values: values)
  }

  /// What the task needs done, decided from what the host said (`Status`) alone: facts in,
  /// commands out (ServiceModuleTests holds it to that without a host).
  struct Plan: Equatable {
    /// `start`, `stop`, `restart` or `reload`, in order.
    var actions: [String] = []
    /// Start at boot (true), not (false), or leave it (nil).
    var enable: Bool?

    var changed: Bool { !actions.isEmpty || enable != nil }

    init(actions: [String] = [], enable: Bool? = nil) {
      self.actions = actions
      self.enable = enable
    }

    init(state: String?, enabled: Bool?, status: Status) {
      switch state {
      case "started" where !status.active: actions = ["start"]
      case "stopped" where status.active: actions = ["stop"]
      case "restarted": actions = ["restart"]
      case "reloaded": actions = [status.active ? "reload" : "start"]
      default: break
      }
      enable = enabled.flatMap { $0 != status.enabled ? $0 : nil }
    }

    /// The commands that carry the plan out under `manager` (`systemd`, else `sysv`).
    func script(service: String, manager: String) -> ShellScript {
      var script: ShellScript = "set -e\n"
      for action in actions {
        script +=
          manager == "systemd"
          ? "systemctl \(action) \(service)\n" : "service \(service) \(action)\n"
      }
      if let enable {
        if manager == "systemd" {
          script += "systemctl \(enable ? "enable" : "disable") \(service)\n"
        } else {
          // `defaults` creates the links from the script's LSB header if there are none yet;
          // enable/disable then switch the start links on or off.
          script += "update-rc.d \(service) defaults >/dev/null\n"
          script += "update-rc.d \(service) \(enable ? "enable" : "disable")\n"
        }
      }
      return script
    }
  }

  private static func reloadOnly(_ context: ModuleContext) throws -> ModuleResult {
    if !context.checkMode {
      _ = try context.succeed(
        "[ \"$(cat /proc/1/comm 2>/dev/null)\" = systemd ] && systemctl daemon-reload || true",
        what: "systemctl daemon-reload")
    }
    // Ansible reports a lone daemon_reload as ok, not changed (ansible/ansible#77606: a
    // reload cannot tell whether any unit changed).
    return ModuleResult(changed: false, values: [:])
  }

  private static func describe(_ status: Status) -> VarValue {
    .map([
      "ActiveState": .string(status.active ? "active" : "inactive"),
      "LoadState": .string(status.loaded ? "loaded" : "not-found"),
      "UnitFileState": .string(status.enabled ? "enabled" : "disabled"),
      "Manager": .string(status.manager),
    ])
  }

  /// Reads manager, presence, running and boot state in one round trip.
  static func read(_ service: String, _ context: ModuleContext) throws -> Status {
    let quoted: ShellScript = "\(service)"
    let output = try context.succeed(
      """
      if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
        echo manager=systemd
        echo "load=$(systemctl show -p LoadState --value \(quoted) 2>/dev/null)"
        echo "active=$(systemctl is-active \(quoted) 2>/dev/null)"
        echo "enabled=$(systemctl is-enabled \(quoted) 2>/dev/null)"
      else
        echo manager=sysv
        if [ -x /etc/init.d/\(quoted) ]; then echo load=loaded; else echo load=not-found; fi
        if [ -x /etc/init.d/\(quoted) ] && service \(quoted) status >/dev/null 2>&1; then
          echo active=active
        else
          echo active=inactive
        fi
        if ls /etc/rc[2345].d/S??\(quoted) >/dev/null 2>&1; then
          echo enabled=enabled
        else
          echo enabled=disabled
        fi
      fi
      """, what: "reading the state of \(service)")
    var fields: [String: String] = [:]
    for line in output.stdoutText.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return Status(
      manager: fields["manager"] ?? "sysv",
      loaded: fields["load"] == "loaded",
      active: fields["active"] == "active" || fields["active"] == "reloading",
      enabled: ["enabled", "enabled-runtime", "static", "alias"].contains(fields["enabled"] ?? ""))
  }
}
