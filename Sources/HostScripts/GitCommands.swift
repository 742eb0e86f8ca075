import DeploySupport
import HostShell

/// Remote shell commands for `git` apps, never run here: the caller sends them
/// over SSH. Pure functions, so what runs on a host can be read and tested in one place.
public enum GitCommands {
  /// Checks a ref (branch, tag or commit) the way `git check-ref-format` would, plus what must
  /// never reach a command line: a leading `-` would be read as an option.
  public static func validateRef(_ ref: String) throws(DeployError) {
    func refuse(_ reason: String) -> DeployError {
      .unsafeValue(what: "git ref", value: ref, reason: reason)
    }
    guard !ref.isEmpty else { throw refuse("it is empty") }
    if ref.hasPrefix("-") { throw refuse("it starts with '-', which git would take as an option") }
    if ref.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw refuse("it contains control characters (such as a newline)")
    }
    for forbidden in [" ", "~", "^", ":", "?", "*", "[", "\\", "..", "@{", "//", ";", "$", "`"]
    where ref.contains(forbidden) {
      throw refuse("git refs cannot contain '\(forbidden)'")
    }
    if ref.hasSuffix("/") || ref.hasSuffix(".") || ref.hasSuffix(".lock") || ref.hasPrefix("/")
      || ref == "@"
    {
      throw refuse("it is not a valid git ref name")
    }
    if ref.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
      throw refuse("a ref component cannot start with '.'")
    }
  }

  /// Clones `repository` into `path` if it is not there, otherwise fetches; then checks out
  /// exactly `ref` (a remote branch, a tag or a commit, in that order) detached, and prints the
  /// commit it resolved to as the last line of stdout.
  public static func checkout(repository: String, path: String, ref: String) throws(DeployError)
    -> ShellScript
  {
    try validateRef(ref)
    if repository.hasPrefix("-") {
      throw .unsafeValue(what: "repository", value: repository, reason: "it starts with '-'")
    }
    let dir = path
    let candidates = ["refs/remotes/origin/\(ref)", "refs/tags/\(ref)", ref].map {
      revision -> ShellScript in
      "git -C \(dir) rev-parse -q --verify \(revision + "^{commit}")"
    }
    return ShellScript.lines([
      "set -e",
      "if [ -d \(dir)/.git ]; then git -C \(dir) fetch -q --tags --force --prune origin;"
        + " else git clone -q --no-checkout -- \(repository) \(dir); fi",
      "commit=$(\(candidates.joined(separator: " || ")))"
        + " || { echo \("no branch, tag or commit named \(ref) in \(repository)") >&2;"
        + " exit 3; }",
      "git -C \(dir) checkout -q --force --detach \"$commit\"",
      "echo \"$commit\"",
    ])
  }
}
