import DeploySupport
import HostShell

/// `group`: a local group, read with `getent group` and changed with groupadd/groupmod/groupdel.
enum GroupModule: PlayModule {
  static let name = "group"
  static let arguments: Set<String>? = ["name", "state", "gid", "system", "non_unique"]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let group = try args.required("name")
    let state = try args.choice("state", ["present", "absent"], default: "present")
    guard !group.isEmpty, !group.hasPrefix("-"), !group.contains(":") else {
      throw ModuleFailure("invalid group name '\(group)'")
    }
    let gid = try args.int("gid")
    let system = try args.bool("system", default: false)
    let nonUnique = try args.bool("non_unique", default: false)

    let entry = try context.shell("getent group \(group)")
    // name:x:gid:members
    let fields = entry.stdoutText.trimmingCharacters(in: .newlines).split(
      separator: ":", omittingEmptySubsequences: false)
    let currentGID = entry.result.succeeded && fields.count >= 3 ? Int(fields[2]) : nil

    var values: [String: VarValue] = [
      "name": .string(group), "state": .string(state), "system": .bool(system),
    ]
    switch state {
    case "absent":
      guard currentGID != nil else {
        return ModuleResult(changed: false, values: values)
      }
      if !context.checkMode {
        _ = try context.succeed("groupdel \(group)", what: "groupdel \(group)")
      }
      return ModuleResult(
        changed: true, message: context.checkMode ? "would remove group \(group)" : nil,
        values: values)
    default:
      guard
        let words = presentCommand(
          group: group, gid: gid, system: system, nonUnique: nonUnique, currentGID: currentGID)
      else {
        if let currentGID { values["gid"] = .int(currentGID) }
        return ModuleResult(changed: false, values: values)
      }
      let command: ShellScript = "\(words: words)"
      if context.checkMode {
        if let gid { values["gid"] = .int(gid) }
        return ModuleResult(changed: true, message: "would run: \(command.text)", values: values)
      }
      _ = try context.succeed(command, what: words[0])
      let after = try context.succeed(
        "getent group \(group) | cut -d: -f3", what: "reading group \(group)")
      if let number = Int(after.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) {
        values["gid"] = .int(number)
      }
      return ModuleResult(changed: true, values: values)
    }
  }

  /// `state: present`'s command, decided from the group's gid on the host (nil: no such group)
  /// alone: groupadd, groupmod to another gid, or nothing (nil). Facts in, command out
  /// (GroupModuleTests holds it to that without a host).
  static func presentCommand(
    group: String, gid: Int?, system: Bool, nonUnique: Bool, currentGID: Int?
  ) -> [String]? {
    if let currentGID {
      guard let gid, gid != currentGID else { return nil }
      return ["groupmod", "-g", String(gid)] + (nonUnique ? ["-o"] : []) + [group]
    }
    var words = ["groupadd"]
    if let gid { words += ["-g", String(gid)] + (nonUnique ? ["-o"] : []) }
    if system { words.append("-r") }
    return words + [group]
  }
}
