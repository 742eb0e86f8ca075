import DeploySupport

/// One entry of the project file's `apps:` mapping.
public struct AppConfig: Sendable, Hashable {
  /// The key under `apps:`; what users type in `deploy APP STAGE`.
  public var name: String
  /// Where the app's key is in the project file, for errors about the app as a whole.
  public var location: SourceLocation
  /// The stages this app is deployed to, a subset of the project's in its order; nil means all
  /// of the project's stages.
  public var stages: [String]?
  public var kind: AppKind
  /// Where each of `stages` was written, for errors found later against the inventory.
  var stageLocations: [String: SourceLocation]

  public init(
    name: String, location: SourceLocation, stages: [String]? = nil, kind: AppKind
  ) {
    self.name = name
    self.location = location
    self.stages = stages
    self.kind = kind
    self.stageLocations = [:]
  }

  /// The app's stages: its own list, or else the project's.
  public func stages(in project: ProjectFile) -> [String] { stages ?? project.stages }
}
