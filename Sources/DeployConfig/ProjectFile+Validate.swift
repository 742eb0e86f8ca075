import DeployInventory
import DeploySupport

extension ProjectFile {
  /// Checks what needs the inventory, before any host is contacted: every stage (the project's
  /// and each app's) is a group in it, and each git app's folders render to valid paths for
  /// every host of its stages (a `{{ variable }}` a host lacks is found now, not mid-deploy).
  /// Errors point at the stage or path in the project file.
  public func validate(against inventory: Inventory) throws(DeployError) {
    let groups = inventory.groups.keys.filter { $0 != "all" && $0 != "ungrouped" }.sorted()
    func checkStage(_ stage: String, at location: SourceLocation?) throws(DeployError) {
      guard inventory.groups[stage] == nil else { return }
      let known =
        groups.isEmpty ? "it has no groups" : "its groups are: " + groups.joined(separator: ", ")
      throw .configuration(
        location ?? SourceLocation(file: path),
        "stage '\(stage)' is not a group in the inventory; \(known)")
    }
    for stage in stages { try checkStage(stage, at: stageLocations[stage]) }
    for app in apps {
      let appStages = app.stages(in: self)
      for stage in appStages {
        try checkStage(stage, at: app.stageLocations[stage] ?? stageLocations[stage])
      }
      switch app.kind {
      case .git(let git):
        for host in inventory.hosts where host.groups.contains(where: appStages.contains) {
          for template in [git.path, git.checkout, git.buildFolder] {
            _ = try template.render(hostname: host.name, vars: host.vars)
          }
        }
      case .apt(let apt):
        for host in inventory.hosts where host.groups.contains(where: appStages.contains) {
          _ = try apt.path.render(hostname: host.name, vars: host.vars)
        }
      }
    }
  }
}
