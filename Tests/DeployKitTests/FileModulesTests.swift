import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployConfig
@testable import DeployInventory
@testable import DeployPlay
@testable import DeploySSH
@testable import DeploySupport
@testable import DeployTemplating

/// A folder on this machine standing in for a host: the modules run their scripts here with
/// the real /bin/sh. Its name has a space, a quote and a `$(touch PWNED)`, so anything the
/// modules leave unquoted shows up as a failure (or a PWNED file).
private struct FileBox {
  let root: String

  init() throws {
    root = try TemporaryDirectory.make() + "/host's files $(touch PWNED)"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  }

  func remove() {
    try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
  }

  func path(_ name: String) -> String { root + "/" + name }

  func write(_ name: String, _ text: String, mode: Int = 0o644) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path(name))
  }

  func read(_ name: String) -> String? {
    FileManager.default.contents(atPath: path(name)).map { String(decoding: $0, as: UTF8.self) }
  }

  func attributes(_ name: String) throws -> (mode: Int, owner: String, group: String) {
    let attributes = try FileManager.default.attributesOfItem(atPath: path(name))
    return (
      (attributes[.posixPermissions] as? Int) ?? -1,
      (attributes[.ownerAccountName] as? String) ?? "",
      (attributes[.groupOwnerAccountName] as? String) ?? ""
    )
  }

  /// Everything under the root: kind, mode, owner, content or link target, to compare a tree
  /// before and after a check-mode run.
  func snapshot() throws -> [String: String] {
    var result: [String: String] = [:]
    let manager = FileManager.default
    for name in try manager.subpathsOfDirectory(atPath: root) {
      let full = path(name)
      let attributes = try manager.attributesOfItem(atPath: full)
      var entry = "\(attributes[.type] ?? "") \(attributes[.posixPermissions] ?? "")"
      entry += " \(attributes[.ownerAccountName] ?? ""):\(attributes[.groupOwnerAccountName] ?? "")"
      if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
        entry += " -> " + ((try? manager.destinationOfSymbolicLink(atPath: full)) ?? "")
      } else if let data = manager.contents(atPath: full) {
        entry += " " + data.base64EncodedString()
      }
      result[name] = entry
    }
    return result
  }

  /// Nothing the modules ran may have executed the `$(touch PWNED)` in the paths.
  var pwned: Bool {
    FileManager.default.fileExists(atPath: "PWNED")
      || FileManager.default.fileExists(atPath: root + "/PWNED")
      || FileManager.default.fileExists(
        atPath: (root as NSString).deletingLastPathComponent + "/PWNED")
  }
}

private func context(
  check: Bool = false, diff: Bool = false, vars: [String: VarValue] = [:], search: [String] = []
)
  -> ModuleContext
{
  ModuleContext(
    host: "local", runner: LocalRunner(), checkMode: check, diffMode: diff, vars: vars,
    searchFolders: search)
}

/// Arguments written as a playbook would: strings, booleans and integers.
private func arguments(_ module: String, _ pairs: KeyValuePairs<String, Any>) -> ModuleArgs {
  var values: [String: VarValue] = [:]
  for (key, value) in pairs {
    switch value {
    case let text as String: values[key] = .string(text)
    case let flag as Bool: values[key] = .bool(flag)
    case let number as Int: values[key] = .int(number)
    default: Issue.record("unsupported argument value \(value)")
    }
  }
  return ModuleArgs(module: module, values: values)
}

private func run<Module: PlayModule>(
  _ module: Module.Type, _ pairs: KeyValuePairs<String, Any>, check: Bool = false,
  diff: Bool = false,
  vars: [String: VarValue] = [:], search: [String] = []
) throws -> ModuleResult {
  try module.run(
    arguments(module.name, pairs), context(check: check, diff: diff, vars: vars, search: search))
}

private func sha1(_ text: String) throws -> String {
  let result = try ChildProcess.capture(["sha1sum"], stdin: Array(text.utf8))
  return String(result.stdout.prefix(40))
}

/// Every module here runs against a real folder with the real /bin/sh (`LocalRunner`).
@Suite struct FileModulesTests {}

