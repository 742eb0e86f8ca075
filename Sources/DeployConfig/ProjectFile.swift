import DeployInventory
import DeploySupport
import Foundation

/// The project file, `deploy.yml`: which inventory, the stages in promotion order, SSH defaults
/// and the apps. Kept in the repository of the thing being deployed (or of the team's ops), so
/// that everyone — and every CI job — deploys the same way. `deploy.example.yml` at the root of
/// this repository documents every key.
public struct ProjectFile: Sendable {
  /// The file's absolute path.
  public var path: String
  /// The file's folder: relative paths in the file resolve against it, not against the current
  /// directory, so `deploy` behaves the same from any subfolder.
  public var directory: String
  /// `inventory:`, absolute. Nil when the file names none (then `-i` or `$DEPLOY_INVENTORY`).
  public var inventoryPath: String?
  /// `stages:`, in promotion order: `deploy APP` goes to the first. Each is an inventory group.
  public var stages: [String]
  public var ssh: ProjectSSHSettings
  /// `ledger:`, absolute (`~` expanded). Nil for the default location.
  public var ledgerPath: String?
  /// In file order.
  public var apps: [AppConfig]
  /// Where each of `stages` was written, for errors found later against the inventory.
  var stageLocations: [String: SourceLocation]
  /// The inventory a `deployer.ini` defines by itself (its `[stage:NAME] hosts = …`).
  public var inlineInventory: Inventory?
  /// Stages usable by name but outside the promotion order (a `deployer.ini` `[stage:NAME]`
  /// missing from `stages`).
  public var extraStages: [String] = []
  /// `badges_path` of a `deployer.ini`: where `deploy badges` writes by default.
  public var badgesPath: String?

  /// The names looked for in each folder, in this order.
  public static let fileNames = ["deploy.yml", "deploy.yaml", "deployer.ini"]

  public func app(named name: String) -> AppConfig? {
    apps.first { $0.name == name }
  }

  /// The project file that applies in `directory`: the first `deploy.yml` or `deploy.yaml` found
  /// there or in a parent folder, as git finds its repository. Nil when there is none up to `/`.
  public static func discover(from directory: String) -> String? {
    var folder = URL(
      fileURLWithPath: directory, isDirectory: true,
      relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    ).standardizedFileURL.path
    while true {
      for name in fileNames {
        let candidate = (folder == "/" ? "" : folder) + "/" + name
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory),
          !isDirectory.boolValue
        {
          return candidate
        }
      }
      if folder == "/" || folder.isEmpty { return nil }
      folder = (folder as NSString).deletingLastPathComponent
    }
  }

  /// Reads and checks a project file. Error locations use `path` as given, so a relative `-c`
  /// gives relative locations, as compilers do.
  public static func load(path: String) throws(DeployError) -> ProjectFile {
    try parse(try InventoryTextFile.read(path), path: path)
  }

  /// Parses project file text as if read from `path` (made absolute against the current
  /// directory for `path` and `directory`; used as given in error locations).
  public static func parse(_ text: String, path: String) throws(DeployError) -> ProjectFile {
    if path.hasSuffix(".ini") { return try DeployerINI.parse(text, path: path) }
    return try ProjectFileParser(file: path).parse(text)
  }
}
