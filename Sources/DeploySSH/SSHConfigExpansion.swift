import Foundation

/// `~` and `%` tokens in ssh_config paths, expanded the way `ssh` expands them before opening the
/// files, so that deploy opens the same key and known_hosts files.
enum SSHConfigExpansion {
  /// `tilde_expand`: `~` and `~/…` use `home`, `~user/…` that user's passwd home directory.
  /// An unknown user leaves the path as written.
  static func tilde(_ path: String, home: String) -> String {
    expandTilde(path, home: home) ?? path
  }

  /// nil when `~user` names no user, where OpenSSH stops with an error.
  static func expandTilde(_ path: String, home: String) -> String? {
    guard path.hasPrefix("~") else { return path }
    var rest = Substring(path.dropFirst())
    var directory = home
    if !rest.isEmpty, !rest.hasPrefix("/") {
      let name = rest.prefix(while: { $0 != "/" })
      guard let account = SSHLocalAccount.named(String(name)) else { return nil }
      directory = account.home
      rest = rest.dropFirst(name.count)
    }
    rest = rest.drop(while: { $0 == "/" })
    return directory + (directory.hasSuffix("/") ? "" : "/") + rest
  }

  /// `percent_dollar_expand`: `%x` tokens from `tokens`, `%%` for a percent sign and, when
  /// `environment` is given, `${NAME}` from it. nil where OpenSSH stops with an error: an unknown
  /// token, a `%` at the end, an unset or malformed variable.
  static func percent(
    _ text: String, tokens: [Character: String], environment: [String: String]? = nil
  ) -> String? {
    var output = ""
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      let next = text.index(after: index)
      if let environment, character == "$", next < text.endIndex, text[next] == "{" {
        guard let close = text[next...].firstIndex(of: "}") else { return nil }
        let name = String(text[text.index(after: next)..<close])
        guard !name.isEmpty, let value = environment[name] else { return nil }
        output += value
        index = text.index(after: close)
        continue
      }
      guard character == "%" else {
        output.append(character)
        index = next
        continue
      }
      guard next < text.endIndex else { return nil }
      let key = text[next]
      if key == "%" {
        output.append("%")
      } else if let value = tokens[key] {
        output += value
      } else {
        return nil
      }
      index = text.index(after: next)
    }
    return output
  }

  /// Whether `host` is a numeric address, which OpenSSH leaves in its original case.
  static func isAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
  }

  /// `%C`: the hex SHA-1 of local host name, remote host, port and remote user.
  static func connectionHash(localHost: String, host: String, port: Int, user: String) -> String {
    OpenSSLDigest.sha1(Array((localHost + host + String(port) + user).utf8))
      .map { String($0, radix: 16).leftPadded(to: 2) }.joined()
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
