import DeploySupport

/// A Jinja2 template as Ansible playbooks use them: parsed once, so that a syntax error or an
/// unknown filter is reported (with `file:line:column`) before any host is touched, then
/// rendered once per host with that host's variables.
public struct Template: Sendable {
  private let nodes: [TemplateNode]
  private let locator: TemplateLocator
  private let options: TemplateOptions
  /// The filters the template uses (short names: `ansible.builtin.to_json` is `to_json`).
  public let usedFilters: Set<String>
  /// The variables the template reads, apart from loop variables and its own `set`s.
  public let usedVariables: Set<String>

  /// Parses `text`. `location` is where the text starts in the file it came from (the column
  /// of a YAML value's first character, say), so that errors point into that file.
  public init(
    _ text: String, location: SourceLocation? = nil, options: TemplateOptions = TemplateOptions()
  ) throws(DeployError) {
    let scalars = Array(text.unicodeScalars)
    locator = TemplateLocator(scalars: scalars, base: location)
    self.options = options
    var parser = TemplateParser(scalars: scalars, options: options)
    do {
      nodes = try parser.parse()
    } catch {
      throw .configuration(locator.location(of: error.offset), error.message)
    }
    usedFilters = parser.filters
    usedVariables = parser.variables
  }

  /// The text for one set of variables. Reading an undefined variable is an error naming it
  /// and the tag that read it (Ansible's templating is strict about undefined values).
  public func render(_ vars: [String: VarValue]) throws(DeployError) -> String {
    var renderer = TemplateRenderer(options: options)
    var scope = vars
    do {
      try renderer.render(nodes, vars: &scope)
    } catch {
      throw .configuration(locator.location(of: error.offset), error.message)
    }
    return renderer.output
  }
}
