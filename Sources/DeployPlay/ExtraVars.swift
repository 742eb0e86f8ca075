import DeployInventory
import DeploySupport
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
    let scan = scan(text)
    if let problem = scan.problem { throw Failure(message: "\(problem) in: \(text)") }
    return scan.words.map(\.value)
  }

  /// One pass over `text`: each word as written (`raw`) and with its quotes removed (`value`),
  /// and what is left open at the end, if anything.
  private static func scan(_ text: String) -> (
    words: [(raw: Substring, value: String)], problem: String?
  ) {
    var words: [(raw: Substring, value: String)] = []
    var start: String.Index?
    var value = ""
    var quote: Character?
    var jinjaDepth = 0
    var previous: Character?
    for index in text.indices {
      let character = text[index]
      defer { previous = character }
      if let open = quote {
        if character == open && previous != "\\" { quote = nil } else { value.append(character) }
        continue
      }
      if previous == "{" && (character == "{" || character == "%") { jinjaDepth += 1 }
      if (previous == "}" || previous == "%") && character == "}" && jinjaDepth > 0 {
        jinjaDepth -= 1
      }
      if jinjaDepth == 0, character.isWhitespace {
        if let begun = start { words.append((text[begun..<index], value)) }
        start = nil
        value = ""
        continue
      }
      if start == nil { start = index }
      if jinjaDepth == 0, character == "'" || character == "\"" {
        quote = character
      } else {
        value.append(character)
      }
    }
    if let begun = start { words.append((text[begun...], value)) }
    let problem =
      quote != nil
      ? "no closing quotation" : jinjaDepth != 0 ? "a '{{' or '{%' is not closed" : nil
    return (words, problem)
  }

  /// The arguments `command` and `shell` take as `key=value` words in their free form.
  static let commandKeys: Set<String> = ["chdir", "creates", "removes", "executable", "stdin"]

  /// Splits a free-form command into its `chdir=`-style arguments and the command itself. The
  /// command keeps its words as written (quotes included); only whole words that are one of
  /// `commandKeys`, `=`, and a value are taken out.
  static func commandArguments(_ text: String) -> (command: String, arguments: [(String, String)]) {
    var kept: [Substring] = []
    var arguments: [(String, String)] = []
    for (word, value) in scan(text).words {
      if let equals = word.firstIndex(of: "="), commandKeys.contains(String(word[..<equals])) {
        arguments.append((String(word[..<equals]), String(value.drop { $0 != "=" }.dropFirst())))
      } else {
        kept.append(word)
      }
    }
    return arguments.isEmpty ? (text, []) : (kept.joined(separator: " "), arguments)
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
