import Testing

@testable import DeploySupport

@Suite struct TerminalTextTests {
  @Test(arguments: [
    ("plain text\nwith\ttabs", "plain text\nwith\ttabs"),
    ("\u{1B}]52;c;SGVsbG8=\u{07}", "^[]52;c;SGVsbG8=^G"),  // clipboard write
    ("\u{1B}]0;pwned\u{07}title", "^[]0;pwned^Gtitle"),  // window title
    ("ok\u{1B}[2K\u{1B}[1A", "ok^[[2K^[[1A"),  // erase line, cursor up
    ("rm -rf /\rharmless", "rm -rf /\nharmless"),  // a line that hides itself
    ("windows\r\nline", "windows\nline"),
    ("\u{1B}[31mred\u{1B}[0m", "\u{1B}[31mred\u{1B}[0m"),  // colour stays
    ("\u{1B}[1;32mbold green\u{1B}[m", "\u{1B}[1;32mbold green\u{1B}[m"),
    ("nul\u{0}del\u{7F}c1\u{9B}31m", "nul^@del^?c1<U+9B>31m"),
    ("trailing escape \u{1B}", "trailing escape ^["),
    ("ünïcode 🚀", "ünïcode 🚀"),
  ])
  func controlCharactersAreShownNotObeyed(input: String, expected: String) {
    #expect(TerminalText.sanitize(input) == expected)
  }
}
