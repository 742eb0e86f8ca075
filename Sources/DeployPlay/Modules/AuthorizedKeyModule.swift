import DeploySupport
import Foundation
import HostShell

/// `authorized_key`: SSH public keys in a user's `authorized_keys`. Keys are matched as Ansible
/// matches them, by type and key data (not by comment or options): a key present with other
/// options or comment is replaced in place. The folder is kept 0700 and the file 0600, both
/// owned by the user, and the new content is written only if it differs.
enum AuthorizedKeyModule: PlayModule {
  static let name = "authorized_key"
  static let arguments: Set<String>? = [
    "user", "key", "state", "exclusive", "path", "manage_dir", "key_options", "comment",
  ]

  /// One line of an authorized_keys file, with the key that identifies it (nil for comments,
  /// blank lines and lines we cannot parse, which are kept as they are).
  struct KeyLine {
    var text: String
    var identity: String?

    init(_ text: String, options: String? = nil, comment: String? = nil) {
      let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      guard !text.hasPrefix("#"),
        let typeIndex = words.firstIndex(where: KeyLine.isKeyType), typeIndex + 1 < words.count
      else {
        self.text = text
        identity = nil
        return
      }
      identity = words[typeIndex] + " " + words[typeIndex + 1]
      guard options != nil || comment != nil else {
        self.text = text
        return
      }
      // key_options / comment override what the key line itself says.
      var parts: [String] = []
      if let options, !options.isEmpty {
        parts.append(options)
      } else if options == nil, typeIndex > 0 {
        parts.append(words[..<typeIndex].joined(separator: " "))
      }
      parts.append(identity!)
      if let comment {
        if !comment.isEmpty { parts.append(comment) }
      } else if typeIndex + 2 < words.count {
        parts.append(words[(typeIndex + 2)...].joined(separator: " "))
      }
      self.text = parts.joined(separator: " ")
    }

    static func isKeyType(_ word: String) -> Bool {
      word.hasPrefix("ssh-") || word.hasPrefix("ecdsa-sha2-") || word.hasPrefix("sk-")
    }
  }

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let user = try args.required("user")
    let keyText = try args.required("key")
    let state = try args.choice("state", ["present", "absent"], default: "present")
    let exclusive = try args.bool("exclusive", default: false)
    let customPath = try args.string("path")
    let manageDir = try args.bool("manage_dir", default: true)
    let keyOptions = try args.string("key_options")
    let comment = try args.string("comment")

    let wanted = keyText.split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty && !$0.hasPrefix("#") }.map {
      KeyLine($0, options: keyOptions, comment: comment)
    }
    if let bad = wanted.first(where: { $0.identity == nil }) {
      throw ModuleFailure("invalid key specified: \(bad.text)")
    }

    // One round trip: the user's ids and home, the file's attributes and content.
    if context.checkMode, state == "present", let customPath {
      // In check mode the user may be one an earlier (simulated) task would create: with the
      // path given, the change can still be predicted, as Ansible does.
      let exists = try context.shell("getent passwd \(user) >/dev/null")
      if !exists.result.succeeded {
        let after = wanted.map(\.text).joined(separator: "\n") + "\n"
        return ModuleResult(
          changed: true, message: "would add \(wanted.count) key(s) for \(user), to be created",
          diffs: context.diffMode ? [FileDiff(path: customPath, before: "", after: after)] : [],
          values: ["user": .string(user), "path": .string(customPath)])
      }
    }
    let pathWord: ShellScript = customPath.map { "\($0)" } ?? "\"$home/.ssh/authorized_keys\""
    let probe = try context.succeed(
      """
      entry=$(getent passwd \(user)) || { printf 'user %s does not exist\\n' \(user) >&2; exit 3; }
      home=$(printf '%s' "$entry" | cut -d: -f6)
      path=\(pathWord)
      dir=$(dirname "$path")
      printf '%s\\n' "$(printf '%s' "$entry" | cut -d: -f3-4)" "$path"
      stat -c '%a %u:%g' "$dir" 2>/dev/null || echo missing
      stat -c '%a %u:%g' "$path" 2>/dev/null || echo missing
      [ -f "$path" ] && cat "$path"
      exit 0
      """, what: "reading \(user)'s authorized keys")
    let lines = probe.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(
      String.init)
    guard lines.count >= 4 else {
      throw ModuleFailure("could not read \(user)'s authorized keys: \(probe.stdoutText)")
    }
    let owner = lines[0]
    let path = lines[1]
    let dirAttributes = lines[2]
    let fileAttributes = lines[3]
    let before = lines.dropFirst(4).joined(separator: "\n")
    let existing = before.isEmpty ? [] : before.split(separator: "\n").map { KeyLine(String($0)) }

    var result: [KeyLine]
    if state == "absent" {
      let removed = Set(wanted.compactMap(\.identity))
      result = existing.filter { $0.identity.map { !removed.contains($0) } ?? true }
    } else if exclusive {
      result = wanted
    } else {
      result = existing
      for key in wanted {
        if let index = result.firstIndex(where: { $0.identity == key.identity }) {
          result[index] = key
        } else {
          result.append(key)
        }
      }
    }
    let after = result.isEmpty ? "" : result.map(\.text).joined(separator: "\n") + "\n"
    let contentChanges = after != before && !(state == "absent" && fileAttributes == "missing")

    // Attributes are ours to fix only where we manage the file (it exists or we write it).
    let fileWillExist = fileAttributes != "missing" || contentChanges
    let fixFile = fileWillExist && fileAttributes != "600 \(owner)"
    let fixDir = manageDir && fileWillExist && dirAttributes != "700 \(owner)"
    let changed = contentChanges || fixFile || fixDir

    var values: [String: VarValue] = [
      "user": .string(user), "key": .string(keyText), "state": .string(state),
      "exclusive": .bool(exclusive), "path": .string(path), "manage_dir": .bool(manageDir),
    ]
    if let keyOptions { values["key_options"] = .string(keyOptions) }
    let diffs =
      context.diffMode && contentChanges ? [FileDiff(path: path, before: before, after: after)] : []
    guard changed else { return ModuleResult(changed: false, values: values) }
    if context.checkMode {
      return ModuleResult(
        changed: true, message: "would update \(path)", diffs: diffs, values: values)
    }

    let quotedPath: ShellScript = "\(path)"
    let ids: ShellScript = "\(owner)"
    var script: ShellScript = "set -e\ndir=$(dirname \(quotedPath))\n"
    if manageDir {
      script += "[ -d \"$dir\" ] || mkdir -p \"$dir\"\nchown \(ids) \"$dir\"\nchmod 0700 \"$dir\"\n"
    }
    if contentChanges {
      // A temporary file beside the target and a rename: sshd never sees half a file.
      script += """
        tmp=$(mktemp "$dir/.authorized_keys.XXXXXX")
        cat > "$tmp"
        chown \(ids) "$tmp"
        chmod 0600 "$tmp"
        mv -f "$tmp" \(quotedPath)

        """
    } else {
      script += "chown \(ids) \(quotedPath)\nchmod 0600 \(quotedPath)\n"
    }
    _ = try context.succeed(
      script, stdin: contentChanges ? Array(after.utf8) : [], what: "writing \(path)")
    return ModuleResult(changed: true, diffs: diffs, values: values)
  }
}
