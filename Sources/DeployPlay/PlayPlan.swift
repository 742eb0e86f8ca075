import DeployConfig
import DeployInventory
import DeploySupport
import DeployTemplating
import Foundation
import Yams

/// A role as `roles:` names it, read from `roles/<name>/` beside the playbook.
struct PlayRole: Sendable {
  var name: String
  var folder: String
  var defaults: [String: VarValue]
  var vars: [String: VarValue]
  /// `vars:` given with the role in `roles:` (Ansible's role parameters): above registered
  /// and `set_fact` variables, below `-e`.
  var parameters: [String: VarValue]
  var tasks: [PlanStep]
  var handlers: [PlanStep]
}

/// A task ready to run: includes read, roles attached, and the blocks and includes around it
/// remembered, because their keywords (`when`, `tags`, `become`, `vars`, …) apply to it.
struct PlanStep: Sendable {
  enum Kind: Sendable {
    case module(name: String, args: PlaybookValue?, freeForm: String?)
    case block(body: [PlanStep], rescue: [PlanStep], always: [PlanStep])
    /// `import_tasks`/`include_tasks`: the included file's steps.
    case include([PlanStep])
  }

  var task: PlaybookTask
  var kind: Kind
  /// Enclosing blocks and includes, outermost first.
  var parents: [PlaybookTask]
  var role: String?
  /// Where `copy`/`template` look for `src:` files: the role's folder, then the playbook's.
  var searchFolders: [String]

  var displayName: String {
    let base =
      task.name
      ?? {
        switch kind {
        // Ansible names an unnamed task after its module.
        case .module(let name, _, _): return name
        case .block: return "block"
        case .include: return "include"
        }
      }()
    return role.map { "\($0) : \(base)" } ?? base
  }

  /// A keyword from the task itself or, failing that, the nearest enclosing block or include.
  func keyword(_ name: String) -> PlaybookValue? {
    if let value = task.keywords[name] { return value }
    for parent in parents.reversed() {
      if let value = parent.keywords[name] { return value }
    }
    return nil
  }

  /// `when:` of the task and of every enclosing block and include: all must hold.
  var conditions: [PlaybookValue] {
    (parents + [task]).compactMap { $0.keywords["when"] }
  }

  /// `vars:` of the enclosing blocks and the task, merged (inner ones win); read once, when the
  /// playbook is planned.
  var blockVars: [String: VarValue]

  var tags: Set<String> {
    Set((parents + [task]).flatMap(\.tags))
  }
}

/// Reads a play's task lists into `PlanStep`s: includes and roles are read here, before any
/// host is contacted, and every template and condition is parsed, so that a typo anywhere stops
/// the run with its location instead of half-way through a host.
struct PlayPlanner {
  let playbookFolder: String

  func steps(
    _ tasks: [PlaybookTask], parents: [PlaybookTask] = [], role: String? = nil,
    searchFolders: [String], depth: Int = 0
  ) throws(DeployError) -> [PlanStep] {
    var planned: [PlanStep] = []
    for task in tasks {
      try validateKeywords(task)
      let kind: PlanStep.Kind
      switch task.action {
      case .module(let name, let args, let freeForm):
        if let args { try PlayTemplating.validate(args) }
        if let freeForm, !PlaybookParser.freeFormModules.contains(name) {
          for (_, value) in try KeyValueArguments.parse(freeForm, at: task.location)
          where PlayTemplating.hasTemplate(value) {
            _ = try Template(value, location: task.location)
          }
        } else if let freeForm, PlayTemplating.hasTemplate(freeForm) {
          _ = try Template(freeForm, location: task.location)
        }
        guard let module = ModuleRegistry.module(named: name) else {
          throw .configuration(
            task.location, "module '\(name)' is not implemented yet by deploy play")
        }
        try checkArgumentNames(module, task: task, args: args, freeForm: freeForm)
        kind = .module(name: name, args: args, freeForm: freeForm)
      case .block(let body, let rescue, let always):
        let inner = parents + [task]
        kind = .block(
          body: try steps(body, parents: inner, role: role, searchFolders: searchFolders),
          rescue: try steps(rescue, parents: inner, role: role, searchFolders: searchFolders),
          always: try steps(always, parents: inner, role: role, searchFolders: searchFolders))
      case .include(let file, _):
        guard !PlayTemplating.hasTemplate(file) else {
          throw .configuration(
            task.location,
            "unsupported: a templated file name in an include ('\(file)'); name the file")
        }
        guard depth < 20 else {
          throw .configuration(task.location, "includes nest more than 20 deep (a cycle?)")
        }
        let folder = (task.location.file as NSString).deletingLastPathComponent
        let base = folder.isEmpty ? "." : folder
        let path = file.hasPrefix("/") ? file : base + "/" + file
        let included = try PlaybookTaskFile.load(path: path, from: task.location)
        kind = .include(
          try steps(
            included, parents: parents + [task], role: role, searchFolders: searchFolders,
            depth: depth + 1))
      }
      var blockVars: [String: VarValue] = [:]
      for value in (parents + [task]).compactMap({ $0.keywords["vars"] }) {
        guard case .map(let map) = try YAMLDocument.varValue(value.node, file: value.location.file)
        else {
          throw .configuration(value.location, "'vars' must be a mapping")
        }
        blockVars.merge(map) { $1 }
      }
      planned.append(
        PlanStep(
          task: task, kind: kind, parents: parents, role: role, searchFolders: searchFolders,
          blockVars: blockVars))
    }
    return planned
  }

