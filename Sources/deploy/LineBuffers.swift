import Foundation

/// Cuts streamed output into whole lines, one buffer per source (host and stream), so that
/// output from many hosts arriving at once never mixes within a line.
final class LineBuffers: @unchecked Sendable {
  private let lock = NSLock()
  private var pending: [String: [UInt8]] = [:]

  /// The complete lines `bytes` finishes for `key`; with `flush`, also the unfinished rest.
  func lines(_ key: String, _ bytes: [UInt8], flush: Bool = false) -> [String] {
    lock.lock()
    defer { lock.unlock() }
    var buffer = (pending[key] ?? []) + bytes
    var lines: [String] = []
    while let newline = buffer.firstIndex(of: 10) {
      lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
      buffer.removeSubrange(...newline)
    }
    if flush, !buffer.isEmpty {
      lines.append(String(decoding: buffer, as: UTF8.self))
      buffer = []
    }
    pending[key] = buffer
    return lines
  }
}
