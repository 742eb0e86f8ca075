import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySupport

/// The command line as a user types it: the binary itself, no hosts needed.
@Suite struct CommandLineTests {
  /// Unknown options and missing arguments are usage errors: exit 2, as the README says
  /// (ArgumentParser's own code is 64).
  @Test(arguments: [
    ["--bogus"], ["status", "--nope"], ["unlock", "app"],
    ["exec", "--forks", "many", "--", "true"],
    ["history", "--limit"],
  ])
  func usageErrorsExitTwo(arguments: [String]) throws {
    let result = try TestHosts.deploy(arguments)
    #expect(result.status == ExitStatus.usage.rawValue, "\(arguments): \(result.stderr)")
    #expect(
      result.stderr.contains("Error:") && result.stderr.contains("Usage:"), "\(result.stderr)")
  }

  @Test func versionNamesTheBuild() throws {
    let result = try TestHosts.deploy(["--version"])
    #expect(result.status == 0)
    #expect(result.stdout == "deploy \(DeployVersion.current)\n")
  }

  /// A bug in deploy (an error no layer planned for) exits 70 and says it is one; the fault is
  /// injected, since a real bug cannot be called up on demand.
  @Test func anInternalErrorExitsSeventy() throws {
    let result = try TestHosts.deploy(
      ["status", "-c", "/nonexistent/deploy.yml"],
      environment: ["DEPLOY_INJECT_INTERNAL_ERROR": "1"])
    #expect(result.status == ExitStatus.internalError.rawValue)
    #expect(result.stderr.hasPrefix("error: internal error: "), "\(result.stderr)")
    #expect(result.stderr.contains("This is a bug in deploy"), "\(result.stderr)")
    // Without the fault the same command is a plain configuration error.
    #expect(try TestHosts.deploy(["status", "-c", "/nonexistent/deploy.yml"]).status == 2)
  }

  @Test func helpStillExitsZero() throws {
    #expect(try TestHosts.deploy(["--help"]).status == 0)
    #expect(try TestHosts.deploy(["status", "--help"]).status == 0)
  }

  /// `-c FILE` before the subcommand belongs to the subcommand; it was taken as an app name.
  @Test func optionsBeforeTheSubcommandBelongToIt() throws {
    let directory = try TemporaryFolder()
    defer { directory.remove() }
    try "[test]\nweb1 ansible_host=127.0.0.1\n".write(
      toFile: directory.path + "/hosts.ini", atomically: true, encoding: .utf8)
    try """
    inventory: hosts.ini
    stages: [test]
    apps: {}
    """.write(toFile: directory.path + "/project.yml", atomically: true, encoding: .utf8)
    let result = try TestHosts.deploy(["-c", directory.path + "/project.yml", "status"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("no apps in the project file"), "\(result.stdout)")
    let inventory = try TestHosts.deploy(
      ["-i", directory.path + "/hosts.ini", "inventory", "--list"])
    #expect(inventory.status == 0, "\(inventory.stderr)")
    #expect(inventory.stdout.contains("web1"))
  }
}

/// A temporary folder for one test.
struct TemporaryFolder {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "deploy-cli-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
