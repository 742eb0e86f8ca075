import DeployConfig
import DeployInventory
import DeploySupport
import HostShell
import Yams

/// Expands an ECHR-OD build workflow into the flat list of steps `deploy` runs. The files keep
/// ECHR-OD's layout and expansion rules; only `run` differs: ECHR-OD named a Python module that
/// its `build.py` imported, here it is a shell command.
///
/// - `<dir>/<name>.yml`: `steps:`, a list of `{run: NAME, type: action|workflow}` (plus an
///   optional `name` and `description`). A `workflow` step expands that workflow in place.
/// - `<dir>/actions/<name>.yml`: `title`, `description`, `run` (a shell command) and optional
///   `args`: a mapping, appended as `--key value`, or a list, appended as words. ECHR-OD's
///   `updatable` flag is accepted and ignored (it only mattered to ECHR-OD's own runner).
///
/// As in ECHR-OD's loader, an action already in the list is not added again, so workflows can
/// share a prefix of actions. Argument values are shell-quoted, except exactly `$NAME`, which
/// ECHR-OD resolved from the environment: it becomes `"${NAME}"`, expanded by the build's shell
/// from `build.env` and the host's environment.
public enum WorkflowLoader {
  /// Expands workflow `name`. `files` maps paths relative to the checkout (such as
  /// `workflows/database.yml` and `workflows/actions/get.yml`) to their text, as
  /// `WorkflowFiles.parse` returns them; `origin` prefixes those paths in error locations (such
  /// as `host01:/srv/app/repo/`). `location` is where the workflow was named (the project file's
  /// `workflow:`), for errors about the workflow as a whole.
  public static func expand(
    name: String, directory: String, files: [String: String], origin: String,
    location: SourceLocation? = nil
  ) throws(DeployError) -> [BuildStep] {
    let folder = WorkflowFiles.normalized(directory)
    var expander = Expander(files: files, directory: folder, origin: origin)
    let reference = location ?? SourceLocation(file: origin + folder)
    guard let file = expander.find(.workflow, name) else {
      throw .configuration(reference, expander.missing(.workflow, name))
    }
    try expander.expandWorkflow(name, file: file)
    guard !expander.steps.isEmpty else {
      throw .configuration(reference, "workflow '\(name)' has no steps")
    }
    return expander.steps
  }

  enum FileKind: String {
    case workflow
    case action
  }

  private struct Expander {
    let files: [String: String]
    let directory: String
    let origin: String
    var steps: [BuildStep] = []
    /// The workflows being expanded, outermost first, to detect cycles.
    var stack: [String] = []

    static let workflowKeys = ["name", "description", "steps"]
    static let stepKeys = ["run", "type"]
    static let actionKeys = ["title", "description", "run", "args", "updatable"]

    func folder(_ kind: FileKind) -> String {
      kind == .workflow ? directory : directory + "/actions"
    }

    /// The path and text of a workflow or action, `.yml` before `.yaml` as ECHR-OD does.
    func find(_ kind: FileKind, _ name: String) -> (path: String, text: String)? {
      for suffix in [".yml", ".yaml"] {
        let path = folder(kind) + "/" + name + suffix
        if let text = files[path] { return (path, text) }
      }
      return nil
    }

    func available(_ kind: FileKind) -> [String] {
      let prefix = folder(kind) + "/"
      var names = Set<String>()
      for path in files.keys where path.hasPrefix(prefix) {
        let name = path.dropFirst(prefix.count)
        guard !name.contains("/") else { continue }
        for suffix in [".yml", ".yaml"] where name.hasSuffix(suffix) {
          names.insert(String(name.dropLast(suffix.count)))
        }
      }
      return names.sorted()
    }

    func missing(_ kind: FileKind, _ name: String) -> String {
      let names = available(kind)
      let listing =
        names.isEmpty
        ? "there are no \(kind.rawValue)s in \(folder(kind))/"
          + (kind == .workflow ? " (check workflows_dir and that the ref has them)" : "")
        : "available \(kind.rawValue)s: " + names.joined(separator: ", ")
      return "\(kind.rawValue) '\(name)' does not exist: no \(folder(kind))/\(name).yml"
        + " in the checkout; \(listing)"
    }