extension FileModulesTests {
  @Suite struct Copy {
    @Test func copiesContentThenReportsOK() throws {
      let box = try FileBox()
      defer { box.remove() }
      let dest = box.path("app 'conf' -x.txt")
      let first = try run(
        CopyModule.self, ["dest": dest, "content": "hello\nworld\n", "mode": "0640"])
      #expect(first.changed)
      #expect(box.read("app 'conf' -x.txt") == "hello\nworld\n")
      #expect(try box.attributes("app 'conf' -x.txt").mode == 0o640)
      #expect(first.values["checksum"] == .string(try sha1("hello\nworld\n")))
      #expect(first.values["mode"] == .string("0640"))
      #expect(first.values["size"] == .int(12))
      #expect(first.values["dest"] == .string(dest))
      let second = try run(
        CopyModule.self, ["dest": dest, "content": "hello\nworld\n", "mode": "0640"])
      #expect(!second.changed)
      #expect(!box.pwned)
      // No temporary file is left beside the destination.
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: box.root) == ["app 'conf' -x.txt"])
    }

    @Test func checkModeReportsButChangesNothing() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("a.conf", "old\n", mode: 0o600)
      let before = try box.snapshot()
      let result = try run(
        CopyModule.self,
        ["dest": box.path("a.conf"), "content": "new\n", "mode": "0644", "owner": "nobody"],
        check: true, diff: true)
      #expect(result.changed)
      #expect(result.diffs == [FileDiff(path: box.path("a.conf"), before: "old\n", after: "new\n")])
      #expect(try box.snapshot() == before)
      // A new file in check mode: nothing created.
      let created = try run(
        CopyModule.self, ["dest": box.path("new.conf"), "content": "x"], check: true)
      #expect(created.changed)
      #expect(try box.snapshot() == before)
    }

    @Test func ownerGroupAndModeChangeWithoutContentChange() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("a.conf", "same\n", mode: 0o600)
      let args: KeyValuePairs<String, Any> = [
        "dest": box.path("a.conf"), "content": "same\n", "owner": "nobody", "group": "nogroup",
        "mode": "0644",
      ]
      let checked = try run(CopyModule.self, args, check: true)
      #expect(checked.changed)
      #expect(try box.attributes("a.conf").mode == 0o600)
      let first = try run(CopyModule.self, args)
      #expect(first.changed)
      let attributes = try box.attributes("a.conf")
      #expect(attributes.mode == 0o644)
      #expect(attributes.owner == "nobody")
      #expect(attributes.group == "nogroup")
      #expect(first.values["owner"] == .string("nobody"))
      #expect(!(try run(CopyModule.self, args)).changed)
    }

    @Test func replacingKeepsTheExistingModeAndOwner() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("a.conf", "old\n", mode: 0o604)
      _ = try ChildProcess.capture(["chown", "nobody:nogroup", box.path("a.conf")])
      #expect(try run(CopyModule.self, ["dest": box.path("a.conf"), "content": "new\n"]).changed)
      let attributes = try box.attributes("a.conf")
      #expect(attributes.mode == 0o604)
      #expect(attributes.owner == "nobody")
      #expect(box.read("a.conf") == "new\n")
    }

    @Test func failedValidationLeavesTheDestinationAlone() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("sudoers", "old\n")
      #expect {
        try run(
          CopyModule.self,
          ["dest": box.path("sudoers"), "content": "bad\n", "validate": "grep -q good %s"])
      } throws: { error in
        (error as? ModuleFailure)?.message.hasPrefix("failed to validate") == true
      }
      #expect(box.read("sudoers") == "old\n")
      #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["sudoers"])
      let good = try run(
        CopyModule.self,
        ["dest": box.path("sudoers"), "content": "good\n", "validate": "grep -q good %s"])
      #expect(good.changed)
      #expect(box.read("sudoers") == "good\n")
      #expect(throws: ModuleFailure.self) {
        try run(CopyModule.self, ["dest": box.path("sudoers"), "content": "x", "validate": "true"])
      }
    }

    @Test func backupKeepsTheOldContent() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("a.conf", "old\n")
      let result = try run(
        CopyModule.self, ["dest": box.path("a.conf"), "content": "new\n", "backup": true])
      guard case .string(let backup)? = result.values["backup_file"] else {
        Issue.record("no backup_file in \(result.values)")
        return
      }
      #expect(backup.hasPrefix(box.path("a.conf.")) && backup.hasSuffix("~"))
      #expect(FileManager.default.contents(atPath: backup) == Data("old\n".utf8))
    }

    @Test func copiesControllerFilesIntoFolders() throws {
      let box = try FileBox()
      defer { box.remove() }
      let playbook = box.path("playbook")
      try FileManager.default.createDirectory(
        atPath: playbook + "/files", withIntermediateDirectories: true)
      try Data("from files/\n".utf8).write(to: URL(fileURLWithPath: playbook + "/files/motd"))
      try FileManager.default.createDirectory(
        atPath: box.path("etc"), withIntermediateDirectories: true)
      let intoFolder = try run(
        CopyModule.self, ["src": "motd", "dest": box.path("etc")], search: [playbook])
      #expect(intoFolder.changed)
      #expect(box.read("etc/motd") == "from files/\n")
      #expect(intoFolder.values["dest"] == .string(box.path("etc") + "/motd"))
      let slash = try run(
        CopyModule.self, ["src": "motd", "dest": box.path("new dir/")], search: [playbook])
      #expect(slash.changed)
      #expect(box.read("new dir/motd") == "from files/\n")
      #expect(throws: ModuleFailure.self) {
        try run(CopyModule.self, ["src": "missing", "dest": box.path("x")], search: [playbook])
      }
    }

    @Test func binaryContentSurvives() throws {
      let box = try FileBox()
      defer { box.remove() }
      let bytes: [UInt8] = [0, 1, 2, 0xFF, 0xFE, 10, 13, 10, 0x80]
      let playbook = box.path("playbook")
      try FileManager.default.createDirectory(
        atPath: playbook, withIntermediateDirectories: true)
      try Data(bytes).write(to: URL(fileURLWithPath: playbook + "/blob"))
      let args: KeyValuePairs<String, Any> = ["src": "blob", "dest": box.path("blob copy")]
      #expect(try run(CopyModule.self, args, search: [playbook]).changed)
      #expect(FileManager.default.contents(atPath: box.path("blob copy")) == Data(bytes))
      #expect(!(try run(CopyModule.self, args, diff: true, search: [playbook])).changed)
    }

    @Test func replacesADanglingLinkWithAFile() throws {
      let box = try FileBox()
      defer { box.remove() }
      try FileManager.default.createSymbolicLink(
        atPath: box.path("dangling"), withDestinationPath: "nowhere")
      let result = try run(CopyModule.self, ["dest": box.path("dangling"), "content": "x\n"])
      #expect(result.changed)
      #expect(box.read("dangling") == "x\n")
      // The new file gets the umask's mode, not the link's 0777.
      #expect(try box.attributes("dangling").mode & 0o022 == 0)
      #expect(result.values["mode"] != .string("0777"))
    }

    @Test func integerModeFromYAML() throws {
      let box = try FileBox()
      defer { box.remove() }
      // `mode: 0644` unquoted reaches the module as the integer 420.
      _ = try run(CopyModule.self, ["dest": box.path("f"), "content": "x", "mode": 420])
      #expect(try box.attributes("f").mode == 0o644)
    }

    @Test func copiesFoldersRecursively() throws {
      let box = try FileBox()
      defer { box.remove() }
      let playbook = box.path("playbook")
      try FileManager.default.createDirectory(
        atPath: playbook + "/files/site/css dir", withIntermediateDirectories: true)
      try Data("<h1>\n".utf8).write(to: URL(fileURLWithPath: playbook + "/files/site/index.html"))
      try Data("b{}\n".utf8).write(
        to: URL(fileURLWithPath: playbook + "/files/site/css dir/a.css"))
      let itself: KeyValuePairs<String, Any> = [
        "src": "site", "dest": box.path("www"), "mode": "0600",
      ]
      let before = try box.snapshot()
      #expect(try run(CopyModule.self, itself, check: true, search: [playbook]).changed)
      #expect(try box.snapshot() == before)
      #expect(try run(CopyModule.self, itself, search: [playbook]).changed)
      #expect(box.read("www/site/index.html") == "<h1>\n")
      #expect(box.read("www/site/css dir/a.css") == "b{}\n")
      #expect(try box.attributes("www/site/css dir/a.css").mode == 0o600)
      #expect(!(try run(CopyModule.self, itself, search: [playbook])).changed)
      // A trailing slash copies what the folder holds.
      #expect(
        try run(CopyModule.self, ["src": "site/", "dest": box.path("flat")], search: [playbook])
          .changed)
      #expect(box.read("flat/index.html") == "<h1>\n")
    }

    @Test func forceFalseLeavesAnExistingFile() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("a.conf", "mine\n")
      let result = try run(
        CopyModule.self, ["dest": box.path("a.conf"), "content": "theirs\n", "force": false])
      #expect(!result.changed)
      #expect(box.read("a.conf") == "mine\n")
    }

    @Test func rejectsUnknownArguments() throws {
      #expect(throws: ModuleFailure.self) {
        try run(CopyModule.self, ["dest": "/nonexistent", "content": "x", "mdoe": "0644"])
      }
    }
  }
}

