import DeploySupport
import Foundation
import HostScripts
import Yams

/// `activate:`, `health:` and `keep:` of a git app.
extension ProjectFileParser {
  static let activateKeys = ["strategy", "api", "api_timeout", "restart", "ready_timeout", "batch"]
  static let restartKeys = ["docker", "podman", "systemd", "command"]
  static let healthKeys = [
    "http", "status", "contains", "command", "timeout", "retries", "interval",
  ]

  func readActivation(
    _ fields: YAMLSchemaReader.Fields, app name: String, into app: inout GitAppConfig
  ) throws(DeployError) {
    guard fields["activate"] != nil || fields["health"] != nil || fields["keep"] != nil else {
      return
    }
    var activation = ActivationConfig()
    if let node = fields["activate"] {
      let activate = try reader.fields(
        node, of: "the activation of app '\(name)'", allowed: Self.activateKeys)
      if let strategy = activate["strategy"] {
        let expected = "'explorer' (the build API swaps the build in) or 'symlink'"
        guard
          let value = ActivationConfig.Strategy(
            rawValue: try reader.string(strategy, expected: expected))
        else { throw reader.mismatch(strategy, expected: expected) }
        activation.strategy = value
      }
      if let api = activate["api"] {
        let expected = "the build API's ADDRESS:PORT on the host, e.g. 127.0.0.1:5000"
        let text = try reader.string(api, expected: expected)
        let template = PathTemplate(text, location: reader.location(api))
        _ = try template.parts()
        if template.variables.isEmpty {
          _ = try address(api, expected: expected)
        }
        activation.api = template
      }
      if let restart = activate["restart"] { activation.restart = try restartMethod(restart) }
      if let timeout = activate["api_timeout"] {
        activation.apiTimeout = try reader.duration(timeout, expected: "'api_timeout'")
      }
      if let ready = activate["ready_timeout"] {
        activation.readyTimeout = try reader.duration(ready, expected: "'ready_timeout'")
      }
      if let batch = activate["batch"] {
        activation.batchSize = try reader.integer(
          batch, expected: "the number of hosts activated at once (1 or more)", minimum: 1)
      }
    }
    if activation.strategy == .explorer, app.buildName == nil {
      throw .configuration(
        reader.location(fields.keyNode("activate") ?? fields.node),
        "app '\(name)' activates through the build API, which serves 'build_name':"
          + " add build_name (the served build's folder name)")
    }
    if let node = fields["health"] { activation.health = try healthCheck(node) }
    if let node = fields["keep"] {
      activation.keep = try reader.integer(
        node, expected: "how many builds to keep on each host (1 or more)", minimum: 1)
    }
    app.activation = activation
  }

  func restartMethod(_ node: Node) throws(DeployError) -> RestartMethod {
    let expected = "one of docker: NAME, podman: NAME, systemd: UNIT or command: CMD"
    let fields = try reader.fields(node, of: "'restart' (\(expected))", allowed: Self.restartKeys)
    guard fields.entries.count == 1, let entry = fields.entries.first else {
      throw reader.mismatch(node, expected: expected)
    }
    let value = try reader.string(entry.value, expected: "a name for '\(entry.key)'")
    let safeName =
      value.contains("{{")
      ? value.startIndex..<value.endIndex
      : value.range(of: #"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$"#, options: .regularExpression)
    switch entry.key {
    case "docker", "podman", "systemd":
      guard safeName != nil else {
        throw reader.mismatch(
          entry.value, expected: "a container or unit name (letters, digits, _ . @ : -)")
      }
      if entry.key == "docker" { return .docker(container: value) }
      if entry.key == "podman" { return .podman(container: value) }
      return .systemd(unit: value)
    default:
      guard !value.isEmpty else { throw reader.mismatch(entry.value, expected: "a command") }
      return .command(value)
    }
  }

  func healthCheck(_ node: Node) throws(DeployError) -> HealthCheck {
    let fields = try reader.fields(node, of: "'health'", allowed: Self.healthKeys)
    let probe: HealthCheck.Probe
    switch (fields["http"], fields["command"]) {
    case (let http?, nil):
      let expected = "an http:// URL as seen from the host, e.g. http://127.0.0.1:5000/health"
      let text = try reader.string(http, expected: expected)
      let template = PathTemplate(text, location: reader.location(http))
      _ = try template.parts()
      guard !template.variables.isEmpty || HealthCheck.parse(url: text) != nil else {
        throw reader.mismatch(http, expected: expected)
      }
      var status = 200
      if let node = fields["status"] {
        status = try reader.integer(node, expected: "an HTTP status such as 200", minimum: 100)
      }
      probe = .http(
        url: template, status: status,
        contains: try fields["contains"].map { node throws(DeployError) in
          try reader.string(node, expected: "text the answer must contain")
        })
    case (nil, let command?):
      probe = .command(try reader.string(command, expected: "a command to run on the host"))
    default:
      throw .configuration(
        reader.location(node), "'health' needs exactly one of 'http' (a URL) or 'command'")
    }
    var check = HealthCheck(probe: probe)
    if let node = fields["timeout"] {
      check.timeout = try reader.duration(node, expected: "'timeout'")
    }
    if let node = fields["retries"] {
      check.retries = try reader.integer(node, expected: "'retries' (1 or more)", minimum: 1)
    }
    if let node = fields["interval"] {
      check.interval = try reader.duration(node, expected: "'interval'")
    }
    return check
  }

  private func address(_ node: Node, expected: String) throws(DeployError) -> (String, Int) {
    let text = try reader.string(node, expected: expected)
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (1...65535).contains(port), colon > text.startIndex
    else { throw reader.mismatch(node, expected: expected) }
    let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    return (host, port)
  }
}

/// The `kind: apt` app.
extension ProjectFileParser {
  static let aptAppKeys = [
    "kind", "package", "path", "stages", "restart", "health", "ready_timeout", "update_timeout",
    "install_timeout",
  ]

  func aptApp(name: String, fields: YAMLSchemaReader.Fields) throws(DeployError) -> AptAppConfig {
    var package = name
    if let node = fields["package"] {
      package = try reader.string(node, expected: "a Debian package name for 'package'")
    }
    guard AptAppConfig.isPackageName(package) else {
      throw .configuration(
        reader.location(fields["package"] ?? fields.node),
        "'\(package)' is not a Debian package name (lower case letters, digits, + - .)")
    }
    var app = AptAppConfig(package: package)
    if let node = fields["path"] {
      let text = try reader.string(node, expected: "an absolute path on the host for 'path'")
      let template = PathTemplate(text, location: reader.location(node))
      try template.check()
      app.path = template
    }
    if let node = fields["restart"] { app.activation.restart = try restartMethod(node) }
    if let node = fields["health"] { app.activation.health = try healthCheck(node) }
    if let node = fields["ready_timeout"] {
      app.activation.readyTimeout = try reader.duration(node, expected: "'ready_timeout'")
    }
    if let node = fields["update_timeout"] {
      app.updateTimeout = try reader.duration(node, expected: "'update_timeout'")
    }
    if let node = fields["install_timeout"] {
      app.installTimeout = try reader.duration(node, expected: "'install_timeout'")
    }
    return app
  }
}
