import DeploySupport
import Foundation
import HostShell

/// `file`: makes a path be a file, a directory, a symbolic link, absent, or touched, with the
/// owner, group and mode asked for. Like Ansible it never creates file content: `state: file`
/// on a missing path fails.
enum FileModule: PlayModule {
  static let name = "file"
  static let arguments: Set<String>? = [
    "path", "dest", "name", "state", "src", "owner", "group", "mode", "recurse", "force",
    "follow",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let path = try args.required("path", "dest", "name")
    let requested = try args.choice(
      "state", ["file", "directory", "link", "absent", "touch", "hard"], default: "")
    let src = try args.string("src")
    let force = try args.bool("force", default: false)
    let follow = try args.bool("follow", default: true)
    let recurse = try args.bool("recurse", default: false)
    let attributes = try RemoteFile.Attributes.from(args)
    if requested == "hard" { throw ModuleFailure("state=hard is not supported") }
    if recurse && requested != "directory" {
      throw ModuleFailure("recurse option requires state to be 'directory'")
    }
    if src != nil && requested != "link" && requested != "hard" {
      throw ModuleFailure("src option requires state to be 'link' or 'hard'")
    }

    var tests: [String: ShellScript] = [:]
    if requested == "link" {
      guard let src else { throw ModuleFailure("src is required for creating a link") }
      // A relative `src` is relative to the link's folder, as the kernel will read it.
      tests["srcExists"] =
        "( cd -- \"$(dirname -- \"$p\")\" 2>/dev/null && [ -e \(RemoteFile.dashSafe(src)) ] )"
      tests["emptyDirectory"] = "[ -d \"$p\" ] && [ -z \"$(ls -A -- \"$p\")\" ]"
    }
    // A link is examined itself when it is what we manage, or when told not to follow it.
    let followLink = follow && requested != "link" && requested != "absent"
    let current = try RemoteFile.probe(
      path, RemoteFile.ProbeOptions(follow: followLink, tests: tests), in: context)
    let before = stateName(current)
    let state = requested.isEmpty ? (current.exists ? before : "file") : requested

    let outcome: Outcome
    switch state {
    case "absent": outcome = try remove(path, current, context)
    case "directory":
      outcome = try directory(path, current, attributes, recurse: recurse, context)
    case "link":
      // Without a state, an existing link stays the link it is.
      let target = src ?? current.linkTarget ?? ""
      outcome = try link(path, to: target, current, attributes, force: force, context)
    case "touch": outcome = try touch(path, current, attributes, context)
    default:
      guard current.kind == .file else {
        throw ModuleFailure(
          "file (\(path)) is \(before), cannot continue",
          values: ["path": .string(path), "state": .string(before)])
      }
      outcome = try settle(path, current, attributes, context)
    }

    var values = RemoteFile.values(outcome.state, pathKey: "path", path: path)
    if state == "link" { values["src"] = .string(outcome.state.linkTarget ?? src ?? "") }
    var diffs: [FileDiff] = []
    let after = stateName(outcome.state)
    if context.diffMode && before != after && outcome.changed {
      diffs.append(FileDiff(path: path, before: "state: \(before)\n", after: "state: \(after)\n"))
    }
    return ModuleResult(changed: outcome.changed, diffs: diffs, values: values)
  }

  private struct Outcome {
    var changed: Bool
    var state: RemoteFile.State
  }

  private static func stateName(_ kind: RemoteFile.Kind) -> String {
    switch kind {
    case .absent: return "absent"
    case .directory: return "directory"
    case .link: return "link"
    case .file, .other: return "file"
    }
  }

  private static func stateName(_ state: RemoteFile.State) -> String {
    state.exists ? stateName(state.kind) : "absent"
  }

  /// Applies the attributes that differ to an existing path.
  private static func settle(
    _ path: String, _ current: RemoteFile.State, _ attributes: RemoteFile.Attributes,
    _ context: ModuleContext, onLink: Bool = false
  ) throws -> Outcome {
    let differing = attributes.differing(from: current)
    guard !differing.isEmpty && !(onLink && differing.owner == nil && differing.group == nil)
    else {
      return Outcome(changed: false, state: current)
    }
    if context.checkMode { return Outcome(changed: true, state: differing.applied(to: current)) }
    let state = try RemoteFile.apply(differing, to: path, onLink: onLink, in: context)
    return Outcome(changed: true, state: state)
  }

  private static func remove(_ path: String, _ current: RemoteFile.State, _ context: ModuleContext)
    throws -> Outcome
  {
    guard current.exists else { return Outcome(changed: false, state: current) }
    if !context.checkMode {
      _ = try context.succeed(
        "rm -rf -- \(RemoteFile.dashSafe(path))", what: "removing \(path)")
    }
    return Outcome(changed: true, state: RemoteFile.State())
  }

  private static func directory(
    _ path: String, _ current: RemoteFile.State, _ attributes: RemoteFile.Attributes,
    recurse: Bool, _ context: ModuleContext
  ) throws -> Outcome {
    if current.exists && current.kind != .directory {
      throw ModuleFailure(
        "\(path) already exists as a \(stateName(current.kind))", values: ["path": .string(path)])
    }
    if !current.exists {
      if context.checkMode {
        var state = attributes.applied(to: RemoteFile.State())
        state.kind = .directory
        state.attributesKnown = false
        return Outcome(changed: true, state: state)
      }
      // Each folder created gets the attributes, as Ansible does, not only the last one.
      var script: ShellScript = ""
      for folder in ancestors(of: path) {
        let word: ShellScript = "\(RemoteFile.dashSafe(folder))"
        let set = attributes.commands().map { $0 + " || exit 1" }.joined(separator: "; ")
        // Another process may create it meanwhile (hosts that share a disk): that is fine.
        script +=
          "if [ ! -d \(word) ]; then { mkdir -- \(word) 2>/dev/null || [ -d \(word) ]"
          + " || mkdir -- \(word); } || exit 1; target=\(word)"
        script += set.isEmpty ? "; fi\n" : "; \(set); fi\n"
      }
      script += "target=\(RemoteFile.dashSafe(path))\necho kind=directory\n"
      script += "printf 'stat='; stat -L -c \(RemoteFile.statFormat) -- \"$target\"\n"
      let output = try context.succeed(script, what: "creating directory \(path)")
      return Outcome(changed: true, state: RemoteFile.parse(output.stdoutText))
    }
    var outcome = try settle(path, current, attributes, context)
    if recurse && !attributes.isEmpty {
      outcome.changed = try settleTree(path, attributes, context) || outcome.changed
    }
    return outcome
  }

