import Foundation
import HostScripts
import HostShell

/// A build run as its folder on the host describes it (see `RunRecord.listing`).
public struct RunRecord: Sendable, Hashable {
  public enum State: String, Sendable {
    case running, succeeded, failed, interrupted
    /// The runner is gone without saying how it ended (killed, host rebooted).
    case lost
  }

  public struct Step: Sendable, Hashable {
    public var index: Int
    public var name: String
    public var startedAt: Int?
    public var endedAt: Int?
    public var exitCode: Int?
    /// Completed (in this or an earlier attempt): a resumed run skips it.
    public var done: Bool
  }

  public var runID: String
  public var attempt: Int
  public var state: State
  public var endedAt: Int?
  public var failedStep: Int?
  public var exitCode: Int?
  /// Why the failed step failed, when the runner knows: on a full disk it removed the partial
  /// build.
  public var failureCause: FailureCause?

  public enum FailureCause: String, Sendable, Hashable {
    case diskFull = "disk-full"
  }
  public var runnerAlive: Bool
  /// What the controller wrote at the start (`run.json`).
  public var metadata: RunMetadata
  public var steps: [Step]

  /// The first step that has not completed: where a resume starts.
  public var firstIncompleteStep: Int? {
    steps.first(where: { !$0.done })?.index
  }

  /// More steps than any build has; step files numbered beyond are ignored.
  static let maxSteps = 10_000

  /// Asks a host for its runs (all, or one): per run its metadata, its status (whether its
  /// runner is alive, then its state), its attempt, and per step its start, end and completion.
  public static func listing(_ layout: HostLayout, runID: String? = nil) -> HostQuery<[RunRecord]> {
    let pattern: ShellScript = runID.map { "\($0)/" } ?? "*/"
    let script = ShellScript.lines([
      HostProcess.functions,
      "cd \(layout.runsFolder) 2>/dev/null || exit 0",
      "for d in \(pattern); do",
      "  d=${d%/}; [ -f \"$d/run.json\" ] || continue",
      "  printf 'run %s\\n' \"$d\"",
      "  printf 'meta %s\\n' \"$(head -n 1 \"$d/run.json\")\"",
      "  printf 'status %s\\n' \"$(run_status \"$d\")\"",
      "  printf 'attempt %s\\n' \"$(cat \"$d/attempt\" 2>/dev/null)\"",
      "  for f in \"$d\"/steps/*; do",
      "    [ -f \"$f\" ] || continue; n=${f##*/}",
      "    printf '%s %s %s\\n' \"${n#*.}\" \"${n%.*}\" \"$(head -n 1 \"$f\")\"",
      "  done",
      "done",
    ])
    return HostQuery("listing runs", script: script, parse: parse)
  }

  /// Reads `listing`'s output; runs come back newest first (run ids sort by time).
  public static func parse(_ output: String) -> [RunRecord] {
    var records: [RunRecord] = []
    var current: RunRecord?
    var stepsByIndex: [Int: Step] = [:]

    func flush() {
      guard var record = current else { return }
      let names = record.metadata.steps
      let count = max(names.count, stepsByIndex.keys.max() ?? 0)
      record.steps = (0..<count).map { offset in
        var step =
          stepsByIndex[offset + 1]
          ?? Step(
            index: offset + 1, name: "", startedAt: nil, endedAt: nil, exitCode: nil, done: false)
        step.name = offset < names.count ? names[offset] : "step \(offset + 1)"
        return step
      }
      // A run whose runner died without writing its end is lost, whatever its state file says.
      if record.state == .running && !record.runnerAlive { record.state = .lost }
      records.append(record)
      current = nil
      stepsByIndex = [:]
    }

    for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
      let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
      guard let key = parts.first else { continue }  // a line of blanks (found by fuzzing)
      let rest = parts.count > 1 ? parts[1] : ""
      if key == "run" {
        flush()
        current = RunRecord(
          runID: rest, attempt: 1, state: .lost, endedAt: nil, failedStep: nil, exitCode: nil,
          failureCause: nil,
          runnerAlive: false, metadata: RunMetadata(), steps: [])
        continue
      }
      guard current != nil else { continue }
      switch key {
      case "meta":
        current!.metadata = RunMetadata(jsonLine: rest) ?? RunMetadata()
      case "status":
        // `ALIVE STATE…`: see `run_status` for why they come together.
        var fields = rest.split(separator: " ").map(String.init)
        current!.runnerAlive = fields.first == "yes"
        fields = Array(fields.dropFirst())
        if let first = fields.first, let state = State(rawValue: first) {
          current!.state = state
          if state != .running, fields.count > 1 { current!.endedAt = Int(fields[1]) }
          if fields.count > 2 { current!.failedStep = Int(fields[2]).flatMap { $0 > 0 ? $0 : nil } }
          if fields.count > 3 { current!.exitCode = Int(fields[3]) }
          if fields.count > 4 { current!.failureCause = FailureCause(rawValue: fields[4]) }
        } else {
          // No state yet: the runner was started but had not written it.
          current!.state = .running
        }
      case "attempt": current!.attempt = Int(rest) ?? 1
      case "start", "end", "done":
        let fields = rest.split(separator: " ", maxSplits: 1).map(String.init)
        // The host's word: a step number past any real build's (the fuzzer tried 10^11) would
        // have the list of steps allocated up to it.
        guard let index = fields.first.flatMap({ Int($0) }), (1...maxSteps).contains(index)
        else { continue }
        var step =
          stepsByIndex[index]
          ?? Step(index: index, name: "", startedAt: nil, endedAt: nil, exitCode: nil, done: false)
        let value = fields.count > 1 ? fields[1] : ""
        switch key {
        case "start": step.startedAt = Int(value)
        case "end":
          let numbers = value.split(separator: " ").compactMap { Int($0) }
          step.exitCode = numbers.first
          step.endedAt = numbers.count > 1 ? numbers[1] : nil
        default: step.done = true
        }
        stepsByIndex[index] = step
      default: continue
      }
    }
    flush()
    return records.sorted { $0.runID > $1.runID }
  }
}

