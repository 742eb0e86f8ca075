import DeploySupport
import Foundation

/// A path on the host that may use `{{ inventory_hostname }}` and host variables such as
/// `{{ instance }}`, in Ansible's syntax (spaces inside the braces optional). Several instances
/// of an app — or several test hosts sharing one machine — then get separate folders from one
/// project file. Only plain variables are supported: no filters, no expressions, so a path
/// means the same thing to everyone who reads it.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
  public var text: String
  /// Where the template was written, for errors found when it is rendered for a host.
  public var location: SourceLocation?

  public init(_ text: String, location: SourceLocation? = nil) {
    self.text = text
    self.location = location
  }

  public var description: String { text }

  enum Part: Equatable {
    case literal(String)
    case variable(String)
  }

  /// The variables the template uses, in order of appearance (each once).
  public var variables: [String] {
    var names: [String] = []
    for case .variable(let name) in (try? parts()) ?? [] where !names.contains(name) {
      names.append(name)
    }
    return names
  }

  /// Checks what can be checked without a host: the `{{ }}` are well formed and the path is
  /// absolute (or starts with a variable, whose value is checked when rendered).
  package func check() throws(DeployError) {
    let parts = try parts()
    if case .literal(let first)? = parts.first, !first.hasPrefix("/") {
      throw .configuration(
        errorLocation,
        "expected an absolute path on the host (starting with '/'), found '\(text)'"
          + (first.hasPrefix("~") ? "; '~' is not expanded on the host" : ""))
    }
    if parts.isEmpty {
      throw .configuration(errorLocation, "expected an absolute path on the host, found nothing")
    }
    try checkRendered(text, host: nil)
  }

  /// The path for one host. `vars` are the host's inventory variables; `inventory_hostname`
  /// and `inventory_hostname_short` come from `hostname`, as in Ansible.
  public func render(hostname: String, vars: [String: VarValue]) throws(DeployError) -> String {
    var result = ""
    for part in try parts() {
      switch part {
      case .literal(let literal): result += literal
      case .variable(let name):
        result += try value(of: name, hostname: hostname, vars: vars)
      }
    }
    try checkRendered(result, host: hostname)
    return result
  }

  /// The text for one host, for values that are not paths (an address, a container name):
  /// variables substituted, control characters refused.
  public func renderText(hostname: String, vars: [String: VarValue]) throws(DeployError)
    -> String
  {
    var result = ""
    for part in try parts() {
      switch part {
      case .literal(let literal): result += literal
      case .variable(let name): result += try value(of: name, hostname: hostname, vars: vars)
      }
    }
    if result.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw .configuration(
        errorLocation, "'\(text)' for host '\(hostname)' contains a control character")
    }
    return result
  }

  /// The template for `component` inside this folder, at the same location (so errors about a
  /// default such as `<path>/repo` point at `path`).
  public func appending(_ component: String) -> PathTemplate {
    PathTemplate(
      text.hasSuffix("/") ? text + component : text + "/" + component, location: location)
  }

  private var errorLocation: SourceLocation { location ?? SourceLocation(file: "path '\(text)'") }

  private func value(
    of name: String, hostname: String, vars: [String: VarValue]
  ) throws(DeployError) -> String {
    switch name {
    case "inventory_hostname": return hostname
    case "inventory_hostname_short":
      return String(hostname.prefix { $0 != "." })
    default:
      guard let value = vars[name] else {
        throw .configuration(
          errorLocation,
          "'\(text)' uses variable '\(name)', which host '\(hostname)' does not have;"
            + " define it in the inventory (or host_vars/\(hostname).yml)")
      }
      guard let string = value.stringValue else {
        throw .configuration(
          errorLocation,
          "'\(text)' uses variable '\(name)' of host '\(hostname)', which is "
            + "\(Self.describe(value)); expected a string or a number")
      }
      return string
    }
  }

  private func checkRendered(_ path: String, host: String?) throws(DeployError) {
    let subject =
      host.map { "path '\(text)' for host '\($0)' is '\(path)', which" } ?? "path '\(text)'"
    if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw .configuration(
        errorLocation, "\(subject) contains a control character (such as a newline or NUL)")
    }
    if host != nil, !path.hasPrefix("/") {
      throw .configuration(
        errorLocation, "\(subject) is not absolute; paths on the host must start with '/'")
    }
    if path.split(separator: "/").contains("..") {
      throw .configuration(
        errorLocation, "\(subject) contains a '..' component; name the folder directly")
    }
    if host != nil, let system = Self.systemFolder(path) {
      throw .configuration(
        errorLocation,
        "\(subject) is \(system == "/" ? "the root folder" : "the system folder \(system)");"
          + " deploy writes and prunes below an app's path, so give the app a folder of its own,"
          + " such as /srv/APP")
    }
  }

  /// Folders an app's path must never be: `deploy` creates, replaces and prunes folders below
  /// it. Nil when `path` is none of them (compared with `.` and repeated `/` removed).
  static func systemFolder(_ path: String) -> String? {
    let normal = "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    return systemFolders.contains(normal) ? normal : nil
  }

  private static let systemFolders: Set<String> = [
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr",
    "/var", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/sbin", "/usr/share",
    "/var/lib", "/var/log", "/var/cache", "/var/tmp", "/var/www", "/var/backups", "/var/spool",
  ]

  func parts() throws(DeployError) -> [Part] {
    var parts: [Part] = []
    var rest = Substring(text)
    while !rest.isEmpty {
      guard let open = rest.firstRange(of: "{{") else {
        try checkLiteral(rest)
        parts.append(.literal(String(rest)))
        break
      }
      if open.lowerBound > rest.startIndex {
        try checkLiteral(rest[..<open.lowerBound])
        parts.append(.literal(String(rest[..<open.lowerBound])))
      }
      guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
        throw .configuration(
          errorLocation, "path '\(text)' has '{{' without a closing '}}'")
      }
      let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
      guard BuildEnvironment.isValidName(inner) else {
        throw .configuration(
          errorLocation,
          "path '\(text)' uses '{{ \(inner) }}'; expected a variable name such as"
            + " '{{ inventory_hostname }}' (filters and expressions are not supported in paths)")
      }
      parts.append(.variable(inner))
      rest = rest[close.upperBound...]
    }
    return parts
  }

  private func checkLiteral(_ literal: Substring) throws(DeployError) {
    if literal.contains("{%") || literal.contains("{#") {
      throw .configuration(
        errorLocation,
        "path '\(text)' uses a template statement or comment; only '{{ variable }}' is supported")
    }
  }

  private static func describe(_ value: VarValue) -> String {
    switch value {
    case .list: return "a list"
    case .map: return "a mapping"
    default: return "empty (null)"
    }
  }
}
