import DeploySupport
import Foundation
import HostShell

/// Who holds (or wants) an app's deploy lock on a host. Written into the lock as one JSON line so
/// that a second deploy, from any machine, can name the holder.
public struct LockOwner: Sendable, Hashable {
  /// Unique per taking: only the run that took the lock can release it with this token.
  public var token: String
  public var user: String
  public var origin: String
  public var app: String
  public var stage: String
  public var version: String?
  public var runID: String?
  /// Seconds since the epoch when the lock was taken.
  public var since: Int
  /// Set for `deploy lock -m MSG`: a lock an operator took by hand, kept until `deploy unlock`.
  public var message: String?

  public init(
    token: String, user: String, origin: String, app: String, stage: String,
    version: String? = nil, runID: String? = nil, since: Int, message: String? = nil
  ) {
    self.token = token
    self.user = user
    self.origin = origin
    self.app = app
    self.stage = stage
    self.version = version
    self.runID = runID
    self.since = since
    self.message = message
  }

  public var isManual: Bool { message != nil }

  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "token": .string(token), "user": .string(user), "origin": .string(origin),
      "app": .string(app), "stage": .string(stage), "since": .number(Double(since)),
    ]
    if let version { object["version"] = .string(version) }
    if let runID { object["run"] = .string(runID) }
    if let message { object["message"] = .string(message) }
    return .object(object)
  }

  public init?(jsonLine: String) {
    guard let data = jsonLine.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let token = object["token"] as? String, let since = object["since"] as? Int
    else { return nil }
    self.init(
      token: token, user: object["user"] as? String ?? "?",
      origin: object["origin"] as? String ?? "?", app: object["app"] as? String ?? "?",
      stage: object["stage"] as? String ?? "?", version: object["version"] as? String,
      runID: object["run"] as? String, since: since, message: object["message"] as? String)
  }
}

/// What a host said about its lock.
public enum LockState: Sendable, Hashable {
  case acquired
  case free
  case held(LockHolder)
  /// `remove` took away this holder's lock.
  case removed(LockHolder)
  /// `remove` without force left a run's lock alone.
  case refused(LockHolder)
}

/// A lock someone else holds, as read from the host.
public struct LockHolder: Sendable, Hashable {
  /// Nil when the owner file is unreadable (being written this instant, or damaged).
  public var owner: LockOwner?
  /// Whether the SSH session that took the lock is still connected: `false` means the run that
  /// took it was killed or lost its connection, and the lock is left over. Nil when unknown
  /// (manual locks, hosts without /proc, no `sshd` among the ancestors of the shell that took it).
  public var sessionAlive: Bool?
  /// The host's clock, for the lock's age.
  public var hostNow: Int

  public var age: Int? { owner.map { max(0, hostNow - $0.since) } }
}

/// Remote commands for the deploy lock. The lock is a folder made complete beside its final name
/// and renamed into place (`mv -T`, i.e. rename(2)): atomic, and never seen half-written. It
/// records the SSH session (sshd's pid, start time, boot id) that took it, so that a later deploy
/// can tell a lock held by a live run from one left behind by a killed one.
public enum LockCommands {
  /// Takes the lock, or reports who holds it. Output: `acquired`, or `held` followed by the
  /// holder (see `parse`).
  public static func acquire(_ layout: HostLayout, owner: LockOwner) throws(DeployError)
    -> ShellScript
  {
    try validateToken(owner.token)
    let lock = layout.lockFolder
    let staging = layout.lockFolder + "." + owner.token
    let session: ShellScript =
      owner.isManual
      ? "" : "s=$(ssh_session_pid); [ \"$s\" = 0 ] || proc_identity \"$s\" > \(staging)/session"
    // A lock goes into place complete or not at all: a write that fails (a full disk) removes
    // what it wrote and says where and why, and no half-written lock is ever left to refuse
    // the next deploy.
    let folder = layout.stateFolder
    return ShellScript.lines(
      [
        HostProcess.functions,
        DiskSpace.functions,
        "mkdir -p \(folder) || { explain_write_failure \(folder); exit 1; }",
        "rm -rf \(staging) && mkdir \(staging) || { explain_write_failure \(staging); exit 1; }",
        "{ printf '%s\\n' \(owner.json.serialized) > \(staging)/owner.json"
          + " && printf '%s\\n' \(owner.token) > \(staging)/token"
          + " && [ -s \(staging)/owner.json ] && [ -s \(staging)/token ]; } 2>/dev/null"
          + " || { rm -rf \(staging); explain_write_failure \(staging); exit 1; }",
        session,
        "if mv -T \(staging) \(lock) 2>/dev/null; then echo acquired; exit 0; fi",
        "rm -rf \(staging)",
        "echo held",
        describeHolder(lock: lock),
      ].filter { !$0.isEmpty })
  }

  /// The lock's state, read without touching it.
  public static func inspection(_ layout: HostLayout) -> HostQuery<LockState?> {
    HostQuery("reading the deploy lock", script: inspect(layout), parse: parse)
  }

  /// Reports the lock's state without touching it: `free`, or `held` and the holder.
  public static func inspect(_ layout: HostLayout) -> ShellScript {
    let lock = layout.lockFolder
    return ShellScript.lines([
      HostProcess.functions,
      "[ -d \(lock) ] || { echo free; exit 0; }",
      "echo held",
      describeHolder(lock: lock),
    ])
  }

