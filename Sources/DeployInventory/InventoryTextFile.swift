import DeploySupport
import Foundation

/// Reading the files a user points `deploy` at, with errors that say which file and why.
package enum InventoryTextFile {
  package static func read(_ path: String) throws(DeployError) -> String {
    guard FileManager.default.fileExists(atPath: path) else {
      throw .unreadableFile(path: path, reason: "no such file")
    }
    if isDirectory(path) {
      throw .unreadableFile(path: path, reason: "it is a directory")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .unreadableFile(path: path, reason: "permission denied or I/O error")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw .unreadableFile(path: path, reason: "not valid UTF-8")
    }
    return text
  }

  static func isDirectory(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &directory)
      && directory.boolValue
  }
}
