import DeploySupport

/// Ansible's host ranges: `web[01:20].example.org`, `db-[a:f]`, `node[1:10:2]`. One name can hold
/// several ranges; the first varies slowest, as in Ansible's recursive expansion.
enum HostRange {
  /// A typo such as `[1:1000000]` should fail fast rather than build a million hosts.
  static let maximumHosts = 100_000

  /// Python's `string.ascii_letters`, which Ansible indexes for letter ranges, so `[x:B]` is valid.
  private static let letters = Array(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)

  /// Every name `pattern` stands for; `start` is where the pattern's first character is.
  static func expand(_ pattern: String, at start: SourceLocation) throws(DeployError) -> [String] {
    let scalars = Array(pattern.unicodeScalars)
    var pieces: [[String]] = []
    var literal = String.UnicodeScalarView()
    var index = 0
    while index < scalars.count {
      guard scalars[index] == "[" else {
        literal.append(scalars[index])
        index += 1
        continue
      }
      guard let close = scalars[(index + 1)...].firstIndex(of: "]") else {
        throw .configuration(
          start.movedRight(by: index), "expected ']' to close the host range opened here")
      }
      pieces.append([String(literal)])
      literal = String.UnicodeScalarView()
      pieces.append(
        try values(Array(scalars[(index + 1)..<close]), at: start.movedRight(by: index + 1)))
      index = close + 1
    }
    pieces.append([String(literal)])

    var names = [""]
    for choices in pieces where !(choices.count == 1 && choices[0].isEmpty) {
      guard names.count * choices.count <= maximumHosts else {
        throw .configuration(
          start, "'\(pattern)' expands to more than \(maximumHosts) hosts; is a range bound wrong?")
      }
      names = names.flatMap { prefix in choices.map { prefix + $0 } }
    }
    return names
  }

  /// The values of one `begin:end[:step]` range; `start` is the column just after `[`.
  private static func values(
    _ body: [Unicode.Scalar], at start: SourceLocation
  ) throws(DeployError) -> [String] {
    var parts: [(text: String, offset: Int)] = [("", 0)]
    for (offset, scalar) in body.enumerated() {
      if scalar == ":" {
        parts.append(("", offset + 1))
      } else {
        parts[parts.count - 1].text.unicodeScalars.append(scalar)
      }
    }
    guard parts.count == 2 || parts.count == 3 else {
      throw .configuration(
        start.movedRight(by: -1),
        "expected a host range like [01:20], [a:f] or [1:10:2], found '[\(String(String.UnicodeScalarView(body)))]'"
      )
    }
    let begin = parts[0].text.isEmpty ? "0" : parts[0].text
    let end = parts[1].text
    guard !end.isEmpty else {
      throw .configuration(
        start.movedRight(by: parts[1].offset), "expected the host range's end value after ':'")
    }
    var step = 1
    if parts.count == 3 {
      guard let value = Int(parts[2].text), value > 0 else {
        throw .configuration(
          start.movedRight(by: parts[2].offset),
          "expected a positive step after the second ':', found '\(parts[2].text)'")
      }
      step = value
    }

    if let first = singleLetter(begin), let last = singleLetter(end) {
      guard first <= last else {
        throw .configuration(
          start.movedRight(by: parts[0].offset),
          "host range [\(begin):\(end)] is empty: its begin comes after its end")
      }
      return stride(from: first, through: last, by: step).map { String(Character(letters[$0])) }
    }

    guard let low = Int(begin), isDigits(begin) else {
      throw .configuration(
        start.movedRight(by: parts[0].offset),
        "expected a number or a single letter to begin the host range, found '\(begin)'")
    }
    guard let high = Int(end), isDigits(end) else {
      throw .configuration(
        start.movedRight(by: parts[1].offset),
        "expected a number to end the host range, found '\(end)'")
    }
    // A leading zero asks for fixed-width names (web01…web20); Ansible then insists both bounds
    // are written with that width, which catches `[01:5]` typos.
    let width = begin.count > 1 && begin.hasPrefix("0") ? begin.count : 0
    guard width == 0 || end.count == width else {
      throw .configuration(
        start.movedRight(by: parts[1].offset),
        "zero-padded host range bounds must have the same width: '\(begin)' has \(width) digits, '\(end)' has \(end.count)"
      )
    }
    guard low <= high else {
      throw .configuration(
        start.movedRight(by: parts[0].offset),
        "host range [\(begin):\(end)] is empty: its begin is greater than its end")
    }
    guard (high - low) / step < maximumHosts else {
      throw .configuration(
        start.movedRight(by: -1),
        "host range [\(begin):\(end)] has more than \(maximumHosts) values; is a bound wrong?")
    }
    return stride(from: low, through: high, by: step).map { number in
      let digits = String(number)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
  }

  private static func isDigits(_ text: String) -> Bool {
    !text.isEmpty && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
  }

  private static func singleLetter(_ text: String) -> Int? {
    guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else { return nil }
    return letters.firstIndex(of: scalar)
  }
}
