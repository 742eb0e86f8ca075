/// A POSIX `sh` script for a host, quoted by construction: every `String` interpolated into it
/// becomes exactly one shell word that means itself, whatever it holds (`v1; touch /tmp/pwned`,
/// `$(id)`, a newline, a quote). Only three things go in unquoted:
/// - the literal text written in the source (`"rm -f \(path)"`: `rm -f ` is the program's own);
/// - another `ShellScript` (it was quoted when it was made);
/// - shell a person wrote to be run as shell, through the one greppable door
///   `ShellScript(authored:)`: an operator's `exec` line, a playbook's `shell:`, a build step.
///
/// There is no other way to turn a `String` into a script outside this module, so a value
/// pasted raw into host shell is a compile error, not a review finding.
public struct ShellScript: Sendable, Hashable, CustomStringConvertible,
  ExpressibleByStringInterpolation
{
  /// The script as the host's shell reads it.
  public let text: String

  /// Text already known to be shell: only this module's wrappers splice text unexamined.
  init(verbatim text: String) { self.text = text }

  /// Shell that a person wrote to be run as shell (never a value that merely passes through).
  public init(authored text: String) { self.text = text }

  public init(stringLiteral value: String) { text = value }

  public init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

  public var description: String { text }

  public var isEmpty: Bool { text.isEmpty }

  public struct StringInterpolation: StringInterpolationProtocol {
    fileprivate var text = ""

    public init(literalCapacity: Int, interpolationCount: Int) {
      text.reserveCapacity(literalCapacity + 16 * interpolationCount)
    }

    public mutating func appendLiteral(_ literal: String) { text += literal }

    /// A value: one shell word that the shell turns back into exactly `value`.
    public mutating func appendInterpolation(_ value: String) { text += ShellQuote.word(value) }

    /// A number needs no quoting.
    public mutating func appendInterpolation(_ value: some BinaryInteger) { text += String(value) }

    /// Another script, spliced as it is.
    public mutating func appendInterpolation(_ script: ShellScript) { text += script.text }

    /// Several values, each its own word, separated by spaces.
    public mutating func appendInterpolation(words: [String]) {
      text += ShellQuote.join(words)
    }
  }
}

extension ShellScript {
  /// Scripts one after another, `separator` (a newline unless said otherwise) between them.
  public static func lines(_ scripts: [ShellScript], separator: ShellScript = "\n") -> ShellScript {
    ShellScript(verbatim: scripts.map(\.text).joined(separator: separator.text))
  }

  public static func + (lhs: ShellScript, rhs: ShellScript) -> ShellScript {
    ShellScript(verbatim: lhs.text + rhs.text)
  }

  public static func += (lhs: inout ShellScript, rhs: ShellScript) { lhs = lhs + rhs }
}

extension Array where Element == ShellScript {
  public func joined(separator: ShellScript = "\n") -> ShellScript {
    ShellScript.lines(self, separator: separator)
  }
}

extension DefaultStringInterpolation {
  /// A script interpolated into a `String` turns into text that nothing quotes any more, and a
  /// closure meant to make a script silently makes a `String`: that is refused at compile time.
  @available(*, deprecated, message: "build a ShellScript, or say .text where text is meant")
  public mutating func appendInterpolation(_ script: ShellScript) {}
}
