import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeploySSH
@testable import DeploySupport
@testable import HostScripts

/// Runs the generated scripts with a real git against a local bare repository: the same text an
/// SSH host's shell would get.
@Suite struct GitCommandsTests {
  let root: String
  let origin: String

  init() throws {
    root = try TemporaryDirectory.make()
    origin = root + "/origin.git"
    let work = root + "/work"
    try sh(
      """
      git init -q --bare \(origin) && git init -q -b main \(work) && cd \(work) &&
      git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one && git tag v1 &&
      git -c user.name=t -c user.email=t@t commit -q --allow-empty -m two && git tag v2 &&
      git remote add origin \(origin) && git push -q origin main --tags
      """)
  }

  @discardableResult
  private func sh(_ script: ShellScript) throws -> (status: Int32, stdout: String, stderr: String) {
    let result = try ChildProcess.capture(["sh", "-c", script.text])
    return (result.exit.status, result.stdout, result.stderr)
  }

  private func commit(of ref: String) throws -> String {
    try sh("git -C \(origin) rev-parse \(ref)^{commit}").stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test func clonesThenFetchesAndChecksOutExactRefs() throws {
    let path = root + "/deploy target/app"  // a space: the path must be quoted
    let first = try sh(try GitCommands.checkout(repository: origin, path: path, ref: "v1"))
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.split(separator: "\n").last.map(String.init) == (try commit(of: "v1")))

    // Second run takes the fetch path and moves to another tag.
    let second = try sh(try GitCommands.checkout(repository: origin, path: path, ref: "v2"))
    #expect(second.stdout.split(separator: "\n").last.map(String.init) == (try commit(of: "v2")))

    // A branch resolves to the remote's tip, including commits pushed since the clone.
    try sh(
      """
      cd \(root)/work && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m three &&
      git push -q origin main
      """)
    let branch = try sh(try GitCommands.checkout(repository: origin, path: path, ref: "main"))
    #expect(branch.stdout.split(separator: "\n").last.map(String.init) == (try commit(of: "main")))
    let head = try sh("git -C \(path) rev-parse HEAD").stdout
    #expect(head.trimmingCharacters(in: .newlines) == (try commit(of: "main")))
  }

  @Test func anUnknownRefFailsWithAMessageAndChangesNothing() throws {
    let path = root + "/app"
    _ = try sh(try GitCommands.checkout(repository: origin, path: path, ref: "v1"))
    let result = try sh(try GitCommands.checkout(repository: origin, path: path, ref: "v9"))
    #expect(result.status == 3)
    #expect(result.stderr.contains("no branch, tag or commit named v9"))
    let head = try sh("git -C \(path) rev-parse HEAD").stdout
    #expect(head.trimmingCharacters(in: .newlines) == (try commit(of: "v1")))
  }

  @Test(arguments: [
    "v1; touch /tmp/pwned", "-rf", "--upload-pack=touch /tmp/pwned", "a\nb", "$(id)", "`id`",
    "a..b", "v1^", "", "refs/heads/x.lock", "a b", ".hidden",
  ])
  func unsafeRefsAreRejectedBeforeAnythingRuns(_ ref: String) {
    #expect(throws: DeployError.self) {
      try GitCommands.checkout(repository: origin, path: root + "/app", ref: ref)
    }
  }

  @Test func ordinaryRefsAreAccepted() throws {
    for ref in [
      "v1.2.3", "main", "release/2026-11", "feature_x", String(repeating: "a", count: 40),
    ] {
      try GitCommands.validateRef(ref)
    }
  }
}
