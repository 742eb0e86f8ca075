import DeploySupport
import HostShell

/// One command of a build, run by `sh` on the host in the checkout. Steps run in order and are
/// recorded by name, so a failed build can be resumed from the step that failed: names are unique
/// within a build.
public struct BuildStep: Sendable, Hashable {
  /// Short and unique within the build: the `name:` in the project file (or the start of the
  /// command), or an ECHR-OD action's file name.
  public var name: String
  /// A shell command line, run as it is written.
  public var command: ShellScript
  /// A longer label for display (an ECHR-OD action's `title`), when there is one.
  public var title: String?
  /// Where the command was written, for errors about it.
  public var location: SourceLocation?

  public init(
    name: String, command: ShellScript, title: String? = nil, location: SourceLocation? = nil
  ) {
    self.name = name
    self.command = command
    self.title = title
    self.location = location
  }
}
