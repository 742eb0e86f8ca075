/// How an app gets onto its hosts. An enum rather than a protocol so that every command that
/// deploys has to decide what it does for each kind (Debian packages come next).
public enum AppKind: Sendable, Hashable {
  /// Cloned from git, built on the host by a detached build, then activated.
  case git(GitAppConfig)
}
