/// A Debian package version (`[epoch:]upstream[-revision]`), ordered exactly as
/// `dpkg --compare-versions` orders them. Apt repositories offer versions such as
/// `1.0.80~pr760-20`; deciding which one is newer, or telling a user which versions come closest
/// to one that is not offered, must agree with what apt itself will do, byte for byte.
///
/// Equality is dpkg's, not the text's: `1.0`, `1.00`, `0:1.0` and `1.0-0` are all equal (dpkg
/// answers `eq` for each pair), so `==` and `hash(into:)` work on a normalized form.
/// `description` keeps the text as written.
public struct DebianVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The number before the first `:`; 0 when there is none.
  public let epoch: Int
  /// Everything between the epoch's `:` and the last `-`.
  public let upstream: String
  /// Everything after the last `-`; empty when there is no `-`.
  public let revision: String
  /// The version as given, without surrounding blanks.
  public let description: String

  /// Parses `text` the way dpkg's `parseversion` does, and rejects what dpkg rejects: an empty
  /// string, blanks inside, an epoch that is not a non-negative number up to `Int32.max`,
  /// nothing after the epoch's `:`, an empty upstream part, and an empty revision after a
  /// trailing `-`. Blanks (spaces and tabs) around the version are ignored, as dpkg does.
  ///
  /// Where dpkg only warns, the decision is:
  /// - An upstream part that does not start with a digit (`abc`, `v1.2`) is accepted: dpkg
  ///   compares it without complaint beyond a warning, and this type must be able to order
  ///   whatever `dpkg --compare-versions` orders.
  /// - Characters outside dpkg's allowed set (upstream: letters, digits and `.+~-:`; revision:
  ///   letters, digits and `.+~`) are rejected, although `dpkg --compare-versions` only warns
  ///   and compares them: Debian policy (§5.6.12) allows no others, so no real package has them,
  ///   and versions end up in remote command lines, where fewer odd characters is safer.
  /// - The epoch must be plain ASCII digits: dpkg's `strtol` would also take a sign (`+1:2`),
  ///   which no real package uses.
  /// - The empty string is not a version. (`dpkg --compare-versions` reads an empty argument as
  ///   "no version", older than every version; callers that need that use an optional.)
  public init?(_ text: String) {
    let trimmed = text.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed()
      .drop { $0 == 0x20 || $0 == 0x09 }.reversed()
    let bytes = Array(trimmed)
    guard !bytes.isEmpty, !bytes.contains(where: { $0 == 0x20 || $0 == 0x09 }) else { return nil }

    var rest = bytes[...]
    var epoch = 0
    if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
      let digits = bytes[..<colon]
      guard !digits.isEmpty, digits.allSatisfy(Self.isDigit) else { return nil }
      for digit in digits {
        epoch = epoch * 10 + Int(digit - UInt8(ascii: "0"))
        guard epoch <= Int(Int32.max) else { return nil }
      }
      rest = bytes[(colon + 1)...]
      guard !rest.isEmpty else { return nil }
    }
    var upstream = rest
    var revision: ArraySlice<UInt8> = []
    if let hyphen = rest.lastIndex(of: UInt8(ascii: "-")) {
      upstream = rest[..<hyphen]
      revision = rest[(hyphen + 1)...]
      guard !revision.isEmpty else { return nil }
    }
    guard !upstream.isEmpty,
      upstream.allSatisfy({ Self.isAlphanumeric($0) || Self.upstreamPunctuation.contains($0) }),
      revision.allSatisfy({ Self.isAlphanumeric($0) || Self.revisionPunctuation.contains($0) })
    else { return nil }

    self.epoch = epoch
    self.upstream = String(decoding: upstream, as: UTF8.self)
    self.revision = String(decoding: revision, as: UTF8.self)
    self.description = String(decoding: bytes, as: UTF8.self)
  }

  public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool {
    compare(lhs, rhs) < 0
  }

  public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool {
    compare(lhs, rhs) == 0
  }

  /// Hashes the normalized form, so that versions dpkg calls equal hash alike.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(epoch)
    hasher.combine(Self.normalized(upstream))
    hasher.combine(Self.normalized(revision))
  }

  /// Negative, zero or positive as `lhs` sorts before, with or after `rhs`: the epoch
  /// numerically, then the upstream parts, then the revisions, each with dpkg's `verrevcmp`.
  public static func compare(_ lhs: DebianVersion, _ rhs: DebianVersion) -> Int {
    if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
    let upstream = compareParts(Array(lhs.upstream.utf8), Array(rhs.upstream.utf8))
    if upstream != 0 { return upstream }
    return compareParts(Array(lhs.revision.utf8), Array(rhs.revision.utf8))
  }

  /// The versions of `available` that sort nearest to where `wanted` would sort, in ascending
  /// order, for a "version not offered" error: someone asking for `1.0.80~pr760-21` wants to
  /// see `1.0.80~pr760-20` and its neighbours, not the whole repository. Takes `count / 2`
  /// versions below `wanted` and the rest from `wanted` up (more on one side when the other runs
  /// out), so an odd count leans newer; versions dpkg calls equal count once. When
  /// `wanted` is not a version at all, the newest `count` versions are the best guess.
  public static func nearest(
    to wanted: String, in available: [DebianVersion], count: Int
  ) -> [DebianVersion] {
    guard count > 0 else { return [] }
    var sorted: [DebianVersion] = []
    for version in available.sorted() where sorted.last != version { sorted.append(version) }
    guard sorted.count > count else { return sorted }
    guard let target = DebianVersion(wanted) else { return Array(sorted.suffix(count)) }
    let position = sorted.firstIndex { $0 >= target } ?? sorted.count
    let start = min(max(0, position - count / 2), sorted.count - count)
    return Array(sorted[start..<(start + count)])
  }

  // MARK: - dpkg's verrevcmp

  /// dpkg's `verrevcmp`: alternately a run of non-digits, compared character by character with
  /// `order`, and a run of digits, compared as numbers. Digit runs are compared as text after
  /// dropping leading zeros (longer is larger), so any length works without overflow.
  static func compareParts(_ a: [UInt8], _ b: [UInt8]) -> Int {
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
      while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
        let left = order(i < a.count ? a[i] : nil)
        let right = order(j < b.count ? b[j] : nil)
        if left != right { return left - right }
        i += 1
        j += 1
      }
      while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
      while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
      var firstDifference = 0
      while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
        if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
        i += 1
        j += 1
      }
      if i < a.count && isDigit(a[i]) { return 1 }
      if j < b.count && isDigit(b[j]) { return -1 }
      if firstDifference != 0 { return firstDifference }
    }
    return 0
  }

  /// The weight of one character in a non-digit run (nil: the end of the string). `~` sorts
  /// before everything, even the end, so `1.0~rc1 < 1.0`; letters sort before other characters,
  /// so `1.0a < 1.0+`; the end sorts before any letter, so `1.0 < 1.0a`.
  private static func order(_ character: UInt8?) -> Int {
    guard let character else { return 0 }
    if isDigit(character) { return 0 }
    if isLetter(character) { return Int(character) }
    if character == UInt8(ascii: "~") { return -1 }
    return Int(character) + 256
  }

  /// A form that two parts share exactly when `compareParts` calls them equal: every digit run
  /// without leading zeros (and `0` where a run is empty), so `1.0a`, `1.00a0` and `01.0a`
  /// all become `1.0a0`, and the empty part becomes `0`.
  static func normalized(_ part: String) -> String {
    let bytes = Array(part.utf8)
    if bytes.isEmpty { return "0" }
    var result: [UInt8] = []
    var i = 0
    while i < bytes.count {
      while i < bytes.count && !isDigit(bytes[i]) {
        result.append(bytes[i])
        i += 1
      }
      while i < bytes.count && bytes[i] == UInt8(ascii: "0") { i += 1 }
      let start = i
      while i < bytes.count && isDigit(bytes[i]) { i += 1 }
      result += start == i ? [UInt8(ascii: "0")] : bytes[start..<i]
    }
    return String(decoding: result, as: UTF8.self)
  }

  private static let upstreamPunctuation = Set(".+~-:".utf8)
  private static let revisionPunctuation = Set(".+~".utf8)

  private static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  private static func isLetter(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
      || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
  }

  private static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }
}
