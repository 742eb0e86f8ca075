import DeployExec
import DeploySSH
import DeploySupport
import Foundation
import HostScripts

/// One host's part of a stage run: its connection, its lock and its result so far. Each kind of
/// deployment subclasses it with what its own work needs.
class StageHost: @unchecked Sendable {
  let host: DeployHost
  var connection: (any SSHConnection)?
  var result: HostDeployResult
  /// Set while this run holds the host's deploy lock.
  var lockToken: String?
  let started = MonotonicClock.now

  init(host: DeployHost) {
    self.host = host
    result = HostDeployResult(
      host: host.name, runID: nil, attempt: 1, commit: nil, run: nil, failure: nil,
      journal: [], duration: 0)
  }
}

/// What every kind of deployment does around its own work: connect to all of a stage's hosts,
/// lock them together (the stage moves together: if one lock is held, no host is worked on),
/// and at the end give the locks back, close the connections and report each host.
struct StageSession: Sendable {
  let transport: TransportSelector
  let forks: Int
  let heldLocks: HeldLocks

  /// Connects and locks. Returns the hosts to work on: every reachable one, or none when some
  /// lock is held (then the locks already taken are given back).
  ///
  /// Two controllers on one stage must not each win part of it and wait on each other. So the
  /// first host in name order is the stage's gate: its lock is taken (waiting up to `wait`)
  /// before any other, and whoever holds it is the one deploy of that stage that goes on; the
  /// rest are then taken in parallel. One of them can still be held by someone who did not
  /// pass the gate (a manual lock, or a deploy limited to other hosts with `-l`): then every
  /// lock taken is given back, and with time left the whole taking starts again after a
  /// pause, so nothing is ever held while waiting.
  ///
  /// A host that cannot be reached stops the whole stage too, unless `allowPartial`.
  func open<Host: StageHost>(
    _ hosts: [Host], owner: LockOwner, wait: Double, allowPartial: Bool = false,
    events: any DeployEventSink
  ) -> [Host] {
    _ = ParallelHosts.map(hosts, forks: forks) { work in
      do throws(SSHError) {
        work.connection = try transport.connect(work.host.target)
      } catch {
        work.result.failure = .ssh(error)
      }
    }
    let reachable = hosts.filter { $0.connection != nil }.sorted { $0.host.name < $1.host.name }
    if !allowPartial, let unreachable = hosts.first(where: { $0.connection == nil }) {
      for work in reachable {
        work.result.failure = .notStarted(
          reason: "\(unreachable.host.name) cannot be reached, and the stage moves together"
            + " (--allow-partial deploys the hosts that can be reached)")
      }
      return []
    }
    guard let gate = reachable.first else { return [] }
    let deadline = MonotonicClock.now + wait
    var announced = Set<String>()
    while true {
      let firstWait = announced.insert(gate.host.name).inserted
      if let failure = lock(gate, owner: owner, until: deadline, announce: firstWait, events) {
        gate.result.failure = failure
        refuse(reachable, blockedBy: gate)
        return []
      }
      let rest = Array(reachable.dropFirst())
      _ = ParallelHosts.map(rest, forks: forks) { work in
        if let failure = lock(work, owner: owner, until: 0, announce: false, events) {
          work.result.failure = failure
        }
      }
      guard let blocked = rest.first(where: { $0.result.failure != nil }) else { return reachable }
      unlock(reachable)
      guard case .lockHeld(let holder) = blocked.result.failure, MonotonicClock.now < deadline
      else {
        refuse(reachable, blockedBy: blocked)
        return []
      }
      if announced.insert(blocked.host.name).inserted {
        events.handle(.waitingForLock(host: blocked.host.name, holder: holder))
      }
      for work in rest { work.result.failure = nil }
      // A pause of 0.5 to 1.5 s, so that two controllers that keep meeting fall out of step.
      let pause = min(Double.random(in: 0.5...1.5), max(0, deadline - MonotonicClock.now))
      Thread.sleep(forTimeInterval: pause)
    }
  }

  /// Takes one host's lock, waiting until `deadline` (saying so once if `announce`); the
  /// failure, or nil once it is taken.
  private func lock(
    _ work: StageHost, owner: LockOwner, until deadline: Double, announce: Bool,
    _ events: any DeployEventSink
  ) -> HostFailure? {
    do throws(HostFailure) {
      try StageLock.acquire(
        host: work.host, connection: work.connection!, owner: owner,
        wait: max(0, deadline - MonotonicClock.now), heldLocks: heldLocks, events: events,
        announce: announce)
      work.lockToken = owner.token
      return nil
    } catch {
      return error
    }
  }

  /// Every host but the blocked one is left alone, saying why.
  private func refuse(_ hosts: [StageHost], blockedBy blocked: StageHost) {
    let why =
      if case .lockHeld = blocked.result.failure {
        "the lock on \(blocked.host.name) is held"
      } else {
        "\(blocked.host.name) could not be locked (\(blocked.result.failure?.kind ?? "?"))"
      }
    for work in hosts where work.result.failure == nil {
      work.result.failure = .notStarted(reason: why + ", and the stage moves together")
    }
  }

  /// Gives back the locks this run took; a host whose connection broke is given one new
  /// connection to release it (a session killed mid-run must not leave its lock behind).
  func unlock(_ hosts: [StageHost]) {
    _ = ParallelHosts.map(hosts, forks: forks) { work in
      guard let token = work.lockToken else { return }
      if let connection = work.connection,
        StageLock.release(
          host: work.host, connection: connection, token: token, heldLocks: heldLocks)
      {
        work.lockToken = nil
        return
      }
      work.connection?.close()
      work.connection = try? transport.connect(work.host.target)
      if let connection = work.connection {
        StageLock.release(
          host: work.host, connection: connection, token: token, heldLocks: heldLocks)
      }
      work.lockToken = nil
    }
  }

  /// Gives back the locks, closes the connections and, with `report`, reports every host.
  func close(_ hosts: [StageHost], events: any DeployEventSink, report: Bool = true)
    -> [HostDeployResult]
  {
    unlock(hosts)
    for work in hosts {
      work.connection?.close()
      work.result.duration = MonotonicClock.now - work.started
      if report { events.handle(.hostFinished(work.result)) }
    }
    return hosts.map(\.result)
  }
}
