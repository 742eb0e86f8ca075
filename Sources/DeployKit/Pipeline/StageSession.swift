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
  func open<Host: StageHost>(
    _ hosts: [Host], owner: LockOwner, wait: Double, events: any DeployEventSink
  ) -> [Host] {
    _ = ParallelHosts.map(hosts, forks: forks) { work in
      do throws(SSHError) {
        work.connection = try transport.connect(work.host.target)
      } catch {
        work.result.failure = .ssh(error)
      }
    }
    let reachable = hosts.filter { $0.connection != nil }
    _ = ParallelHosts.map(reachable, forks: forks) { work in
      do throws(HostFailure) {
        try StageLock.acquire(
          host: work.host, connection: work.connection!, owner: owner, wait: wait,
          heldLocks: heldLocks, events: events)
        work.lockToken = owner.token
      } catch {
        work.result.failure = error
      }
    }
    guard let blocked = reachable.first(where: { $0.result.failure != nil }) else {
      return reachable
    }
    unlock(reachable)
    for work in reachable where work.result.failure == nil {
      work.result.failure = .notStarted(
        reason: "the lock on \(blocked.host.name) is held, and the stage moves together")
    }
    return []
  }

  func unlock(_ hosts: [StageHost]) {
    _ = ParallelHosts.map(hosts, forks: forks) { work in
      guard let token = work.lockToken, let connection = work.connection else { return }
      StageLock.release(host: work.host, connection: connection, token: token, heldLocks: heldLocks)
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
