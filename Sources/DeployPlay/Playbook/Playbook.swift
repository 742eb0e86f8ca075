import DeploySupport
import Foundation
import Yams

/// An Ansible playbook as `deploy play` reads it: a list of plays (or `import_playbook:`
/// entries), each with its hosts, settings, variables and task lists. Everything is checked
/// when the file is read — unknown modules, keywords and task shapes stop the run with
/// file:line:column before any host is touched, so nobody is left with half a provisioned host
/// because of a typo.
public struct Playbook: Sendable {
  public struct Play: Sendable {
    public var name: String?
    /// An Ansible host pattern.
    public var hosts: String
    public var remoteUser: String?
    public var become: Bool
    public var becomeUser: String?
    public var gatherFacts: Bool
    public var vars: [String: PlaybookValue]
    public var varsFiles: [String]
    public var roles: [RoleReference]
    public var preTasks: [PlaybookTask]
    public var tasks: [PlaybookTask]
    public var postTasks: [PlaybookTask]
    public var handlers: [PlaybookTask]
    public var tags: [String]
    /// `environment:` for every task of the play.
    public var environment: PlaybookValue?
    /// `serial:` hosts per batch (the whole play runs on one batch, then the next).
    public var serial: Int?
    /// `any_errors_fatal:` a failure on one host stops the play on all.
    public var anyErrorsFatal: Bool
    public var location: SourceLocation
  }

  /// An entry of `roles:`: a name, or `{role: NAME, tags: …, when: …, vars: …}`.
  public struct RoleReference: Sendable {
    public var name: String
    /// `tags`, `when`, `vars`, `become`, … given with the role: they apply to its tasks.
    public var keywords: [String: PlaybookValue]
    public var location: SourceLocation
  }

  public var path: String
  /// In order, with `import_playbook:` entries already replaced by the imported plays.
  public var plays: [Play]

  public static func load(path: String) throws(DeployError) -> Playbook {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .unreadableFile(path: path, reason: "\(error.localizedDescription)")
    }
    return try parse(text, path: path)
  }

  public static func parse(_ text: String, path: String) throws(DeployError) -> Playbook {
    var seen: Set<String> = []
    return Playbook(path: path, plays: try PlaybookParser(file: path).plays(text, seen: &seen))
  }
}
