import Foundation

@testable import DeployBuildAPI
@testable import DeployInventory

/// A build folder in a fresh temporary directory, with builds made of a few files that each
/// carry their build's time, so a mixed or partial build shows.
struct BuildFolderFixture {
  let root: String
  let buildName = "echr_database"

  init() {
    var template = Array((NSTemporaryDirectory() + "/build-folder-XXXXXX").utf8CString)
    root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
  }

  var folder: BuildFolder { try! BuildFolder(path: root, buildName: buildName) }

  /// A build folder `name` with `build_info.yml` (unless `time` is nil) and `files` data files.
  func build(_ name: String, time: String?, files: Int = 3) {
    for index in 0..<files {
      write("\(name)/data/file\(index).txt", "\(time ?? "none") \(index)\n")
    }
    if let time { write("\(name)/build_info.yml", "build_time: \(time)\nworkflow: database\n") }
  }

  /// The `build_time` a build folder's files all carry; nil for a missing or mixed build.
  func buildTime(of name: String, files: Int = 3) -> String? {
    guard let info = read("\(name)/build_info.yml"),
      let time = info.split(separator: "\n").first?.dropFirst("build_time: ".count)
    else { return nil }
    for index in 0..<files where read("\(name)/data/file\(index).txt") != "\(time) \(index)\n" {
      return nil
    }
    return String(time)
  }

  func write(_ relative: String, _ text: String) {
    let path = root + "/" + relative
    try! FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  func writeBytes(_ relative: String, _ bytes: [UInt8]) {
    try! Data(bytes).write(to: URL(fileURLWithPath: root + "/" + relative))
  }

  func read(_ relative: String) -> String? {
    FileManager.default.contents(atPath: root + "/" + relative).map {
      String(decoding: $0, as: UTF8.self)
    }
  }

  func exists(_ relative: String) -> Bool {
    FileManager.default.fileExists(atPath: root + "/" + relative)
  }

  func remove(_ relative: String) {
    try? FileManager.default.removeItem(atPath: root + "/" + relative)
  }

  /// Folder names in the build folder, sorted.
  var entries: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
  }

  func destroy() { try? FileManager.default.removeItem(atPath: root) }
}
