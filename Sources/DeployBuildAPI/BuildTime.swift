/// A build's `build_time` (`YYYY/MM/DD HH:MM:SS`, local time of the build host, as the build
/// runner stamps it), the only thing that orders builds. Parsed the way the explorer's
/// `datetime.strptime(…, '%Y/%m/%d %H:%M:%S')` accepts it — single-digit fields and a run of
/// spaces are fine — so both call the same builds newer.
public struct BuildTime: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let year: Int
  public let month: Int
  public let day: Int
  public let hour: Int
  public let minute: Int
  public let second: Int

  nonisolated(unsafe) private static let pattern = try! Regex(
    #"^([0-9]{4})/(1[0-2]|0[1-9]|[1-9])/(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])\s+"#
      + #"(2[0-3]|[01][0-9]|[0-9]):([0-5][0-9]|[0-9]):([0-5][0-9]|[0-9])$"#)

  /// Nil for text strptime would refuse, or a date that does not exist (February 30th).
  public init?(_ text: String) {
    guard let match = try? Self.pattern.wholeMatch(in: text) else { return nil }
    let fields = (1...6).compactMap { index in
      match.output[index].substring.flatMap { Int($0.trimmingPrefix(" ")) }
    }
    guard fields.count == 6, fields[0] >= 1 else { return nil }
    let leap = fields[0] % 4 == 0 && (fields[0] % 100 != 0 || fields[0] % 400 == 0)
    let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][fields[1] - 1]
    guard fields[2] <= days else { return nil }
    (year, month, day, hour, minute, second) =
      (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5])
  }

  /// The `build_time` of a `build_info.yml` read with `PythonYAML`, if it is a valid time.
  public init?(buildInfo: PythonJSON?) {
    guard let text = buildInfo?["build_time"]?.stringValue else { return nil }
    self.init(text)
  }

  public static func < (lhs: BuildTime, rhs: BuildTime) -> Bool {
    [lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second].lexicographicallyPrecedes(
      [rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second])
  }

  /// Canonical `YYYY/MM/DD HH:MM:SS`.
  public var description: String {
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    let year = String(repeating: "0", count: max(0, 4 - String(self.year).count)) + "\(self.year)"
    return "\(year)/\(two(month))/\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
  }
}
