/// Splits lines into words as Python's `shlex.split` does, which is what Ansible uses: INI host
/// lines (`shlex.split(line, comments=True)`), so quoting (`msg="two words"`) and backslashes
/// mean the same thing, and `command:` lines. Each word keeps the column it started at so
/// errors can point at it.
package enum ShlexSplitter {
  package struct Word: Equatable {
    package var text: String
    /// 0-based offset of the word's first character in the line.
    package var offset: Int
  }

  private static let whitespace: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n", "\u{0B}", "\u{0C}"]

  package static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { whitespace.contains(scalar) }

  /// The words of a host line. `#` outside quotes ends the line even inside a word (as in shlex);
  /// `;` does only where a word would start, so `key=a;b` keeps its value.
  package static func hostWords(
    _ line: [Unicode.Scalar], at lineStart: SourceLocation
  ) throws(DeployError) -> [Word] {
    do {
      return try words(line, comments: true)
    } catch {
      throw .configuration(lineStart.movedRight(by: error.offset), error.message)
    }
  }

  package struct Failure: Error {
    /// 0-based offset in the line of what is wrong.
    var offset: Int
    package var message: String
  }

  /// Python's `shlex.split` in POSIX mode: what Ansible uses for INI host lines (with
  /// `comments`, and then `;` also starts a comment where a word would start) and for the
  /// free form of `command:` (without).
  package static func words(_ line: [Unicode.Scalar], comments: Bool) throws(Failure) -> [Word] {
    var words: [Word] = []
    var word = Word(text: "", offset: 0)
    var inWord = false
    var index = 0
    scan: while index < line.count {
      let scalar = line[index]
      if !inWord {
        if isWhitespace(scalar) {
          index += 1
          continue
        }
        if comments, scalar == "#" || scalar == ";" { break }
        word = Word(text: "", offset: index)
        inWord = true
      }
      switch scalar {
      case _ where isWhitespace(scalar):
        words.append(word)
        inWord = false
        index += 1
      case "#" where comments:
        break scan
      case "\\":
        guard index + 1 < line.count else {
          throw Failure(
            offset: index, message: "expected a character after '\\' at the end of the line")
        }
        word.text.unicodeScalars.append(line[index + 1])
        index += 2
      case "'", "\"":
        guard let close = closingQuote(scalar, in: line, after: index, into: &word.text) else {
          throw Failure(offset: index, message: "expected a closing \(scalar) for this quote")
        }
        index = close + 1
      default:
        word.text.unicodeScalars.append(scalar)
        index += 1
      }
    }
    if inWord { words.append(word) }
    return words
  }

  /// Appends the quoted text to `text` and returns the closing quote's index. Inside double quotes
  /// a backslash escapes only `"` and `\` (POSIX shlex); inside single quotes nothing is special.
  private static func closingQuote(
    _ quote: Unicode.Scalar, in line: [Unicode.Scalar], after open: Int, into text: inout String
  ) -> Int? {
    var index = open + 1
    while index < line.count {
      let scalar = line[index]
      if scalar == quote { return index }
      if quote == "\"", scalar == "\\", index + 1 < line.count,
        line[index + 1] == "\"" || line[index + 1] == "\\"
      {
        text.unicodeScalars.append(line[index + 1])
        index += 2
        continue
      }
      text.unicodeScalars.append(scalar)
      index += 1
    }
    return nil
  }

  /// Where a trailing comment starts in a section header, `[g:vars]` or `[g:children]` line: at
  /// `#` or `;` that begins the line or follows whitespace, outside quotes. Ansible itself only
  /// knows whole-line comments (and `#` after headers); without this, `user=deploy  # ssh`
  /// would silently become the string `deploy  # ssh`.
  package static func commentStart(_ line: [Unicode.Scalar]) -> Int? {
    var index = 0
    while index < line.count {
      let scalar = line[index]
      // An apostrophe with no partner (`msg=it's done`) is just a character.
      if scalar == "'" || scalar == "\"",
        let close = line[(index + 1)...].firstIndex(of: scalar)
      {
        index = close + 1
        continue
      }
      if scalar == "#" || scalar == ";", index == 0 || isWhitespace(line[index - 1]) {
        return index
      }
      index += 1
    }
    return nil
  }
}
