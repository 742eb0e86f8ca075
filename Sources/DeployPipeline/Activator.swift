import DeployConfig
import DeploySSH
import DeploySupport
import Foundation
import HostScripts
import HostShell

/// The second half of the ECHR-OD release flow on one host: swap the finished build in, restart
/// the app, prove the new build is served and healthy, and put the previous build back when it
/// is not. Talks to the app's build API through the SSH connection, so the API can stay bound
/// to the host's loopback.
struct Activator {
  let config: ActivationConfig
  let layout: HostLayout
  let buildName: String?
  let connection: any SSHConnection
  let host: String
  let events: any DeployEventSink
  /// `Authorization: Bearer …` for a build API started with `--token`.
  let apiToken: String?

  /// The build being activated: its folder name in the build folder and its `build_time`.
  struct Build {
    var folder: String
    var buildTime: String
  }

  private func note(_ step: ActivationStep) { events.handle(.activation(host: host, step: step)) }

  /// Activates `build`; a thrown failure says whether production was left as it was, or rolled
  /// back (and verified), or is in doubt.
  func activate(_ build: Build) throws(HostFailure) {
    switch config.strategy {
    case .explorer: try activateThroughAPI(build)
    case .symlink: try activateLink(build)
    case .package:
      // apt has put the files in place; restart and prove it healthy.
      try restartAndWait()
      try checkHealth()
      return
    }
    recordActivation(build.folder)
  }

  /// Notes in the host's activation log that `folder` is served, verified. A failure to write
  /// it costs only ranking precision, never the activation, so it is reported and not thrown.
  func recordActivation(_ folder: String) {
    do {
      try run(
        ActivationCommands.recordActivation(layout, folder: folder),
        what: "recording the activation in \(layout.activations)")
    } catch {
      note(.recordFailed(reason: error.reason))
    }
  }

  /// Puts back the build served before (`previous`: the rollback copy), restarts and verifies.
  func rollBack(toBuildTime expected: String?, restore: () throws(HostFailure) -> Void)
    throws(HostFailure)
  {
    try restore()
    try restartAndWait()
    if let expected, config.strategy == .explorer {
      try verifyServed(expected)
    }
    try checkHealth()
  }

  // MARK: - Explorer

