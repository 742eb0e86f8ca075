import DeployInventory
import DeploySSH
import DeploySupport
import Foundation
import HostShell

/// One task on one host: its variables, `when`, the loop, the module call(s), then
/// `changed_when`/`failed_when`, `register`, `notify`, `ignore_errors` and the tally.
struct TaskExecution {
  let step: PlanStep
  let host: PlayHost
  let name: String
  let play: PlaybookRunner.PlayPlan
  let layers: TaskVariables
  let allHosts: [String]
  let hostvars: VarValue
  let options: PlayOptions
  let events: any PlayEventSink

  /// The outcome of one module call, as `register` stores it.
  private struct Outcome {
    var status: TaskStatus
    var message: String?
    var diffs: [FileDiff] = []
    var registered: [String: VarValue]
  }

  private enum Stop: Error {
    case unreachable(SSHError)
  }

  func run(unreachable: (SSHError) -> Void) {
    guard case .module(let module, let args, let freeForm) = step.kind else { return }
    do throws(Stop) {
      let outcome = try execute(module: module, args: args, freeForm: freeForm)
      finish(outcome)
    } catch {
      guard case .unreachable(let failure) = error else { return }
      unreachable(failure)
    }
  }

  // MARK: - Variables

  /// The host's variables for this task, lowest precedence first: role defaults, inventory,
  /// play vars, vars files, role vars, block and task vars, then facts, registered and
  /// `set_fact` variables, then `-e`.
  private func variables() -> [String: VarValue] {
    let role = layers.role
    var vars = layers.belowInventory
    vars.merge(host.inventoryVars) { $1 }
    vars.merge(layers.aboveInventory) { $1 }
    var declared = Set(vars.keys)
    vars.merge(host.facts) { $1 }
    vars.merge(host.hostVars) { $1 }
    if let role {
      vars.merge(role.parameters) { $1 }
      declared.formUnion(role.parameters.keys)
    }
    vars.merge(options.extraVars) { $1 }
    vars["inventory_hostname"] = .string(host.name)
    vars["inventory_hostname_short"] = .string(
      String(host.name.split(separator: ".").first ?? ""))
    vars["group_names"] = .list(host.groups.filter { $0 != "all" }.sorted().map(VarValue.string))
    vars["ansible_play_hosts"] = .list(allHosts.map(VarValue.string))
    vars["play_hosts"] = vars["ansible_play_hosts"]
    vars["ansible_check_mode"] = .bool(options.check)
    vars["ansible_diff_mode"] = .bool(options.diff)
    vars["hostvars"] = hostvars
    vars["playbook_dir"] = .string(playbookFolder)
    if let role { vars["role_path"] = .string(role.folder) }
    return PlayTemplating.resolve(vars, keys: declared.subtracting(options.extraVars.keys))
  }

  /// The playbook's folder: the last place `src:` files are searched (a role's comes first).
  private var playbookFolder: String {
    step.searchFolders.last ?? "."
  }

  // MARK: - Running

