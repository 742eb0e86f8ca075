import DeploySupport
import Foundation

/// What can be learnt from a private key file without its passphrase: its type and whether it is
/// encrypted. The transports need this before connecting — libssh2 1.10 cannot use RSA keys with
/// modern servers, and an encrypted key needs a passphrase asked for once, not once per host.
public struct PrivateKeyFile: Sendable, Hashable {
  public enum KeyType: String, Sendable {
    case ed25519 = "ssh-ed25519"
    case ecdsa = "ecdsa"
    case rsa = "ssh-rsa"
    case dsa = "ssh-dss"
    case unknown
  }

  public var path: String
  public var type: KeyType
  public var encrypted: Bool
  /// The public key blob, when the file (or its `.pub` companion) carries it.
  public var publicKey: [UInt8]?
  /// An OpenSSH certificate beside the key (`KEY-cert.pub`), which OpenSSH would offer.
  public var hasCertificate: Bool

  /// Reads `path`; nil when the file does not exist (OpenSSH skips missing default keys).
  public static func inspect(_ path: String) throws(DeployError) -> PrivateKeyFile? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    // OpenSSH's rule (sshkey_perm_ok): a key of ours that others may read is refused, not used.
    var info = stat()
    if stat(path, &info) == 0, info.st_uid == getuid(), info.st_mode & 0o077 != 0 {
      throw .unreadableFile(
        path: path,
        reason: "its permissions \(String(info.st_mode & 0o777, radix: 8)) let others read it;"
          + " a private key must be readable by its owner only, as OpenSSH requires: chmod 600 \(path)"
      )
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .unreadableFile(path: path, reason: "permission denied")
    }
    let text = String(decoding: data, as: UTF8.self)
    var key = PrivateKeyFile(
      path: path, type: .unknown, encrypted: false, publicKey: nil,
      hasCertificate: FileManager.default.fileExists(atPath: path + "-cert.pub"))
    if text.contains("BEGIN OPENSSH PRIVATE KEY") {
      key.readOpenSSHFormat(text)
    } else if text.contains("BEGIN RSA PRIVATE KEY") {
      key.type = .rsa
      key.encrypted = text.contains("ENCRYPTED")
    } else if text.contains("BEGIN EC PRIVATE KEY") {
      key.type = .ecdsa
      key.encrypted = text.contains("ENCRYPTED")
    } else if text.contains("BEGIN DSA PRIVATE KEY") {
      key.type = .dsa
    } else if text.contains("BEGIN ENCRYPTED PRIVATE KEY") {
      key.encrypted = true
    }
    if key.publicKey == nil, let pub = FileManager.default.contents(atPath: path + ".pub") {
      let fields = String(decoding: pub, as: UTF8.self).split(separator: " ")
      if fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])) {
        key.publicKey = Array(blob)
        if key.type == .unknown { key.type = Self.keyType(ofBlob: Array(blob)) }
      }
    }
    return key
  }

  /// The `openssh-key-v1` container keeps the cipher name and the public key in the clear.
  private mutating func readOpenSSHFormat(_ text: String) {
    let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    guard let data = Data(base64Encoded: body) else { return }
    var reader = SSHWireReader(Array(data))
    let magic = Array("openssh-key-v1".utf8) + [0]
    guard reader.take(magic.count) == magic,
      let cipher = reader.string(), reader.string() != nil, reader.string() != nil,
      let count = reader.uint32(), count >= 1, let blob = reader.bytes()
    else { return }
    encrypted = String(decoding: cipher, as: UTF8.self) != "none"
    publicKey = blob
    type = Self.keyType(ofBlob: blob)
  }

  /// The key type named at the start of an SSH public key blob.
  public static func keyType(ofBlob blob: [UInt8]) -> KeyType {
    var reader = SSHWireReader(blob)
    guard let name = reader.string().map({ String(decoding: $0, as: UTF8.self) }) else {
      return .unknown
    }
    if name.hasPrefix("ecdsa-sha2-") { return .ecdsa }
    return KeyType(rawValue: name) ?? .unknown
  }
}

/// Reads the SSH wire encoding (RFC 4251): big-endian uint32 and length-prefixed strings.
struct SSHWireReader {
  private let data: [UInt8]
  private var offset = 0

  init(_ data: [UInt8]) { self.data = data }

  mutating func take(_ count: Int) -> [UInt8]? {
    guard count >= 0, offset + count <= data.count else { return nil }
    defer { offset += count }
    return Array(data[offset..<offset + count])
  }

  mutating func uint32() -> UInt32? {
    take(4).map { $0.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
  }

  mutating func bytes() -> [UInt8]? {
    uint32().flatMap { take(Int($0)) }
  }

  mutating func string() -> [UInt8]? { bytes() }
}
