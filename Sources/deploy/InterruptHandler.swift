import DeployBuildAPI
import DeployPipeline
import DeploySSH
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// On SIGINT or SIGTERM, runs a cleanup (giving back the deploy locks this run took) and exits
/// with 128 + the signal's number, as a shell would report it. The work in progress is not
/// unwound: its threads are blocked in SSH calls, and the process ends right after.
final class InterruptHandler: @unchecked Sendable {
  private var sources: [DispatchSourceSignal] = []
  private let queue = DispatchQueue(label: "deploy.interrupts")
  private let lock = NSLock()
  private var armed = true
  /// Set by `disarm`: a signal after it is no longer handled here.
  private var disarmed = false

  init(cleanup: @escaping @Sendable () -> Void) {
    for signo in [SIGINT, SIGTERM] {
      signal(signo, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
      source.setEventHandler { [weak self] in
        guard let self, self.take() else { return }
        cleanup()
        exit(128 + signo)
      }
      source.resume()
      sources.append(source)
    }
  }

  private func take() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    let was = armed
    armed = false
    return was
  }

  /// The work is done; signals get their default meaning back. If a signal came first, its
  /// cleanup is running and will end the process with 128 + the signal: the work, which may
  /// have ended early because of it, must not end the process first with its own status.
  func disarm() {
    lock.lock()
    let (wasArmed, handling) = (armed, !armed && !disarmed)
    armed = false
    disarmed = true
    lock.unlock()
    if handling { while true { Thread.sleep(forTimeInterval: 1) } }
    guard wasArmed else { return }
    for source in sources { source.cancel() }
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
  }
}

extension InterruptHandler {
  /// A deployment's cleanup: give back the locks it took, and say so through its renderer.
  convenience init(releasing heldLocks: HeldLocks, runID: String, renderer: any DeployRenderer) {
    self.init {
      let released = heldLocks.releaseAll(transport: TransportSelector())
      renderer.interrupted(releasedLocksOn: released, runID: runID)
    }
  }
}