extension FileModulesTests {
  @Suite struct Template {
    @Test func rendersWithTheHostsVariables() throws {
      let box = try FileBox()
      defer { box.remove() }
      let playbook = box.path("playbook")
      try FileManager.default.createDirectory(
        atPath: playbook + "/templates", withIntermediateDirectories: true)
      try Data("port={{ port }}\n{% for u in users %}\nuser={{ u }}\n{% endfor %}\n".utf8)
        .write(to: URL(fileURLWithPath: playbook + "/templates/app.conf.j2"))
      let vars: [String: VarValue] = [
        "port": .int(8080), "users": .list([.string("a"), .string("b")]),
      ]
      let args: KeyValuePairs<String, Any> = [
        "src": "app.conf.j2", "dest": box.path("app.conf"), "mode": "0600",
      ]
      let checked = try run(
        TemplateModule.self, args, check: true, diff: true, vars: vars, search: [playbook])
      #expect(checked.changed)
      #expect(checked.diffs.first?.after == "port=8080\nuser=a\nuser=b\n")
      #expect(box.read("app.conf") == nil)
      #expect(try run(TemplateModule.self, args, vars: vars, search: [playbook]).changed)
      #expect(box.read("app.conf") == "port=8080\nuser=a\nuser=b\n")
      #expect(try box.attributes("app.conf").mode == 0o600)
      #expect(!(try run(TemplateModule.self, args, vars: vars, search: [playbook])).changed)
      let changed = try run(
        TemplateModule.self, args, diff: true, vars: ["port": .int(9090), "users": .list([])],
        search: [playbook])
      #expect(changed.changed)
      #expect(changed.diffs.first?.before == "port=8080\nuser=a\nuser=b\n")
      #expect(box.read("app.conf") == "port=9090\n")
      #expect(throws: ModuleFailure.self) {
        try run(TemplateModule.self, args, vars: [:], search: [playbook])
      }
    }
  }
}

