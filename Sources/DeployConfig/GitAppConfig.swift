/// A `kind: git` app: its repository is cloned on each host, the wanted ref checked out and
/// built there (detached, since ECHR-OD builds run for days), and the result activated. Folder
/// layout follows ECHR-OD: the build folder holds `.lock`, `.build_history` and one folder per
/// build.
public struct GitAppConfig: Sendable, Hashable {
  /// The repository as the host sees it (a URL, or a path on the host): the host clones it.
  public var repository: String
  /// The version deployed when none is named: a branch, tag or commit. Default `main`.
  public var ref: String
  /// The app's root folder on the host; absolute once rendered.
  public var path: PathTemplate
  /// Where the repository is checked out. Default `<path>/repo`.
  public var checkout: PathTemplate
  /// The ECHR-OD build folder (`.lock`, `.build_history`, one folder per build). Default
  /// `<path>/build`.
  public var buildFolder: PathTemplate
  /// The name of the build folder being served (ECHR-OD's `build_name`), used by activation.
  public var buildName: String?
  public var build: BuildSpec
  /// Seconds after which a running build is stopped; nil lets it run as long as it takes.
  public var buildTimeout: Double?
  public var environment: BuildEnvironment
  /// How a finished build is swapped in, restarted and checked; nil: builds are only built.
  public var activation: ActivationConfig?

  public init(
    repository: String, ref: String = "main", path: PathTemplate, checkout: PathTemplate? = nil,
    buildFolder: PathTemplate? = nil, buildName: String? = nil, build: BuildSpec,
    buildTimeout: Double? = nil, environment: BuildEnvironment = BuildEnvironment()
  ) {
    self.repository = repository
    self.ref = ref
    self.path = path
    self.checkout = checkout ?? path.appending("repo")
    self.buildFolder = buildFolder ?? path.appending("build")
    self.buildName = buildName
    self.build = build
    self.buildTimeout = buildTimeout
    self.environment = environment
  }
}
