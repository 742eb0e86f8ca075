import DeploySupport
import Foundation

/// `blockinfile`: keeps a block of lines between two marker lines in a file, inserting,
/// replacing or removing the whole block. The edit is Ansible's (`BlockEdit.apply`).
enum BlockInFileModule: PlayModule {
  static let name = "blockinfile"
  static let arguments: Set<String>? = [
    "path", "dest", "destfile", "name", "state", "marker", "block", "content", "insertafter",
    "insertbefore", "create", "backup", "marker_begin", "marker_end", "owner", "group", "mode",
    "validate", "append_newline", "prepend_newline",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let path = try args.required("path", "dest", "destfile", "name")
    let present = try args.choice("state", ["present", "absent"], default: "present") == "present"
    let insertAfter = try args.string("insertafter")
    let insertBefore = try args.string("insertbefore")
    if insertAfter != nil && insertBefore != nil {
      throw ModuleFailure("parameters are mutually exclusive: insertbefore|insertafter")
    }
    let edit = try BlockEdit(
      block: try args.string("block", "content") ?? "",
      marker: try args.string("marker") ?? "# {mark} ANSIBLE MANAGED BLOCK",
      markerBegin: try args.string("marker_begin") ?? "BEGIN",
      markerEnd: try args.string("marker_end") ?? "END", present: present,
      insertAfter: insertAfter, insertBefore: insertBefore,
      prependNewline: try args.bool("prepend_newline", default: false),
      appendNewline: try args.bool("append_newline", default: false))
    let attributes = try RemoteFile.Attributes.from(args)

    let current = try RemoteFile.probe(
      path, RemoteFile.ProbeOptions(follow: true, content: true), in: context)
    if current.kind == .directory {
      throw ModuleFailure("Path \(path) is a directory !", values: ["rc": .int(256)])
    }
    if !current.exists && !present {
      return ModuleResult(changed: false, message: "File \(path) not present")
    }
    let create = try args.bool("create", default: false)
    if !current.exists && !create {
      throw ModuleFailure("Path \(path) does not exist !", values: ["rc": .int(257)])
    }

    let before = current.content ?? []
    let after = TextLines.join(edit.apply(TextLines.split(before)))
    var message: String
    if current.exists && after == before {
      message = ""
    } else if !current.exists {
      message = "File created"
    } else {
      message = present && !edit.block.isEmpty ? "Block inserted" : "Block removed"
    }
    let contentChanged = !message.isEmpty

    let (outcome, finalMessage, diffs) = try RemoteFile.finishEdit(
      path: path, before: before, after: after, attributes: attributes, current: current,
      contentChanged: contentChanged, message: message, args: args, in: context)
    message = finalMessage
    var values: [String: VarValue] = ["msg": .string(message)]
    if let backup = outcome.backupFile { values["backup_file"] = .string(backup) }
    return ModuleResult(
      changed: outcome.changed, message: message.isEmpty ? nil : message, diffs: diffs,
      values: values)
  }
}

/// One `blockinfile` edit, as a pure function of the file's lines.
struct BlockEdit {
  var block: String
  var beginMarker: String
  var endMarker: String
  var present: Bool
  var insertAfter: String?
  var insertBefore: String?
  var insertPattern: LineRegex?
  /// A blank line before (after) the block unless it starts (ends) the file or one is there.
  var prependNewline = false
  var appendNewline = false

  init(
    block: String, marker: String = "# {mark} ANSIBLE MANAGED BLOCK", markerBegin: String = "BEGIN",
    markerEnd: String = "END", present: Bool = true, insertAfter: String? = nil,
    insertBefore: String? = nil, prependNewline: Bool = false, appendNewline: Bool = false
  ) throws(ModuleFailure) {
    self.prependNewline = prependNewline
    self.appendNewline = appendNewline
    self.block = block
    beginMarker = marker.replacing("{mark}", with: markerBegin) + "\n"
    endMarker = marker.replacing("{mark}", with: markerEnd) + "\n"
    self.present = present
    // Without either, the block goes at the end of the file.
    self.insertAfter = insertAfter == nil && insertBefore == nil ? "EOF" : insertAfter
    self.insertBefore = insertBefore
    insertPattern = try LineEdit.insertPattern(after: self.insertAfter, before: insertBefore)
  }

  /// The block's lines with their markers (none when the block is to be removed).
  var blockLines: [String] {
    guard present, !block.isEmpty else { return [] }
    let text = TextLines.endsWithNewline(block) ? block : block + "\n"
    return [beginMarker] + TextLines.split(Array(text.utf8)) + [endMarker]
  }

  /// Ansible's edit: an existing block (found by its exact marker lines) is replaced where it
  /// is; otherwise the block goes after the last line `insertafter` matches, before the last
  /// line `insertbefore` matches, at the end when the expression matches nothing.
  func apply(_ original: [String]) -> [String] {
    var lines = original
    let blockLines = blockLines
    var beginIndex: Int?
    var endIndex: Int?
    for (number, line) in lines.enumerated() {
      if line == beginMarker { beginIndex = number }
      if line == endMarker { endIndex = number }
    }

    var insertIndex: Int
    if let begin = beginIndex, let end = endIndex {
      if begin < end {
        lines.removeSubrange(begin...end)
        insertIndex = begin
      } else {
        lines.removeSubrange(end...begin)
        insertIndex = end
      }
    } else {
      // Nothing to remove when there is no block.
      if blockLines.isEmpty { return original }
      if let insertPattern {
        var last: Int?
        if insertPattern.isMultiline {
          // Matched against the whole file; the line is the one where the match ends (starts,
          // for insertbefore), counted by the newlines before that point as Ansible does.
          let text = lines.joined()
          if let match = insertPattern.search(text), let range = Range(match.range, in: text) {
            let point = insertAfter != nil ? range.upperBound : range.lowerBound
            last = text[..<point].unicodeScalars.count { $0 == "\n" }
          }
        } else {
          last = lines.indices.last { insertPattern.search(lines[$0]) != nil }
        }
        if let last {
          insertIndex = insertAfter != nil ? last + 1 : last
        } else {
          insertIndex = lines.count
        }
      } else if insertBefore != nil {
        insertIndex = 0  // BOF
      } else {
        insertIndex = lines.count  // EOF
      }
    }
    // The line before the block must end, or the marker would join it.
    if insertIndex > 0, !TextLines.endsWithNewline(lines[insertIndex - 1]) {
      lines[insertIndex - 1] += "\n"
    }
    if prependNewline && present && insertIndex != 0 && lines[insertIndex - 1] != "\n" {
      lines.insert("\n", at: insertIndex)
      insertIndex += 1
    }
    lines.insert(contentsOf: blockLines, at: insertIndex)
    let after = insertIndex + blockLines.count
    if appendNewline && present && after < lines.count && lines[after] != "\n" {
      lines.insert("\n", at: after)
    }
    return lines
  }
}
