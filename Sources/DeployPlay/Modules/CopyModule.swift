import DeploySupport
import Foundation

/// `copy`: puts a controller file (`src`, looked up in the role's and playbook's `files/`) or
/// literal `content` at `dest` on the host. The content is compared by SHA-1 first, so an
/// unchanged file costs one round trip and is not rewritten.
enum CopyModule: PlayModule {
  static let name = "copy"
  static let arguments: Set<String>? = [
    "src", "content", "dest", "owner", "group", "mode", "backup", "force", "validate", "follow",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    var dest = try args.required("dest")
    let src = try args.string("src")
    let content = try args.string("content")
    if src != nil && content != nil {
      throw ModuleFailure("src and content are mutually exclusive")
    }
    let bytes: [UInt8]
    var sourceName: String?
    if let src {
      let file = try context.controllerFile(src, kind: "files")
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory),
        isDirectory.boolValue
      {
        return try copyFolder(file, named: src, to: dest, args: args, context: context)
      }
      guard let data = FileManager.default.contents(atPath: file) else {
        throw ModuleFailure("could not read \(file) on the controller")
      }
      bytes = [UInt8](data)
      sourceName = (file as NSString).lastPathComponent
    } else if let content {
      if dest.hasSuffix("/") { throw ModuleFailure("can not use content with a dir as dest") }
      bytes = Array(content.utf8)
    } else {
      throw ModuleFailure("src (or content) is required")
    }
    // `dest: /etc/app/` names a folder to copy into, created if need be.
    var makeParents = false
    if dest.hasSuffix("/"), let sourceName {
      dest += sourceName
      makeParents = true
    }
    return try install(
      bytes, at: dest, sourceName: sourceName, args: args, context: context,
      makeParents: makeParents, extraValues: src.map { ["src": .string($0)] } ?? [:])
  }

  /// `src` naming a folder: its files, recursively, each installed as one file is. As with
  /// rsync, `src: app/` copies what is in the folder, `src: app` the folder itself, into
  /// `dest`. Folders are created as needed with the umask's mode (`directory_mode` is not
  /// supported); owner, group and mode apply to the files.
  static func copyFolder(
    _ folder: String, named src: String, to dest: String, args: ModuleArgs,
    context: ModuleContext
  ) throws -> ModuleResult {
    if args.values["validate"] != nil {
      throw ModuleFailure("validate is not supported when src is a folder")
    }
    var root = dest.hasSuffix("/") ? String(dest.dropLast()) : dest
    if !src.hasSuffix("/") { root += "/" + (folder as NSString).lastPathComponent }
    let manager = FileManager.default
    var files: [String] = []
    for name in try manager.subpathsOfDirectory(atPath: folder).sorted() {
      var isDirectory: ObjCBool = false
      if manager.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files.append(name)
      }
    }
    var changed = false
    var diffs: [FileDiff] = []
    for name in files {
      guard let data = manager.contents(atPath: folder + "/" + name) else {
        throw ModuleFailure("could not read \(folder)/\(name) on the controller")
      }
      let result = try install(
        [UInt8](data), at: root + "/" + name, sourceName: (name as NSString).lastPathComponent,
        args: args, context: context, makeParents: true)
      changed = changed || result.changed
      diffs += result.diffs
    }
    return ModuleResult(
      changed: changed, diffs: diffs,
      values: ["dest": .string(root), "src": .string(src), "files": .int(files.count)])
  }

  /// Shared by `copy` and `template`: makes `dest` hold `bytes` with the task's owner, group
  /// and mode, honouring `force`, `backup`, `validate` and `follow`.
  static func install(
    _ bytes: [UInt8], at requestedDest: String, sourceName: String?, args: ModuleArgs,
    context: ModuleContext, makeParents: Bool = false, extraValues: [String: VarValue] = [:]
  ) throws -> ModuleResult {
    let attributes = try RemoteFile.Attributes.from(args)
    let force = try args.bool("force", default: true)
    let follow = try args.bool("follow", default: false)
    var dest = requestedDest
    let options = RemoteFile.ProbeOptions(follow: true, content: context.diffMode, sha1: true)
    var current = try RemoteFile.probe(dest, options, in: context)
    if current.kind == .directory {
      // Like `cp`, copying onto a folder copies into it.
      guard let sourceName else {
        throw ModuleFailure("can not use content with a dir as dest")
      }
      dest = (dest.hasSuffix("/") ? dest : dest + "/") + sourceName
      current = try RemoteFile.probe(dest, options, in: context)
      if current.kind == .directory {
        throw ModuleFailure("path \(dest) is a directory")
      }
    }
    let checksum = RemoteFile.sha1Hex(bytes)
    var values = extraValues
    values["dest"] = .string(dest)
    values["checksum"] = .string(checksum)
    if current.exists && !force {
      values["msg"] = .string("file already exists")
      return ModuleResult(changed: false, values: values)
    }
    let contentChanged = !current.exists || current.sha1 != checksum
    let outcome = try RemoteFile.ensure(
      RemoteFile.Write(
        path: dest, content: bytes, attributes: attributes, current: current,
        validate: try args.string("validate"), backup: try args.bool("backup", default: false),
        followLinks: follow, makeParents: makeParents),
      contentChanged: contentChanged, in: context)

    values.merge(RemoteFile.values(outcome.state, pathKey: "dest", path: dest)) { old, _ in old }
    values["size"] = .int(bytes.count)
    if let backup = outcome.backupFile { values["backup_file"] = .string(backup) }
    var diffs: [FileDiff] = []
    if context.diffMode && contentChanged {
      diffs.append(
        FileDiff(
          path: dest, before: RemoteFile.diffText(current.content ?? []),
          after: RemoteFile.diffText(bytes)))
    }
    return ModuleResult(changed: outcome.changed, diffs: diffs, values: values)
  }
}
