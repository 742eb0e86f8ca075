import HostShell

/// Remote commands for a host's deployment journal (`HostLayout.journal`): one JSON line per
/// event, appended by every kind of deployment and read back by `history` and the apt
/// promotion check.
public enum JournalCommands {
  /// Appends the lines with one `printf`, so each lands whole (readers skip a torn line).
  public static func append(_ lines: [String], layout: HostLayout) -> ShellScript {
    "mkdir -p \(layout.stateFolder) && printf '%s\\n' \(words: lines) >> \(layout.journal)"
  }

  /// Prints the journal; nothing (and success) when there is none yet.
  public static func read(_ layout: HostLayout) -> ShellScript {
    "[ ! -f \(layout.journal) ] || cat \(layout.journal)"
  }
}
