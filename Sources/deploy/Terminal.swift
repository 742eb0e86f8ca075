import DeployInventory
import DeploySupport
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Where text for people goes, with colour only when a person is looking: a terminal, and no
/// NO_COLOR. Writes are serialized because worker threads report concurrently.
final class Terminal: Sendable {
  static let standardOutput = Terminal(fd: STDOUT_FILENO)
  static let standardError = Terminal(fd: STDERR_FILENO)

  private let fd: Int32
  /// Held while writing, so that lines from several threads never interleave.
  private let writing = Mutex(())
  let colored: Bool

  private init(fd: Int32) {
    self.fd = fd
    let env = ProcessInfo.processInfo.environment
    colored =
      env["FORCE_COLOR"] != nil
      || (isatty(fd) == 1 && env["NO_COLOR"] == nil && env["TERM"] != "dumb")
  }

  /// Writes `text` with every control character made visible but newlines, tabs and colour
  /// codes (`TerminalText`): hosts' words cannot drive the terminal.
  func write(_ text: String) {
    writing.withLock { _ in writeLocked(text) }
  }

  private func writeLocked(_ text: String) {
    var bytes = Array(TerminalText.sanitize(text).utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeMutableBytes {
        Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset)
      }
      if n <= 0 { break }
      offset += n
    }
  }

  enum Color: String {
    case red = "31"
    case green = "32"
    case yellow = "33"
    case blue = "34"
    case magenta = "35"
    case cyan = "36"
    case
      bold = "1"
    case dim = "2"
  }

  func paint(_ text: String, _ color: Color) -> String {
    colored ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
  }
}

func environment(_ name: String) -> String? {
  ProcessInfo.processInfo.environment[name]
}