extension FileModulesTests {
  @Suite struct File {
    /// Hosts that share a disk (the demo's) create the same parents at once: one of them
    /// finding a folder made a moment ago is not a failure.
    @Test func concurrentRunsCreatingTheSameParentsAllSucceed() throws {
      let box = try FileBox()
      defer { box.remove() }
      let failures = Failures()
      DispatchQueue.concurrentPerform(iterations: 8) { index in
        do {
          _ = try run(
            FileModule.self,
            ["path": box.path("shared/parent/host\(index)"), "state": "directory"])
        } catch {
          failures.add("\(error)")
        }
      }
      #expect(failures.all.isEmpty, "\(failures.all)")
    }

    final class Failures: @unchecked Sendable {
      private let lock = NSLock()
      private var items: [String] = []
      func add(_ item: String) { lock.withLock { items.append(item) } }
      var all: [String] { lock.withLock { items } }
    }

    @Test func createsDirectoriesWithParents() throws {
      let box = try FileBox()
      defer { box.remove() }
      let args: KeyValuePairs<String, Any> = [
        "path": box.path("a b/-c/d"), "state": "directory", "mode": "0750", "owner": "nobody",
      ]
      let before = try box.snapshot()
      let checked = try run(FileModule.self, args, check: true, diff: true)
      #expect(checked.changed)
      #expect(
        checked.diffs == [
          FileDiff(
            path: box.path("a b/-c/d"), before: "state: absent\n", after: "state: directory\n")
        ])
      #expect(try box.snapshot() == before)
      let first = try run(FileModule.self, args)
      #expect(first.changed)
      #expect(first.values["state"] == .string("directory"))
      for folder in ["a b", "a b/-c", "a b/-c/d"] {
        #expect(try box.attributes(folder).mode == 0o750)
        #expect(try box.attributes(folder).owner == "nobody")
      }
      #expect(!(try run(FileModule.self, args)).changed)
      try box.write("a file", "x")
      #expect {
        try run(FileModule.self, ["path": box.path("a file"), "state": "directory"])
      } throws: { error in
        (error as? ModuleFailure)?.message == "\(box.path("a file")) already exists as a file"
      }
      #expect(!box.pwned)
    }

    @Test func recurseSetsOwnerBelow() throws {
      let box = try FileBox()
      defer { box.remove() }
      try FileManager.default.createDirectory(
        atPath: box.path("d/e"), withIntermediateDirectories: true)
      try box.write("d/e/f", "x")
      let args: KeyValuePairs<String, Any> = [
        "path": box.path("d"), "state": "directory", "owner": "nobody", "recurse": true,
      ]
      #expect(try run(FileModule.self, args, check: true).changed)
      #expect(try box.attributes("d/e/f").owner == "root")
      #expect(try run(FileModule.self, args).changed)
      #expect(try box.attributes("d/e/f").owner == "nobody")
      #expect(!(try run(FileModule.self, args)).changed)
    }

    @Test func fileStateNeedsAnExistingFile() throws {
      let box = try FileBox()
      defer { box.remove() }
      #expect {
        try run(FileModule.self, ["path": box.path("missing"), "state": "file"])
      } throws: { error in
        (error as? ModuleFailure)?.message
          == "file (\(box.path("missing"))) is absent, cannot continue"
      }
      try box.write("present", "x", mode: 0o600)
      let result = try run(FileModule.self, ["path": box.path("present"), "mode": "0644"])
      #expect(result.changed)
      #expect(result.values["state"] == .string("file"))
      #expect(try box.attributes("present").mode == 0o644)
      #expect(!(try run(FileModule.self, ["path": box.path("present"), "mode": "0644"])).changed)
    }

    @Test func fileStateOnAFolderFails() throws {
      let box = try FileBox()
      defer { box.remove() }
      #expect {
        try run(FileModule.self, ["path": box.root, "state": "file"])
      } throws: { error in
        (error as? ModuleFailure)?.message == "file (\(box.root)) is directory, cannot continue"
      }
    }

    @Test func absentRemovesOnce() throws {
      let box = try FileBox()
      defer { box.remove() }
      try FileManager.default.createDirectory(
        atPath: box.path("tree/sub"), withIntermediateDirectories: true)
      try box.write("tree/sub/f", "x")
      #expect(
        try run(FileModule.self, ["path": box.path("tree"), "state": "absent"], check: true).changed
      )
      #expect(box.read("tree/sub/f") == "x")
      #expect(try run(FileModule.self, ["path": box.path("tree"), "state": "absent"]).changed)
      #expect(!FileManager.default.fileExists(atPath: box.path("tree")))
      #expect(!(try run(FileModule.self, ["path": box.path("tree"), "state": "absent"])).changed)
    }

    @Test func linksAreCreatedAndRetargeted() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("target one", "1")
      try box.write("target two", "2")
      let link = box.path("the link")
      #expect(
        try run(FileModule.self, ["path": link, "src": "target one", "state": "link"]).changed)
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target one")
      #expect(
        !(try run(FileModule.self, ["path": link, "src": "target one", "state": "link"])).changed)
      #expect(
        try run(FileModule.self, ["path": link, "src": box.path("target two"), "state": "link"])
          .changed)
      #expect(box.read("the link") == "2")
      #expect {
        try run(
          FileModule.self, ["path": box.path("target one"), "src": "target two", "state": "link"])
      } throws: { error in
        (error as? ModuleFailure)?.message
          == "refusing to convert from file to symlink for \(box.path("target one"))"
      }
      #expect(throws: ModuleFailure.self) {
        try run(FileModule.self, ["path": box.path("dangling"), "src": "nowhere", "state": "link"])
      }
      #expect(
        try run(
          FileModule.self,
          ["path": box.path("dangling"), "src": "nowhere", "state": "link", "force": true]
        ).changed)
      let forced = try run(
        FileModule.self,
        ["path": box.path("target one"), "src": "target two", "state": "link", "force": true])
      #expect(forced.changed)
      #expect(box.read("target one") == "2")
    }

    @Test func touchCreatesAndAlwaysChanges() throws {
      let box = try FileBox()
      defer { box.remove() }
      #expect(
        try run(FileModule.self, ["path": box.path("t"), "state": "touch"], check: true).changed)
      #expect(box.read("t") == nil)
      #expect(
        try run(FileModule.self, ["path": box.path("t"), "state": "touch", "mode": "0600"]).changed)
      #expect(box.read("t") == "")
      #expect(try box.attributes("t").mode == 0o600)
      #expect(try run(FileModule.self, ["path": box.path("t"), "state": "touch"]).changed)
    }

    @Test func ancestorsOfPaths() {
      #expect(FileModule.ancestors(of: "/a/b/c") == ["/a", "/a/b", "/a/b/c"])
      #expect(FileModule.ancestors(of: "a//b/") == ["a", "a/b"])
    }
  }
}

