/// One line of `.build_history` as the explorer answers it: the line split on `::`, the first
/// part the date, the second the workflow — the line's newline included, since the explorer does
/// not strip it (`"workflow":"database\n"`). Kept that way for clients that compare bytes.
public struct BuildHistoryEntry: Sendable, Hashable {
  public var date: String
  /// Nil for a line without `::` (the explorer then answers only `date`).
  public var workflow: String?

  public init(date: String, workflow: String?) {
    self.date = date
    self.workflow = workflow
  }

  /// The explorer's answer when there is no history file.
  public static let neverBuilt = BuildHistoryEntry(date: "never built", workflow: "")

  public var json: PythonJSON {
    .object([("date", .string(date))] + (workflow.map { [("workflow", .string($0))] } ?? []))
  }

  /// The entries of a history file as Python's `f.readlines()` and `e.split('::')` make them:
  /// universal newlines (`\r\n` and `\r` read as `\n`), every line keeps its `\n`, and of a line
  /// with several `::` only the first two parts count. Nil for a file that is not UTF-8 (Python
  /// fails to read it, and the explorer answers as if there were no file).
  public static func parse(_ file: [UInt8]) -> [BuildHistoryEntry]? {
    guard String(validating: file, as: UTF8.self) != nil else { return nil }
    var normalized: [UInt8] = []
    normalized.reserveCapacity(file.count)
    var index = file.startIndex
    while index < file.endIndex {
      let byte = file[index]
      index += 1
      guard byte == 0x0D else {
        normalized.append(byte)
        continue
      }
      normalized.append(0x0A)
      if index < file.endIndex, file[index] == 0x0A { index += 1 }
    }
    var entries: [BuildHistoryEntry] = []
    var start = normalized.startIndex
    while start < normalized.endIndex {
      let end = normalized[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? normalized.endIndex
      let parts = split(normalized[start..<end])
      entries.append(BuildHistoryEntry(date: parts[0], workflow: parts.count > 1 ? parts[1] : nil))
      start = end
    }
    return entries
  }

  /// `str.split('::')` on a line: left to right, matches do not overlap. `:` is ASCII, so
  /// splitting the UTF-8 bytes never cuts a character.
  private static func split(_ line: ArraySlice<UInt8>) -> [String] {
    var parts: [String] = []
    var partStart = line.startIndex
    var index = line.startIndex
    while index < line.endIndex {
      if line[index] == 0x3A, index + 1 < line.endIndex, line[index + 1] == 0x3A {
        parts.append(String(decoding: line[partStart..<index], as: UTF8.self))
        index += 2
        partStart = index
      } else {
        index += 1
      }
    }
    parts.append(String(decoding: line[partStart..<line.endIndex], as: UTF8.self))
    return parts
  }
}
