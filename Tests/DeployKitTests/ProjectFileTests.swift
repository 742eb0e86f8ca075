import Foundation
import Testing

@testable import DeployConfig
@testable import DeployInventory
@testable import DeploySupport

@Suite("Project file")
struct ProjectFileTests {
  static let minimal = """
    stages: [test, prod]
    apps:
      web:
        kind: git
        repository: git@example.org:web.git
        path: /srv/web
        build:
          steps: [make]
    """

  @Test func theExampleFileLoadsAndMatchesTheExampleInventory() throws {
    let root = InventoryTestKit.repositoryRoot
    let project = try ProjectFile.load(path: root + "/deploy.example.yml")
    #expect(project.path == root + "/deploy.example.yml")
    #expect(project.directory == root)
    #expect(project.inventoryPath == root + "/inventory/example.ini")
    #expect(project.stages == ["test", "prod"])
    #expect(project.ssh.user == "deploy")
    #expect(project.ssh.hostKeyChecking == .strict)
    #expect(project.ssh.transport == .auto)
    #expect(project.ssh.connectTimeout == 10)
    #expect(project.ssh.configFile == NSHomeDirectory() + "/.ssh/config")
    #expect(project.ssh.knownHostsFiles == [NSHomeDirectory() + "/.ssh/known_hosts"])
    #expect(project.ssh.forks == 64)
    #expect(project.ledgerPath == NSHomeDirectory() + "/.local/state/deploy/ledger.sqlite")
    #expect(project.apps.map(\.name) == ["demo-app", "echr-database"])

    let demo = try #require(project.app(named: "demo-app"))
    #expect(demo.stages == ["test"])
    #expect(demo.location.line == 34)
    #expect(demo.location.column == 3)
    guard case .git(let git) = demo.kind else { return }
    #expect(git.repository == "https://github.com/example/demo-app.git")
    #expect(git.ref == "main")
    #expect(git.path.text == "/srv/demo-app")
    #expect(git.checkout.text == "/srv/demo-app/repo")
    #expect(git.buildFolder.text == "/srv/demo-app/build")
    #expect(git.buildName == "demo_database")
    #expect(git.buildTimeout == 72.0 * 3600)
    #expect(git.environment == BuildEnvironment([.init(name: "MAX_DOCUMENTS", value: "100")]))
    guard case .steps(let steps) = git.build else {
      Issue.record("expected steps, got \(git.build)")
      return
    }
    #expect(steps.map(\.name) == ["make deps", "database"])
    #expect(steps.map(\.command) == ["make deps", "./build.sh --all"])

    let echr = try #require(project.app(named: "echr-database"))
    #expect(echr.stages == nil)
    #expect(echr.stages(in: project) == ["test", "prod"])
    guard case .git(let echrGit) = echr.kind,
      case .workflow(let name, let directory, let location) = echrGit.build
    else {
      Issue.record("expected a workflow build")
      return
    }
    #expect(name == "release")
    #expect(directory == "workflows")
    #expect(location.file == root + "/deploy.example.yml")
    #expect(echrGit.checkout.text == "/srv/{{ app_env }}/echr-od/repo")
    #expect(echrGit.buildTimeout == 3.0 * 86400)

    let inventory = try Inventory.load(path: try #require(project.inventoryPath))
    try project.validate(against: inventory)
    let host = try #require(inventory.host(named: "db02.example.org"))
    #expect(
      try echrGit.buildFolder.render(hostname: host.name, vars: host.vars)
        == "/srv/prod/echr-od/build")
  }

  @Test func defaultsAndRelativePaths() throws {
    let project = try ProjectFile.parse(
      Self.minimal + "\ninventory: ../inv/hosts.yml\nledger: state/ledger.db\n",
      path: "/work/proj/deploy.yml")
    #expect(project.directory == "/work/proj")
    #expect(project.inventoryPath == "/work/inv/hosts.yml")
    #expect(project.ledgerPath == "/work/proj/state/ledger.db")
    #expect(project.ssh == ProjectSSHSettings())
    let app = try #require(project.app(named: "web"))
    #expect(app.stages == nil)
    guard case .git(let git) = app.kind else { return }
    #expect(git.ref == "main")
    #expect(git.checkout.text == "/srv/web/repo")
    #expect(git.buildFolder.text == "/srv/web/build")
    #expect(git.checkout.location == git.path.location)
    #expect(git.buildName == nil)
    #expect(git.buildTimeout == nil)
    #expect(git.environment.isEmpty)
    #expect(project.app(named: "nope") == nil)
  }

