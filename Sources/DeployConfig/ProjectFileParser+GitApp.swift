import DeployInventory
import DeploySupport
import Foundation
import HostScripts
import HostShell
import Yams

/// The `kind: git` part of the project file: repository, folders on the host and the build.
extension ProjectFileParser {
  static let gitAppKeys = [
    "kind", "repository", "ref", "path", "checkout", "build_folder", "build_name", "stages",
    "build", "activate", "health", "keep",
  ]
  static let buildKeys = ["steps", "workflow", "workflows_dir", "timeout", "env"]
  static let stepKeys = ["name", "run"]
  /// Longest step name: names label progress lines and run records.
  static let maximumStepNameLength = 80

  func gitApp(
    name: String, fields: YAMLSchemaReader.Fields, location: SourceLocation
  ) throws(DeployError) -> GitAppConfig {
    func required(_ key: String, _ meaning: String) throws(DeployError) -> Node {
      guard let node = fields[key] else {
        throw .configuration(
          location, "app '\(name)' is missing required key '\(key)' (\(meaning))")
      }
      return node
    }

    let repositoryNode = try required("repository", "the git URL or path the hosts clone")
    let repository = try reader.string(
      repositoryNode, expected: "a git URL or path for 'repository'")
    if repository.isEmpty || repository.hasPrefix("-")
      || repository.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
    {
      throw .configuration(
        reader.location(repositoryNode),
        "invalid repository '\(repository)': expected a git URL or path"
          + " (not empty, not starting with '-', on one line)")
    }

    var ref = "main"
    if let node = fields["ref"] {
      ref = try reader.string(node, expected: "a branch, tag or commit for 'ref'")
      do {
        try GitCommands.validateRef(ref)
      } catch {
        guard case .unsafeValue(_, _, let reason) = error else { throw error }
        throw .configuration(reader.location(node), "invalid git ref '\(ref)': \(reason)")
      }
    }

    let path = try pathTemplate(
      try required("path", "the app's folder on the host, e.g. /srv/\(name)"), key: "path")
    var app = GitAppConfig(repository: repository, ref: ref, path: path, build: .steps([]))
    if let node = fields["checkout"] { app.checkout = try pathTemplate(node, key: "checkout") }
    if let node = fields["build_folder"] {
      app.buildFolder = try pathTemplate(node, key: "build_folder")
    }

    if let node = fields["build_name"] {
      let buildName = try reader.string(node, expected: "a folder name for 'build_name'")
      guard Self.isFolderName(buildName) else {
        throw reader.mismatch(node, expected: "a folder name (no '/') for 'build_name'")
      }
      app.buildName = buildName
    }

    let buildNode = try required(
      "build", "what to run on the host: 'steps' or an ECHR-OD 'workflow'")
    try readBuild(buildNode, app: name, into: &app)
    try readActivation(fields, app: name, into: &app)
    return app
  }

  private func pathTemplate(_ node: Node, key: String) throws(DeployError) -> PathTemplate {
    let text = try reader.string(node, expected: "an absolute path on the host for '\(key)'")
    let template = PathTemplate(text, location: reader.location(node))
    try template.check()
    return template
  }

  private func readBuild(
    _ node: Node, app name: String, into app: inout GitAppConfig
  ) throws(DeployError) {
    let fields = try reader.fields(node, of: "the build of app '\(name)'", allowed: Self.buildKeys)
    switch (fields["steps"], fields["workflow"]) {
    case (let stepsNode?, nil):
      if let key = fields.keyNode("workflows_dir") {
        throw .configuration(
          reader.location(key), "'workflows_dir' only applies with 'workflow', not with 'steps'")
      }
      app.build = .steps(try steps(stepsNode, app: name))
    case (nil, let workflow?):
      app.build = try workflowSpec(workflow, directory: fields["workflows_dir"])
    case (.some, .some):
      let second = fields.entries.last { $0.key == "steps" || $0.key == "workflow" }!.keyNode
      throw .configuration(
        reader.location(second),
        "the build of app '\(name)' has both 'steps' and 'workflow'; keep one")
    case (nil, nil):
      throw .configuration(
        reader.location(node),
        "the build of app '\(name)' needs 'steps' (commands to run)"
          + " or 'workflow' (an ECHR-OD workflow in the repository)")
    }
    if let timeout = fields["timeout"] {
      app.buildTimeout = try reader.duration(timeout, expected: "'timeout'")
    }
    if let env = fields["env"] {
      app.environment = try environment(env)
    }
  }

  private func workflowSpec(_ node: Node, directory: Node?) throws(DeployError) -> BuildSpec {
    let expected = "a workflow name (its file name in the workflows folder, without .yml)"
    let name = try reader.string(node, expected: expected)
    guard Self.isWorkflowName(name) else { throw reader.mismatch(node, expected: expected) }
    var folder = "workflows"
    if let directory {
      let expected = "a folder relative to the checkout for 'workflows_dir'"
      folder = BuildSpec.normalizedWorkflowDirectory(
        try reader.string(directory, expected: expected))
      let components = folder.split(separator: "/")
      guard !folder.isEmpty, !folder.hasPrefix("/"), !components.contains(".."),
        !folder.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
      else { throw reader.mismatch(directory, expected: expected + " (no '..')") }
    }
    return .workflow(name: name, directory: folder, location: reader.location(node))
  }

