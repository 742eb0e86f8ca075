import DeploySupport
import Foundation

/// `group_vars/` and `host_vars/` beside an inventory, found the way Ansible's `host_group_vars`
/// plugin finds them: for a name, the first of `<name>`, `<name>.yml`, `<name>.yaml`,
/// `<name>.json` that exists; if that is a directory, every file in it (recursively, sorted,
/// skipping hidden files, `~` backups and other extensions), later files overriding earlier ones.
enum InventoryVarsFiles {
  private static let extensions = ["", ".yml", ".yaml", ".json"]

  /// Variables per name, for the names that have files. Files for names that are not in the
  /// inventory are ignored, as in Ansible.
  static func load(
    in directory: String, subdirectory: String, names: [String]
  ) throws(DeployError) -> [String: [String: VarValue]] {
    let base = directory.isEmpty ? subdirectory : directory + "/" + subdirectory
    guard isDirectory(base) else { return [:] }
    var result: [String: [String: VarValue]] = [:]
    // A name with a slash would reach outside the directory.
    for name in names where !name.isEmpty && !name.contains("/") {
      var vars: [String: VarValue] = [:]
      for file in files(for: name, in: base) {
        for entry in try entries(of: file) { vars[entry.key] = entry.value }
      }
      if !vars.isEmpty { result[name] = vars }
    }
    return result
  }

  private static func files(for name: String, in base: String) -> [String] {
    for suffix in extensions {
      let path = base + "/" + name + suffix
      guard FileManager.default.fileExists(atPath: path) else { continue }
      return isDirectory(path) ? filesBelow(path) : [path]
    }
    return []
  }

  private static func filesBelow(_ directory: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var found: [String] = []
    for name in names.sorted(by: { $0.precedesByCodePoint($1) })
    where !name.hasPrefix(".") && !name.hasSuffix("~") {
      let path = directory + "/" + name
      let suffix = (name as NSString).pathExtension
      if isDirectory(path) {
        if suffix.isEmpty { found += filesBelow(path) }
      } else if suffix.isEmpty || extensions.contains("." + suffix) {
        found.append(path)
      }
    }
    return found
  }

  private static func entries(of path: String) throws(DeployError) -> [YAMLDocument.Entry] {
    let text = try InventoryTextFile.read(path)
    if text.hasPrefix("$ANSIBLE_VAULT") {
      throw .configuration(
        SourceLocation(file: path, line: 1, column: 1),
        "vault-encrypted files are not supported; decrypt it or pass the values another way")
    }
    guard let root = try YAMLDocument.compose(text, file: path) else { return [] }
    guard let mapping = root.mapping else {
      throw .configuration(
        YAMLDocument.location(of: root, file: path),
        "expected a mapping of variable names to values")
    }
    return try YAMLDocument.entries(of: mapping, file: path)
  }

  private static func isDirectory(_ path: String) -> Bool { InventoryTextFile.isDirectory(path) }
}
