import DeployBuild
import DeployLedger
import DeploySupport
import HostScripts

/// What happens during a deployment, as it happens, for renderers (terminal, JSON, CI).
public enum DeployEvent: Sendable {
  case transportSwitched(host: String, reason: String)
  /// The lock is held by someone else; waiting for it (`--lock-wait`).
  case waitingForLock(host: String, holder: LockHolder)
  case locked(host: String)
  /// A `.lock` left by a dead runner was cleared (its run marked lost).
  case clearedStaleBuildLock(host: String, runID: String)
  case checkedOut(host: String, commit: String)
  case buildStarted(host: String, runID: String, attempt: Int, runner: String)
  case stepEnded(host: String, step: RunRecord.Step, total: Int)
  case buildEnded(host: String, run: RunRecord)
  case detached(host: String, runID: String)
  /// A step of activation or rollback: the build API's answer, a restart, a verification.
  case activation(host: String, step: ActivationStep)
  /// The connection to a host broke: the error, and what it means for the build there (prose:
  /// this is an error's explanation).
  case connectionLost(host: String, error: String)
  /// Connected again (`--reconnect-wait`) and following the run on.
  case reconnected(host: String, runID: String)
  case hostFinished(HostDeployResult)
}

/// Receives events from worker threads; implementations must be thread-safe.
public protocol DeployEventSink: Sendable {
  func handle(_ event: DeployEvent)
}

/// One host's result of a deployment.
public struct HostDeployResult: Sendable {
  public var host: String
  public var runID: String?
  public var attempt: Int
  public var commit: String?
  public var run: RunRecord?
  public var failure: HostFailure?
  /// The journal entries this run wrote or had the runner write (for the local ledger).
  public var journal: [JournalEntry]
  public var duration: Double

  public var exitStatus: ExitStatus { failure?.exitStatus ?? .success }
}
