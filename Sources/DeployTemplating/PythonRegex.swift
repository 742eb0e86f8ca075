import Foundation

/// A Python regular expression run by NSRegularExpression, for `regex_replace` and the
/// `match`/`search` tests. The dialects agree on everything playbooks use except named groups
/// (`(?P<name>…)`) and replacement back-references (`\1`, `\g<1>`), which are translated.
struct PythonRegex {
  let regex: NSRegularExpression
  /// Group numbers of named groups: NSRegularExpression templates only know `$n`.
  let groupNumbers: [String: Int]

  init(_ pattern: String, evaluator: ExpressionEvaluator) throws(TemplateFailure) {
    let translated = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
      .replacingOccurrences(of: "(?P=", with: "\\k<")
    groupNumbers = Self.namedGroups(translated)
    do {
      regex = try NSRegularExpression(pattern: translated)
    } catch {
      throw evaluator.fail("invalid regular expression \(PythonFormat.reprString(pattern))")
    }
  }

  func matchesAtStart(_ s: String) -> Bool {
    let range = NSRange(s.startIndex..., in: s)
    return regex.firstMatch(in: s, options: .anchored, range: range) != nil
  }

  func found(in s: String) -> Bool {
    regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
  }

  /// Python's `re.sub(pattern, replacement, s)`.
  func replace(in s: String, with replacement: String) -> String {
    regex.stringByReplacingMatches(
      in: s, range: NSRange(s.startIndex..., in: s),
      withTemplate: Self.template(replacement, groups: groupNumbers))
  }

  /// Python's replacement syntax in NSRegularExpression's: `\1` and `\g<1>` become `$1`,
  /// a literal `$` is escaped, and `\\` stays one backslash.
  static func template(_ replacement: String, groups: [String: Int] = [:]) -> String {
    var out = ""
    let chars = Array(replacement)
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "$" {
        out += "\\$"
      } else if c == "\\", i + 1 < chars.count {
        let next = chars[i + 1]
        if next.isNumber {
          var digits = String(next)
          i += 1
          if i + 1 < chars.count, chars[i + 1].isNumber {
            digits.append(chars[i + 1])
            i += 1
          }
          out += "$" + digits
        } else if next == "g", i + 2 < chars.count, chars[i + 2] == "<",
          let close = chars[(i + 3)...].firstIndex(of: ">")
        {
          let group = String(chars[(i + 3)..<close])
          out += "$" + (Int(group).map(String.init) ?? groups[group].map(String.init) ?? "0")
          i = close
        } else if next == "n" {
          out += "\n"
          i += 1
        } else if next == "t" {
          out += "\t"
          i += 1
        } else {
          out += "\\\\"
          i += 1
          if next != "\\" { out.append(next) }
        }
      } else {
        out.append(c)
      }
      i += 1
    }
    return out
  }

  /// Numbers the capturing groups of `pattern` (plain `(` and `(?<name>`, not `(?:`, `(?=`,
  /// `(?<=` and the like), skipping escapes and character classes.
  static func namedGroups(_ pattern: String) -> [String: Int] {
    let chars = Array(pattern)
    var names: [String: Int] = [:]
    var count = 0
    var inClass = false
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "\\" {
        i += 2
        continue
      }
      if inClass {
        if c == "]" { inClass = false }
      } else if c == "[" {
        inClass = true
      } else if c == "(" {
        if i + 1 < chars.count, chars[i + 1] == "?" {
          if i + 2 < chars.count, chars[i + 2] == "<", i + 3 < chars.count,
            chars[i + 3] != "=", chars[i + 3] != "!",
            let close = chars[(i + 3)...].firstIndex(of: ">")
          {
            count += 1
            names[String(chars[(i + 3)..<close])] = count
          }
        } else {
          count += 1
        }
      }
      i += 1
    }
    return names
  }
}