/// The build folder as `BuildFolderListing.listing` describes it.
public struct BuildFolderListing: Sendable, Hashable {
  /// Asks a host for its build folder: `.lock`, `.build_history`, the `current` link, the
  /// activation log's last 100 lines and every folder with a `build_info.yml` (an "available
  /// build", as the explorer calls it; a link is not one).
  public static func listing(_ layout: HostLayout) -> HostQuery<BuildFolderListing> {
    let script = ShellScript.lines([
      "[ -f \(layout.activations) ] && tail -n 100 \(layout.activations) | sed 's/^/activated /'",
      "cd \(layout.buildFolder) 2>/dev/null || exit 0",
      "[ -e .lock ] && printf 'lock %s\\n' \"$(head -n 1 .lock)\"",
      "[ -L current ] && printf 'current %s\\n' \"$(readlink current)\"",
      "[ -f .build_history ] && sed 's/^/history /' .build_history",
      "for d in */; do",
      "  d=${d%/}; [ -L \"$d\" ] && continue; [ -f \"$d/build_info.yml\" ] || continue",
      "  printf 'build %s\\n' \"$d\"; sed 's/^/info /' \"$d/build_info.yml\"",
      "done",
      "exit 0",
    ])
    return HostQuery("listing builds", script: script, parse: parse)
  }

  public struct Build: Sendable, Hashable {
    public var folder: String
    /// `build_info.yml`'s keys, values unquoted.
    public var info: [String: String]
    public var buildTime: String? { info["build_time"] }
  }

  /// The run id in `.lock` (empty when a foreign tool wrote it), nil when no build runs.
  public var lock: String?
  /// `.build_history` lines as (date, workflow).
  public var history: [(date: String, workflow: String)]
  public var builds: [Build]
  /// The `current` link's target (symlink strategy); nil without a link.
  public var currentLink: String?
  /// The activation log's folders, oldest first (`HostLayout.activations`).
  public var activations: [String] = []

  /// The newest build (by `build_time`) among those `include` accepts: the one answer to
  /// "which build is newest" for status labels and rollback choices alike.
  public func newest(where include: (Build) -> Bool = { _ in true }) -> Build? {
    builds.filter(include).max { ($0.buildTime ?? "") < ($1.buildTime ?? "") }
  }

  /// The builds, newest first.
  public var newestFirst: [Build] {
    builds.sorted { ($0.buildTime ?? "") > ($1.buildTime ?? "") }
  }

  /// Each build's label for `deploy builds`: `current` (the served copy, `buildName`), `latest`
  /// (the newest other one) or `available`.
  public func labels(servedAs buildName: String?) -> [String: String] {
    let latest = newest { $0.folder != buildName }
    var labels: [String: String] = [:]
    for build in builds {
      labels[build.folder] =
        build.folder == buildName
        ? "current" : build.folder == latest?.folder ? "latest" : "available"
    }
    return labels
  }

  /// Builds that were served before `served`, most recently served first, each once: where a
  /// rollback goes. Only builds still on the host and never rolled back from.
  public func previouslyServed(before served: String?) -> [Build] {
    var seen = Set<String>()
    var result: [Build] = []
    for folder in activations.reversed() where seen.insert(folder).inserted {
      guard folder != served, let build = builds.first(where: { $0.folder == folder }) else {
        continue
      }
      result.append(build)
    }
    return result
  }

  public static func == (lhs: BuildFolderListing, rhs: BuildFolderListing) -> Bool {
    lhs.lock == rhs.lock && lhs.builds == rhs.builds && lhs.currentLink == rhs.currentLink
      && lhs.activations == rhs.activations
      && lhs.history.map { $0.date + "::" + $0.workflow }
        == rhs.history.map { $0.date + "::" + $0.workflow }
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(builds) }

  public static func parse(_ output: String) -> BuildFolderListing {
    var listing = BuildFolderListing(lock: nil, history: [], builds: [])
    for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("lock ") || line == "lock" {
        listing.lock = String(line.dropFirst(5))
      } else if line.hasPrefix("current ") {
        listing.currentLink = String(line.dropFirst(8))
      } else if line.hasPrefix("activated ") {
        let fields = line.dropFirst(10).split(separator: " ", maxSplits: 1)
        if fields.count == 2, Int(fields[0]) != nil {
          listing.activations.append(String(fields[1]))
        }
      } else if line.hasPrefix("history ") {
        let entry = line.dropFirst(8)
        if let range = entry.range(of: "::") {
          listing.history.append(
            (String(entry[..<range.lowerBound]), String(entry[range.upperBound...])))
        }
      } else if line.hasPrefix("build ") {
        listing.builds.append(Build(folder: String(line.dropFirst(6)), info: [:]))
      } else if line.hasPrefix("info "), !listing.builds.isEmpty {
        listing.builds[listing.builds.count - 1].info.merge(BuildInfo.fields(line.dropFirst(5))) {
          $1
        }
      }
    }
    return listing
  }
}
