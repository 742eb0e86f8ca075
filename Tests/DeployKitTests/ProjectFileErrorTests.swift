import Testing

@testable import DeployConfig
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// A malformed project file and exactly where and what the error must say.
struct MalformedProjectFile: Sendable, CustomTestStringConvertible {
  var name: String
  var text: String
  var line: Int
  var column: Int
  var message: String

  var testDescription: String { name }
}

@Suite("Project file errors")
struct ProjectFileErrorTests {
  /// A valid app body to break one key at a time; `{{build}}` and `{{extra}}` are replaced.
  static func app(
    build: String = "build:\n      steps: [make]", extra: String = ""
  ) -> String {
    """
    stages: [test, prod]
    apps:
      web:
        kind: git
        repository: /srv/git/web.git
        path: /srv/web
        \(build)\(extra.isEmpty ? "" : "\n    " + extra)

    """
  }

  static let cases: [MalformedProjectFile] = [
    .init(
      name: "empty file", text: "", line: 1, column: 1,
      message: "the project file is empty; expected at least 'stages:' and 'apps:'"),
    .init(
      name: "comments only", text: "# nothing here\n\n# yet\n", line: 1, column: 1,
      message: "the project file is empty"),
    .init(
      name: "YAML syntax error", text: "stages: [test\napps:\n", line: 2, column: 5,
      message: "invalid YAML: did not find expected ',' or ']'"),
    .init(
      name: "tab indentation", text: "stages: [a]\nssh:\n\tuser: x\n", line: 3, column: 1,
      message: "invalid YAML: found character that cannot start any token"),
    .init(
      name: "top level is a list", text: "- stages\n", line: 1, column: 1,
      message: "expected the project file to be a mapping, found a list"),
    .init(
      name: "unknown top-level key", text: "stages: [a]\nstage: [b]\n", line: 2, column: 1,
      message:
        "unknown key 'stage' in the project file (did you mean 'stages'?); expected one of: inventory, stages, ssh, ledger, apps"
    ),
    .init(
      name: "missing stages", text: "apps: {}\n", line: 1, column: 1,
      message: "the project file is missing required key 'stages'"),
    .init(
      name: "stages is a string", text: "stages: test prod\n", line: 1, column: 9,
      message: "expected a list of stage names, found 'test prod'"),
    .init(
      name: "stages is a mapping", text: "stages:\n  test: 1\n", line: 2, column: 3,
      message: "expected a list of stage names, found a mapping"),
    .init(
      name: "stage is a list", text: "stages: [test, [prod]]\n", line: 1, column: 16,
      message: "expected a list of stage names, found a list"),
    .init(
      name: "no stages", text: "stages: []\n", line: 1, column: 9,
      message: "expected at least one stage for the project"),
    .init(
      name: "stage listed twice", text: "stages:\n  - test\n  - prod\n  - test\n", line: 4,
      column: 5, message: "stage 'test' is listed twice for the project (first at line 2)"),
    .init(
      name: "unknown ssh key", text: "stages: [a]\nssh:\n  usr: x\n", line: 3, column: 3,
      message: "unknown key 'usr' in 'ssh' (did you mean 'user'?); expected one of: user,"),
    .init(
      name: "bad host key policy", text: "stages: [a]\nssh:\n  host_key_checking: no\n",
      line: 3, column: 22,
      message: "expected one of strict, accept-new, off for 'host_key_checking', found 'no'"),
    .init(
      name: "bad transport", text: "stages: [a]\nssh: {transport: ssh}\n", line: 2, column: 18,
      message: "expected one of libssh2, openssh, auto for 'transport', found 'ssh'"),
    .init(
      name: "bad connect timeout", text: "stages: [a]\nssh:\n  connect_timeout: soon\n",
      line: 3, column: 20,
      message:
        "expected 'connect_timeout' (seconds, or a duration such as 90s, 5m, 2h, 1d or 1h30m), found 'soon'"
    ),
    .init(
      name: "zero forks", text: "stages: [a]\nssh:\n  forks: 0\n", line: 3, column: 10,
      message: "expected a number of hosts (1 or more) for 'forks', found '0'"),
    .init(
      name: "known_hosts is a mapping", text: "stages: [a]\nssh:\n  known_hosts: {a: b}\n",
      line: 3, column: 16, message: "expected a known_hosts file or a list of them"),
    .init(
      name: "ledger under another user's home", text: "stages: [a]\nledger: ~bob/ledger\n",
      line: 2, column: 9, message: "only '~/' (your own home) is expanded"),
    .init(
      name: "apps is a list", text: "stages: [a]\napps: [web]\n", line: 2, column: 7,
      message: "expected 'apps' to be a mapping of app names to their settings, found a list"),
    .init(
      name: "bad app name", text: "stages: [a]\napps:\n  -web: {kind: git}\n", line: 3,
      column: 3, message: "invalid app name '-web'"),
    .init(
      name: "app name with a space", text: "stages: [a]\napps:\n  my app: {kind: git}\n",
      line: 3, column: 3, message: "invalid app name 'my app'"),
    .init(
      name: "app is a string", text: "stages: [a]\napps:\n  web: git\n", line: 3, column: 8,
      message: "expected app 'web' to be a mapping, found 'git'"),
    .init(
      name: "missing kind", text: "stages: [a]\napps:\n  web:\n    path: /srv/web\n", line: 3,
      column: 3, message: "app 'web' is missing required key 'kind' (expected 'git' or 'apt')"),
    .init(
      name: "unknown kind", text: "stages: [a]\napps:\n  web: {kind: rpm}\n", line: 3,
      column: 15,
      message: "unknown kind 'rpm' for app 'web'; expected one of: git, apt"
    ),
    .init(
      name: "bad package name", text: "stages: [a]\napps:\n  web: {kind: apt, package: Web_1}\n",
      line: 3, column: 29, message: "'Web_1' is not a Debian package name"
    ),
    .init(
      name: "missing repository", text: "stages: [a]\napps:\n  web:\n    kind: git\n", line: 3,
      column: 3,
      message:
        "app 'web' is missing required key 'repository' (the git URL or path the hosts clone)"
    ),
    .init(
      name: "missing path",
      text: "stages: [a]\napps:\n  web:\n    kind: git\n    repository: /r.git\n", line: 3,
      column: 3, message: "app 'web' is missing required key 'path'"),
    .init(
      name: "missing build",
      text: "stages: [a]\napps:\n  web:\n    kind: git\n    repository: /r.git\n    path: /srv/w\n",
      line: 3, column: 3,
      message:
        "app 'web' is missing required key 'build' (what to run on the host: 'steps' or an ECHR-OD 'workflow')"
    ),
    .init(
      name: "misspelt app key", text: app(extra: "reposiotry: x"), line: 9, column: 5,
      message:
        "unknown key 'reposiotry' in app 'web' (did you mean 'repository'?); expected one of: kind, repository, ref, path, checkout, build_folder, build_name, stages, build"
    ),
    .init(
      name: "repository starting with a dash",
      text: app(extra: "").replacing(
        "/srv/git/web.git", with: "--upload-pack=evil"), line: 5, column: 17,
      message: "invalid repository '--upload-pack=evil'"),
    .init(
      name: "unsafe ref", text: app(extra: "ref: main; rm -rf /"), line: 9, column: 10,
      message: "invalid git ref 'main; rm -rf /': git refs cannot contain ' '"),
    .init(
      name: "empty ref", text: app(extra: "ref:"), line: 9, column: 9,
      message: "expected a branch, tag or commit for 'ref', found nothing"),
    .init(
      name: "relative path", text: app().replacing("path: /srv/web", with: "path: srv/web"),
      line: 6, column: 11,
      message: "expected an absolute path on the host (starting with '/'), found 'srv/web'"),
    .init(
      name: "path is a list", text: app().replacing("path: /srv/web", with: "path: [/srv]"),
      line: 6, column: 11, message: "expected an absolute path on the host for 'path', found a list"
    ),
    .init(
      name: "bad checkout template", text: app(extra: "checkout: /srv/{{ x | y }}"), line: 9,
      column: 15, message: "filters and expressions are not supported in paths"),
    .init(
      name: "build name with a slash", text: app(extra: "build_name: a/b"), line: 9, column: 17,
      message: "expected a folder name (no '/') for 'build_name', found 'a/b'"),
    .init(
      name: "app stage not in the project", text: app(extra: "stages: [test, staging]"),
      line: 9, column: 20,
      message: "stage 'staging' of app 'web' is not one of the project's stages: test, prod"),
    .init(
      name: "app stage twice", text: app(extra: "stages: [prod, prod]"), line: 9, column: 20,
      message: "stage 'prod' is listed twice for app 'web'"),
    .init(
      name: "app stages is a string", text: app(extra: "stages: prod"), line: 9, column: 13,
      message: "expected a list of stage names, found 'prod'"),
    .init(
      name: "build without steps or workflow", text: app(build: "build: {timeout: 1h}"), line: 7,
      column: 12,
      message:
        "the build of app 'web' needs 'steps' (commands to run) or 'workflow' (an ECHR-OD workflow in the repository)"
    ),
    .init(
      name: "build with both", text: app(build: "build:\n      steps: [make]\n      workflow: db"),
      line: 9, column: 7,
      message: "the build of app 'web' has both 'steps' and 'workflow'; keep one"),
    .init(
      name: "build is a list", text: app(build: "build: [make]"), line: 7, column: 12,
      message: "expected the build of app 'web' to be a mapping, found a list"),
    .init(
      name: "unknown build key", text: app(build: "build:\n      step: [make]"), line: 8,
      column: 7,
      message:
        "unknown key 'step' in the build of app 'web' (did you mean 'steps'?); expected one of: steps, workflow, workflows_dir, timeout, env"
    ),
    .init(
      name: "no steps", text: app(build: "build: {steps: []}"), line: 7, column: 20,
      message: "expected at least one step for app 'web'"),
    .init(
      name: "steps is a string", text: app(build: "build: {steps: make}"), line: 7, column: 20,
      message: "expected a list of steps for 'steps', found 'make'"),
    .init(
      name: "step without run", text: app(build: "build:\n      steps:\n        - name: x"),
      line: 9, column: 11,
      message: "step 1 of app 'web' is missing required key 'run' (the command to run)"),
    .init(
      name: "unknown step key",
      text: app(build: "build:\n      steps:\n        - {name: x, cmd: make}"), line: 9,
      column: 21, message: "unknown key 'cmd' in step 1 of app 'web'; expected one of: name, run"),
    .init(
      name: "step is a list", text: app(build: "build:\n      steps:\n        - [make]"), line: 9,
      column: 11,
      message: "expected a command, or a mapping with 'name' and 'run', found a list"),
    .init(
      name: "empty step command",
      text: app(build: "build:\n      steps:\n        - {name: x, run: '  '}"), line: 9,
      column: 26, message: "expected a shell command, found '  '"),
    .init(
      name: "step name with a tab",
      text: app(build: "build:\n      steps:\n        - {name: \"a\\tb\", run: make}"), line: 9,
      column: 18, message: "expected a step name: printable text on one line, without tabs"),
    .init(
      name: "step name too long",
      text: app(
        build:
          "build:\n      steps:\n        - {name: \(String(repeating: "n", count: 81)), run: make}"),
      line: 9, column: 18, message: "at most 80 characters"),
    .init(
      name: "step name used twice",
      text: app(
        build: "build:\n      steps:\n        - {name: db, run: a}\n        - {name: db, run: b}"),
      line: 10, column: 18,
      message: "step name 'db' is already used by step 1; step names must be unique"),
    .init(
      name: "workflows_dir with steps",
      text: app(build: "build:\n      steps: [make]\n      workflows_dir: wf"), line: 9, column: 7,
      message: "'workflows_dir' only applies with 'workflow', not with 'steps'"),
    .init(
      name: "workflow name with a slash", text: app(build: "build: {workflow: ../x}"), line: 7,
      column: 23,
      message: "expected a workflow name (its file name in the workflows folder, without .yml)"),
    .init(
      name: "workflows_dir escaping the checkout",
      text: app(build: "build: {workflow: db, workflows_dir: ../wf}"), line: 7, column: 42,
      message: "expected a folder relative to the checkout for 'workflows_dir' (no '..')"),
    .init(
      name: "bad timeout", text: app(build: "build: {steps: [make], timeout: forever}"), line: 7,
      column: 37, message: "expected 'timeout' (seconds, or a duration such as 90s"),
    .init(
      name: "env is a list", text: app(build: "build: {steps: [make], env: [A=1]}"), line: 7,
      column: 33,
      message: "expected 'env' to be a mapping of variable names to values, found a list"),
    .init(
      name: "bad env name", text: app(build: "build:\n      steps: [make]\n      env: {1A: x}"),
      line: 9, column: 13,
      message: "invalid environment variable name '1A': use letters, digits and '_'"),
    .init(
      name: "env name with a dash",
      text: app(build: "build:\n      steps: [make]\n      env:\n        MAX-DOCS: 1"),
      line: 10, column: 9, message: "invalid environment variable name 'MAX-DOCS'"),
    .init(
      name: "env value is a mapping",
      text: app(build: "build:\n      steps: [make]\n      env:\n        A: {b: c}"), line: 10,
      column: 12,
      message: "expected a value (a string or a number; \"\" for empty) for A, found a mapping"),
    .init(
      name: "null env value",
      text: app(build: "build:\n      steps: [make]\n      env:\n        A:"), line: 10,
      column: 11, message: "for A, found nothing"),
    .init(
      name: "duplicate app", text: "stages: [a]\napps:\n  web: {}\n  web: {}\n", line: 3,
      column: 3, message: "duplicate key 'web' in the same mapping"),
  ]

