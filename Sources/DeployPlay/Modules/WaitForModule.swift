import DeploySupport
import HostShell

/// `wait_for`: waits on the host until a TCP port opens or closes, or a file appears (with a
/// line matching `search_regex`) or disappears. The polling loop runs on the host in one shell
/// script (bash's /dev/tcp, present even on minimal Debian), so waiting costs one round trip.
/// It never changes anything; in check mode it is skipped, as Ansible's is, because what it
/// waits for usually comes from earlier tasks that check mode did not run.
enum WaitForModule: PlayModule {
  static let name = "wait_for"
  static let arguments: Set<String>? = [
    "port", "host", "path", "state", "timeout", "delay", "search_regex", "sleep",
    "connect_timeout", "msg",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let port = try args.int("port")
    let host = try args.string("host") ?? "127.0.0.1"
    let path = try args.string("path")
    let state = try args.choice(
      "state", ["started", "stopped", "present", "absent"], default: "started")
    let timeout = try args.int("timeout") ?? 300
    let delay = try args.int("delay") ?? 0
    let sleep = try args.int("sleep") ?? 1
    let connectTimeout = try args.int("connect_timeout") ?? 5
    let searchRegex = try args.string("search_regex")
    let customMessage = try args.string("msg")

    if port != nil && path != nil {
      throw ModuleFailure("port and path parameter can not both be passed to wait_for")
    }
    if path != nil && state == "stopped" {
      throw ModuleFailure(
        "state=stopped should only be used for checking a port in the wait_for module")
    }
    if port != nil && state == "absent" {
      throw ModuleFailure(
        "state=absent should only be used for checking a file in the wait_for module")
    }
    if let port, !(1...65535).contains(port) {
      throw ModuleFailure("port must be 1-65535, got \(port)")
    }
    if searchRegex != nil && (state == "stopped" || state == "absent") {
      throw ModuleFailure("search_regex is only meaningful with state=started or present")
    }
    if context.checkMode {
      return ModuleResult(
        changed: false, message: "skipped in check mode: wait_for does not support it",
        skipped: true)
    }

    // The condition, as a shell test that succeeds once the wait is over.
    let condition: ShellScript
    let what: String
    if let port {
      let open: ShellScript =
        "timeout \(connectTimeout) bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' _ \(host) \(port) 2>/dev/null"
      if state == "stopped" {
        condition = "! \(open)"
      } else if let searchRegex {
        // Read what the service says (a banner), line by line as it comes, and look for the
        // pattern in it; grep -q stops at the first match.
        condition =
          "timeout \(connectTimeout) bash -c 'exec 3<>\"/dev/tcp/$1/$2\"; "
          + "while IFS= read -r -t 2 line <&3; do printf \"%s\\n\" \"$line\"; done' _ "
          + "\(host) \(port) 2>/dev/null | grep -Eq -- \(searchRegex)"
      } else {
        condition = open
      }
      what = "\(host):\(port)"
    } else if let path {
      let quoted: ShellScript = "\(path)"
      switch state {
      case "absent": condition = "[ ! -e \(quoted) ]"
      default:
        condition =
          searchRegex.map { "[ -r \(quoted) ] && grep -Eq -- \($0) \(quoted)" }
          ?? "[ -e \(quoted) ]"
      }
      what = "file \(path)"
    } else {
      // Neither port nor path: Ansible just sleeps for `timeout` seconds.
      condition = "false"
      what = "nothing"
    }

    let script: ShellScript = """
      command -v bash >/dev/null || { echo 'bash is needed to wait for a port' >&2; exit 3; }
      start=$(date +%s)
      sleep \(delay)
      deadline=$(( $(date +%s) + \(timeout) ))
      while :; do
        if \(condition); then echo "elapsed=$(( $(date +%s) - start ))"; exit 0; fi
        [ "$(date +%s)" -ge "$deadline" ] && { echo "elapsed=$(( $(date +%s) - start ))"; exit 2; }
        sleep \(sleep)
      done
      """
    let output = try context.shell(script, timeout: Double(timeout + delay + connectTimeout + 60))
    let elapsed =
      output.stdoutText.split(separator: "\n").last(where: { $0.hasPrefix("elapsed=") }).flatMap {
        Int($0.dropFirst("elapsed=".count))
      } ?? 0
    var values: [String: VarValue] = ["elapsed": .int(elapsed), "state": .string(state)]
    if let port { values["port"] = .int(port) }
    if let path { values["path"] = .string(path) }
    switch output.result.exitStatus {
    case 0:
      return ModuleResult(changed: false, values: values)
    case 2 where port == nil && path == nil:
      return ModuleResult(changed: false, values: values)
    case 2:
      let ending: String
      switch state {
      case "stopped": ending = " to stop"
      case "absent": ending = " to be absent"
      default: ending = searchRegex.map { " to contain \($0)" } ?? ""
      }
      throw ModuleFailure(
        customMessage ?? "Timeout when waiting for \(what)\(ending)", values: values)
    default:
      throw ModuleFailure(
        "wait_for failed (exit \(output.result.exitStatus)): \(output.stderrText)", values: values)
    }
  }
}
