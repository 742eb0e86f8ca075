import Foundation
import Testing

/// Host shell is made in one way only: as a `ShellScript`, whose interpolation quotes every
/// value. The compiler already refuses a `String` where a script goes; these checks keep the
/// doors around the type shut, reading every source file of the product.
@Suite struct HostShellBoundaryTests {
  static let sources = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources")

  /// Where a person's own shell text becomes a script, and why it is shell and not a value.
  static let authoredShell: [String: String] = [
    "deploy/ExecCommand.swift": "the operator's `deploy exec` line",
    "HostScripts/ActivationCommands.swift": "the project file's `restart: command`",
    "DeployPipeline/Activator.swift": "the project file's health `command`",
    "DeployConfig/ProjectFileParser+GitApp.swift": "a build step's `run` line",
    "DeployBuild/WorkflowLoader.swift": "an ECHR-OD action's `run` line",
    "DeployPlay/Modules/CommandModule.swift": "a playbook's `shell:`/`command:` text",
  ]

  /// Every product source file outside the host-shell module, path relative to `Sources`.
  static func productFiles() throws -> [(path: String, text: String)] {
    let root = sources.path + "/"
    let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }
    return try (files ?? []).filter { $0.hasSuffix(".swift") && !$0.hasPrefix("HostShell/") }
      .sorted().map { ($0, try String(contentsOfFile: root + $0, encoding: .utf8)) }
  }

  @Test func theSourcesAreFound() throws {
    #expect(try Self.productFiles().count > 100)
  }

  @Test func quotingIsNeverDoneByHandOutsideTheHostShellModule() throws {
    for (path, text) in try Self.productFiles() {
      for forbidden in ["ShellQuote", "verbatim:", "@testable import HostShell"]
      where text.contains(forbidden) {
        Issue.record("\(path) uses \(forbidden): host shell is made as a ShellScript")
      }
    }
  }

  @Test func authoredShellComesOnlyFromWhereAPersonWroteShell() throws {
    var seen: Set<String> = []
    for (path, text) in try Self.productFiles() where text.contains("ShellScript(authored:") {
      seen.insert(path)
      if Self.authoredShell[path] == nil {
        let advice =
          "interpolate values into a ShellScript instead, or add the file here saying whose"
          + " shell it is"
        Issue.record("\(path) turns a String into shell with ShellScript(authored:); \(advice)")
      }
    }
    // A file listed here that no longer needs the door is removed from the list.
    #expect(seen == Set(Self.authoredShell.keys))
  }

  /// A script handed to `sh -c` as a Swift value, and `sudo`, are made once, by
  /// `RemoteCommand` (inside a host script, `sh -c "$3"` runs a value the script holds).
  @Test func noOtherShellOrSudoWrapper() throws {
    for (path, text) in try Self.productFiles() {
      for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
        .enumerated()
      where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
        for wrapper in ["sh -c \\(", "sudo"] where line.contains(wrapper) {
          Issue.record("\(path):\(number + 1) builds its own `\(wrapper)`: \(line)")
        }
      }
    }
  }
}
