import DeploySupport

/// A parsed Jinja2 expression. Parsing happens once per template; evaluating walks this tree for
/// each host's variables.
indirect enum ExpressionNode: Sendable {
  case literal(VarValue)
  case variable(String)
  case list([ExpressionNode])
  case dict([DictEntry])
  case attribute(ExpressionNode, String)
  case index(ExpressionNode, ExpressionNode)
  case unary(String, ExpressionNode)
  case binary(String, ExpressionNode, ExpressionNode)
  /// `value is [not] name(arguments)`.
  case test(ExpressionNode, name: String, arguments: [Argument], negated: Bool)
  case filter(ExpressionNode, name: String, arguments: [Argument])
  /// A method call such as `map.items()`: `callee` is the `.attribute` being called.
  case call(ExpressionNode, [Argument])
  /// `then if condition else otherwise`; without `else` the value is empty when false.
  case conditional(then: ExpressionNode, condition: ExpressionNode, otherwise: ExpressionNode?)
}

/// A positional (`name` nil) or keyword argument of a filter, test or call.
struct Argument: Sendable {
  var name: String?
  var value: ExpressionNode
}

/// One `key: value` of a dict literal.
struct DictEntry: Sendable {
  var key: ExpressionNode
  var value: ExpressionNode
}

/// A problem found while parsing or rendering, at a scalar offset into the template text; the
/// template turns the offset into `file:line:column`.
struct TemplateFailure: Error, Sendable {
  var offset: Int
  var message: String
}
