import DeployExec
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell
import Synchronization

/// The deploy locks this process holds, so that an interrupt (SIGINT, SIGTERM) can release them
/// before exiting: a run that took a lock is the one that must give it back.
public final class HeldLocks: Sendable {
  public struct Entry: Sendable {
    public var target: SSHTarget
    public var layout: HostLayout
    public var token: String
  }

  private struct State {
    var entries: [String: Entry] = [:]
    /// Lock commands on their way to a host: their locks may appear after an interrupt began
    /// releasing, so `releaseAll` waits for them.
    var inFlight = 0
    var closed = false
  }

  private let state = Mutex(State())

  public init() {}

  private static func key(_ target: SSHTarget, _ layout: HostLayout) -> String {
    target.name + "\u{0}" + layout.lockFolder
  }

  /// Before a command that may take a lock; false once `releaseAll` has begun (then the
  /// command must not be sent).
  func beginTaking() -> Bool {
    state.withLock { state in
      guard !state.closed else { return false }
      state.inFlight += 1
      return true
    }
  }

  /// After it: `entry` when the lock was taken.
  func endTaking(_ entry: Entry?) {
    state.withLock { state in
      if let entry { state.entries[Self.key(entry.target, entry.layout)] = entry }
      state.inFlight -= 1
    }
  }

  func remove(target: SSHTarget, layout: HostLayout) {
    state.withLock { $0.entries[Self.key(target, layout)] = nil }
  }

  public var current: [Entry] {
    state.withLock { Array($0.entries.values) }
  }

  /// Releases every held lock over fresh connections (the ones in use may be blocked in a
  /// command), in parallel, each within `timeout` seconds. Returns the hosts released.
  public func releaseAll(transport: any SSHTransport, timeout: Double = 10) -> [String] {
    state.withLock { $0.closed = true }
    // A lock taken by a command already on its way is released too.
    let deadline = MonotonicClock.now + timeout
    while MonotonicClock.now < deadline, state.withLock({ $0.inFlight }) > 0 {
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
    state.withLock { $0.entries = [:] }
    return released.compactMap { $0 }
  }
}
