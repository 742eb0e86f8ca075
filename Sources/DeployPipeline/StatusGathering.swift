import DeployBuild
import DeployConfig
import DeployExec
import DeployInventory
import DeploySSH
import DeploySupport
import Foundation
import HostShell

extension StatusTable {
  /// The status table, read from the hosts: for every app and stage, what each host runs, in one
  /// round trip per host. The status says whether some hosts could not be reached (4) or serve a
  /// broken build (1).
  public static func gather(
    project: ProjectFile, inventory: Inventory, defaults: SSHDefaults, forks: Int
  ) throws(DeployError) -> (StatusTable, ExitStatus) {
    let resolver = try SSHTargetResolver(defaults: defaults)
    // (app, stage, plan) for every app and stage, in order.
    var plans: [(app: AppConfig, stages: [StagePlan])] = []
    for app in project.apps {
      var stages: [StagePlan] = []
      for stage in app.stages(in: project) {
        stages.append(
          try StagePlan.resolve(
            project: project, inventory: inventory, appName: app.name, stage: stage,
            resolver: resolver))
      }
      plans.append((app, stages))
    }
    // One connection per host, every app's question in one command.
    var questions: [String: (target: SSHTarget, scripts: [(key: String, script: ShellScript)])] =
      [:]
    for (app, stages) in plans {
      for plan in stages {
        for host in plan.hosts {
          let key = app.name + "\u{0}" + plan.stage + "\u{0}" + host.name
          let script = versionScript(app: app, host: host)
          questions[host.name, default: (host.target, [])].scripts.append((key, script))
        }
      }
    }
    let transport = TransportSelector()
    let asked = questions.keys.sorted().map { questions[$0]! }
    let answers = ParallelHosts.map(asked, forks: forks) {
      question -> [String: (String?, String?)] in
      do throws(SSHError) {
        let connection = try transport.connect(question.target)
        defer { connection.close() }
        // Every app's question in one round trip: each answer follows a marker line with its
        // index, each question runs in a subshell so an early `exit` ends only itself.
        let marker = "#deploy-status#"
        let script = question.scripts.enumerated().map { index, item -> ShellScript in
          "printf '%s %s\\n' \(marker) \(index); ( \(item.script) ) 2>/dev/null"
        }.joined(separator: "\n")
        let output = try connection.capture(RemoteCommand(script, timeout: 60))
        var answers = Array(repeating: "", count: question.scripts.count)
        var current: Int?
        for line in output.stdoutText.split(separator: "\n", omittingEmptySubsequences: false) {
          if line.hasPrefix(marker + " ") {
            current = Int(line.dropFirst(marker.count + 1))
          } else if let index = current, index < answers.count {
            answers[index] += line + "\n"
          }
        }
        var result: [String: (String?, String?)] = [:]
        for (index, item) in question.scripts.enumerated() {
          let text = deployedVersion(answers[index])
          if text.hasPrefix(brokenMarker) {
            result[item.key] = (nil, "BROKEN: " + text.dropFirst(brokenMarker.count))
          } else {
            result[item.key] = (text.isEmpty ? nil : text, nil)
          }
        }
        return result
      } catch {
        return Dictionary(
          uniqueKeysWithValues: question.scripts.map {
            ($0.key, (String?.none, String?.some(error.kind)))
          })
      }
    }
    var byKey: [String: (String?, String?)] = [:]
    for answer in answers { byKey.merge(answer) { $1 } }

    var rows: [StatusTable.Row] = []
    for (app, stages) in plans {
      let cells = stages.map { plan in
        StatusTable.Cell(
          stage: plan.stage,
          hosts: plan.hosts.map { host in
            let answer = byKey[app.name + "\u{0}" + plan.stage + "\u{0}" + host.name] ?? (nil, nil)
            return (host.name, answer.0, answer.1)
          })
      }
      let marks = StatusTable.marks(cells) { a, b in isNewer(a, b, kind: app.kind) }
      rows.append(.init(app: app.name, kind: app.kind.name, cells: cells, marks: marks))
    }
    let broken = byKey.values.contains { $0.1?.hasPrefix("BROKEN: ") == true }
    let unreachable = byKey.values.contains { $0.1 != nil && $0.1?.hasPrefix("BROKEN: ") != true }
    return (
      StatusTable(rows: rows), unreachable ? .unreachable : broken ? .hostsFailed : .success
    )
  }

}

/// What a host prints, before the reason, when an app that was activated there serves nothing.
private let brokenMarker = "#broken# "

/// Prints the deployed version of `app` on a host: the installed package version, or the
/// served git build's `build_info.yml` (each line after `info `), which `deployedVersion` reads.
private func versionScript(app: AppConfig, host: DeployHost) -> ShellScript {
  switch app.kind {
  case .apt(let apt):
    return "dpkg-query -W -f '${db:Status-Abbrev} ${Version}\\n' \(apt.package)"
      + " 2>/dev/null | sed -n 's/^ii *//p'"
  case .git(let git):
    let folder = host.layout.buildFolder
    // The symlink strategy serves what `current` names; otherwise the served copy is
    // `build_name` (as the explorer serves it), or `current` when there is none.
    let served =
      git.activation?.strategy == .symlink
      ? folder + "/current" : git.buildName.map { folder + "/" + $0 } ?? (folder + "/current")
    let info = served + "/build_info.yml"
    let link = folder + "/current"
    // A host where something was activated but nothing complete is served is broken, not
    // merely "not deployed".
    return """
      if [ -L \(link) ] && [ ! -f \(link)/build_info.yml ]; then
        printf '%scurrent -> %s, which is not a complete build\\n' \(brokenMarker) "$(readlink \(link))"; exit 0
      fi
      if [ ! -f \(info) ]; then
        [ -s \(host.layout.activations) ] && printf '%s%s is missing\\n' \(brokenMarker) \(served)
        exit 0
      fi
      sed 's/^/info /' \(info)
      """
  }
}

/// What `versionScript` printed, as the status table shows it: the package version, or the
/// build's `version · build_time`, read with the one `build_info.yml` reader.
func deployedVersion(_ answer: String) -> String {
  let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
  guard text.hasPrefix("info ") else { return text }
  let lines = text.split(separator: "\n").filter { $0.hasPrefix("info ") }.map { $0.dropFirst(5) }
  let info = BuildInfo.fields(lines.joined(separator: "\n"))
  let version = info["version"].flatMap { $0.isEmpty ? nil : $0 } ?? "?"
  return "\(version) · \(info["build_time"] ?? "")"
}

private func isNewer(_ a: String, _ b: String, kind: AppKind) -> Bool {
  switch kind {
  case .apt:
    guard let left = DebianVersion(a), let right = DebianVersion(b) else { return false }
    return left > right
  case .git:
    // `version · build_time`: the later build is the newer one.
    let time = { (text: String) in text.components(separatedBy: " · ").last ?? "" }
    return time(a) > time(b)
  }
}
