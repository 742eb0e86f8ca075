import Foundation
import Testing

@testable import DeploySSH
@testable import DeploySupport

@Suite struct SSHConfigTests {
  private let home = "/home/tester"

  private func options(
    _ text: String, host: String, user: String = "me", home: String? = nil
  ) throws -> SSHHostOptions {
    try SSHConfig.parse(text: text, file: "config", homeDirectory: home ?? self.home)
      .options(forHost: host, user: user)
  }

  /// The location and message of the error parsing `text` throws.
  private func failure(_ text: String) -> (location: DeploySupport.SourceLocation, message: String)?
  {
    do {
      _ = try SSHConfig.parse(text: text, file: "cfg", homeDirectory: home)
      return nil
    } catch {
      guard case .configuration(let location, let message) = error else { return nil }
      return (location, message)
    }
  }

  @Test func keywordsAreCaseInsensitiveAndTakeEqualsAndQuotes() throws {
    let result = try options(
      """
      HOSTNAME=example.org
      port = 2022
      user "deploy user"
        IdentityFile   '/keys/with space' # trailing comment
      identityfile /keys/escaped\\ space
      """, host: "x")
    #expect(result.hostName == "example.org")
    #expect(result.port == 2022)
    #expect(result.user == "deploy user")
    #expect(result.identityFiles == ["/keys/with space", "/keys/escaped space"])
  }

  @Test func firstValueWinsButIdentityFilesAccumulate() throws {
    let result = try options(
      """
      Host app
        User first
        IdentityFile /k/app
      Host *
        User second
        Port 22
        IdentityFile /k/default
        IdentityFile /k/app
        IdentitiesOnly yes
        HashKnownHosts no
      """, host: "app")
    #expect(result.user == "first")
    #expect(result.port == 22)
    #expect(result.identityFiles == ["/k/app", "/k/default"])
    #expect(result.identitiesOnly == true)
    #expect(result.hashKnownHosts == false)
  }

  @Test func hostPatterns() throws {
    let text = """
      Host *.internal !secret.internal
        User internal
      Host web-?
        User web
      Host a b c
        User abc
      Host !never
        User negated-only
      Host *
        Port 2200
      """
    #expect(try options(text, host: "db.internal").user == "internal")
    // A matching negation excludes the block even though `*.internal` matches.
    #expect(try options(text, host: "secret.internal").user == nil)
    #expect(try options(text, host: "web-1").user == "web")
    #expect(try options(text, host: "web-10").user == nil)
    #expect(try options(text, host: "b").user == "abc")
    // Host matching is case-sensitive, like OpenSSH's match_pattern.
    #expect(try options(text, host: "B").user == nil)
    #expect(try options(text, host: "other").user == nil)
    #expect(try options(text, host: "other").port == 2200)
  }

