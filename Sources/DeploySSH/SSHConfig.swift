import DeploySupport
import Foundation

/// An OpenSSH client configuration (`~/.ssh/config` or a file given with `-F`), resolved per host
/// with OpenSSH 9.2's rules so that the in-process libssh2 transport connects where `ssh` would:
/// `Host` blocks with wildcards and negation, first value wins (identity files accumulate),
/// `Include`, `Match all`, `~` and `%` tokens.
public struct SSHConfig: Sendable {
  let lines: [SSHConfigLine]
  /// The file the configuration was read from, for messages.
  public let file: String
  /// The home directory `~`, `%d` and relative `Include`s refer to.
  public let homeDirectory: String

  /// An empty configuration: every host gets OpenSSH's defaults.
  public init() {
    self.init(lines: [], file: "", homeDirectory: SSHLocalAccount.homeDirectory)
  }

  init(lines: [SSHConfigLine], file: String, homeDirectory: String) {
    self.lines = lines
    self.file = file
    self.homeDirectory = homeDirectory
  }

  /// Reads `path` (a leading `~` is expanded). A missing file is an empty configuration, as
  /// OpenSSH treats a missing `~/.ssh/config`.
  /// - Parameter homeDirectory: what `~` means; the passwd home directory when nil, as in `ssh`.
  public static func load(path: String, homeDirectory: String? = nil) throws(DeployError)
    -> SSHConfig
  {
    let home = homeDirectory ?? SSHLocalAccount.homeDirectory
    let expanded = SSHConfigExpansion.tilde(path, home: home)
    guard let contents = try SSHLocalFile.read(expanded) else {
      return SSHConfig(lines: [], file: expanded, homeDirectory: home)
    }
    var parser = SSHConfigParser(homeDirectory: home)
    let lines = try parser.parse(contents.bytes, file: expanded, depth: 0)
    return SSHConfig(lines: lines, file: expanded, homeDirectory: home)
  }

  /// Parses configuration text; `file` names it in error messages.
  public static func parse(text: String, file: String, homeDirectory: String? = nil)
    throws(DeployError) -> SSHConfig
  {
    let home = homeDirectory ?? SSHLocalAccount.homeDirectory
    var parser = SSHConfigParser(homeDirectory: home)
    let lines = try parser.parse(Array(text.utf8), file: file, depth: 0)
    return SSHConfig(lines: lines, file: file, homeDirectory: home)
  }

  /// What the configuration says for `host` (the name as given to `ssh`, before HostName).
  /// - Parameter localUser: the local account name for `%u` and the default remote user; the
  ///   current user when nil.
  public func options(forHost host: String, user localUser: String? = nil) -> SSHHostOptions {
    var state = Resolution()
    var active = true
    Self.walk(lines, host: host, active: &active, neverMatch: false, state: &state)
    return state.options(
      host: host, localUser: localUser ?? SSHLocalAccount.userName, home: homeDirectory)
  }

  /// `read_config_file_depth` over parsed lines: `active` is whether the current block applies.
  private static func walk(
    _ lines: [SSHConfigLine], host: String, active: inout Bool, neverMatch: Bool,
    state: inout Resolution
  ) {
    for line in lines {
      switch line.kind {
      case .host(let patterns):
        active = false
        // Included from an inactive block: OpenSSH reads the file only to check it.
        if neverMatch { continue }
        for pattern in patterns where SSHPattern.matches(host, pattern.pattern) {
          if pattern.negated {
            active = false
            break
          }
          active = true
        }
      case .match(.all(let negated)):
        active = !neverMatch && !negated
      case .match(.unsupported(let criteria)):
        // Whether the block applies cannot be known here, so its settings are left out and the
        // caller is told to let OpenSSH resolve this host instead.
        active = false
        if !neverMatch, state.unsupported["Match"] == nil {
          state.unsupported["Match"] = criteria
        }
      case .include(let files):
        let outer = active
        for file in files {
          walk(
            file.lines, host: host, active: &active, neverMatch: neverMatch || !outer, state: &state
          )
          // A Host or Match inside an included file ends with that file.
          active = outer
        }
      case .setting(let setting):
        if active { state.apply(setting) }
      }
    }
  }
}

