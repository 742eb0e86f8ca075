import DeploySupport
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One directive of an ssh_config file. Order is kept because OpenSSH's meaning depends on it:
/// `Host` and `Match` switch the following lines on or off, and the first value seen wins.
struct SSHConfigLine: Sendable {
  enum Kind: Sendable {
    case host([SSHHostPattern])
    case match(SSHMatchCondition)
    case include([SSHConfigFile])
    case setting(SSHConfigSetting)
  }

  var kind: Kind
  var location: SourceLocation
}

struct SSHHostPattern: Sendable, Hashable {
  var pattern: String
  var negated: Bool
}

enum SSHMatchCondition: Sendable, Hashable {
  case all(negated: Bool)
  /// Criteria deploy does not evaluate (host, user, exec, canonical…), as written.
  case unsupported(String)
}

/// A file pulled in by `Include`, already parsed: OpenSSH reads included files for every host
/// (checking their syntax even inside blocks that do not apply), so parsing them once up front
/// reports the same errors.
struct SSHConfigFile: Sendable {
  var path: String
  var lines: [SSHConfigLine]
}

/// The settings deploy acts on, with their arguments checked and decoded.
enum SSHConfigSetting: Sendable, Hashable {
  case hostName(String)
  case port(Int)
  case user(String)
  case identityFile(String)
  case certificateFile(String)
  case identitiesOnly(Bool)
  case userKnownHostsFiles([String])
  case strictHostKeyChecking(HostKeyPolicy)
  /// nil for `none`, which in OpenSSH leaves the option unset for a later line to fill.
  case connectTimeout(Int?)
  case serverAliveInterval(Int?)
  case hashKnownHosts(Bool)
  case hostKeyAlias(String)
  case proxyCommand(String)
  case proxyJump([String])
  /// A keyword deploy does not use but must know about: `unsupported` when this value makes the
  /// libssh2 transport behave differently from OpenSSH. First value wins, as for any option.
  case other(keyword: String, value: String, unsupported: Bool)
}

/// Turns ssh_config text into `SSHConfigLine`s, following `Include`s, and throws the errors
/// `ssh` would stop on.
struct SSHConfigParser {
  /// OpenSSH gives up beyond this depth of nested `Include`s.
  static let maximumIncludeDepth = 16

  let homeDirectory: String
  /// Patterns from `IgnoreUnknown` lines seen so far. OpenSSH takes the first one that applies
  /// to the host being resolved; here any earlier one counts, since errors must not depend on
  /// the host.
  private var ignoreUnknown: [String] = []

  init(homeDirectory: String) {
    self.homeDirectory = homeDirectory
  }

