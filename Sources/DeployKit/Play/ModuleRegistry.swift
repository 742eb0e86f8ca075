/// The modules `deploy play` runs, by short name.
enum ModuleRegistry {
  static let all: [any PlayModule.Type] = [
    CommandModule.self, ShellModule.self, DebugModule.self, SetFactModule.self,
    AssertModule.self, FailModule.self, PauseModule.self, CopyModule.self,
    TemplateModule.self, FileModule.self, LineInFileModule.self, BlockInFileModule.self,
    StatModule.self,
  ]

  private static let byName: [String: any PlayModule.Type] = Dictionary(
    uniqueKeysWithValues: all.map { ($0.name, $0) })

  static func module(named name: String) -> (any PlayModule.Type)? { byName[name] }
}
