import HostShell

/// Environment variables a build runs with (`build.env:`), in the order they were written, so
/// that the generated command lines and the run's records are stable from one run to the next.
/// ECHR-OD actions read settings such as `MAX_DOCUMENTS` from here through `$NAME` arguments.
public struct BuildEnvironment: Sendable, Hashable {
  public struct Variable: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
      self.name = name
      self.value = value
    }
  }

  public var variables: [Variable]

  public init(_ variables: [Variable] = []) {
    self.variables = variables
  }

  public var isEmpty: Bool { variables.isEmpty }

  public subscript(name: String) -> String? {
    variables.first { $0.name == name }?.value
  }

  /// Whether `name` can be a shell variable: `^[A-Za-z_][A-Za-z0-9_]*$`.
  public static func isValidName(_ name: String) -> Bool {
    ShellVariableName(name) != nil
  }

}
