import HostShell

/// Every keyword OpenSSH 9.2 (as Debian builds it) accepts in a client config, with the argument
/// shape it checks. deploy uses a dozen of them; the rest are still validated the way `ssh` does,
/// so a config that `ssh` refuses is refused here too instead of half-working in one transport.
enum SSHConfigKeyword {
  enum Syntax {
    /// `yes`/`no`/`true`/`false`.
    case flag
    /// One of a fixed set of words, case-insensitively.
    case choice([String])
    /// A non-negative integer.
    case integer
    /// A time interval (`90`, `1m30s`) or `none`.
    case time
    /// Exactly one non-empty word.
    case word
    /// Any number of words, each non-empty; `none` only alone.
    case words
    /// Between `min` and `max` words, otherwise unchecked (forwardings, IPQoS…).
    case count(min: Int, max: Int)
    /// The rest of the line verbatim, handed to a shell or parsed separately.
    case command
    /// Deprecated or compiled-out options: OpenSSH logs and skips them.
    case ignored
    /// Host, Match, Include, Port, ProxyJump and other keywords with their own rules.
    case special
  }

  struct Spec {
    var name: String
    var syntax: Syntax
  }

  static func spec(_ lowercased: String) -> Spec? { table[lowercased] }

  private static let flagWords = ["yes", "no", "true", "false"]
  private static let askWords = flagWords + ["ask"]

