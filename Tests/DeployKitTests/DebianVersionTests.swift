import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

@Suite("Debian versions")
struct DebianVersionTests {
  @Test(
    arguments: [
      ("1.0.89~pr806-275", "1.0.89"), ("1.0.79~pr751-14", "1.0.80~pr760-20"),
      ("1.0.80~pr760-20", "1.0.80"), ("1.0~rc1", "1.0"), ("1.0", "1.0+b1"), ("9.9", "1:0.1"),
      ("1.0-1", "1.0-1ubuntu1"), ("1.0~~", "1.0~"), ("1.0~", "1.0"), ("1.0", "1.0a"),
      ("1.0a", "1.0+"), ("1.0", "1.0."), ("1.9", "1.10"), ("1.0-9", "1.0-10"), ("1.2-3", "1.2.1"),
      ("2.30", "2.30a"), ("1.0-1~bpo11+1", "1.0-1"), ("a", "b"), ("1", "abc"),
      ("99999999999999999999999", "100000000000000000000000"), ("1:1", "2:0"),
    ])
  func ordersLikeDpkg(lower: String, higher: String) throws {
    let a = try #require(DebianVersion(lower))
    let b = try #require(DebianVersion(higher))
    #expect(a < b)
    #expect(b > a)
    #expect(a != b)
  }

  @Test(
    arguments: [
      ("1.0", "1.00"), ("1.0", "0:1.0"), ("1.0", "1.0-0"), ("1.0a", "1.0a0"), ("01", "1"),
      ("1.0-1", "1.0-01"), ("000000000000000000000000001", "1"), ("1:2:3", "1:2:3-0"),
    ])
  func equalVersionsAreEqualAndHashAlike(left: String, right: String) throws {
    let a = try #require(DebianVersion(left))
    let b = try #require(DebianVersion(right))
    #expect(a == b)
    #expect(!(a < b) && !(b < a))
    #expect(a.hashValue == b.hashValue)
    #expect(Set([a, b]).count == 1)
    #expect(a.description == left)
  }

  @Test func splitsIntoParts() throws {
    let version = try #require(DebianVersion(" 2:1.0-rc1-3ubuntu1\t"))
    #expect(version.epoch == 2)
    #expect(version.upstream == "1.0-rc1")
    #expect(version.revision == "3ubuntu1")
    #expect(version.description == "2:1.0-rc1-3ubuntu1")
    let plain = try #require(DebianVersion("1.0.89~pr806"))
    #expect(plain.epoch == 0)
    #expect(plain.revision == "")
    let colons = try #require(DebianVersion("1:2:3"))
    #expect(colons.epoch == 1)
    #expect(colons.upstream == "2:3")
  }

  @Test(
    arguments: [
      "", "  ", "1.0 1", ":1.0", "a:1.0", "-1:1.0", "+1:1.0", "1:", "1.0-", "-1", "1:-1",
      "99999999999:1.0", "1.0_1", "1.0/1", "1.0-1:2", "1.0-a_b", "1.0;ls", "1,0", "１.0",
    ])
  func rejectsWhatDpkgRejectsOrWarnsAboutCharacters(text: String) {
    #expect(DebianVersion(text) == nil)
  }

  @Test func acceptsUpstreamNotStartingWithDigitAsDpkgCompares() throws {
    let version = try #require(DebianVersion("v1.2"))
    #expect(version.upstream == "v1.2")
  }

