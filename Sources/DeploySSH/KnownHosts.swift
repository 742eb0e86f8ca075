import DeploySupport
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What `known_hosts` says about the key a host offered.
public enum HostKeyVerdict: Sendable, Hashable {
  /// A line for this host holds this very key (`file:line`).
  case known(at: String)
  /// No line for this host holds a key of this type.
  case unknown
  /// Lines for this host hold a different key of the same type; `knownAt` is the first of them.
  case changed(knownAt: String)
  /// The key is marked `@revoked`.
  case revoked(at: String)
}

/// OpenSSH `known_hosts` files, read with OpenSSH 9.2's rules (`hostfile.c`): plain and hashed
/// names, wildcards and negation, `@revoked` and `@cert-authority` markers, and strict `[host]:port`
/// names. libssh2's own checker is laxer about ports and fails on a missing file; deploy checks
/// host keys with this instead.
public struct KnownHosts: Sendable {
  enum Marker: Sendable {
    case none
    case certificateAuthority
    case revoked
  }

  enum Names: Sendable {
    /// A comma-separated pattern list.
    case patterns(String)
    /// `|1|salt|hash`: HMAC-SHA1 of the name keyed with the salt; `hash` is kept base64-encoded
    /// because OpenSSH compares the encoded strings.
    case hashed(salt: [UInt8], hash: String)
  }

  package struct Entry: Sendable {
    var marker: Marker
    var names: Names
    /// The key's own type, from its blob (`ssh-rsa` however the line spells it).
    var keyType: String
    var key: [UInt8]
    /// `file:line`, for messages that tell the user which line to fix.
    var location: String
  }

  let entries: [Entry]

  /// Reads the files in order. A missing file has no entries (OpenSSH semantics); unparsable
  /// lines are skipped as OpenSSH skips them.
  public static func load(files: [String]) throws(DeployError) -> KnownHosts {
    var entries: [Entry] = []
    for file in files {
      let path = SSHConfigExpansion.tilde(file, home: SSHLocalAccount.homeDirectory)
      guard let contents = try SSHLocalFile.read(path) else { continue }
      entries += parse(contents.bytes, file: path)
    }
    return KnownHosts(entries: entries)
  }

