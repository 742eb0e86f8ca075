import DeploySupport
import HostShell

/// `user`: a local account. One round trip reads the account (getent passwd, its groups, its
/// shadow password) and the groups the task names; then one useradd/usermod/userdel runs only
/// with the options whose value differs.
enum UserModule: PlayModule {
  static let name = "user"
  static let arguments: Set<String>? = [
    "name", "user", "state", "uid", "group", "groups", "append", "shell", "home",
    "create_home", "createhome", "move_home", "system", "password_lock", "password", "remove",
    "force", "comment", "non_unique", "update_password",
  ]

  /// The account as the host has it.
  struct Account {
    var uid: Int
    var gid: Int
    var comment: String
    var home: String
    var shell: String
    var supplementaryGroups: Set<String>
    var passwordHash: String
    var locked: Bool { passwordHash.hasPrefix("!") }
  }

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let user = try args.required("name", "user")
    let state = try args.choice("state", ["present", "absent"], default: "present")
    // useradd and friends would read a leading dash as an option.
    guard !user.isEmpty, !user.hasPrefix("-"), !user.contains(":") else {
      throw ModuleFailure("invalid user name '\(user)'")
    }
    let uid = try args.int("uid")
    let group = try args.string("group")
    // An empty string or list means "no supplementary groups", as in Ansible.
    let groups = try args.list("groups").map { $0.filter { !$0.isEmpty } }
    let append = try args.bool("append", default: false)
    let shell = try args.string("shell")
    let home = try args.string("home")
    let createHome =
      try args.values["createhome"] != nil
      ? args.bool("createhome", default: true) : args.bool("create_home", default: true)
    let moveHome = try args.bool("move_home", default: false)
    let system = try args.bool("system", default: false)
    let passwordLock: Bool? =
      try args.values["password_lock"] == nil ? nil : args.bool("password_lock", default: false)
    let password = try args.string("password")
    // on_create: an existing account's password is left as it is (someone may have set one).
    let updatePassword = try args.choice(
      "update_password", ["always", "on_create"], default: "always")
    let remove = try args.bool("remove", default: false)
    let force = try args.bool("force", default: false)
    let comment = try args.string("comment")
    let nonUnique = try args.bool("non_unique", default: false)

    let wantedGroups = ([group].compactMap { $0 }) + (groups ?? [])
    let (account, groupIDs) = try read(user, groups: wantedGroups, context)

    if state == "absent" {
      var values: [String: VarValue] = [
        "name": .string(user), "state": .string("absent"), "remove": .bool(remove),
        "force": .bool(force),
      ]
      guard account != nil else { return ModuleResult(changed: false, values: values) }
      let words = ["userdel"] + (remove ? ["-r"] : []) + (force ? ["-f"] : []) + [user]
      let command: ShellScript = "\(words: words)"
      if context.checkMode {
        return ModuleResult(changed: true, message: "would run: \(command.text)", values: values)
      }
      let output = try context.shell(command)
      // userdel -r exits 12 when only the mail spool or home was missing: the account is gone.
      guard output.result.succeeded || (remove && output.result.exitStatus == 12) else {
        throw ModuleFailure(
          "userdel \(user) failed (exit \(output.result.exitStatus)): "
            + output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      values["stderr"] = .string(output.stderrText)
      return ModuleResult(changed: true, values: values)
    }

    // In check mode an earlier task (a `group:` that was not run) may be what would create
    // the group: the user would still be created, so say so rather than fail.
    for name in wantedGroups where groupIDs[name] == nil && !context.checkMode {
      throw ModuleFailure("Group \(name) does not exist")
    }
    if let shell, !shell.hasPrefix("/") {
      // useradd would say `invalid shell`; say why.
      throw ModuleFailure("invalid shell '\(shell)' for user \(user): it must be an absolute path")
    }

    var words: [String]
    if let account {
      words = ["usermod"]
      if let uid, uid != account.uid { words += ["-u", String(uid)] + (nonUnique ? ["-o"] : []) }
      if let group, let wanted = groupIDs[group], wanted != account.gid { words += ["-g", group] }
      if let groups {
        let wanted = Set(groups).subtracting(primaryNames(account, groupIDs))
        if append {
          let missing = wanted.subtracting(account.supplementaryGroups)
          if !missing.isEmpty { words += ["-a", "-G", missing.sorted().joined(separator: ",")] }
        } else if wanted != account.supplementaryGroups {
          words += ["-G", groups.joined(separator: ",")]
        }
      }
      if let shell, shell != account.shell { words += ["-s", shell] }
      if let home, home != account.home { words += ["-d", home] + (moveHome ? ["-m"] : []) }
      if let comment, comment != account.comment { words += ["-c", comment] }
      if let password, updatePassword == "always",
        password != account.passwordHash.trimmingPrefix("!")
      {
        words += ["-p", password]
      }
      if passwordLock == true && !account.locked { words.append("-L") }
      if passwordLock == false && account.locked { words.append("-U") }
      guard words.count > 1 else {
        return ModuleResult(
          changed: false, values: describe(user, account: account, system: system))
      }
      words.append(user)
    } else {
      words = ["useradd"]
      if let uid { words += ["-u", String(uid)] + (nonUnique ? ["-o"] : []) }
      if let group {
        words += ["-g", group]
      } else if groupIDs[user] != nil {
        // A group named like the user already exists: useradd would refuse to create it again
        // (USERGROUPS_ENAB), so make it the primary group, as Ansible does.
        words += ["-g", user]
      }
      if let groups, !groups.isEmpty { words += ["-G", groups.joined(separator: ",")] }
      if let shell { words += ["-s", shell] }
      if let home { words += ["-d", home] }
      if let comment { words += ["-c", comment] }
      if let password { words += ["-p", password] }
      if system { words.append("-r") }
      words.append(createHome ? "-m" : "-M")
      words.append(user)
    }

    let command: ShellScript = "\(words: words)"
    if context.checkMode {
      var values: [String: VarValue] = ["name": .string(user), "state": .string("present")]
      if let account { values = describe(user, account: account, system: system) }
      return ModuleResult(changed: true, message: "would run: \(command.text)", values: values)
    }
    var script = command
    // usermod -L/-U only touch the password; useradd takes no lock flag, so lock afterwards.
    if account == nil, passwordLock == true {
      script += " && usermod -L \(user)"
    }
    let output = try context.shell(script)
    guard output.result.succeeded else {
      throw ModuleFailure(
        "\(words[0]) failed (exit \(output.result.exitStatus)): "
          + output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines),
        values: ["name": .string(user), "cmd": .string(command.text)])
    }
    let (after, _) = try read(user, groups: [], context)
    guard let after else { throw ModuleFailure("\(user) does not exist after \(words[0])") }
    var values = describe(user, account: after, system: system)
    values["create_home"] = .bool(createHome)
    if !output.stderrText.isEmpty { values["stderr"] = .string(output.stderrText) }
    return ModuleResult(changed: true, values: values)
  }