  private func execute(module: String, args: PlaybookValue?, freeForm: String?) throws(Stop)
    -> Outcome
  {
    let vars = variables()
    let loopValue = step.task.keywords["loop"] ?? step.task.keywords["with_items"]
    guard let loopValue else {
      do {
        guard try conditionsHold(vars) else { return skipped() }
      } catch {
        return failure("\(error)")
      }
      return try call(module: module, args: args, freeForm: freeForm, vars: vars)
    }

    let items: [VarValue]
    do {
      switch try PlayTemplating.value(loopValue, vars: vars) {
      case .list(let list):
        // with_items flattens one level of nested lists; loop does not.
        items =
          step.task.keywords["with_items"] != nil
          ? list.flatMap { item -> [VarValue] in
            if case .list(let inner) = item { return inner }
            return [item]
          } : list
      case .null: items = []
      case let other:
        return failure(
          "Invalid data passed to 'loop', it requires a list, got this instead: \(other.displayText)"
        )
      }
    } catch {
      return failure("\(error)")
    }
    let control = loopControl(vars)
    var results: [VarValue] = []
    var anyChanged = false
    var anyFailed = false
    var allSkipped = true
    var diffs: [FileDiff] = []
    for item in items {
      var itemVars = vars
      itemVars[control.variable] = item
      var outcome: Outcome
      do {
        if try conditionsHold(itemVars) {
          outcome = try call(module: module, args: args, freeForm: freeForm, vars: itemVars)
        } else {
          outcome = skipped()
        }
      } catch let stop as Stop {
        throw stop
      } catch {
        outcome = failure("\(error)")
      }
      var registered = outcome.registered
      registered["item"] = item
      registered["ansible_loop_var"] = .string(control.variable)
      results.append(.map(registered))
      let label = control.label.flatMap {
        try? PlayTemplating.string($0, vars: itemVars, location: nil)
      }
      events.handle(
        .hostResult(
          TaskHostResult(
            host: host.name, task: name, status: outcome.status,
            item: noLog ? "None" : (label ?? item).displayText,
            message: noLog ? Self.hidden : outcome.message, diffs: noLog ? [] : outcome.diffs,
            delegatedTo: delegated ? "localhost" : nil, location: step.task.location)))
      anyChanged = anyChanged || outcome.status == .changed
      anyFailed = anyFailed || outcome.status == .failed
      allSkipped = allSkipped && outcome.status == .skipped
      diffs += outcome.diffs
    }
    let status: TaskStatus =
      anyFailed ? .failed : anyChanged ? .changed : (allSkipped && !items.isEmpty) ? .skipped : .ok
    var registered: [String: VarValue] = [
      "results": .list(results), "changed": .bool(anyChanged), "failed": .bool(anyFailed),
      "skipped": .bool(allSkipped),
      "msg": .string(
        anyFailed
          ? "One or more items failed" : "All items completed"),
    ]
    if items.isEmpty { registered["skipped_reason"] = .string("No items in the list") }
    return Outcome(
      status: status, message: anyFailed ? "One or more items failed" : nil,
      diffs: [], registered: registered)
  }

  static let hidden =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

  /// `no_log: true`: results are shown without messages, items or diffs (they may hold secrets).
  private var noLog: Bool {
    guard let value = step.keyword("no_log") else { return false }
    return (try? PlayTemplating.condition(value, vars: [:])) == true
  }

  private var delegated: Bool { step.keyword("delegate_to") != nil }

  private func loopControl(_ vars: [String: VarValue]) -> (variable: String, label: String?) {
    guard let control = step.task.keywords["loop_control"],
      case .map(let map)? = try? YAMLDocument.varValue(control.node, file: control.location.file)
    else { return ("item", nil) }
    return (map["loop_var"]?.stringValue ?? "item", map["label"]?.stringValue)
  }

  private func conditionsHold(_ vars: [String: VarValue]) throws(DeployError) -> Bool {
    for condition in step.conditions where try !PlayTemplating.condition(condition, vars: vars) {
      return false
    }
    return true
  }

  private func skipped() -> Outcome {
    Outcome(
      status: .skipped, message: nil,
      registered: [
        "changed": .bool(false), "skipped": .bool(true),
        "skip_reason": .string("Conditional result was False"),
      ])
  }

  private func failure(_ message: String, values: [String: VarValue] = [:]) -> Outcome {
    var registered = values
    registered["failed"] = .bool(true)
    registered["changed"] = registered["changed"] ?? .bool(false)
    registered["msg"] = .string(message)
    return Outcome(status: .failed, message: message, registered: registered)
  }

  private func flag(_ keyword: String, _ vars: [String: VarValue]) throws(DeployError) -> Bool? {
    guard let value = step.keyword(keyword) else { return nil }
    return try PlayTemplating.condition(value, vars: vars)
  }

