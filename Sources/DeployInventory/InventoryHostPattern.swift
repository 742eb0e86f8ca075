import DeploySupport
import Foundation

extension Inventory {
  /// The hosts an Ansible host pattern (what `ansible --limit` takes) selects, in inventory
  /// order, each once. Patterns: `all` or `*`; a group or host name; wildcards (`web*`,
  /// `db-?`, `[ab]*`); `~regex` (matched at the start of names, as Python's `re.match`); a
  /// subscript on a group (`web[0]`, `web[-1]`, `web[1:3]`). Combine with `:` or `,`: `a:b`
  /// is a union, `a:&b` an intersection, `a:!b` an exclusion. As in Ansible, all unions are
  /// applied first, then intersections, then exclusions, whatever their order in the pattern.
  ///
  /// Unlike Ansible, which warns and carries on, a part that names no host or group, or a
  /// pattern that selects nothing, is an error: a typo in `--limit` must not deploy nowhere (or
  /// everywhere else).
  public func hosts(matching pattern: String) throws(DeployError) -> [Host] {
    try InventoryHostPattern(pattern, inventory: self).select()
  }
}

/// One evaluation of a host pattern against an inventory.
struct InventoryHostPattern {
  enum Operation {
    case union
    case intersection
    case exclusion
  }

  struct Term {
    var operation: Operation
    /// Without its `&` or `!`.
    var expression: String
  }

  let source: String
  let terms: [Term]
  private let inventory: Inventory
  private let positions: [String: Int]

  init(_ pattern: String, inventory: Inventory) {
    source = pattern
    self.inventory = inventory
    var positions: [String: Int] = [:]
    for (position, host) in inventory.hosts.enumerated() { positions[host.name] = position }
    self.positions = positions
    var terms: [Term] = []
    for part in Self.split(pattern, hostNames: positions) {
      switch part.first {
      case "&": terms.append(Term(operation: .intersection, expression: String(part.dropFirst())))
      case "!": terms.append(Term(operation: .exclusion, expression: String(part.dropFirst())))
      default: terms.append(Term(operation: .union, expression: part))
      }
    }
    self.terms = terms
  }

  /// Ansible's `split_host_pattern`, extended: parts separated by `,` are also split at `:`
  /// (Ansible stops at commas), except parts that are host names themselves, like IPv6
  /// addresses. Brackets protect their colons: `web[0:2]` stays one part.
  static func split(_ pattern: String, hostNames: [String: Int]) -> [String] {
    var parts: [String] = []
    for piece in pattern.split(separator: ",") {
      let part = piece.trimmingCharacters(in: .whitespaces)
      let bare = String(part.drop { $0 == "&" || $0 == "!" })
      if hostNames[bare] != nil {
        parts.append(part)
        continue
      }
      let scalars = Array(part.unicodeScalars)
      var current = String.UnicodeScalarView()
      var index = 0
      while index < scalars.count {
        let scalar = scalars[index]
        if scalar == "[", let close = scalars[index...].firstIndex(of: "]") {
          current.append(contentsOf: scalars[index...close])
          index = close + 1
          continue
        }
        if scalar == ":" || scalar == "[" || scalar == "]" || ShlexSplitter.isWhitespace(scalar) {
          if !current.isEmpty { parts.append(String(current)) }
          current = String.UnicodeScalarView()
        } else {
          current.append(scalar)
        }
        index += 1
      }
      if !current.isEmpty { parts.append(String(current)) }
    }
    return parts.filter { !$0.isEmpty }
  }

  func select() throws(DeployError) -> [Inventory.Host] {
    // Ansible would take an empty pattern as `all`; an empty `--limit` is more likely a bug.
    guard !terms.isEmpty else { throw .usage("host pattern '\(source)' is empty") }
    var ordered = terms.filter { $0.operation == .union }
    if ordered.isEmpty { ordered = [Term(operation: .union, expression: "all")] }
    ordered += terms.filter { $0.operation == .intersection }
    ordered += terms.filter { $0.operation == .exclusion }

    var selected: [Int] = []
    for term in ordered {
      // As in Ansible, a plain host name is that host even if a group has the same name.
      let matched: [Int]
      if let position = positions[term.expression] {
        matched = [position]
      } else {
        matched = try match(term.expression)
      }
      switch term.operation {
      case .union:
        let present = Set(selected)
        selected += matched.filter { !present.contains($0) }
      case .intersection:
        let keep = Set(matched)
        selected = selected.filter { keep.contains($0) }
      case .exclusion:
        let drop = Set(matched)
        selected = selected.filter { !drop.contains($0) }
      }
    }
    guard !selected.isEmpty else {
      throw .usage("host pattern '\(source)' selects no hosts")
    }
    return selected.sorted().map { inventory.hosts[$0] }
  }

  /// Ansible's `_match_one_pattern`: the hosts of every group the expression matches, plus the
  /// hosts it matches by name when it matched no group or is a wildcard or regex.
  private func match(_ text: String) throws(DeployError) -> [Int] {
    let (expression, picker) = HostSubscript.split(text)
    let matches = try matcher(for: expression)
    var result: [Int] = []
    var seen: Set<Int> = []
    let groupNames = inventory.groups.keys.sorted { $0.precedesByCodePoint($1) }.filter(matches)
    for group in groupNames {
      for position in hostPositions(below: group) where seen.insert(position).inserted {
        result.append(position)
      }
    }
    if groupNames.isEmpty || expression.hasPrefix("~")
      || expression.contains(where: { "*?[.".contains($0) })
    {
      for (position, host) in inventory.hosts.enumerated()
      where matches(host.name) && seen.insert(position).inserted {
        result.append(position)
      }
    }
    guard !groupNames.isEmpty || !result.isEmpty else {
      throw .usage(
        "no host or group matches '\(expression)' in host pattern '\(source)'; \(groupList())")
    }
    guard let picker else { return result }
    return try picker.apply(to: result, pattern: source)
  }

  private func matcher(for expression: String) throws(DeployError) -> (String) -> Bool {
    guard expression.hasPrefix("~") else { return HostGlob(expression).matches }
    let regex: Regex<AnyRegexOutput>
    do {
      regex = try Regex(String(expression.dropFirst()))
    } catch {
      throw .usage(
        "invalid regular expression '\(expression.dropFirst())' in host pattern '\(source)': \(error)"
      )
    }
    return { $0.prefixMatch(of: regex) != nil }
  }

  /// A group's hosts and its descendants' hosts: breadth-first like Ansible's `get_hosts`, which
  /// is the order subscripts count in. `all` is every host in inventory order.
  private func hostPositions(below root: String) -> [Int] {
    if root == "all" { return Array(inventory.hosts.indices) }
    var result: [Int] = []
    var seenHosts: Set<String> = []
    var seenGroups: Set<String> = [root]
    var level = [root]
    while !level.isEmpty {
      var next: [String] = []
      for name in level {
        guard let group = inventory.groups[name] else { continue }
        for host in group.hosts where seenHosts.insert(host).inserted {
          if let position = positions[host] { result.append(position) }
        }
        next += group.children.filter { seenGroups.insert($0).inserted }
      }
      level = next
    }
    return result
  }

  private func groupList() -> String {
    let names = inventory.groups.keys.filter { $0 != "all" && $0 != "ungrouped" }
      .sorted { $0.precedesByCodePoint($1) }
    guard !names.isEmpty else { return "the inventory has no groups besides 'all'" }
    let shown = names.prefix(10).joined(separator: ", ")
    return "groups are: \(shown)\(names.count > 10 ? ", … (\(names.count) in all)" : "")"
  }
}
