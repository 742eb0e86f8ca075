import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// Keys made with ssh-keygen in a scratch directory, removed when the test ends.
private final class KeyRing {
  typealias Key = (type: String, blob: [UInt8])

  let directory: String
  let edA: Key
  let edB: Key
  let ec256: Key
  let ec384: Key
  let rsa: Key

  init() throws {
    directory = try OpenSSHTestKit.temporaryDirectory()
    edA = try OpenSSHTestKit.generateKey(type: "ed25519", at: directory + "/ed-a")
    edB = try OpenSSHTestKit.generateKey(type: "ed25519", at: directory + "/ed-b")
    ec256 = try OpenSSHTestKit.generateKey(type: "ecdsa", bits: 256, at: directory + "/ec256")
    ec384 = try OpenSSHTestKit.generateKey(type: "ecdsa", bits: 384, at: directory + "/ec384")
    rsa = try OpenSSHTestKit.generateKey(type: "rsa", bits: 2048, at: directory + "/rsa")
  }

  deinit { OpenSSHTestKit.remove(directory) }

  /// `type base64` as a known_hosts line carries it.
  func field(_ key: Key) -> String { "\(key.type) \(Data(key.blob).base64EncodedString())" }

  func write(_ lines: [String], name: String = "known_hosts") throws -> String {
    let path = directory + "/" + name
    try OpenSSHTestKit.write(lines.joined(separator: "\n") + "\n", to: path)
    return path
  }

  /// Whether `ssh-keygen -F` finds any line for `name` in `file`.
  func sshKeygenFinds(_ name: String, in file: String) throws -> Bool {
    try OpenSSHTestKit.run("ssh-keygen", ["-F", name, "-f", file]).status == 0
  }

  /// The text of the line a `file:line` location points at.
  func line(at location: String) throws -> String {
    let separator = try #require(location.lastIndex(of: ":"))
    let file = String(location[..<separator])
    let number = try #require(Int(location[location.index(after: separator)...]))
    let lines = try String(contentsOfFile: file, encoding: .utf8).split(
      separator: "\n", omittingEmptySubsequences: false)
    return String(lines[number - 1])
  }
}

@Suite struct KnownHostsTests {
  @Test func fingerprintsMatchSSHKeygen() throws {
    let keys = try KeyRing()
    var files = ["ed-a", "ed-b", "ec256", "ec384", "rsa"]
    _ = try OpenSSHTestKit.generateKey(type: "ecdsa", bits: 521, at: keys.directory + "/ec521")
    files.append("ec521")
    for file in files {
      let path = keys.directory + "/" + file + ".pub"
      let listed = try OpenSSHTestKit.run("ssh-keygen", ["-l", "-E", "sha256", "-f", path])
      let expected = listed.stdout.split(separator: " ")[1]
      let fields = try String(contentsOfFile: path, encoding: .utf8).split(separator: " ")
      let blob = try #require(Data(base64Encoded: String(fields[1])))
      #expect(Fingerprint.sha256(Array(blob)) == String(expected), "\(file)")
    }
  }