    mutating func expandWorkflow(
      _ name: String, file: (path: String, text: String)
    ) throws(DeployError) {
      let reader = YAMLSchemaReader(file: origin + file.path)
      guard let root = try YAMLDocument.compose(file.text, file: reader.file) else {
        throw .configuration(
          SourceLocation(file: reader.file, line: 1, column: 1),
          "workflow '\(name)' is empty; expected 'steps:'")
      }
      let fields = try reader.fields(
        root, of: "workflow '\(name)'", allowed: Self.workflowKeys)
      guard let stepsNode = fields["steps"] else {
        throw .configuration(
          reader.location(root), "workflow '\(name)' is missing required key 'steps'")
      }
      guard let items = stepsNode.sequence else {
        throw reader.mismatch(stepsNode, expected: "a list of steps for 'steps'")
      }
      stack.append(name)
      defer { stack.removeLast() }
      for (index, item) in items.enumerated() {
        let owner = "step \(index + 1) of workflow '\(name)'"
        let step = try reader.fields(item, of: owner, allowed: Self.stepKeys)
        guard let runNode = step["run"], let typeNode = step["type"] else {
          let key = step["run"] == nil ? "run" : "type"
          throw .configuration(
            reader.location(item),
            "\(owner) is missing required key '\(key)'"
              + " (steps are {run: NAME, type: action} or {run: NAME, type: workflow})")
        }
        let target = try reader.string(runNode, expected: "an action or workflow name for 'run'")
        let type = try reader.string(typeNode, expected: "'action' or 'workflow' for 'type'")
        switch type {
        case "action":
          guard let actionFile = find(.action, target) else {
            throw .configuration(reader.location(runNode), missing(.action, target))
          }
          if steps.contains(where: { $0.name == target }) { continue }
          steps.append(try action(target, file: actionFile))
        case "workflow":
          if let start = stack.firstIndex(of: target) {
            let chain = (stack[start...] + [target]).joined(separator: " -> ")
            throw .configuration(
              reader.location(runNode), "workflow cycle: \(chain); a workflow cannot include itself"
            )
          }
          guard let workflowFile = find(.workflow, target) else {
            throw .configuration(reader.location(runNode), missing(.workflow, target))
          }
          try expandWorkflow(target, file: workflowFile)
        default:
          throw .configuration(
            reader.location(typeNode),
            "unknown step type '\(type)' in \(owner); expected 'action' or 'workflow'")
        }
      }
    }

    func action(_ name: String, file: (path: String, text: String)) throws(DeployError) -> BuildStep
    {
      let reader = YAMLSchemaReader(file: origin + file.path)
      guard let root = try YAMLDocument.compose(file.text, file: reader.file) else {
        throw .configuration(
          SourceLocation(file: reader.file, line: 1, column: 1),
          "action '\(name)' is empty; expected at least 'run:' (the command to run)")
      }
      let fields = try reader.fields(root, of: "action '\(name)'", allowed: Self.actionKeys)
      guard let runNode = fields["run"] else {
        throw .configuration(
          reader.location(root),
          "action '\(name)' is missing required key 'run' (the command to run)")
      }
      let run = try reader.string(runNode, expected: "a shell command for 'run'")
      guard !run.allSatisfy(\.isWhitespace) else {
        throw reader.mismatch(runNode, expected: "a shell command for 'run'")
      }
      // `run` is the action author's shell; its arguments are values, one word each.
      var words = [ShellScript(authored: run)]
      if let args = fields["args"], !args.isNull {
        words += try arguments(args, reader: reader)
      }
      var title: String?
      if let titleNode = fields["title"] {
        title = try reader.string(titleNode, expected: "a title (text) for 'title'")
      }
      return BuildStep(
        name: name, command: words.joined(separator: " "), title: title,
        location: reader.location(runNode))
    }

    /// `args` as shell words: a mapping gives `--key value` pairs, a list gives one word each.
    func arguments(_ node: Node, reader: YAMLSchemaReader) throws(DeployError) -> [ShellScript] {
      let expected = "a value (text or a number) for the argument"
      if let list = node.sequence {
        var words: [ShellScript] = []
        for item in list { words.append(Self.word(try reader.string(item, expected: expected))) }
        return words
      }
      let fields = try reader.entries(
        node, expected: "'args' to be a mapping (--key value) or a list of words")
      var words: [ShellScript] = []
      for entry in fields.entries {
        guard Self.isOptionName(entry.key) else {
          throw .configuration(
            reader.location(entry.keyNode),
            "invalid argument name '\(entry.key)': use letters, digits, '_', '.' and '-',"
              + " starting with a letter, digit or '_'")
        }
        let value = try reader.string(entry.value, expected: "\(expected) '\(entry.key)'")
        words += ["\("--" + entry.key)", Self.word(value)]
      }
      return words
    }

    /// One argument as a shell word: `$NAME` is left for the build's shell to expand (quoted,
    /// so a value with spaces stays one word); anything else is quoted to mean itself.
    static func word(_ value: String) -> ShellScript {
      if value.hasPrefix("$"), let name = ShellVariableName(String(value.dropFirst())) {
        return "\"${\(name)}\""
      }
      return "\(value)"
    }

    static func isOptionName(_ name: String) -> Bool {
      guard let first = name.unicodeScalars.first,
        ProjectFileParser.isAlphanumeric(first) || first == "_"
      else { return false }
      return name.unicodeScalars.allSatisfy {
        ProjectFileParser.isAlphanumeric($0) || "_.-".unicodeScalars.contains($0)
      }
    }
  }
}