  @Test func nearestTakesNeighboursAroundWhereTheWantedVersionSorts() throws {
    let available = [
      "1.0.79~pr751-14", "1.0.80~pr760-20", "1.0.80", "1.0.81~pr770-1", "1.0.81", "1.0.78",
      "1.0.80~pr760-20", "1.0.89~pr806-275",
    ].compactMap(DebianVersion.init)
    func nearest(_ wanted: String, _ count: Int) -> [String] {
      DebianVersion.nearest(to: wanted, in: available, count: count).map(\.description)
    }
    #expect(nearest("1.0.80~pr760-21", 2) == ["1.0.80~pr760-20", "1.0.80"])
    #expect(nearest("1.0.80~pr760-21", 3) == ["1.0.80~pr760-20", "1.0.80", "1.0.81~pr770-1"])
    #expect(nearest("1.0.80", 2) == ["1.0.80~pr760-20", "1.0.80"])
    #expect(nearest("0.1", 2) == ["1.0.78", "1.0.79~pr751-14"])
    #expect(nearest("9", 2) == ["1.0.81", "1.0.89~pr806-275"])
    #expect(nearest("not a version!", 1) == ["1.0.89~pr806-275"])
    #expect(nearest("1.0.80", 100).count == 7)
    #expect(nearest("1.0.80", 0).isEmpty)
  }

  /// Random pairs of realistic versions, each compared by dpkg itself. One shell loop runs
  /// dpkg for all of them (a process per pair from Swift would take far longer).
  @Test(.enabled(if: Dpkg.available, "dpkg is not installed"))
  func agreesWithDpkgOnRandomPairs() throws {
    var generator = SplitMix64(seed: 0x5EED_DEB1)
    var pairs: [(String, String)] = []
    while pairs.count < 10_000 {
      let a = VersionMaker.version(&generator)
      let b =
        Int.random(in: 0..<3, using: &generator) == 0
        ? VersionMaker.version(&generator) : VersionMaker.variant(of: a, &generator)
      pairs.append((a, b))
    }
    let started = MonotonicClock.now
    let verdicts = try Dpkg.compare(pairs)
    let elapsed = MonotonicClock.now - started
    try #require(verdicts.count == pairs.count, "dpkg answered \(verdicts.count) lines")

    var disagreements: [String] = []
    var counts: [String: Int] = [:]
    for ((left, right), verdict) in zip(pairs, verdicts) {
      counts[verdict, default: 0] += 1
      guard let a = DebianVersion(left), let b = DebianVersion(right) else {
        disagreements.append("unparsed: \(left) \(right)")
        continue
      }
      let ours = a < b ? "lt" : a == b ? "eq" : "gt"
      let consistent = (a.hashValue == b.hashValue || ours != "eq") && (b < a) == (ours == "gt")
      if ours != verdict || !consistent {
        disagreements.append("\(left) \(verdict) \(right) per dpkg, \(ours) here")
      }
    }
    #expect(disagreements.isEmpty, "\(disagreements.count): \(disagreements.prefix(50))")
    // Enough of each verdict to mean something: near-equal variants must really occur.
    #expect(counts["eq", default: 0] > 200)
    #expect(counts["lt", default: 0] > 2000 && counts["gt", default: 0] > 2000)
    print(
      "DebianVersionTests: \(pairs.count) pairs, dpkg loop \(String(format: "%.1f", elapsed)) s, "
        + "\(counts), \(disagreements.count) disagreements")
  }
}

/// dpkg's own verdicts, for comparison.
enum Dpkg {
  static let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg")

  /// `lt`, `eq` or `gt` for each pair, from one shell loop over a file of pairs.
  static func compare(_ pairs: [(String, String)]) throws -> [String] {
    let path = NSTemporaryDirectory() + "debian-versions-\(UUID().uuidString).txt"
    try pairs.map { "\($0.0) \($0.1)\n" }.joined().write(
      toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let script = """
      while read -r a b; do
        if dpkg --compare-versions "$a" lt "$b"; then echo lt
        elif dpkg --compare-versions "$a" eq "$b"; then echo eq
        else echo gt; fi
      done < "$1"
      """
    let result = try ChildProcess.capture(["sh", "-c", script, "sh", path], timeout: 600)
    try #require(result.exit.status == 0, "dpkg loop failed: \(result.stderr)")
    return result.stdout.split(separator: "\n").map(String.init)
  }
}

/// Versions built from the pieces real ones are made of: epochs, dotted numbers with leading
/// zeros, letters, `~` pre-releases, `+` rebuilds, revisions, and OONI's `~pr123-45`. The
/// alphabets are small on purpose, so that near ties (`1.0` and `1.00`, `1.0~` and `1.0`) come up.
enum VersionMaker {
  static func version(_ g: inout SplitMix64) -> String {
    var text = ""
    let epoch = chance(1, in: 6, &g)
    if epoch { text += pick(["0", "1", "2", "01", "00"], &g) + ":" }
    // dpkg warns about, but compares, upstream parts that start with a letter.
    if chance(1, in: 40, &g) { text += pick(["v", "a", "Z"], &g) }
    text += number(&g)
    // A colon in the upstream part is allowed once an epoch took the first one.
    if epoch && chance(1, in: 8, &g) { text += ":" + number(&g) }
    for _ in 0..<Int.random(in: 0...3, using: &g) { text += "." + component(&g) }
    if chance(1, in: 3, &g) { text += suffix(&g) }
    if chance(1, in: 2, &g) { text += "-" + revision(&g) }
    return text
  }

