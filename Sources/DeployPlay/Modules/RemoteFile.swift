import DeploySSH
import DeploySupport
import Foundation
import HostShell

/// Reading and writing one file on a host, shared by the file modules (`copy`, `template`,
/// `file`, `lineinfile`, `blockinfile`, `stat`). Reading gathers everything a module needs in
/// one round trip; writing goes through a temporary file beside the destination that is moved
/// over it, so a reader never sees a half-written file and a failed validation leaves the
/// destination as it was.
enum RemoteFile {
  enum Kind: String, Sendable {
    case absent, file, directory, link, other
  }

  /// What a path is on the host.
  struct State: Sendable, Equatable {
    var kind: Kind = .absent
    /// The path itself is a symbolic link (even when `kind` describes what it points to).
    var isLink = false
    /// Permission bits, set-id and sticky bits included (`stat`'s `%a`).
    var mode = 0
    var uid = 0
    var gid = 0
    var owner = ""
    var group = ""
    var size = 0
    var mtime = 0
    /// Where the link points, as written in it (`readlink`), when the path is a link.
    var linkTarget: String?
    /// The file's bytes, when asked for and the path is a regular file.
    var content: [UInt8]?
    /// The file's SHA-1 as lowercase hex, when asked for and the path is a regular file.
    var sha1: String?
    /// The outcome of each extra test asked for (`ProbeOptions.tests`).
    var tests: [String: Bool] = [:]
    /// False for a path check mode only imagines: its owner and mode are not known.
    var attributesKnown = true

    var exists: Bool { kind != .absent }
    var modeString: String { RemoteFile.octal(mode) }
  }

  struct ProbeOptions {
    /// Describe what a symbolic link points to rather than the link.
    var follow = false
    var content = false
    var sha1 = false
    /// Extra shell conditions to evaluate in the same round trip, by name; `"$p"` is the path.
    var tests: [String: ShellScript] = [:]
  }

  /// `stat` fields in the order `parseStat` reads them. `%U`/`%G` are names, which cannot hold
  /// `|` on any sane system. It goes into scripts as a word of its own, which quotes it.
  static let statFormat = "%a|%u|%g|%U|%G|%s|%Y"

  /// Reads `path`'s kind, attributes and (optionally) content in one round trip.
  static func probe(_ path: String, _ options: ProbeOptions, in context: ModuleContext) throws
    -> State
  {
    var script: ShellScript = """
      p=\(dashSafe(path))
      follow=\(options.follow ? 1 : 0)
      if [ -L "$p" ]; then echo islink=1; fi
      if [ -L "$p" ] && [ "$follow" = 0 ]; then kind=link
      elif [ -d "$p" ]; then kind=directory
      elif [ -f "$p" ]; then kind=file
      elif [ -e "$p" ]; then kind=other
      elif [ -L "$p" ]; then kind=link
      else kind=absent
      fi
      echo "kind=$kind"

      """
    for (name, condition) in options.tests.sorted(by: { $0.key < $1.key }) {
      let passed = "test.\(name)=1"
      let failed = "test.\(name)=0"
      script += "if \(condition); then echo \(passed); else echo \(failed); fi\n"
    }
    script += """
      [ "$kind" = absent ] && exit 0
      if [ "$kind" = link ]; then deref=; else deref=-L; fi
      printf 'stat='; stat $deref -c \(statFormat) -- "$p" || exit 1
      if [ -L "$p" ]; then printf 'link='; readlink -- "$p" | base64 | tr -d '\\n'; echo; fi

      """
    if options.content {
      script += """
        if [ "$kind" = file ]; then
          printf 'content='; base64 < "$p" | tr -d '\\n' || exit 1; echo
        fi

        """
    }
    if options.sha1 {
      script += """
        if [ "$kind" = file ]; then printf 'sha1='; sha1sum < "$p" | cut -d ' ' -f 1; fi

        """
    }
    let output = try context.succeed(script, what: "reading \(path)")
    return parse(output.stdoutText)
  }

