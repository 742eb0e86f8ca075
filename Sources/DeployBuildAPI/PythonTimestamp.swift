/// A YAML timestamp as the explorer answers it: PyYAML makes a `date` or a `datetime` of it
/// (`construct_yaml_timestamp`), and FastAPI's `jsonable_encoder` writes that back with
/// `isoformat()` — `2020-12-19 23:04:48` becomes `2020-12-19T23:04:48`.
enum PythonTimestamp {
  nonisolated(unsafe) private static let pattern = try! Regex(
    #"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"#
      + #"(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?"#
      + #"(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$"#)

  /// The ISO text, or nil where Python's `date`/`datetime`/`timezone` would raise (month 13, a
  /// 25-hour offset, …).
  static func isoformat(_ text: String) -> String? {
    guard let match = try? pattern.wholeMatch(in: text) else { return nil }
    func group(_ index: Int) -> String? { match.output[index].substring.map(String.init) }
    func number(_ index: Int) -> Int? { group(index).flatMap { Int($0) } }
    guard let year = number(1), let month = number(2), let day = number(3),
      (1...9999).contains(year), (1...12).contains(month),
      (1...daysIn(month: month, year: year)).contains(day)
    else { return nil }
    let date = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    guard let hour = number(4), let minute = number(5), let second = number(6) else {
      return date
    }
    guard hour < 24, minute < 60, second < 60 else { return nil }
    var result = date + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
    if let fraction = group(7), !fraction.isEmpty {
      let digits = String((fraction.prefix(6) + String(repeating: "0", count: 6)).prefix(6))
      if let microseconds = Int(digits), microseconds != 0 { result += "." + digits }
    }
    if let sign = group(9), let hours = number(10) {
      let total = hours * 60 + (number(11) ?? 0)
      guard total < 24 * 60 else { return nil }
      // Python writes a zero offset with a plus sign, whatever sign the file had.
      result +=
        (sign == "-" && total != 0 ? "-" : "+") + pad(total / 60, 2) + ":"
        + pad(total % 60, 2)
    } else if group(8) != nil {
      result += "+00:00"
    }
    return result
  }

  private static func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }

  private static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }
}
