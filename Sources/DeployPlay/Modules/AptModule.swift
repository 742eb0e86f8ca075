import DeploySupport
import Foundation
import HostShell

/// `apt`: Debian packages. Reads what is installed (dpkg-query) and what apt would install
/// (`apt-cache policy`) in one round trip, then runs `apt-get` only for the packages that need
/// it, so a second run reports `ok`.
///
/// As in Ansible, `update_cache` with packages does not by itself make the task changed: only
/// package changes do (the refresh is reported as `cache_updated`). `update_cache` alone is
/// changed whenever the cache was refreshed (not skipped by `cache_valid_time`).
enum AptModule: PlayModule {
  static let name = "apt"
  static var arguments: Set<String>? { knownArguments }

  static let knownArguments: Set<String> = [
    "name", "pkg", "package", "state", "update_cache", "update-cache", "cache_valid_time", "deb",
    "install_recommends", "purge", "autoremove", "allow_downgrade", "allow_downgrades",
    "lock_timeout",
  ]

  /// One requested package: `nginx` or `nginx=1.2*` (a version pin, `*` as a trailing wildcard).
  struct Request: Equatable {
    var package: String
    var version: String?

    init(_ spec: String) {
      if let equals = spec.firstIndex(of: "=") {
        package = String(spec[..<equals])
        version = String(spec[spec.index(after: equals)...])
      } else {
        package = spec
        version = nil
      }
    }

    func accepts(_ installed: String) -> Bool {
      guard let version else { return true }
      if version.hasSuffix("*") { return installed.hasPrefix(String(version.dropLast())) }
      return installed == version
    }
  }

  /// What the host knows about one package.
  struct PackageState {
    /// The installed version when dpkg says `ii` (installed and configured), else nil.
    var installed: String?
    /// Config files are left from an earlier removal (`rc`): `purge` still has work to do.
    var configFilesOnly = false
    /// The version `apt-get install` would pick, nil when apt knows no such package.
    var candidate: String?
    /// Every version the sources offer (for pins).
    var available: [String] = []
  }

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let names = try args.list("name", "pkg", "package") ?? []
    let state = try args.choice(
      "state", ["present", "installed", "latest", "absent", "removed", "build-dep", "fixed"],
      default: "present")
    let updateCache =
      try args.values["update_cache"] != nil
      ? args.bool("update_cache", default: false) : args.bool("update-cache", default: false)
    let cacheValidTime = try args.int("cache_valid_time") ?? 0
    let deb = try args.string("deb")
    let installRecommends =
      try args.values["install_recommends"] == nil
      ? nil : args.bool("install_recommends", default: true)
    let purge = try args.bool("purge", default: false)
    let autoremove = try args.bool("autoremove", default: false)
    let allowDowngrade =
      try args.bool("allow_downgrade", default: false)
      || args.bool("allow_downgrades", default: false)

    guard ["present", "installed", "latest", "absent", "removed"].contains(state) else {
      throw ModuleFailure("state=\(state) is not supported by this apt module")
    }
    let requests = names.filter { !$0.isEmpty }.map(Request.init)
    // A name apt would read as an option (`-o…`) is no package name.
    if let bad = requests.first(where: {
      !($0.package.first?.isLetter ?? false) && !($0.package.first?.isNumber ?? false)
    }) {
      throw ModuleFailure("invalid package name '\(bad.package)'")
    }
    if requests.isEmpty && deb == nil && !updateCache && !autoremove {
      throw ModuleFailure("one of the following is required: name, deb, update_cache, autoremove")
    }
    if state == "latest", let pinned = requests.first(where: { $0.version != nil }) {
      throw ModuleFailure(
        "version number inconsistent with state=latest: \(pinned.package)=\(pinned.version!)")
    }

    var values: [String: VarValue] = [:]
    var messages: [String] = []

    // The cache first: the package state below must be read from the refreshed lists.
    var cacheUpdated = false
    if updateCache {
      let refresh = try refreshCache(validFor: cacheValidTime, context)
      cacheUpdated = refresh.updated
      values["cache_updated"] = .bool(cacheUpdated)
      values["cache_update_time"] = .int(refresh.time)
      if requests.isEmpty && deb == nil && !autoremove {
        return ModuleResult(
          changed: cacheUpdated,
          message: cacheUpdated
            ? (context.checkMode ? "would update the apt cache" : "apt cache updated")
            : "apt cache is recent enough", values: values)
      }
    }
    values["cache_updated"] = .bool(cacheUpdated)

    var changed = false
    var stdout = ""
    var stderr = ""
    let options = AptOptions(
      installRecommends: installRecommends, allowDowngrade: allowDowngrade, purge: purge,
      lockTimeout: try args.int("lock_timeout") ?? 60)

