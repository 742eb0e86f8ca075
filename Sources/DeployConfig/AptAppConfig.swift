/// A `kind: apt` app: a Debian package installed at an exact version from the hosts' own apt
/// sources, the way the OONI backend deployed its components (`deploy ooni-api prod`).
public struct AptAppConfig: Sendable, Hashable {
  /// The Debian package name.
  public var package: String
  /// Where `deploy` keeps its lock and journal for this app on each host.
  public var path: PathTemplate
  /// Restart and health check after the install; `strategy` is `.package` (apt swaps the files).
  public var activation: ActivationConfig
  /// Seconds for `apt-get update`; the original tool allowed minutes.
  public var updateTimeout: Double
  /// Seconds for `apt-get install`; up to an hour, as the original.
  public var installTimeout: Double

  public init(
    package: String, path: PathTemplate? = nil, activation: ActivationConfig? = nil,
    updateTimeout: Double = 600, installTimeout: Double = 3600
  ) {
    self.package = package
    self.path = path ?? PathTemplate("/var/lib/deploy/" + package)
    self.activation = activation ?? ActivationConfig(strategy: .package)
    self.updateTimeout = updateTimeout
    self.installTimeout = installTimeout
  }

  /// Debian package names: lower case letters, digits, `+`, `-`, `.`, at least two characters,
  /// starting with a letter or digit (Debian policy 5.6.1).
  public static func isPackageName(_ name: String) -> Bool {
    name.range(of: #"^[a-z0-9][a-z0-9+.-]+$"#, options: .regularExpression) != nil
  }
}
