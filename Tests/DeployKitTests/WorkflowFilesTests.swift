import Foundation
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// Runs the real remote command with `sh` on a folder, as a host's shell would.
@Suite("Workflow files")
struct WorkflowFilesTests {
  let root: String

  init() throws {
    root = try TemporaryDirectory.make() + "/check out's \"repo\""
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  }

  private func write(_ relativePath: String, _ text: String) throws {
    let full = root + "/" + relativePath
    try FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: full))
  }

  private func run(checkout: String, directory: String) throws -> (Int32, String, String) {
    let result = try ChildProcess.capture(
      ["/bin/sh", "-c", WorkflowFiles.readCommand(checkout: checkout, directory: directory).text])
    return (result.exit.status, result.stdout, result.stderr)
  }

  @Test func readsEveryWorkflowAndActionFileExactly() throws {
    let expected = [
      "workflows/database.yml": "steps:\n  - run: get\n    type: action\n",
      "workflows/other.yaml": "steps: []",  // no final newline
      "workflows/empty.yml": "",
      "workflows/actions/get.yml": """
      title: 'Get'
      run: python3 build.py # #deploy-workflow-file# d29ya2Zsb3dz
      #deploy-workflow-file# d29ya2Zsb3dz
      ==> not a separator either
      description: "tabs\tand unicode: é ✓ and CRLF\r\nline"

      """,
      "workflows/actions/with space.yml": "run: 'echo $(id)'\n\n\n",
    ]
    for (path, text) in expected { try write(path, text) }
    // Not read: other extensions, nested folders, folders named like files, other folders.
    try write("workflows/README.md", "# docs\n")
    try write("workflows/actions/nested/deep.yml", "run: x\n")
    try write("workflows/old/deep.yml", "run: x\n")
    try write("other/top.yml", "run: x\n")
    try FileManager.default.createDirectory(
      atPath: root + "/workflows/folder.yml", withIntermediateDirectories: true)

    let (status, stdout, stderr) = try run(checkout: root, directory: "workflows")
    #expect(status == 0, "\(stderr)")
    #expect(WorkflowFiles.parse(output: stdout) == expected)
  }

  @Test func anotherDirectoryRelativeToTheCheckout() throws {
    try write("build/wf/a.yml", "steps: []\n")
    try write("build/wf/actions/b.yml", "run: b\n")
    let (status, stdout, _) = try run(checkout: root, directory: "./build/wf/")
    #expect(status == 0)
    #expect(
      WorkflowFiles.parse(output: stdout) == [
        "build/wf/a.yml": "steps: []\n", "build/wf/actions/b.yml": "run: b\n",
      ])
  }

  @Test func missingFoldersPrintNothingAndSucceed() throws {
    for (checkout, directory) in [(root, "workflows"), (root + "/nope", "workflows")] {
      let (status, stdout, stderr) = try run(checkout: checkout, directory: directory)
      #expect(status == 0)
      #expect(stdout.isEmpty)
      #expect(stderr.isEmpty)
      #expect(WorkflowFiles.parse(output: stdout).isEmpty)
    }
    // Actions without workflows are still read.
    try write("workflows/actions/a.yml", "run: a\n")
    let (_, stdout, _) = try run(checkout: root, directory: "workflows")
    #expect(WorkflowFiles.parse(output: stdout) == ["workflows/actions/a.yml": "run: a\n"])
  }

  @Test func parseSkipsNoiseBeforeTheFirstFileAndToleratesCRLF() throws {
    try write("workflows/a.yml", String(repeating: "# a long line to wrap base64\n", count: 20))
    let (_, stdout, _) = try run(checkout: root, directory: "workflows")
    let noisy = "Welcome to host01!\nLast login: yesterday\n" + stdout.replacing("\n", with: "\r\n")
    #expect(
      WorkflowFiles.parse(output: noisy) == [
        "workflows/a.yml": String(repeating: "# a long line to wrap base64\n", count: 20)
      ])
  }
}
