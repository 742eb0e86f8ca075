import DeploySupport
import Yams

/// One task of a play, as written: the module it calls (or a block of tasks, or an included task
/// file), its arguments, and the keywords that control it. Kept as YAML nodes with their
/// locations, so that later stages (templating, execution) can still point at the source.
public struct PlaybookTask: Sendable {
  public enum Action: Sendable {
    /// `module: args` — args a mapping, a free-form string (`command: ls -l`) or nothing.
    case module(name: String, args: PlaybookValue?, freeForm: String?)
    /// `block:` with optional `rescue:` and `always:`.
    case block(tasks: [PlaybookTask], rescue: [PlaybookTask], always: [PlaybookTask])
    /// `import_tasks:` / `include_tasks:` of another file (relative to the playbook).
    case include(file: String, imported: Bool)
  }

  public var name: String?
  public var action: Action
  /// Task keywords other than the action: `when`, `loop`, `register`, `notify`, `tags`, …
  public var keywords: [String: PlaybookValue]
  public var location: SourceLocation

  public var tags: [String] {
    guard let node = keywords["tags"]?.node else { return [] }
    if let list = node.sequence { return list.compactMap { $0.scalar?.string } }
    return node.scalar.map {
      $0.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    } ?? []
  }
}
