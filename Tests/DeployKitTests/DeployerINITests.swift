import Foundation
import Testing

@testable import DeployConfig
@testable import DeployInventory

@Suite struct DeployerINITests {
  /// The OONI backend's deployer.ini, as it was.
  static let ooni = """
    [environment]
    deb_packages = ooni-api fastpath analysis
    stages = test hel prod
    badges_path = /var/www/package_badges/

    [stage:test]
    hosts = ams-pg-test.ooni.org

    [stage:hel]
    hosts = backend-hel.ooni.org

    [stage:prod]
    hosts = backend-fsn.ooni.org

    # not in the promotion order, still usable by name
    [stage:dev]
    hosts = dev1.ooni.org dev2.ooni.org
    """

  @Test func theOONIFileIsAProjectFile() throws {
    let project = try ProjectFile.parse(Self.ooni, path: "/srv/ooni/deployer.ini")
    #expect(project.stages == ["test", "hel", "prod"])
    #expect(project.extraStages == ["dev"])
    #expect(project.badgesPath == "/var/www/package_badges/")
    #expect(project.apps.map(\.name) == ["ooni-api", "fastpath", "analysis"])
    guard case .apt(let apt) = project.apps[0].kind else {
      Issue.record("expected an apt app")
      return
    }
    #expect(apt.package == "ooni-api")
    let inventory = try #require(project.inlineInventory)
    #expect(try inventory.hosts(matching: "prod").map(\.name) == ["backend-fsn.ooni.org"])
    #expect(try inventory.hosts(matching: "dev").map(\.name) == ["dev1.ooni.org", "dev2.ooni.org"])
    try project.validate(against: inventory)
  }

  @Test(arguments: [
    ("[environment]\nstages = test\n", "missing 'deb_packages'", 1),
    ("[environment]\ndeb_packages = a1\nstages = test\n", "has no [stage:test] section", 3),
    (
      "[environment]\ndeb_packages = Bad_Name\nstages = t\n[stage:t]\nhosts = h\n",
      "not a Debian package name", 2
    ),
    ("deb_packages = x\n", "before any [section]", 1),
    ("[environment\n", "section header", 1),
    ("[environment]\njunk line\n", "expected 'key = value'", 2),
  ])
  func mistakesNameTheirLine(_ text: String, _ message: String, _ line: Int) {
    #expect {
      _ = try ProjectFile.parse(text, path: "deployer.ini")
    } throws: { error in
      let text = "\(error)"
      return text.contains(message) && text.contains("deployer.ini:\(line):")
    }
  }

  @Test func discoveryFindsADeployerINI() throws {
    let dir = try TemporaryDirectory.make()
    try "[environment]\n".write(toFile: dir + "/deployer.ini", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: dir + "/sub", withIntermediateDirectories: true)
    #expect(ProjectFile.discover(from: dir + "/sub") == dir + "/deployer.ini")
  }
}