  /// One module call with the given variables (one loop item's, or the task's).
  private func call(
    module moduleName: String, args: PlaybookValue?, freeForm: String?,
    vars: [String: VarValue]
  ) throws(Stop) -> Outcome {
    guard let module = ModuleRegistry.module(named: moduleName) else {
      return failure("module \(moduleName) is not implemented")
    }
    let context: ModuleContext
    let arguments: ModuleArgs
    do {
      var values: [String: VarValue] = [:]
      // `args:` of the task first, the module's own arguments over them.
      let sources = [step.task.keywords["args"], args].compactMap { $0 }
      for args in sources {
        let raw = try YAMLDocument.varValue(args.node, file: args.location.file)
        guard case .map(let map) = raw else {
          return failure("the arguments of \(moduleName) must be a mapping")
        }
        // `assert`'s conditions are expressions, evaluated by the module itself.
        for (key, value) in map {
          values[key] =
            (moduleName == "assert" && key == "that")
            ? value : try PlayTemplating.render(value, vars: vars, location: args.location)
        }
      }
      var templatedFreeForm: String?
      if let freeForm, !PlaybookParser.freeFormModules.contains(moduleName) {
        // `debug: msg="hi {{ x }}"`: key=value pairs, each value templated on its own.
        for (key, value) in try KeyValueArguments.parse(freeForm, at: step.task.location) {
          values[key] = try PlayTemplating.string(value, vars: vars, location: step.task.location)
        }
      } else {
        // `command: make chdir=/src creates=/src/out`: the module's own key=value words are
        // arguments, the rest is the command, as Ansible reads it.
        let split = freeForm.map(KeyValueArguments.commandArguments)
        for (key, value) in split?.arguments ?? [] where values[key] == nil {
          values[key] = try PlayTemplating.string(value, vars: vars, location: step.task.location)
        }
        templatedFreeForm = try split.map { parts throws(DeployError) in
          try PlayTemplating.string(parts.command, vars: vars, location: step.task.location)
            .displayText
        }
      }
      arguments = ModuleArgs(module: moduleName, values: values, freeForm: templatedFreeForm)
      context = try moduleContext(vars)
    } catch {
      return failure("\(error)")
    }

    var outcome: Outcome
    var simulated = false
    do {
      let result = try module.run(arguments, context)
      var registered = result.values
      registered["changed"] = .bool(result.changed)
      registered["failed"] = .bool(false)
      if let message = result.message, registered["msg"] == nil {
        registered["msg"] = .string(message)
      }
      if result.skipped { registered["skipped"] = .bool(true) }
      if !result.diffs.isEmpty {
        registered["diff"] = .list(
          result.diffs.map {
            .map([
              "before": .string($0.before), "after": .string($0.after),
              "before_header": .string($0.path), "after_header": .string($0.path),
            ])
          })
      }
      outcome = Outcome(
        status: result.skipped ? .skipped : result.changed ? .changed : .ok,
        message: result.message, diffs: result.diffs, registered: registered)
      // In check mode a command that did not run has no output to judge by.
      simulated = result.simulated
    } catch let error as SSHError {
      throw .unreachable(error)
    } catch let error as ModuleFailure {
      outcome = failure(error.message, values: error.values)
    } catch {
      outcome = failure("\(error)")
    }

    // changed_when / failed_when see the result under the `register` name.
    var judged = vars
    if let register = registerName { judged[register] = .map(outcome.registered) }
    do {
      if !simulated, outcome.status != .skipped, let value = step.keyword("changed_when") {
        let changed = try PlayTemplating.condition(value, vars: judged)
        outcome.registered["changed"] = .bool(changed)
        if outcome.status != .failed { outcome.status = changed ? .changed : .ok }
      } else if simulated, let value = step.keyword("changed_when"),
        value.node.scalar.map({ ["false", "no"].contains($0.string.lowercased()) }) == true
      {
        outcome.status = .ok
        outcome.registered["changed"] = .bool(false)
      }
      if !simulated, outcome.status != .skipped, let value = step.keyword("failed_when") {
        let failed = try PlayTemplating.condition(value, vars: judged)
        outcome.registered["failed"] = .bool(failed)
        if failed {
          outcome.status = .failed
          if outcome.message == nil { outcome.message = "failed_when condition was true" }
        } else if outcome.status == .failed {
          outcome.status = outcome.registered["changed"] == .bool(true) ? .changed : .ok
          outcome.message = nil
        }
      }
    } catch {
      outcome = failure("\(error)", values: outcome.registered)
    }
    return outcome
  }

