import Foundation

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

  public init() {}

  func add(_ entry: Entry) {
    lock.lock()
    entries[entry.target.name + "\u{0}" + entry.layout.lockFolder] = entry
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
    let held = current
    let released = ParallelHosts.map(held, forks: 64) { entry -> String? in
      guard let command = try? LockCommands.release(entry.layout, token: entry.token),
        let connection = try? transport.connect(entry.target)
      else { return nil }
      defer { connection.close() }
      let output = try? connection.capture(
        RemoteCommand(HostScript.sh(command), timeout: timeout))
      return output?.stdoutText.hasPrefix("released") == true ? entry.target.name : nil
    }
    lock.lock()
    entries = [:]
    lock.unlock()
    return released.compactMap { $0 }
  }
}

/// Scripts sent to hosts are POSIX sh; the login shell that sshd runs them with may not be
/// (fish, csh), so each is handed to `sh` explicitly.
public enum HostScript {
  public static func sh(_ script: String) -> String {
    "sh -c " + ShellQuote.word(script)
  }
}
