import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySupport

extension Integration {
  /// ECHR-OD workflows read from the checked-out repository on the host.
  @Suite(.serialized)
  struct WorkflowDeployTests {
    static let workflowBuild = """
            workflow: database
            env: {MAX_DOCUMENTS: "100"}
      """

    /// Adds ECHR-OD workflow files to the fixture's repository as tag `v3`.
    private func commitWorkflows(_ app: GitAppFixture, fetchAction: String) throws {
      let work = app.directory + "/work"
      try sh(
        """
        set -e
        cd \(work)
        mkdir -p workflows/actions
        cat > workflows/database.yml <<'YML'
        steps:
          - run: prepare
            type: workflow
          - run: fetch
            type: action
          - run: setup
            type: action
        YML
        cat > workflows/prepare.yml <<'YML'
        steps:
          - run: setup
            type: action
        YML
        cat > workflows/actions/setup.yml <<'YML'
        title: Set up
        description: Records that it ran.
        run: echo setup >> "$DEPLOY_BUILD_DIR/trace"
        YML
        cat > workflows/actions/fetch.yml <<'YML'
        \(fetchAction)
        YML
        git add workflows && git commit -q -m workflows && git tag v3
        git push -q \(app.repository) main v3
        """)
    }

    @Test func aWorkflowRunsItsActionsOnceWithTheirArguments() throws {
      let app = try GitAppFixture(steps: Self.workflowBuild)
      defer { app.remove() }
      try commitWorkflows(
        app,
        fetchAction: """
          title: Fetch documents
          description: Shows the arguments it got.
          run: sh -c 'echo "fetch $*" >> "$DEPLOY_BUILD_DIR/trace"' fetch
          args:
            max: $MAX_DOCUMENTS
            label: "a b; touch pwned"
          """)
      let result = try app.deploy(["demo-app", "test", "v3", "-l", "host01"])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("step 2/2 fetch: ok"), "\(result.stdout)")
      let runID = try #require(result.stdout.firstMatch(of: /\d{8}T\d{6}Z-[0-9a-f]{6}/)?.output)
      let build = app.buildFolder(1) + "/\(runID)"
      // `setup` appears twice in the workflows but runs once, as in ECHR-OD's own runner.
      #expect(app.read(build + "/trace") == "setup\nfetch --max 100 --label a b; touch pwned\n")
      #expect(!app.exists(app.root(1) + "/repo/pwned"))
      #expect(app.read(app.buildFolder(1) + "/.build_history")?.hasSuffix("::database\n") == true)
      #expect(app.read(build + "/build_info.yml")?.contains("workflow: 'database'") == true)
    }

    @Test func aMissingActionIsAnErrorWithItsLocationOnTheHost() throws {
      let app = try GitAppFixture(steps: Self.workflowBuild)
      defer { app.remove() }
      try commitWorkflows(app, fetchAction: "title: Fetch\nrun: true")
      try sh(
        "cd \(app.directory)/work && git rm -q workflows/actions/setup.yml && git commit -q -m broken && git tag v4 && git push -q \(app.repository) main v4"
      )
      let result = try app.deploy(["demo-app", "test", "v4", "-l", "host01"])
      #expect(result.status == ExitStatus.usage.rawValue, "\(result.stdout)\(result.stderr)")
      let output = result.stdout + result.stderr
      #expect(output.contains("host01:\(app.root(1))/repo/workflows/"), "\(output)")
      #expect(output.contains("setup"))
      #expect(!app.exists(app.buildFolder(1) + "/.lock"))
      #expect(!app.exists(app.root(1) + "/.deploy/lock"), "the lock was given back")
    }
  }
}
