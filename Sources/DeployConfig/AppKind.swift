/// How an app gets onto its hosts. An enum rather than a protocol so that every command that
/// deploys has to decide what it does for each kind (git builds, Debian packages).
public enum AppKind: Sendable, Hashable {
  /// Cloned from git, built on the host by a detached build, then activated.
  case git(GitAppConfig)
  /// A Debian package installed at an exact version with apt.
  case apt(AptAppConfig)

  /// `git` or `apt`, for messages and the journal.
  public var name: String {
    switch self {
    case .git: return "git"
    case .apt: return "apt"
    }
  }
}
