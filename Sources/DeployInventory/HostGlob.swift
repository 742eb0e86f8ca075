/// A shell-style wildcard with the semantics of Python's `fnmatch`, which Ansible uses for host
/// patterns: `*` (anything, dots included), `?`, `[abc]`, `[a-z]`, `[!abc]`; no escapes;
/// case-sensitive; the whole name must match.
struct HostGlob {
  private enum Token: Equatable {
    case literal(Unicode.Scalar)
    case any
    case star
    case set(ranges: [ClosedRange<Unicode.Scalar>], negated: Bool)
  }

  private let tokens: [Token]

  init(_ pattern: String) {
    let scalars = Array(pattern.unicodeScalars)
    var tokens: [Token] = []
    var index = 0
    while index < scalars.count {
      let scalar = scalars[index]
      index += 1
      switch scalar {
      case "*": if tokens.last != .star { tokens.append(.star) }
      case "?": tokens.append(.any)
      case "[":
        if let (set, next) = Self.parseSet(scalars, from: index) {
          tokens.append(set)
          index = next
        } else {
          tokens.append(.literal("["))
        }
      default: tokens.append(.literal(scalar))
      }
    }
    self.tokens = tokens
  }

  func matches(_ name: String) -> Bool {
    let scalars = Array(name.unicodeScalars)
    var (token, position) = (0, 0)
    var backtrack: (token: Int, position: Int)?
    while position < scalars.count {
      if token < tokens.count, tokens[token] == .star {
        backtrack = (token, position)
        token += 1
      } else if token < tokens.count, Self.matches(tokens[token], scalars[position]) {
        token += 1
        position += 1
      } else if let (starToken, starPosition) = backtrack {
        // Let the last `*` swallow one more character and retry from there.
        backtrack = (starToken, starPosition + 1)
        token = starToken + 1
        position = starPosition + 1
      } else {
        return false
      }
    }
    return tokens[token...].allSatisfy { $0 == .star }
  }

  private static func matches(_ token: Token, _ scalar: Unicode.Scalar) -> Bool {
    switch token {
    case .literal(let literal): return literal == scalar
    case .any: return true
    case .star: return true
    case .set(let ranges, let negated): return ranges.contains { $0.contains(scalar) } != negated
    }
  }

  /// A `[...]` set starting after the `[`, or nil when it never closes (then `[` is literal, as
  /// in `fnmatch`). A `]` right after `[` or `[!` is a member, not the end.
  private static func parseSet(_ scalars: [Unicode.Scalar], from start: Int) -> (Token, Int)? {
    var index = start
    let negated = index < scalars.count && scalars[index] == "!"
    if negated { index += 1 }
    var ranges: [ClosedRange<Unicode.Scalar>] = []
    var first = true
    while index < scalars.count {
      let scalar = scalars[index]
      if scalar == "]" && !first { return (.set(ranges: ranges, negated: negated), index + 1) }
      first = false
      if index + 2 < scalars.count, scalars[index + 1] == "-", scalars[index + 2] != "]" {
        if scalar <= scalars[index + 2] { ranges.append(scalar...scalars[index + 2]) }
        index += 3
      } else {
        ranges.append(scalar...scalar)
        index += 1
      }
    }
    return nil
  }
}
