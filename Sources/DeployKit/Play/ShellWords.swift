/// Splits a command line into words the way Python's `shlex.split` does (POSIX mode), which is
/// how Ansible's `command` module reads `command: prog 'an arg' "another"`.
enum ShellWords {
  static func split(_ line: String) throws(ModuleFailure) -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var escaped = false
    for character in line {
      if escaped {
        // Inside double quotes a backslash only escapes \, ", $, ` and newline.
        if quote == "\"", !"\\\"$`\n".contains(character) { current.append("\\") }
        current.append(character)
        escaped = false
        continue
      }
      switch (quote, character) {
      case (nil, "\\"), ("\"", "\\"):
        escaped = true
        inWord = true
      case (nil, "'"), (nil, "\""):
        quote = character
        inWord = true
      case ("'", "'"), ("\"", "\""):
        quote = nil
      case (nil, _) where character.isWhitespace:
        if inWord { words.append(current) }
        current = ""
        inWord = false
      default:
        current.append(character)
        inWord = true
      }
    }
    if quote != nil { throw ModuleFailure("no closing quotation in: \(line)") }
    if escaped { throw ModuleFailure("no escaped character at the end of: \(line)") }
    if inWord { words.append(current) }
    return words
  }
}
