import DeployExec
import DeployInventory
import DeploySSH
import DeploySupport
import DeployTemplating
import Foundation
import HostShell

/// What `deploy play` was asked on the command line.
public struct PlayOptions: Sendable {
  /// `-l`: an Ansible host pattern the plays' hosts are narrowed to.
  public var limit: String?
  /// `-e`: the highest-precedence variables.
  public var extraVars: [String: VarValue]
  /// `-t` and `--skip-tags`.
  public var tags: Set<String>
  public var skipTags: Set<String>
  public var check: Bool
  public var diff: Bool
  public var forks: Int
  /// Connection settings; `user` is `-u` (a play's `remote_user` wins over it, the
  /// inventory's `ansible_user` over both).
  public var ssh: SSHDefaults

  public init(
    limit: String? = nil, extraVars: [String: VarValue] = [:], tags: Set<String> = [],
    skipTags: Set<String> = [], check: Bool = false, diff: Bool = false, forks: Int = 64,
    ssh: SSHDefaults
  ) {
    self.limit = limit
    self.extraVars = extraVars
    self.tags = tags
    self.skipTags = skipTags
    self.check = check
    self.diff = diff
    self.forks = forks
    self.ssh = ssh
  }
}

/// Runs a playbook the way `ansible-playbook`'s linear strategy does: play by play, task by
/// task, each task on all of the play's hosts at once (up to `forks`); a host that fails drops
/// out; handlers run once, when notified, after the play's task lists.
public final class PlaybookRunner: @unchecked Sendable {
  private let playbook: Playbook
  private let inventory: Inventory
  private let options: PlayOptions
  private let events: any PlayEventSink
  private let transport: TransportSelector
  private var hosts: [String: PlayHost] = [:]
  private var order: [String] = []
  private var plans: [PlayPlan] = []

  struct PlayPlan {
    var play: Playbook.Play
    var hosts: [String]
    var roles: [PlayRole]
    /// The play's `vars:`, read once.
    var playVars: [String: VarValue]
    var varsFiles: [String: VarValue]
    var preTasks: [PlanStep]
    var tasks: [PlanStep]
    var postTasks: [PlanStep]
    var handlers: [PlanStep]
  }

  /// Reads everything the playbook refers to (roles, task files, vars files), parses every
  /// template and condition, and matches the host patterns. Any error here is reported before
  /// any host is contacted.
  public init(
    playbook: Playbook, inventory: Inventory, options: PlayOptions, events: any PlayEventSink
  ) throws(DeployError) {
    self.playbook = playbook
    self.inventory = inventory
    self.options = options
    self.events = events
    transport = TransportSelector { target, reason in
      events.handle(.transportSwitched(host: target.name, reason: reason))
    }
    let folder = (playbook.path as NSString).deletingLastPathComponent
    let playbookFolder = folder.isEmpty ? "." : folder
    let planner = PlayPlanner(playbookFolder: playbookFolder)
    let limited: Set<String>? = try options.limit.map { pattern throws(DeployError) in
      Set(try inventory.hosts(matching: pattern).map(\.name))
    }
    for play in playbook.plays {
      let matched = try inventory.hosts(matching: play.hosts).filter {
        limited?.contains($0.name) ?? true
      }
      for host in matched where hosts[host.name] == nil {
        hosts[host.name] = PlayHost(host)
        order.append(host.name)
      }
      let search = [playbookFolder]
      var roles: [PlayRole] = []
      for reference in play.roles { roles.append(try planner.role(reference)) }
      var varsFiles: [String: VarValue] = [:]
      for file in play.varsFiles {
        guard !PlayTemplating.hasTemplate(file) else {
          throw .configuration(
            play.location, "unsupported: a templated vars_files entry ('\(file)'); name the file")
        }
        let path = file.hasPrefix("/") ? file : playbookFolder + "/" + file
        varsFiles.merge(try PlaybookVarsFile.load(path: path)) { $1 }
      }
      var playVars: [String: VarValue] = [:]
      for (key, value) in play.vars {
        try PlayTemplating.validate(value)
        playVars[key] = try YAMLDocument.varValue(value.node, file: value.location.file)
      }
      plans.append(
        PlayPlan(
          play: play, hosts: matched.map(\.name), roles: roles, playVars: playVars,
          varsFiles: varsFiles,
          preTasks: try planner.steps(play.preTasks, searchFolders: search),
          tasks: try planner.steps(play.tasks, searchFolders: search),
          postTasks: try planner.steps(play.postTasks, searchFolders: search),
          handlers: try planner.steps(play.handlers, searchFolders: search)
            + roles.flatMap(\.handlers)))
    }
  }

