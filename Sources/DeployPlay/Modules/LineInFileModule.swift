import DeploySupport
import Foundation

/// Lines of a text file, each keeping its own `\n` (Python's `readlines()` on bytes, which the
/// Ansible modules use): joining them gives back the exact bytes, final newline or not.
enum TextLines {
  static func split(_ bytes: [UInt8]) -> [String] {
    var lines: [String] = []
    var start = 0
    for (index, byte) in bytes.enumerated() where byte == 0x0A {
      lines.append(String(decoding: bytes[start...index], as: UTF8.self))
      start = index + 1
    }
    if start < bytes.count { lines.append(String(decoding: bytes[start...], as: UTF8.self)) }
    return lines
  }

  static func join(_ lines: [String]) -> [UInt8] { Array(lines.joined().utf8) }

  /// Whether the line ends in `\n`. Swift sees `\r\n` as one character, so this looks at the
  /// last scalar rather than using `hasSuffix`.
  static func endsWithNewline(_ line: String) -> Bool { line.unicodeScalars.last == "\n" }

  /// The line without its trailing `\r` and `\n` characters (Python's `rstrip('\r\n')`).
  static func stripped(_ line: String) -> String {
    var scalars = line.unicodeScalars[...]
    while let last = scalars.last, last == "\n" || last == "\r" { scalars = scalars.dropLast() }
    return String(String.UnicodeScalarView(scalars))
  }
}

/// A Python regular expression matched against one line (as playbooks write them) run with ICU, which agrees on the
/// common syntax; Python's `(?P<name>…)` and `(?P=name)` are translated. Unlike the
/// templating `PythonRegex`, it fails as a module does and keeps the match for `backrefs`.
struct LineRegex {
  let expression: NSRegularExpression
  /// The pattern turns on multi-line mode itself (`(?m)`), which `blockinfile` treats as a
  /// request to match across the whole file.
  let isMultiline: Bool

