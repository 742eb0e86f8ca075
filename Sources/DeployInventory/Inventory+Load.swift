import DeploySupport
import Foundation

extension Inventory {
  /// Reads an inventory file and the `group_vars/` and `host_vars/` directories beside it.
  /// `.yml`, `.yaml` and `.json` files are YAML, `.ini` files INI; other names are judged by
  /// their content (see `detectFormat(of:)`).
  ///
  /// `playbookDirectory`: `deploy play` also reads `group_vars/` and `host_vars/` beside the
  /// playbook, as Ansible does; a group's (a host's) variables there win over the same group's
  /// (host's) beside the inventory.
  public static func load(path: String, playbookDirectory: String? = nil) throws(DeployError)
    -> Inventory
  {
    if InventoryTextFile.isDirectory(path) {
      throw .unreadableFile(
        path: path,
        reason:
          "it is a directory; pass the inventory file in it (inventory directories are not supported)"
      )
    }
    let text = try InventoryTextFile.read(path)
    let format = format(forPath: path) ?? detectFormat(of: text)
    var builder = InventoryBuilder()
    try parse(text: text, file: path, format: format, into: &builder)
    let directory = (path as NSString).deletingLastPathComponent
    var directories = [directory]
    if let playbookDirectory,
      URL(fileURLWithPath: playbookDirectory).standardizedFileURL
        != URL(fileURLWithPath: directory.isEmpty ? "." : directory).standardizedFileURL
    {
      directories.append(playbookDirectory)
    }
    var groupVars: [String: [String: VarValue]] = [:]
    var hostVars: [String: [String: VarValue]] = [:]
    for folder in directories {
      let groups = try InventoryVarsFiles.load(
        in: folder, subdirectory: "group_vars", names: builder.groupNames)
      for (name, vars) in groups { groupVars[name, default: [:]].merge(vars) { $1 } }
      let hosts = try InventoryVarsFiles.load(
        in: folder, subdirectory: "host_vars", names: builder.hostNames)
      for (name, vars) in hosts { hostVars[name, default: [:]].merge(vars) { $1 } }
    }
    return builder.build(groupVarFiles: groupVars, hostVarFiles: hostVars)
  }

  /// The format a file's extension promises, if it promises one.
  public static func format(forPath path: String) -> Format? {
    switch (path as NSString).pathExtension.lowercased() {
    case "yml", "yaml", "json": return .yaml
    case "ini": return .ini
    default: return nil
    }
  }

  /// For files such as `hosts` with no telling extension: YAML if the first line that is not
  /// blank or a comment is `---`, starts a flow mapping, or is a `key:` mapping entry (`all:`);
  /// INI otherwise. An INI line never ends in `:` (a port needs digits) and never has `: `.
  public static func detectFormat(of text: String) -> Format {
    for line in text.split(whereSeparator: \.isNewline) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
      if trimmed == "---" || trimmed.hasPrefix("{") { return .yaml }
      if trimmed.hasPrefix("[") { return .ini }
      let content = trimmed.split(separator: " #", maxSplits: 1)[0]
        .trimmingCharacters(in: .whitespaces)
      return content.hasSuffix(":") || content.contains(": ") ? .yaml : .ini
    }
    return .ini
  }
}
