import DeploySupport
import DeployTemplating
import Foundation

/// `template`: renders a controller template (looked up in `templates/`) with the host's
/// variables, then installs the text as `copy` installs content.
enum TemplateModule: PlayModule {
  static let name = "template"
  static let arguments: Set<String>? = [
    "src", "dest", "owner", "group", "mode", "backup", "force", "validate", "follow",
    "trim_blocks", "lstrip_blocks",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let src = try args.required("src")
    let dest = try args.required("dest")
    let file = try context.controllerFile(src, kind: "templates")
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ModuleFailure("could not read template \(file) on the controller")
    }
    var options = TemplateOptions()
    options.trimBlocks = try args.bool("trim_blocks", default: options.trimBlocks)
    options.lstripBlocks = try args.bool("lstrip_blocks", default: options.lstripBlocks)
    // Ansible's extra variables for templates (`template_host` is the controller, where the
    // template is rendered).
    var vars = context.vars
    vars["template_path"] = .string(file)
    vars["template_fullpath"] = .string(file)
    vars["template_destpath"] = .string(dest)
    vars["template_host"] = .string(ProcessInfo.processInfo.hostName)
    if vars["ansible_managed"] == nil { vars["ansible_managed"] = .string("Ansible managed") }
    let rendered: String
    do {
      let template = try Template(
        String(decoding: data, as: UTF8.self),
        location: SourceLocation(file: file, line: 1, column: 1),
        options: options)
      rendered = try template.render(vars)
    } catch {
      throw ModuleFailure("\(error)")
    }
    return try CopyModule.install(
      Array(rendered.utf8), at: dest, sourceName: (file as NSString).lastPathComponent,
      args: args, context: context, extraValues: ["src": .string(src)])
  }
}
