import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployConfig
@testable import DeployInventory
@testable import DeploySSH

/// Runs the installed OpenSSH tools, the reference these tests hold SSHConfig and KnownHosts to.
enum OpenSSHTestKit {
  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ tool: String, _ arguments: [String]) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes before waiting: a full pipe would otherwise block the tool forever.
    let errData = ReadAll(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData.wait(), as: UTF8.self))
  }

  /// A fresh directory under the system temporary directory.
  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "deploy-ssh-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  static func remove(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }

  static func write(_ text: String, to path: String, mode: Int = 0o644) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
  }

  /// `ssh -G -F file host` as keyword → values (keywords repeat, e.g. identityfile).
  static func resolved(configFile: String, host: String) throws -> [String: [String]] {
    let output = try run("ssh", ["-G", "-F", configFile, host])
    guard output.status == 0 else {
      throw ToolFailure(message: "ssh -G failed: \(output.stderr)")
    }
    var result: [String: [String]] = [:]
    for line in output.stdout.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1)
      result[String(parts[0]), default: []].append(parts.count > 1 ? String(parts[1]) : "")
    }
    return result
  }

  /// Generates a key pair without passphrase; returns the public key's type and blob.
  static func generateKey(type: String, bits: Int? = nil, at path: String) throws -> (
    type: String, blob: [UInt8]
  ) {
    var arguments = ["-q", "-t", type, "-N", "", "-f", path]
    if let bits { arguments += ["-b", String(bits)] }
    let output = try run("ssh-keygen", arguments)
    guard output.status == 0 else { throw ToolFailure(message: output.stderr) }
    let fields = try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ")
    guard fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])) else {
      throw ToolFailure(message: "unreadable public key \(path).pub")
    }
    return (String(fields[0]), Array(blob))
  }

  struct ToolFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }
}

/// Drains a pipe on another thread so that the other pipe can be read meanwhile.
private final class ReadAll: @unchecked Sendable {
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)

  init(_ handle: FileHandle) {
    Thread.detachNewThread { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }
  }

  func wait() -> Data {
    done.wait()
    return data
  }
}

/// SSHConfig's answers next to `ssh -G`'s for the same files and hosts.
@Suite struct SSHConfigOpenSSHTests {
  /// Compares the keywords deploy uses. Paths in IdentityFile carry no tokens here because
  /// `ssh -G` prints them unexpanded; UserKnownHostsFile, which it prints expanded, carries them.
  private func compare(_ text: String, hosts: [String]) throws {
    let directory = try OpenSSHTestKit.temporaryDirectory()
    defer { OpenSSHTestKit.remove(directory) }
    let path = directory + "/config"
    try OpenSSHTestKit.write(text, to: path)
    let config = try SSHConfig.load(path: path)
    for host in hosts {
      let ssh = try OpenSSHTestKit.resolved(configFile: path, host: host)
      let ours = config.options(forHost: host)
      let context = Comment(rawValue: "host \(host)")
      #expect(ours.hostName ?? host.lowercased() == ssh["hostname"]?.first, context)
      #expect(String(ours.port ?? 22) == ssh["port"]?.first, context)
      if let user = ours.user { #expect(user == ssh["user"]?.first, context) }
      if ours.identityFiles.isEmpty {
        #expect(ssh["identityfile"]?.contains("~/.ssh/id_ed25519") == true, context)
      } else {
        #expect(ours.identityFiles == ssh["identityfile"], context)
      }
      let strict: String? =
        switch ours.strictHostKeyChecking {
        case .strict: "true"
        case .acceptNew: "accept-new"
        case .off: "false"
        case nil: nil
        }
      if let strict {
        // `ask` is strict for deploy; ssh prints it as `ask`.
        #expect([strict, "ask"].contains(ssh["stricthostkeychecking"]?.first ?? ""), context)
      } else {
        #expect(ssh["stricthostkeychecking"] == ["ask"], context)
      }
      #expect(
        ours.connectTimeout.map { String(Int($0)) } ?? "none" == ssh["connecttimeout"]?.first,
        context)
      // ssh -G prints nothing for `ProxyJump none`.
      let jump = ours.proxyJump.flatMap { $0.isEmpty ? nil : $0.joined(separator: ",") }
      #expect(jump == ssh["proxyjump"]?.first, context)
      #expect(ours.unsupported["ProxyCommand"] == ssh["proxycommand"]?.first, context)
      if let files = ours.userKnownHostsFiles, !files.isEmpty {
        #expect(files.joined(separator: " ") == ssh["userknownhostsfile"]?.first, context)
      }
      if let alias = ours.hostKeyAlias { #expect([alias] == ssh["hostkeyalias"], context) }
      #expect(
        String(ours.serverAliveInterval ?? 0) == ssh["serveraliveinterval"]?.first, context)
    }
  }

