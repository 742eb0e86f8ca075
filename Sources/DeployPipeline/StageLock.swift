import DeployLedger
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// Taking and giving back the deploy lock on one host, for every kind of deployment: waits up
/// to `wait` seconds for someone else's lock (saying once whose), then fails naming the holder.
enum StageLock {
  static func acquire(
    host: DeployHost, connection: any SSHConnection, owner: LockOwner, wait: Double,
    heldLocks: HeldLocks, events: any DeployEventSink, announce: Bool = true
  ) throws(HostFailure) {
    let deadline = MonotonicClock.now + wait
    var announced = !announce
    let command: ShellScript
    do {
      command = try LockCommands.acquire(host.layout, owner: owner)
    } catch {
      throw .configuration(error)
    }
    while true {
      guard heldLocks.beginTaking() else {
        throw .notStarted(reason: "interrupted before its lock was taken")
      }
      let output: CapturedOutput
      do {
        output = try connection.capture(RemoteCommand(command, timeout: 30))
      } catch {
        heldLocks.endTaking(nil)
        throw .ssh(error)
      }
      let state = output.result.succeeded ? LockCommands.parse(output.stdoutText) : nil
      heldLocks.endTaking(
        state == .acquired
          ? .init(target: host.target, layout: host.layout, token: owner.token) : nil)
      guard let state else {
        throw .command(
          what: "taking the deploy lock in \(host.layout.stateFolder)", result: output.result,
          stderr: output.stderrText)
      }
      switch state {
      case .acquired:
        events.handle(.locked(host: host.name))
        return
      case .held(let holder), .refused(let holder), .removed(let holder):
        if MonotonicClock.now >= deadline { throw .lockHeld(holder) }
        if !announced {
          events.handle(.waitingForLock(host: host.name, holder: holder))
          announced = true
        }
        Thread.sleep(forTimeInterval: min(1, max(0.05, deadline - MonotonicClock.now)))
      case .free:
        continue
      }
    }
  }

  /// Gives the lock back if `token` took it; a failure here leaves a lock that reads as left
  /// over, which `deploy unlock --force` clears.
  /// Returns false when the command could not be run (the connection is broken).
  @discardableResult
  static func release(
    host: DeployHost, connection: any SSHConnection, token: String, heldLocks: HeldLocks
  ) -> Bool {
    guard let command = try? LockCommands.release(host.layout, token: token),
      (try? connection.capture(RemoteCommand(command, timeout: 30))) != nil
    else { return false }
    heldLocks.remove(target: host.target, layout: host.layout)
    return true
  }
}

/// Appending to a host's deployment journal.
enum HostJournal {
  /// One `printf` per call, so each line lands whole (journal readers skip a torn line).
  static func append(
    _ entries: [JournalEntry], layout: HostLayout, on connection: any SSHConnection
  ) {
    guard !entries.isEmpty else { return }
    let script = JournalCommands.append(entries.map(\.jsonLine), layout: layout)
    _ = try? connection.capture(RemoteCommand(script, timeout: 30))
  }
}