  @Test(arguments: cases)
  func reportsLocationAndMessage(_ malformed: MalformedProjectFile) {
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try ProjectFile.parse(malformed.text, path: "deploy.yml")
    }
    guard let error else {
      Issue.record("expected a configuration error")
      return
    }
    #expect(error.location.file == "deploy.yml")
    #expect(error.location.line == malformed.line, "\(error.location): \(error.message)")
    #expect(error.location.column == malformed.column, "\(error.location): \(error.message)")
    #expect(error.message.contains(malformed.message), "\(error.message)")
  }

  @Test func validateNamesTheStageThatIsNotAGroup() throws {
    let project = try ProjectFile.parse(
      "stages: [test, staging]\napps: {}\n", path: "deploy.yml")
    let inventory = try iniInventory("[test]\nh1\n[prod]\nh2\n")
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      try project.validate(against: inventory)
    }
    #expect(error?.location == SourceLocation(file: "deploy.yml", line: 1, column: 16))
    #expect(
      error?.message
        == "stage 'staging' is not a group in the inventory; its groups are: prod, test")
  }

  @Test func validateRendersPathsForTheHostsOfTheAppsStages() throws {
    let text = """
      stages: [test, prod]
      apps:
        web:
          kind: git
          repository: /r.git
          path: /srv/{{ site }}/web
          stages: [test]
          build: {steps: [make]}
      """
    let project = try ProjectFile.parse(text, path: "deploy.yml")
    // Only test hosts need `site`: prod hosts are not deployed to.
    try project.validate(against: try iniInventory("[test]\nh1 site=a\n[prod]\nh2\n"))
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      try project.validate(against: try iniInventory("[test]\nh1 site=a\nh3\n[prod]\nh2\n"))
    }
    #expect(error?.location == SourceLocation(file: "deploy.yml", line: 6, column: 11))
    #expect(error?.message.contains("variable 'site', which host 'h3' does not have") == true)
  }
}
