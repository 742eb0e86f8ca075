import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeploySSH
@testable import DeploySupport
@testable import HostScripts
@testable import HostShell

/// Runs the lock scripts with /bin/sh against a temporary app folder and checks the lock folder
/// they leave behind.
@Suite struct LockCommandsTests {
  let host: HostSandbox

  init() throws {
    host = try HostSandbox()
  }

  private var lock: String { host.layout.lockFolder }

  private func owner(
    token: String = "20261124T130607Z-3fa9c2", message: String? = nil
  ) -> LockOwner {
    LockOwner(
      token: token, user: "alice", origin: "laptop.example.com", app: "demo-app",
      stage: "production", version: message == nil ? "v1.2.3" : nil,
      runID: message == nil ? token : nil, since: 1_795_525_567, message: message)
  }

  private func run(_ script: ShellScript) throws -> (output: String, state: LockState?) {
    let result = try host.sh(script)
    #expect(result.status == 0, "\(result.stderr)")
    return (result.stdout, LockCommands.parse(result.stdout))
  }

  /// A copy of sh named `sshd`, so that `ssh_session_pid` finds an SSH session among the script's
  /// ancestors, as on a real host. Runs each script in turn as a child of that "session".
  private func runInFakeSSHSession(_ scripts: [ShellScript]) throws -> String {
    let sshd = host.base + "/sshd"
    if !host.exists(sshd) {
      // A symbolic link, not a copy: the process's name comes from the path it was started by,
      // and a copy just written may still be open for writing in a child another test thread is
      // forking, which makes running it fail with "Text file busy".
      let shell = URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path
      try FileManager.default.createSymbolicLink(atPath: sshd, withDestinationPath: shell)
    }
    // Several commands, so that the shell cannot exec the last one and leave the session.
    let body = scripts.indices.map { "sh -c \"$\($0 + 1)\"" }.joined(separator: "; ") + "; exit 0"
    let result = try ChildProcess.capture(
      [sshd, "-c", body, "sshd"] + scripts.map(\.text), timeout: 20)
    #expect(result.exit.status == 0, "\(result.stderr)")
    return result.stdout
  }

  @Test func acquireTakesAFreeLockAndWritesItsFiles() throws {
    let mine = owner()
    let (output, state) = try run(try LockCommands.acquire(host.layout, owner: mine))
    #expect(output == "acquired\n")
    #expect(state == .acquired)
    #expect(host.read(lock + "/token") == mine.token + "\n")
    let json = try #require(host.read(lock + "/owner.json"))
    #expect(LockOwner(jsonLine: json.trimmingCharacters(in: .newlines)) == mine)
    // No SSH session among the ancestors here: the lock records none (its liveness is unknown)
    // rather than a session that looks dead while its run is alive.
    #expect(!host.exists(lock + "/session"))
    // Nothing is left beside the lock.
    let state2 = try FileManager.default.contentsOfDirectory(atPath: host.layout.stateFolder)
    #expect(state2 == ["lock"])
  }

  @Test func aSecondAcquireSeesTheHolder() throws {
    let mine = owner()
    #expect(try run(try LockCommands.acquire(host.layout, owner: mine)).state == .acquired)
    let before = Timestamp.now
    let other = owner(token: "20261124T140000Z-000001")
    let (output, state) = try run(try LockCommands.acquire(host.layout, owner: other))
    #expect(output.hasPrefix("held\n"))
    guard case .held(let holder)? = state else {
      Issue.record("expected held, got \(String(describing: state))")
      return
    }
    #expect(holder.owner == mine)
    #expect(holder.sessionAlive == nil)
    #expect(holder.hostNow >= before && holder.hostNow <= Timestamp.now)
    #expect(holder.age == holder.hostNow - mine.since)
    // The loser's staging folder is gone, the winner's lock untouched.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: host.layout.stateFolder) == ["lock"])
    #expect(host.read(lock + "/token") == mine.token + "\n")
    guard case .held(let inspected)? = try run(LockCommands.inspect(host.layout)).state else {
      Issue.record("inspect: expected held")
      return
    }
    #expect(inspected.owner == mine)
  }

