import DeploySupport

/// A command line split into words as Ansible's `command` module splits it (`shlex.split`).
enum ShellWords {
  static func split(_ line: String) throws(ModuleFailure) -> [String] {
    do {
      return try ShlexSplitter.words(Array(line.unicodeScalars), comments: false).map(\.text)
    } catch {
      throw ModuleFailure("\(error.message) in: \(line)")
    }
  }
}
