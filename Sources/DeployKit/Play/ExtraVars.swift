import Foundation

/// `-e` arguments as ansible-playbook reads them: `@file` (YAML or JSON), a YAML/JSON mapping
/// (`{"a": 1}`), or `key=value` pairs separated by spaces, quoted as in a shell (values are
/// strings).
public enum ExtraVars {
  public static func parse(_ argument: String) throws(DeployError) -> [String: VarValue] {
    if argument.hasPrefix("@") {
      return try PlaybookVarsFile.load(path: String(argument.dropFirst()))
    }
    let trimmed = argument.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("{") {
      let file = "-e"
      guard let root = try YAMLDocument.compose(trimmed, file: file),
        case .map(let vars) = try YAMLDocument.varValue(root, file: file)
      else {
        throw .usage("-e \(argument): expected a mapping")
      }
      return vars
    }
    do throws(KeyValueArguments.Failure) {
      let pairs = try KeyValueArguments.parse(argument)
      return Dictionary(pairs.map { ($0.0, VarValue.string($0.1)) }) { $1 }
    } catch {
      throw .usage("-e \(argument): \(error.message)")
    }
  }
}

/// `key=value key2='a value'`: the short form of module arguments and of `-e`.
enum KeyValueArguments {
  struct Failure: Error {
    var message: String
  }

  static func parse(_ text: String) throws(Failure) -> [(String, String)] {
    let words = try split(text)
    var pairs: [(String, String)] = []
    for word in words {
      guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
        throw Failure(message: "expected key=value pairs; '\(word)' has no '='")
      }
      let key = String(word[..<equals])
      guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !key.first!.isNumber
      else {
        throw Failure(message: "'\(key)' is not a valid name")
      }
      pairs.append((key, String(word[word.index(after: equals)...])))
    }
    return pairs
  }

  /// Words separated by blanks, as Ansible's `split_args` makes them: quotes group and are
  /// removed, and a `{{ … }}` or `{% … %}` stays in one word even with blanks inside.
  static func split(_ text: String) throws(Failure) -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var jinjaDepth = 0
    var previous: Character?
    for character in text {
      defer { previous = character }
      if let open = quote {
        if character == open && previous != "\\" { quote = nil } else { current.append(character) }
        continue
      }
      if previous == "{" && (character == "{" || character == "%") { jinjaDepth += 1 }
      if (previous == "}" || previous == "%") && character == "}" && jinjaDepth > 0 {
        jinjaDepth -= 1
      }
      if jinjaDepth == 0, character == "'" || character == "\"" {
        quote = character
        inWord = true
        continue
      }
      if jinjaDepth == 0, character.isWhitespace {
        if inWord { words.append(current) }
        current = ""
        inWord = false
        continue
      }
      current.append(character)
      inWord = true
    }
    if quote != nil { throw Failure(message: "no closing quotation in: \(text)") }
    if jinjaDepth != 0 { throw Failure(message: "a '{{' or '{%' is not closed in: \(text)") }
    if inWord { words.append(current) }
    return words
  }

  static func parse(_ text: String, at location: SourceLocation) throws(DeployError)
    -> [(String, String)]
  {
    do {
      return try parse(text)
    } catch {
      throw .configuration(location, "module arguments '\(text)': \(error.message)")
    }
  }
}
