import Foundation
import Testing

/// The targets in Package.swift are the architecture's layers. SwiftPM refuses a cycle among
/// declared dependencies, but a file can still `import` a module its target does not declare
/// (it is on the search path once built), which would let a layer reach up unseen. These checks
/// read Package.swift and every source file.
@Suite struct LayeringTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// Bottom to top, as the README draws them: a target may depend only on targets before it.
  static let layers = [
    "HostShell", "DeploySupport", "DeployBadges", "HostScripts", "DeployInventory",
    "DeployBuildAPI", "DeployLedger", "DeploySSH", "DeployConfig", "DeployExec",
    "DeployTemplating", "DeployBuild", "DeployPlay", "DeployPipeline", "UntrustedInput",
    "deploy", "deploy-fuzz",
  ]

  /// Target name → the names of the targets and products it depends on, from Package.swift.
  static func declaredDependencies() throws -> [String: Set<String>] {
    var manifest = try String(
      contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
    // `libraries + [...]`: the shared list, spliced in where it is used.
    if let shared = manifest.firstMatch(of: /let libraries: \[Target.Dependency\] = \[([^\]]*)\]/) {
      manifest.replace("libraries + [", with: "[" + shared.output.1 + ", ")
      manifest.replace("dependencies: libraries)", with: "dependencies: [" + shared.output.1 + "])")
    }
    var result: [String: Set<String>] = [:]
    let target =
      /\.(?:target|executableTarget)\(\s*name: "([\w-]+)"(?:,\s*dependencies: \[([^\]]*)\])?/
    for match in manifest.matches(of: target) {
      let list = match.output.2.map(String.init) ?? ""
      // `"Name"` for a target, `.product(name: "Name", …)` for a package's product.
      let names = list.matches(of: /(?:name: )?"([\w.-]+)"(?:, package: "[\w.-]+")?/)
        .map { String($0.output.1) }
      result[String(match.output.1)] = Set(names)
    }
    return result
  }

  /// The modules each file of `target` imports.
  static func imports(of target: String) throws -> [(file: String, module: String)] {
    let folder = root.appendingPathComponent("Sources/" + target).path
    var found: [(String, String)] = []
    for case let path as String in FileManager.default.enumerator(atPath: folder) ?? .init()
    where path.hasSuffix(".swift") {
      let text = try String(contentsOfFile: folder + "/" + path, encoding: .utf8)
      for line in text.split(separator: "\n") {
        if let match = line.wholeMatch(of: /(?:@testable )?import (\w+)/) {
          found.append((target + "/" + path, String(match.output.1)))
        }
      }
    }
    return found
  }

  @Test func everyTargetIsInALayerAndDependsOnlyOnLowerOnes() throws {
    let declared = try Self.declaredDependencies()
    #expect(Set(declared.keys) == Set(Self.layers))
    for (target, dependencies) in declared {
      let level = try #require(Self.layers.firstIndex(of: target))
      for dependency in dependencies {
        guard let other = Self.layers.firstIndex(of: dependency) else { continue }  // a product
        #expect(other < level, "\(target) depends on \(dependency), which is not below it")
      }
    }
  }

  @Test func noFileImportsAModuleItsTargetDoesNotDeclare() throws {
    let declared = try Self.declaredDependencies()
    let system: Set<String> = ["Foundation", "Glibc", "Darwin", "Dispatch", "Synchronization"]
    for target in Self.layers {
      let allowed = declared[target, default: []].union(system)
      let imports = try Self.imports(of: target)
      #expect(!imports.isEmpty || target == "HostShell", "\(target) has no sources?")
      for (file, module) in imports where !allowed.contains(module) {
        Issue.record("\(file) imports \(module), which \(target) does not declare")
      }
    }
  }
}
