import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport
@testable import HostShell

/// Hostile strings in every value a user controls that reaches a host: nothing in them may run.
/// Each string tries to create a marker file; after everything ran, no marker may exist.
enum Hostile {
  static func strings(marker: String) -> [String] {
    let m = ShellQuote.word(marker)
    return [
      "; touch \(m)", "$(touch \(m))", "`touch \(m)`", "' ; touch \(m); '", "\" ; touch \(m); \"",
      "x\ntouch \(m)", "-rf", "--upload-pack=touch \(m)", "a|touch \(m)", "a && touch \(m)",
      "${IFS}touch${IFS}\(m)", "\u{1B}]0;title\u{07}", "../../../../tmp", "*",
    ]
  }

  /// Every marker the strings could have made: where the shell would have run them.
  static func markersFound(_ marker: String, in folders: [String]) -> [String] {
    let name = (marker as NSString).lastPathComponent
    var found: [String] = []
    if FileManager.default.fileExists(atPath: marker) { found.append(marker) }
    for folder in folders {
      let result = try? ChildProcess.capture(["find", folder, "-type", "f", "-name", name])
      found += (result?.stdout ?? "").split(separator: "\n").map(String.init)
    }
    return found
  }
}

extension Integration {
  @Suite(.serialized) struct HostileInputTests {
    /// Versions and refs are refused before anything runs; lock messages are kept as words and
    /// shown with their control characters made visible.
    @Test func versionsAndLockMessagesRunNothing() throws {
      let app = try GitAppFixture(steps: GitAppFixture.buildScript)
      defer { app.remove() }
      let marker = app.directory + "/PWNED"
      for hostile in Hostile.strings(marker: marker) {
        let deploy = try app.deploy(["demo-app", "test", "--", hostile])
        #expect(
          deploy.status == ExitStatus.usage.rawValue
            || deploy.status == ExitStatus.hostsFailed.rawValue,
          "\(String(reflecting: hostile)): \(deploy.stdout)\(deploy.stderr)")
        let lock = try app.deploy(["lock", "demo-app", "test", "--message=" + hostile])
        #expect(lock.status == 0, "\(String(reflecting: hostile)): \(lock.stderr)")
        let blocked = try app.deploy(["demo-app", "test"])
        #expect(blocked.status == ExitStatus.lockHeld.rawValue)
        #expect(!blocked.stdout.contains("\u{1B}]"), "escape sequences are shown, not sent")
        let unlock = try app.deploy(["unlock", "demo-app", "test"])
        #expect(
          unlock.status == 0, "\(String(reflecting: hostile)): \(unlock.stdout)\(unlock.stderr)")
      }
      #expect(Hostile.markersFound(marker, in: [app.directory, "/tmp"]) == [])
    }

    /// A path with shell syntax (literally and through an inventory variable) and a build name
    /// that needs quoting: a whole deploy with symlink activation and pruning, twice, and a
    /// rollback. The hostile names are only ever folder names.
    @Test func pathsBuildNamesAndInventoryVariablesRunNothing() throws {
      let marker = NSTemporaryDirectory() + "PWNED-" + UUID().uuidString.prefix(6)
      let evil = "x$(touch \(marker))y"
      let folder = "demo $(touch \(marker)) `touch \(marker)` it's ; x"
      let app = try GitAppFixture(
        steps: GitAppFixture.buildScript,
        // One folder name: a marker named without a folder, made wherever a shell would run.
        buildName: "'my build $(touch \((marker as NSString).lastPathComponent)) `id`'",
        appExtra: GitAppFixture.symlinkActivation(keep: 1),
        hostVars: { _ in "evil='\(evil)'" },
        appFolder: "{{ evil }}/" + folder, renderedAppFolder: evil + "/" + folder)
      defer { app.remove() }
      for version in ["v1", "v2"] {
        let deploy = try app.deploy(["demo-app", "test", version])
        #expect(deploy.status == 0, "\(deploy.stdout)\(deploy.stderr)")
        #expect(app.read(app.buildFolder(1) + "/current/data.txt") == "\(version)\n")
        Thread.sleep(forTimeInterval: 1)
      }
      let back = try app.deploy(["rollback", "demo-app", "test"])
      #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
      #expect(app.read(app.buildFolder(1) + "/current/data.txt") == "v1\n")
      #expect(try app.deploy(["status"]).status == 0)
      #expect(try app.deploy(["history"]).status == 0)
      #expect(
        Hostile.markersFound(
          marker, in: [app.directory, NSTemporaryDirectory(), NSHomeDirectory()])
          == [])
      #expect(!FileManager.default.fileExists(atPath: "/" + (marker as NSString).lastPathComponent))
    }
  }
}
