import HostShell

/// Remote commands for activation: restarting the app, checking it is up, switching a
/// `current` link, putting a build in place by hand, pruning old builds.
public enum ActivationCommands {
  /// The restart itself.
  public static func restart(_ method: RestartMethod) -> ShellScript {
    switch method {
    case .docker(let name): return "docker restart \(name)"
    case .podman(let name): return "podman restart \(name)"
    case .systemd(let unit): return "systemctl restart \(unit)"
    case .command(let command): return ShellScript(authored: command)
    }
  }

  /// Succeeds once the restarted container or unit runs (for `command`, nothing to check).
  public static func running(_ method: RestartMethod) -> ShellScript? {
    switch method {
    case .docker(let name):
      return "[ \"$(docker inspect -f '{{.State.Running}}' \(name))\" = true ]"
    case .podman(let name):
      return "[ \"$(podman inspect -f '{{.State.Running}}' \(name))\" = true ]"
    case .systemd(let unit): return "systemctl is-active --quiet \(unit)"
    case .command: return nil
    }
  }

  /// The `build_info.yml` of a build folder.
  public static func buildInfo(_ folder: String) -> ShellScript {
    "cat \(folder + "/build_info.yml")"
  }

  /// Points `<build folder>/current` at `target` (a folder name in the build folder) by renaming
  /// a new link over the old one: at every instant `current` names a complete build. Prints
  /// the previous target (empty if there was none).
  public static func switchLink(buildFolder: String, to target: String) -> ShellScript {
    ShellScript.lines([
      "cd \(buildFolder) || exit 1",
      "[ -f \(target)/build_info.yml ] || { echo \("no build \(target) in \(buildFolder)") >&2; exit 1; }",
      "readlink current 2>/dev/null || true",
      "ln -sfn \(target) current.deploy-tmp && mv -T current.deploy-tmp current",
    ])
  }

  /// Puts `source` (a build folder name) in place as `served` without the build API: a complete
  /// copy beside it, then renames, keeping the served one as `<served>.save`. Used for
  /// `rollback --to` and for hosts whose build API has no rollback endpoint.
  public static func install(buildFolder: String, source: String, served: String) -> ShellScript {
    let incoming = served + ".incoming"
    let save = served + ".save"
    let old = served + ".replaced"
    return ShellScript.lines([
      DiskSpace.functions,
      "set -e",
      "cd \(buildFolder)",
      "[ -f \(source)/build_info.yml ] || { echo \("no build \(source) in \(buildFolder)") >&2; exit 1; }",
      "[ ! -e .lock ] || { echo 'a build is running (.lock exists)' >&2; exit 1; }",
      "rm -rf \(incoming) \(old)",
      // A copy that fails half-way (a full disk) is removed: the served build was not touched.
      "cp -a \(source) \(incoming) 2>/dev/null || { rm -rf \(incoming);"
        + " explain_write_failure \(buildFolder + "/" + incoming); exit 1; }",
      "if [ -e \(served) ]; then mv -T \(served) \(old); fi",
      "mv -T \(incoming) \(served)",
      "if [ -e \(old) ]; then rm -rf \(save); mv -T \(old) \(save); fi",
    ])
  }

  /// Swaps `<served>.save` back in (the previous build), keeping the bad one as `.failed`.
  public static func restoreSave(buildFolder: String, served: String) -> ShellScript {
    let save = served + ".save"
    let failed = served + ".failed"
    return ShellScript.lines([
      "set -e",
      "cd \(buildFolder)",
      "[ -d \(save) ] || { echo \("no rollback copy (\(served).save)") >&2; exit 1; }",
      "rm -rf \(failed)",
      "if [ -e \(served) ]; then mv -T \(served) \(failed); fi",
      "mv -T \(save) \(served)",
    ])
  }

  /// Appends `folder` to the host's activation log (`HostLayout.activations`): it is served now,
  /// verified. Pruning ranks builds by this log and `rollback` goes back along it, so that a
  /// build that was never in production neither pushes a served one out nor is rolled back to.
  public static func recordActivation(_ layout: HostLayout, folder: String) -> ShellScript {
    "mkdir -p \(layout.stateFolder) && printf '%s %s\\n' \"$(date +%s)\" \(folder)"
      + " >> \(layout.activations)"
  }

  /// Removes old builds so that `keep` remain, `served` (the build just activated) counted.
  /// Never removed besides: the build served before it (by the activation log: where a rollback
  /// goes), the names in `protected` (the explorer's served copy and its rollback copy), the
  /// `current` link's target, and builds newer than `served` that were
  /// never activated (finished with `--detach`, waiting for `--activate`). The rest are ranked
  /// by when they were last activated (never: last), then by `build_time`. Links and folders
  /// without `build_info.yml` (a build in progress) are not builds. Prints what it removed.
  ///
  /// Every name reaches the script as a positional parameter, never inside other quotes.
  public static func prune(
    _ layout: HostLayout, keep: Int, served: String, protected: [String]
  ) -> ShellScript {
    ShellScript.lines([
      "set -- \(words: [served] + protected)",
      "cd \(layout.buildFolder) || exit 0",
      "log=\(layout.activations)",
      "current=$(readlink current 2>/dev/null || true)",
      "build_time() { sed -n 's/^build_time: *//p' \"$1/build_info.yml\" 2>/dev/null | head -n 1 | tr -d \"'\\\"\"; }",
      "activated() { D=$1 awk 'substr($0, index($0, \" \") + 1) == ENVIRON[\"D\"] { e = $1 } END { print e + 0 }' \"$log\" 2>/dev/null || echo 0; }",
      "served_time=$(build_time \"$1\")",
      // The build served before this one is where a rollback goes: kept whatever `keep` says.
      "previous=$(S=$1 awk '{ f = substr($0, index($0, \" \") + 1) } f != ENVIRON[\"S\"] { p = f } END { print p }' \"$log\" 2>/dev/null)",
      "for d in */; do d=${d%/}",
      "  [ -L \"$d\" ] && continue",
      "  [ -f \"$d/build_info.yml\" ] || continue",
      "  [ \"$d\" = \"$current\" ] || [ \"$d\" = \"$previous\" ] && continue",
      "  for p; do [ \"$p\" = \"$d\" ] && continue 2; done",
      "  e=$(activated \"$d\"); t=$(build_time \"$d\")",
      "  if [ \"$e\" -eq 0 ] && [ -n \"$served_time\" ] && expr \"x$t\" \\> \"x$served_time\" >/dev/null; then continue; fi",
      "  printf '%012d\\t%s\\t%s\\n' \"$e\" \"$t\" \"$d\"",
      "done | sort -r | tail -n +\(max(keep, 1)) | cut -f 3- | while IFS= read -r d; do",
      "  rm -rf -- \"$d\" && printf '%s\\n' \"$d\"",
      "done",
    ])
  }
}