  /// The same verdicts from a plain file and from the copy `ssh-keygen -H` hashed.
  @Test(arguments: [false, true])
  func verdicts(hashed: Bool) throws {
    let keys = try KeyRing()
    let file = try keys.write([
      "# known hosts",
      "",
      "host1.example.com,10.0.0.1 \(keys.field(keys.edA))",
      "host2.example.com \(keys.field(keys.edB))",
      "host2.example.com \(keys.field(keys.ec256)) with a comment",
      "[127.0.0.1]:2201 \(keys.field(keys.edA))",
      "127.0.0.1 \(keys.field(keys.edB))",
      "rsa.example.com \(keys.field(keys.rsa))",
    ])
    if hashed {
      let output = try OpenSSHTestKit.run("ssh-keygen", ["-H", "-f", file])
      try #require(output.status == 0, "\(output.stderr)")
      #expect(try String(contentsOfFile: file, encoding: .utf8).contains("|1|"))
    }
    let knownHosts = try KnownHosts.load(files: [file])

    /// The verdict, with the location checked to hold `at` (the key the line must carry).
    func check(
      _ name: String, _ key: KeyRing.Key, _ expected: String, at line: KeyRing.Key? = nil,
      sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
      let verdict = knownHosts.verify(name: name, keyType: key.type, key: key.blob)
      let location: String?
      switch verdict {
      case .known(let at):
        #expect(expected == "known", "\(name): \(verdict)", sourceLocation: sourceLocation)
        location = at
      case .changed(let at):
        #expect(expected == "changed", "\(name): \(verdict)", sourceLocation: sourceLocation)
        location = at
      case .unknown:
        #expect(expected == "unknown", "\(name): \(verdict)", sourceLocation: sourceLocation)
        location = nil
      case .revoked:
        Issue.record("\(name): \(verdict)", sourceLocation: sourceLocation)
        location = nil
      }
      if let location, let line {
        #expect(
          try keys.line(at: location).contains(Data(line.blob).base64EncodedString()),
          sourceLocation: sourceLocation)
      }
    }

    try check("host1.example.com", keys.edA, "known", at: keys.edA)
    try check("10.0.0.1", keys.edA, "known", at: keys.edA)
    try check("HOST1.Example.com", keys.edA, "known", at: keys.edA)
    try check("host1.example.com", keys.edB, "changed", at: keys.edA)
    // Only other key types are known for host1: unknown for this one, not changed.
    try check("host1.example.com", keys.ec256, "unknown")
    try check("host2.example.com", keys.ec256, "known", at: keys.ec256)
    try check("host2.example.com", keys.edB, "known", at: keys.edB)
    // nistp384 is a type of its own.
    try check("host2.example.com", keys.ec384, "unknown")
    // Off port 22 only the bracketed name counts, never the bare address's line.
    try check("[127.0.0.1]:2201", keys.edA, "known", at: keys.edA)
    try check("[127.0.0.1]:2201", keys.edB, "changed", at: keys.edA)
    try check("127.0.0.1", keys.edB, "known", at: keys.edB)
    try check("127.0.0.1", keys.edA, "changed", at: keys.edB)
    try check("[127.0.0.1]:2202", keys.edB, "unknown")
    try check("rsa.example.com", keys.rsa, "known", at: keys.rsa)
    try check("nowhere.example.com", keys.edA, "unknown")

