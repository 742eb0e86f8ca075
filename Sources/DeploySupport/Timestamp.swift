import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Times as `deploy` shows and writes them. Journals store epoch seconds (a shell writes them
/// with `date +%s`); people and `--json` read calendar times, always in UTC so that output does
/// not depend on where it was produced.
public enum Timestamp {
  /// `2026-11-24 13:06:07 UTC`, for people.
  public static func utc(_ epoch: Int) -> String {
    let t = fields(epoch)
    return "\(t.year)-\(t.month)-\(t.day) \(t.hour):\(t.minute):\(t.second) UTC"
  }

  /// `2026-11-24T13:06:07Z`, for programs.
  public static func iso8601(_ epoch: Int) -> String {
    let t = fields(epoch)
    return "\(t.year)-\(t.month)-\(t.day)T\(t.hour):\(t.minute):\(t.second)Z"
  }

  /// `20261124T130607Z`, the first part of a run id.
  package static func compact(_ epoch: Int) -> String {
    let t = fields(epoch)
    return "\(t.year)\(t.month)\(t.day)T\(t.hour)\(t.minute)\(t.second)Z"
  }

  /// A short age: `45s`, `12m`, `3h05m`, `2d04h`.
  public static func age(_ seconds: Int) -> String {
    switch seconds {
    case ..<60: return "\(seconds)s"
    case ..<3600: return "\(seconds / 60)m"
    case ..<86400: return "\(seconds / 3600)h" + pad(seconds % 3600 / 60, 2) + "m"
    default: return "\(seconds / 86400)d" + pad(seconds % 86400 / 3600, 2) + "h"
    }
  }

  public static var now: Int { Int(Date().timeIntervalSince1970) }

  private static func fields(_ epoch: Int) -> (
    year: String, month: String, day: String, hour: String, minute: String, second: String
  ) {
    var time = time_t(epoch)
    var parts = tm()
    gmtime_r(&time, &parts)
    return (
      pad(Int(parts.tm_year) + 1900, 4), pad(Int(parts.tm_mon) + 1, 2), pad(Int(parts.tm_mday), 2),
      pad(Int(parts.tm_hour), 2), pad(Int(parts.tm_min), 2), pad(Int(parts.tm_sec), 2)
    )
  }

  private static func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
}