  /// A misspelt argument (`dst:` for `dest:`) stops the run here, before any host, instead of
  /// failing the task on every host once earlier tasks have run.
  private func checkArgumentNames(
    _ module: any PlayModule.Type, task: PlaybookTask, args: PlaybookValue?, freeForm: String?
  ) throws(DeployError) {
    guard let known = module.arguments else { return }
    var given: [(name: String, location: SourceLocation)] = []
    for value in [task.keywords["args"], args].compactMap({ $0 }) {
      guard let mapping = value.node.mapping else { continue }
      for (key, _) in mapping {
        guard let name = key.scalar?.string, !PlayTemplating.hasTemplate(name) else { continue }
        given.append((name, YAMLDocument.location(of: key, file: value.location.file)))
      }
    }
    if let freeForm, !PlaybookParser.freeFormModules.contains(module.name) {
      for (name, _) in try KeyValueArguments.parse(freeForm, at: task.location) {
        given.append((name, task.location))
      }
    }
    for (name, location) in given where !known.contains(name) {
      var message = "unsupported parameter '\(name)' for module \(module.name)"
      if let guess = YAMLSchemaReader.closest(to: name, in: Array(known)) {
        message += " (did you mean '\(guess)'?)"
      }
      message += "; it takes: " + known.sorted().joined(separator: ", ")
      throw .configuration(location, message)
    }
  }

  /// Checks the keywords whose values are templates or conditions.
  private func validateKeywords(_ task: PlaybookTask) throws(DeployError) {
    for key in ["when", "changed_when", "failed_when"] {
      if let value = task.keywords[key] { try PlayTemplating.validate(value, asCondition: true) }
    }
    for key in ["loop", "with_items", "vars", "environment", "notify", "name"] {
      if let value = task.keywords[key] { try PlayTemplating.validate(value) }
    }
    if let delegate = task.keywords["delegate_to"] {
      let target = delegate.node.scalar?.string ?? ""
      guard ["localhost", "127.0.0.1"].contains(target) else {
        throw .configuration(
          delegate.location,
          "unsupported: delegate_to '\(target)'; deploy play delegates to localhost only")
      }
    }
  }

  func role(_ reference: Playbook.RoleReference) throws(DeployError) -> PlayRole {
    let name = reference.name
    let location = reference.location
    // The role entry's keywords (`tags`, `when`, `vars`, …) reach its tasks the way a block's
    // reach the block's tasks: as an enclosing parent.
    let entry = PlaybookTask(
      name: "role \(name)", action: .include(file: name, imported: true),
      keywords: reference.keywords, location: location)
    for (key, value) in reference.keywords {
      try PlayTemplating.validate(value, asCondition: key == "when")
    }
    let folder = playbookFolder + "/roles/" + name
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw .configuration(location, "role '\(name)' not found: no folder \(folder)")
    }
    func file(_ sub: String) -> String? {
      for ext in ["yml", "yaml"] {
        let path = "\(folder)/\(sub)/main.\(ext)"
        if FileManager.default.fileExists(atPath: path) { return path }
      }
      return nil
    }
    let search = [folder, playbookFolder]
    let tasks = try file("tasks").map { path throws(DeployError) in
      try steps(
        try PlaybookTaskFile.load(path: path, from: location), parents: [entry], role: name,
        searchFolders: search)
    }
    let handlers = try file("handlers").map { path throws(DeployError) in
      try steps(
        try PlaybookTaskFile.load(path: path, from: location), role: name, searchFolders: search)
    }
    var parameters: [String: VarValue] = [:]
    if let value = reference.keywords["vars"] {
      guard case .map(let map) = try YAMLDocument.varValue(value.node, file: value.location.file)
      else {
        throw .configuration(value.location, "a role's 'vars' must be a mapping")
      }
      parameters = map
    }
    return PlayRole(
      name: name, folder: folder,
      defaults: try file("defaults").map(PlaybookVarsFile.load) ?? [:],
      vars: try file("vars").map(PlaybookVarsFile.load) ?? [:], parameters: parameters,
      tasks: tasks ?? [], handlers: handlers ?? [])
  }
}

/// A task file (`import_tasks`, a role's `tasks/main.yml`): a list of tasks.
enum PlaybookTaskFile {
  static func load(path: String, from location: SourceLocation) throws(DeployError)
    -> [PlaybookTask]
  {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .configuration(location, "cannot read task file \(path): \(error.localizedDescription)")
    }
    guard let root = try YAMLDocument.compose(text, file: path), !root.isNull else { return [] }
    return try PlaybookParser(file: path).tasks(root, of: "the task file")
  }
}

/// A variables file (`vars_files`, a role's `defaults/main.yml`): a mapping of variables.
enum PlaybookVarsFile {
  static func load(path: String) throws(DeployError) -> [String: VarValue] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .unreadableFile(path: path, reason: error.localizedDescription)
    }
    guard let root = try YAMLDocument.compose(text, file: path), !root.isNull else { return [:] }
    guard case .map(let vars) = try YAMLDocument.varValue(root, file: path) else {
      throw .configuration(
        YAMLDocument.location(of: root, file: path), "expected variables (a mapping)")
    }
    return vars
  }
}
