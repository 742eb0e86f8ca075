extension SourceLocation {
  /// The same line, `offset` columns further right. Parsers know where a word starts; errors about
  /// something inside the word (a range bound, a port) should point at that very character.
  /// Inventory columns count Unicode scalars, as libyaml (and so Yams) does for YAML files.
  package func movedRight(by offset: Int) -> SourceLocation {
    SourceLocation(file: file, line: line, column: column.map { $0 + offset })
  }
}