  /// Runs every play and returns each host's tally and the run's exit status.
  public func run() -> (stats: [HostStats], exitStatus: ExitStatus) {
    var statuses: [ExitStatus] = []
    for plan in plans {
      runPlay(plan)
    }
    for name in order { hosts[name]?.close() }
    let stats = order.compactMap { hosts[$0]?.stats }
    events.handle(.recap(stats))
    for host in order.compactMap({ hosts[$0] }) {
      if host.unreachable {
        statuses.append(host.unreachableStatus ?? .unreachable)
      } else if host.failed {
        statuses.append(.hostsFailed)
      }
    }
    return (stats, ExitStatus.combining(statuses))
  }

  // MARK: - Plays

  private func runPlay(_ plan: PlayPlan) {
    let name = plan.play.name ?? plan.play.hosts
    let playHosts = plan.hosts.compactMap { hosts[$0] }.filter(\.active)
    guard !playHosts.isEmpty else {
      events.handle(.noHostsMatched(play: name, pattern: plan.play.hosts))
      return
    }
    events.handle(.playStarted(name: name, hosts: playHosts.map(\.name)))
    // `serial: N`: the whole play on N hosts, then on the next N.
    let size = plan.play.serial ?? playHosts.count
    for start in stride(from: 0, to: playHosts.count, by: size) {
      runBatch(Array(playHosts[start..<min(start + size, playHosts.count)]), plan)
    }
  }

  private func runBatch(_ playHosts: [PlayHost], _ plan: PlayPlan) {
    for host in playHosts { host.notified = [] }
    connect(playHosts, play: plan.play)
    if plan.play.gatherFacts { gatherFacts(playHosts, plan: plan) }
    let context = PlayContext(plan: plan, runner: self, allHosts: playHosts.map(\.name))
    run(plan.preTasks, on: playHosts, context)
    flushHandlers(plan, playHosts, context)
    for role in plan.roles {
      run(role.tasks, on: playHosts, context)
    }
    run(plan.tasks, on: playHosts, context)
    flushHandlers(plan, playHosts, context)
    run(plan.postTasks, on: playHosts, context)
    flushHandlers(plan, playHosts, context)
  }

  private func connect(_ playHosts: [PlayHost], play: Playbook.Play) {
    var defaults = options.ssh
    if let user = play.remoteUser { defaults.user = user }
    let resolver: SSHTargetResolver
    do {
      resolver = try SSHTargetResolver(defaults: defaults)
    } catch {
      for host in playHosts {
        markUnreachable(host, .unreachable(host: host.name, reason: "\(error)"))
      }
      return
    }
    let transport = self.transport
    let inventory = self.inventory
    _ = ParallelHosts.map(playHosts, forks: options.forks) { host in
      do throws(SSHError) {
        guard let inventoryHost = inventory.host(named: host.name) else { return true }
        let target: SSHTarget
        do {
          target = try resolver.target(for: inventoryHost)
        } catch {
          throw .unreachable(host: host.name, reason: "\(error)")
        }
        if let current = host.target, current.user == target.user, host.connection != nil {
          return true
        }
        host.close()
        host.connection = try transport.connect(target)
        host.target = target
      } catch {
        self.markUnreachable(host, error)
      }
      return true
    }
  }

