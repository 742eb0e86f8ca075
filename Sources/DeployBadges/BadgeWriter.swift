import DeploySupport
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Puts a badge's files where a web server (or a git-hosted README) picks them up. Badges are
/// rewritten after every deploy, usually with the same content: an unchanged file keeps its
/// mtime, so caches (ETag, If-Modified-Since) and file watchers see nothing happened, and a
/// reader never sees a half-written file, because a changed one is replaced by rename.
public enum BadgeWriter {
  /// Writes `<basename>.svg` and `<basename>.json` (the shields endpoint JSON) into
  /// `directory`, each only when its content differs from the file already there. Returns the
  /// paths actually written, so callers can say what changed.
  public static func write(
    _ badge: Badge, basename: String, to directory: String
  ) throws(DeployError) -> [String] {
    guard !basename.isEmpty, !basename.contains("/"), basename != ".", basename != ".." else {
      throw .usage("badge name \(String(reflecting: basename)) must be a plain file name")
    }
    var written: [String] = []
    for (suffix, content) in [("svg", badge.svg), ("json", badge.endpointJSON + "\n")] {
      let path = directory + "/" + basename + "." + suffix
      if try replace(path, with: Array(content.utf8)) { written.append(path) }
    }
    return written
  }

  /// Replaces the file at `path` with `bytes` through a temporary file in the same directory
  /// and a rename, unless it already holds exactly `bytes`. True when it wrote.
  static func replace(_ path: String, with bytes: [UInt8]) throws(DeployError) -> Bool {
    if let existing = FileManager.default.contents(atPath: path), Array(existing) == bytes {
      return false
    }
    let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    let temporary =
      "\(path[..<slash]).\(path[slash...]).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw failure(path, errno) }
    if let code = writeAll(fd, bytes) {
      close(fd)
      unlink(temporary)
      throw failure(path, code)
    }
    guard close(fd) == 0, rename(temporary, path) == 0 else {
      let code = errno
      unlink(temporary)
      throw failure(path, code)
    }
    return true
  }

  private static func failure(_ path: String, _ code: Int32) -> DeployError {
    .usage("cannot write \(path): \(String(cString: strerror(code)))")
  }
}

/// Writes all of `bytes` to `fd`; the `errno` of a failure, or nil. Outside `BadgeWriter`, whose
/// own `write` would hide the C function.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
  var offset = 0
  while offset < bytes.count {
    let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { return n < 0 ? errno : EIO }
    offset += n
  }
  return nil
}
