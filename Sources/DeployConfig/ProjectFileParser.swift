import DeployInventory
import DeploySupport
import Foundation
import Yams

/// Reads `deploy.yml` into a `ProjectFile`, checking everything that can be checked without the
/// inventory or the hosts, so that a typo fails in a second on a laptop rather than an hour into
/// a build. The schema is documented by `deploy.example.yml`.
package struct ProjectFileParser {
  let reader: YAMLSchemaReader
  /// The file's absolute path and folder.
  let path: String
  let directory: String

  static let topLevelKeys = ["inventory", "stages", "ssh", "ledger", "apps"]
  static let sshKeys = [
    "user", "host_key_checking", "transport", "connect_timeout", "config", "known_hosts", "forks",
  ]

  init(file: String) {
    reader = YAMLSchemaReader(file: file)
    let currentDirectory = URL(
      fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    path = URL(fileURLWithPath: file, relativeTo: currentDirectory).standardizedFileURL.path
    directory = (path as NSString).deletingLastPathComponent
  }

  func parse(_ text: String) throws(DeployError) -> ProjectFile {
    guard let root = try YAMLDocument.compose(text, file: reader.file) else {
      throw .configuration(
        SourceLocation(file: reader.file, line: 1, column: 1),
        "the project file is empty; expected at least 'stages:' and 'apps:'"
          + " (deploy.example.yml in deploy's repository shows every key)")
    }
    let fields = try reader.fields(root, of: "the project file", allowed: Self.topLevelKeys)

    guard let stagesNode = fields["stages"] else {
      throw .configuration(
        reader.location(root),
        "the project file is missing required key 'stages'"
          + " (the inventory groups to deploy to, in promotion order, e.g. [test, prod])")
    }
    let (stages, stageLocations) = try stageList(stagesNode, of: "the project", within: nil)

    var project = ProjectFile(
      path: path, directory: directory, inventoryPath: nil, stages: stages, ssh: .init(),
      ledgerPath: nil, apps: [], stageLocations: stageLocations)
    if let node = fields["inventory"] {
      project.inventoryPath = try localPath(node, expected: "an inventory file for 'inventory'")
    }
    if let node = fields["ssh"] { project.ssh = try sshSettings(node) }
    if let node = fields["ledger"] {
      project.ledgerPath = try localPath(node, expected: "a file path for 'ledger'")
    }
    if let node = fields["apps"], !node.isNull {
      let apps = try reader.entries(
        node, expected: "'apps' to be a mapping of app names to their settings")
      for entry in apps.entries {
        project.apps.append(try app(entry, stages: stages))
      }
    }
    return project
  }

  // MARK: Sections

  private func sshSettings(_ node: Node) throws(DeployError) -> ProjectSSHSettings {
    var settings = ProjectSSHSettings()
    if node.isNull { return settings }
    let fields = try reader.fields(node, of: "'ssh'", allowed: Self.sshKeys)
    if let value = fields["user"] {
      settings.user = try reader.string(value, expected: "a user name for 'user'")
    }
    if let value = fields["host_key_checking"] {
      settings.hostKeyChecking = try choice(value, key: "host_key_checking")
    }
    if let value = fields["transport"] {
      settings.transport = try choice(value, key: "transport")
    }
    if let value = fields["connect_timeout"] {
      settings.connectTimeout = try reader.duration(value, expected: "'connect_timeout'")
    }
    if let value = fields["config"] {
      settings.configFile = try localPath(value, expected: "an ssh_config file for 'config'")
    }
    if let value = fields["known_hosts"] {
      let expected = "a known_hosts file or a list of them for 'known_hosts'"
      for item in try reader.strings(value, expected: expected, single: true) {
        settings.knownHostsFiles.append(try localPath(item.node, expected: expected))
      }
    }
    if let value = fields["forks"] {
      settings.forks = try reader.integer(
        value, expected: "a number of hosts (1 or more) for 'forks'", minimum: 1)
    }
    return settings
  }

  private func choice<Choice: RawRepresentable & CaseIterable>(
    _ node: Node, key: String
  ) throws(DeployError) -> Choice where Choice.RawValue == String {
    let names = Choice.allCases.map(\.rawValue)
    let expected = "one of \(names.joined(separator: ", ")) for '\(key)'"
    guard let value = Choice(rawValue: try reader.string(node, expected: expected)) else {
      throw reader.mismatch(node, expected: expected)
    }
    return value
  }

  private static let appKinds = ["git", "apt"]

  private func app(
    _ entry: YAMLSchemaReader.Fields.Entry, stages: [String]
  ) throws(DeployError) -> AppConfig {
    let name = entry.key
    let location = reader.location(entry.keyNode)
    guard Self.isAppName(name) else {
      throw .configuration(
        location,
        "invalid app name '\(name)': use letters, digits, '.', '_' and '-',"
          + " starting with a letter or digit")
    }
    let body = try reader.entries(entry.value, expected: "app '\(name)' to be a mapping")
    guard let kindNode = body["kind"] else {
      throw .configuration(
        location, "app '\(name)' is missing required key 'kind' (expected 'git' or 'apt')")
    }
    let kind = try reader.string(kindNode, expected: "an app kind ('git' or 'apt') for 'kind'")
    switch kind {
    case "git":
      let fields = try reader.fields(
        entry.value, of: "app '\(name)'", allowed: ProjectFileParser.gitAppKeys)
      var app = AppConfig(
        name: name, location: location,
        kind: .git(try gitApp(name: name, fields: fields, location: location)))
      if let node = fields["stages"] {
        (app.stages, app.stageLocations) = try stageList(node, of: "app '\(name)'", within: stages)
      }
      return app
    case "apt":
      let fields = try reader.fields(
        entry.value, of: "app '\(name)'", allowed: ProjectFileParser.aptAppKeys)
      var app = AppConfig(
        name: name, location: location, kind: .apt(try aptApp(name: name, fields: fields)))
      if let node = fields["stages"] {
        (app.stages, app.stageLocations) = try stageList(node, of: "app '\(name)'", within: stages)
      }
      return app
    default:
      throw .configuration(
        reader.location(kindNode),
        "unknown kind '\(kind)' for app '\(name)'; expected one of: "
          + Self.appKinds.joined(separator: ", "))
    }
  }

  /// Stage names: a non-empty list without repeats. With `within`, each must be one of those.
  private func stageList(
    _ node: Node, of owner: String, within allowed: [String]?
  ) throws(DeployError) -> ([String], [String: SourceLocation]) {
    let items = try reader.strings(node, expected: "a list of stage names")
    guard !items.isEmpty else {
      throw .configuration(reader.location(node), "expected at least one stage for \(owner)")
    }
    var names: [String] = []
    var locations: [String: SourceLocation] = [:]
    for (name, item) in items {
      let location = reader.location(item)
      guard !name.isEmpty else { throw reader.mismatch(item, expected: "a stage name") }
      if let first = locations[name] {
        throw .configuration(
          location,
          "stage '\(name)' is listed twice for \(owner) (first at line \(first.line ?? 0))")
      }
      if let allowed, !allowed.contains(name) {
        throw .configuration(
          location,
          "stage '\(name)' of \(owner) is not one of the project's stages: "
            + allowed.joined(separator: ", "))
      }
      names.append(name)
      locations[name] = location
    }
    return (names, locations)
  }

  // MARK: Values

  /// A file on this machine: `~/` is expanded and relative paths resolve against the project
  /// file's folder, so the project behaves the same whatever the current directory.
  func localPath(_ node: Node, expected: String) throws(DeployError) -> String {
    let text = try reader.string(node, expected: expected)
    guard !text.isEmpty else { throw reader.mismatch(node, expected: expected) }
    var expanded = text
    if text == "~" || text.hasPrefix("~/") {
      expanded = NSHomeDirectory() + text.dropFirst()
    } else if text.hasPrefix("~") {
      throw .configuration(
        reader.location(node),
        "'\(text)': only '~/' (your own home) is expanded; write the full path")
    }
    let base = URL(fileURLWithPath: directory, isDirectory: true)
    return URL(fileURLWithPath: expanded, relativeTo: base).standardizedFileURL.path
  }

  static func isAppName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, isAlphanumeric(first) else { return false }
    return name.unicodeScalars.allSatisfy {
      isAlphanumeric($0) || ".-_".unicodeScalars.contains($0)
    }
  }

  package static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
  }
}