extension FileModulesTests {
  @Suite struct LineEdits {
    private func present(
      _ text: String, line: String, regexp: String? = nil, after: String? = nil,
      before: String? = nil,
      backrefs: Bool = false, firstMatch: Bool = false
    ) throws -> (String, String) {
      let edit = try LineEdit(
        regexp: try regexp.map { (pattern) throws(ModuleFailure) in
          try LineRegex(pattern, argument: "regexp")
        },
        line: line, insertAfter: after ?? (before == nil ? "EOF" : nil), insertBefore: before,
        backrefs: backrefs,
        firstMatch: firstMatch)
      let (lines, message) = edit.present(TextLines.split(Array(text.utf8)))
      return (String(decoding: TextLines.join(lines), as: UTF8.self), message)
    }

    @Test func regexpReplacesTheLastMatch() throws {
      #expect(
        try present("a=1\nb=2\nb=3\n", line: "b=9", regexp: "^b=") == (
          "a=1\nb=2\nb=9\n", "line replaced"
        ))
      #expect(
        try present("a=1\nb=2\nb=3\n", line: "b=9", regexp: "^b=", firstMatch: true) == (
          "a=1\nb=9\nb=3\n", "line replaced"
        ))
      #expect(try present("a=1\nb=9\n", line: "b=9", regexp: "^b=") == ("a=1\nb=9\n", ""))
      // No match: added at the end, after a newline the file lacked.
      #expect(try present("a=1", line: "b=9", regexp: "^b=") == ("a=1\nb=9\n", "line added"))
      #expect(try present("", line: "x") == ("x\n", "line added"))
    }

    @Test func anExactLineAnywhereIsEnough() throws {
      #expect(try present("x\ny\nz\n", line: "x", after: "^z") == ("x\ny\nz\n", ""))
      #expect(try present("x\ny\n", line: "y") == ("x\ny\n", ""))
    }

    @Test func insertAfterAndBefore() throws {
      let text = "[main]\na=1\n[other]\nb=2\n"
      #expect(
        try present(text, line: "new=1", after: "^\\[main\\]") == (
          "[main]\nnew=1\na=1\n[other]\nb=2\n", "line added"
        ))
      #expect(
        try present(text, line: "new=1", before: "^\\[other\\]") == (
          "[main]\na=1\nnew=1\n[other]\nb=2\n", "line added"
        ))
      #expect(try present(text, line: "# top", before: "BOF") == ("# top\n" + text, "line added"))
      #expect(try present(text, line: "# top", after: "BOF") == ("# top\n" + text, "line added"))
      // An expression that matches nothing: the end of the file.
      #expect(try present(text, line: "z=1", after: "^nothing") == (text + "z=1\n", "line added"))
      // The last match is the insert point unless firstmatch.
      #expect(try present("k\nk\n", line: "v", after: "^k") == ("k\nk\nv\n", "line added"))
      #expect(
        try present("k\nk\n", line: "v", after: "^k", firstMatch: true) == (
          "k\nv\nk\n", "line added"
        )
      )
      // regexp wins over insertafter when it matches.
      #expect(
        try present("[main]\nport=1\n", line: "port=2", regexp: "^port=", after: "^\\[main\\]") == (
          "[main]\nport=2\n", "line replaced"
        ))
    }

    @Test func backrefs() throws {
      #expect(
        try present(
          "ListenAddress 0.0.0.0:22\n", line: "ListenAddress \\1:2222",
          regexp: "^ListenAddress (\\S+):\\d+$", backrefs: true)
          == ("ListenAddress 0.0.0.0:2222\n", "line replaced"))
      #expect(
        try present(
          "user=bob\n", line: "\\g<key>=alice", regexp: "^(?P<key>\\w+)=bob", backrefs: true)
          == ("alice=alice\n".replacing("alice=alice", with: "user=alice"), "line replaced"))
      // No match with backrefs: the file is left alone rather than getting a line with `\1` in it.
      #expect(
        try present("other\n", line: "x=\\1", regexp: "^y=(.*)", backrefs: true) == ("other\n", ""))
    }

    @Test func pythonEndOfStringIsTheVeryEnd() throws {
      // Python's `\Z` does not match before the line's own newline.
      #expect(try present("a=1\n", line: "a=2", regexp: "^a=1\\Z") == ("a=1\na=2\n", "line added"))
      #expect(try present("a=1\n", line: "a=2", regexp: "^a=1$") == ("a=2\n", "line replaced"))
    }

    @Test func absentRemovesEveryMatch() throws {
      let edit = try LineEdit(regexp: try LineRegex("^#", argument: "regexp"), line: "")
      let removed = edit.absent(TextLines.split(Array("#a\nb\n#c\n".utf8)))
      #expect(removed.lines == ["b\n"])
      #expect(removed.removed == 2)
      let exact = try LineEdit(line: "b").absent(["a\n", "b\n", "b", "bb\n"])
      #expect(exact.lines == ["a\n", "bb\n"])
    }

    @Test func linesKeepCarriageReturns() {
      #expect(TextLines.split(Array("a\r\nb".utf8)) == ["a\r\n", "b"])
      #expect(TextLines.stripped("a\r\n") == "a")
      #expect(TextLines.endsWithNewline("a\r\n"))
    }
  }
}