  private static let table: [String: Spec] = {
    let entries: [(String, Syntax)] = [
      // Structure.
      ("Host", .special), ("Match", .special), ("Include", .special),
      // The ones deploy reads.
      ("HostName", .word), ("Port", .special), ("User", .word), ("IdentityFile", .special),
      ("IdentityFile2", .special), ("IdentitiesOnly", .flag), ("UserKnownHostsFile", .words),
      (
        "StrictHostKeyChecking",
        .choice(["yes", "no", "true", "false", "ask", "off", "accept-new"])
      ),
      ("ConnectTimeout", .time), ("ProxyJump", .special), ("ProxyCommand", .command),
      ("ServerAliveInterval", .time), ("HashKnownHosts", .flag), ("HostKeyAlias", .word),
      ("CertificateFile", .special),
      // Debian's keepalive patch: both are spellings of ServerAliveInterval.
      ("ProtocolKeepAlives", .time), ("SetupTimeOut", .time),
      // Flags.
      ("ForwardX11", .flag), ("ForwardX11Trusted", .flag), ("GatewayPorts", .flag),
      ("ExitOnForwardFailure", .flag), ("PasswordAuthentication", .flag),
      ("KbdInteractiveAuthentication", .flag), ("ChallengeResponseAuthentication", .flag),
      ("SkeyAuthentication", .flag), ("TISAuthentication", .flag),
      ("HostbasedAuthentication", .flag), ("GSSAPIAuthentication", .flag),
      ("GSSAPIDelegateCredentials", .flag), ("GSSAPIKeyExchange", .flag),
      ("GSSAPITrustDNS", .flag), ("GSSAPIRenewalForcesRekey", .flag), ("BatchMode", .flag),
      ("CheckHostIP", .flag), ("TCPKeepAlive", .flag), ("KeepAlive", .flag),
      ("NoHostAuthenticationForLocalhost", .flag), ("EnableSSHKeysign", .flag),
      ("ClearAllForwardings", .flag), ("PermitLocalCommand", .flag), ("VisualHostKey", .flag),
      ("StdinNull", .flag), ("ForkAfterAuthentication", .flag), ("ProxyUseFdpass", .flag),
      ("CanonicalizeFallbackLocal", .flag), ("StreamLocalBindUnlink", .flag),
      ("EnableEscapeCommandline", .flag),
      // Choices.
      ("PubkeyAuthentication", .choice(flagWords + ["unbound", "host-bound"])),
      ("DSAAuthentication", .choice(flagWords + ["unbound", "host-bound"])),
      ("VerifyHostKeyDNS", .choice(askWords)), ("UpdateHostKeys", .choice(askWords)),
      ("Compression", .choice(["yes", "no"])),
      ("AddressFamily", .choice(["inet", "inet6", "any"])),
      ("ControlMaster", .choice(flagWords + ["auto", "ask", "autoask"])),
      ("Tunnel", .choice(flagWords + ["ethernet", "point-to-point"])),
      ("RequestTTY", .choice(flagWords + ["force", "auto"])),
      ("SessionType", .choice(["none", "subsystem", "default"])),
      ("CanonicalizeHostname", .choice(flagWords + ["always"])),
      (
        "LogLevel",
        .choice([
          "quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3",
        ])
      ),
      (
        "SyslogFacility",
        .choice(
          ["daemon", "user", "auth", "authpriv"] + (0...7).map { "local\($0)" })
      ),
      ("FingerprintHash", .choice(["md5", "sha1", "sha256", "sha384", "sha512"])),
      // Integers and times.
      ("NumberOfPasswordPrompts", .integer), ("ConnectionAttempts", .integer),
      ("ServerAliveCountMax", .integer), ("CanonicalizeMaxDots", .integer),
      ("RequiredRSASize", .integer), ("ForwardX11Timeout", .time),
      // Single words.
      ("XAuthLocation", .word), ("KbdInteractiveDevices", .word),
      ("PreferredAuthentications", .word), ("BindAddress", .word), ("BindInterface", .word),
      ("PKCS11Provider", .word), ("SmartcardDevice", .word), ("SecurityKeyProvider", .word),
      ("Ciphers", .word), ("MACs", .word), ("KexAlgorithms", .word),
      ("HostKeyAlgorithms", .word), ("CASignatureAlgorithms", .word),
      ("HostbasedAcceptedAlgorithms", .word), ("HostbasedKeyTypes", .word),
      ("PubkeyAcceptedAlgorithms", .word), ("PubkeyAcceptedKeyTypes", .word),
      ("ControlPath", .word), ("IgnoreUnknown", .word), ("RevokedHostKeys", .word),
      ("IdentityAgent", .word), ("ForwardAgent", .word), ("TunnelDevice", .word),
      ("GSSAPIClientIdentity", .word), ("GSSAPIServerIdentity", .word),
      ("GSSAPIKexAlgorithms", .word), ("EscapeChar", .special), ("StreamLocalBindMask", .special),
      ("ControlPersist", .special),
      // Lists.
      ("GlobalKnownHostsFile", .words), ("SendEnv", .special), ("SetEnv", .special),
      ("LogVerbose", .words), ("CanonicalDomains", .words),
      ("CanonicalizePermittedCNAMEs", .words), ("PermitRemoteOpen", .count(min: 1, max: .max)),
      ("LocalForward", .count(min: 2, max: 2)), ("RemoteForward", .count(min: 1, max: 2)),
      ("DynamicForward", .count(min: 1, max: 1)), ("IPQoS", .count(min: 1, max: 2)),
      ("AddKeysToAgent", .count(min: 1, max: 2)), ("RekeyLimit", .count(min: 1, max: 2)),
      // Whole-line commands.
      ("LocalCommand", .command), ("RemoteCommand", .command), ("KnownHostsCommand", .command),
      // Deprecated, removed or compiled out: accepted and skipped.
      ("Protocol", .ignored), ("Cipher", .ignored), ("FallBackToRsh", .ignored),
      ("GlobalKnownHostsFile2", .ignored), ("RhostsAuthentication", .ignored),
      ("UserKnownHostsFile2", .ignored), ("UseRoaming", .ignored), ("UseRsh", .ignored),
      ("UsePrivilegedPort", .ignored), ("UseBlacklistedKeys", .ignored),
      ("AFSTokenPassing", .ignored), ("KerberosAuthentication", .ignored),
      ("KerberosTGTPassing", .ignored), ("RSAAuthentication", .ignored),
      ("RhostsRSAAuthentication", .ignored), ("CompressionLevel", .ignored),
    ]
    var table: [String: Spec] = [:]
    for (name, syntax) in entries {
      table[SSHPattern.asciiLowercased(name)] = Spec(name: name, syntax: syntax)
    }
    return table
  }()
}
