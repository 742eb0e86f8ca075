import DeployConfig
import HostScripts
import HostShell

/// The POSIX sh script that runs one build attempt on the host, detached from any SSH
/// connection. It is the only thing that runs for hours, so it keeps everything a later
/// controller needs in its run folder: `pid` (with start time and boot id, to tell it is alive),
/// `state`, per-step `steps/N.start`, `steps/N.end` (exit code and time), `steps/N.done` (the
/// step's name: completion, checked on resume), and `log`. It also keeps ECHR-OD's conventions
/// in the build folder: `.lock` while it runs; on success `build_info.yml` in the new build's
/// folder and a `YYYY/MM/DD HH:MM:SS::<workflow>` line in `.build_history`; on failure neither.
public enum RunnerScript {
  public static func render(_ plan: BuildPlan) -> ShellScript {
    let total = plan.steps.count
    let banner =
      "run \(plan.runID) attempt \(plan.attempt): \(plan.app) \(plan.stage) \(plan.version)"
      + " at \(plan.commit), \(total) steps"
    var lines: [ShellScript] = [
      "#!/bin/sh",
      "# deploy build runner: \(plan.app) \(plan.stage), run \(plan.runID) attempt \(plan.attempt)."
        + " Generated; do not edit.",
      "trap '' HUP",
      "run=\(plan.runFolder)",
      "cd \"$run\" || exit 1",
      "exec >>\"$run/log\" 2>&1 </dev/null",
      HostProcess.functions,
      DiskSpace.functions,
      "now() { date +%s; }",
      "journal() { printf '%s%s%s\\n' \"$1\" \"$(now)\" \"$2\" >> \(plan.layout.journal); }",
      "say() { printf '==> %s %s\\n' \"$(date '+%Y-%m-%d %H:%M:%S')\" \"$*\"; }",
    ]
    let exports: [(String, String)] =
      [
        ("DEPLOY_RUN_ID", plan.runID), ("DEPLOY_APP", plan.app), ("DEPLOY_STAGE", plan.stage),
        ("DEPLOY_VERSION", plan.version), ("DEPLOY_COMMIT", plan.commit),
        ("DEPLOY_CHECKOUT", plan.layout.checkout),
        ("DEPLOY_BUILD_FOLDER", plan.layout.buildFolder),
        ("DEPLOY_BUILD_DIR", plan.buildOutput),
      ] + plan.environment.map { ($0.name, $0.value) }
    // Names were validated with the project file (`BuildEnvironment`); the type says so here.
    lines += exports.compactMap { name, value in
      ShellVariableName(name).map { "export \($0)=\(value)" }
    }
    lines += [
      "proc_identity $$ > pid.tmp && mv -f pid.tmp pid",
      "printf 'running %s\\n' \"$(now)\" > state",
      "printf '%s\\n' \(plan.attempt) > attempt",
      "mkdir -p steps \"$DEPLOY_BUILD_DIR\" || exit 1",
      "printf '%s\\n' \"$DEPLOY_RUN_ID\" > \(plan.layout.buildLock)",
      journalCall(plan.journal.started),
      "say \(banner)",
      "current=0",
      // The state file is replaced, never rewritten in place: a reader sees old or new.
      "finish() {",
      "  rm -f \(plan.layout.buildLock)",
      "  printf '%s %s %s %s %s\\n' \"$1\" \"$(now)\" \"${2:-}\" \"${3:-}\" \"${4:-}\" > state.tmp",
      "  mv -f state.tmp state",
      "}",
      // A stopped runner stops its step too: the step runs in a process group of its own
      // (see `step`), which a signal to the runner does not reach by itself.
      "step_pid=",
      "on_signal() {",
      "  [ -n \"$step_pid\" ] && kill -TERM -\"$step_pid\" 2>/dev/null",
      "  say \"stopped by SIG$1 during step $current\"",
      "  finish interrupted \"$current\" \"$2\"",
      "  \(journalCall(plan.journal.interrupted))",
      "  exit \"$2\"",
      "}",
      "trap 'on_signal TERM 143' TERM",
      "trap 'on_signal INT 130' INT",
    ]
    if let timeout = plan.timeout {
      lines.append("deadline=$(( $(now) + \(Int(timeout.rounded(.up))) ))")
    }
    lines += [
      "step() {",
      "  current=$1",
      "  if [ -f \"steps/$1.done\" ] && [ \"$(cat \"steps/$1.done\")\" = \"$2\" ]; then",
      "    say \"step $1/\(total) $2: done in an earlier attempt, skipped\"",
      "    return 0",
      "  fi",
      "  rm -f \"steps/$1.end\" \"steps/$1.done\"",
      "  say \"step $1/\(total) $2\"",
      "  now > \"steps/$1.start\"",
      // The step leads a process group of its own (timeout makes one; else setsid), recorded
      // in `steps/N.proc`: if the runner dies (killed, its tmux server gone), the next deploy's
      // preflight finds the step's processes by it and stops them before anything runs again.
      plan.timeout == nil
        ? "  (cd \"$DEPLOY_CHECKOUT\" && exec setsid -w sh -c \"$3\") &"
        : "  left=$(( deadline - $(now) )); [ \"$left\" -gt 0 ] || left=1\n"
          + "  (cd \"$DEPLOY_CHECKOUT\" && exec timeout -s TERM -k 30 \"$left\" sh -c \"$3\") &",
      "  step_pid=$!",
      "  proc_identity \"$step_pid\" > \"steps/$1.proc\"",
      "  wait \"$step_pid\"",
      "  rc=$?",
      "  step_pid=",
      "  printf '%s %s\\n' \"$rc\" \"$(now)\" > \"steps/$1.end\"",
      "  if [ \"$rc\" -ne 0 ]; then",
      // A step that failed on a full disk leaves a partial build that keeps the disk full for
      // production and for the next deploy: it is removed (a resume then starts over).
      "    why=",
      "    if disk_full \"$DEPLOY_BUILD_DIR\"; then",
      "      rm -rf \"$DEPLOY_BUILD_DIR\"; rm -f steps/*.done; why=disk-full",
      "      say \"the disk holding $DEPLOY_BUILD_DIR is full (ENOSPC): removed this run's partial"
        + " build to give the space back\"",
      "    fi",
      "    say \"step $1/\(total) $2 failed with exit code $rc\"",
      "    finish failed \"$1\" \"$rc\" \"$why\"",
      "    return \"$rc\"",
      "  fi",
      "  printf '%s\\n' \"$2\" > \"steps/$1.done\"",
      "  say \"step $1/\(total) $2: ok\"",
      "}",
    ]
    for (offset, step) in plan.steps.enumerated() {
      let failed = plan.journal.failedAtStep[offset]
      lines.append(
        "step \(offset + 1) \(step.name) \(step.command.text)"
          + " || { rc=$?; \(journalCall(failed)); exit \"$rc\"; }")
    }
    // Publish the build the way ECHR-OD's explorer reads it; build_info.yml appears whole.
    let info = [
      ("version", plan.version), ("commit", plan.commit), ("run_id", plan.runID),
      ("workflow", plan.workflow),
    ].map { "\($0.0): \(YAMLScalar.singleQuoted($0.1))" }
    lines += [
      "stamp=$(date '+%Y/%m/%d %H:%M:%S')",
      "{ printf 'build_time: %s\\n' \"$stamp\"; printf '%s\\n' \(words: info); }"
        + " > \"$DEPLOY_BUILD_DIR/build_info.yml.tmp\""
        + " && mv -f \"$DEPLOY_BUILD_DIR/build_info.yml.tmp\" \"$DEPLOY_BUILD_DIR/build_info.yml\""
        + " || { finish failed \(total) 1; \(journalCall(plan.journal.failedAtStep[total - 1]));"
        + " exit 1; }",
      "printf '%s::%s\\n' \"$stamp\" \(plan.workflow) >> \(plan.layout.buildHistory)",
      "finish succeeded",
      journalCall(plan.journal.succeeded),
      "say \"build succeeded: $DEPLOY_BUILD_DIR\"",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  private static func journalCall(_ line: JournalLineTemplate) -> ShellScript {
    "journal \(line.prefix) \(line.suffix)"
  }
}

/// YAML scalars written by `deploy` into files other tools read.
enum YAMLScalar {
  /// A single-quoted YAML string: nothing is special inside but the quote, which doubles.
  /// Newlines would fold, so they are written as spaces (values here are single-line).
  static func singleQuoted(_ value: String) -> String {
    // Scalar by scalar: a quote followed by a combining mark is one Character, which a
    // Character-wise replacement would not double.
    var quoted = String.UnicodeScalarView()
    quoted.append("'")
    for scalar in value.unicodeScalars {
      switch scalar {
      case "'": quoted.append(contentsOf: "''".unicodeScalars)
      case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\u{0B}", "\u{0C}": quoted.append(" ")
      default: quoted.append(scalar)
      }
    }
    quoted.append("'")
    return String(quoted)
  }
}
