import DeployBuild
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// Why one host's part of a deployment did not succeed. Each case has its own message and maps
/// to one of `deploy`'s exit statuses.
public enum HostFailure: Error, Sendable {
  /// Connecting, trusting or logging in failed, or the connection broke.
  case ssh(SSHError)
  /// Someone else holds the deploy lock (after `--lock-wait`, if any).
  case lockHeld(LockHolder)
  /// Another host's lock was held, so nothing was done here either (the stage moves together).
  case notStarted(reason: String)
  /// A build of this app is running on the host.
  case buildRunning(runID: String)
  /// The build folder has a `.lock` that `deploy` did not write.
  case foreignBuildLock(path: String)
  /// A remote command failed: what it was for, how it ended, and what it said on stderr.
  case command(what: String, result: CommandResult, stderr: String)
  /// The workflow files on the host are wrong.
  case configuration(DeployError)
  /// The build ran and a step failed (or it was stopped, or its runner vanished).
  case buildFailed(RunRecord)
  /// Nothing to resume, activate or roll back to; says why.
  case nothingToDo(String)
  /// The build could not be swapped in (the build API answered an error or nothing); the served
  /// build is the one served before.
  case activationFailed(String)
  /// The new build was swapped in but the app failed after it; the previous build is served
  /// again, and verified.
  case rolledBack(reason: String, restored: String)
  /// Left as it was because activation failed on an earlier host (batches stop at a failure).
  case notActivated(reason: String)
  /// Activation failed and putting the previous build back failed too: needs a person.
  case rollbackFailed(reason: String, rollback: String)

  public var exitStatus: ExitStatus {
    switch self {
    case .ssh(let error): return error.exitStatus
    case .lockHeld: return .lockHeld
    case .configuration: return .usage
    case .buildRunning, .foreignBuildLock, .command, .buildFailed, .nothingToDo:
      return .hostsFailed
    case .activationFailed, .rollbackFailed: return .activationFailed
    case .rolledBack: return .rolledBack
    // Never the only failure: it happens because another host failed, whose code wins.
    case .notActivated, .notStarted: return .hostsFailed
    }
  }

  /// A short label for tables and JSON.
  public var kind: String {
    switch self {
    case .ssh(let error): return error.kind
    case .lockHeld: return "lock-held"
    case .notStarted: return "not-started"
    case .buildRunning: return "build-running"
    case .foreignBuildLock: return "build-locked"
    case .command: return "command-failed"
    case .configuration: return "configuration"
    case .buildFailed(let run): return "build-\(run.state.rawValue)"
    case .nothingToDo: return "nothing-to-do"
    case .activationFailed: return "activation-failed"
    case .rolledBack: return "rolled-back"
    case .notActivated: return "not-activated"
    case .rollbackFailed: return "rollback-failed"
    }
  }

  /// The reason alone, without what it meant for production: for messages that say that
  /// themselves ("rolled back: …").
  public var reason: String {
    if case .activationFailed(let reason) = self { return reason }
    return message(app: "", stage: "")
  }

  public func message(app: String, stage: String) -> String {
    switch self {
    case .ssh(let error): return error.description
    case .lockHeld(let holder): return holder.describe(app: app, stage: stage)
    case .notStarted(let reason): return "not started: \(reason)"
    case .buildRunning(let runID):
      return
        "a build of \(app) is running (run \(runID)); follow it with"
        + " `deploy logs \(app) \(stage) \(runID) --follow`, or wait for it to end"
    case .foreignBuildLock(let path):
      return
        "\(path) exists but was not written by deploy: a build may be running; remove the file"
        + " if none is"
    case .command(let what, let result, let stderr):
      let how =
        result.timedOut
        ? "timed out after \(Int(result.duration))s"
        : result.signal.map { "was killed by SIG\($0)" } ?? "exited with \(result.exitStatus)"
      let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      return "\(what) \(how)" + (detail.isEmpty ? "" : ": \(detail)")
    case .configuration(let error): return error.description
    case .buildFailed(let run):
      switch run.state {
      case .failed:
        let step = run.failedStep.flatMap { index in run.steps.first { $0.index == index } }
        let name = step.map { " '\($0.name)'" } ?? ""
        let cause =
          run.failureCause == .diskFull
          ? " on a full disk (ENOSPC: no space left on device; the partial build was removed to"
            + " give the space back)" : ""
        return
          "build failed at step \(run.failedStep ?? 0)/\(run.steps.count)\(name) with exit code"
          + " \(run.exitCode ?? -1)\(cause) (run \(run.runID)); the served build is untouched."
          + " Log: `deploy logs \(app) \(stage) \(run.runID)`; after a fix:"
          + " `deploy \(app) \(stage) --resume`"
      case .interrupted:
        return "build was stopped by a signal during step \(run.failedStep ?? 0) (run \(run.runID))"
      case .lost:
        return
          "build runner of run \(run.runID) is gone without finishing (killed, or the host"
          + " rebooted); `deploy \(app) \(stage) --resume` continues it"
      case .running, .succeeded:
        return "build \(run.state.rawValue) (run \(run.runID))"
      }
    case .nothingToDo(let reason): return reason
    case .activationFailed(let reason):
      return "activation failed, production unchanged: \(reason)"
    case .rolledBack(let reason, let restored):
      return
        "deployed, then rolled back: \(reason); the previous build (\(restored)) is served again"
    case .notActivated(let reason): return "not activated, production unchanged: \(reason)"
    case .rollbackFailed(let reason, let rollback):
      return
        "activation failed (\(reason)) and the rollback failed too (\(rollback)): check the host"
    }
  }
}
