import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

@Suite struct PrivateKeyFileTests {
  let directory: String

  init() throws {
    directory = try TemporaryDirectory.make()
  }

  private func generate(
    _ type: String, bits: String? = nil, passphrase: String = "",
    format: [String] = []
  ) throws -> String {
    let path =
      "\(directory)/id_\(type)\(passphrase.isEmpty ? "" : "_enc")\(format.isEmpty ? "" : "_pem")"
    var args = ["ssh-keygen", "-q", "-t", type, "-N", passphrase, "-f", path, "-C", "test"]
    if let bits { args += ["-b", bits] }
    args += format
    let result = try ChildProcess.capture(args)
    try #require(result.exit.status == 0, "ssh-keygen: \(result.stderr)")
    return path
  }

  @Test func recognisesTypesWithoutPassphrase() throws {
    let ed = try #require(try PrivateKeyFile.inspect(try generate("ed25519")))
    #expect(ed.type == .ed25519 && !ed.encrypted && ed.publicKey != nil)
    let ec = try #require(try PrivateKeyFile.inspect(try generate("ecdsa")))
    #expect(ec.type == .ecdsa)
    let rsa = try #require(try PrivateKeyFile.inspect(try generate("rsa", bits: "2048")))
    #expect(rsa.type == .rsa)
    let pem = try #require(
      try PrivateKeyFile.inspect(try generate("rsa", bits: "2048", format: ["-m", "PEM"])))
    #expect(pem.type == .rsa)
  }

  @Test func seesEncryptionAndStillReadsThePublicKey() throws {
    let path = try generate("ed25519", passphrase: "secret words")
    let key = try #require(try PrivateKeyFile.inspect(path))
    #expect(key.encrypted)
    #expect(key.type == .ed25519)
    // The public blob in the clear header equals the .pub file's.
    let pub = try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ")
    #expect(key.publicKey == Array(Data(base64Encoded: String(pub[1]))!))
  }

  /// As OpenSSH: a private key that group or others may read is refused, saying how to fix it.
  @Test(arguments: [0o644, 0o640, 0o604, 0o660])
  func aKeyOthersCanReadIsRefused(mode: Int) throws {
    let path = try generate("ed25519")
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    #expect(throws: DeployError.self) { try PrivateKeyFile.inspect(path) }
    do {
      _ = try PrivateKeyFile.inspect(path)
    } catch {
      #expect(error.description.contains("chmod 600"), "\(error)")
      #expect(error.description.contains(String(mode, radix: 8)), "\(error)")
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    #expect(try PrivateKeyFile.inspect(path) != nil)
  }

  @Test func missingFileIsNil() throws {
    #expect(try PrivateKeyFile.inspect("\(directory)/nope") == nil)
  }
}

/// A fresh directory under the system temporary directory, for one test; all of them are
/// removed when the test process exits, so runs leave nothing behind in /tmp.
enum TemporaryDirectory {
  static func make() throws -> String {
    let path = NSTemporaryDirectory() + "deploy-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    Created.shared.add(path)
    return path
  }

  private final class Created: @unchecked Sendable {
    static let shared = Created()
    private let lock = NSLock()
    private var paths: [String] = []

    private init() {
      atexit {
        for path in Created.shared.all {
          try? FileManager.default.removeItem(atPath: path)
        }
      }
    }

    func add(_ path: String) {
      lock.lock()
      paths.append(path)
      lock.unlock()
    }

    var all: [String] {
      lock.lock()
      defer { lock.unlock() }
      return paths
    }
  }
}
