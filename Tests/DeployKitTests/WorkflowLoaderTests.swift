import Foundation
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeployConfig
@testable import DeploySSH
@testable import DeploySupport
@testable import HostShell

@Suite("Workflow loader")
struct WorkflowLoaderTests {
  static let origin = "host01:/srv/app/repo/"

  /// ECHR-OD's layout: `local` runs two workflows that share their first actions.
  static let echr: [String: String] = [
    "workflows/local.yml": """
    steps:
      - run: 'datasets'
        type: 'workflow'

      - run: 'database'
        type: 'workflow'
    """,
    "workflows/datasets.yml": """
    name: Datasets
    description: Build the datasets
    steps:
      - {run: format_judges, type: action}
      - {run: case_info, type: action}
      - {run: generate_datasets, type: action}
    """,
    "workflows/database.yaml": """
    steps:
      - {run: format_judges, type: action}
      - {run: case_info, type: action}
      - {run: get_documents, type: action}
      - {run: format_judges, type: action}
    """,
    "workflows/actions/format_judges.yml":
      "title: 'Format judges'\nrun: python3 -m echr.steps.format_judges\n",
    "workflows/actions/case_info.yml": """
    title: 'Get cases info'
    description: 'Retrieve the metadata'
    run: python3 -m echr.steps.cases_info
    args:
      max_documents: $MAX_DOCUMENTS
      limit: 100
      strict: true
      ratio: 1.50
    """,
    "workflows/actions/generate_datasets.yml": "run: python3 -m echr.steps.generate_datasets\n",
    "workflows/actions/get_documents.yml": """
    title: 'Get Documents'
    description: 'Retrieve judgment documents from HUDOC'
    run: python3 -m echr.steps.get_documents
    updatable: true
    """,
  ]

  static func expand(
    _ name: String, _ files: [String: String] = echr, directory: String = "workflows"
  ) throws(DeployError) -> [BuildStep] {
    try WorkflowLoader.expand(name: name, directory: directory, files: files, origin: origin)
  }