    #expect(
      knownHosts.keyTypes(for: "host2.example.com") == ["ssh-ed25519", "ecdsa-sha2-nistp256"])
    #expect(knownHosts.keyTypes(for: "[127.0.0.1]:2201") == ["ssh-ed25519"])
    #expect(knownHosts.keyTypes(for: "rsa.example.com") == ["ssh-rsa"])
    #expect(knownHosts.keyTypes(for: "[127.0.0.1]:2202") == [])
    // OpenSSH finds a line exactly for the names that have key types here.
    for name in [
      "host1.example.com", "10.0.0.1", "host2.example.com", "[127.0.0.1]:2201", "127.0.0.1",
      "[127.0.0.1]:2202", "nowhere.example.com", "rsa.example.com",
    ] {
      #expect(
        try keys.sshKeygenFinds(name, in: file) == !knownHosts.keyTypes(for: name).isEmpty,
        "\(name)")
    }
  }

  @Test func markers() throws {
    let keys = try KeyRing()
    let file = try keys.write([
      "revoked.example \(keys.field(keys.edA))",
      "@revoked * \(keys.field(keys.edA))",
      "@revoked elsewhere.example \(keys.field(keys.ec384))",
      "@cert-authority *.example \(keys.field(keys.edB))",
      "ca.example \(keys.field(keys.ec256))",
      "ca.example \(keys.field(keys.ec384))",
    ])
    let knownHosts = try KnownHosts.load(files: [file])
    // Revoked wins over a line that knows the key.
    let revoked = knownHosts.verify(
      name: "revoked.example", keyType: "ssh-ed25519", key: keys.edA.blob)
    #expect(revoked == .revoked(at: file + ":2"))
    #expect(
      knownHosts.verify(name: "any.host", keyType: "ssh-ed25519", key: keys.edA.blob)
        == .revoked(at: file + ":2"))
    // A revoked key is refused whichever host its @revoked line names.
    #expect(
      knownHosts.verify(name: "ca.example", keyType: keys.ec384.type, key: keys.ec384.blob)
        == .revoked(at: file + ":3"))
    // A CA key is not a host key.
    #expect(
      knownHosts.verify(name: "ca.example", keyType: "ssh-ed25519", key: keys.edB.blob) == .unknown)
    #expect(
      knownHosts.verify(name: "ca.example", keyType: keys.ec256.type, key: keys.ec256.blob)
        == .known(at: file + ":5"))
    #expect(knownHosts.keyTypes(for: "ca.example") == [keys.ec256.type, keys.ec384.type])
    #expect(knownHosts.keyTypes(for: "revoked.example") == ["ssh-ed25519"])
  }

  @Test func wildcardsAndNegation() throws {
    let keys = try KeyRing()
    let file = try keys.write([
      "*.example.com,!bad.example.com \(keys.field(keys.edA))",
      "web-? \(keys.field(keys.edA))",
      "[10.0.0.*]:2222 \(keys.field(keys.edA))",
      "Mixed.CASE.org \(keys.field(keys.edA))",
    ])
    let knownHosts = try KnownHosts.load(files: [file])
    let expectations: [(String, Bool)] = [
      ("good.example.com", true), ("bad.example.com", false), ("example.com", false),
      ("web-1", true), ("web-12", false), ("[10.0.0.9]:2222", true), ("10.0.0.9", false),
      ("[10.0.0.9]:22", false), ("mixed.case.org", true), ("MIXED.case.ORG", true),
    ]
    for (name, known) in expectations {
      let verdict = knownHosts.verify(name: name, keyType: "ssh-ed25519", key: keys.edA.blob)
      #expect((verdict != .unknown) == known, "\(name): \(verdict)")
      // ssh-keygen looks names up as given; ssh lowercases them first.
      #expect(try keys.sshKeygenFinds(name.lowercased(), in: file) == known, "\(name)")
    }
  }

  @Test func malformedLinesAreSkipped() throws {
    let keys = try KeyRing()
    let good = Data(keys.edA.blob).base64EncodedString()
    let file = try keys.write([
      "garbage",
      "host-x ssh-ed25519",
      "host-x ssh-ed25519 !!!not-base64!!!",
      "host-x ssh-rsa \(good)",
      "@bogus host-x ssh-ed25519 \(good)",
      "@revoked @revoked host-x ssh-ed25519 \(good)",
      "|1|c2hvcnQ=|AAAA host-x ssh-ed25519 \(good)",
      "host-x # ssh-ed25519 \(good)",
      "   host-x\tssh-ed25519   \(good)   the comment\r",
    ])
    let knownHosts = try KnownHosts.load(files: [file])
    #expect(
      knownHosts.verify(name: "host-x", keyType: "ssh-ed25519", key: keys.edA.blob)
        == .known(at: file + ":9"))
    #expect(knownHosts.keyTypes(for: "host-x") == ["ssh-ed25519"])
  }

  @Test func severalFilesAndMissingOnes() throws {
    let keys = try KeyRing()
    let first = try keys.write(["a.example \(keys.field(keys.edA))"], name: "first")
    let second = try keys.write(
      ["# second", "b.example \(keys.field(keys.edB))", "a.example \(keys.field(keys.ec256))"],
      name: "second")
    let knownHosts = try KnownHosts.load(files: [
      keys.directory + "/missing", first, "/nonexistent-dir/known_hosts", second,
    ])
    #expect(
      knownHosts.verify(name: "b.example", keyType: "ssh-ed25519", key: keys.edB.blob)
        == .known(at: second + ":2"))
    #expect(knownHosts.keyTypes(for: "a.example") == ["ssh-ed25519", keys.ec256.type])
    #expect(try KnownHosts.load(files: []).keyTypes(for: "a.example") == [])
  }

  @Test func rsaSignatureNamesMeanRSAKeys() throws {
    let keys = try KeyRing()
    let blob = Data(keys.rsa.blob).base64EncodedString()
    let file = try keys.write(["sha2.example rsa-sha2-512 \(blob)"])
    let knownHosts = try KnownHosts.load(files: [file])
    #expect(
      knownHosts.verify(name: "sha2.example", keyType: "rsa-sha2-256", key: keys.rsa.blob)
        == .known(at: file + ":1"))
    #expect(knownHosts.keyTypes(for: "sha2.example") == ["ssh-rsa"])
  }

  @Test(arguments: [false, true])
  func appendWritesWhatOpenSSHReads(hashed: Bool) throws {
    let keys = try KeyRing()
    let directory = keys.directory + "/new/.ssh"
    let file = directory + "/known_hosts"
    try KnownHosts.append(
      to: file, name: "[127.0.0.1]:2201", keyType: "ssh-ed25519", key: keys.edA.blob,
      hashed: hashed)
    try KnownHosts.append(
      to: file, name: "Plain.Example", keyType: keys.ec256.type, key: keys.ec256.blob,
      hashed: hashed)

    let attributes = try FileManager.default.attributesOfItem(atPath: file)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    let directoryAttributes = try FileManager.default.attributesOfItem(atPath: directory)
    #expect((directoryAttributes[.posixPermissions] as? Int) == 0o700)
    let text = try String(contentsOfFile: file, encoding: .utf8)
    #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("|1|") == hashed })

    for (name, key) in [("[127.0.0.1]:2201", keys.edA), ("plain.example", keys.ec256)] {
      let found = try OpenSSHTestKit.run("ssh-keygen", ["-F", name, "-f", file])
      #expect(found.status == 0, "\(name)")
      #expect(found.stdout.contains(Data(key.blob).base64EncodedString()), "\(name)")
    }
    #expect(try !keys.sshKeygenFinds("127.0.0.1", in: file))

    let knownHosts = try KnownHosts.load(files: [file])
    #expect(
      knownHosts.verify(name: "[127.0.0.1]:2201", keyType: "ssh-ed25519", key: keys.edA.blob)
        == .known(at: file + ":1"))
    #expect(
      knownHosts.verify(name: "plain.example", keyType: keys.ec256.type, key: keys.ec256.blob)
        == .known(at: file + ":2"))
  }

  @Test func appendAfterALastLineWithoutNewline() throws {
    let keys = try KeyRing()
    let file = keys.directory + "/kh"
    try OpenSSHTestKit.write("a.example \(keys.field(keys.edA))", to: file)
    try KnownHosts.append(
      to: file, name: "b.example", keyType: "ssh-ed25519", key: keys.edB.blob, hashed: false)
    let knownHosts = try KnownHosts.load(files: [file])
    #expect(
      knownHosts.verify(name: "a.example", keyType: "ssh-ed25519", key: keys.edA.blob)
        == .known(at: file + ":1"))
    #expect(
      knownHosts.verify(name: "b.example", keyType: "ssh-ed25519", key: keys.edB.blob)
        == .known(at: file + ":2"))
  }

  @Test func appendRefusesNamesThatWouldCorruptTheFile() throws {
    let keys = try KeyRing()
    for name in ["a b", "a,b", "a\nb", ""] {
      #expect(throws: DeployError.self) {
        try KnownHosts.append(
          to: keys.directory + "/kh", name: name, keyType: "ssh-ed25519", key: keys.edA.blob,
          hashed: false)
      }
    }
  }
}
