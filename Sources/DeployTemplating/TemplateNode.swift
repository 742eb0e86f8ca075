/// A parsed piece of a template. Offsets are of the tag's opening brace, for errors raised
/// while rendering.
enum TemplateNode: Sendable {
  case text(String)
  case output(ExpressionNode, offset: Int)
  case conditional([ConditionalBranch], otherwise: [TemplateNode]?)
  case loop(TemplateLoop)
  case assignment(name: String, value: ExpressionNode, offset: Int)
}

/// One `{% if %}` or `{% elif %}` and the nodes it guards.
struct ConditionalBranch: Sendable {
  var condition: ExpressionNode
  var body: [TemplateNode]
  var offset: Int
}

/// `{% for targets in iterable [if filter] %}body{% else %}otherwise{% endfor %}`.
struct TemplateLoop: Sendable {
  var targets: [String]
  var iterable: ExpressionNode
  var filter: ExpressionNode?
  var body: [TemplateNode]
  var otherwise: [TemplateNode]?
  var offset: Int
}
