import HostShell
import Testing

@testable import DeployPlay

/// Expected outputs are what Python's `difflib.unified_diff` prints through Ansible's diff
/// callback for the same before/after.
@Suite struct UnifiedDiffTests {
  private func diff(_ before: String, _ after: String, context: Int = 3) -> String {
    UnifiedDiff.render(FileDiff(path: "/etc/f", before: before, after: after), context: context)
  }

  @Test func sameContentIsNoDiff() {
    #expect(diff("a\nb\n", "a\nb\n") == "")
    #expect(diff("", "") == "")
  }

  @Test func oneChangedLine() {
    #expect(
      diff("a\nb\nc\n", "a\nB\nc\n") == """
        --- before: /etc/f
        +++ after: /etc/f
        @@ -1,3 +1,3 @@
         a
        -b
        +B
         c

        """)
  }

  @Test func newAndRemovedFiles() {
    #expect(
      diff("", "x\ny\n") == "--- before: /etc/f\n+++ after: /etc/f\n@@ -0,0 +1,2 @@\n+x\n+y\n")
    #expect(diff("x\n", "") == "--- before: /etc/f\n+++ after: /etc/f\n@@ -1 +0,0 @@\n-x\n")
  }

  @Test func missingFinalNewline() {
    #expect(
      diff("a\nb", "a\nb\n") == """
        --- before: /etc/f
        +++ after: /etc/f
        @@ -1,2 +1,2 @@
         a
        -b
        \\ No newline at end of file
        +b

        """)
  }

  @Test func distantChangesMakeSeparateHunks() {
    let before = (1...20).map { "\($0)\n" }.joined()
    let after = before.replacing("2\n3\n", with: "2\nthree\n").replacing(
      "\n18\n", with: "\neighteen\n")
    #expect(
      diff(before, after) == """
        --- before: /etc/f
        +++ after: /etc/f
        @@ -1,6 +1,6 @@
         1
         2
        -3
        +three
         4
         5
         6
        @@ -15,6 +15,6 @@
         15
         16
         17
        -18
        +eighteen
         19
         20

        """)
    // Closer than twice the context: one hunk.
    #expect(diff(before, after, context: 8).components(separatedBy: "@@ -").count == 2)
  }

  @Test func insertionsAndDeletionsAreMinimal() {
    #expect(
      diff("a\nb\nc\nd\n", "a\nc\nd\ne\n", context: 0) == """
        --- before: /etc/f
        +++ after: /etc/f
        @@ -2 +1,0 @@
        -b
        @@ -4,0 +4 @@
        +e

        """)
    let matches = UnifiedDiff.matches(
      UnifiedDiff.lines("x\na\nb\nc\ny\n"), UnifiedDiff.lines("a\nq\nb\nc\n"))
    #expect(matches.map { [$0.0, $0.1] } == [[1, 0], [2, 2], [3, 3]])
  }

  @Test func largeRewritesStillRender() {
    let before = (0..<3_000).map { "old \($0)\n" }.joined()
    let after = (0..<3_000).map { "new \($0)\n" }.joined()
    let output = diff(before, after)
    #expect(
      output.hasPrefix("--- before: /etc/f\n+++ after: /etc/f\n@@ -1,3000 +1,3000 @@\n-old 0\n"))
  }
}