  @Test func hostBlocksAndFirstValueWins() throws {
    try compare(
      """
      # deploy targets
      Host web-?? !web-99
        HostName %h.Example.COM
        User deploy
        Port 2201
        IdentityFile /keys/web
      Host db* "quoted host"
        HostName 10.0.0.7
        Port=2202
        User=dba
        IdentityFile /keys/db
        StrictHostKeyChecking accept-new
      Host *
        User nobody
        Port 2299
        IdentityFile /keys/default
        IdentityFile /keys/web
        ConnectTimeout 1m5s
        StrictHostKeyChecking yes
        ServerAliveInterval 15
      """,
      hosts: ["web-01", "web-99", "db1", "quoted", "other", "WEB-01"])
  }

  @Test func proxies() throws {
    try compare(
      """
      Host jumped
        ProxyJump admin@bastion:2222,second
      Host piped
        ProxyCommand nc %h %p
        ProxyJump ignored
      Host direct
        ProxyJump none
      Host none-then-command
        ProxyJump none
        ProxyCommand ssh -W %h:%p gateway
      Host uri
        ProxyJump ssh://admin@bastion:2200
      Host *
        ProxyJump fallback
      """,
      hosts: ["jumped", "piped", "direct", "none-then-command", "uri", "anything"])
  }

  @Test func tokensInKnownHostsFilesAndAliases() throws {
    try compare(
      """
      Host alias
        HostName real.example.com
        HostKeyAlias Alias-Key
        User remote
        Port 2022
      Host *
        UserKnownHostsFile ~/kh/%h-%p-%r-%u-%n %d/kh2/%%-%k-%C-%L-%l-%i /abs
        StrictHostKeyChecking no
        ConnectTimeout 7
      """,
      hosts: ["alias", "plain.host", "10.1.2.3"])
  }

  @Test func matchAllAndIncludes() throws {
    let directory = try OpenSSHTestKit.temporaryDirectory()
    defer { OpenSSHTestKit.remove(directory) }
    try OpenSSHTestKit.write(
      "Host inc\n  HostName included.example\n  Port 2400\n", to: directory + "/conf.d/10-a.conf")
    try OpenSSHTestKit.write(
      "User from-b\nHost other\n  Port 9\n", to: directory + "/conf.d/20-b.conf")
    try compare(
      """
      Host inc
        Include \(directory)/conf.d/*.conf
        IdentityFile /keys/after-include
      Match all
        ConnectTimeout 3
      Host nowhere
        Include \(directory)/conf.d/20-b.conf
      Match !all
        Port 1
      """,
      hosts: ["inc", "other", "nowhere"])
  }

  /// Lines ssh refuses must be refused here too, and lines ssh accepts accepted.
  @Test(arguments: [
    ("Port abc", false), ("Port 0", false), ("Port 65536", false), ("Port ssh", true),
    ("Host", false), ("Host \"\"", false), ("User \"unterminated", false),
    ("Frobnicate yes", false), ("IgnoreUnknown Frob*\nFrobnicate yes", true),
    ("StrictHostKeyChecking maybe", false), ("ConnectTimeout 5x", false),
    ("ConnectTimeout none", true), ("IdentitiesOnly yes please", false),
    ("Match host", false), ("Match foo bar", false), ("Match all host x", false),
    ("Match user me exec true", true), ("ProxyJump user@:22", false), ("ProxyJump h:0", false),
    ("ForwardX11 yes\nCiphers aes128-ctr\nSendEnv LANG LC_*\nSetEnv A=1", true),
    ("SetEnv A", false), ("Compression maybe", false), ("EscapeChar ^A", true),
    ("Cipher blowfish", true), ("  # only a comment", true), ("HostName =x", true),
    ("UserKnownHostsFile none /x", false), ("LocalForward 8080", false),
    ("ServerAliveCountMax -1", false), ("GSSAPIKeyExchange yes", true),
  ])
  func acceptsWhatSSHAccepts(line: String, valid: Bool) throws {
    let directory = try OpenSSHTestKit.temporaryDirectory()
    defer { OpenSSHTestKit.remove(directory) }
    let path = directory + "/config"
    try OpenSSHTestKit.write(line + "\n", to: path)
    let ssh = try OpenSSHTestKit.run("ssh", ["-G", "-F", path, "host"])
    #expect((ssh.status == 0) == valid, "ssh: \(ssh.stderr)")
    var ours = true
    do { _ = try SSHConfig.load(path: path) } catch { ours = false }
    #expect(ours == valid)
  }
}
