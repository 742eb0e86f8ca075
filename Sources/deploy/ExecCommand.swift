import ArgumentParser
import DeployBuildAPI
import DeployConfig
import DeployExec
import DeployInventory
import DeploySSH
import DeploySupport
import DeployTemplating
import HostShell

struct ExecCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec",
    abstract: "Run a shell command on hosts in parallel.",
    discussion: """
      Output is prefixed by host as it arrives ('host | ' for stdout, 'host ! ' for stderr), or \
      grouped per host with --group. Exit status: 0 if every host succeeded, else the most \
      serious failure (5 host key, 6 authentication, 4 unreachable, 1 command failed).
      """)

  @Option(name: [.short, .customLong("limit")], help: "Ansible host pattern (e.g. web:&prod).")
  var limit: String = "all"

  @Option(name: .customLong("timeout"), help: "Stop the command after this many seconds.")
  var timeout: Double?

  @Flag(name: [.short, .customLong("group")], help: "Print each host's output in one block.")
  var group = false

  @OptionGroup var connection: ConnectionOptions

  @Argument(parsing: .postTerminator, help: "The command, after --.")
  var command: [String]

  func validate() throws {
    guard !command.isEmpty else { throw ValidationError("give the command after --") }
    if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
  }

  func run() throws {
    try withExitStatus {
      let inventory = try connection.loadInventory()
      let hosts = try inventory.hosts(matching: limit)
      let resolver = try SSHTargetResolver(defaults: connection.defaults)
      let targets = try hosts.map { host throws(DeployError) in try resolver.target(for: host) }
      let renderer: any ExecRenderer =
        connection.json ? JSONExecRenderer() : TerminalExecRenderer(grouped: group)
      renderer.warnings(for: targets)
      // A single word is run as given; several are joined as the shell would see them typed.
      let line = command.count == 1 ? command[0] : command.joined(separator: " ")
      // The operator's own line, for their login shell, as `ssh host LINE` would run it.
      let exec = RemoteExec(
        command: RemoteCommand(
          ShellScript(authored: line), timeout: timeout, interpreter: .loginShell),
        forks: connection.forks)
      let started = MonotonicClock.now
      let results = exec.run(on: targets, events: renderer)
      renderer.summary(results, duration: MonotonicClock.now - started)
      return ExitStatus.combining(results.map(\.outcome.exitStatus))
    }
  }
}