  @Test func tokensAndTilde() throws {
    let result = try options(
      """
      Host short
        HostName %h.Example.NET
        User admin
        Port 2022
        IdentityFile ~/.ssh/%h_%p_%r
        IdentityFile %d/keys/%u@%n%%
        IdentityFile none
        UserKnownHostsFile ~/.ssh/kh_%h /etc/kh_%n
      """, host: "short")
    #expect(result.hostName == "short.example.net")
    #expect(
      result.identityFiles == [
        "/home/tester/.ssh/short.example.net_2022_admin", "/home/tester/keys/me@short%",
      ])
    #expect(
      result.userKnownHostsFiles == ["/home/tester/.ssh/kh_short.example.net", "/etc/kh_short"])
  }

  @Test func defaultsUsedByTokens() throws {
    // Without User and Port, %r is the local user and %p 22; %h is the lowercased name.
    let result = try options("IdentityFile /k/%r-%p-%h\n", host: "MixedCase", user: "local")
    #expect(result.identityFiles == ["/k/local-22-mixedcase"])
    #expect(result.hostName == nil)
    #expect(try options("HostName 10.0.0.1\n", host: "x").hostName == "10.0.0.1")
  }

  @Test func userKnownHostsFileNone() throws {
    #expect(try options("UserKnownHostsFile none\n", host: "x").userKnownHostsFiles == [])
    #expect(try options("Port 22\n", host: "x").userKnownHostsFiles == nil)
    // Only the first line counts, even for a list.
    let result = try options("UserKnownHostsFile /a /b\nUserKnownHostsFile /c\n", host: "x")
    #expect(result.userKnownHostsFiles == ["/a", "/b"])
  }

  @Test(arguments: [
    ("yes", HostKeyPolicy.strict), ("true", .strict), ("ask", .strict), ("accept-new", .acceptNew),
    ("no", .off), ("off", .off), ("false", .off), ("Accept-New", .acceptNew),
  ])
  func strictHostKeyChecking(value: String, policy: HostKeyPolicy) throws {
    let result = try options("StrictHostKeyChecking \(value)\n", host: "x")
    #expect(result.strictHostKeyChecking == policy)
  }

  @Test(arguments: [("90", 90.0), ("1m30s", 90), ("2h", 7200), ("1W", 604_800), ("0", 0)])
  func connectTimeout(value: String, seconds: Double) throws {
    #expect(try options("ConnectTimeout \(value)\n", host: "x").connectTimeout == seconds)
  }

  @Test func connectTimeoutNoneLeavesItUnset() throws {
    let result = try options(
      "Host x\n  ConnectTimeout none\n  ServerAliveInterval none\nHost *\n  ConnectTimeout 4\n",
      host: "x")
    #expect(result.connectTimeout == 4)
    #expect(result.serverAliveInterval == nil)
  }

  @Test func proxyJumpAndProxyCommand() throws {
    let text = """
      Host jump
        ProxyJump alice@b1:2222,b2
      Host none
        ProxyJump none
      Host command
        ProxyCommand nc %h %p
      Host direct
        ProxyCommand none
      Host *
        ProxyJump fallback
        ProxyCommand later
      """
    let jump = try options(text, host: "jump")
    #expect(jump.proxyJump == ["alice@b1:2222", "b2"])
    #expect(jump.unsupported.isEmpty)
    #expect(try options(text, host: "none").proxyJump == [])
    // `ProxyJump none` does not stop a later ProxyCommand (measured with ssh -G).
    #expect(try options(text, host: "none").unsupported == ["ProxyCommand": "later"])
    let command = try options(text, host: "command")
    #expect(command.proxyJump == nil)
    #expect(command.unsupported == ["ProxyCommand": "nc %h %p"])
    let direct = try options(text, host: "direct")
    #expect(direct.proxyJump == nil)
    #expect(direct.unsupported.isEmpty)
    #expect(try options(text, host: "other").proxyJump == ["fallback"])
  }

  @Test func unsupportedKeywordsAreReported() throws {
    let text = """
      Host cert
        CertificateFile ~/.ssh/id_ed25519-cert.pub
      Host card
        PKCS11Provider /usr/lib/opensc-pkcs11.so
      Host sk
        SecurityKeyProvider /usr/lib/sk.so
      Host benign
        PKCS11Provider none
        AddressFamily any
        ForwardAgent no
        CanonicalizeHostname no
        IdentityAgent SSH_AUTH_SOCK
        ForwardX11 yes
        Ciphers aes256-gcm@openssh.com
      Host *
        AddressFamily inet6
        ForwardAgent yes
      """
    #expect(
      try options(text, host: "cert").unsupported == [
        "CertificateFile": "~/.ssh/id_ed25519-cert.pub", "AddressFamily": "inet6",
        "ForwardAgent": "yes",
      ])
    #expect(
      try options(text, host: "card").unsupported["PKCS11Provider"] == "/usr/lib/opensc-pkcs11.so")
    #expect(try options(text, host: "sk").unsupported["SecurityKeyProvider"] == "/usr/lib/sk.so")
    // First value wins for these too: the benign values shadow the `Host *` ones.
    #expect(try options(text, host: "benign").unsupported.isEmpty)
  }

  @Test func matchAllAndOtherCriteria() throws {
    let text = """
      Match all
        User everyone
      Match !all
        Port 1
      Match host *.corp exec "test -f /etc/corp"
        Port 2
      Host *
        Port 3
      """
    let result = try options(text, host: "a.corp")
    #expect(result.user == "everyone")
    // Criteria deploy cannot evaluate are not guessed: the block is skipped and reported.
    #expect(result.port == 3)
    #expect(result.unsupported == ["Match": "host *.corp exec \"test -f /etc/corp\""])
    #expect(try options("Port 5\n", host: "x").unsupported.isEmpty)
  }

  @Test(arguments: [
    ("Port abc\n", 1, 6, "bad port"),
    ("Host web\n  Port 70000\n", 2, 8, "bad port"),
    ("Host\n", 1, 1, "no argument"),
    ("User \"deploy\n", 1, 6, "invalid quotes"),
    ("# ok\nFrobnicate yes\n", 2, 1, "bad configuration option"),
    ("StrictHostKeyChecking maybe\n", 1, 23, "unsupported value"),
    ("User a b\n", 1, 8, "extra arguments"),
    ("ConnectTimeout soon\n", 1, 16, "invalid time"),
    ("ProxyJump a,:22\n", 1, 11, "invalid ProxyJump"),
    ("Match foo bar\n", 1, 7, "unsupported Match attribute"),
    ("\tIdentityFile \"\"\n", 1, 15, "missing argument"),
  ])
  func syntaxErrorsSayWhere(text: String, line: Int, column: Int, message: String) throws {
    let error = try #require(failure(text))
    #expect(error.location == DeploySupport.SourceLocation(file: "cfg", line: line, column: column))
    #expect(error.message.contains(message), "\(error.message)")
  }

  @Test func commentsBlankLinesAndUnusedKeywords() throws {
    let result = try options(
      """

      # a comment
        # an indented comment
      Host *   # trailing comment after the pattern
        SendEnv LANG LC_*
        ControlMaster auto
        ControlPath ~/.ssh/cm-%r@%h:%p
        ServerAliveInterval 30
        Protocol 2
      IgnoreUnknown UseKeychain,AddKeysToAgent
      UseKeychain yes
      """, host: "x")
    #expect(result.serverAliveInterval == 30)
    #expect(result.unsupported.isEmpty)
  }

  @Test func loadTreatsAMissingFileAsEmpty() throws {
    let config = try SSHConfig.load(path: "/nonexistent/deploy-test/config")
    #expect(config.options(forHost: "x") == SSHHostOptions())
  }

  @Test func includeFollowsGlobsRelativeToDotSSH() throws {
    let home = try OpenSSHTestKit.temporaryDirectory()
    defer { OpenSSHTestKit.remove(home) }
    try OpenSSHTestKit.write("Host *.b\n  User from-b\n", to: home + "/.ssh/config.d/b.conf")
    try OpenSSHTestKit.write("Host *.a\n  User from-a\n", to: home + "/.ssh/config.d/a.conf")
    try OpenSSHTestKit.write("Port 2000\n", to: home + "/.ssh/extra")
    try OpenSSHTestKit.write(
      """
      Include config.d/*.conf ~/.ssh/extra missing/*.conf
      Host *
        User fallback
      """, to: home + "/.ssh/config")
    let config = try SSHConfig.load(path: "~/.ssh/config", homeDirectory: home)
    #expect(config.file == home + "/.ssh/config")
    #expect(config.options(forHost: "x.a").user == "from-a")
    #expect(config.options(forHost: "x.b").user == "from-b")
    // `Host *.b` in b.conf ended with that file: `Port 2000` in extra applies to every host.
    #expect(config.options(forHost: "x.a").port == 2000)
    #expect(config.options(forHost: "y").user == "fallback")
  }

  @Test func includeErrorsPointIntoTheIncludedFile() throws {
    let home = try OpenSSHTestKit.temporaryDirectory()
    defer { OpenSSHTestKit.remove(home) }
    try OpenSSHTestKit.write("Host x\n  Port nope\n", to: home + "/.ssh/bad.conf")
    try OpenSSHTestKit.write("Include bad.conf\n", to: home + "/.ssh/config")
    let error = #expect(throws: DeployError.self) {
      try SSHConfig.load(path: home + "/.ssh/config", homeDirectory: home)
    }
    guard case .configuration(let location, _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(
      location == DeploySupport.SourceLocation(file: home + "/.ssh/bad.conf", line: 2, column: 8))
    // Writable by others: OpenSSH refuses to read it, and so does deploy.
    try OpenSSHTestKit.write("Port 1\n", to: home + "/.ssh/bad.conf", mode: 0o666)
    #expect(throws: DeployError.self) {
      try SSHConfig.load(path: home + "/.ssh/config", homeDirectory: home)
    }
  }

  @Test func recursiveIncludeStops() throws {
    let home = try OpenSSHTestKit.temporaryDirectory()
    defer { OpenSSHTestKit.remove(home) }
    try OpenSSHTestKit.write("Include \(home)/loop\n", to: home + "/loop")
    #expect(throws: DeployError.self) {
      try SSHConfig.load(path: home + "/loop", homeDirectory: home)
    }
  }

  @Test func hostKeyAliasIsLowercased() throws {
    #expect(try options("HostKeyAlias Web-Prod\n", host: "x").hostKeyAlias == "web-prod")
  }
}
