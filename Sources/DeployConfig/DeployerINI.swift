import DeployInventory
import DeploySupport
import Foundation

/// The OONI backend's `deployer.ini`, accepted as a project file as it is:
///
/// ```ini
/// [environment]
/// deb_packages = ooni-api fastpath analysis
/// stages = test hel prod
/// badges_path = /var/www/package_badges/
///
/// [stage:test]
/// hosts = ams-pg-test.ooni.org
/// ```
///
/// Each package becomes an `apt` app; each `[stage:NAME]` an inventory group of its hosts (names
/// resolved through ssh_config, as `ssh` would). Stages with a section but missing from `stages`
/// are valid and usable by name, outside the promotion order.
package enum DeployerINI {
  package static func parse(_ text: String, path: String) throws(DeployError) -> ProjectFile {
    var sections:
      [(name: String, location: SourceLocation, values: [String: (String, SourceLocation)])] = []
    for (index, rawLine) in text.components(separatedBy: "\n").enumerated() {
      let lineNumber = index + 1
      let line = rawLine.trimmingCharacters(in: .whitespaces).trimmingCharacters(
        in: CharacterSet(charactersIn: "\r"))
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      let indent = rawLine.prefix { $0 == " " || $0 == "\t" }.count
      let location = SourceLocation(file: path, line: lineNumber, column: indent + 1)
      if line.hasPrefix("[") {
        guard line.hasSuffix("]"), line.count > 2 else {
          throw .configuration(location, "expected a section header such as [environment]")
        }
        sections.append((String(line.dropFirst().dropLast()), location, [:]))
        continue
      }
      guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
        throw .configuration(location, "expected 'key = value' or a [section] header")
      }
      guard !sections.isEmpty else {
        throw .configuration(location, "'\(line)' comes before any [section] header")
      }
      let key = line[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
      let valueColumn =
        indent + line.distance(from: line.startIndex, to: line.index(after: separator)) + 2
      sections[sections.count - 1].values[key] = (
        value, SourceLocation(file: path, line: lineNumber, column: valueColumn)
      )
    }

    guard let environment = sections.first(where: { $0.name == "environment" }) else {
      throw .configuration(
        SourceLocation(file: path, line: 1, column: 1),
        "a deployer.ini needs an [environment] section with deb_packages and stages")
    }
    func words(_ key: String) throws(DeployError) -> ([String], SourceLocation) {
      guard let (value, location) = environment.values[key] else {
        throw .configuration(
          environment.location, "[environment] is missing '\(key)'")
      }
      let items = value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        .map(String.init)
      guard !items.isEmpty else { throw .configuration(location, "'\(key)' is empty") }
      return (items, location)
    }
    let (packages, packagesLocation) = try words("deb_packages")
    let (stages, stagesLocation) = try words("stages")

    var hosts: [Inventory.Host] = []
    var groups: [String: Inventory.Group] = [:]
    var extraStages: [String] = []
    for section in sections where section.name.hasPrefix("stage:") {
      let stage = String(section.name.dropFirst(6))
      guard !stage.isEmpty else {
        throw .configuration(section.location, "expected [stage:NAME]")
      }
      guard let (value, location) = section.values["hosts"] else {
        throw .configuration(section.location, "[\(section.name)] is missing 'hosts'")
      }
      let names = value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        .map(String.init)
      guard !names.isEmpty else { throw .configuration(location, "'hosts' is empty") }
      for name in names {
        if let index = hosts.firstIndex(where: { $0.name == name }) {
          hosts[index].groups.append(stage)
        } else {
          hosts.append(Inventory.Host(name: name, groups: ["all", stage]))
        }
      }
      groups[stage] = Inventory.Group(name: stage, hosts: names)
      if !stages.contains(stage) { extraStages.append(stage) }
    }
    for stage in stages where groups[stage] == nil {
      throw .configuration(
        stagesLocation, "stage '\(stage)' has no [stage:\(stage)] section naming its hosts")
    }
    groups["all"] = Inventory.Group(name: "all", hosts: hosts.map(\.name))
    groups["ungrouped"] = Inventory.Group(name: "ungrouped")

    var project = ProjectFile(
      path: path, directory: (path as NSString).deletingLastPathComponent, inventoryPath: nil,
      stages: stages, ssh: .init(), ledgerPath: nil, apps: [], stageLocations: [:])
    project.inlineInventory = Inventory(hosts: hosts, groups: groups)
    project.extraStages = extraStages
    project.badgesPath = environment.values["badges_path"]?.0
    for package in packages {
      guard AptAppConfig.isPackageName(package) else {
        throw .configuration(packagesLocation, "'\(package)' is not a Debian package name")
      }
      project.apps.append(
        AppConfig(
          name: package, location: packagesLocation, kind: .apt(AptAppConfig(package: package))))
    }
    return project
  }
}
