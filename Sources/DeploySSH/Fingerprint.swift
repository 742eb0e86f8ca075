import CLibSSH2
import Foundation

/// Host key fingerprints in the form OpenSSH prints and users compare against (`ssh-keygen -lf`,
/// the "authenticity of host" prompt), so that a fingerprint in a `deploy` message can be checked
/// character for character against what an administrator reads off the server.
public enum Fingerprint {
  /// `SHA256:` and the unpadded base64 of the SHA-256 of the public key blob.
  public static func sha256(_ key: [UInt8]) -> String {
    var encoded = Data(OpenSSLDigest.sha256(key)).base64EncodedString()
    // OpenSSH strips the padding; with it the strings would never compare equal.
    while encoded.hasSuffix("=") { encoded.removeLast() }
    return "SHA256:" + encoded
  }
}

/// The few digests the SSH files need, from the OpenSSL that libssh2 already links, rather than a
/// second crypto library.
package enum OpenSSLDigest {
  static func sha256(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha256()) }

  package static func sha1(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha1()) }

  /// HMAC-SHA1, the keyed hash behind hashed `known_hosts` names (`|1|salt|hash`).
  static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = key.withUnsafeBytes { keyBytes in
      message.withUnsafeBytes { messageBytes in
        output.withUnsafeMutableBufferPointer { out in
          HMAC(
            EVP_sha1(), keyBytes.baseAddress, Int32(key.count),
            messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
            out.baseAddress, &length) != nil
        }
      }
    }
    precondition(ok, "OpenSSL HMAC-SHA1 failed")
    return Array(output.prefix(Int(length)))
  }

  private static func digest(_ data: [UInt8], _ type: OpaquePointer?) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = data.withUnsafeBytes { input in
      output.withUnsafeMutableBufferPointer { out in
        EVP_Digest(input.baseAddress, data.count, out.baseAddress, &length, type, nil) == 1
      }
    }
    // Only an allocation failure inside OpenSSL gets here; there is nothing sensible to return.
    precondition(ok, "OpenSSL digest failed")
    return Array(output.prefix(Int(length)))
  }
}
