import DeploySupport
import Foundation
import HostScripts

/// How a finished build becomes the served one (`activate:` in the project file), and how the
/// app is restarted and proven healthy afterwards (`health:`).
public struct ActivationConfig: Sendable, Hashable {
  public enum Strategy: String, Sendable, Hashable, CaseIterable {
    /// Ask the app's build API (ECHR-OD's explorer, or `deploy build-api`) to swap the build in:
    /// `GET /api/v1/build/update`, reached through the SSH connection.
    case explorer
    /// Each build in its own folder; an atomic switch of the `current` link in the build folder.
    case symlink
    /// Nothing to swap: the package manager put the new version in place (apt apps).
    case package
  }

  public var strategy: Strategy
  /// `ADDRESS:PORT` of the build API as the host sees it (explorer strategy); may use host
  /// variables (`127.0.0.1:{{ api_port }}`), so it is resolved per host (`resolved(for:)`).
  public var api: PathTemplate
  /// `api` for one host, once resolved.
  public var apiAddress = "127.0.0.1"
  public var apiPort = 5000
  public var restart: RestartMethod?
  /// Seconds to wait for the app to answer again after a restart.
  public var readyTimeout: Double
  /// Seconds the build API may take to answer `update` (it copies the whole build).
  public var apiTimeout: Double = 600
  /// Hosts activated at once; the next batch starts only if this one succeeded.
  public var batchSize: Int
  public var health: HealthCheck?
  /// Builds kept on each host after a successful activation (older ones are removed, never the
  /// served one or the rollback copy); nil keeps everything.
  public var keep: Int?

  public init(
    strategy: Strategy = .explorer, api: PathTemplate = PathTemplate("127.0.0.1:5000"),
    restart: RestartMethod? = nil, readyTimeout: Double = 60, batchSize: Int = 1,
    health: HealthCheck? = nil, keep: Int? = nil
  ) {
    self.strategy = strategy
    self.api = api
    self.restart = restart
    self.readyTimeout = readyTimeout
    self.batchSize = batchSize
    self.health = health
    self.keep = keep
  }

  /// The settings for one host: host variables substituted in the API address, the restart's
  /// container or unit name and the health URL, each checked.
  public func resolved(hostname: String, vars: [String: VarValue]) throws(DeployError)
    -> ActivationConfig
  {
    var config = self
    let location = api.location ?? SourceLocation(file: "activate.api")
    let text = try api.renderText(hostname: hostname, vars: vars)
    guard let colon = text.lastIndex(of: ":"), colon > text.startIndex,
      let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
    else {
      throw .configuration(
        location, "api for host '\(hostname)' is '\(text)'; expected ADDRESS:PORT")
    }
    config.apiAddress = String(text[..<colon]).trimmingCharacters(
      in: CharacterSet(charactersIn: "[]"))
    config.apiPort = port
    if let restart {
      config.restart = try restart.resolved(hostname: hostname, vars: vars)
    }
    if let health, case .command(let command) = health.probe {
      config.health?.probe = .command(
        try PathTemplate(command).renderText(hostname: hostname, vars: vars))
    }
    if let health, case .http(let url, let status, let contains) = health.probe {
      let rendered = try url.renderText(hostname: hostname, vars: vars)
      guard HealthCheck.parse(url: rendered) != nil else {
        throw .configuration(
          url.location ?? location,
          "health url for host '\(hostname)' is '\(rendered)'; expected http://HOST:PORT/PATH")
      }
      config.health?.probe = .http(
        url: PathTemplate(rendered, location: url.location), status: status, contains: contains)
    }
    return config
  }
}

extension RestartMethod {
  /// Container and unit names may use host variables (`demo-{{ inventory_hostname }}`).
  func resolved(hostname: String, vars: [String: VarValue]) throws(DeployError) -> RestartMethod {
    func render(_ name: String) throws(DeployError) -> String {
      let value = try PathTemplate(name).renderText(hostname: hostname, vars: vars)
      guard value.range(of: #"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$"#, options: .regularExpression) != nil
      else {
        throw .usage(
          "restart name '\(name)' for host '\(hostname)' is '\(value)': expected letters, digits,"
            + " _ . @ : -")
      }
      return value
    }
    switch self {
    case .docker(let name): return .docker(container: try render(name))
    case .podman(let name): return .podman(container: try render(name))
    case .systemd(let unit): return .systemd(unit: try render(unit))
    case .command(let command):
      return .command(try PathTemplate(command).renderText(hostname: hostname, vars: vars))
    }
  }
}

/// What proves the app healthy after a restart: an HTTP answer (through the SSH connection) or a
/// command on the host, tried `retries` times `interval` seconds apart, each within `timeout`.
public struct HealthCheck: Sendable, Hashable {
  public enum Probe: Sendable, Hashable {
    /// A URL as the host sees it (may use host variables until resolved).
    case http(url: PathTemplate, status: Int, contains: String?)
    case command(String)
  }

  /// The address, port and path of an `http://` URL.
  public static func parse(url: String) -> (address: String, port: Int, path: String)? {
    guard let components = URLComponents(string: url), components.scheme == "http",
      let host = components.host, !host.isEmpty
    else { return nil }
    let path =
      (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
      + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    return (host, components.port ?? 80, path)
  }

  public var probe: Probe
  public var timeout: Double
  public var retries: Int
  public var interval: Double

  public init(probe: Probe, timeout: Double = 10, retries: Int = 3, interval: Double = 2) {
    self.probe = probe
    self.timeout = timeout
    self.retries = retries
    self.interval = interval
  }
}
