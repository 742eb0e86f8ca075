import DeployExec
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// The deploy locks this process holds, so that an interrupt (SIGINT, SIGTERM) can release them
/// before exiting: a run that took a lock is the one that must give it back.
public final class HeldLocks: @unchecked Sendable {
  public struct Entry: Sendable {
    public var target: SSHTarget
    public var layout: HostLayout
    public var token: String
  }

  private let lock = NSLock()
  private var entries: [String: Entry] = [:]
  /// Lock commands on their way to a host: their locks may appear after an interrupt began
  /// releasing, so `releaseAll` waits for them.
  private var inFlight = 0
  private var closed = false

  public init() {}

  /// Before a command that may take a lock; false once `releaseAll` has begun (then the
  /// command must not be sent).
  func beginTaking() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { return false }
    inFlight += 1
    return true
  }

  /// After it: `entry` when the lock was taken.
  func endTaking(_ entry: Entry?) {
    lock.lock()
    if let entry { entries[entry.target.name + "\u{0}" + entry.layout.lockFolder] = entry }
    inFlight -= 1
    lock.unlock()
  }

  func remove(target: SSHTarget, layout: HostLayout) {
    lock.lock()
    entries[target.name + "\u{0}" + layout.lockFolder] = nil
    lock.unlock()
  }

  public var current: [Entry] {
    lock.lock()
    defer { lock.unlock() }
    return Array(entries.values)
  }

  /// Releases every held lock over fresh connections (the ones in use may be blocked in a
  /// command), in parallel, each within `timeout` seconds. Returns the hosts released.
  public func releaseAll(transport: any SSHTransport, timeout: Double = 10) -> [String] {
    lock.lock()
    closed = true
    lock.unlock()
    // A lock taken by a command already on its way is released too.
    let deadline = MonotonicClock.now + timeout
    while MonotonicClock.now < deadline {
      lock.lock()
      let waiting = inFlight
      lock.unlock()
      if waiting == 0 { break }
      Thread.sleep(forTimeInterval: 0.02)
    }
    let held = current
    let released = ParallelHosts.map(held, forks: 64) { entry -> String? in
      guard let command = try? LockCommands.release(entry.layout, token: entry.token),
        let connection = try? transport.connect(entry.target)
      else { return nil }
      defer { connection.close() }
      let output = try? connection.capture(
        RemoteCommand(command, timeout: timeout))
      return output?.stdoutText.hasPrefix("released") == true ? entry.target.name : nil
    }
    lock.lock()
    entries = [:]
    lock.unlock()
    return released.compactMap { $0 }
  }
}
