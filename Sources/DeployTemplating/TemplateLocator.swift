import DeploySupport

/// Turns a scalar offset inside a template's text into the `file:line:column` of that place in
/// the file the template came from: the text may start mid-line (a YAML value), so the first
/// line's columns are shifted by the template's own column.
struct TemplateLocator {
  var scalars: [Unicode.Scalar]
  var base: SourceLocation?

  func location(of offset: Int) -> SourceLocation {
    var line = 0
    var column = 1
    for scalar in scalars[..<min(offset, scalars.count)] {
      if scalar == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    let file = base?.file ?? "<template>"
    let baseLine = base?.line ?? 1
    if line == 0, let baseColumn = base?.column {
      column += baseColumn - 1
    }
    return SourceLocation(file: file, line: baseLine + line, column: column)
  }
}
