/// A position in a file the user wrote (project file, inventory, playbook), 1-based, so that
/// error messages can say `file:line:column` the way compilers do and editors can jump there.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var column: Int?

  public init(file: String, line: Int? = nil, column: Int? = nil) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String {
    switch (line, column) {
    case (let line?, let column?): return "\(file):\(line):\(column)"
    case (let line?, nil): return "\(file):\(line)"
    default: return file
    }
  }
}