/// What ssh_config says about one host. nil (or empty) means the configuration does not set it,
/// so the inventory, the command line or OpenSSH's default decides.
public struct SSHHostOptions: Sendable, Hashable {
  /// HostName with `%h` expanded, lowercased unless it is an address (as `ssh` connects to it).
  public var hostName: String?
  public var port: Int?
  public var user: String?
  /// IdentityFile entries in order, duplicates and `none` dropped, `~`, `%` and `${VAR}` expanded.
  public var identityFiles: [String]
  public var identitiesOnly: Bool?
  /// UserKnownHostsFile, expanded; `[]` for `none`.
  public var userKnownHostsFiles: [String]?
  /// `yes` and `ask` are `.strict` (deploy never asks), `accept-new`, `no`/`off` is `.off`.
  public var strictHostKeyChecking: HostKeyPolicy?
  /// Seconds; nil when unset or `none`.
  public var connectTimeout: Double?
  /// ProxyJump hops, first hop first; `[]` for `none`. nil when unset or when a ProxyCommand came
  /// first; a ProxyCommand in effect is listed in `unsupported`.
  public var proxyJump: [String]?
  public var serverAliveInterval: Int?
  public var hashKnownHosts: Bool?
  /// HostKeyAlias, lowercased: the name to look up in known_hosts instead of the host's.
  public var hostKeyAlias: String?
  /// Keywords in effect for this host that the libssh2 transport does not implement, with their
  /// values (`ProxyCommand`, `CertificateFile`, `PKCS11Provider`, `Match` with its criteria…).
  /// Non-empty means: connect to this host with the OpenSSH transport.
  public var unsupported: [String: String]

  public init(
    hostName: String? = nil, port: Int? = nil, user: String? = nil, identityFiles: [String] = [],
    identitiesOnly: Bool? = nil, userKnownHostsFiles: [String]? = nil,
    strictHostKeyChecking: HostKeyPolicy? = nil, connectTimeout: Double? = nil,
    proxyJump: [String]? = nil, serverAliveInterval: Int? = nil, hashKnownHosts: Bool? = nil,
    hostKeyAlias: String? = nil, unsupported: [String: String] = [:]
  ) {
    self.hostName = hostName
    self.port = port
    self.user = user
    self.identityFiles = identityFiles
    self.identitiesOnly = identitiesOnly
    self.userKnownHostsFiles = userKnownHostsFiles
    self.strictHostKeyChecking = strictHostKeyChecking
    self.connectTimeout = connectTimeout
    self.proxyJump = proxyJump
    self.serverAliveInterval = serverAliveInterval
    self.hashKnownHosts = hashKnownHosts
    self.hostKeyAlias = hostKeyAlias
    self.unsupported = unsupported
  }
}

/// The raw values collected while walking the configuration, before token expansion.
private struct Resolution {
  var hostName: String?
  var port: Int?
  var user: String?
  var identityFiles: [String] = []
  var identitiesOnly: Bool?
  var userKnownHostsFiles: [String]?
  var strictHostKeyChecking: HostKeyPolicy?
  var connectTimeout: Int?
  var serverAliveInterval: Int?
  var hashKnownHosts: Bool?
  var hostKeyAlias: String?
  var proxyCommand: String?
  var proxyJump: [String]?
  var others: [String: String] = [:]
  var unsupported: [String: String] = [:]

