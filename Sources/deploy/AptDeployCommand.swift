import DeployKit
import Foundation

/// `deploy APP [STAGE] [VERSION]` for an apt app: runs the deployment with the same renderers,
/// interrupt handling and ledger as git apps.
func runAptDeployment(
  _ request: AptDeployRequest, plan: StagePlan, project: ProjectFile,
  connection: ConnectionOptions
) throws(DeployError) -> ExitStatus {
  let renderer: any DeployRenderer =
    connection.json
    ? JSONDeployRenderer() : TerminalDeployRenderer(app: plan.app.name, stage: plan.stage)
  let heldLocks = HeldLocks()
  let deployment = AptDeployment(
    request: request, hosts: plan.hosts, by: .current(), heldLocks: heldLocks,
    forks: connection.forks(project: project)
  ) { target, reason in
    renderer.handle(.transportSwitched(host: target.name, reason: reason))
  }
  let interrupts = InterruptHandler {
    let released = heldLocks.releaseAll(transport: TransportSelector())
    renderer.interrupted(releasedLocksOn: released, runID: deployment.runID)
  }
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
    out.write(
      JSONValue.object([
        "event": "summary", "app": .string(request.app), "stage": .string(request.stage),
        "hosts": .array(results.map { .object($0.json) }),
        "exit": .number(Double(status.rawValue)),
      ]).serialized + "\n")
  } else {
    let ok = results.filter { $0.failure == nil }.count
    out.write(
      "\(request.app) \(request.stage): \(results.count) host" + (results.count == 1 ? "" : "s")
        + ": \(ok) succeeded" + (ok < results.count ? ", \(results.count - ok) failed" : "")
        + String(format: " in %.1fs", MonotonicClock.now - started) + "\n")
  }
  return status
}