  /// `recurse: true`: the same owner, group and mode on everything below the folder.
  private static func settleTree(
    _ path: String, _ attributes: RemoteFile.Attributes, _ context: ModuleContext
  ) throws -> Bool {
    let word: ShellScript = "\(RemoteFile.dashSafe(path))"
    var conditions: [ShellScript] = []
    if let mode = attributes.mode {
      conditions.append("\\( ! -type l ! -perm \(String(mode, radix: 8)) \\)")
    }
    if let owner = attributes.owner { conditions.append("! -user \(owner)") }
    if let group = attributes.group { conditions.append("! -group \(group)") }
    let find: ShellScript =
      "find \(word) -mindepth 1 \\( \(conditions.joined(separator: " -o ")) \\) -print"
    let probe = try context.succeed(
      "\(find) | head -n 1", what: "examining the files under \(path)")
    guard !probe.stdout.isEmpty else { return false }
    if context.checkMode { return true }
    var commands: [ShellScript] = []
    if let owner = attributes.owner {
      commands.append("chown -R -h -- \(owner) \(word)")
    }
    if let group = attributes.group {
      commands.append("chgrp -R -h -- \(group) \(word)")
    }
    if let mode = attributes.mode {
      commands.append("chmod -R -- \(String(mode, radix: 8)) \(word)")
    }
    _ = try context.succeed(
      commands.joined(separator: " && "), what: "setting attributes under \(path)")
    return true
  }

  /// `/a/b/c` → `/a`, `/a/b`, `/a/b/c`; `a/b` → `a`, `a/b`.
  static func ancestors(of path: String) -> [String] {
    var result: [String] = []
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
      result.append(prefix)
    }
    return result
  }

  private static func link(
    _ path: String, to src: String, _ current: RemoteFile.State,
    _ attributes: RemoteFile.Attributes, force: Bool, _ context: ModuleContext
  ) throws -> Outcome {
    if current.kind == .link && current.linkTarget == src {
      return try settle(path, current, attributes, context, onLink: true)
    }
    if !(current.tests["srcExists"] ?? false) && !force {
      throw ModuleFailure(
        "src file does not exist, use \"force=yes\" if you really want to create the link: \(src)",
        values: ["path": .string(path), "src": .string(src)])
    }
    var removeFolder = false
    switch current.kind {
    case .directory:
      guard current.tests["emptyDirectory"] ?? false else {
        throw ModuleFailure("the directory \(path) is not empty, refusing to convert it")
      }
      guard force else {
        throw ModuleFailure("refusing to convert from directory to symlink for \(path)")
      }
      removeFolder = true
    case .file, .other:
      guard force else {
        throw ModuleFailure("refusing to convert from file to symlink for \(path)")
      }
    case .absent, .link: break
    }
    if context.checkMode {
      var state = attributes.applied(to: current)
      state.kind = .link
      state.linkTarget = src
      state.attributesKnown = current.exists
      return Outcome(changed: true, state: state)
    }
    let word: ShellScript = "\(RemoteFile.dashSafe(path))"
    var script: ShellScript = removeFolder ? "rmdir -- \(word) || exit 1\n" : ""
    // -n: a link to a folder is replaced, not followed into.
    script += "ln -sfn -- \(src) \(word) || exit 1\ntarget=\(word)\n"
    script += attributes.commands(onLink: true).map { $0 + " || exit 1\n" }.joined(separator: "")
    script += "echo kind=link\nprintf 'stat='; stat -c \(RemoteFile.statFormat) -- \"$target\"\n"
    let output = try context.succeed(script, what: "creating link \(path)")
    var state = RemoteFile.parse(output.stdoutText)
    state.linkTarget = src
    return Outcome(changed: true, state: state)
  }

  /// `touch` changes the times, so it always reports a change, as Ansible does.
  private static func touch(
    _ path: String, _ current: RemoteFile.State, _ attributes: RemoteFile.Attributes,
    _ context: ModuleContext
  ) throws -> Outcome {
    if context.checkMode {
      var state = attributes.applied(to: current)
      if !current.exists {
        state.kind = .file
        state.attributesKnown = false
      }
      return Outcome(changed: true, state: state)
    }
    let word: ShellScript = "\(RemoteFile.dashSafe(path))"
    var script: ShellScript = "target=\(word)\ntouch -- \"$target\" || exit 1\n"
    script += attributes.differing(
      from: current.exists ? current : RemoteFile.State(mode: -1, uid: -1, gid: -1)
    )
    .commands().map { $0 + " || exit 1\n" }.joined(separator: "")
    script += "if [ -d \"$target\" ]; then echo kind=directory; else echo kind=file; fi\n"
    script += "printf 'stat='; stat -L -c \(RemoteFile.statFormat) -- \"$target\"\n"
    let output = try context.succeed(script, what: "touching \(path)")
    return Outcome(changed: true, state: RemoteFile.parse(output.stdoutText))
  }
}
