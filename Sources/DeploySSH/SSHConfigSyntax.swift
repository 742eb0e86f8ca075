/// The lexical rules of ssh_config, ported from OpenSSH 9.2 (`readconf.c`, `misc.c`) byte for byte:
/// users' configs are tested against `ssh`, so a line must split the same way here or the two
/// transports would disagree about which host they are talking to.
enum SSHConfigSyntax {
  /// A token and the byte offset where it starts in the line, for `file:line:column` messages.
  struct Token {
    var text: String
    var offset: Int
  }

  /// One non-blank, non-comment line split into its keyword and arguments.
  struct Line {
    var keyword: String
    var keywordOffset: Int
    /// Arguments as `argv_split` makes them: quotes removed, escapes resolved, `#` ends the list.
    var arguments: [Token]
    /// The text after the keyword and its separator, verbatim (for ProxyCommand and Match).
    var rest: [UInt8]
    var restOffset: Int
  }

  enum Failure: Error {
    case noArgument(keyword: String, offset: Int)
    case invalidQuotes(offset: Int)
  }

  private static let space = UInt8(ascii: " ")
  private static let tab = UInt8(ascii: "\t")
  private static let quote = UInt8(ascii: "\"")
  private static let equals = UInt8(ascii: "=")

  static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == space || byte == tab || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
  }

  /// Splits one physical line; nil for lines OpenSSH skips (blank, comment, unmatched quote in
  /// the keyword).
  static func split(_ raw: [UInt8]) throws(Failure) -> Line? {
    guard !raw.isEmpty else { return nil }
    // Trailing whitespace goes (a form feed too), but never the first byte: OpenSSH's loop stops
    // at index 1.
    var end = raw.count
    while end > 1, isWhitespace(raw[end - 1]) || raw[end - 1] == 0x0C { end -= 1 }
    let line = Array(raw[..<end])

    var position: Int? = 0
    guard var keyword = delimit(line, &position, splitEquals: true) else { return nil }
    if keyword.text.isEmpty {
      guard let next = delimit(line, &position, splitEquals: true) else { return nil }
      keyword = next
    }
    guard let first = keyword.text.utf8.first, first != UInt8(ascii: "#"),
      first != UInt8(ascii: "\n")
    else { return nil }
    let name = SSHPattern.asciiLowercased(keyword.text)

    if var start = position {
      while start < line.count, isWhitespace(line[start]) { start += 1 }
      position = start
    }
    guard let restStart = position, restStart < line.count else {
      throw .noArgument(keyword: name, offset: keyword.offset)
    }
    let rest = Array(line[restStart...])
    guard let arguments = argvSplit(rest, base: restStart) else {
      throw .invalidQuotes(offset: restStart)
    }
    return Line(
      keyword: name, keywordOffset: keyword.offset, arguments: arguments, rest: rest,
      restOffset: restStart)
  }

  /// `strdelim`: the next word, split on whitespace or one `=`, with one level of double quotes.
  /// `position` becomes nil at the end of the line. Returns nil for an unmatched quote.
  static func delimit(_ line: [UInt8], _ position: inout Int?, splitEquals: Bool) -> Token? {
    guard let start = position else { return nil }
    var stop = start
    while stop < line.count {
      let byte = line[stop]
      if isWhitespace(byte) || byte == quote || (splitEquals && byte == equals) { break }
      stop += 1
    }
    if stop == line.count {
      position = nil
      return token(line[start..<stop], at: start)
    }
    if line[stop] == quote {
      // OpenSSH deletes the opening quote and cuts at the next one, so `ab"c d"e` yields `abc d`.
      guard let close = line[(stop + 1)...].firstIndex(of: quote) else {
        position = nil
        return nil
      }
      position = skipWhitespace(line, from: close + 1)
      return token(line[start..<stop] + line[(stop + 1)..<close], at: start)
    }
    let sawEquals = splitEquals && line[stop] == equals
    var next = skipWhitespace(line, from: stop + 1)
    if splitEquals, !sawEquals, next < line.count, line[next] == equals {
      next = skipWhitespace(line, from: next + 1)
    }
    position = next
    return token(line[start..<stop], at: start)
  }

  /// `argv_split` with comment termination: shell-like words, `'` and `"` quoting, backslash
  /// escapes for quotes, backslash and (outside quotes) space. Nil when a quote is not closed.
  static func argvSplit(_ bytes: [UInt8], base: Int) -> [Token]? {
    var tokens: [Token] = []
    var i = 0
    while i < bytes.count {
      if bytes[i] == space || bytes[i] == tab {
        i += 1
        continue
      }
      if bytes[i] == UInt8(ascii: "#") { break }
      let start = i
      var word: [UInt8] = []
      var open: UInt8 = 0
      while i < bytes.count {
        let byte = bytes[i]
        if byte == UInt8(ascii: "\\"), i + 1 < bytes.count,
          [UInt8(ascii: "'"), quote, UInt8(ascii: "\\")].contains(bytes[i + 1])
            || (open == 0 && bytes[i + 1] == space)
        {
          i += 1
          word.append(bytes[i])
        } else if open == 0, byte == space || byte == tab {
          break
        } else if open == 0, byte == quote || byte == UInt8(ascii: "'") {
          open = byte
        } else if open != 0, byte == open {
          open = 0
        } else {
          word.append(byte)
        }
        i += 1
      }
      if i >= bytes.count, open != 0 { return nil }
      tokens.append(Token(text: String(decoding: word, as: UTF8.self), offset: base + start))
    }
    return tokens
  }

  private static func skipWhitespace(_ line: [UInt8], from index: Int) -> Int {
    var index = index
    while index < line.count, isWhitespace(line[index]) { index += 1 }
    return index
  }

  private static func token(_ bytes: some Sequence<UInt8>, at offset: Int) -> Token {
    Token(text: String(decoding: Array(bytes), as: UTF8.self), offset: offset)
  }
}
