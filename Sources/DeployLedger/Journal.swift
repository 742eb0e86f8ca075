import Foundation

/// Reading a host's journal file (JSON lines, see `JournalEntry`). Appends on a host can be cut
/// short (disk full, host crash, a runner killed mid-write) and a newer `deploy` may have added
/// keys, so one bad line must never hide the rest of the history.
public enum Journal {
  /// Parses a journal file's text. Tolerates blank lines, a torn last line (a write cut short)
  /// and lines from newer versions with unknown keys; returns the entries and the 1-based numbers
  /// of lines it skipped.
  ///
  /// A line is used when it is a JSON object with a known `event` and all of `run`, `host`,
  /// `app`, `stage`, `kind`, `version`, `user`, `origin` and `started`; a `finished` line also
  /// needs `ended` and an `outcome` other than `running`. To keep the shell writer simple,
  /// integers may be written as strings of digits, and an optional key (`commit`, `workflow`,
  /// `message`, `failed_step`) may be `null` or `""` for "none". A missing `attempt` means 1, a
  /// missing `outcome` on a `started` line means `running`.
  ///
  /// When a torn write was followed by a whole one (the fragment has no newline, so the next
  /// append lands on the same line), the whole entry at the end of the line is still used; the
  /// line is reported as skipped anyway, since the torn entry on it is lost.
  public static func parse(_ text: String) -> (entries: [JournalEntry], skippedLines: [Int]) {
    var entries: [JournalEntry] = []
    var skipped: [Int] = []
    // Split bytes, not Characters: in Swift "\r\n" is one Character, not a "\n".
    let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (index, rawLine) in lines.enumerated() {
      let line = trimmed(rawLine)
      if line.isEmpty { continue }
      if let entry = JournalEntry(json: line) {
        entries.append(entry)
        continue
      }
      skipped.append(index + 1)
      if let entry = wholeEntryAfterTornWrite(line) { entries.append(entry) }
    }
    return (entries, skipped)
  }

  private static func trimmed(_ line: Substring.UTF8View) -> ArraySlice<UInt8> {
    let whitespace: Set<UInt8> = [0x20, 0x09, 0x0D]
    var bytes = ArraySlice(line)
    while let first = bytes.first, whitespace.contains(first) { bytes = bytes.dropFirst() }
    while let last = bytes.last, whitespace.contains(last) { bytes = bytes.dropLast() }
    return bytes
  }

  /// The longest tail of a damaged line that is a whole entry on its own, if any.
  private static func wholeEntryAfterTornWrite(_ line: ArraySlice<UInt8>) -> JournalEntry? {
    var start = line.index(after: line.startIndex)
    while start < line.endIndex {
      if line[start] == UInt8(ascii: "{"), let entry = JournalEntry(json: line[start...]) {
        return entry
      }
      start = line.index(after: start)
    }
    return nil
  }
}

/// A JSON value as far as journal lines use them: anything else makes a key unusable.
private enum Field: Decodable {
  case string(String)
  case integer(Int)
  case null
  case other

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Int.self) {
      self = .integer(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else {
      self = .other
    }
  }
}

extension JournalEntry {
  /// Decodes one journal line; nil when it is not a usable entry (see `Journal.parse`).
  fileprivate init?(json: ArraySlice<UInt8>) {
    guard let fields = try? JSONDecoder().decode([String: Field].self, from: Data(json)) else {
      return nil
    }
    func text(_ key: String) -> String? {
      switch fields[key] {
      case .string(let value): return value
      case .integer(let value): return String(value)
      default: return nil
      }
    }
    func integer(_ key: String) -> Int? {
      switch fields[key] {
      case .integer(let value): return value
      case .string(let value) where !value.isEmpty && value.utf8.allSatisfy({ $0 &- 0x30 < 10 }):
        return Int(value)
      default: return nil
      }
    }
    func optionalText(_ key: String) -> String? { text(key).flatMap { $0.isEmpty ? nil : $0 } }

    guard let event = text("event").flatMap(Event.init(rawValue:)),
      let runID = text("run"), !runID.isEmpty, let host = text("host"), !host.isEmpty,
      let app = text("app"), !app.isEmpty, let stage = text("stage"), let kind = text("kind"),
      let version = text("version"), let user = text("user"), let origin = text("origin"),
      let startedAt = integer("started")
    else { return nil }

    let attempt: Int
    switch fields["attempt"] {
    case nil, .null: attempt = 1
    default:
      guard let value = integer("attempt"), value >= 1 else { return nil }
      attempt = value
    }

    let outcome: RunOutcome
    var endedAt: Int?
    switch event {
    case .started:
      switch fields["outcome"] {
      case nil, .null: break
      default: guard text("outcome") == RunOutcome.running.rawValue else { return nil }
      }
      outcome = .running
    case .finished:
      guard let value = text("outcome").flatMap(RunOutcome.init(rawValue:)), value.isFinished,
        let ended = integer("ended")
      else { return nil }
      outcome = value
      endedAt = ended
    }

    self.init(
      event: event, runID: runID, attempt: attempt, host: host, app: app, stage: stage, kind: kind,
      version: version, commit: optionalText("commit"), user: user, origin: origin,
      workflow: optionalText("workflow"), startedAt: startedAt, endedAt: endedAt,
      outcome: outcome, message: optionalText("message"), failedStep: integer("failed_step"))
  }
}
