/// Quoting for POSIX `sh`. Every value that comes from a user and ends up in a remote command
/// line goes through here, so that `v1; touch /tmp/pwned` stays one harmless word.
enum ShellQuote {
  /// Characters that never need quoting in a POSIX shell word.
  private static let safe = Set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_-+=:,./")

  /// One shell word that the shell turns back into exactly `value`.
  static func word(_ value: String) -> String {
    if !value.isEmpty, value.allSatisfy({ safe.contains($0) }) { return value }
    // Inside single quotes nothing is special but the quote itself: close, escape, reopen.
    return "'" + value.replacing("'", with: "'\\''") + "'"
  }

  /// A command line made of words, each quoted.
  static func join(_ words: [String]) -> String {
    words.map(word).joined(separator: " ")
  }
}
