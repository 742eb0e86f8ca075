import Foundation
import Synchronization

/// Cuts streamed output into whole lines, one buffer per source (host and stream), so that
/// output from many hosts arriving at once never mixes within a line.
final class LineBuffers: Sendable {
  private let pending = Mutex<[String: [UInt8]]>([:])

  /// The complete lines `bytes` finishes for `key`; with `flush`, also the unfinished rest.
  func lines(_ key: String, _ bytes: [UInt8], flush: Bool = false) -> [String] {
    pending.withLock { pending in Self.cut(&pending, key, bytes, flush: flush) }
  }

  private static func cut(
    _ pending: inout [String: [UInt8]], _ key: String, _ bytes: [UInt8], flush: Bool
  ) -> [String] {
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