  static func error(
    _ name: String, _ files: [String: String], location: DeploySupport.SourceLocation? = nil
  ) -> (location: DeploySupport.SourceLocation, message: String)? {
    InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try WorkflowLoader.expand(
        name: name, directory: "workflows", files: files, origin: origin, location: location)
    }
  }

  @Test func nestedWorkflowsExpandInOrderAndActionsAreAddedOnce() throws {
    let steps = try Self.expand("local")
    #expect(
      steps.map(\.name) == [
        "format_judges", "case_info", "generate_datasets", "get_documents",
      ])
    #expect(steps.map(\.title) == ["Format judges", "Get cases info", nil, "Get Documents"])
    #expect(steps[0].command == "python3 -m echr.steps.format_judges")
    #expect(
      steps[0].location
        == DeploySupport.SourceLocation(
          file: Self.origin + "workflows/actions/format_judges.yml", line: 2, column: 6))
  }

  @Test func argumentsBecomeOptionsAndDollarNamesComeFromTheEnvironment() throws {
    let steps = try Self.expand("database")
    #expect(
      steps[1].command
        == #"python3 -m echr.steps.cases_info --max_documents "${MAX_DOCUMENTS}" --limit 100 --strict true --ratio 1.50"#
    )
  }

  @Test func listArgumentsAndHostileValuesAreQuotedNeverRun() throws {
    let directory = try TemporaryDirectory.make()
    let files = [
      "workflows/w.yml": "steps: [{run: show, type: action}]\n",
      "workflows/actions/show.yml": """
      run: printf '%s\\n'
      args:
        - plain
        - two words
        - "it's"
        - 'say "hi"'
        - x; touch \(directory)/pwned
        - $(touch \(directory)/pwned)
        - "`touch \(directory)/pwned`"
        - $VALUE
        - ${VALUE}
        - $VALUE-suffix
        - $1
        - 42
        - ''
      """,
    ]
    let steps = try Self.expand("w", files)
    let command = steps[0].command.text
    #expect(command.hasPrefix(#"printf '%s\n' plain 'two words' 'it'\''s' 'say "hi"' "#))

    let result = try ChildProcess.run(
      ["/bin/sh", "-c", "cd \(ShellQuote.word(directory)) && " + command],
      environment: ["VALUE": "v; touch \(directory)/pwned", "PATH": "/usr/bin:/bin"]
    ) { _, _ in }
    #expect(result.status == 0)
    let output = try ChildProcess.capture(
      ["/bin/sh", "-c", "VALUE='spaced  value' && export VALUE && " + command]
    ).stdout
    #expect(
      output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == [
        "plain", "two words", "it's", #"say "hi""#, "x; touch \(directory)/pwned",
        "$(touch \(directory)/pwned)", "`touch \(directory)/pwned`", "spaced  value",
        "${VALUE}", "$VALUE-suffix", "$1", "42", "", "",
      ])
    #expect(!FileManager.default.fileExists(atPath: directory + "/pwned"))
  }

  @Test func hostileMappingValuesAreQuotedToo() throws {
    let files = [
      "workflows/w.yml": "steps: [{run: a, type: action}]\n",
      "workflows/actions/a.yml": "run: ./run\nargs: {dst: 'a b; rm -rf /', params: $(id)}\n",
    ]
    #expect(
      try Self.expand("w", files)[0].command == "./run --dst 'a b; rm -rf /' --params '$(id)'")
  }

  @Test func aCycleIsAnErrorNamingTheChain() {
    let files = [
      "workflows/a.yml": "steps:\n  - {run: x, type: action}\n  - {run: b, type: workflow}\n",
      "workflows/b.yml": "steps:\n  - run: a\n    type: workflow\n",
      "workflows/self.yml": "steps: [{run: self, type: workflow}]\n",
      "workflows/actions/x.yml": "run: x\n",
    ]
    let error = Self.error("a", files)
    #expect(
      error?.location
        == DeploySupport.SourceLocation(file: Self.origin + "workflows/b.yml", line: 2, column: 10))
    #expect(
      error?.message.hasPrefix("workflow cycle: a -> b -> a") == true, "\(error?.message ?? "")")
    #expect(Self.error("self", files)?.message.hasPrefix("workflow cycle: self -> self") == true)
  }

  @Test func aMissingActionListsTheAvailableOnesAtTheRunNode() {
    var files = Self.echr
    files["workflows/broken.yml"] = "steps:\n  - type: action\n    run: get_document\n"
    let error = Self.error("broken", files)
    #expect(
      error?.location
        == DeploySupport.SourceLocation(
          file: Self.origin + "workflows/broken.yml", line: 3, column: 10)
    )
    #expect(
      error?.message
        == "action 'get_document' does not exist: no workflows/actions/get_document.yml in the checkout;"
        + " available actions: case_info, format_judges, generate_datasets, get_documents")
  }

  @Test func aMissingWorkflowListsTheAvailableOnes() {
    let reference = DeploySupport.SourceLocation(file: "deploy.yml", line: 12, column: 17)
    let error = Self.error("relase", Self.echr, location: reference)
    #expect(error?.location == reference)
    #expect(
      error?.message
        == "workflow 'relase' does not exist: no workflows/relase.yml in the checkout;"
        + " available workflows: database, datasets, local")

    let nested = Self.error(
      "w", ["workflows/w.yml": "steps:\n  - {run: nope, type: workflow}\n"])
    #expect(nested?.location.line == 2)
    #expect(nested?.message.contains("available workflows: w") == true)

    let none = Self.error("w", [:], location: reference)
    #expect(none?.message.contains("there are no workflows in workflows/") == true)
  }

  @Test(
    arguments: [
      (
        "steps:\n  - {run: a, type: script}\n", 2, 20,
        "unknown step type 'script' in step 1 of workflow 'w'; expected 'action' or 'workflow'"
      ),
      ("steps:\n  - {run: a}\n", 2, 5, "step 1 of workflow 'w' is missing required key 'type'"),
      (
        "steps:\n  - {type: action}\n", 2, 5, "step 1 of workflow 'w' is missing required key 'run'"
      ),
      ("steps:\n  - {run: a, type: action, args: 1}\n", 2, 28, "unknown key 'args' in step 1"),
      ("step: []\n", 1, 1, "unknown key 'step' in workflow 'w' (did you mean 'steps'?)"),
      ("name: w\n", 1, 1, "workflow 'w' is missing required key 'steps'"),
      ("steps: a\n", 1, 8, "expected a list of steps for 'steps', found 'a'"),
      ("steps: [a]\n", 1, 9, "expected step 1 of workflow 'w' to be a mapping, found 'a'"),
      ("", 1, 1, "workflow 'w' is empty; expected 'steps:'"),
      ("steps: [\n", 2, 1, "invalid YAML"),
    ])
  func malformedWorkflowFiles(text: String, line: Int, column: Int, message: String) {
    let error = Self.error("w", ["workflows/w.yml": text, "workflows/actions/a.yml": "run: a\n"])
    let file = Self.origin + "workflows/w.yml"
    #expect(error?.location == DeploySupport.SourceLocation(file: file, line: line, column: column))
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
  }

  @Test(
    arguments: [
      ("title: A\n", 1, 1, "action 'a' is missing required key 'run' (the command to run)"),
      ("run: a\nrunn: b\n", 2, 1, "unknown key 'runn' in action 'a' (did you mean 'run'?)"),
      ("run: a\nargs: {'bad key': 1}\n", 2, 8, "invalid argument name 'bad key'"),
      ("run: a\nargs: {-x: 1}\n", 2, 8, "invalid argument name '-x'"),
      (
        "run: a\nargs: {x: [1, 2]}\n", 2, 11,
        "expected a value (text or a number) for the argument 'x', found a list"
      ),
      ("run: a\nargs: {x: }\n", 2, 11, "found nothing"),
      ("run: a\nargs: [[1]]\n", 2, 8, "found a list"),
      (
        "run: a\nargs: 5\n", 2, 7,
        "expected 'args' to be a mapping (--key value) or a list of words"
      ),
      ("run: ''\n", 1, 6, "expected a shell command for 'run'"),
      ("", 1, 1, "action 'a' is empty"),
    ])
  func malformedActionFiles(text: String, line: Int, column: Int, message: String) {
    let error = Self.error(
      "w",
      ["workflows/w.yml": "steps: [{run: a, type: action}]\n", "workflows/actions/a.yml": text])
    let file = Self.origin + "workflows/actions/a.yml"
    #expect(error?.location == DeploySupport.SourceLocation(file: file, line: line, column: column))
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
  }

  @Test func aWorkflowWithNoStepsAtAllIsAnError() {
    let reference = DeploySupport.SourceLocation(file: "deploy.yml", line: 3, column: 5)
    let error = Self.error("w", ["workflows/w.yml": "steps: []\n"], location: reference)
    #expect(error?.location == reference)
    #expect(error?.message == "workflow 'w' has no steps")
  }

  @Test func anotherDirectoryAndYamlExtension() throws {
    let files = [
      "ci/flows/w.yaml": "steps: [{run: a, type: action}]\n",
      "ci/flows/actions/a.yaml": "run: make\nargs: [all]\n",
      "workflows/w.yml": "steps: [{run: b, type: action}]\n",
    ]
    let steps = try Self.expand("w", files, directory: "./ci/flows/")
    #expect(
      steps == [
        BuildStep(
          name: "a", command: "make all",
          location: DeploySupport.SourceLocation(
            file: Self.origin + "ci/flows/actions/a.yaml", line: 1, column: 6))
      ])
  }

  @Test func theFilesReadFromAHostFeedTheLoader() throws {
    let root = try TemporaryDirectory.make()
    for (path, text) in Self.echr {
      let full = root + "/" + path
      try FileManager.default.createDirectory(
        atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: full, atomically: true, encoding: .utf8)
    }
    let output = try ChildProcess.capture(
      ["/bin/sh", "-c", WorkflowFiles.readCommand(checkout: root, directory: "workflows").text]
    ).stdout
    let files = WorkflowFiles.parse(output: output)
    #expect(files == Self.echr)
    #expect(try Self.expand("local", files) == (try Self.expand("local")))
  }
}