  private func activateThroughAPI(_ build: Build) throws(HostFailure) {
    guard let buildName else {
      throw .activationFailed("no build_name: the build API serves that folder")
    }
    let before = try? servedBuildTime()
    let update = try apiGet("/api/v1/build/update", timeout: config.apiTimeout)
    switch update {
    case .failure(let failure):
      throw .activationFailed("build API \(apiLabel)/api/v1/build/update: \(failure)")
    case .success(let response) where response.status != 200:
      throw .activationFailed(
        "build API answered HTTP \(response.status) to /api/v1/build/update: "
          + response.text.prefix(200))
    case .success(let response):
      // The explorer answers {"message": …}. Anything else is not an explorer (a wrong port, a
      // proxy's page), and "up-to-date" means it did not take the new build: either way no
      // restart, production as it was.
      let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
      guard let message = object?["message"] as? String else {
        throw .activationFailed(
          "build API \(apiLabel) answered /api/v1/build/update with HTTP 200 but not the"
            + " explorer's JSON: " + response.text.prefix(200))
      }
      if message == "Build up-to-date" {
        throw .activationFailed(
          "the build API swapped nothing in (\"Build up-to-date\"): it found no build newer than"
            + " the served one, so the build_time \(build.buildTime) of the new build is not later")
      }
      note(.apiAnswered(body: response.text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    do {
      try restartAndWait()
      try verifyServed(build.buildTime, runID: build.folder)
      try checkHealth()
      note(.serving(buildTime: build.buildTime))
    } catch {
      let reason = error.reason
      note(.rollingBack(reason: reason, to: nil))
      do {
        try rollBack(toBuildTime: before) { () throws(HostFailure) in
          let answer = try? apiGet("/api/v1/build/rollback", timeout: 600).get()
          if answer?.status == 200 { return }
          // An API without our rollback endpoint (the original explorer): swap on the host.
          _ = try run(
            ActivationCommands.restoreSave(buildFolder: layout.buildFolder, served: buildName),
            what: "restoring \(buildName).save")
        }
      } catch {
        throw .rollbackFailed(reason: reason, rollback: error.reason)
      }
      // The bad build must not look newer than the served one any more, or the next update
      // (from anyone) would swap it straight back in.
      let info = layout.buildOutput(build.folder) + "/build_info.yml"
      _ = try? run(
        "mv -f \(info) \(info + ".rolled-back")", what: "retiring the rolled-back build")
      throw .rolledBack(
        reason: reason, restored: before.map { "build_time \($0)" } ?? "\(buildName).save")
    }
  }

  var apiLabel: String { "\(config.apiAddress):\(config.apiPort)" }

  private func apiGet(_ path: String, timeout: Double = 30) throws(HostFailure) -> Result<
    HTTPResponse, HTTPFailure
  > {
    var headers: [String: String] = [:]
    if let apiToken { headers["Authorization"] = "Bearer \(apiToken)" }
    do {
      return try connection.httpGet(
        address: config.apiAddress, port: config.apiPort, path: path, headers: headers,
        timeout: timeout)
    } catch {
      throw .ssh(error)
    }
  }

  /// The served build's `build_time`, from `/api/v1/build/current`.
  func servedBuildTime() throws(HostFailure) -> String {
    try servedBuild().time
  }

  /// The served build's `build_time` and, for a build `deploy` made, its `run_id`.
  func servedBuild() throws(HostFailure) -> (time: String, runID: String?) {
    let response: HTTPResponse
    switch try apiGet("/api/v1/build/current") {
    case .failure(let failure): throw .activationFailed("/api/v1/build/current: \(failure)")
    case .success(let answer): response = answer
    }
    guard response.status == 200,
      let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
      let time = object["build_time"] as? String
    else {
      throw .activationFailed(
        "/api/v1/build/current answered HTTP \(response.status) without a build_time: "
          + response.text.prefix(200))
    }
    return (time, object["run_id"] as? String)
  }

  /// `build_time` has whole seconds, so two builds finished in one second look alike: where
  /// both sides know the run that made the build, the run must match too.
  private func verifyServed(_ expected: String, runID: String? = nil) throws(HostFailure) {
    let served = try servedBuild()
    guard served.time == expected else {
      throw .activationFailed("the app serves build_time \(served.time), not \(expected)")
    }
    if let runID, let servedRun = served.runID, servedRun != runID {
      throw .activationFailed(
        "the app serves the build of run \(servedRun), not of run \(runID) (both have"
          + " build_time \(expected))")
    }
  }

  // MARK: - Symlink

  private func activateLink(_ build: Build) throws(HostFailure) {
    let output = try run(
      ActivationCommands.switchLink(buildFolder: layout.buildFolder, to: build.folder),
      what: "switching \(layout.buildFolder)/current")
    let previous = output.trimmingCharacters(in: .whitespacesAndNewlines)
    note(.linkSwitched(folder: build.folder, previous: previous.isEmpty ? nil : previous))
    do {
      try restartAndWait()
      try checkHealth()
    } catch {
      let reason = error.reason
      guard !previous.isEmpty else {
        throw .rollbackFailed(reason: reason, rollback: "there was no previous build to go back to")
      }
      note(.rollingBack(reason: reason, to: previous))
      do {
        try rollBack(toBuildTime: nil) { () throws(HostFailure) in
          _ = try run(
            ActivationCommands.switchLink(buildFolder: layout.buildFolder, to: previous),
            what: "switching back to \(previous)")
        }
      } catch {
        throw .rollbackFailed(reason: reason, rollback: error.reason)
      }
      recordActivation(previous)
      throw .rolledBack(reason: reason, restored: previous)
    }
  }

  // MARK: - Restart, readiness, health

  func restartAndWait() throws(HostFailure) {
    guard let method = config.restart else { return }
    _ = try run(
      ActivationCommands.restart(method), what: method.label, timeout: config.readyTimeout)
    note(.restarted(method: method.label))
    let deadline = MonotonicClock.now + config.readyTimeout
    var lastProblem = "not checked"
    while MonotonicClock.now < deadline {
      if let problem = readinessProblem(method) {
        lastProblem = problem
        Thread.sleep(forTimeInterval: 0.3)
        continue
      }
      return
    }
    throw .activationFailed(
      "the app did not answer again within \(Int(config.readyTimeout))s after"
        + " \(method.label): \(lastProblem)")
  }

  /// Nil once the container or unit runs and, for the explorer strategy, the build API answers.
  private func readinessProblem(_ method: RestartMethod) -> String? {
    if let check = ActivationCommands.running(method) {
      let ok = (try? connection.capture(RemoteCommand(check, timeout: 15)))?.result
        .succeeded
      if ok != true { return "\(method.label): not running" }
    }
    if config.strategy == .explorer {
      switch try? apiGet("/api/v1/build/current", timeout: 5) {
      case .success(let response)? where response.status == 200: return nil
      case .success(let response)?: return "build API answers HTTP \(response.status)"
      case .failure(let failure)?: return "build API: \(failure)"
      case nil: return "build API unreachable"
      }
    }
    return nil
  }

  func checkHealth() throws(HostFailure) {
    guard let health = config.health else { return }
    var last = ""
    for attempt in 1...health.retries {
      if let problem = healthProblem(health) {
        last = problem
        if attempt < health.retries { Thread.sleep(forTimeInterval: health.interval) }
        continue
      }
      note(.healthPassed)
      return
    }
    throw .activationFailed("health check failed \(health.retries) times: \(last)")
  }

  private func healthProblem(_ health: HealthCheck) -> String? {
    switch health.probe {
    case .http(let url, let status, let contains):
      guard let (address, port, path) = HealthCheck.parse(url: url.text) else {
        return "not an http:// URL: \(url.text)"
      }
      let result: Result<HTTPResponse, HTTPFailure>
      do {
        result = try connection.httpGet(
          address: address, port: port, path: path, timeout: health.timeout)
      } catch {
        return error.description
      }
      switch result {
      case .failure(let failure): return "http://\(address):\(port)\(path): \(failure)"
      case .success(let response):
        if response.status != status {
          return "http://\(address):\(port)\(path) answered \(response.status), not \(status)"
        }
        if let contains, !response.text.contains(contains) {
          return "http://\(address):\(port)\(path) does not contain \(String(reflecting: contains))"
        }
        return nil
      }
    case .command(let command):
      guard
        let output = try? connection.capture(
          RemoteCommand(ShellScript(authored: command), timeout: health.timeout))
      else { return "`\(command)` could not run" }
      if output.result.succeeded { return nil }
      let detail = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      return
        "`\(command)` \(output.result.timedOut ? "timed out" : "exited with \(output.result.exitStatus)")"
        + (detail.isEmpty ? "" : ": \(detail.prefix(200))")
    }
  }

  @discardableResult
  func run(_ script: ShellScript, what: String, timeout: Double = 120) throws(HostFailure)
    -> String
  {
    try connection.succeed(script, what: what, timeout: timeout).stdoutText
  }
}