  mutating func parse(_ bytes: [UInt8], file: String, depth: Int) throws(DeployError)
    -> [SSHConfigLine]
  {
    var lines: [SSHConfigLine] = []
    for (index, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
      .enumerated()
    {
      let number = index + 1
      let raw = Array(raw)
      // Columns count characters, not bytes, so that editors land on the right spot.
      let here = { (offset: Int) -> SourceLocation in
        let column = String(decoding: raw.prefix(offset), as: UTF8.self).count + 1
        return SourceLocation(file: file, line: number, column: column)
      }
      let split: SSHConfigSyntax.Line?
      do {
        split = try SSHConfigSyntax.split(raw)
      } catch {
        switch error {
        case .noArgument(let keyword, let offset):
          throw .configuration(here(offset), "no argument after keyword \"\(keyword)\"")
        case .invalidQuotes(let offset):
          throw .configuration(here(offset), "invalid quotes")
        }
      }
      guard let line = split else { continue }
      let context = LineContext(line: line, location: here, name: line.keyword)
      if let kind = try directive(context, depth: depth) {
        lines.append(SSHConfigLine(kind: kind, location: context.location(line.keywordOffset)))
      }
    }
    return lines
  }

  /// Where a line came from, to build error locations from token offsets.
  private struct LineContext {
    var line: SSHConfigSyntax.Line
    /// The location of a byte offset in the line.
    var location: (Int) -> SourceLocation

    /// The keyword as the manual spells it, for messages.
    var name: String

    var keyword: String { line.keyword }
    var arguments: [SSHConfigSyntax.Token] { line.arguments }

    func error(_ message: String, at offset: Int? = nil) -> DeployError {
      .configuration(location(offset ?? line.keywordOffset), message)
    }

    func error(_ message: String, at token: SSHConfigSyntax.Token) -> DeployError {
      error(message, at: token.offset)
    }

    /// The single argument of a one-value keyword: missing and surplus arguments are errors.
    func single() throws(DeployError) -> SSHConfigSyntax.Token {
      guard let first = arguments.first, !first.text.isEmpty else {
        throw error("missing argument for \(name)", at: arguments.first?.offset)
      }
      try noExtra(after: 1)
      return first
    }

    func noExtra(after count: Int) throws(DeployError) {
      if arguments.count > count {
        throw error("extra arguments at end of line for \(name)", at: arguments[count])
      }
    }
  }

  private mutating func directive(_ context: LineContext, depth: Int) throws(DeployError)
    -> SSHConfigLine.Kind?
  {
    var context = context
    let keyword = context.keyword
    guard let spec = SSHConfigKeyword.spec(keyword) else {
      if ignoreUnknown.contains(where: {
        SSHPattern.matchList(keyword, $0, lowercasePatterns: true) == .positive
      }) {
        return nil
      }
      throw context.error("bad configuration option: \(keyword)")
    }
    context.name = spec.name
    switch keyword {
    case "host":
      var patterns: [SSHHostPattern] = []
      for argument in context.arguments {
        guard !argument.text.isEmpty else {
          throw context.error("empty argument for Host", at: argument)
        }
        let negated = argument.text.hasPrefix("!")
        patterns.append(
          SSHHostPattern(
            pattern: negated ? String(argument.text.dropFirst()) : argument.text,
            negated: negated))
      }
      return .host(patterns)
    case "match":
      return .match(try matchCondition(context))
    case "include":
      return .include(try include(context, depth: depth))
    default:
      break
    }

    let setting = try validate(context, spec: spec)
    if keyword == "ignoreunknown", let value = setting { ignoreUnknown.append(value) }
    return self.setting(context, spec: spec, value: setting).map { .setting($0) }
  }

  /// Checks the arguments against the keyword's syntax; returns the single value for one-word
  /// keywords.
  private func validate(_ context: LineContext, spec: SSHConfigKeyword.Spec) throws(DeployError)
    -> String?
  {
    let arguments = context.arguments
    switch spec.syntax {
    case .flag:
      return try choice(context, ["yes", "no", "true", "false"])
    case .choice(let words):
      return try choice(context, words)
    case .integer:
      let token = try context.single()
      guard let value = Int(token.text), value >= 0, value <= Int(Int32.max) else {
        throw context.error("integer value \"\(token.text)\" is invalid", at: token)
      }
      return String(value)
    case .time:
      let token = try context.single()
      guard token.text == "none" || Self.seconds(token.text) != nil else {
        throw context.error("invalid time value \"\(token.text)\"", at: token)
      }
      return token.text
    case .word:
      return try context.single().text
    case .words:
      // With no words at all (only a comment) OpenSSH leaves the option unset.
      if arguments.isEmpty { return nil }
      for (index, argument) in arguments.enumerated() {
        guard !argument.text.isEmpty else {
          throw context.error("empty argument for \(spec.name)", at: argument)
        }
        if SSHPattern.asciiLowercased(argument.text) == "none", arguments.count > 1 {
          throw context.error(
            "\"none\" must appear alone for \(spec.name)", at: arguments[index])
        }
      }
      return arguments.map(\.text).joined(separator: " ")
    case .count(let minimum, let maximum):
      guard arguments.count >= minimum, arguments.allSatisfy({ !$0.text.isEmpty }) else {
        throw context.error("missing argument for \(spec.name)", at: arguments.first?.offset)
      }
      try context.noExtra(after: maximum)
      return nil
    case .command:
      return Self.commandText(context.line)
    case .ignored:
      return nil
    case .special:
      return try special(context, spec: spec)
    }
  }

  private func choice(_ context: LineContext, _ words: [String]) throws(DeployError) -> String {
    let token = try context.single()
    let value = SSHPattern.asciiLowercased(token.text)
    guard words.contains(value) else {
      throw context.error(
        "unsupported value \"\(token.text)\" for \(context.name)"
          + " (expected \(words.joined(separator: ", ")))", at: token)
    }
    return value
  }

  private func special(_ context: LineContext, spec: SSHConfigKeyword.Spec) throws(DeployError)
    -> String?
  {
    switch context.keyword {
    case "port":
      let token = try context.single()
      guard Self.port(token.text) != nil else {
        throw context.error("bad port \"\(token.text)\"", at: token)
      }
      return token.text
    case "identityfile", "identityfile2", "certificatefile":
      return try context.single().text
    case "proxyjump":
      let text = Self.commandText(context.line)
      guard let hops = Self.jumpHops(text) else {
        throw context.error("invalid ProxyJump \"\(text)\"", at: context.line.restOffset)
      }
      return hops.joined(separator: ",")
    case "sendenv":
      for argument in context.arguments where argument.text.isEmpty || argument.text.contains("=") {
        throw context.error("invalid environment name \"\(argument.text)\"", at: argument)
      }
      return nil
    case "setenv":
      for argument in context.arguments where !argument.text.contains("=") {
        throw context.error(
          "invalid SetEnv \"\(argument.text)\" (expected NAME=VALUE)", at: argument)
      }
      return nil
    case "escapechar":
      let token = try context.single()
      let bytes = Array(token.text.utf8)
      let valid =
        token.text == "none" || bytes.count == 1
        || (bytes.count == 2 && bytes[0] == UInt8(ascii: "^") && (64..<128).contains(bytes[1]))
      guard valid else { throw context.error("bad escape character", at: token) }
      return token.text
    case "streamlocalbindmask":
      let token = try context.single()
      let digits = token.text.prefix(while: { ("0"..."7").contains($0) })
      guard let mask = Int(digits, radix: 8), mask <= 0o777 else {
        throw context.error("bad mask \"\(token.text)\"", at: token)
      }
      return token.text
    case "controlpersist":
      let token = try context.single()
      guard ["yes", "no", "true", "false"].contains(token.text) || Self.seconds(token.text) != nil
      else { throw context.error("bad ControlPersist argument \"\(token.text)\"", at: token) }
      return token.text
    default:
      preconditionFailure("no special rule for \(spec.name)")
    }
  }

  /// The decoded setting for keywords deploy reads or must watch for; nil for the rest.
  private func setting(_ context: LineContext, spec: SSHConfigKeyword.Spec, value: String?)
    -> SSHConfigSetting?
  {
    guard let value else { return nil }
    let lowered = SSHPattern.asciiLowercased(value)
    switch context.keyword {
    case "hostname": return .hostName(value)
    case "port": return Self.port(value).map { .port($0) }
    case "user": return .user(value)
    case "identityfile", "identityfile2": return .identityFile(value)
    case "certificatefile": return .certificateFile(value)
    case "identitiesonly": return .identitiesOnly(Self.flag(lowered))
    case "userknownhostsfile": return .userKnownHostsFiles(context.arguments.map(\.text))
    case "stricthostkeychecking":
      switch lowered {
      case "accept-new": return .strictHostKeyChecking(.acceptNew)
      case "no", "false", "off": return .strictHostKeyChecking(.off)
      // `ask` needs a terminal; deploy runs unattended, so it refuses as `yes` does.
      default: return .strictHostKeyChecking(.strict)
      }
    case "connecttimeout": return .connectTimeout(Self.seconds(value))
    case "serveraliveinterval", "protocolkeepalives", "setuptimeout":
      return .serverAliveInterval(Self.seconds(value))
    case "hashknownhosts": return .hashKnownHosts(Self.flag(lowered))
    case "hostkeyalias": return .hostKeyAlias(value)
    case "proxycommand": return .proxyCommand(value)
    case "proxyjump":
      // Validation joined the hops; none has no hops and joins to "".
      return .proxyJump(value.isEmpty ? [] : value.split(separator: ",").map(String.init))
    default:
      break
    }
    // Options that change how OpenSSH connects or authenticates in ways the libssh2 transport
    // does not reproduce; a benign value (the default, or "none") keeps libssh2 usable.
    let unsupported: Bool
    let name: String
    switch context.keyword {
    case "pkcs11provider", "smartcarddevice":
      (name, unsupported) = ("PKCS11Provider", lowered != "none")
    case "knownhostscommand", "globalknownhostsfile":
      (name, unsupported) = (spec.name, lowered != "none")
    case "canonicalizehostname":
      (name, unsupported) = (spec.name, !["no", "false"].contains(lowered))
    case "addressfamily":
      (name, unsupported) = (spec.name, lowered != "any")
    case "forwardagent":
      (name, unsupported) = (spec.name, !["no", "false"].contains(lowered))
    case "identityagent":
      (name, unsupported) = (
        spec.name, !["SSH_AUTH_SOCK", "$SSH_AUTH_SOCK", "${SSH_AUTH_SOCK}"].contains(value)
      )
    case "securitykeyprovider", "bindaddress", "bindinterface", "revokedhostkeys":
      (name, unsupported) = (spec.name, true)
    default:
      return nil
    }
    return .other(keyword: name, value: value, unsupported: unsupported)
  }

  // MARK: Match and Include

  private func matchCondition(_ context: LineContext) throws(DeployError) -> SSHMatchCondition {
    let rest = context.line.rest
    var position: Int? = 0
    var criteria = 0
    while let token = SSHConfigSyntax.delimit(rest, &position, splitEquals: true),
      !token.text.isEmpty
    {
      let offset = context.line.restOffset + token.offset
      if token.text.hasPrefix("#") { break }
      let negated = token.text.hasPrefix("!")
      let attribute = SSHPattern.asciiLowercased(
        negated ? String(token.text.dropFirst()) : token.text)
      if attribute == "all" {
        let next = SSHConfigSyntax.delimit(rest, &position, splitEquals: true)
        if criteria > 1 || (next.map { !$0.text.isEmpty && !$0.text.hasPrefix("#") } ?? false) {
          throw context.error(
            "'\(token.text)' cannot be combined with other Match attributes", at: offset)
        }
        return criteria == 0 ? .all(negated: negated) : .unsupported(Self.text(rest))
      }
      criteria += 1
      if attribute == "canonical" || attribute == "final" { continue }
      guard
        let argument = SSHConfigSyntax.delimit(rest, &position, splitEquals: true),
        !argument.text.isEmpty, !argument.text.hasPrefix("#")
      else { throw context.error("missing Match criteria for \(token.text)", at: offset) }
      guard ["host", "originalhost", "user", "localuser", "exec"].contains(attribute) else {
        throw context.error("unsupported Match attribute \(token.text)", at: offset)
      }
    }
    if criteria == 0 {
      throw context.error("one or more attributes required for Match", at: context.line.restOffset)
    }
    return .unsupported(Self.text(rest))
  }

  private mutating func include(_ context: LineContext, depth: Int) throws(DeployError)
    -> [SSHConfigFile]
  {
    var files: [SSHConfigFile] = []
    for argument in context.arguments {
      guard !argument.text.isEmpty else {
        throw context.error("empty argument for Include", at: argument)
      }
      // deploy reads user configs (~/.ssh/config or -F), where relative paths mean ~/.ssh.
      let anchored =
        argument.text.hasPrefix("/") || argument.text.hasPrefix("~")
        ? argument.text : "~/.ssh/" + argument.text
      let pattern = SSHConfigExpansion.tilde(anchored, home: homeDirectory)
      guard let paths = SSHLocalFile.glob(pattern) else {
        throw context.error("glob failed for \(pattern)", at: argument)
      }
      for path in paths {
        guard depth + 1 <= Self.maximumIncludeDepth else {
          throw context.error("too many recursive configuration includes", at: argument)
        }
        let contents: SSHLocalFile.Contents?
        do {
          contents = try SSHLocalFile.read(path)
        } catch .unreadableFile(_, let reason) {
          throw context.error("can't open included file \(path): \(reason)", at: argument)
        } catch {
          throw error
        }
        guard let contents else { continue }
        // OpenSSH refuses included files others could have written: they could run commands.
        if (contents.ownerID != 0 && contents.ownerID != SSHLocalAccount.userID)
          || contents.mode & 0o022 != 0
        {
          throw context.error("bad owner or permissions on \(path)", at: argument)
        }
        files.append(
          SSHConfigFile(path: path, lines: try parse(contents.bytes, file: path, depth: depth + 1)))
      }
    }
    return files
  }

  // MARK: Values

  /// `a2port`: 1–65535, or a TCP service name from /etc/services.
  static func port(_ text: String) -> Int? {
    if let number = Int(text), (1...65535).contains(number) { return number }
    if text.first?.isNumber == true || text.hasPrefix("-") || text.hasPrefix("+") { return nil }
    #if canImport(Glibc)
      var entry = servent()
      var result: UnsafeMutablePointer<servent>?
      var buffer = [CChar](repeating: 0, count: 4096)
      let rc = getservbyname_r(text, "tcp", &entry, &buffer, buffer.count, &result)
      guard rc == 0, result != nil else { return nil }
      let raw = entry.s_port
    #else
      guard let found = getservbyname(text, "tcp") else { return nil }
      let raw = found.pointee.s_port
    #endif
    let port = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: raw)))
    return port > 0 ? port : nil
  }

  /// `convtime`: `90`, `90s`, `1m30s`, `2h`, `1d`, `1w`; nil when malformed or too large.
  static func seconds(_ text: String) -> Int? {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return nil }
    var total = 0
    var index = 0
    while index < bytes.count {
      var start = index
      if bytes[index] == UInt8(ascii: "+") { start += 1 }
      var end = start
      while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
      guard end > start, let value = Int(String(decoding: bytes[start..<end], as: UTF8.self))
      else { return nil }
      var multiplier = 1
      if end < bytes.count {
        switch bytes[end] | 0x20 {
        case UInt8(ascii: "s"): multiplier = 1
        case UInt8(ascii: "m"): multiplier = 60
        case UInt8(ascii: "h"): multiplier = 3600
        case UInt8(ascii: "d"): multiplier = 86400
        case UInt8(ascii: "w"): multiplier = 604800
        default: return nil
        }
        end += 1
      }
      let limit = Int(Int32.max)
      guard value <= limit / multiplier, total <= limit - value * multiplier else { return nil }
      total += value * multiplier
      index = end
    }
    return total
  }

  static func flag(_ lowered: String) -> Bool { lowered == "yes" || lowered == "true" }

  /// The rest of a line after the keyword and any `=`, as OpenSSH hands it to a shell.
  static func commandText(_ line: SSHConfigSyntax.Line) -> String {
    text(line.rest.drop(while: { SSHConfigSyntax.isWhitespace($0) || $0 == UInt8(ascii: "=") }))
  }

  /// `parse_jump`: the hops of a ProxyJump value (comment and trailing space removed), each a
  /// `[user@]host[:port]` or an `ssh://` URI, which is rewritten to the first form; nil when one
  /// is malformed. `none` has no hops.
  static func jumpHops(_ value: String) -> [String]? {
    // OpenSSH compares the whole rest of the line with `none`, so `none # comment` is a hop to
    // a host called "none"; hops are parsed after the comment is cut.
    if SSHPattern.asciiLowercased(value) == "none" { return [] }
    var text = Substring(value)
    if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
    while let last = text.unicodeScalars.last, last == " " || last == "\t" {
      text.unicodeScalars.removeLast()
    }
    var hops: [String] = []
    for hop in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let parsed = jumpHop(String(hop)) else { return nil }
      hops.append(parsed)
    }
    return hops
  }

  /// One hop, checked as `parse_ssh_uri` and `parse_user_host_port` check it.
  private static func jumpHop(_ hop: String) -> String? {
    var rest = Substring(hop)
    let isURI = rest.hasPrefix("ssh://")
    if isURI {
      rest = rest.dropFirst("ssh://".count)
      if rest.hasSuffix("/") { rest = rest.dropLast() }
    }
    var user: Substring?
    if let at = rest.lastIndex(of: "@") {
      guard at != rest.startIndex else { return nil }
      user = rest[..<at]
      rest = rest[rest.index(after: at)...]
    }
    let host: Substring
    var port: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { return nil }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let after = rest[rest.index(after: close)...]
      if !after.isEmpty {
        guard after.hasPrefix(":") else { return nil }
        port = after.dropFirst()
      }
    } else if let colon = rest.firstIndex(where: { $0 == ":" || $0 == "/" }) {
      guard rest[colon] == ":" else { return nil }
      host = rest[..<colon]
      port = rest[rest.index(after: colon)...]
    } else {
      host = rest
    }
    guard !host.isEmpty else { return nil }
    if let port, !port.isEmpty, Self.port(String(port)) == nil { return nil }
    guard isURI else { return hop }
    // URIs may percent-encode the user name; the plain form carries it decoded.
    let decodedUser = user.map { String($0).removingPercentEncoding ?? String($0) }
    let bracketed = host.contains(":") ? "[\(host)]" : String(host)
    return (decodedUser.map { $0 + "@" } ?? "") + bracketed
      + (port.flatMap { $0.isEmpty ? nil : ":\($0)" } ?? "")
  }

  private static func text(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
  }
}
