/// The modules `deploy play` runs, by short name.
enum ModuleRegistry {
  static let all: [any PlayModule.Type] = [
    // Commands and control.
    CommandModule.self, ShellModule.self, DebugModule.self, SetFactModule.self,
    AssertModule.self, FailModule.self, PauseModule.self, WaitForModule.self,
    // Files.
    CopyModule.self, TemplateModule.self, FileModule.self, LineInFileModule.self,
    BlockInFileModule.self, StatModule.self, GetUrlModule.self, UnarchiveModule.self,
    // The system.
    AptModule.self, PackageModule.self, UserModule.self, GroupModule.self,
    AuthorizedKeyModule.self, ServiceModule.self, SystemdModule.self, GitModule.self,
  ]

  private static let byName: [String: any PlayModule.Type] = Dictionary(
    uniqueKeysWithValues: all.map { ($0.name, $0) })

  static func module(named name: String) -> (any PlayModule.Type)? { byName[name] }
}
