import DeploySupport
import Foundation
import HostShell

/// `stat`: facts about a path, registered as `stat` (`stat.exists`, `stat.isdir`, `stat.mode`…)
/// with Ansible's names. It only reads, so it runs in check mode too and never reports a change.
enum StatModule: PlayModule {
  static let name = "stat"
  static let arguments: Set<String>? = [
    "path", "dest", "name", "follow", "get_checksum", "checksum_algorithm", "checksum",
    "checksum_algo", "get_mime", "get_attributes",
  ]

  /// The checksum commands for Ansible's `checksum_algorithm` values.
  static let checksumCommands: [String: ShellScript] = [
    "md5": "md5sum", "sha1": "sha1sum", "sha224": "sha224sum", "sha256": "sha256sum",
    "sha384": "sha384sum", "sha512": "sha512sum",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let path = try args.required("path", "dest", "name")
    let follow = try args.bool("follow", default: false)
    let getChecksum = try args.bool("get_checksum", default: true)
    let algorithm = try args.string("checksum_algorithm", "checksum", "checksum_algo") ?? "sha1"
    guard let checksumCommand = checksumCommands[algorithm] else {
      throw ModuleFailure(
        "value of checksum_algorithm must be one of: "
          + checksumCommands.keys.sorted().joined(separator: ", ") + ", got: \(algorithm)")
    }
    let output = try context.succeed(
      script(path: path, follow: follow, checksumCommand: getChecksum ? checksumCommand : nil),
      what: "examining \(path)")
    return ModuleResult(
      changed: false, values: ["stat": .map(parse(output.stdoutText, path: path))])
  }

  /// One round trip: `stat` fields, link target, access tests, checksum.
  static func script(path: String, follow: Bool, checksumCommand: ShellScript?) -> ShellScript {
    var script: ShellScript = """
      p=\(RemoteFile.dashSafe(path))

      """
    // Following a dangling link finds nothing, as Python's os.stat does.
    script +=
      follow
      ? "[ -e \"$p\" ] || { echo exists=0; exit 0; }\nderef=-L\n"
      : "[ -e \"$p\" ] || [ -L \"$p\" ] || { echo exists=0; exit 0; }\nderef=\n"
    script += """
      echo exists=1
      printf 'stat='; stat $deref -c '%f|%a|%u|%g|%U|%G|%s|%X|%Y|%Z|%i|%d|%h' -- "$p" || exit 1
      if [ -z "$deref" ] && [ -L "$p" ]; then
        printf 'lnk_target='; readlink -- "$p" | base64 | tr -d '\\n'; echo
        printf 'lnk_source='; readlink -f -- "$p" | base64 | tr -d '\\n'; echo
      fi
      [ -r "$p" ] && echo readable=1
      [ -w "$p" ] && echo writeable=1
      [ -x "$p" ] && echo executable=1

      """
    if let checksumCommand {
      script += """
        if [ -f "$p" ] && [ -r "$p" ]; then
          printf 'checksum='; \(checksumCommand) < "$p" | cut -d ' ' -f 1
        fi

        """
    }
    return script + "exit 0\n"
  }

  /// The `stat` map from the script's output.
  static func parse(_ text: String, path: String) -> [String: VarValue] {
    var result: [String: VarValue] = ["exists": .bool(false)]
    var flags: Set<String> = []
    for line in text.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<equals])
      let value = String(line[line.index(after: equals)...])
      switch key {
      case "exists": result["exists"] = .bool(value == "1")
      case "stat": result.merge(statFields(value)) { _, new in new }
      case "lnk_target", "lnk_source":
        var decoded = String(decoding: RemoteFile.decodeBase64(value), as: UTF8.self)
        if decoded.hasSuffix("\n") { decoded.removeLast() }
        result[key] = .string(decoded)
      case "checksum": result["checksum"] = .string(value)
      default: flags.insert(key)
      }
    }
    guard result["exists"] == .bool(true) else { return result }
    result["path"] = .string(path)
    for flag in ["readable", "writeable", "executable"] {
      result[flag] = .bool(flags.contains(flag))
    }
    return result
  }

  /// `%f|%a|%u|%g|%U|%G|%s|%X|%Y|%Z|%i|%d|%h` as Ansible's names.
  static func statFields(_ line: String) -> [String: VarValue] {
    let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    guard fields.count >= 13 else { return [:] }
    let raw = Int(fields[0], radix: 16) ?? 0
    let permissions = raw & 0o7777
    let type = raw & 0o170000
    var result: [String: VarValue] = [
      "mode": .string(RemoteFile.octal(permissions)),
      "isdir": .bool(type == 0o040000), "isreg": .bool(type == 0o100000),
      "islnk": .bool(type == 0o120000), "ischr": .bool(type == 0o020000),
      "isblk": .bool(type == 0o060000), "isfifo": .bool(type == 0o010000),
      "issock": .bool(type == 0o140000),
      "uid": .int(Int(fields[2]) ?? 0), "gid": .int(Int(fields[3]) ?? 0),
      "pw_name": .string(fields[4]), "gr_name": .string(fields[5]),
      "size": .int(Int(fields[6]) ?? 0),
      "atime": .double(Double(fields[7]) ?? 0), "mtime": .double(Double(fields[8]) ?? 0),
      "ctime": .double(Double(fields[9]) ?? 0),
      "inode": .int(Int(fields[10]) ?? 0), "dev": .int(Int(fields[11]) ?? 0),
      "nlink": .int(Int(fields[12]) ?? 0),
      "isuid": .bool(permissions & 0o4000 != 0), "isgid": .bool(permissions & 0o2000 != 0),
    ]
    let bits: [(String, Int)] = [
      ("rusr", 0o400), ("wusr", 0o200), ("xusr", 0o100), ("rgrp", 0o040), ("wgrp", 0o020),
      ("xgrp", 0o010), ("roth", 0o004), ("woth", 0o002), ("xoth", 0o001),
    ]
    for (name, bit) in bits { result[name] = .bool(permissions & bit != 0) }
    return result
  }
}