  /// Makes the lock `token` took belong to this SSH session, after a reconnect: otherwise it
  /// reads as left over by a dead run (its first session ended). Output: `adopted` or
  /// `not-held`.
  public static func adopt(_ layout: HostLayout, token: String) throws(DeployError) -> ShellScript {
    try validateToken(token)
    let lock = layout.lockFolder
    return ShellScript.lines([
      HostProcess.functions,
      "[ \"$(cat \(lock)/token 2>/dev/null)\" = \(token) ] || { echo not-held; exit 0; }",
      "s=$(ssh_session_pid); [ \"$s\" = 0 ] || { proc_identity \"$s\" > \(lock)/session.tmp"
        + " && mv -f \(lock)/session.tmp \(lock)/session; }",
      "echo adopted",
    ])
  }

  /// Releases the lock only if `token` took it. Output: `released` or `not-held`.
  public static func release(_ layout: HostLayout, token: String) throws(DeployError) -> ShellScript
  {
    try validateToken(token)
    let lock = layout.lockFolder
    let trash = layout.lockFolder + ".released." + token
    return """
      if [ "$(cat \(lock)/token 2>/dev/null)" = \(token) ] \
      && mv -T \(lock) \(trash) 2>/dev/null; then rm -rf \(trash); echo released; \
      else echo not-held; fi
      """
  }

  /// Removes the lock whoever holds it (`deploy unlock --force`), or only a manual one
  /// (`deploy unlock`). Output: `removed` and the former holder, `refused` and the holder (a run
  /// holds it and `force` is false), or `free`.
  public static func remove(_ layout: HostLayout, force: Bool) -> ShellScript {
    let lock = layout.lockFolder
    let trash = layout.lockFolder + ".removed"
    let manualOnly: ShellScript =
      force
      ? ""
      : "case \"$(cat \(lock)/token 2>/dev/null)\" in manual-*) ;; *) echo refused; "
        + describeHolder(lock: lock, separator: "; ") + "; exit 0 ;; esac"
    return ShellScript.lines(
      [
        HostProcess.functions,
        "[ -d \(lock) ] || { echo free; exit 0; }",
        manualOnly,
        "owner=$(cat \(lock)/owner.json 2>/dev/null)",
        "rm -rf \(trash) && mv -T \(lock) \(trash) && rm -rf \(trash) || exit 1",
        "echo removed; printf 'owner %s\\n' \"$owner\"; echo \"now $(date +%s)\"",
      ].filter { !$0.isEmpty })
  }

  private static func describeHolder(lock: String, separator: ShellScript = "\n") -> ShellScript {
    ShellScript.lines(
      [
        "printf 'owner %s\\n' \"$(cat \(lock)/owner.json 2>/dev/null)\"",
        "if [ ! -f \(lock)/session ]; then echo 'alive unknown'",
        "elif is_alive \"$(cat \(lock)/session 2>/dev/null)\"; then echo 'alive yes'",
        "elif [ -r /proc/self/stat ]; then echo 'alive no'; else echo 'alive unknown'; fi",
        "echo \"now $(date +%s)\"",
      ], separator: separator)
  }

  /// Reads what `acquire`, `inspect` and `remove` printed.
  public static func parse(_ output: String) -> LockState? {
    let lines = output.split(separator: "\n").map(String.init)
    guard let first = lines.first else { return nil }
    switch first {
    case "acquired": return .acquired
    case "free": return .free
    case "held", "refused", "removed":
      var holder = LockHolder(
        owner: nil, sessionAlive: nil, hostNow: Int(Date().timeIntervalSince1970))
      for line in lines.dropFirst() {
        if line.hasPrefix("owner ") {
          holder.owner = LockOwner(jsonLine: String(line.dropFirst(6)))
        } else if line == "alive yes" {
          holder.sessionAlive = true
        } else if line == "alive no" {
          holder.sessionAlive = false
        } else if line.hasPrefix("now "), let now = Int(line.dropFirst(4)) {
          holder.hostNow = now
        }
      }
      switch first {
      case "removed": return .removed(holder)
      case "refused": return .refused(holder)
      default: return .held(holder)
      }
    default: return nil
    }
  }

  /// Tokens become part of file names on the host.
  static func validateToken(_ token: String) throws(DeployError) {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    guard !token.isEmpty, token.count <= 64, token.allSatisfy(allowed.contains) else {
      throw .unsafeValue(what: "lock token", value: token, reason: "only letters, digits, - and _")
    }
  }
}

extension LockHolder {
  /// One paragraph for people: who holds the lock, since when, doing what, and whether that run
  /// is still there.
  public func describe(app: String, stage: String) -> String {
    guard let owner else {
      return "\(app) \(stage) is locked, but the lock's owner file is unreadable"
    }
    var text = "locked by \(owner.user) from \(owner.origin) since \(Timestamp.utc(owner.since))"
    if let age { text += " (\(Timestamp.age(age)) ago)" }
    if let message = owner.message {
      text += ": \"\(message)\""
    } else {
      text += ": deploying \(owner.app) \(owner.stage)"
      if let version = owner.version { text += " \(version)" }
      if let run = owner.runID { text += ", run \(run)" }
    }
    switch sessionAlive {
    case true?: text += "; its SSH session is still open (that run is still going)"
    case false?:
      text +=
        "; the run that took it is gone (its SSH session ended: killed or disconnected),"
        + " so the lock is left over: `deploy unlock \(app) \(stage) --force` removes it"
      if let run = owner.runID, !owner.isManual {
        text +=
          "; a build it started goes on detached (`deploy builds \(app) \(stage)` shows it;"
          + " once it has succeeded, `deploy \(app) \(stage) --activate \(run)` activates it)"
      }
    case nil: break
    }
    return text
  }
}