extension FileModulesTests {
  @Suite struct LineInFile {
    @Test func missingFileNeedsCreate() throws {
      let box = try FileBox()
      defer { box.remove() }
      let path = box.path("sub dir/$(touch PWNED) x.conf")
      #expect {
        try run(LineInFileModule.self, ["path": path, "line": "a=1"])
      } throws: { error in
        (error as? ModuleFailure)?.message == "Destination \(path) does not exist !"
      }
      let before = try box.snapshot()
      #expect(
        try run(LineInFileModule.self, ["path": path, "line": "a=1", "create": true], check: true)
          .changed)
      #expect(try box.snapshot() == before)
      let created = try run(
        LineInFileModule.self, ["path": path, "line": "a=1", "create": true, "mode": "0600"])
      #expect(created.changed)
      #expect(box.read("sub dir/$(touch PWNED) x.conf") == "a=1\n")
      #expect(try box.attributes("sub dir/$(touch PWNED) x.conf").mode == 0o600)
      #expect(
        !(try run(
          LineInFileModule.self, ["path": path, "line": "a=1", "create": true, "mode": "0600"]))
          .changed)
      #expect(!box.pwned)
    }

    @Test func editsWithDiffAndCheckMode() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("sshd_config", "Port 22\nPermitRootLogin yes\n")
      let args: KeyValuePairs<String, Any> = [
        "path": box.path("sshd_config"), "regexp": "^PermitRootLogin ",
        "line": "PermitRootLogin no",
      ]
      let checked = try run(LineInFileModule.self, args, check: true, diff: true)
      #expect(checked.changed)
      #expect(checked.diffs.first?.after == "Port 22\nPermitRootLogin no\n")
      #expect(box.read("sshd_config") == "Port 22\nPermitRootLogin yes\n")
      let changed = try run(LineInFileModule.self, args, diff: true)
      #expect(changed.changed)
      #expect(changed.message == "line replaced")
      #expect(
        changed.diffs == [
          FileDiff(
            path: box.path("sshd_config"), before: "Port 22\nPermitRootLogin yes\n",
            after: "Port 22\nPermitRootLogin no\n")
        ])
      #expect(box.read("sshd_config") == "Port 22\nPermitRootLogin no\n")
      #expect(!(try run(LineInFileModule.self, args)).changed)

      let removed = try run(
        LineInFileModule.self,
        ["path": box.path("sshd_config"), "regexp": "^Port", "state": "absent"])
      #expect(removed.changed)
      #expect(removed.message == "1 line(s) removed")
      #expect(removed.values["found"] == .int(1))
      #expect(box.read("sshd_config") == "PermitRootLogin no\n")
    }

    @Test func diffRendersAsUnifiedDiff() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("f", "a\nb\nc\n")
      let result = try run(
        LineInFileModule.self, ["path": box.path("f"), "regexp": "^b", "line": "B"], diff: true)
      #expect(
        result.diffs.map { UnifiedDiff.render($0) } == [
          "--- before: \(box.path("f"))\n+++ after: \(box.path("f"))\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        ])
    }

    @Test func validateAndBackup() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("f", "keep\n")
      #expect {
        try run(
          LineInFileModule.self,
          ["path": box.path("f"), "line": "bad", "validate": "sh -c 'echo nope >&2; exit 3' %s"])
      } throws: { error in
        (error as? ModuleFailure)?.message == "failed to validate: rc:3 error:nope"
          && (error as? ModuleFailure)?.values["rc"] == .int(3)
      }
      #expect(box.read("f") == "keep\n")
      #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["f"])
      let result = try run(
        LineInFileModule.self, ["path": box.path("f"), "line": "good", "backup": true])
      guard case .string(let backup)? = result.values["backup"], !backup.isEmpty else {
        Issue.record("no backup in \(result.values)")
        return
      }
      #expect(FileManager.default.contents(atPath: backup) == Data("keep\n".utf8))
      #expect(box.read("f") == "keep\ngood\n")
    }

    @Test func refusesDirectoriesAndBadArguments() throws {
      let box = try FileBox()
      defer { box.remove() }
      #expect {
        try run(LineInFileModule.self, ["path": box.root, "line": "x"])
      } throws: { error in
        (error as? ModuleFailure)?.message == "Path \(box.root) is a directory !"
      }
      #expect(throws: ModuleFailure.self) {
        try run(LineInFileModule.self, ["path": box.path("f"), "line": "x", "backrefs": true])
      }
      #expect(throws: ModuleFailure.self) {
        try run(LineInFileModule.self, ["path": box.path("f"), "state": "absent"])
      }
      // Absent on a missing file is fine: nothing to remove.
      #expect(
        !(try run(LineInFileModule.self, ["path": box.path("f"), "line": "x", "state": "absent"]))
          .changed)
    }

    @Test func followsLinksToTheRealFile() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("real", "a\n")
      try FileManager.default.createSymbolicLink(
        atPath: box.path("link"), withDestinationPath: "real")
      #expect(try run(LineInFileModule.self, ["path": box.path("link"), "line": "b"]).changed)
      #expect(box.read("real") == "a\nb\n")
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: box.path("link")) == "real")
    }
  }
}

