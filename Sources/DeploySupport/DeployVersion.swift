/// This build's version, for `deploy --version` and bug reports. Raised with each release (the
/// release tag of this repository names the same version).
public enum DeployVersion {
  public static let current = "0.13.0"
}