  /// Names that stand for the account's primary group (it is never also "supplementary").
  private static func primaryNames(_ account: Account, _ ids: [String: Int]) -> Set<String> {
    Set(ids.filter { $0.value == account.gid }.map(\.key))
  }

  private static func describe(_ user: String, account: Account, system: Bool) -> [String:
    VarValue]
  {
    [
      "name": .string(user), "state": .string("present"), "uid": .int(account.uid),
      "group": .int(account.gid), "home": .string(account.home), "shell": .string(account.shell),
      "comment": .string(account.comment), "system": .bool(system),
      "groups": .string(account.supplementaryGroups.sorted().joined(separator: ",")),
    ]
  }

  /// The account (nil if missing) and the GID of each named group that exists.
  static func read(_ user: String, groups: [String], _ context: ModuleContext) throws -> (
    Account?, [String: Int]
  ) {
    var script: ShellScript = """
      if entry=$(getent passwd \(user)); then
        echo "passwd:$entry"
        echo "groups:$(id -Gn \(user) 2>/dev/null)"
        echo "shadow:$(getent shadow \(user) | cut -d: -f2)"
      fi

      """
    // The user's own name too: useradd needs to know whether a group of that name exists.
    for name in Set(groups + [user]).sorted() {
      // The name is a word of its own, never inside the double quotes that expand "$g".
      script += "g=$(getent group \(name)) && printf 'group:%s:%s\\n' \(name) \"$g\"\n"
    }
    script += "exit 0\n"
    let output = try context.succeed(script, what: "reading user \(user)")
    var passwd: [Substring] = []
    var groupNames: [String] = []
    var hash = ""
    var ids: [String: Int] = [:]
    for line in output.stdoutText.split(separator: "\n") {
      if line.hasPrefix("passwd:") {
        passwd = line.dropFirst(7).split(separator: ":", omittingEmptySubsequences: false)
      } else if line.hasPrefix("groups:") {
        groupNames = line.dropFirst(7).split(separator: " ").map(String.init)
      } else if line.hasPrefix("shadow:") {
        hash = String(line.dropFirst(7))
      } else if line.hasPrefix("group:") {
        // group:<asked name>:<name>:x:<gid>:<members>; the asked name may be a number.
        let fields = line.split(separator: ":", omittingEmptySubsequences: false)
        if fields.count >= 5, let gid = Int(fields[fields.count - 2]) {
          let asked = fields[1..<(fields.count - 4)].joined(separator: ":")
          ids[asked] = gid
          ids[String(fields[fields.count - 4])] = gid
        }
      }
    }
    guard passwd.count >= 7, let uid = Int(passwd[2]), let gid = Int(passwd[3]) else {
      return (nil, ids)
    }
    // id -Gn lists the primary group first; the rest are supplementary.
    let supplementary = Set(groupNames.dropFirst())
    return (
      Account(
        uid: uid, gid: gid, comment: String(passwd[4]), home: String(passwd[5]),
        shell: String(passwd[6]), supplementaryGroups: supplementary, passwordHash: hash),
      ids
    )
  }
}