  package static func parse(_ bytes: [UInt8], file: String) -> [Entry] {
    var entries: [Entry] = []
    var number = 0
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      if let entry = entry(String(decoding: line, as: UTF8.self), location: "\(file):\(number)") {
        entries.append(entry)
      }
    }
    return entries
  }

  /// One line as `hostkeys_foreach_file` reads it: `[marker] names keytype base64 [comment]`.
  private static func entry(_ line: String, location: String) -> Entry? {
    var fields = line.split(
      maxSplits: 4, omittingEmptySubsequences: true,
      whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }
    )[...]
    guard let first = fields.first, !first.hasPrefix("#") else { return nil }
    var marker = Marker.none
    if first.hasPrefix("@") {
      switch first {
      case "@cert-authority": marker = .certificateAuthority
      case "@revoked": marker = .revoked
      default: return nil
      }
      fields = fields.dropFirst()
    }
    guard fields.count >= 3 else { return nil }
    let nameField = String(fields[fields.startIndex])
    let typeField = String(fields[fields.startIndex + 1])
    guard !typeField.hasPrefix("#"), !nameField.hasPrefix("@"),
      let blob = Data(base64Encoded: String(fields[fields.startIndex + 2])).map(Array.init),
      let blobType = keyType(ofBlob: blob), typeMatches(typeField, blobType: blobType),
      let names = names(nameField)
    else { return nil }
    return Entry(marker: marker, names: names, keyType: blobType, key: blob, location: location)
  }

  private static func names(_ field: String) -> Names? {
    guard field.hasPrefix("|") else { return .patterns(field) }
    // extract_salt: `|1|` then a base64 salt of exactly 20 bytes, then `|`.
    let parts = field.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0].isEmpty, parts[1] == "1",
      let salt = Data(base64Encoded: String(parts[2])), salt.count == 20
    else { return nil }
    return .hashed(salt: Array(salt), hash: String(parts[3]))
  }

  /// The type name at the start of a public key blob.
  static func keyType(ofBlob blob: [UInt8]) -> String? {
    var reader = SSHWireReader(blob)
    guard let name = reader.string(), !name.isEmpty, reader.bytes() != nil else { return nil }
    return String(decoding: name, as: UTF8.self)
  }

  /// Whether a line's type field names the key in its blob. OpenSSH also takes the RSA signature
  /// names and the short names (`RSA`, `ED25519`…) for the plain key types.
  private static func typeMatches(_ field: String, blobType: String) -> Bool {
    if field == blobType { return true }
    if blobType == "ssh-rsa", field == "rsa-sha2-256" || field == "rsa-sha2-512" { return true }
    let short: [String: String] = [
      "ssh-rsa": "rsa", "ssh-dss": "dsa", "ssh-ed25519": "ed25519",
      "sk-ssh-ed25519@openssh.com": "ed25519-sk", "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
    ]
    let expected = blobType.hasPrefix("ecdsa-sha2-") ? "ecdsa" : short[blobType]
    return expected == SSHPattern.asciiLowercased(field)
  }

  /// The name as `ssh` looks it up: lowercased, like the host name `ssh` uses for the lookup.
  private static func lookupName(_ name: String) -> String { SSHPattern.asciiLowercased(name) }

  private static func normalizedType(_ type: String) -> String {
    type == "rsa-sha2-256" || type == "rsa-sha2-512" ? "ssh-rsa" : type
  }

  /// Whether this line's names include `name` (already lowercased).
  private static func matches(_ entry: Entry, _ name: String) -> Bool {
    switch entry.names {
    case .patterns(let list):
      return SSHPattern.matchList(name, list, lowercasePatterns: true) == .positive
    case .hashed(let salt, let hash):
      let digest = OpenSSLDigest.hmacSHA1(key: salt, message: Array(name.utf8))
      return Data(digest).base64EncodedString() == hash
    }
  }

  /// Checks the key `name` offered. `name` is `SSHTarget.knownHostsName`: `host`, or
  /// `[host]:port` off port 22, which only lines with exactly that bracketed name match.
  public func verify(name: String, keyType: String, key: [UInt8]) -> HostKeyVerdict {
    let name = Self.lookupName(name)
    let type = Self.keyType(ofBlob: key) ?? Self.normalizedType(keyType)
    var known: String?
    var changed: String?
    for entry in entries {
      switch entry.marker {
      case .revoked:
        // A revoked key must never be accepted, whichever host the @revoked line names.
        if entry.key == key { return .revoked(at: entry.location) }
      case .certificateAuthority:
        continue
      case .none:
        guard entry.keyType == type, Self.matches(entry, name) else { continue }
        if entry.key == key {
          known = known ?? entry.location
        } else {
          changed = changed ?? entry.location
        }
      }
    }
    if let known { return .known(at: known) }
    if let changed { return .changed(knownAt: changed) }
    return .unknown
  }

  /// The key types known for `name`, in file order without repeats: libssh2 should ask the host
  /// for one of these first, or it may negotiate a type known_hosts cannot vouch for.
  public func keyTypes(for name: String) -> [String] {
    let name = Self.lookupName(name)
    var types: [String] = []
    for entry in entries where entry.marker == .none && !types.contains(entry.keyType) {
      if Self.matches(entry, name) { types.append(entry.keyType) }
    }
    return types
  }

  /// Appends `name keytype base64` (or the hashed `|1|salt|hash` form of the name) to `file`,
  /// creating missing directories with mode 0700 and the file with mode 0600, as `ssh` does when
  /// it learns a new host key.
  public static func append(
    to file: String, name: String, keyType: String, key: [UInt8], hashed: Bool
  ) throws(DeployError) {
    let path = SSHConfigExpansion.tilde(file, home: SSHLocalAccount.homeDirectory)
    let name = lookupName(name)
    // A space, comma or newline would split the line into other names or other lines.
    guard !name.isEmpty, !name.utf8.contains(where: { Array(" \t\r\n,#".utf8).contains($0) })
    else {
      throw .unsafeValue(
        what: "known_hosts name", value: name, reason: "it would not read back as one host name")
    }
    let type = Self.keyType(ofBlob: key) ?? normalizedType(keyType)
    guard !key.isEmpty, !type.isEmpty, !type.utf8.contains(where: { $0 <= 0x20 }) else {
      throw .unsafeValue(what: "host key type", value: type, reason: "not an SSH key type")
    }
    var names = name
    if hashed {
      // SystemRandomNumberGenerator reads the kernel's CSPRNG, as OpenSSH's arc4random does.
      let salt = (0..<20).map { _ in UInt8.random(in: .min ... .max) }
      let digest = OpenSSLDigest.hmacSHA1(key: salt, message: Array(name.utf8))
      names = "|1|\(Data(salt).base64EncodedString())|\(Data(digest).base64EncodedString())"
    }
    let entry = "\(names) \(type) \(Data(key).base64EncodedString())\n"

    try createParentDirectories(of: path, name: name)
    var fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if fd >= 0 {
      // The umask may have taken bits the file must have; never more than 0600 though.
      fchmod(fd, 0o600)
    } else if errno == EEXIST {
      fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
    }
    guard fd >= 0 else { throw failure(path, name, String(cString: strerror(errno))) }
    defer { close(fd) }
    var bytes = Array(entry.utf8)
    // A last line without its newline would swallow ours.
    let size = lseek(fd, 0, SEEK_END)
    if size > 0 {
      var last: UInt8 = 0
      if pread(fd, &last, 1, size - 1) == 1, last != UInt8(ascii: "\n") {
        bytes.insert(UInt8(ascii: "\n"), at: 0)
      }
    }
    // One write of the whole line: with O_APPEND, hosts that accept keys in parallel cannot
    // interleave their lines.
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else {
      throw failure(path, name, written < 0 ? String(cString: strerror(errno)) : "short write")
    }
  }

  private static func createParentDirectories(of path: String, name: String) throws(DeployError) {
    let parent = (path as NSString).deletingLastPathComponent
    guard !parent.isEmpty else { return }
    var current = parent.hasPrefix("/") ? "" : "."
    for component in parent.split(separator: "/") {
      current += "/" + component
      if mkdir(current, 0o700) == 0 {
        chmod(current, 0o700)
      } else if errno != EEXIST {
        throw failure(path, name, "cannot create \(current): \(String(cString: strerror(errno)))")
      }
    }
  }

  private static func failure(_ path: String, _ name: String, _ reason: String) -> DeployError {
    .configuration(SourceLocation(file: path), "cannot record the host key of \(name): \(reason)")
  }
}