extension FileModulesTests {
  @Suite struct BlockInFile {
    private func apply(_ text: String, _ edit: BlockEdit) -> String {
      String(decoding: TextLines.join(edit.apply(TextLines.split(Array(text.utf8)))), as: UTF8.self)
    }

    @Test func insertsReplacesAndRemoves() throws {
      let begin = "# BEGIN ANSIBLE MANAGED BLOCK\n"
      let end = "# END ANSIBLE MANAGED BLOCK\n"
      #expect(apply("a\nb", try BlockEdit(block: "x\ny")) == "a\nb\n\(begin)x\ny\n\(end)")
      #expect(
        apply("a\n\(begin)old\n\(end)b\n", try BlockEdit(block: "new"))
          == "a\n\(begin)new\n\(end)b\n"
      )
      #expect(
        apply("a\n\(begin)old\n\(end)b\n", try BlockEdit(block: "", present: true)) == "a\nb\n")
      #expect(
        apply("a\n\(begin)old\n\(end)b\n", try BlockEdit(block: "new", present: false)) == "a\nb\n")
      #expect(apply("a\n", try BlockEdit(block: "new", present: false)) == "a\n")
      #expect(
        apply("a\nb\n", try BlockEdit(block: "x", insertBefore: "BOF")) == "\(begin)x\n\(end)a\nb\n"
      )
      #expect(
        apply("a\nb\na\n", try BlockEdit(block: "x", insertAfter: "^a"))
          == "a\nb\na\n\(begin)x\n\(end)")
      #expect(
        apply("a\nb\na\n", try BlockEdit(block: "x", insertBefore: "^b"))
          == "a\n\(begin)x\n\(end)b\na\n")
      #expect(
        apply(
          "",
          try BlockEdit(
            block: "x", marker: "// {mark} app", markerBegin: "start", markerEnd: "stop"))
          == "// start app\nx\n// stop app\n")
    }

    @Test func multilineInsertPatternMatchesTheWholeFile() throws {
      let begin = "# BEGIN ANSIBLE MANAGED BLOCK\n"
      let end = "# END ANSIBLE MANAGED BLOCK\n"
      let edit = try BlockEdit(block: "x", insertAfter: "(?m)^b\\nc$")
      #expect(apply("a\nb\nc\nd\n", edit) == "a\nb\nc\n\(begin)x\n\(end)d\n")
    }

    @Test func blankLinesAroundTheBlock() throws {
      let begin = "# BEGIN ANSIBLE MANAGED BLOCK\n"
      let end = "# END ANSIBLE MANAGED BLOCK\n"
      let edit = try BlockEdit(
        block: "x", insertBefore: "^b", prependNewline: true, appendNewline: true)
      #expect(apply("a\nb\n", edit) == "a\n\n\(begin)x\n\(end)\nb\n")
      // Not twice: the blank lines are there on the second run.
      #expect(apply(apply("a\nb\n", edit), edit) == "a\n\n\(begin)x\n\(end)\nb\n")
    }

    @Test func absentOnAMissingFileIsFine() throws {
      let box = try FileBox()
      defer { box.remove() }
      let result = try run(
        BlockInFileModule.self, ["path": box.path("missing"), "state": "absent"])
      #expect(!result.changed)
      #expect(box.read("missing") == nil)
    }

    @Test func moduleIsIdempotent() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("hosts", "127.0.0.1 localhost\n")
      let args: KeyValuePairs<String, Any> = [
        "path": box.path("hosts"), "block": "10.0.0.1 db\n10.0.0.2 web",
      ]
      let checked = try run(BlockInFileModule.self, args, check: true, diff: true)
      #expect(checked.changed)
      #expect(box.read("hosts") == "127.0.0.1 localhost\n")
      let expected =
        "127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 db\n10.0.0.2 web\n# END ANSIBLE MANAGED BLOCK\n"
      #expect(checked.diffs.first?.after == expected)
      let first = try run(BlockInFileModule.self, args)
      #expect(first.changed)
      #expect(first.message == "Block inserted")
      #expect(box.read("hosts") == expected)
      #expect(!(try run(BlockInFileModule.self, args)).changed)
      let removed = try run(BlockInFileModule.self, ["path": box.path("hosts"), "state": "absent"])
      #expect(removed.changed)
      #expect(removed.message == "Block removed")
      #expect(box.read("hosts") == "127.0.0.1 localhost\n")
      #expect {
        try run(BlockInFileModule.self, ["path": box.path("nope"), "block": "x"])
      } throws: { error in
        (error as? ModuleFailure)?.message == "Path \(box.path("nope")) does not exist !"
      }
      let created = try run(
        BlockInFileModule.self, ["path": box.path("new"), "block": "x", "create": true])
      #expect(created.message == "File created")
      #expect(box.read("new") == "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n")
    }
  }
}

