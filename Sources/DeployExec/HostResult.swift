import DeploySSH
import DeploySupport
import HostShell

/// How one host's part of a run ended.
public enum HostOutcome: Sendable {
  /// The command ran and succeeded.
  case succeeded(CommandResult)
  /// The command ran and failed (non-zero exit, signal or timeout).
  case failed(CommandResult)
  /// The host could not be reached, trusted or logged into, or the connection broke.
  case error(SSHError)

  public var exitStatus: ExitStatus {
    switch self {
    case .succeeded: return .success
    case .failed: return .hostsFailed
    case .error(let error): return error.exitStatus
    }
  }

  /// `ok`, `failed`, or the error's kind (`unreachable`, `host-key-changed`, …).
  public var label: String {
    switch self {
    case .succeeded: return "ok"
    case .failed: return "failed"
    case .error(let error): return error.kind
    }
  }
}

/// One host's result of `deploy exec`, with its whole output for grouped and JSON rendering.
public struct HostResult: Sendable {
  public var host: String
  public var outcome: HostOutcome
  public var transport: String?
  public var stdout: [UInt8]
  public var stderr: [UInt8]
  /// Seconds from the start of connecting to the end of the command.
  public var duration: Double
}

/// What happens during a run, as it happens, for renderers (terminal, JSON, CI annotations).
public enum RunEvent: Sendable {
  /// A host moved from libssh2 to the OpenSSH transport, and why.
  case transportSwitched(host: String, reason: String)
  case output(host: String, stream: StandardStream, bytes: [UInt8])
  case hostFinished(HostResult)
}

/// Receives events from worker threads; implementations must be thread-safe.
public protocol RunEventSink: Sendable {
  func handle(_ event: RunEvent)
}