  /// Parses the `key=value` lines the probe and write scripts print.
  static func parse(_ text: String) -> State {
    var state = State()
    for line in text.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<equals])
      let value = String(line[line.index(after: equals)...])
      switch key {
      case "islink": state.isLink = true
      case "kind": state.kind = Kind(rawValue: value) ?? .other
      case "stat": parseStat(value, into: &state)
      case "link":
        var target = String(decoding: decodeBase64(value), as: UTF8.self)
        if target.hasSuffix("\n") { target.removeLast() }  // readlink's own newline
        state.linkTarget = target
      case "content": state.content = decodeBase64(value)
      case "sha1": state.sha1 = value
      default:
        if key.hasPrefix("test.") { state.tests[String(key.dropFirst(5))] = value == "1" }
      }
    }
    return state
  }

  static func parseStat(_ line: String, into state: inout State) {
    let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    guard fields.count >= 7 else { return }
    state.mode = Int(fields[0], radix: 8) ?? 0
    state.uid = Int(fields[1]) ?? 0
    state.gid = Int(fields[2]) ?? 0
    state.owner = fields[3]
    state.group = fields[4]
    state.size = Int(fields[5]) ?? 0
    state.mtime = Int(fields[6]) ?? 0
  }

  static func decodeBase64(_ text: String) -> [UInt8] {
    Data(base64Encoded: text, options: .ignoreUnknownCharacters).map { [UInt8]($0) } ?? []
  }

  /// A path that no command can mistake for an option, even those without `--` (`find`).
  static func dashSafe(_ path: String) -> String {
    path.hasPrefix("-") ? "./" + path : path
  }

  /// A mode as Ansible returns it: `"0644"`, `"04755"`.
  static func octal(_ mode: Int) -> String {
    let digits = String(mode, radix: 8)
    return digits.count < 4
      ? String(repeating: "0", count: 4 - digits.count) + digits : "0" + digits
  }

  static func sha1Hex(_ bytes: [UInt8]) -> String {
    OpenSSLDigest.sha1(bytes).map { String(format: "%02x", $0) }.joined()
  }

  // MARK: - Attributes

  /// The owner, group and mode a task asks for (nil: leave as it is).
  struct Attributes: Sendable, Equatable {
    var owner: String?
    var group: String?
    var mode: Int?

    var isEmpty: Bool { owner == nil && group == nil && mode == nil }

    static func from(_ args: ModuleArgs) throws(ModuleFailure) -> Attributes {
      Attributes(
        owner: try args.string("owner"), group: try args.string("group"), mode: try args.mode())
    }

    /// Only those of these attributes that `state` does not already have. An owner or group
    /// given as a number is compared with the id, a name with the name.
    func differing(from state: State) -> Attributes {
      var result = Attributes()
      if let owner, !RemoteFile.matches(owner, id: state.uid, name: state.owner) {
        result.owner = owner
      }
      if let group, !RemoteFile.matches(group, id: state.gid, name: state.group) {
        result.group = group
      }
      if let mode, mode != state.mode { result.mode = mode }
      return result
    }

    /// The state after applying these attributes (check mode reports this without acting).
    func applied(to state: State) -> State {
      var state = state
      if let owner {
        if let id = Int(owner) { state.uid = id } else { state.owner = owner }
      }
      if let group {
        if let id = Int(group) { state.gid = id } else { state.group = group }
      }
      if let mode { state.mode = mode }
      return state
    }

    /// Shell commands setting these attributes on `"$target"`. Links get `chown -h` (Linux has
    /// no mode on a link, so `mode` is not applied to one).
    func commands(onLink: Bool = false) -> [ShellScript] {
      var commands: [ShellScript] = []
      let noDereference: ShellScript = onLink ? " -h" : ""
      if let owner {
        commands.append("chown\(noDereference) -- \(owner) \"$target\"")
      }
      if let group {
        commands.append("chgrp\(noDereference) -- \(group) \"$target\"")
      }
      if let mode, !onLink { commands.append("chmod -- \(String(mode, radix: 8)) \"$target\"") }
      return commands
    }
  }

  static func matches(_ wanted: String, id: Int, name: String) -> Bool {
    if let number = Int(wanted) { return number == id }
    return wanted == name
  }

  /// Sets `attributes` on `path` (the caller has already dropped those that are as asked) and
  /// returns the state afterwards.
  static func apply(
    _ attributes: Attributes, to path: String, onLink: Bool = false, in context: ModuleContext
  ) throws -> State {
    var lines: [ShellScript] = ["target=\(dashSafe(path))"]
    lines += attributes.commands(onLink: onLink).map { $0 + " || exit 1" }
    lines.append(
      onLink
        ? "echo kind=link"
        : "if [ -d \"$target\" ]; then echo kind=directory; else echo kind=file; fi")
    let dereference: ShellScript = onLink ? "" : "-L "
    lines.append("printf 'stat='; stat \(dereference)-c \(statFormat) -- \"$target\"")
    let output = try context.succeed(
      lines.joined(separator: "\n"), what: "setting owner, group or mode of \(path)")
    return parse(output.stdoutText)
  }

  // MARK: - Writing content

  struct Write {
    var path: String
    var content: [UInt8]
    /// Explicit owner, group and mode; what is nil is kept from the file being replaced (a new
    /// file gets the umask's mode and the remote user's owner).
    var attributes = Attributes()
    /// The file being replaced, when there is one.
    var current: State?
    /// A command with `%s` for the temporary file; the file is moved in place only if it
    /// exits 0.
    var validate: String?
    var backup = false
    /// Write to what a symbolic link points to instead of replacing the link.
    var followLinks = false
    var makeParents = false
  }

  struct Written {
    var state: State
    var backupFile: String?
  }

  /// Ansible's `failed to validate` message starts with these words; tests look for them.
  static let validationFailed = "failed to validate"

  static func write(_ request: Write, in context: ModuleContext) throws -> Written {
    let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    var script: ShellScript = "dest=\(dashSafe(request.path))\n"
    if request.followLinks {
      script += "if [ -L \"$dest\" ]; then dest=$(readlink -f -- \"$dest\") || exit 1; fi\n"
    }
    script += "dir=$(dirname -- \"$dest\")\n"
    if request.makeParents {
      script += "mkdir -p -- \"$dir\" || exit 1\n"
    } else {
      script +=
        "[ -d \"$dir\" ] || { echo \"Destination directory $dir does not exist\" >&2; exit 1; }\n"
    }
    // The name is chosen here so that `validate` can name it; noclobber refuses to reuse a
    // file someone else put there (and then it is not ours to remove).
    script += """
      target="$dir/.deploy-tmp."\(suffix)
      (umask 077; set -C; : > "$target") || exit 1
      fail() { rm -f -- "$target"; exit "${1:-1}"; }
      cat > "$target" || fail

      """
    var attributes = request.attributes
    // Only a regular file's attributes are worth keeping (a dangling link's 0777 is not).
    if let current = request.current, current.kind == .file {
      if attributes.mode == nil { attributes.mode = current.mode }
      // Keeping the owner needs privileges a plain user may lack; like Ansible, try and go on.
      if attributes.owner == nil { script += "chown -- \(current.uid) \"$target\" 2>/dev/null\n" }
      if attributes.group == nil { script += "chgrp -- \(current.gid) \"$target\" 2>/dev/null\n" }
    }
    if attributes.mode == nil {
      script += "chmod -- \"$(printf '%o' $(( 0666 & ~$(umask) )))\" \"$target\" || fail\n"
    }
    script += attributes.commands().map { $0 + " || fail" }.joined(separator: "\n") + "\n"
    if let validate = request.validate {
      // Its output goes to stderr, for the failure message; 90 tells the failure apart.
      script += """
        { \(try validationCommand(validate)); } 1>&2
        status=$?
        if [ "$status" -ne 0 ]; then echo "validate_rc=$status"; fail 90; fi

        """
    }
    if request.backup {
      script += """
        if [ -e "$dest" ]; then
          backup="$dest.$$.$(date +%Y-%m-%d@%H:%M:%S)~"
          cp -p -- "$dest" "$backup" || fail
          printf 'backup='; printf '%s' "$backup" | base64 | tr -d '\\n'; echo
        fi

        """
    }
    script += """
      mv -f -- "$target" "$dest" || fail
      echo kind=file
      printf 'stat='; stat -c \(statFormat) -- "$dest"
      """
    let output = try context.shell(script, stdin: request.content)
    let status = output.result.exitStatus
    let stderr = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    if status == 90, let line = output.stdoutText.split(separator: "\n").last,
      line.hasPrefix("validate_rc=")
    {
      let rc = Int(line.dropFirst("validate_rc=".count)) ?? Int(status)
      throw ModuleFailure(
        validationFailed + ": rc:\(rc)" + (stderr.isEmpty ? "" : " error:\(stderr)"),
        values: ["rc": .int(rc), "stderr": .string(output.stderrText)])
    }
    guard output.result.succeeded else {
      throw ModuleFailure(
        "could not write \(request.path)" + (stderr.isEmpty ? "" : ": \(stderr)"),
        values: ["rc": .int(Int(status)), "stderr": .string(output.stderrText)])
    }
    var backupFile: String?
    for line in output.stdoutText.split(separator: "\n") where line.hasPrefix("backup=") {
      backupFile = String(decoding: decodeBase64(String(line.dropFirst(7))), as: UTF8.self)
    }
    return Written(state: parse(output.stdoutText), backupFile: backupFile)
  }

  /// `validate` as Ansible runs it: split into words like a command line (no shell features),
  /// each `%s` standing for the temporary file.
  static func validationCommand(_ validate: String) throws(ModuleFailure) -> ShellScript {
    guard validate.contains("%s") else {
      throw ModuleFailure("validate must contain %s: \(validate)")
    }
    return try ShellWords.split(validate).map { word in
      word.components(separatedBy: "%s").map { "\($0)" as ShellScript }.joined(
        separator: "\"$target\"")
    }.joined(separator: " ")
  }

  /// What `ensure` did (or, in check mode, would do).
  struct Outcome {
    var contentChanged: Bool
    var attributesChanged: Bool
    var state: State
    var backupFile: String?

    var changed: Bool { contentChanged || attributesChanged }
  }

  /// Makes `path` hold `content` (when `contentChanged`) and have `attributes`, acting only on
  /// what differs from `current`, and not at all in check mode.
  static func ensure(
    _ request: Write, contentChanged: Bool, in context: ModuleContext
  ) throws -> Outcome {
    let current = request.current ?? State()
    let differing =
      current.kind == .file ? request.attributes.differing(from: current) : Attributes()
    if contentChanged {
      if context.checkMode {
        var state = request.attributes.applied(to: current)
        state.kind = .file
        state.attributesKnown = current.exists
        state.size = request.content.count
        return Outcome(
          contentChanged: true, attributesChanged: !differing.isEmpty, state: state)
      }
      let written = try write(request, in: context)
      return Outcome(
        contentChanged: true, attributesChanged: !differing.isEmpty, state: written.state,
        backupFile: written.backupFile)
    }
    guard !differing.isEmpty else {
      return Outcome(contentChanged: false, attributesChanged: false, state: current)
    }
    let state =
      context.checkMode
      ? differing.applied(to: current) : try apply(differing, to: request.path, in: context)
    return Outcome(contentChanged: false, attributesChanged: true, state: state)
  }

  /// The end of an in-place text edit (`lineinfile`, `blockinfile`): the file written with
  /// the task's `validate`/`backup` and attributes, the message completed, the diff made.
  static func finishEdit(
    path: String, before: [UInt8], after: [UInt8], attributes: Attributes, current: State,
    contentChanged: Bool, message: String, args: ModuleArgs, in context: ModuleContext
  ) throws -> (outcome: Outcome, message: String, diffs: [FileDiff]) {
    let outcome = try ensure(
      Write(
        path: path, content: after, attributes: attributes, current: current,
        validate: try args.string("validate"), backup: try args.bool("backup", default: false),
        followLinks: true, makeParents: true),
      contentChanged: contentChanged, in: context)
    var diffs: [FileDiff] = []
    if context.diffMode && contentChanged {
      diffs.append(FileDiff(path: path, before: diffText(before), after: diffText(after)))
    }
    return (
      outcome, RemoteFile.message(message, attributesChanged: outcome.attributesChanged), diffs
    )
  }

  // MARK: - Results

  /// Return values describing a file, as Ansible's file modules add them.
  static func values(_ state: State, pathKey: String, path: String) -> [String: VarValue] {
    var values: [String: VarValue] = [pathKey: .string(path)]
    guard state.exists else {
      values["state"] = .string("absent")
      return values
    }
    values["state"] = .string(
      state.kind == .directory ? "directory" : state.kind == .link ? "link" : "file")
    values["size"] = .int(state.size)
    guard state.attributesKnown else { return values }
    values["mode"] = .string(state.modeString)
    values["uid"] = .int(state.uid)
    values["gid"] = .int(state.gid)
    values["owner"] = .string(state.owner)
    values["group"] = .string(state.group)
    return values
  }

  /// Text for a diff: bytes that are not text are not shown line by line.
  static func diffText(_ bytes: [UInt8]) -> String {
    if bytes.contains(0) { return "(binary content, \(bytes.count) bytes)\n" }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Ansible's message once attributes changed on top of (or instead of) content.
  static func message(_ message: String, attributesChanged: Bool) -> String {
    guard attributesChanged else { return message }
    let attributes = "ownership, perms or SE linux context changed"
    return message.isEmpty ? attributes : message + " and " + attributes
  }
}