    if let deb {
      let outcome = try installDeb(deb, options: options, context)
      changed = changed || outcome.changed
      stdout += outcome.stdout
      stderr += outcome.stderr
      messages.append(outcome.message)
    }

    if !requests.isEmpty {
      let states = try readState(requests.map(\.package), context)
      let outcome: Outcome
      switch state {
      case "absent", "removed":
        outcome = try remove(requests, states, options: options, context)
      default:
        outcome = try install(
          requests, states, latest: state == "latest", options: options, context)
      }
      changed = changed || outcome.changed
      stdout += outcome.stdout
      stderr += outcome.stderr
      messages.append(outcome.message)
    }

    if autoremove {
      let outcome = try removeUnneeded(options: options, context)
      changed = changed || outcome.changed
      stdout += outcome.stdout
      stderr += outcome.stderr
      messages.append(outcome.message)
    }

    values["stdout"] = .string(stdout)
    values["stderr"] = .string(stderr)
    values["stdout_lines"] = .list(
      stdout.split(separator: "\n").map { .string(String($0)) })
    return ModuleResult(
      changed: changed, message: messages.filter { !$0.isEmpty }.joined(separator: "; "),
      values: values)
  }

  struct AptOptions {
    var installRecommends: Bool?
    var allowDowngrade: Bool
    var purge: Bool
    var lockTimeout: Int
  }

  struct Outcome {
    var changed: Bool
    var message: String
    var stdout = ""
    var stderr = ""
  }

  /// `apt-get` as Ansible runs it: no questions, keep changed config files, quiet progress.
  /// Waits up to `lock_timeout` for another apt or dpkg (unattended-upgrades) to finish.
  static func aptGet(_ words: [String], _ options: AptOptions) -> ShellScript {
    "DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef "
      + "-o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=\(options.lockTimeout) "
      + "\(words: words)"
  }

  // MARK: Cache

  /// Refreshes the package lists unless they are younger than `validFor` seconds. Returns
  /// whether they were (or in check mode would be) refreshed and their time.
  static func refreshCache(validFor: Int, _ context: ModuleContext) throws -> (
    updated: Bool, time: Int
  ) {
    // Ansible's freshness mark: apt's periodic stamp if present, else the lists folder.
    let probe = try context.succeed(
      """
      stamp=/var/lib/apt/periodic/update-success-stamp
      [ -e "$stamp" ] || stamp=/var/lib/apt/lists
      echo "$(stat -c %Y "$stamp") $(date +%s)"
      """, what: "reading the apt cache's age")
    let numbers = probe.stdoutText.split(separator: " ").compactMap {
      Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    let (stamp, now) = numbers.count == 2 ? (numbers[0], numbers[1]) : (0, 0)
    if validFor > 0 && now - stamp < validFor { return (false, stamp) }
    if context.checkMode { return (true, stamp) }
    // apt-get update leaves the lists folder's time alone when no list changed, and only
    // Ubuntu's update-notifier writes the stamp: write it, or cache_valid_time never holds.
    _ = try context.succeed(
      """
      DEBIAN_FRONTEND=noninteractive apt-get update -q || exit
      mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp
      """, what: "apt-get update", timeout: 600)
    return (true, now)
  }

  // MARK: Reading state

  /// dpkg's status and apt's candidate for each package, in one round trip.
  static func readState(_ packages: [String], _ context: ModuleContext) throws -> [String:
    PackageState]
  {
    let words: ShellScript = "\(words: packages)"
    let output = try context.succeed(
      """
      command -v apt-get >/dev/null || { echo 'apt-get is not installed on this host' >&2; exit 3; }
      echo '--dpkg'
      dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' \(words) 2>/dev/null
      echo '--policy'
      LC_ALL=C apt-cache policy \(words)
      """, what: "reading package state")
    var states: [String: PackageState] = [:]
    for package in packages { states[package] = PackageState() }
    var section = ""
    var current: String?
    var inVersionTable = false
    for rawLine in output.stdoutText.split(separator: "\n") {
      let line = String(rawLine)
      if line == "--dpkg" || line == "--policy" {
        section = line
        continue
      }
      if section == "--dpkg" {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 3 else { continue }
        let status = fields[1].trimmingCharacters(in: .whitespaces)
        if status.hasPrefix("ii") || status.hasPrefix("hi") {
          states[fields[0], default: PackageState()].installed = fields[2]
        } else if status.hasPrefix("rc") {
          states[fields[0], default: PackageState()].configFilesOnly = true
        }
        continue
      }
      // apt-cache policy: `name:` at column 0, then indented `Candidate:` and a version table.
      if !line.hasPrefix(" ") && line.hasSuffix(":") {
        current = String(line.dropLast())
        inVersionTable = false
        continue
      }
      guard let package = current else { continue }
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("Candidate:") {
        let candidate = trimmed.dropFirst("Candidate:".count).trimmingCharacters(in: .whitespaces)
        states[package, default: PackageState()].candidate =
          candidate == "(none)" ? nil : candidate
      } else if trimmed == "Version table:" {
        inVersionTable = true
      } else if inVersionTable, line.hasPrefix("     ") || line.hasPrefix(" *** ") {
        // `     1.0.80 500` (` *** ` marks the installed one) lists a version; lines indented
        // deeper name its sources.
        let body = line.dropFirst(5)
        if !body.hasPrefix(" "), let version = body.split(separator: " ").first {
          states[package, default: PackageState()].available.append(String(version))
        }
      }
    }
    return states
  }

  // MARK: Installing

  static func install(
    _ requests: [Request], _ states: [String: PackageState], latest: Bool, options: AptOptions,
    _ context: ModuleContext
  ) throws -> Outcome {
    guard
      let (words, specs) = try installCommand(
        requests, states, latest: latest, options: options)
    else {
      return Outcome(changed: false, message: "all packages are already in the requested state")
    }
    if context.checkMode {
      // apt-get -s resolves everything (dependencies too) without touching the system, so a
      // request apt would refuse fails here as it would for real.
      let simulation = try context.succeed(
        aptGet(["-s"] + words, options), what: "apt-get install (simulated)", timeout: 600)
      let changes = simulatedChanges(simulation.stdoutText)
      return Outcome(
        changed: true,
        message: "would install or upgrade: "
          + (changes.isEmpty ? specs : changes).joined(
            separator: ", "), stdout: simulation.stdoutText)
    }
    let output = try context.succeed(aptGet(words, options), what: "apt-get install", timeout: 1800)
    return Outcome(
      changed: true, message: "installed " + specs.joined(separator: ", "),
      stdout: output.stdoutText, stderr: output.stderrText)
  }

  /// `apt-get install`'s words and the package specs among them, decided from what the host
  /// said about each package alone (facts in, command out; AptModuleDecisionTests); nil when
  /// every package is already as asked.
  static func installCommand(
    _ requests: [Request], _ states: [String: PackageState], latest: Bool, options: AptOptions
  ) throws(ModuleFailure) -> (words: [String], specs: [String])? {
    var specs: [String] = []
    var missing: [String] = []
    for request in requests {
      let state = states[request.package] ?? PackageState()
      if state.candidate == nil && state.installed == nil {
        missing.append(request.package)
        continue
      }
      if let version = request.version {
        guard
          let match = state.available.first(where: request.accepts)
            ?? state.installed.flatMap({
              request.accepts($0) ? $0 : nil
            })
        else {
          throw ModuleFailure("No package matching '\(request.package)=\(version)' is available")
        }
        if let installed = state.installed, request.accepts(installed) { continue }
        specs.append("\(request.package)=\(match)")
      } else if let installed = state.installed {
        if latest, let candidate = state.candidate, candidate != installed {
          specs.append(request.package)
        }
      } else {
        specs.append(request.package)
      }
    }
    guard missing.isEmpty else {
      throw ModuleFailure(
        "No package matching '\(missing.joined(separator: "', '"))' is available")
    }
    guard !specs.isEmpty else { return nil }
    var words = ["install"]
    if let recommends = options.installRecommends {
      words.append(recommends ? "--install-recommends" : "--no-install-recommends")
    }
    if options.allowDowngrade { words.append("--allow-downgrades") }
    return (words + specs, specs)
  }

  /// `Inst pkg [old] (new …)` and `Remv pkg [old]` lines of `apt-get -s`, as `pkg (new)`.
  static func simulatedChanges(_ output: String) -> [String] {
    output.split(separator: "\n").compactMap { line in
      let words = line.split(separator: " ")
      guard words.count >= 2, words[0] == "Inst" || words[0] == "Remv" else { return nil }
      let verb = words[0] == "Inst" ? "" : "remove "
      if words[0] == "Inst", let open = words.firstIndex(where: { $0.hasPrefix("(") }) {
        return "\(verb)\(words[1])=\(words[open].dropFirst())"
      }
      return "\(verb)\(words[1])"
    }
  }

  static func installDeb(_ path: String, options: AptOptions, _ context: ModuleContext) throws
    -> Outcome
  {
    let probe = try context.succeed(
      """
      [ -f \(path) ] || { echo 'no such file on the host: '\(path) >&2; exit 3; }
      package=$(dpkg-deb -f \(path) Package) || exit 4
      version=$(dpkg-deb -f \(path) Version) || exit 4
      installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$package" 2>/dev/null)
      printf '%s\\n%s\\n%s\\n' "$package" "$version" "$installed"
      """, what: "reading the .deb \(path)")
    let lines = probe.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(
      String.init)
    let package = lines.first ?? path
    let version = lines.count > 1 ? lines[1] : ""
    let installed = lines.count > 2 ? lines[2] : ""
    if installed.hasPrefix("ii") && installed.split(separator: " ").last.map(String.init) == version
    {
      return Outcome(changed: false, message: "\(package) \(version) is already installed")
    }
    // apt-get resolves the .deb's dependencies from the sources; it wants a path with a slash.
    let local = path.contains("/") ? path : "./" + path
    var words = ["install"]
    if let recommends = options.installRecommends {
      words.append(recommends ? "--install-recommends" : "--no-install-recommends")
    }
    words += ["--allow-downgrades", local]
    if context.checkMode {
      let simulation = try context.succeed(
        aptGet(["-s"] + words, options), what: "apt-get install (simulated)", timeout: 600)
      return Outcome(
        changed: true, message: "would install \(package)=\(version) from \(path)",
        stdout: simulation.stdoutText)
    }
    let output = try context.succeed(
      aptGet(words, options), what: "installing \(path)", timeout: 1800)
    return Outcome(
      changed: true, message: "installed \(package)=\(version) from \(path)",
      stdout: output.stdoutText, stderr: output.stderrText)
  }

  // MARK: Removing

  static func remove(
    _ requests: [Request], _ states: [String: PackageState], options: AptOptions,
    _ context: ModuleContext
  ) throws -> Outcome {
    guard let words = removeCommand(requests, states, purge: options.purge) else {
      return Outcome(changed: false, message: "no requested package is installed")
    }
    let present = Array(words.dropFirst())
    if context.checkMode {
      let simulation = try context.succeed(
        aptGet(["-s"] + words, options), what: "apt-get remove (simulated)", timeout: 600)
      return Outcome(
        changed: true,
        message: "would \(options.purge ? "purge" : "remove"): "
          + present.joined(separator: ", "), stdout: simulation.stdoutText)
    }
    let output = try context.succeed(
      aptGet(words, options), what: "apt-get \(words[0])", timeout: 1800)
    return Outcome(
      changed: true, message: "removed " + present.joined(separator: ", "),
      stdout: output.stdoutText, stderr: output.stderrText)
  }

  /// `apt-get remove` or `purge` with the packages that need it, from what the host said
  /// alone; nil when none does.
  static func removeCommand(
    _ requests: [Request], _ states: [String: PackageState], purge: Bool
  ) -> [String]? {
    let present = requests.filter { request in
      let state = states[request.package] ?? PackageState()
      if let installed = state.installed { return request.accepts(installed) }
      // Purging also clears config files a plain removal left behind.
      return purge && state.configFilesOnly
    }.map(\.package)
    return present.isEmpty ? nil : [purge ? "purge" : "remove"] + present
  }

  static func removeUnneeded(options: AptOptions, _ context: ModuleContext) throws -> Outcome {
    var words = ["autoremove"]
    if options.purge { words.append("--purge") }
    let simulation = try context.succeed(
      aptGet(["-s"] + words, options), what: "apt-get autoremove (simulated)", timeout: 600)
    let removals = simulatedChanges(simulation.stdoutText)
    guard !removals.isEmpty else {
      return Outcome(changed: false, message: "")
    }
    if context.checkMode {
      return Outcome(
        changed: true, message: "would autoremove: " + removals.joined(separator: ", "))
    }
    let output = try context.succeed(
      aptGet(words, options), what: "apt-get autoremove", timeout: 1800)
    return Outcome(
      changed: true, message: "autoremoved " + removals.joined(separator: ", "),
      stdout: output.stdoutText, stderr: output.stderrText)
  }
}

/// `package`: the generic package manager module. On Debian-family hosts (those with apt-get)
/// it is `apt` with the same arguments, as Ansible's `package` picks the host's manager.
enum PackageModule: PlayModule {
  static let name = "package"
  static var arguments: Set<String>? { AptModule.knownArguments.union(["use"]) }

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let use = try args.string("use") ?? "auto"
    guard use == "auto" || use == "apt" else {
      throw ModuleFailure("package manager '\(use)' is not supported (only apt)")
    }
    let probe = try context.shell("command -v apt-get >/dev/null && echo apt")
    guard probe.stdoutText.hasPrefix("apt") else {
      throw ModuleFailure(
        "could not find a supported package manager on \(context.host) (only apt is supported)")
    }
    var aptArgs = args
    aptArgs.values["use"] = nil
    return try AptModule.run(aptArgs, context)
  }
}
