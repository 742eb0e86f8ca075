import DeploySupport
import HostShell

/// `git`: a checkout of a repository at a version (branch, tag, commit, or the remote's HEAD)
/// on the host. Clones when the folder is missing; otherwise fetches and checks out the
/// version. Changed when HEAD moves (or `force` discards local changes); `before`/`after` are
/// the commits. Check mode asks the remote with `git ls-remote` instead of fetching.
enum GitModule: PlayModule {
  static let name = "git"
  static let arguments: Set<String>? = [
    "repo", "name", "dest", "version", "force", "update", "depth", "clone", "remote",
    "accept_hostkey",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let repo = try args.required("repo", "name")
    let destination = try args.required("dest")
    let version = try args.string("version") ?? "HEAD"
    let force = try args.bool("force", default: false)
    let update = try args.bool("update", default: true)
    let clone = try args.bool("clone", default: true)
    let depth = try args.int("depth")
    let remote = try args.string("remote") ?? "origin"
    let acceptHostKey = try args.bool("accept_hostkey", default: false)
    if let depth, depth < 1 {
      throw ModuleFailure("depth must be a positive integer, got \(depth)")
    }
    // Quoting keeps a value one word, but git still reads a word that starts with '-' as an
    // option (`--upload-pack=CMD` runs CMD), and not every git command here takes `--`.
    for (name, value) in [("repo", repo), ("remote", remote), ("version", version)]
    where value.hasPrefix("-") {
      throw ModuleFailure(
        "\(name) must not start with '-' (git would read it as an option): \(value)")
    }

    var preamble: ShellScript = """
      command -v git >/dev/null || { echo 'Failed to find required executable "git" on the host' >&2; exit 3; }
      export GIT_TERMINAL_PROMPT=0

      """
    if acceptHostKey {
      preamble += "export GIT_SSH_COMMAND='ssh -o StrictHostKeyChecking=accept-new'\n"
    }
    let probe = try context.shell(
      preamble + """
        dest=\(destination)
        if [ -d "$dest/.git" ]; then
          echo exists=repo
          echo "head=$(git -C "$dest" rev-parse HEAD 2>/dev/null)"
          echo "url=$(git -C "$dest" config --get remote.\(remote).url)"
          echo "dirty=$(git -C "$dest" status --porcelain --untracked-files=no | wc -l)"
        elif [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
          echo exists=other
        else
          echo exists=no
        fi
        """)
    guard probe.result.succeeded else {
      throw ModuleFailure(probe.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    let state = fields(probe.stdoutText)
    let before = state["head"].flatMap { $0.isEmpty ? nil : $0 }
    let dirty = (Int(state["dirty"] ?? "0") ?? 0) > 0
    var values: [String: VarValue] = ["before": before.map(VarValue.string) ?? .null]

    switch state["exists"] {
    case "other":
      throw ModuleFailure(
        "Destination path \(destination) already exists and is not an empty directory "
          + "nor a git repository")
    case "repo":
      break
    default:
      guard clone else {
        values["after"] = .null
        return ModuleResult(
          changed: false, message: "\(destination) is not cloned (clone=no)", values: values)
      }
    }
    let isCommit = version.count >= 7 && version.count <= 40 && version.allSatisfy(\.isHexDigit)

    // update=no looks no further (Ansible does not check for local changes then either).
    if let before, !update {
      values["after"] = .string(before)
      return ModuleResult(changed: false, values: values)
    }
    if let before, dirty, !force {
      values["after"] = .string(before)
      throw ModuleFailure(
        "Local modifications exist in the destination: \(destination) (force=no).", values: values)
    }

    if context.checkMode {
      let remoteCommit = try remoteCommit(repo, version, isCommit: isCommit, preamble, context)
      values["after"] = remoteCommit.map(VarValue.string) ?? .null
      guard let before else {
        return ModuleResult(
          changed: true, message: "would clone \(repo) into \(destination)", values: values)
      }
      // A short commit we cannot resolve without fetching: compare what we can.
      let moves = remoteCommit.map { !before.hasPrefix($0) } ?? true
      return ModuleResult(
        changed: moves || dirty,
        message: moves || dirty ? "would update \(destination) to \(version)" : nil,
        values: values)
    }

    let quotedRepo: ShellScript = "\(repo)"
    let quotedRemote: ShellScript = "\(remote)"
    let quotedVersion: ShellScript = "\(version)"
    let depthOption: ShellScript = depth.map { " --depth \($0)" } ?? ""
    var script = preamble + "set -e\ndest=\(destination)\n"
    if before == nil {
      if version == "HEAD" {
        script += "git clone --origin \(quotedRemote)\(depthOption) -- \(quotedRepo) \"$dest\"\n"
      } else if isCommit {
        // A commit cannot be cloned by name, and a shallow clone may not contain it.
        script += """
          git clone --origin \(quotedRemote) --no-checkout -- \(quotedRepo) "$dest"
          git -C "$dest" checkout --force \(quotedVersion)

          """
      } else {
        script += """
          git clone --origin \(quotedRemote)\(depthOption) --branch \(quotedVersion) -- \(quotedRepo) "$dest"

          """
      }
    } else {
      if state["url"] != repo {
        values["remote_url_changed"] = .bool(true)
        script +=
          "git -C \"$dest\" remote set-url \(quotedRemote) \(quotedRepo) 2>/dev/null"
          + " || git -C \"$dest\" remote add \(quotedRemote) \(quotedRepo)\n"
      }
      script += """
        git -C "$dest" fetch --quiet --tags --force\(depthOption) \(quotedRemote) "+refs/heads/*:refs/remotes/"\(quotedRemote)"/*"
        version=\(quotedVersion)
        remote=\(quotedRemote)
        if [ "$version" = HEAD ]; then
          target=$(git -C "$dest" ls-remote "$remote" HEAD | cut -f1)
          # The remote's default branch: move whatever is checked out to it.
          git -C "$dest" reset --quiet --hard "$target"
        elif git -C "$dest" rev-parse --verify -q "refs/remotes/$remote/$version^{commit}" >/dev/null; then
          git -C "$dest" checkout --force -B "$version" "refs/remotes/$remote/$version"
        elif git -C "$dest" rev-parse --verify -q "refs/tags/$version^{commit}" >/dev/null; then
          git -C "$dest" checkout --force --detach "refs/tags/$version^{commit}"
        elif git -C "$dest" rev-parse --verify -q "$version^{commit}" >/dev/null; then
          git -C "$dest" checkout --force --detach "$version^{commit}"
        else
          printf 'Failed to checkout %s: no such branch, tag or commit\\n' "$version" >&2; exit 4
        fi

        """
    }
    script += "echo \"after=$(git -C \"$dest\" rev-parse HEAD)\"\n"
    let output = try context.shell(script, timeout: 1800)
    guard output.result.succeeded else {
      let detail = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      throw ModuleFailure(
        (before == nil ? "Failed to clone \(repo): " : "Failed to update \(destination): ")
          + detail, values: values)
    }
    let after = fields(output.stdoutText)["after"] ?? ""
    values["after"] = .string(after)
    return ModuleResult(changed: before != after || dirty, values: values)
  }

  /// The commit `version` names on the remote, without fetching; nil if it does not say.
  static func remoteCommit(
    _ repo: String, _ version: String, isCommit: Bool, _ preamble: ShellScript,
    _ context: ModuleContext
  ) throws -> String? {
    if isCommit { return version }
    let output = try context.shell(
      preamble + "git ls-remote \(repo) \(version)")
    guard output.result.succeeded else {
      throw ModuleFailure(
        "git ls-remote \(repo) failed: "
          + output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    // An annotated tag lists itself and, with ^{}, the commit it points at: prefer the latter.
    var candidates: [String: String] = [:]
    for line in output.stdoutText.split(separator: "\n") {
      let parts = line.split(separator: "\t").map(String.init)
      if parts.count == 2 { candidates[parts[1]] = parts[0] }
    }
    if version == "HEAD" { return candidates["HEAD"] }
    guard
      let commit = candidates["refs/tags/\(version)^{}"] ?? candidates["refs/heads/\(version)"]
        ?? candidates["refs/tags/\(version)"]
    else {
      throw ModuleFailure("version \(version) does not exist in \(repo)")
    }
    return commit
  }

  private static func fields(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    for line in text.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      result[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return result
  }
}