  @Test func theSessionThatTookTheLockIsAliveUntilItEnds() throws {
    let mine = owner()
    let inside = try runInFakeSSHSession([
      try LockCommands.acquire(host.layout, owner: mine), LockCommands.inspect(host.layout),
    ])
    #expect(inside.hasPrefix("acquired\nheld\n"))
    guard case .held(let live)? = LockCommands.parse(String(inside.dropFirst(9))) else {
      Issue.record("no holder in \(inside)")
      return
    }
    #expect(live.owner == mine)
    #expect(live.sessionAlive == true)
    let session = try #require(host.read(lock + "/session"))
    let fields = session.split(separator: " ")
    #expect(fields.count == 3 && fields.allSatisfy { !$0.isEmpty }, "\(session)")

    // The fake sshd has exited: its session is gone, so the lock is left over.
    guard case .held(let gone)? = try run(LockCommands.inspect(host.layout)).state else {
      Issue.record("expected held")
      return
    }
    #expect(gone.owner == mine)
    #expect(gone.sessionAlive == false)
    #expect(gone.describe(app: "demo-app", stage: "production").contains("--force"))
  }

  @Test func concurrentAcquiresHaveExactlyOneWinner() throws {
    let scripts = try (0..<8).map { index in
      try LockCommands.acquire(host.layout, owner: owner(token: "racer-\(index)"))
    }
    for (index, script) in scripts.enumerated() {
      try host.write(host.base + "/acquire\(index).sh", script.text)
    }
    let output = try host.sh(
      "cd \(ShellQuote.word(host.base)) && for i in 0 1 2 3 4 5 6 7; do sh acquire$i.sh > out$i &"
        + " done; wait; cat out0 out1 out2 out3 out4 out5 out6 out7")
    let answers = output.lines.filter { ["acquired", "held"].contains($0) }
    #expect(answers.count == 8)
    #expect(answers.filter { $0 == "acquired" }.count == 1)
    let token = try #require(host.read(lock + "/token"))
    #expect(token.hasPrefix("racer-"))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: host.layout.stateFolder) == ["lock"])
  }

