import DeployConfig
import DeployInventory
import DeploySupport
import Foundation
import Yams

/// Reads playbooks and task files into `Playbook` values, checking every name against what
/// `deploy play` implements.
struct PlaybookParser {
  let file: String
  private var reader: YAMLSchemaReader { YAMLSchemaReader(file: file) }

  static let playKeys = [
    "name", "hosts", "remote_user", "become", "become_user", "gather_facts", "vars",
    "vars_files", "roles", "pre_tasks", "tasks", "post_tasks", "handlers", "tags",
    "environment", "serial", "any_errors_fatal",
  ]

  /// Keywords a task may carry besides its action.
  static let taskKeywords = [
    "name", "when", "loop", "with_items", "register", "changed_when", "failed_when",
    "ignore_errors", "environment", "delegate_to", "notify", "tags", "become", "become_user",
    "loop_control", "no_log", "vars", "listen", "check_mode", "diff", "run_once", "args",
  ]

  /// The modules `deploy play` implements, by their short names (`ansible.builtin.` and
  /// `ansible.legacy.` prefixes are accepted too).
  static let modules: Set<String> = [
    "apt", "package", "copy", "template", "file", "lineinfile", "blockinfile", "user", "group",
    "authorized_key", "service", "systemd", "command", "shell", "git", "get_url", "unarchive",
    "debug", "assert", "fail", "set_fact", "wait_for", "pause", "stat",
  ]

  /// Modules whose arguments may be a free-form string (`command: ls -l`).
  static let freeFormModules: Set<String> = ["command", "shell"]

  static func moduleName(_ key: String) -> String? {
    for prefix in ["ansible.builtin.", "ansible.legacy.", "ansible.posix."]
    where key.hasPrefix(prefix) {
      let short = String(key.dropFirst(prefix.count))
      return modules.contains(short) ? short : nil
    }
    return modules.contains(key) ? key : nil
  }

  func plays(_ text: String, seen: inout Set<String>) throws(DeployError) -> [Playbook.Play] {
    let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
    guard seen.insert(absolute).inserted else {
      throw .configuration(SourceLocation(file: file), "playbook imports itself (through \(file))")
    }
    guard let root = try YAMLDocument.compose(text, file: file) else {
      throw .configuration(SourceLocation(file: file, line: 1, column: 1), "the playbook is empty")
    }
    guard let list = root.sequence else { throw reader.mismatch(root, expected: "a list of plays") }
    var plays: [Playbook.Play] = []
    for item in list {
      let fields = try reader.entries(item, expected: "a play (a mapping with 'hosts')")
      if let imported = fields["import_playbook"] {
        let name = try reader.string(imported, expected: "a playbook file for 'import_playbook'")
        let path = resolve(name)
        let text: String
        do {
          text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
          throw .configuration(
            reader.location(imported), "cannot read playbook \(path): \(error.localizedDescription)"
          )
        }
        plays += try PlaybookParser(file: path).plays(text, seen: &seen)
        continue
      }
      plays.append(try play(item))
    }
    return plays
  }

  private func resolve(_ name: String) -> String {
    name.hasPrefix("/") ? name : (file as NSString).deletingLastPathComponent + "/" + name
  }

  /// Ansible keywords `deploy play` knows but does not implement: named as such, so nobody
  /// takes them for typos.
  static let unsupportedKeywords: Set<String> = [
    "until", "retries", "delay", "async", "poll", "local_action", "action", "connection",
    "delegate_facts", "throttle", "timeout", "ignore_unreachable", "module_defaults",
    "collections", "debugger", "become_method", "become_flags", "become_exe", "port",
    "remote_user", "vars_prompt", "strategy", "max_fail_percentage", "order", "force_handlers",
    "gather_subset", "gather_timeout", "fact_path", "hosts_file", "include_role",
    "import_role", "include_vars", "include", "meta", "setup", "raw", "script", "uri",
    "debconf", "cron", "mount", "sysctl", "ufw", "reboot", "replace", "slurp", "fetch",
    "synchronize", "find", "tempfile", "hostname", "timezone", "iptables", "apt_key",
    "apt_repository", "pip", "docker_container", "add_host", "group_by", "set_stats",
  ]

