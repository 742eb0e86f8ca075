import DeploySupport
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What OpenSSH learns about the local account from the password database rather than from the
/// environment: `~` and `%d` are the passwd home directory even when `$HOME` says otherwise.
enum SSHLocalAccount {
  struct Entry {
    var name: String
    var home: String
  }

  static var current: Entry? {
    lookup { getpwuid_r(getuid(), $0, $1, $2, $3) }
  }

  static func named(_ name: String) -> Entry? {
    lookup { getpwnam_r(name, $0, $1, $2, $3) }
  }

  static var userName: String {
    current?.name ?? ProcessInfo.processInfo.environment["USER"] ?? "root"
  }

  static var homeDirectory: String {
    current?.home ?? ProcessInfo.processInfo.environment["HOME"] ?? "/"
  }

  static var userID: UInt32 { UInt32(getuid()) }

  /// The machine's host name, as `%l` in ssh_config means it.
  static var hostName: String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(
      decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
      as: UTF8.self)
  }

  // The `_r` variants, because the parallel host workers may resolve configurations at once.
  private static func lookup(
    _ call: (
      UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
      UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>
    ) -> Int32
  ) -> Entry? {
    var record = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 16_384)
    return buffer.withUnsafeMutableBufferPointer { storage -> Entry? in
      guard call(&record, storage.baseAddress!, storage.count, &result) == 0, result != nil,
        let name = record.pw_name, let home = record.pw_dir
      else { return nil }
      return Entry(name: String(cString: name), home: String(cString: home))
    }
  }
}

#if canImport(Glibc)
  private let sshSystemRead = Glibc.read
#else
  private let sshSystemRead = Darwin.read
#endif

/// Reading the files OpenSSH reads, with its idea of "missing" (an empty list, not an error).
enum SSHLocalFile {
  struct Contents {
    var bytes: [UInt8]
    var ownerID: UInt32
    var mode: UInt32
  }

  /// The file's bytes; nil when it does not exist. A directory reads as empty, as `fopen`+`getline`
  /// make it for OpenSSH.
  static func read(_ path: String) throws(DeployError) -> Contents? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let code = errno
      if code == ENOENT || code == ENOTDIR { return nil }
      throw .unreadableFile(path: path, reason: String(cString: strerror(code)))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    let contents = Contents(
      bytes: [], ownerID: UInt32(info.st_uid), mode: UInt32(info.st_mode))
    if (info.st_mode & S_IFMT) == S_IFDIR { return contents }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { sshSystemRead(fd, $0.baseAddress, $0.count) }
      if count == 0 { break }
      if count < 0 {
        if errno == EINTR { continue }
        throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
      }
      bytes += chunk.prefix(count)
    }
    var result = contents
    result.bytes = bytes
    return result
  }

  /// Paths matching a shell glob, sorted; empty when nothing matches; nil when the glob failed.
  static func glob(_ pattern: String) -> [String]? {
    var matches = glob_t()
    defer { globfree(&matches) }
    #if canImport(Glibc)
      let rc = Glibc.glob(pattern, 0, nil, &matches)
    #else
      let rc = Darwin.glob(pattern, 0, nil, &matches)
    #endif
    if rc == GLOB_NOMATCH { return [] }
    guard rc == 0 else { return nil }
    return (0..<Int(matches.gl_pathc)).compactMap { index in
      matches.gl_pathv[index].map { String(cString: $0) }
    }
  }
}

/// OpenSSH's wildcard patterns (`match.c`), shared by `Host` lines and `known_hosts` host fields.
enum SSHPattern {
  /// `*` matches any run of bytes, `?` exactly one, everything else itself, case-sensitively.
  static func matches(_ string: String, _ pattern: String) -> Bool {
    let text = Array(string.utf8)
    let pattern = Array(pattern.utf8)
    var t = 0
    var p = 0
    // Where the last `*` was and how much text it has swallowed so far: on a mismatch the star
    // takes one more byte, which explores the same matches as OpenSSH's recursion.
    var star: (pattern: Int, text: Int)?
    while t < text.count {
      if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
        star = (p, t)
        p += 1
      } else if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
        p += 1
        t += 1
      } else if let last = star {
        p = last.pattern + 1
        t = last.text + 1
        star = (last.pattern, last.text + 1)
      } else {
        return false
      }
    }
    while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
    return p == pattern.count
  }

  enum ListMatch {
    case none
    case positive
    /// A `!pattern` matched: this overrides any positive match in the same list.
    case negated
  }

  /// A comma-separated list of patterns, each possibly negated with `!` (`match_pattern_list`).
  static func matchList(_ string: String, _ list: String, lowercasePatterns: Bool) -> ListMatch {
    var result = ListMatch.none
    for item in list.split(separator: ",", omittingEmptySubsequences: false) {
      var pattern = Substring(item)
      let negated = pattern.first == "!"
      if negated { pattern = pattern.dropFirst() }
      let subpattern = lowercasePatterns ? asciiLowercased(String(pattern)) : String(pattern)
      if matches(string, subpattern) {
        if negated { return .negated }
        result = .positive
      }
    }
    return result
  }

  /// ASCII-only lowercasing, as C's `tolower` does it: OpenSSH never folds other letters.
  static func asciiLowercased(_ string: String) -> String {
    String(
      decoding: string.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
  }
}