  @Test func releaseNeedsTheToken() throws {
    let mine = owner()
    _ = try run(try LockCommands.acquire(host.layout, owner: mine))
    #expect(
      try run(try LockCommands.release(host.layout, token: "someone-else")).output
        == "not-held\n")
    #expect(host.read(lock + "/token") == mine.token + "\n")
    #expect(
      try run(try LockCommands.release(host.layout, token: mine.token)).output
        == "released\n")
    #expect(!host.exists(lock))
    #expect(try FileManager.default.contentsOfDirectory(atPath: host.layout.stateFolder) == [])
    // Releasing again is harmless.
    #expect(
      try run(try LockCommands.release(host.layout, token: mine.token)).output
        == "not-held\n")
    #expect(try run(LockCommands.inspect(host.layout)).state == .free)
  }

  @Test func inspectOnAFreeLock() throws {
    #expect(try run(LockCommands.inspect(host.layout)).output == "free\n")
    #expect(try run(LockCommands.remove(host.layout, force: false)).state == .free)
    #expect(try run(LockCommands.remove(host.layout, force: true)).state == .free)
  }

  @Test func unlockWithoutForceRefusesARunsLock() throws {
    let mine = owner()
    _ = try run(try LockCommands.acquire(host.layout, owner: mine))
    let (output, state) = try run(LockCommands.remove(host.layout, force: false))
    guard case .refused(let holder)? = state else {
      Issue.record("expected refused, got \(output)")
      return
    }
    #expect(holder.owner == mine)
    #expect(holder.hostNow > 0 && output.contains("\nnow "))
    #expect(host.read(lock + "/token") == mine.token + "\n")
  }

  @Test func unlockWithoutForceRemovesAManualLock() throws {
    let manual = owner(token: "manual-5c1e", message: "hold on: migrating the DB")
    #expect(manual.isManual)
    let (taken, _) = try run(try LockCommands.acquire(host.layout, owner: manual))
    #expect(taken == "acquired\n")
    // Manual locks belong to no session.
    #expect(!host.exists(lock + "/session"))
    let (output, state) = try run(LockCommands.remove(host.layout, force: false))
    guard case .removed(let holder)? = state else {
      Issue.record("expected removed, got \(output)")
      return
    }
    #expect(holder.owner == manual)
    #expect(!host.exists(lock))
    #expect(try FileManager.default.contentsOfDirectory(atPath: host.layout.stateFolder) == [])
  }

  @Test func unlockWithForceRemovesAnyLockAndNamesItsOwner() throws {
    let mine = owner()
    _ = try run(try LockCommands.acquire(host.layout, owner: mine))
    let (output, state) = try run(LockCommands.remove(host.layout, force: true))
    guard case .removed(let holder)? = state else {
      Issue.record("expected removed, got \(output)")
      return
    }
    #expect(holder.owner == mine)
    #expect(!host.exists(lock))
    #expect(try FileManager.default.contentsOfDirectory(atPath: host.layout.stateFolder) == [])
    // Now free: a new acquire works.
    #expect(try run(try LockCommands.acquire(host.layout, owner: mine)).state == .acquired)
  }

  @Test(arguments: [
    "it's \"quoted\"", "$(touch PWNED)", "`touch PWNED`", "a; touch PWNED", "line\nbreak",
    "tab\tand  spaces ", "ünïcødé 🚀 日本語", "back\\slash %s %n", "-n", "'", "",
  ])
  func ownerFieldsRoundTripExactly(_ text: String) throws {
    let hostile = LockOwner(
      token: "manual-hostile", user: text, origin: "origin " + text,
      app: text, stage: text, version: text, runID: text, since: 1_795_525_567,
      message: text)
    _ = try run(try LockCommands.acquire(host.layout, owner: hostile))
    let state = try run(LockCommands.inspect(host.layout)).state
    guard case .held(let holder)? = state else {
      Issue.record("expected held, got \(String(describing: state))")
      return
    }
    #expect(holder.owner == hostile)
    let removed = try run(LockCommands.remove(host.layout, force: false)).state
    guard case .removed(let former)? = removed else {
      Issue.record("expected removed, got \(String(describing: removed))")
      return
    }
    #expect(former.owner == hostile)
    // Nothing in the values ran.
    #expect(!host.exists(host.base + "/PWNED"))
    #expect(!host.exists(host.layout.root + "/PWNED"))
    #expect(!FileManager.default.fileExists(atPath: "PWNED"))
  }

  @Test(arguments: [
    "", "a b", "../x", "a;b", "$(id)", "a/b", "tök", "a.b", "line\nbreak",
    String(repeating: "a", count: 65),
  ])
  func unsafeTokensAreRejected(_ token: String) {
    #expect(throws: DeployError.self) {
      try LockCommands.acquire(host.layout, owner: owner(token: token))
    }
    #expect(throws: DeployError.self) { try LockCommands.release(host.layout, token: token) }
  }

  @Test func safeTokensAreAccepted() throws {
    for token in ["manual-abc", "20261124T130607Z-3fa9c2", String(repeating: "A", count: 64)] {
      _ = try LockCommands.acquire(host.layout, owner: owner(token: token))
      _ = try LockCommands.release(host.layout, token: token)
    }
  }

  @Test func parseReadsWhatTheScriptsPrint() {
    #expect(LockCommands.parse("") == nil)
    #expect(LockCommands.parse("bogus\n") == nil)
    #expect(LockCommands.parse("acquired\n") == .acquired)
    #expect(LockCommands.parse("free\n") == .free)
    // An unreadable owner file: a holder without owner.
    guard case .held(let holder)? = LockCommands.parse("held\nowner \nalive unknown\nnow 100\n")
    else {
      Issue.record("expected held")
      return
    }
    #expect(holder.owner == nil && holder.sessionAlive == nil && holder.hostNow == 100)
    #expect(holder.age == nil)
    #expect(
      holder.describe(app: "demo", stage: "prod")
        == "demo prod is locked, but the lock's owner file is unreadable")
  }

  @Test func describeNamesTheOwnerAndWhatToDo() {
    let run = owner()
    let left = LockHolder(owner: run, sessionAlive: false, hostNow: run.since + 3 * 3600 + 300)
    let text = left.describe(app: "demo-app", stage: "production")
    #expect(text.contains("alice"))
    #expect(text.contains("laptop.example.com"))
    #expect(text.contains(Timestamp.utc(run.since)))
    #expect(text.contains("(3h05m ago)"))
    #expect(text.contains("deploying demo-app production v1.2.3, run \(run.token)"))
    #expect(text.contains("`deploy unlock demo-app production --force`"))

    let live = LockHolder(owner: run, sessionAlive: true, hostNow: run.since + 45)
    let liveText = live.describe(app: "demo-app", stage: "production")
    #expect(liveText.contains("(45s ago)") && liveText.contains("its SSH session is still open"))
    #expect(!liveText.contains("--force"))

    let manual = owner(token: "manual-1", message: "DB migration")
    let held = LockHolder(owner: manual, sessionAlive: nil, hostNow: manual.since - 10)
    let manualText = held.describe(app: "demo-app", stage: "production")
    #expect(manualText.contains(": \"DB migration\""))
    // A host clock behind the controller's: no negative age.
    #expect(manualText.contains("(0s ago)"))
    #expect(!manualText.contains("--force") && !manualText.contains("deploying"))
  }
}
