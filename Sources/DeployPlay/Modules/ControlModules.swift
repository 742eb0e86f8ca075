import DeploySupport
import DeployTemplating
import Foundation

/// `debug`: shows a message or a variable; never changes anything.
enum DebugModule: PlayModule {
  static let name = "debug"
  static let arguments: Set<String>? = ["msg", "var", "verbosity"]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    if let variable = try args.string("var") {
      // Like Ansible, an undefined variable is shown as such rather than failing the task.
      guard let value = try? Expression.evaluate(variable, vars: context.vars) else {
        return ModuleResult(
          changed: false, message: "\(variable): VARIABLE IS NOT DEFINED!",
          values: [variable: .string("VARIABLE IS NOT DEFINED!")])
      }
      return ModuleResult(
        changed: false, message: "\(variable): \(value.displayText)",
        values: [variable: value])
    }
    let message = args.values["msg"] ?? .string("Hello world!")
    return ModuleResult(
      changed: false, message: message.displayText, values: ["msg": message])
  }
}

/// `set_fact`: host variables for the rest of the run (they outlive the play, as in Ansible).
enum SetFactModule: PlayModule {
  static let name = "set_fact"
  /// Any name: each argument is a variable to set.
  static let arguments: Set<String>? = nil

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    var facts = args.values
    facts["cacheable"] = nil
    guard !facts.isEmpty else { throw ModuleFailure("set_fact needs at least one variable") }
    return ModuleResult(changed: false, values: ["ansible_facts": .map(facts)])
  }
}

/// `assert`: fails the host unless every condition in `that` holds.
enum AssertModule: PlayModule {
  static let name = "assert"
  static let arguments: Set<String>? = ["that", "msg", "fail_msg", "success_msg", "quiet"]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    guard let that = args.values["that"] else {
      throw ModuleFailure("missing required arguments: that")
    }
    let conditions: [VarValue]
    if case .list(let items) = that { conditions = items } else { conditions = [that] }
    for condition in conditions {
      let holds: Bool
      switch condition {
      case .bool(let value): holds = value
      default:
        guard let text = condition.stringValue else {
          throw ModuleFailure("assert: each condition in 'that' must be an expression")
        }
        holds = try PlayTemplating.condition(.string(text), vars: context.vars, location: nil)
      }
      if !holds {
        let message =
          try args.string("fail_msg", "msg") ?? "Assertion failed: \(condition.displayText)"
        throw ModuleFailure(message, values: ["assertion": condition])
      }
    }
    return ModuleResult(
      changed: false, message: try args.string("success_msg") ?? "All assertions passed")
  }
}

/// `fail`: fails the host with a message (usually under `when:`).
enum FailModule: PlayModule {
  static let name = "fail"
  static let arguments: Set<String>? = ["msg"]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    throw ModuleFailure(try args.string("msg") ?? "Failed as requested from task")
  }
}

/// `pause` for a number of seconds or minutes. Prompts are refused: `deploy play` runs
/// unattended (in CI there is nobody to answer).
enum PauseModule: PlayModule {
  static let name = "pause"
  static let arguments: Set<String>? = ["seconds", "minutes", "prompt", "echo"]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    if args.values["prompt"] != nil {
      throw ModuleFailure("pause with a prompt is not supported: deploy play runs unattended")
    }
    let seconds = try args.double("seconds") ?? (try args.double("minutes")).map { $0 * 60 }
    guard let seconds, seconds >= 0 else {
      throw ModuleFailure("pause needs 'seconds' or 'minutes' (a prompt is not supported)")
    }
    if !context.checkMode { Thread.sleep(forTimeInterval: seconds) }
    return ModuleResult(
      changed: false, message: "Paused for \(seconds) seconds",
      values: ["delta": .double(seconds)])
  }
}

extension VarValue {
  /// The value as Ansible's output shows it: strings bare, everything else as JSON.
  var displayText: String {
    if case .string(let text) = self { return text }
    return jsonValue.serialized
  }

  var jsonValue: JSONValue {
    switch self {
    case .string(let text): return .string(text)
    case .int(let number): return .number(Double(number))
    case .double(let number): return .number(number)
    case .bool(let flag): return .bool(flag)
    case .null: return .null
    case .list(let items): return .array(items.map(\.jsonValue))
    case .map(let map): return .object(map.mapValues(\.jsonValue))
    }
  }
}