  private func markUnreachable(_ host: PlayHost, _ error: SSHError) {
    host.unreachable = true
    host.unreachableStatus = error.exitStatus
    host.stats.unreachable += 1
    host.close()
    events.handle(.hostUnreachable(host: host.name, error: error))
  }

  private func gatherFacts(_ playHosts: [PlayHost], plan: PlayPlan) {
    events.handle(.taskStarted(name: "Gathering Facts", kind: .facts, location: plan.play.location))
    let become = plan.play.become ? (plan.play.becomeUser ?? "root") : nil
    _ = ParallelHosts.map(playHosts.filter(\.active), forks: options.forks) { host in
      guard let connection = host.connection else { return true }
      let context = ModuleContext(
        host: host.name, runner: SSHRunner(connection), becomeUser: become,
        remoteUser: host.target?.user)
      var result = TaskHostResult(
        host: host.name, task: "Gathering Facts", status: .ok, item: nil, message: nil,
        diffs: [], delegatedTo: nil, location: plan.play.location)
      do {
        let output = try context.shell(FactGathering.script)
        if output.result.succeeded {
          host.facts = FactGathering.facts(from: output.stdoutText)
          host.stats.ok += 1
        } else {
          result.status = .failed
          result.message = "fact gathering failed: " + output.stderrText
          host.failed = true
          host.stats.failed += 1
        }
      } catch let error as SSHError {
        self.markUnreachable(host, error)
        return true
      } catch {
        result.status = .failed
        result.message = "\(error)"
      }
      self.events.handle(.hostResult(result))
      return true
    }
  }

  // MARK: - Tasks

  /// What every task of a play needs besides its host.
  struct PlayContext {
    var plan: PlayPlan
    unowned var runner: PlaybookRunner
    var allHosts: [String]
  }

  private func run(_ steps: [PlanStep], on playHosts: [PlayHost], _ context: PlayContext) {
    for step in steps {
      let active = playHosts.filter(\.active)
      if active.isEmpty { return }
      switch step.kind {
      case .module:
        guard selectedByTags(step, context) else { continue }
        runTask(step, on: active, context)
        if context.plan.play.anyErrorsFatal, active.contains(where: { $0.failed }) {
          // One failure stops the play everywhere: no host goes on half-configured alone.
          for host in active where host.active { host.failed = true }
          return
        }
      case .include(let inner):
        run(inner, on: active, context)
      case .block(let body, let rescue, let always):
        let failedBefore = Dictionary(
          uniqueKeysWithValues: active.map { ($0.name, $0.stats.failed) })
        run(body, on: active, context)
        let failedInBody = active.filter { $0.failed && !$0.unreachable }
        if !rescue.isEmpty, !failedInBody.isEmpty {
          // A rescued failure is not a failure of the host (Ansible counts it as `rescued`).
          for host in failedInBody {
            host.failed = false
            host.stats.failed = failedBefore[host.name] ?? host.stats.failed
            host.stats.rescued += 1
          }
          run(rescue, on: failedInBody, context)
        }
        if !always.isEmpty {
          let stillFailed = active.filter { $0.failed && !$0.unreachable }
          for host in stillFailed { host.failed = false }
          run(always, on: active.filter { !$0.unreachable }, context)
          for host in stillFailed { host.failed = true }
        }
      }
    }
  }

  private func flushHandlers(_ plan: PlayPlan, _ playHosts: [PlayHost], _ context: PlayContext) {
    for handler in plan.handlers {
      let names = handlerNames(handler)
      let notifiedHosts = playHosts.filter { host in
        host.active && host.notified.contains { names.contains($0) }
      }
      guard !notifiedHosts.isEmpty else { continue }
      runTask(handler, on: notifiedHosts, context, kind: .handler)
    }
    for host in playHosts { host.notified = [] }
  }