extension FileModulesTests {
  @Suite struct Stat {
    private func stat(_ path: String, follow: Bool = false) throws -> [String: VarValue] {
      let result = try run(StatModule.self, ["path": path, "follow": follow])
      #expect(!result.changed)
      guard case .map(let map)? = result.values["stat"] else {
        Issue.record("no stat map")
        return [:]
      }
      return map
    }

    @Test func describesFilesFoldersAndLinks() throws {
      let box = try FileBox()
      defer { box.remove() }
      try box.write("-f 'x'", "hello\n", mode: 0o640)
      let file = try stat(box.path("-f 'x'"))
      #expect(file["exists"] == .bool(true))
      #expect(file["isreg"] == .bool(true))
      #expect(file["isdir"] == .bool(false))
      #expect(file["mode"] == .string("0640"))
      #expect(file["size"] == .int(6))
      #expect(file["pw_name"] == .string("root"))
      #expect(file["uid"] == .int(0))
      #expect(file["checksum"] == .string(try sha1("hello\n")))
      #expect(file["rgrp"] == .bool(true) && file["wgrp"] == .bool(false))
      #expect(try stat(box.root)["isdir"] == .bool(true))
      try FileManager.default.createSymbolicLink(
        atPath: box.path("l"), withDestinationPath: "-f 'x'")
      let link = try stat(box.path("l"))
      #expect(link["islnk"] == .bool(true))
      #expect(link["lnk_target"] == .string("-f 'x'"))
      #expect(link["lnk_source"] == .string(box.path("-f 'x'")))
      let followed = try stat(box.path("l"), follow: true)
      #expect(followed["islnk"] == .bool(false))
      #expect(followed["isreg"] == .bool(true))
      #expect(try stat(box.path("missing")) == ["exists": .bool(false)])
      #expect(!box.pwned)
    }
  }
}
