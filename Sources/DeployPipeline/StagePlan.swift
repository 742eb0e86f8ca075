import DeployConfig
import DeployInventory
import DeploySSH
import DeploySupport
import HostScripts

/// An app and one of its stages, resolved against the inventory and ssh_config before any host
/// is contacted: every host's SSH target and the app's folders on it.
public struct StagePlan: Sendable {
  public var app: AppConfig
  public var stage: String
  public var hosts: [DeployHost]

  /// The git app's settings; a usage error for other kinds (for git-only commands).
  public func git() throws(DeployError) -> GitAppConfig {
    guard case .git(let git) = app.kind else {
      throw .usage("\(app.name) is an \(app.kind.name) app; this command is for git apps")
    }
    return git
  }

  /// Resolves `app` and `stage` (nil: the app's first stage). Errors are usage errors that
  /// name what exists.
  public static func resolve(
    project: ProjectFile, inventory: Inventory, appName: String, stage: String?,
    resolver: SSHTargetResolver, limit: String? = nil
  ) throws(DeployError) -> StagePlan {
    guard let app = project.app(named: appName) else {
      let names = project.apps.map(\.name).joined(separator: ", ")
      throw .usage(
        "no app named \(String(reflecting: appName)) in \(project.path) (apps: \(names))")
    }
    let stages = (app.stages ?? project.stages) + project.extraStages
    guard let stage = stage ?? stages.first else {
      throw .usage("\(project.path) defines no stages for \(appName)")
    }
    guard stages.contains(stage) else {
      throw .usage(
        "\(appName) has no stage \(String(reflecting: stage)) (stages: \(stages.joined(separator: ", ")))"
      )
    }
    var members = try inventory.hosts(matching: stage)
    if let limit {
      let allowed = Set(try inventory.hosts(matching: limit).map(\.name))
      members = members.filter { allowed.contains($0.name) }
    }
    guard !members.isEmpty else {
      throw .usage("stage \(stage) has no hosts" + (limit.map { " matching \($0)" } ?? ""))
    }
    let hosts = try members.map { host throws(DeployError) -> DeployHost in
      let target = try resolver.target(for: host)
      switch app.kind {
      case .git(let git):
        let layout = HostLayout(
          root: try git.path.render(hostname: host.name, vars: host.vars),
          checkout: try git.checkout.render(hostname: host.name, vars: host.vars),
          buildFolder: try git.buildFolder.render(hostname: host.name, vars: host.vars))
        return DeployHost(
          target: target, layout: layout,
          activation: try git.activation?.resolved(hostname: host.name, vars: host.vars))
      case .apt(let apt):
        let root = try apt.path.render(hostname: host.name, vars: host.vars)
        return DeployHost(
          target: target, layout: HostLayout(root: root, checkout: root, buildFolder: root),
          activation: try apt.activation.resolved(hostname: host.name, vars: host.vars))
      }
    }
    return StagePlan(app: app, stage: stage, hosts: hosts)
  }
}