  private func handlerNames(_ handler: PlanStep) -> Set<String> {
    var names: Set<String> = []
    if let name = handler.task.name { names.insert(name) }
    if let listen = handler.task.keywords["listen"],
      let value = try? YAMLDocument.varValue(listen.node, file: listen.location.file)
    {
      switch value {
      case .list(let items): names.formUnion(items.compactMap(\.stringValue))
      default: if let text = value.stringValue { names.insert(text) }
      }
    }
    return names
  }

  /// Ansible's tag selection: with no `-t`, everything but `never`-tagged tasks; with `-t`,
  /// tasks sharing a tag with it (and `always`-tagged ones); `--skip-tags` wins over both.
  private func selectedByTags(_ step: PlanStep, _ context: PlayContext) -> Bool {
    let tags = step.tags.union(context.plan.play.tags)
    if !tags.isDisjoint(with: options.skipTags) { return false }
    if options.tags.isEmpty || options.tags.contains("all") {
      return !tags.contains("never") || options.tags.contains("never")
    }
    if tags.contains("always") { return true }
    if options.tags.contains("tagged"), !tags.isEmpty { return true }
    if options.tags.contains("untagged"), tags.isEmpty { return true }
    return !tags.isDisjoint(with: options.tags)
  }

  private func runTask(
    _ step: PlanStep, on active: [PlayHost], _ context: PlayContext, kind: TaskKind = .task
  ) {
    let vars = hostVarsSnapshot()
    let layers = TaskVariables(step: step, plan: context.plan)
    let name = taskName(step, layers)
    events.handle(.taskStarted(name: name, kind: kind, location: step.task.location))
    var hosts = active
    let once =
      step.keyword("run_once").map {
        (try? PlayTemplating.condition($0, vars: options.extraVars)) == true
      } ?? false
    if once { hosts = Array(active.prefix(1)) }
    defer {
      // run_once: the one result is every host's, as in Ansible.
      if once, let first = hosts.first,
        let register = step.task.keywords["register"]?.node.scalar?.string,
        let result = first.hostVars[register]
      {
        for host in active where host !== first { host.hostVars[register] = result }
      }
    }
    _ = ParallelHosts.map(hosts, forks: options.forks) { host in
      TaskExecution(
        step: step, host: host, name: name, play: context.plan, layers: layers,
        allHosts: context.allHosts,
        hostvars: vars, options: self.options, events: self.events
      ).run(unreachable: { error in self.markUnreachable(host, error) })
      return true
    }
  }

  private func taskName(_ step: PlanStep, _ layers: TaskVariables) -> String {
    let name = step.displayName
    guard PlayTemplating.hasTemplate(name) else { return name }
    // Task names are templated with what every host shares (host variables differ).
    var vars = layers.belowInventory.merging(layers.aboveInventory) { $1 }
    vars.merge(options.extraVars) { $1 }
    vars = PlayTemplating.resolve(vars, keys: Set(vars.keys))
    return (try? Template(name).render(vars)) ?? name
  }

  /// `hostvars`: each host's inventory variables, facts and registered variables, as at the
  /// start of the task.
  private func hostVarsSnapshot() -> VarValue {
    var map: [String: VarValue] = [:]
    for (name, host) in hosts {
      map[name] = .map(host.inventoryVars.merging(host.facts) { $1 }.merging(host.hostVars) { $1 })
    }
    return .map(map)
  }
}

/// The variables of a task that are the same on every host, in the two layers the host's own
/// (inventory) variables go between: role defaults below them; play vars, vars files, role vars
/// and block/task vars above. Built once per task, not once per host.
struct TaskVariables {
  var role: PlayRole?
  var belowInventory: [String: VarValue]
  var aboveInventory: [String: VarValue]

  init(step: PlanStep, plan: PlaybookRunner.PlayPlan) {
    role = step.role.flatMap { name in plan.roles.first { $0.name == name } }
    belowInventory = role?.defaults ?? [:]
    aboveInventory = plan.playVars
    aboveInventory.merge(plan.varsFiles) { $1 }
    aboveInventory.merge(role?.vars ?? [:]) { $1 }
    aboveInventory.merge(step.blockVars) { $1 }
  }
}
