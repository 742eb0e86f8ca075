import Foundation

/// Durations as people write them in configuration files and on the command line: a build may
/// run for days (`timeout: 72h`) while a lock wait is seconds (`--lock-wait 90s`), and nobody
/// should have to convert `1h30m` to 5400 by hand.
public enum DurationParser {
  private static let unitSeconds: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]

  /// Seconds in `text`: a plain number of seconds (`30`, `1.5`), or numbers each followed by a
  /// unit — `s`, `m`, `h` or `d` — from the largest unit down, each unit at most once (`90s`,
  /// `5m`, `2h`, `1d`, `1h30m`, `1d 12h`). Nil for anything else, including negative values:
  /// callers turn nil into an error that shows the accepted forms.
  public static func seconds(_ text: String) -> Double? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let plain = number(trimmed) { return plain }
    var total = 0.0
    var rest = Substring(trimmed)
    var previousUnit = Double.infinity
    while !rest.isEmpty {
      rest = rest.drop { $0 == " " }
      let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
      rest = rest.dropFirst(digits.count)
      guard let value = number(String(digits)), let unitName = rest.first,
        let unit = unitSeconds[unitName], unit < previousUnit
      else { return nil }
      rest = rest.dropFirst()
      total += value * unit
      previousUnit = unit
    }
    return previousUnit.isFinite ? total : nil
  }

  /// A non-negative decimal number written with ASCII digits and at most one dot.
  private static func number(_ text: String) -> Double? {
    guard !text.isEmpty, text != ".",
      text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
      text.count(where: { $0 == "." }) <= 1
    else { return nil }
    return Double(text)
  }
}
