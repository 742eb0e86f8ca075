import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Passphrases for encrypted key files: from `DEPLOY_SSH_PASSPHRASE`, else asked on the terminal,
/// once per key file for the whole run however many hosts connect in parallel.
public final class PassphraseSource: @unchecked Sendable {
  public static let shared = PassphraseSource()

  // Guards `cache`; also serializes prompts so two hosts never ask at the same time.
  private let lock = NSLock()
  private var cache: [String: String] = [:]

  /// The passphrase for `keyFile`, or nil when none can be had.
  public func passphrase(for keyFile: String) -> String? {
    if let fromEnvironment = ProcessInfo.processInfo.environment["DEPLOY_SSH_PASSPHRASE"] {
      return fromEnvironment
    }
    lock.lock()
    defer { lock.unlock() }
    if let known = cache[keyFile] { return known }
    // Never prompt in CI or when piped: the run would hang waiting for nobody.
    guard isatty(STDIN_FILENO) == 1, ProcessInfo.processInfo.environment["CI"] == nil,
      let answer = getpass("Enter passphrase for key \(keyFile): ")
    else { return nil }
    let passphrase = String(cString: answer)
    cache[keyFile] = passphrase
    return passphrase
  }
}