  init(_ pattern: String, argument: String) throws(ModuleFailure) {
    // Python's `\Z` is the very end, which ICU writes `\z` (its `\Z` also matches before a
    // final newline, and lines here keep theirs).
    let translated = pattern.replacing("(?P<", with: "(?<")
      .replacing(#/\(\?P=(\w+)\)/#) { "\\k<\($0.output.1)>" }
      .replacing(#/\\(.)/#) { $0.output.1 == "Z" ? "\\z" : $0.output.0 }
    isMultiline = pattern.firstMatch(of: #/^\(\?[a-zA-Z]*m[a-zA-Z]*\)/#) != nil
    do {
      expression = try NSRegularExpression(pattern: translated)
    } catch {
      throw ModuleFailure("invalid regular expression in \(argument): \(pattern)")
    }
  }

  func search(_ text: String) -> NSTextCheckingResult? {
    expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
  }

  /// Python's `match.expand(template)`: `\1`, `\g<1>`, `\g<name>` and the escapes `\n`, `\t`,
  /// `\\` replaced; a group that did not take part gives nothing.
  static func expand(_ template: String, _ match: NSTextCheckingResult, in text: String) -> String {
    func group(_ range: NSRange) -> String {
      guard range.location != NSNotFound, let swiftRange = Range(range, in: text) else { return "" }
      return String(text[swiftRange])
    }
    var result = ""
    let scalars = Array(template.unicodeScalars)
    var index = 0
    while index < scalars.count {
      let scalar = scalars[index]
      guard scalar == "\\", index + 1 < scalars.count else {
        result.unicodeScalars.append(scalar)
        index += 1
        continue
      }
      let next = scalars[index + 1]
      if let digit = Int(String(next)), digit >= 0 {
        var number = digit
        index += 2
        if index < scalars.count, let second = Int(String(scalars[index])),
          number * 10 + second < match.numberOfRanges
        {
          number = number * 10 + second
          index += 1
        }
        if number < match.numberOfRanges { result += group(match.range(at: number)) }
        continue
      }
      if next == "g", index + 2 < scalars.count, scalars[index + 2] == "<",
        let close = scalars[(index + 3)...].firstIndex(of: ">")
      {
        let name = String(String.UnicodeScalarView(scalars[(index + 3)..<close]))
        if let number = Int(name) {
          if number < match.numberOfRanges { result += group(match.range(at: number)) }
        } else {
          result += group(match.range(withName: name))
        }
        index = close + 1
        continue
      }
      switch next {
      case "n": result += "\n"
      case "t": result += "\t"
      case "r": result += "\r"
      case "\\": result += "\\"
      default:
        result.unicodeScalars.append(scalar)
        result.unicodeScalars.append(next)
      }
      index += 2
    }
    return result
  }
}

/// `lineinfile`: makes sure one line is in a file (replacing the line a regular expression
/// finds, or adding it), or that no line matching is. The edits are Ansible's, step by step
/// (`LineEdit.present`, `LineEdit.absent`), so that the same playbook changes the same lines.
enum LineInFileModule: PlayModule {
  static let name = "lineinfile"
  static let arguments: Set<String>? = [
    "path", "dest", "destfile", "name", "regexp", "regex", "search_string", "line", "value",
    "state", "insertafter", "insertbefore", "create", "backrefs", "firstmatch", "owner", "group",
    "mode", "backup", "validate",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let path = try args.required("path", "dest", "destfile", "name")
    let present = try args.choice("state", ["present", "absent"], default: "present") == "present"
    let pattern = try args.string("regexp", "regex")
    let searchString = try args.string("search_string")
    let line = try args.string("line", "value")
    var insertAfter = try args.string("insertafter")
    let insertBefore = try args.string("insertbefore")
    let create = try args.bool("create", default: false)
    let backrefs = try args.bool("backrefs", default: false)
    let firstMatch = try args.bool("firstmatch", default: false)
    let attributes = try RemoteFile.Attributes.from(args)
    if pattern != nil && searchString != nil {
      throw ModuleFailure("parameters are mutually exclusive: regexp|search_string")
    }
    if insertAfter != nil && insertBefore != nil {
      throw ModuleFailure("parameters are mutually exclusive: insertbefore|insertafter")
    }
    if backrefs && searchString != nil {
      throw ModuleFailure("parameters are mutually exclusive: backrefs|search_string")
    }
    let regexp = try pattern.map { (text) throws(ModuleFailure) in
      try LineRegex(text, argument: "regexp")
    }

    var edit = try LineEdit(
      regexp: regexp, searchString: searchString, line: line ?? "", firstMatch: firstMatch)
    if present {
      if backrefs && regexp == nil { throw ModuleFailure("regexp is required with backrefs=true") }
      guard line != nil else { throw ModuleFailure("line is required with state=present") }
      if insertAfter == nil && insertBefore == nil { insertAfter = "EOF" }
      edit.insertAfter = insertAfter
      edit.insertBefore = insertBefore
      edit.backrefs = backrefs
      edit.insertPattern = try LineEdit.insertPattern(after: insertAfter, before: insertBefore)
    } else if regexp == nil && searchString == nil && line == nil {
      throw ModuleFailure("one of line, search_string, or regexp is required with state=absent")
    }

    let current = try RemoteFile.probe(
      path, RemoteFile.ProbeOptions(follow: true, content: true), in: context)
    if current.kind == .directory {
      throw ModuleFailure("Path \(path) is a directory !", values: ["rc": .int(256)])
    }
    if !current.exists {
      if !present {
        return ModuleResult(changed: false, message: "file not present")
      }
      if !create {
        throw ModuleFailure("Destination \(path) does not exist !", values: ["rc": .int(257)])
      }
    }

    let before = current.content ?? []
    let lines = TextLines.split(before)
    let edited: [String]
    var message: String
    var found: Int?
    if present {
      (edited, message) = edit.present(lines)
    } else {
      let removal = edit.absent(lines)
      edited = removal.lines
      found = removal.removed
      message = removal.removed > 0 ? "\(removal.removed) line(s) removed" : ""
    }
    let after = TextLines.join(edited)
    let contentChanged = after != before || !current.exists

    let (outcome, finalMessage, diffs) = try RemoteFile.finishEdit(
      path: path, before: before, after: after, attributes: attributes, current: current,
      contentChanged: contentChanged, message: message, args: args, in: context)
    message = finalMessage
    var values: [String: VarValue] = ["msg": .string(message)]
    values["backup"] = .string(outcome.backupFile ?? "")
    if let found { values["found"] = .int(found) }
    return ModuleResult(
      changed: outcome.changed, message: message.isEmpty ? nil : message, diffs: diffs,
      values: values)
  }
}

/// One `lineinfile` edit, as pure functions of the file's lines.
struct LineEdit {
  var regexp: LineRegex?
  var searchString: String?
  var line: String
  var firstMatch = false
  /// `EOF`, `BOF` or a regular expression's text (then also in `insertPattern`).
  var insertAfter: String?
  var insertBefore: String?
  var insertPattern: LineRegex?
  var backrefs = false

  init(
    regexp: LineRegex? = nil, searchString: String? = nil, line: String,
    insertAfter: String? = nil, insertBefore: String? = nil, backrefs: Bool = false,
    firstMatch: Bool = false
  ) throws(ModuleFailure) {
    self.regexp = regexp
    self.searchString = searchString
    self.line = line
    self.insertAfter = insertAfter
    self.insertBefore = insertBefore
    self.backrefs = backrefs
    self.firstMatch = firstMatch
    insertPattern = try Self.insertPattern(after: insertAfter, before: insertBefore)
  }

  /// The expression `insertafter`/`insertbefore` name, unless they name an end of the file.
  static func insertPattern(after: String?, before: String?) throws(ModuleFailure) -> LineRegex? {
    if let after, after != "BOF", after != "EOF" {
      return try LineRegex(after, argument: "insertafter")
    }
    if let before, before != "BOF" { return try LineRegex(before, argument: "insertbefore") }
    return nil
  }

  /// Ansible's `present()`: the lines afterwards and the message (`line added`,
  /// `line replaced`, or empty when nothing changed).
  func present(_ original: [String]) -> (lines: [String], message: String) {
    var lines = original
    var foundIndex = -1
    var insertIndex = -1
    var match: NSTextCheckingResult?
    let lineWithNewline = line + "\n"

    // A line the expression (or search string) finds takes precedence over the insert point.
    if regexp != nil || searchString != nil {
      for (number, current) in lines.enumerated() {
        if let regexp {
          guard let found = regexp.search(current) else { continue }
          match = found
        } else if let searchString, !current.contains(searchString) {
          continue
        }
        foundIndex = number
        if firstMatch { break }
      }
    }
    if foundIndex == -1 {
      for (number, current) in lines.enumerated() {
        if TextLines.stripped(current) == line {
          foundIndex = number
        } else if let insertPattern, insertPattern.search(current) != nil {
          insertIndex = insertAfter != nil ? number + 1 : number
          if firstMatch { break }
        }
      }
    }

    if foundIndex != -1 {
      var newLine = line
      if backrefs, let match {
        newLine = LineRegex.expand(line, match, in: lines[foundIndex])
      }
      if !TextLines.endsWithNewline(newLine) { newLine += "\n" }
      guard lines[foundIndex] != newLine else { return (lines, "") }
      lines[foundIndex] = newLine
      return (lines, "line replaced")
    }
    if backrefs {
      // Without a match there is nothing to fill the back-references with: leave the file.
      return (lines, "")
    }
    if insertBefore == "BOF" || insertAfter == "BOF" {
      lines.insert(lineWithNewline, at: 0)
      return (lines, "line added")
    }
    if insertAfter == "EOF" || insertIndex == -1 {
      if let last = lines.last, !TextLines.endsWithNewline(last) { lines.append("\n") }
      lines.append(lineWithNewline)
      return (lines, "line added")
    }
    if insertAfter != nil {
      // Not again when the line after the insert point already is the line.
      if insertIndex == lines.count {
        guard TextLines.stripped(lines[insertIndex - 1]) != line else { return (lines, "") }
        lines.append(lineWithNewline)
      } else {
        guard TextLines.stripped(lines[insertIndex]) != line else { return (lines, "") }
        lines.insert(lineWithNewline, at: insertIndex)
      }
      return (lines, "line added")
    }
    lines.insert(lineWithNewline, at: insertIndex)
    return (lines, "line added")
  }

  /// Ansible's `absent()`: every line the expression, search string or (without either) exact
  /// line matches is removed.
  func absent(_ original: [String]) -> (lines: [String], removed: Int) {
    let kept = original.filter { current in
      if let regexp { return regexp.search(current) == nil }
      if let searchString { return !current.contains(searchString) }
      return TextLines.stripped(current) != line
    }
    return (kept, original.count - kept.count)
  }
}
