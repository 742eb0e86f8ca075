import DeploySSH
import DeploySupport

/// How a task ended on one host, in Ansible's words.
public enum TaskStatus: String, Sendable, Hashable {
  case ok, changed, skipped, failed, unreachable
  /// Failed, but the task had `ignore_errors: true`.
  case ignored
}

/// One task's result on one host (one loop item, when the task loops).
public struct TaskHostResult: Sendable {
  public var host: String
  public var task: String
  public var status: TaskStatus
  /// The loop item, as Ansible shows it in `ok: [host] => (item=…)`.
  public var item: String?
  public var message: String?
  public var diffs: [FileDiff]
  /// Where the task ran, when not on the host (`delegate_to: localhost`).
  public var delegatedTo: String?
  public var location: SourceLocation?
}

/// What the tally of a host says at the end (`PLAY RECAP`).
public struct HostStats: Sendable, Hashable {
  public var host: String
  public var ok = 0
  public var changed = 0
  public var unreachable = 0
  public var failed = 0
  public var skipped = 0
  public var rescued = 0
  public var ignored = 0

  public init(host: String) { self.host = host }
}

/// What a playbook run reports, in order, for a renderer.
public enum PlayEvent: Sendable {
  case playStarted(name: String, hosts: [String])
  /// A play whose host pattern matched nothing (after `--limit`).
  case noHostsMatched(play: String, pattern: String)
  case taskStarted(name: String, kind: TaskKind, location: SourceLocation?)
  case hostResult(TaskHostResult)
  /// A host could not be reached (or refused us): it takes no further part in the run.
  case hostUnreachable(host: String, error: SSHError)
  case transportSwitched(host: String, reason: String)
  case recap([HostStats])
}

public enum TaskKind: String, Sendable {
  case task, handler
  /// The implicit fact gathering at the start of a play.
  case facts
}

public protocol PlayEventSink: Sendable {
  func handle(_ event: PlayEvent)
}