  private func unsupported(_ key: String, keyNode: Node) -> DeployError? {
    let short = key.split(separator: ".").last.map(String.init) ?? key
    if Self.unsupportedKeywords.contains(short) {
      return .configuration(
        reader.location(keyNode),
        "unsupported: '\(key)' is Ansible, but deploy play does not implement it")
    }
    if key.hasPrefix("with_") {
      return .configuration(
        reader.location(keyNode),
        "unsupported: '\(key)' (deploy play implements loop and with_items)")
    }
    if key.split(separator: ".").count >= 3 {
      return .configuration(
        reader.location(keyNode),
        "unsupported: module '\(key)' from a collection; deploy play implements: "
          + Self.modules.sorted().joined(separator: ", "))
    }
    return nil
  }

  private func play(_ node: Node) throws(DeployError) -> Playbook.Play {
    for entry in try reader.entries(node, expected: "a play (a mapping)").entries
    where !Self.playKeys.contains(entry.key) {
      if let error = unsupported(entry.key, keyNode: entry.keyNode) { throw error }
    }
    let fields = try reader.fields(node, of: "a play", allowed: Self.playKeys)
    guard let hostsNode = fields["hosts"] else {
      throw .configuration(
        reader.location(node), "a play needs 'hosts' (an inventory host pattern)")
    }
    let hosts: String
    if let list = hostsNode.sequence {
      hosts = list.compactMap { $0.scalar?.string }.joined(separator: ":")
    } else {
      hosts = try reader.string(hostsNode, expected: "a host pattern for 'hosts'")
    }
    func bool(_ key: String, _ fallback: Bool) throws(DeployError) -> Bool {
      guard let node = fields[key] else { return fallback }
      switch try reader.string(node, expected: "true or false for '\(key)'").lowercased() {
      case "true", "yes", "on", "1": return true
      case "false", "no", "off", "0": return false
      default: throw reader.mismatch(node, expected: "true or false for '\(key)'")
      }
    }
    func taskList(_ key: String) throws(DeployError) -> [PlaybookTask] {
      guard let node = fields[key], !node.isNull else { return [] }
      return try tasks(node, of: "'\(key)'")
    }
    var vars: [String: PlaybookValue] = [:]
    if let node = fields["vars"], !node.isNull {
      for entry in try reader.entries(node, expected: "variables (a mapping) for 'vars'").entries {
        vars[entry.key] = PlaybookValue(entry.value, file: file)
      }
    }
    return Playbook.Play(
      name: try fields["name"].map { node throws(DeployError) in
        try reader.string(node, expected: "a name")
      },
      hosts: hosts,
      remoteUser: try fields["remote_user"].map { node throws(DeployError) in
        try reader.string(node, expected: "a user name for 'remote_user'")
      },
      become: try bool("become", false),
      becomeUser: try fields["become_user"].map { node throws(DeployError) in
        try reader.string(node, expected: "a user name for 'become_user'")
      },
      gatherFacts: try bool("gather_facts", true), vars: vars,
      varsFiles: try fields["vars_files"].map { node throws(DeployError) in
        try reader.strings(node, expected: "file names for 'vars_files'", single: true).map(\.text)
      } ?? [],
      roles: try fields["roles"].map { node throws(DeployError) in try roleNames(node) } ?? [],
      preTasks: try taskList("pre_tasks"), tasks: try taskList("tasks"),
      postTasks: try taskList("post_tasks"), handlers: try taskList("handlers"),
      tags: try fields["tags"].map { node throws(DeployError) in
        try reader.strings(node, expected: "tag names for 'tags'", single: true).map(\.text)
      } ?? [],
      environment: fields["environment"].map { PlaybookValue($0, file: file) },
      serial: try fields["serial"].map { node throws(DeployError) in
        guard let count = Int(try reader.string(node, expected: "a number of hosts")), count > 0
        else {
          throw reader.mismatch(
            node,
            expected:
              "a positive number of hosts for 'serial' (percentages and lists are not supported)")
        }
        return count
      },
      anyErrorsFatal: try bool("any_errors_fatal", false),
      location: reader.location(node))
  }

  private func roleNames(_ node: Node) throws(DeployError) -> [Playbook.RoleReference] {
    guard let list = node.sequence else { throw reader.mismatch(node, expected: "a list of roles") }
    var roles: [Playbook.RoleReference] = []
    for item in list {
      if item.scalar != nil {
        roles.append(
          Playbook.RoleReference(
            name: try reader.string(item, expected: "a role name"), keywords: [:],
            location: reader.location(item)))
        continue
      }
      let fields = try reader.entries(item, expected: "a role name or {role: NAME}")
      guard let role = fields["role"] ?? fields["name"] else {
        throw .configuration(reader.location(item), "a role entry needs 'role: NAME'")
      }
      var keywords: [String: PlaybookValue] = [:]
      for entry in fields.entries where entry.key != "role" && entry.key != "name" {
        guard Self.roleKeywords.contains(entry.key) else {
          throw .configuration(
            reader.location(entry.keyNode),
            "unsupported in a role entry: '\(entry.key)' (supported: "
              + Self.roleKeywords.sorted().joined(separator: ", ") + ")")
        }
        keywords[entry.key] = PlaybookValue(entry.value, file: file)
      }
      roles.append(
        Playbook.RoleReference(
          name: try reader.string(role, expected: "a role name"), keywords: keywords,
          location: reader.location(item)))
    }
    return roles
  }

