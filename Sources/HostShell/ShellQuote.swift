/// Quoting for POSIX `sh`. Every value that comes from a user and ends up in a remote command
/// line goes through here, so that `v1; touch /tmp/pwned` stays one harmless word.
enum ShellQuote {
  /// Characters that never need quoting in a POSIX shell word.
  private static let safe = Set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_-+=:,./".unicodeScalars)

  /// One shell word that the shell turns back into exactly `value`.
  ///
  /// The work is done on Unicode scalars, never on `Character`s: a quote followed by a
  /// combining mark is one Character (`'` + U+0301 is `'́`), so a Character-wise search for
  /// `'` misses it, and the quote would end the quoting (the property test found this).
  static func word(_ value: String) -> String {
    if !value.isEmpty, value.unicodeScalars.allSatisfy({ safe.contains($0) }) { return value }
    // Inside single quotes nothing is special but the quote itself: close, escape, reopen.
    var quoted = String.UnicodeScalarView()
    quoted.append("'")
    for scalar in value.unicodeScalars {
      if scalar == "'" {
        quoted.append(contentsOf: "'\\''".unicodeScalars)
      } else {
        quoted.append(scalar)
      }
    }
    quoted.append("'")
    return String(quoted)
  }

  /// A command line made of words, each quoted.
  static func join(_ words: [String]) -> String {
    words.map(word).joined(separator: " ")
  }
}
