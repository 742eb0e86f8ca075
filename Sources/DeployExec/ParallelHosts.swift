import Foundation
import Synchronization

/// Runs one job per host on dedicated threads, at most `forks` at a time, and returns the results
/// in the hosts' order. Threads rather than Swift tasks: libssh2's calls block, and the
/// concurrency pool has only as many threads as cores (2 here), which would serialize a fleet.
public enum ParallelHosts {
  public static func map<Host: Sendable, Result: Sendable>(
    _ hosts: [Host], forks: Int, _ job: @escaping @Sendable (Host) -> Result
  ) -> [Result] {
    let results = ResultSlots<Result>(count: hosts.count)
    let slots = DispatchSemaphore(value: max(1, forks))
    let done = DispatchGroup()
    for (index, host) in hosts.enumerated() {
      slots.wait()
      done.enter()
      let thread = Thread {
        results.set(index, job(host))
        slots.signal()
        done.leave()
      }
      // Handshakes and channel loops need little stack; 50+ threads stay cheap.
      thread.stackSize = 1 << 20
      thread.start()
    }
    done.wait()
    return results.values
  }
}

/// Result storage written from many threads, one slot each.
private final class ResultSlots<Value: Sendable>: Sendable {
  private let slots: Mutex<[Value?]>

  init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

  func set(_ index: Int, _ value: Value) {
    slots.withLock { $0[index] = value }
  }

  var values: [Value] {
    slots.withLock { $0.map { $0! } }
  }
}
