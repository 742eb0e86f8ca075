import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The file operations `BuildFolder` swaps builds with. The swap itself is Linux's
/// `renameat2(RENAME_EXCHANGE)`: two folders trade names in one step, so at every instant the
/// served name is a whole build, old or new — which no pair of renames gives.
enum FolderOperations {
  private typealias RenameAt2 =
    @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
  private typealias Syscall6 =
    @convention(c) (Int, Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int

  private static let renameExchange: UInt32 = 2
  private static let renameNoReplace: UInt32 = 1

  /// glibc has `renameat2` since 2.28, but Swift's Glibc module does not declare it (nor can it
  /// call the variadic `syscall`), so both are looked up at run time.
  private static let renameat2: RenameAt2? = dlsym(nil, "renameat2").map {
    unsafeBitCast($0, to: RenameAt2.self)
  }
  private static let syscall6: Syscall6? = dlsym(nil, "syscall").map {
    unsafeBitCast($0, to: Syscall6.self)
  }
  #if arch(x86_64)
    private static let sysRenameat2 = 316
  #elseif arch(arm64)
    private static let sysRenameat2 = 276
  #else
    private static let sysRenameat2 = -1
  #endif

  private static func callRenameat2(_ from: String, _ to: String, _ flags: UInt32) -> Int32 {
    if let renameat2 { return renameat2(AT_FDCWD, from, AT_FDCWD, to, flags) }
    guard let syscall6, sysRenameat2 >= 0 else {
      errno = ENOSYS
      return -1
    }
    return Int32(syscall6(sysRenameat2, AT_FDCWD, from, AT_FDCWD, to, flags))
  }

  /// Swaps the names of two existing paths atomically.
  static func exchange(_ first: String, _ second: String) throws(BuildAPIError) {
    guard callRenameat2(first, second, renameExchange) == 0 else {
      let code = errno
      if code == EINVAL || code == ENOSYS {
        throw .fileOperation(
          "cannot swap \(first) and \(second) atomically: this system or file system has no "
            + "renameat2 RENAME_EXCHANGE (Linux 3.15+ on ext4, xfs, btrfs or tmpfs has)")
      }
      throw failure("cannot swap \(first) and \(second)", code)
    }
  }

  /// Renames, refusing to replace an existing `to` (a plain rename would replace an empty
  /// folder silently).
  static func moveNew(_ from: String, _ to: String) throws(BuildAPIError) {
    if callRenameat2(from, to, renameNoReplace) == 0 { return }
    let code = errno
    guard code == EINVAL || code == ENOSYS else {
      throw failure("cannot rename \(from) to \(to)", code)
    }
    // A file system without RENAME_NOREPLACE: check, then rename (only we write these names).
    guard !exists(to) else { throw failure("cannot rename \(from) to \(to)", EEXIST) }
    guard rename(from, to) == 0 else { throw failure("cannot rename \(from) to \(to)", errno) }
  }

  static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
  }

  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
  }

  static func isFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
  }

  /// Creates an empty file (a marker: only its existence counts).
  static func createMarker(_ path: String) throws(BuildAPIError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw failure("cannot create \(path)", errno) }
    close(fd)
  }

  static func removeFile(_ path: String) throws(BuildAPIError) {
    guard unlink(path) == 0 || errno == ENOENT else {
      throw failure("cannot remove \(path)", errno)
    }
  }

  static func removeTree(_ path: String) throws(BuildAPIError) {
    guard exists(path) else { return }
    do {
      try FileManager.default.removeItem(atPath: path)
    } catch {
      throw .fileOperation("cannot remove \(path): \(error.localizedDescription)")
    }
  }

  /// Copies a folder (followed if it is a symbolic link) with its files, folders and symbolic
  /// links, keeping permissions and modification times.
  static func copyTree(from source: String, to destination: String) throws(BuildAPIError) {
    var info = stat()
    guard stat(source, &info) == 0 else { throw failure("cannot read \(source)", errno) }
    try copy(source, info, to: destination)
  }

  private static func copy(_ source: String, _ info: stat, to destination: String)
    throws(BuildAPIError)
  {
    switch info.st_mode & S_IFMT {
    case S_IFDIR:
      guard mkdir(destination, 0o700) == 0 else {
        throw failure("cannot create \(destination)", errno)
      }
      let names: [String]
      do {
        names = try FileManager.default.contentsOfDirectory(atPath: source)
      } catch {
        throw .fileOperation("cannot list \(source): \(error.localizedDescription)")
      }
      for name in names {
        var child = stat()
        let path = source + "/" + name
        guard lstat(path, &child) == 0 else { throw failure("cannot read \(path)", errno) }
        try copy(path, child, to: destination + "/" + name)
      }
      guard chmod(destination, info.st_mode & 0o7777) == 0 else {
        throw failure("cannot set the permissions of \(destination)", errno)
      }
      var times = [info.st_atim, info.st_mtim]
      _ = utimensat(AT_FDCWD, destination, &times, 0)
    case S_IFREG:
      try copyFile(source, info, to: destination)
    case S_IFLNK:
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let length = readlink(source, &buffer, buffer.count - 1)
      guard length >= 0 else { throw failure("cannot read the link \(source)", errno) }
      buffer[length] = 0
      guard symlink(buffer, destination) == 0 else {
        throw failure("cannot create the link \(destination)", errno)
      }
    default:
      throw .fileOperation(
        "cannot copy \(source): not a file, folder or symbolic link (remove it from the build)")
    }
  }

  private static func copyFile(_ source: String, _ info: stat, to destination: String)
    throws(BuildAPIError)
  {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw failure("cannot read \(source)", errno) }
    defer { close(input) }
    let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard output >= 0 else { throw failure("cannot create \(destination)", errno) }
    defer { close(output) }
    var buffer = [UInt8](repeating: 0, count: 1 << 18)
    while true {
      let count = read(input, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else { throw failure("cannot read \(source)", errno) }
      if count == 0 { break }
      var written = 0
      while written < count {
        let n = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw failure("cannot write \(destination)", errno) }
        written += n
      }
    }
    guard fchmod(output, info.st_mode & 0o7777) == 0 else {
      throw failure("cannot set the permissions of \(destination)", errno)
    }
    var times = [info.st_atim, info.st_mtim]
    _ = futimens(output, &times)
  }

  private static func failure(_ what: String, _ code: Int32) -> BuildAPIError {
    .fileOperation("\(what): \(String(cString: strerror(code)))")
  }
}