  /// What a `roles:` entry may set for the role's tasks.
  static let roleKeywords: Set<String> = [
    "tags", "when", "vars", "become", "become_user", "environment",
  ]

  /// A list of tasks (a play's `tasks:`, a block, or a task file).
  func tasks(_ node: Node, of what: String) throws(DeployError) -> [PlaybookTask] {
    guard let list = node.sequence else {
      throw reader.mismatch(node, expected: "a list of tasks for \(what)")
    }
    var tasks: [PlaybookTask] = []
    for item in list { tasks.append(try task(item)) }
    return tasks
  }

  private func task(_ node: Node) throws(DeployError) -> PlaybookTask {
    let fields = try reader.entries(node, expected: "a task (a mapping)")
    var action: PlaybookTask.Action?
    var keywords: [String: PlaybookValue] = [:]
    let blockKeys: Set<String> = ["block", "rescue", "always"]
    for entry in fields.entries {
      if Self.taskKeywords.contains(entry.key) {
        keywords[entry.key] = PlaybookValue(entry.value, file: file)
        continue
      }
      if blockKeys.contains(entry.key) { continue }
      let found: PlaybookTask.Action
      switch entry.key {
      case "import_tasks", "include_tasks", "ansible.builtin.import_tasks",
        "ansible.builtin.include_tasks":
        let name = try reader.string(entry.value, expected: "a task file for '\(entry.key)'")
        found = .include(file: name, imported: entry.key.hasSuffix("import_tasks"))
      default:
        guard let module = Self.moduleName(entry.key) else {
          if let error = unsupported(entry.key, keyNode: entry.keyNode) { throw error }
          var message = "unknown module or task keyword '\(entry.key)'"
          let known = Array(Self.modules) + Self.taskKeywords
          if let guess = YAMLSchemaReader.closest(to: entry.key, in: known) {
            message += " (did you mean '\(guess)'?)"
          }
          message += "; deploy play implements: " + Self.modules.sorted().joined(separator: ", ")
          throw .configuration(reader.location(entry.keyNode), message)
        }
        if entry.value.scalar != nil, !entry.value.isNull {
          // `debug: msg=hello` style: key=value pairs, read when the task runs.
          // `args:` (wherever it is in the task) is merged in when the task runs.
          let text = entry.value.scalar?.string ?? ""
          if !Self.freeFormModules.contains(module) {
            // `debug: msg=hello`: key=value pairs; anything else is a mistake.
            _ = try KeyValueArguments.parse(text, at: reader.location(entry.value))
          }
          found = .module(name: module, args: nil, freeForm: text)
        } else {
          found = .module(
            name: module,
            args: entry.value.isNull ? nil : PlaybookValue(entry.value, file: file),
            freeForm: nil)
        }
      }
      guard action == nil else {
        throw .configuration(
          reader.location(entry.keyNode), "a task calls one module; '\(entry.key)' is a second one")
      }
      action = found
    }
    if let block = fields["block"] {
      guard action == nil else {
        throw .configuration(
          reader.location(node), "a task is either a block or a module call, not both")
      }
      action = .block(
        tasks: try tasks(block, of: "'block'"),
        rescue: try fields["rescue"].map { node throws(DeployError) in
          try tasks(node, of: "'rescue'")
        } ?? [],
        always: try fields["always"].map { node throws(DeployError) in
          try tasks(node, of: "'always'")
        } ?? [])
    } else if let stray = fields.keyNode("rescue") ?? fields.keyNode("always") {
      throw .configuration(reader.location(stray), "'rescue' and 'always' belong to a 'block'")
    }
    guard let action else {
      throw .configuration(
        reader.location(node),
        "this task calls no module (expected one of: \(Self.modules.sorted().joined(separator: ", ")))"
      )
    }
    return PlaybookTask(
      name: try keywords["name"].map { value throws(DeployError) in
        try reader.string(value.node, expected: "a task name")
      },
      action: action, keywords: keywords, location: reader.location(node))
  }
}
