import DeploySupport

/// Ansible's INI inventory format, following its `ini` inventory plugin:
///
///     web1.example.org                  # before any header: group `ungrouped`
///     [web]                             # hosts of group `web`
///     web[01:20].example.org:2222 ansible_user=deploy
///     [prod:children]                   # groups inside group `prod`
///     web
///     [prod:vars]                       # variables of group `prod`
///     ntp_server=ntp.prod.example.org
///
/// Values are typed as Ansible types them (see `PythonLiteral`). A group named in
/// `[g:children]` or given `[g:vars]` must be declared somewhere with `[g]` or `[g:children]`,
/// before or after. Beyond Ansible, `;` and `#` after whitespace start a comment anywhere.
struct INIInventoryParser {
  private enum Section {
    case hosts
    case children
    case vars
  }

  /// A reference Ansible resolves only once the group gets declared (it may come later).
  private enum Pending {
    case children(parents: [(name: String, location: SourceLocation)])
    case vars(SourceLocation)
  }

  private var builder: InventoryBuilder
  private var group = "ungrouped"
  private var section = Section.hosts
  private var pending: [String: Pending] = [:]
  private var pendingOrder: [String] = []

  private init(builder: InventoryBuilder) { self.builder = builder }

  static func parse(
    _ text: String, file: String, into builder: inout InventoryBuilder
  ) throws(DeployError) {
    var parser = INIInventoryParser(builder: builder)
    var number = 0
    // By scalars, not Characters: "\r\n" is a single Character and would hide the line break.
    for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      var scalars = Array(line)
      if number == 1, scalars.first == "\u{FEFF}" { scalars.removeFirst() }
      if scalars.last == "\r" { scalars.removeLast() }
      try parser.parseLine(scalars, at: SourceLocation(file: file, line: number, column: 1))
    }
    try parser.finish()
    builder = parser.builder
  }

  private mutating func parseLine(
    _ line: [Unicode.Scalar], at lineStart: SourceLocation
  ) throws(DeployError) {
    guard let first = line.firstIndex(where: { !ShlexSplitter.isWhitespace($0) }),
      line[first] != "#", line[first] != ";"
    else { return }
    if line[first] == "[", !INISectionHeader.isBracketedAddress(line[first...]) {
      let header = try INISectionHeader.parse(line, from: first, at: lineStart)
      try enter(header)
      return
    }
    switch section {
    case .hosts: try parseHostLine(line, at: lineStart)
    case .children: try parseChildLine(line, from: first, at: lineStart)
    case .vars: try parseVarLine(line, from: first, at: lineStart)
    }
  }

  /// Mirrors the plugin's bookkeeping: `[g]` or `[g:children]` declares `g` and settles any
  /// references waiting for it; `[g:vars]` alone does not.
  private mutating func enter(_ header: INISectionHeader) throws(DeployError) {
    group = header.group
    switch header.kind {
    case "": section = .hosts
    case "children": section = .children
    case "vars": section = .vars
    default:
      throw .configuration(
        header.kindLocation,
        "unknown section type '\(header.kind)' in [\(header.group):\(header.kind)]; expected 'children' or 'vars'"
      )
    }
    if !builder.hasGroup(group) {
      if section == .vars, pending[group] == nil { remember(group, .vars(header.groupLocation)) }
      builder.addGroup(group)
    }
    guard section != .vars, let waiting = pending[group] else { return }
    switch waiting {
    case .children: try addPendingChildren(of: group)
    case .vars: pending[group] = nil
    }
  }

  private mutating func addPendingChildren(of child: String) throws(DeployError) {
    guard case .children(let parents) = pending[child] else { return }
    pending[child] = nil
    for parent in parents {
      try builder.addChild(child, to: parent.name, at: parent.location)
      if case .children = pending[parent.name] { try addPendingChildren(of: parent.name) }
    }
  }

  private mutating func remember(_ group: String, _ reference: Pending) {
    if pending[group] == nil { pendingOrder.append(group) }
    pending[group] = reference
  }

  private mutating func parseHostLine(
    _ line: [Unicode.Scalar], at lineStart: SourceLocation
  ) throws(DeployError) {
    let words = try ShlexSplitter.hostWords(line, at: lineStart)
    guard let first = words.first else { return }
    let spec = try HostSpec.parse(first.text, at: lineStart.movedRight(by: first.offset))
    var vars: [(String, VarValue)] = []
    for word in words.dropFirst() {
      guard let equals = word.text.firstIndex(of: "="), equals != word.text.startIndex else {
        throw .configuration(
          lineStart.movedRight(by: word.offset),
          "expected a key=value host variable after the host name, found '\(word.text)'")
      }
      let value = String(word.text[word.text.index(after: equals)...])
      vars.append((String(word.text[..<equals]), PythonLiteral.value(of: value)))
    }
    for name in spec.names {
      builder.addHost(name, to: group)
      if let port = spec.port { builder.setHostVar("ansible_port", .int(port), host: name) }
      for (key, value) in vars { builder.setHostVar(key, value, host: name) }
    }
  }

  private mutating func parseChildLine(
    _ line: [Unicode.Scalar], from first: Int, at lineStart: SourceLocation
  ) throws(DeployError) {
    let end = ShlexSplitter.commentStart(line) ?? line.count
    var nameEnd = first
    while nameEnd < end, !ShlexSplitter.isWhitespace(line[nameEnd]), line[nameEnd] != ":",
      line[nameEnd] != "]"
    {
      nameEnd += 1
    }
    if let extra = line[nameEnd..<end].firstIndex(where: { !ShlexSplitter.isWhitespace($0) }) {
      throw .configuration(
        lineStart.movedRight(by: extra),
        "expected one group name per line in [\(group):children], found '\(Character(line[extra]))' after '\(String(String.UnicodeScalarView(line[first..<nameEnd])))'"
      )
    }
    let child = String(String.UnicodeScalarView(line[first..<nameEnd]))
    let location = lineStart.movedRight(by: first)
    if builder.hasGroup(child) {
      try builder.addChild(child, to: group, at: location)
    } else if case .children(let parents) = pending[child] {
      pending[child] = .children(parents: parents + [(group, location)])
    } else {
      remember(child, .children(parents: [(group, location)]))
    }
  }

  private mutating func parseVarLine(
    _ line: [Unicode.Scalar], from first: Int, at lineStart: SourceLocation
  ) throws(DeployError) {
    let end = ShlexSplitter.commentStart(line) ?? line.count
    guard let equals = line[first..<end].firstIndex(of: "=") else {
      throw .configuration(
        lineStart.movedRight(by: first),
        "expected key=value in [\(group):vars], found '\(Self.trimmed(line[first..<end]))'")
    }
    var keyEnd = first
    while keyEnd < equals, !ShlexSplitter.isWhitespace(line[keyEnd]) { keyEnd += 1 }
    let key = String(String.UnicodeScalarView(line[first..<keyEnd]))
    guard !key.isEmpty else {
      throw .configuration(lineStart.movedRight(by: equals), "expected a variable name before '='")
    }
    if let stray = line[keyEnd..<equals].firstIndex(where: { !ShlexSplitter.isWhitespace($0) }) {
      throw .configuration(
        lineStart.movedRight(by: stray), "expected '=' after variable name '\(key)'")
    }
    let value = PythonLiteral.value(of: Self.trimmed(line[(equals + 1)..<end]))
    try builder.setGroupVar(key, value, group: group, at: lineStart.movedRight(by: equals + 1))
  }

  /// Ansible refuses references to groups that are never declared; report the first one.
  private func finish() throws(DeployError) {
    guard let name = pendingOrder.first(where: { pending[$0] != nil }) else { return }
    switch pending[name]! {
    case .vars(let location):
      throw .configuration(
        location,
        "[\(name):vars] refers to group '\(name)', which is never declared; add a [\(name)] or [\(name):children] section"
      )
    case .children(let parents):
      throw .configuration(
        parents[0].location,
        "[\(parents[0].name):children] names group '\(name)', which is never declared; add a [\(name)] or [\(name):children] section"
      )
    }
  }

  private static func trimmed(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    let start = scalars.firstIndex { !ShlexSplitter.isWhitespace($0) } ?? scalars.endIndex
    let end = scalars.lastIndex { !ShlexSplitter.isWhitespace($0) }.map { $0 + 1 } ?? start
    return String(String.UnicodeScalarView(scalars[start..<max(start, end)]))
  }
}
