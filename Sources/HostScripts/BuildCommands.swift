import DeploySupport
import HostShell

/// How a build runner is detached from the SSH connection that starts it.
public enum DetachMethod: String, Sendable, CaseIterable {
  /// tmux when the host has it (as ECHR-OD did: an operator can attach and watch), else setsid.
  case auto
  case tmux
  case setsid
}

/// Remote commands around a build run: prepare its folder, start it detached, check nothing
/// else is building, show logs. The listings of runs and builds are `HostQuery`s beside their
/// parsers (`RunRecord.listing`, `BuildFolderListing.listing`); `RunnerScript` is the runner.
public enum BuildCommands {
  /// The tmux server `deploy` uses (`tmux -L deploy ls` on the host lists running builds), kept
  /// apart from the operator's own tmux sessions.
  public static let tmuxSocket = "deploy"

  /// The tmux session name of a run (tmux turns `.` and `:` into `_`, so they are avoided). It
  /// ends with a short hash of the run's folder: two installations of one app on one host
  /// (different paths) share the tmux server, and their sessions must not collide.
  public static func tmuxSession(app: String, runID: String, attempt: Int, runFolder: String)
    -> String
  {
    var hash: UInt32 = 2_166_136_261  // FNV-1a: stable across runs and machines
    for byte in runFolder.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    let suffix = String(hash, radix: 16)
    return "deploy-" + String(app.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
      + "-" + runID + (attempt > 1 ? "-a\(attempt)" : "") + "-"
      + String(repeating: "0", count: 8 - suffix.count) + suffix
  }

  /// Checks that no build is running in the app's build folder. Output: `clear`, `running RUN`
  /// (a live runner holds `.lock`), `foreign` (a `.lock` that `deploy` did not write, e.g. from
  /// ECHR-OD's own tooling) or `stale RUN` (the runner that wrote `.lock` is gone: the lock is
  /// removed and the run marked lost, then the build can go ahead).
  public static func preflight(_ layout: HostLayout) -> ShellScript {
    let lock = layout.buildLock
    let runs = layout.runsFolder
    return ShellScript.lines([
      HostProcess.functions,
      "[ -e \(lock) ] || { echo clear; exit 0; }",
      "r=$(head -n 1 \(lock) 2>/dev/null)",
      "case $r in '' | *[!0-9A-Za-z-]*) echo foreign; exit 0 ;; esac",
      "[ -f \(runs)/\"$r\"/run.json ] || { echo foreign; exit 0; }",
      "if [ -f \(runs)/\"$r\"/pid ] && is_alive \"$(cat \(runs)/\"$r\"/pid)\"; then"
        + " echo \"running $r\"; exit 0; fi",
      // The runner died (killed, its tmux server gone); its step may live on. It is stopped
      // before anything builds here again, or two would write into one build folder.
      "for f in \(runs)/\"$r\"/steps/*.proc; do",
      "  [ -f \"$f\" ] && group_alive \"$(cat \"$f\")\" || continue",
      "  stop_group \"$(cat \"$f\")\"",
      "  n=${f##*/}; printf '==> %s step %s: its processes were stopped (the runner was gone)\\n'"
        + " \"$(date '+%Y-%m-%d %H:%M:%S')\" \"${n%.proc}\" >> \(runs)/\"$r\"/log",
      "done",
      "rm -f \(lock)",
      "case \"$(cat \(runs)/\"$r\"/state 2>/dev/null)\" in running*)"
        + " printf 'lost %s\\n' \"$(date +%s)\" > \(runs)/\"$r\"/state ;; esac",
      "echo \"stale $r\"",
    ])
  }

  /// Creates the run folder and writes the runner (sent on stdin) and the run's metadata.
  public static func prepare(runFolder: String, metadata: JSONValue) -> ShellScript {
    let run = runFolder
    return DiskSpace.functions + "\n"
      + """
      { mkdir -p \(run)/steps && cat > \(run)/runner.sh.tmp && mv -f \(run)/runner.sh.tmp \(run)/runner.sh \
      && printf '%s\\n' \(metadata.serialized) > \(run)/run.json; } 2>/dev/null \
      || { explain_write_failure \(run); rm -rf \(run); exit 1; }
      """
  }

  /// Starts the runner detached and waits (up to 10 s) until it has written its pid. Output:
  /// `runner tmux SESSION` or `runner setsid`, then `pid PID START BOOT`.
  public static func start(
    runFolder: String, app: String, runID: String, attempt: Int, method: DetachMethod
  ) -> ShellScript {
    let run = runFolder
    let session = tmuxSession(
      app: app, runID: runID, attempt: attempt, runFolder: runFolder)
    // In tmux the pane shows the log live; the runner itself runs in the background of the
    // pane's shell and ignores SIGHUP, so closing the pane or killing tmux does not stop it.
    //
    // A tmux server exits when its last session ends. A client that arrives in that instant
    // (another run's runner just finished) gets "server exited unexpectedly" and starts
    // nothing; so the start is tried again, unless the session came to be after all.
    let newSession: ShellScript =
      "tmux -L \(tmuxSocket) new-session -d -s \(session) -c \(run)"
      + " \("sh runner.sh & tail -n +1 -F --pid=$! log 2>/dev/null")"
    let tmux: ShellScript = ShellScript.lines([
      "start_tmux() {",
      "  n=0",
      "  while :; do",
      "    err=$(\(newSession) 2>&1) && return 0",
      "    tmux -L \(tmuxSocket) has-session -t \("=" + session) 2>/dev/null && return 0",
      "    n=$((n + 1)); [ $n -lt 5 ] || { printf '%s\\n' \"$err\" >&2; return 1; }",
      "    sleep 0.2",
      "  done",
      "}",
      "start_tmux && echo \("runner tmux " + session)",
    ])
    let setsid: ShellScript =
      "setsid -f sh runner.sh </dev/null >/dev/null 2>&1 && echo 'runner setsid'"
    let launch: ShellScript
    switch method {
    case .tmux:
      launch =
        "command -v tmux >/dev/null 2>&1 || { echo 'tmux is not installed on this host' >&2;"
        + " exit 1; }; \(tmux) || exit 1"
    case .setsid: launch = "\(setsid) || exit 1"
    case .auto:
      launch =
        "if command -v tmux >/dev/null 2>&1; then \(tmux) || exit 1; else \(setsid) || exit 1; fi"
    }
    return ShellScript.lines([
      "cd \(run) || exit 1",
      "rm -f pid",
      launch,
      "i=0; while [ ! -s pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done",
      "[ -s pid ] || { echo 'the build runner did not start (no pid after 10 s); see' \((runFolder + "/log")) >&2; exit 1; }",
      "echo \"pid $(cat pid)\"",
    ])
  }

  /// Prints a run's log; with `follow`, keeps printing until its runner ends (`tail --pid`).
  public static func showLog(_ layout: HostLayout, runID: String, follow: Bool) -> ShellScript {
    let run = (layout.runFolder(runID))
    guard follow else { return "cat \(run)/log" }
    return ShellScript.lines([
      HostProcess.functions,
      "cd \(run) || exit 1",
      "if [ -f pid ] && is_alive \"$(cat pid)\"; then set -- $(cat pid);"
        + " exec tail -n +1 -F --pid=\"$1\" log 2>/dev/null; fi",
      "cat log",
    ])
  }
}