  @Test func aRelativePathIsMadeAbsoluteButErrorsUseItAsGiven() throws {
    let project = try ProjectFile.parse(Self.minimal, path: "sub/deploy.yml")
    let cwd = FileManager.default.currentDirectoryPath
    #expect(project.path == cwd + "/sub/deploy.yml")
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try ProjectFile.parse("stages: [a]\nbogus: 1\n", path: "sub/deploy.yml")
    }
    #expect(error?.location.description == "sub/deploy.yml:2:1")
  }

  @Test func stepsTakeNamesFromTheirCommandsAndStayUnique() throws {
    let long = String(repeating: "word ", count: 30)
    let project = try ProjectFile.parse(
      """
      stages: [test]
      apps:
        web:
          kind: git
          repository: /srv/git/web.git
          path: /srv/web
          build:
            steps:
              - make
              - make
              - |
                ./configure --prefix=/usr
                make install
              - \(long)
              - name: '  spaced name  '
                run: echo hi
      """, path: "deploy.yml")
    guard case .git(let git) = project.apps[0].kind, case .steps(let steps) = git.build else {
      Issue.record("expected steps")
      return
    }
    #expect(steps.map(\.name).prefix(3) == ["make", "make (2)", "./configure --prefix=/usr"])
    #expect(steps[3].name.count <= 80)
    #expect(steps[3].name.hasPrefix("word word"))
    #expect(!steps[3].name.hasSuffix(" "))
    #expect(steps[4].name == "spaced name")
    #expect(steps[2].command == "./configure --prefix=/usr\nmake install\n")
    #expect(steps[0].location == SourceLocation(file: "deploy.yml", line: 9, column: 11))
  }

  @Test func sharedSettingsThroughYAMLMergeKeys() throws {
    let project = try ProjectFile.parse(
      """
      stages: [test, prod]
      apps:
        a:
          &common
          kind: git
          repository: /srv/git/x.git
          path: /srv/a
          build: {steps: [make]}
        b:
          <<: *common
          path: /srv/b
      """, path: "deploy.yml")
    guard case .git(let b) = try #require(project.app(named: "b")).kind else { return }
    #expect(b.path.text == "/srv/b")
    #expect(b.repository == "/srv/git/x.git")
  }

  @Test func workflowBuildsAndWorkflowsDir() throws {
    let project = try ProjectFile.parse(
      """
      stages: [test]
      apps:
        db:
          kind: git
          repository: /srv/git/db.git
          ref: 1.10
          path: /srv/db
          build:
            workflow: database
            workflows_dir: ./build/workflows/
            env:
              MAX_DOCUMENTS: 100
              DEBUG: yes
              EMPTY: ""
      """, path: "deploy.yml")
    guard case .git(let git) = project.apps[0].kind,
      case .workflow(let name, let directory, let location) = git.build
    else {
      Issue.record("expected a workflow")
      return
    }
    #expect(git.ref == "1.10")
    #expect(name == "database")
    #expect(directory == "build/workflows")
    #expect(location == SourceLocation(file: "deploy.yml", line: 9, column: 17))
    #expect(git.environment["MAX_DOCUMENTS"] == "100")
    #expect(git.environment["DEBUG"] == "yes")
    #expect(git.environment["EMPTY"] == "")
    #expect(git.environment.variables.map(\.name) == ["MAX_DOCUMENTS", "DEBUG", "EMPTY"])
  }

  @Test func sshSettingsAcceptSingleFilesAndDurations() throws {
    let project = try ProjectFile.parse(
      """
      stages: [test]
      ssh:
        host_key_checking: accept-new
        transport: openssh
        connect_timeout: 1m30s
        known_hosts: keys/known_hosts
      """, path: "/p/deploy.yml")
    #expect(project.ssh.hostKeyChecking == .acceptNew)
    #expect(project.ssh.transport == .openssh)
    #expect(project.ssh.connectTimeout == 90)
    #expect(project.ssh.knownHostsFiles == ["/p/keys/known_hosts"])
    #expect(project.apps.isEmpty)
    let off = try ProjectFile.parse("stages: [t]\nssh: {host_key_checking: off}\n", path: "d.yml")
    #expect(off.ssh.hostKeyChecking == .off)
  }

  @Test func discoverWalksUpLikeGit() throws {
    let directory = try InventoryTestKit.Directory()
    let deep = directory.path + "/a/b/c"
    try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
    #expect(ProjectFile.discover(from: deep).map { $0.hasPrefix(directory.path) } != true)

    let top = try directory.write("deploy.yaml", Self.minimal)
    #expect(ProjectFile.discover(from: deep) == top)
    let middle = try directory.write("a/deploy.yml", Self.minimal)
    #expect(ProjectFile.discover(from: deep) == middle)
    // deploy.yml wins over deploy.yaml in the same folder.
    let preferred = try directory.write("deploy.yml", Self.minimal)
    #expect(ProjectFile.discover(from: directory.path) == preferred)
    // A folder named deploy.yml is not a project file.
    try FileManager.default.createDirectory(
      atPath: deep + "/deploy.yml", withIntermediateDirectories: true)
    #expect(ProjectFile.discover(from: deep) == middle)

    let project = try ProjectFile.load(path: try #require(ProjectFile.discover(from: deep)))
    #expect(project.directory == directory.path + "/a")
  }

  @Test func loadReportsAMissingFile() {
    #expect(throws: DeployError.self) {
      try ProjectFile.load(path: "/nonexistent/deploy.yml")
    }
  }
}