  private func steps(_ node: Node, app: String) throws(DeployError) -> [BuildStep] {
    guard let sequence = node.sequence else {
      throw reader.mismatch(node, expected: "a list of steps for 'steps'")
    }
    guard !sequence.isEmpty else {
      throw .configuration(reader.location(node), "expected at least one step for app '\(app)'")
    }
    var steps: [BuildStep] = []
    for (index, item) in sequence.enumerated() {
      let owner = "step \(index + 1) of app '\(app)'"
      var explicitName: (text: String, node: Node)?
      let commandNode: Node
      if item.mapping != nil {
        let fields = try reader.fields(item, of: owner, allowed: Self.stepKeys)
        guard let run = fields["run"] else {
          throw .configuration(
            reader.location(item), "\(owner) is missing required key 'run' (the command to run)")
        }
        commandNode = run
        if let nameNode = fields["name"] {
          explicitName = (try reader.string(nameNode, expected: "a step name"), nameNode)
        }
      } else if item.scalar != nil, !item.isNull {
        commandNode = item
      } else {
        throw reader.mismatch(item, expected: "a command, or a mapping with 'name' and 'run'")
      }
      let command = try reader.string(commandNode, expected: "a shell command for 'run'")
      guard !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw reader.mismatch(commandNode, expected: "a shell command")
      }

      let name: String
      if let (text, nameNode) = explicitName {
        name = try stepName(text, node: nameNode, taken: steps)
      } else {
        name = Self.uniqueName(Self.derivedStepName(command), taken: steps.map(\.name))
      }
      steps.append(
        BuildStep(
          name: name, command: ShellScript(authored: command),
          location: reader.location(commandNode)))
    }
    return steps
  }

  private func stepName(
    _ text: String, node: Node, taken: [BuildStep]
  ) throws(DeployError) -> String {
    let name = text.trimmingCharacters(in: .whitespaces)
    guard !name.isEmpty, name.count <= Self.maximumStepNameLength,
      !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    else {
      throw reader.mismatch(
        node,
        expected: "a step name: printable text on one line, without tabs,"
          + " at most \(Self.maximumStepNameLength) characters")
    }
    if let index = taken.firstIndex(where: { $0.name == name }) {
      throw .configuration(
        reader.location(node),
        "step name '\(name)' is already used by step \(index + 1); step names must be unique"
          + " (a failed build is resumed from a step by its name)")
    }
    return name
  }

  /// A name for a step written as a bare command: its first words, up to the length limit.
  static func derivedStepName(_ command: String) -> String {
    let firstLine = command.split(whereSeparator: \.isNewline).first {
      !$0.allSatisfy(\.isWhitespace)
    }
    let printable = String(
      (firstLine ?? "").unicodeScalars.map {
        $0.properties.generalCategory == .control ? " " : Character($0)
      })
    var name = ""
    for word in printable.split(whereSeparator: \.isWhitespace) {
      let candidate = name.isEmpty ? String(word) : name + " " + word
      if candidate.count > maximumStepNameLength { break }
      name = candidate
    }
    if name.isEmpty {
      name = String(printable.trimmingCharacters(in: .whitespaces).prefix(maximumStepNameLength))
    }
    return name
  }

  /// `name`, or `name (2)`, `name (3)`… when a step already has it: `make` may run twice.
  static func uniqueName(_ name: String, taken: [String]) -> String {
    guard taken.contains(name) else { return name }
    var number = 2
    while true {
      let suffix = " (\(number))"
      let candidate = String(name.prefix(maximumStepNameLength - suffix.count)) + suffix
      if !taken.contains(candidate) { return candidate }
      number += 1
    }
  }

  private func environment(_ node: Node) throws(DeployError) -> BuildEnvironment {
    var environment = BuildEnvironment()
    let fields = try reader.entries(
      node, expected: "'env' to be a mapping of variable names to values")
    for entry in fields.entries {
      guard BuildEnvironment.isValidName(entry.key) else {
        throw .configuration(
          reader.location(entry.keyNode),
          "invalid environment variable name '\(entry.key)': use letters, digits and '_',"
            + " not starting with a digit")
      }
      let value = try reader.string(
        entry.value,
        expected: "a value (a string or a number; \"\" for empty) for \(entry.key)")
      environment.variables.append(.init(name: entry.key, value: value))
    }
    return environment
  }

  static func isWorkflowName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, isAlphanumeric(first) || first == "_" else {
      return false
    }
    return name.unicodeScalars.allSatisfy {
      isAlphanumeric($0) || ".-_".unicodeScalars.contains($0)
    }
  }

  static func isFolderName(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && !name.contains("/")
      && !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
  }
}
