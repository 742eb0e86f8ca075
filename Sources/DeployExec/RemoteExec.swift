import DeploySSH
import DeploySupport
import HostShell

/// `deploy exec`: one command on many hosts in parallel.
public struct RemoteExec: Sendable {
  public var command: RemoteCommand
  public var forks: Int

  public init(command: RemoteCommand, forks: Int) {
    self.command = command
    self.forks = forks
  }

  /// Connects to every target, runs the command, and reports each host as it finishes.
  public func run(on targets: [SSHTarget], events: any RunEventSink) -> [HostResult] {
    let transport = TransportSelector { target, reason in
      events.handle(.transportSwitched(host: target.name, reason: reason))
    }
    let command = self.command
    return ParallelHosts.map(targets, forks: forks) { target in
      let started = MonotonicClock.now
      var result = HostResult(
        host: target.name, outcome: .error(.unreachable(host: target.name, reason: "not run")),
        transport: nil, stdout: [], stderr: [], duration: 0)
      do throws(SSHError) {
        let connection = try transport.connect(target)
        defer { connection.close() }
        result.transport = connection.transportName
        let ran = try connection.run(command) { stream, bytes in
          if stream == .stdout { result.stdout += bytes } else { result.stderr += bytes }
          events.handle(.output(host: target.name, stream: stream, bytes: bytes))
        }
        result.outcome = ran.succeeded ? .succeeded(ran) : .failed(ran)
      } catch {
        result.outcome = .error(error)
      }
      result.duration = MonotonicClock.now - started
      events.handle(.hostFinished(result))
      return result
    }
  }
}
