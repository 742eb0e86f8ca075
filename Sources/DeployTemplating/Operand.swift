import DeploySupport

/// What evaluating an expression gives: a value, or Ansible's undefined (a missing variable,
/// key or attribute), which only `is defined`, `default` and friends may look at without
/// failing. The text is the error to report if it is used anyway (`'x' is undefined`).
enum Operand: Sendable {
  case value(VarValue)
  case undefined(String)
}