  mutating func apply(_ setting: SSHConfigSetting) {
    switch setting {
    case .hostName(let value): hostName = hostName ?? value
    case .port(let value): port = port ?? value
    case .user(let value): user = user ?? value
    case .identityFile(let value):
      if !identityFiles.contains(value) { identityFiles.append(value) }
    case .certificateFile(let value):
      if unsupported["CertificateFile"] == nil { unsupported["CertificateFile"] = value }
    case .identitiesOnly(let value): identitiesOnly = identitiesOnly ?? value
    case .userKnownHostsFiles(let value): userKnownHostsFiles = userKnownHostsFiles ?? value
    case .strictHostKeyChecking(let value):
      strictHostKeyChecking = strictHostKeyChecking ?? value
    case .connectTimeout(let value): connectTimeout = connectTimeout ?? value
    case .serverAliveInterval(let value): serverAliveInterval = serverAliveInterval ?? value
    case .hashKnownHosts(let value): hashKnownHosts = hashKnownHosts ?? value
    case .hostKeyAlias(let value): hostKeyAlias = hostKeyAlias ?? value
    case .proxyCommand(let command):
      proxyCommand = proxyCommand ?? command
    case .proxyJump(let hops):
      // Measured against ssh 9.2 (Debian): a ProxyCommand seen first disables ProxyJump; a
      // ProxyJump with hops disables any later ProxyCommand; `ProxyJump none` does not.
      guard proxyCommand == nil, proxyJump == nil else { return }
      proxyJump = hops
      if !hops.isEmpty { proxyCommand = "none" }
    case .other(let keyword, let value, let isUnsupported):
      guard others[keyword] == nil else { return }
      others[keyword] = value
      if isUnsupported { unsupported[keyword] = value }
    }
  }

  func options(host: String, localUser: String, home: String) -> SSHHostOptions {
    // ssh.c: HostName takes %h (the name given), then non-addresses are lowercased.
    // A value ssh would stop on (an unknown %-token, an unset ${VAR}) is not guessed at: it is
    // reported, so that the host goes to the OpenSSH transport and ssh says what is wrong.
    var unsupported = self.unsupported
    var given = host
    if let hostName {
      if let expanded = SSHConfigExpansion.percent(hostName, tokens: ["h": host]) {
        given = expanded
      } else {
        given = hostName
        unsupported["HostName"] = hostName
      }
    }
    let remoteHost = SSHConfigExpansion.isAddress(given) ? given : SSHPattern.asciiLowercased(given)
    let alias = hostKeyAlias.map(SSHPattern.asciiLowercased)
    let remotePort = port ?? 22
    let remoteUser = user ?? localUser
    let localHost = SSHLocalAccount.hostName
    let tokens: [Character: String] = [
      "C": SSHConfigExpansion.connectionHash(
        localHost: localHost, host: remoteHost, port: remotePort, user: remoteUser),
      "L": String(localHost.prefix(while: { $0 != "." })),
      "i": String(SSHLocalAccount.userID),
      "k": alias ?? host,
      "l": localHost,
      "n": host,
      "p": String(remotePort),
      "d": home,
      "h": remoteHost,
      "r": remoteUser,
      "u": localUser,
    ]
    let environment = ProcessInfo.processInfo.environment
    func expand(_ path: String, keyword: String) -> String {
      if let tilded = SSHConfigExpansion.expandTilde(path, home: home),
        let expanded = SSHConfigExpansion.percent(
          tilded, tokens: tokens, environment: environment)
      {
        return expanded
      }
      unsupported[keyword] = unsupported[keyword] ?? path
      return path
    }
    var knownHosts = userKnownHostsFiles
    if let files = knownHosts {
      knownHosts =
        files.first.map(SSHPattern.asciiLowercased) == "none"
        ? [] : files.map { expand($0, keyword: "UserKnownHostsFile") }
    }
    let identities = identityFiles.filter { SSHPattern.asciiLowercased($0) != "none" }
      .map { expand($0, keyword: "IdentityFile") }
    if let proxyCommand, SSHPattern.asciiLowercased(proxyCommand) != "none" {
      unsupported["ProxyCommand"] = proxyCommand
    }
    return SSHHostOptions(
      hostName: hostName == nil ? nil : remoteHost,
      port: port,
      user: user,
      identityFiles: identities,
      identitiesOnly: identitiesOnly,
      userKnownHostsFiles: knownHosts,
      strictHostKeyChecking: strictHostKeyChecking,
      connectTimeout: connectTimeout.map(Double.init),
      proxyJump: proxyJump,
      serverAliveInterval: serverAliveInterval,
      hashKnownHosts: hashKnownHosts,
      hostKeyAlias: alias,
      unsupported: unsupported)
  }
}
