import DeployBuildAPI
import DeployConfig
import DeployExec
import DeployInventory
import DeployLedger
import DeployPipeline
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// `deploy APP [STAGE] [VERSION]` for an apt app: runs the deployment with the same renderers,
/// interrupt handling and ledger as git apps.
func runAptDeployment(
  _ request: AptDeployRequest, plan: StagePlan, project: ProjectFile,
  connection: ConnectionOptions
) throws(DeployError) -> ExitStatus {
  let renderer = makeDeployRenderer(plan: plan, connection: connection)
  let heldLocks = HeldLocks()
  let deployment = AptDeployment(
    request: request, hosts: plan.hosts, by: .current(), heldLocks: heldLocks,
    forks: connection.forks(project: project)
  ) { target, reason in
    renderer.handle(.transportSwitched(host: target.name, reason: reason))
  }
  let interrupts = InterruptHandler(
    releasing: heldLocks, runID: deployment.runID, renderer: renderer)
  defer { interrupts.disarm() }
  let out = Terminal.standardOutput
  if !connection.json {
    out.write(
      out.paint("deploy \(request.app) \(request.stage)", .bold)
        + ": \(request.config.package) \(request.version ?? "latest") as run \(deployment.runID)"
        + " on \(plan.hosts.count) host" + (plan.hosts.count == 1 ? "" : "s") + "\n")
  }
  let started = MonotonicClock.now
  let results = try deployment.run(events: renderer)
  recordInLedger(results, project: project)
  let status = ExitStatus.combining(results.map(\.exitStatus))
  if connection.json {
    JSONEvents.write([
      "event": "summary", "app": .string(request.app), "stage": .string(request.stage),
      "hosts": .array(results.map { .object($0.json) }),
      "exit": .number(Double(status.rawValue)),
      "duration": .number(((MonotonicClock.now - started) * 1000).rounded() / 1000),
    ])
  } else {
    let ok = results.filter { $0.failure == nil }.count
    out.write(
      "\(request.app) \(request.stage): \(results.count) host" + (results.count == 1 ? "" : "s")
        + ": \(ok) succeeded" + (ok < results.count ? ", \(results.count - ok) failed" : "")
        + String(format: " in %.1fs", MonotonicClock.now - started) + "\n")
  }
  if GitHubActions.isActive { reportToGitHub(results, request: request, status: status) }
  return status
}

/// Step outputs and a job summary for an apt deployment.
private func reportToGitHub(
  _ results: [HostDeployResult], request: AptDeployRequest, status: ExitStatus
) {
  let versions = Set(results.flatMap(\.journal).map(\.version)).sorted()
  let failed = results.filter { $0.failure != nil }.count
  let outcome = status == .success ? "succeeded" : "failed"
  let version = versions.joined(separator: " ")
  GitHubActions.setOutputs([
    ("run-id", Set(results.compactMap(\.runID)).sorted().joined(separator: " ")),
    ("version", version), ("commit", ""), ("outcome", outcome),
    ("hosts-failed", String(failed)), ("exit-code", String(status.rawValue)),
  ])
  var text = "### deploy \(request.app) \(request.stage) \(version): \(outcome)\n\n"
  text += "| Host | Outcome | Version | Message |\n|---|---|---|---|\n"
  for result in results {
    let message = result.failure?.message(app: request.app, stage: request.stage) ?? ""
    text +=
      "| \(GitHubActions.cell(result.host)) | \(result.failure?.kind ?? "succeeded") | "
      + "\(GitHubActions.cell(result.journal.first?.version ?? "")) | "
      + "\(GitHubActions.cell(message)) |\n"
  }
  GitHubActions.appendSummary(text + "\nExit code \(status.rawValue).\n\n")
}

/// The promotion question, asked before anything is locked: deploying to a later stage a
/// version the stage before it never ran needs a yes, typed on a terminal, or `--yes` when there
/// is none (CI). Returns the deployment's `approve`, which holds it to the confirmed version.
func confirmPromotion(_ check: PromotionCheck, version: String?) throws(DeployError)
  -> @Sendable (String) throws(DeployError) -> Void
{
  // No version in common: the deployment says so, having refreshed the hosts' index.
  guard let candidate = version ?? check.latestOffered() else {
    return { _ throws(DeployError) in }
  }
  if check.previousStageRan(candidate) { return check.approving(candidate) }
  let question =
    "\(check.app) \(candidate) was never deployed to \(check.previousStage), the stage before"
    + " \(check.stage)."
  guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else {
    throw .usage(question + " Pass --yes to deploy it to \(check.stage) anyway.")
  }
  Terminal.standardError.write(question + " Deploy it to \(check.stage) anyway? [y/N] ")
  let answer = readLine()?.lowercased() ?? ""
  guard answer == "y" || answer == "yes" else {
    throw .usage("not confirmed; nothing was installed")
  }
  return check.approving(candidate)
}
