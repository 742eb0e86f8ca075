import Foundation
import Testing

@testable import DeployInventory
@testable import DeploySupport

/// Parses INI inventory text, as if from `inv.ini`.
func iniInventory(_ text: String) throws(DeployError) -> Inventory {
  try Inventory.parse(text: text, file: "inv.ini", format: .ini)
}

/// Parses YAML inventory text, as if from `inv.yml`.
func yamlInventory(_ text: String) throws(DeployError) -> Inventory {
  try Inventory.parse(text: text, file: "inv.yml", format: .yaml)
}

/// Helpers shared by the inventory tests, namespaced so other suites can use the same names.
enum InventoryTestKit {
  /// The location and message of the configuration error `body` throws, or nil if it throws none
  /// (or a different kind of error).
  static func configurationError(
    _ body: () throws(DeployError) -> Void
  ) -> (location: DeploySupport.SourceLocation, message: String)? {
    do {
      try body()
      return nil
    } catch {
      guard case .configuration(let location, let message) = error else { return nil }
      return (location, message)
    }
  }

  /// The message of the usage error `body` throws, or nil.
  static func usageError(_ body: () throws(DeployError) -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      guard case .usage(let message) = error else { return nil }
      return message
    }
  }

  /// A fresh directory under the temporary directory, deleted when the value goes away.
  struct Directory: ~Copyable {
    let path: String

    init() throws {
      path =
        FileManager.default.temporaryDirectory
        .appendingPathComponent("deploy-inventory-\(UUID().uuidString)").path
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `text` to `relativePath`, creating directories on the way; returns the full path.
    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
      let full = path + "/" + relativePath
      try FileManager.default.createDirectory(
        atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: full, atomically: true, encoding: .utf8)
      return full
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
  }

  /// The repository's root, for tests that read the example inventories.
  static let repositoryRoot: String = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

extension Inventory {
  /// The names of `hosts`, for compact expectations.
  var hostNames: [String] { hosts.map(\.name) }

  func vars(of host: String) -> [String: VarValue] { self.host(named: host)?.vars ?? [:] }
}
