import DeployConfig
import DeployExec
import DeployInventory
import DeployPipeline
import DeploySSH
import DeploySupport

/// What the commands that look at an app's stage (logs, builds, lock, unlock) share: the
/// project, the stage's hosts, and a connection to each.
struct StageContext {
  let project: ProjectFile
  let plan: StagePlan
  let forks: Int
  let transport: TransportSelector

  init(
    project projectOptions: ProjectOptions, connection: ConnectionOptions, app: String,
    stage: String?, limit: String? = nil
  ) throws(DeployError) {
    let (project, inventory) = try projectOptions.load(connection)
    let resolver = try SSHTargetResolver(defaults: connection.defaults(project: project))
    self.project = project
    plan = try StagePlan.resolve(
      project: project, inventory: inventory, appName: app, stage: stage, resolver: resolver,
      limit: limit)
    forks = connection.forks(project: project)
    transport = TransportSelector()
  }

  /// Runs `job` on every host with an open connection; a host that cannot be reached gets its
  /// SSH error instead.
  func onEachHost<Result: Sendable>(
    _ job: @escaping @Sendable (DeployHost, any SSHConnection) throws(HostFailure) -> Result
  ) -> [(host: DeployHost, result: Swift.Result<Result, HostFailure>)] {
    let transport = self.transport
    let results = ParallelHosts.map(plan.hosts, forks: forks) {
      host -> Swift.Result<Result, HostFailure> in
      do throws(HostFailure) {
        let connection: any SSHConnection
        do throws(SSHError) {
          connection = try transport.connect(host.target)
        } catch {
          throw .ssh(error)
        }
        defer { connection.close() }
        return .success(try job(host, connection))
      } catch {
        return .failure(error)
      }
    }
    return Array(zip(plan.hosts, results)).map { (host: $0.0, result: $0.1) }
  }
}
