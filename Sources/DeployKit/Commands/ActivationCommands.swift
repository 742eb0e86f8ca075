/// Remote commands for activation: restarting the app, checking it is up, switching a
/// `current` link, putting a build in place by hand, pruning old builds. Pure text.
public enum ActivationCommands {
  /// The restart itself.
  public static func restart(_ method: RestartMethod) -> String {
    switch method {
    case .docker(let name): return "docker restart " + ShellQuote.word(name)
    case .podman(let name): return "podman restart " + ShellQuote.word(name)
    case .systemd(let unit): return "systemctl restart " + ShellQuote.word(unit)
    case .command(let command): return command
    }
  }

  /// Succeeds once the restarted container or unit runs (for `command`, nothing to check).
  public static func running(_ method: RestartMethod) -> String? {
    switch method {
    case .docker(let name):
      return "[ \"$(docker inspect -f '{{.State.Running}}' \(ShellQuote.word(name)))\" = true ]"
    case .podman(let name):
      return "[ \"$(podman inspect -f '{{.State.Running}}' \(ShellQuote.word(name)))\" = true ]"
    case .systemd(let unit): return "systemctl is-active --quiet " + ShellQuote.word(unit)
    case .command: return nil
    }
  }

  /// The `build_info.yml` of a build folder.
  public static func buildInfo(_ folder: String) -> String {
    "cat " + ShellQuote.word(folder + "/build_info.yml")
  }

  /// Points `<build folder>/current` at `target` (a folder name in the build folder) by renaming
  /// a new link over the old one: at every instant `current` names a complete build. Prints
  /// the previous target (empty if there was none).
  public static func switchLink(buildFolder: String, to target: String) -> String {
    let folder = ShellQuote.word(buildFolder)
    let name = ShellQuote.word(target)
    return [
      "cd \(folder) || exit 1",
      "[ -f \(name)/build_info.yml ] || { echo \(ShellQuote.word("no build \(target) in \(buildFolder)")) >&2; exit 1; }",
      "readlink current 2>/dev/null || true",
      "ln -sfn \(name) current.deploy-tmp && mv -T current.deploy-tmp current",
    ].joined(separator: "\n")
  }

  /// Puts `source` (a build folder name) in place as `served` without the build API: a complete
  /// copy beside it, then renames, keeping the served one as `<served>.save`. Used for
  /// `rollback --to` and for hosts whose build API has no rollback endpoint.
  public static func install(buildFolder: String, source: String, served: String) -> String {
    let folder = ShellQuote.word(buildFolder)
    let src = ShellQuote.word(source)
    let dst = ShellQuote.word(served)
    let incoming = ShellQuote.word(served + ".incoming")
    let save = ShellQuote.word(served + ".save")
    let old = ShellQuote.word(served + ".replaced")
    return [
      "set -e",
      "cd \(folder)",
      "[ -f \(src)/build_info.yml ] || { echo \(ShellQuote.word("no build \(source) in \(buildFolder)")) >&2; exit 1; }",
      "[ ! -e .lock ] || { echo 'a build is running (.lock exists)' >&2; exit 1; }",
      "rm -rf \(incoming) \(old)",
      "cp -a \(src) \(incoming)",
      "if [ -e \(dst) ]; then mv -T \(dst) \(old); fi",
      "mv -T \(incoming) \(dst)",
      "if [ -e \(old) ]; then rm -rf \(save); mv -T \(old) \(save); fi",
    ].joined(separator: "\n")
  }

  /// Swaps `<served>.save` back in (the previous build), keeping the bad one as `.failed`.
  public static func restoreSave(buildFolder: String, served: String) -> String {
    let dst = ShellQuote.word(served)
    let save = ShellQuote.word(served + ".save")
    let failed = ShellQuote.word(served + ".failed")
    return [
      "set -e",
      "cd \(ShellQuote.word(buildFolder))",
      "[ -d \(save) ] || { echo 'no rollback copy (\(served).save)' >&2; exit 1; }",
      "rm -rf \(failed)",
      "if [ -e \(dst) ]; then mv -T \(dst) \(failed); fi",
      "mv -T \(save) \(dst)",
    ].joined(separator: "\n")
  }

  /// Removes all but the newest `keep` builds (by `build_time`), never one named in `protected`
  /// (the served build, its rollback copy, the link's target). Prints what it removed.
  public static func prune(buildFolder: String, keep: Int, protected: [String]) -> String {
    let keepList = protected.map { ShellQuote.word($0) }.joined(separator: " ")
    return [
      "cd \(ShellQuote.word(buildFolder)) || exit 0",
      "current=$(readlink current 2>/dev/null || true)",
      "for d in */; do d=${d%/}; [ -f \"$d/build_info.yml\" ] || continue",
      "  case \" \(keepList) $current \" in *\" $d \"*) continue ;; esac",
      "  printf '%s %s\\n' \"$(sed -n 's/^build_time: *//p' \"$d/build_info.yml\" | head -n 1)\" \"$d\"",
      "done | sort -r | tail -n +\(keep + 1) | while read -r day time d; do",
      "  rm -rf -- \"$d\" && echo \"$d\"",
      "done",
    ].joined(separator: "\n")
  }
}
