import DeploySupport

/// What a git app's build runs: steps written in the project file, or an ECHR-OD workflow that
/// lives in the app's own repository. A workflow can only be expanded once its ref is checked out
/// on the host (see `WorkflowLoader`), so it stays a name until then.
public enum BuildSpec: Sendable, Hashable {
  case steps([BuildStep])
  /// `directory` is relative to the checkout (default `workflows`); `location` is where the
  /// project file names the workflow, for errors found when it is expanded.
  case workflow(name: String, directory: String, location: SourceLocation)
}

extension BuildSpec {
  /// `directory` without `./` in front or `/` at the end.
  package static func normalizedWorkflowDirectory(_ directory: String) -> String {
    var folder = directory
    while folder.hasPrefix("./") { folder.removeFirst(2) }
    while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
    return folder
  }
}
