import DeploySupport
import HostShell

/// `command` and `shell`: run something on the host. Always a change when they run (Ansible's
/// rule), unless `creates`/`removes` say the work is already done. In check mode they report
/// that they would run instead of silently skipping, so the preview is honest.
enum CommandModule: PlayModule {
  static let name = "command"
  static let arguments: Set<String>? = [
    "cmd", "argv", "chdir", "creates", "removes", "stdin", "executable", "_raw_params",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try execute(args, context, throughShell: false)
  }

  static func execute(_ args: ModuleArgs, _ context: ModuleContext, throughShell: Bool) throws
    -> ModuleResult
  {
    try args.allowOnly(arguments)
    let raw = try args.freeForm ?? args.string("cmd", "_raw_params")
    let line: ShellScript
    if throughShell {
      guard let raw, !raw.isEmpty else { throw ModuleFailure("no command given") }
      // `shell:` is shell the playbook's author wrote to be run as shell.
      line = ShellScript(authored: raw)
    } else if let argv = try args.list("argv") {
      guard !argv.isEmpty else { throw ModuleFailure("argv is empty") }
      line = "\(words: argv)"
    } else {
      guard let raw, !raw.isEmpty else { throw ModuleFailure("no command given") }
      // `command` does not go through a shell: its words are split as Python's shlex does and
      // each is passed as one argument, so `$HOME`, `|` and `;` reach the program literally.
      let words = try ShellWords.split(raw)
      line = "\(words: words)"
    }
    let shown = raw ?? line.text

    var guards: [ShellScript] = []
    if let creates = try args.string("creates") {
      guards.append("[ -e \(creates) ] && { echo 'skip:\(creates.count)'; exit 0; }")
    }
    if let removes = try args.string("removes") {
      guards.append("[ -e \(removes) ] || { echo 'skip:'; exit 0; }")
    }
    if !guards.isEmpty {
      let probe = try context.shell(guards.joined(separator: "\n") + "\necho run")
      if probe.stdoutText.hasPrefix("skip:") {
        let why =
          probe.stdoutText.hasPrefix("skip:\n")
          ? "skipped, since \(try args.string("removes") ?? "") does not exist"
          : "skipped, since \(try args.string("creates") ?? "") exists"
        return ModuleResult(
          changed: false, message: why,
          values: ["cmd": .string(shown), "rc": .int(0), "stdout": .string(why)])
      }
    }
    if context.checkMode {
      return ModuleResult(
        changed: true, message: "check mode: would run: \(shown)",
        values: ["cmd": .string(shown)], simulated: true)
    }

    var script: ShellScript = ""
    if let chdir = try args.string("chdir") {
      script += "cd \(chdir) || exit 1\n"
    }
    if throughShell, let executable = try args.string("executable") {
      // The line is the `-c` argument of that shell: a value here, one quoted word.
      script += "exec \(executable) -c \(line.text)"
    } else {
      script += line
    }
    let stdin = try args.string("stdin").map { Array(($0 + "\n").utf8) } ?? []
    let output = try context.shell(script, stdin: stdin)
    let stdout = trimmingFinalNewline(output.stdoutText)
    let stderr = trimmingFinalNewline(output.stderrText)
    let rc = Int(output.result.exitStatus)
    let values: [String: VarValue] = [
      "cmd": .string(shown), "rc": .int(rc), "stdout": .string(stdout),
      "stderr": .string(stderr), "stdout_lines": .list(lines(stdout)),
      "stderr_lines": .list(lines(stderr)),
      "delta": .string(String(format: "%.3f", output.result.duration)),
    ]
    if output.result.timedOut { throw ModuleFailure("the command timed out", values: values) }
    guard rc == 0 else {
      // The error output says why; Ansible shows it with the result, so do we (its end).
      let tail = stderr.split(separator: "\n").suffix(5).joined(separator: "\n")
      throw ModuleFailure(
        "non-zero return code \(rc)" + (tail.isEmpty ? "" : ": \(tail)"), values: values)
    }
    return ModuleResult(changed: true, values: values)
  }

  private static func trimmingFinalNewline(_ text: String) -> String {
    text.hasSuffix("\n") ? String(text.dropLast()) : text
  }

  private static func lines(_ text: String) -> [VarValue] {
    text.isEmpty
      ? []
      : text.split(separator: "\n", omittingEmptySubsequences: false).map {
        .string(String($0))
      }
  }
}

enum ShellModule: PlayModule {
  static let name = "shell"
  static var arguments: Set<String>? { CommandModule.arguments }

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try CommandModule.execute(args, context, throughShell: true)
  }
}
