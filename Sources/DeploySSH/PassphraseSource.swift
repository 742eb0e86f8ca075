import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Passphrases for encrypted key files: from `DEPLOY_SSH_PASSPHRASE`, else asked on the terminal,
/// once per key file for the whole run however many hosts connect in parallel.
public final class PassphraseSource: Sendable {
  public static let shared = PassphraseSource()

  /// Passphrases by key file. Held while asking, so two hosts never ask at the same time.
  private let cache = Mutex<[String: String]>([:])

  /// The passphrase for `keyFile`, or nil when none can be had.
  public func passphrase(for keyFile: String) -> String? {
    if let fromEnvironment = ProcessInfo.processInfo.environment["DEPLOY_SSH_PASSPHRASE"] {
      return fromEnvironment
    }
    return cache.withLock { cache in
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
}
