import Foundation

/// A build folder for the build API server tests, in a fresh temporary directory. Each build's
/// data files carry its build time, so a partial or mixed build shows.
struct BuildAPIFixture {
  let root: String
  let buildName = "echr_database"

  init() {
    var template = Array((NSTemporaryDirectory() + "/build-api-XXXXXX").utf8CString)
    root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
  }

  /// A build folder with `build_info.yml` (unless `time` is nil) and `files` data files spread
  /// over sub-folders of 100.
  func build(_ name: String, time: String?, files: Int = 3) {
    for index in 0..<files { write(Self.dataFile(name, index), "\(time ?? "none") \(index)\n") }
    if let time { write("\(name)/build_info.yml", "build_time: \(time)\nworkflow: database\n") }
  }

  static func dataFile(_ name: String, _ index: Int) -> String {
    "\(name)/data/part\(index / 100)/file\(index).txt"
  }

  /// The build time a build folder's files all carry, or why it is not a complete build.
  func check(_ name: String, files: Int = 3) -> Result<String, Incomplete> {
    guard let info = read("\(name)/build_info.yml") else {
      return .failure(Incomplete(reason: "\(name)/build_info.yml is missing"))
    }
    let time = String(info.split(separator: "\n").first?.dropFirst("build_time: ".count) ?? "")
    for index in 0..<files where read(Self.dataFile(name, index)) != "\(time) \(index)\n" {
      return .failure(Incomplete(reason: "\(Self.dataFile(name, index)) is not from \(time)"))
    }
    // build_info.yml, data/, its part folders and the files; swap markers do not count.
    let entries = FileManager.default.enumerator(atPath: root + "/" + name)?.allObjects ?? []
    let count = entries.filter { !"\($0)".hasPrefix(".deploy-build-") }.count
    let expected = 2 + (files + 99) / 100 + files
    guard count == expected else {
      return .failure(Incomplete(reason: "\(name) has \(count) entries, not \(expected)"))
    }
    return .success(time)
  }

  struct Incomplete: Error, Equatable {
    var reason: String
  }

  func write(_ relative: String, _ text: String) {
    let path = root + "/" + relative
    try! FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
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

  var entries: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
  }

  func start(_ arguments: [String] = []) throws -> BuildAPIServerProcess {
    try BuildAPIServerProcess(dataFolder: root, buildName: buildName, arguments: arguments)
  }

  func destroy() { try? FileManager.default.removeItem(atPath: root) }
}