  /// A small change to `version`: most often one that dpkg orders by a single rule.
  static func variant(of version: String, _ g: inout SplitMix64) -> String {
    switch Int.random(in: 0..<9, using: &g) {
    case 0: return version + pick(["1", "b", "~1", "+1", ".1"], &g)
    case 1: return version.contains(":") ? version : "0:" + version
    case 2: return version.replacing(".", with: ".0", maxReplacements: 1)
    case 3: return version + pick(["~", "~~", "+", ".", "a", "0", "-0", "~rc1", "+b1"], &g)
    case 4: return version.contains("-") ? version + "0" : version + "-0"
    case 5:
      var characters = Array(version)
      let index = Int.random(in: 0..<characters.count, using: &g)
      if characters[index].isNumber, let digit = characters[index].wholeNumberValue {
        characters[index] = Character(String((digit + pick([1, 9], &g)) % 10))
      }
      return String(characters)
    case 6: return ooni(&g)
    case 7: return version.replacing("~", with: "+")
    default: return "0" + version.drop { $0 == "0" }
    }
  }

  static func ooni(_ g: inout SplitMix64) -> String {
    let patch = Int.random(in: 78...90, using: &g)
    let pr = Int.random(in: 750...810, using: &g)
    let build = Int.random(in: 1...300, using: &g)
    return chance(1, in: 4, &g) ? "1.0.\(patch)" : "1.0.\(patch)~pr\(pr)-\(build)"
  }

  private static func number(_ g: inout SplitMix64) -> String {
    pick(
      ["0", "1", "2", "9", "10", "01", "001", "99", "100", "20231201", "18446744073709551616"], &g)
  }

  private static func component(_ g: inout SplitMix64) -> String {
    chance(1, in: 4, &g) ? number(&g) + pick(["a", "b", "z", "A", "rc", "beta"], &g) : number(&g)
  }

  private static func suffix(_ g: inout SplitMix64) -> String {
    pick(
      [
        "~", "~~", "~rc1", "~rc2", "~beta", "+b1", "+dfsg", "+dfsg1", "+git20240101", "a", "~pr",
        "~pr\(Int.random(in: 1...999, using: &g))", "+", "~a", "~A", ".",
      ], &g)
  }

  private static func revision(_ g: inout SplitMix64) -> String {
    pick(
      [
        "0", "1", "2", "10", "01", "1ubuntu1", "1ubuntu2", "0.1", "1~bpo11+1", "1+b1", "1~",
        "\(Int.random(in: 1...300, using: &g))", "1.1", "a", "1~deb12u1", "1+deb12u1",
      ], &g)
  }

  private static func chance(_ n: Int, in total: Int, _ g: inout SplitMix64) -> Bool {
    Int.random(in: 0..<total, using: &g) < n
  }

  private static func pick<T>(_ choices: [T], _ g: inout SplitMix64) -> T {
    choices[Int.random(in: 0..<choices.count, using: &g)]
  }
}

/// A small seeded generator, so a failing pair can be reproduced.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
