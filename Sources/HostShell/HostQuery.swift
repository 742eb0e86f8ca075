/// Something the controller learns from a host: the script that asks and the parser of what it
/// prints, in one value, so that neither can change without the other in sight (a listing whose
/// script and parser lived in two folders once reported good builds lost).
public struct HostQuery<Answer: Sendable>: Sendable {
  /// What is asked, in a few words (`listing runs`): for messages and `deploy -v`.
  public let purpose: String
  public let script: ShellScript
  private let parser: @Sendable (String) -> Answer

  public init(
    _ purpose: String, script: ShellScript, parse: @escaping @Sendable (String) -> Answer
  ) {
    self.purpose = purpose
    self.script = script
    self.parser = parse
  }

  /// The answer in what the script printed on stdout.
  public func answer(from output: String) -> Answer { parser(output) }
}
