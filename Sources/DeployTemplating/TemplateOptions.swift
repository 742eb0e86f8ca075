/// How a template treats whitespace and `None`. The defaults are Ansible's (its `template`
/// module and its templating of playbook strings), not plain Jinja2's.
public struct TemplateOptions: Sendable, Hashable {
  /// Drop the first newline after a `{% %}` tag (Ansible's `trim_blocks: true`).
  public var trimBlocks: Bool
  /// Drop spaces and tabs before a `{% %}` tag at the start of a line (`lstrip_blocks`).
  public var lstripBlocks: Bool
  /// Keep the text's final newline (Jinja2 drops it; Ansible puts it back).
  public var keepTrailingNewline: Bool
  /// `{{ none }}` writes nothing, as Ansible's finalize hook does; off, it writes `None`.
  public var noneAsEmpty: Bool

  public init(
    trimBlocks: Bool = true, lstripBlocks: Bool = false, keepTrailingNewline: Bool = true,
    noneAsEmpty: Bool = true
  ) {
    self.trimBlocks = trimBlocks
    self.lstripBlocks = lstripBlocks
    self.keepTrailingNewline = keepTrailingNewline
    self.noneAsEmpty = noneAsEmpty
  }

  /// Plain Jinja2's `Environment()` defaults, for comparing with Python.
  public static let jinja2 = TemplateOptions(
    trimBlocks: false, lstripBlocks: false, keepTrailingNewline: false, noneAsEmpty: false)
}
