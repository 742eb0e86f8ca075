/// A name the shell accepts for a variable (`[A-Za-z_][A-Za-z0-9_]*`), the only kind of word
/// that goes into a script unquoted besides numbers, since `export 'NAME'=…` is not an
/// assignment.
public struct ShellVariableName: Sendable, Hashable, CustomStringConvertible {
  public let name: String

  /// Nil when `name` is not a shell variable name (`A B`, `1X`, `X;rm -rf /`).
  public init?(_ name: String) {
    guard let first = name.unicodeScalars.first, first == "_" || Self.isLetter(first),
      name.unicodeScalars.allSatisfy({ $0 == "_" || Self.isLetter($0) || ("0"..."9").contains($0) })
    else { return nil }
    self.name = name
  }

  public var description: String { name }

  private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
  }
}

extension ShellScript.StringInterpolation {
  /// A variable's name, as in `export \(name)=\(value)`.
  public mutating func appendInterpolation(_ name: ShellVariableName) {
    appendLiteral(name.name)
  }
}