  private var registerName: String? {
    step.task.keywords["register"]?.node.scalar?.string
  }

  private func moduleContext(_ vars: [String: VarValue]) throws(DeployError) -> ModuleContext {
    let become: Bool
    if let value = step.keyword("become") {
      become = try PlayTemplating.condition(value, vars: vars)
    } else if let value = vars["ansible_become"]?.boolValue {
      become = value
    } else {
      become = play.play.become
    }
    let becomeUser =
      try step.keyword("become_user").map { value throws(DeployError) in
        try PlayTemplating.value(value, vars: vars).displayText
      } ?? vars["ansible_become_user"]?.stringValue ?? play.play.becomeUser ?? "root"
    var environment: [String: String] = [:]
    // The play's environment, then the nearest block's or the task's over it.
    for value in [play.play.environment, step.keyword("environment")].compactMap({ $0 }) {
      guard case .map(let map) = try PlayTemplating.value(value, vars: vars) else {
        throw .configuration(value.location, "'environment' must be a mapping")
      }
      for (key, item) in map {
        guard ShellVariableName(key) != nil else {
          throw .configuration(
            value.location, "'environment' key '\(key)' is not a shell variable name")
        }
        environment[key] = item.displayText
      }
    }
    let runner: any CommandRunner
    if delegated {
      runner = LocalRunner()
    } else if let connection = host.connection {
      runner = SSHRunner(connection)
    } else {
      throw .internalError("no connection to \(host.name) although it was reached")
    }
    return ModuleContext(
      host: host.name, runner: runner, becomeUser: become ? becomeUser : nil,
      remoteUser: delegated ? ProcessInfo.processInfo.environment["USER"] : host.target?.user,
      checkMode: try flag("check_mode", vars) ?? options.check,
      diffMode: try flag("diff", vars) ?? options.diff, vars: vars, environment: environment,
      searchFolders: step.searchFolders)
  }

  // MARK: - After the call

  private func finish(_ outcome: Outcome) {
    var status = outcome.status
    let ignore = (try? flag("ignore_errors", [:])) ?? false
    if status == .failed, ignore { status = .ignored }
    if let register = registerName { host.hostVars[register] = .map(outcome.registered) }
    if status != .failed, case .map(let facts)? = outcome.registered["ansible_facts"] {
      host.hostVars.merge(facts) { $1 }
    }
    if status == .changed, let notify = step.task.keywords["notify"] {
      switch try? YAMLDocument.varValue(notify.node, file: notify.location.file) {
      case .list(let names)?: names.compactMap(\.stringValue).forEach(host.notify)
      case .string(let name)?: host.notify(name)
      default: break
      }
    }
    switch status {
    case .ok: host.stats.ok += 1
    case .changed:
      host.stats.ok += 1
      host.stats.changed += 1
    case .skipped: host.stats.skipped += 1
    case .failed:
      host.stats.failed += 1
      host.failed = true
    case .ignored:
      host.stats.ok += 1
      host.stats.ignored += 1
    case .unreachable: host.stats.unreachable += 1
    }
    // A loop reported each item already; the task line sums them up only when it failed.
    let looped = step.task.keywords["loop"] != nil || step.task.keywords["with_items"] != nil
    if !looped || status == .failed || status == .ignored {
      events.handle(
        .hostResult(
          TaskHostResult(
            host: host.name, task: name, status: status, item: nil,
            message: noLog ? Self.hidden : outcome.message,
            diffs: looped || noLog ? [] : outcome.diffs, delegatedTo: delegated ? "localhost" : nil,
            location: step.task.location)))
    }
  }
}
