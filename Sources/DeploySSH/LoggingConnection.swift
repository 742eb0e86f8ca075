import DeploySupport
import Foundation
import HostShell
import Logging

/// The diagnostics channel for what goes over SSH (`deploy -v`): each remote command with its
/// host, duration and exit status at `debug`; its whole script and its output at `trace`
/// (`-vv`). Connections are wrapped only when someone listens, so a quiet run pays nothing.
package enum RemoteCommandLog {
  package static let logger = Logger(label: "deploy.remote")

  /// `connection`, reporting to `logger` when its level lets `debug` through.
  static func wrapping(_ connection: any SSHConnection) -> any SSHConnection {
    logger.logLevel <= .debug ? LoggingConnection(connection, logger: logger) : connection
  }

  /// A line that says what a command is for: its purpose when the caller gave one, else its
  /// first line of substance (not a shell function being defined), cut short.
  static func summary(of command: RemoteCommand) -> String {
    if let purpose = command.purpose { return purpose }
    let lines = command.script.text.split(separator: "\n")
    let line =
      lines.first { line in
        let text = line.trimmingCharacters(in: .whitespaces)
        return !text.isEmpty && !text.hasPrefix("#") && !text.contains("() {")
          && !text.hasPrefix("}") && !text.hasPrefix("set ")
      } ?? lines.first ?? ""
    let text = line.trimmingCharacters(in: .whitespaces)
    let short = text.count > 100 ? text.prefix(99) + "…" : Substring(text)
    return lines.count > 1 ? "\(short) (\(lines.count) lines)" : String(short)
  }
}

/// Wraps a connection and reports every command it runs.
final class LoggingConnection: SSHConnection {
  private let wrapped: any SSHConnection
  private let logger: Logger

  init(_ wrapped: any SSHConnection, logger: Logger) {
    self.wrapped = wrapped
    self.logger = logger
  }

  var target: SSHTarget { wrapped.target }
  var transportName: String { wrapped.transportName }

  func run(_ command: RemoteCommand, onOutput: (StandardStream, [UInt8]) -> Void) throws(SSHError)
    -> CommandResult
  {
    let host = target.name
    let tracing = logger.logLevel <= .trace
    if tracing { logger.trace("\(host): sending\n\(command.wireCommand.text)") }
    let started = MonotonicClock.now
    do {
      let result = try wrapped.run(command) { stream, bytes in
        if tracing {
          logger.trace("\(host) \(stream): \(String(decoding: bytes, as: UTF8.self))")
        }
        onOutput(stream, bytes)
      }
      let what = RemoteCommandLog.summary(of: command)
      logger.debug(
        "\(host): \(Self.ending(result)) after \(Self.seconds(result.duration)): \(what)")
      return result
    } catch {
      let what = RemoteCommandLog.summary(of: command)
      let elapsed = Self.seconds(MonotonicClock.now - started)
      logger.debug("\(host): \(error.kind) after \(elapsed): \(what)")
      throw error
    }
  }

  func exchange(_ request: [UInt8], address: String, port: Int, timeout: Double) throws(SSHError)
    -> TunnelExchange
  {
    let started = MonotonicClock.now
    let exchange = try wrapped.exchange(request, address: address, port: port, timeout: timeout)
    let elapsed = Self.seconds(MonotonicClock.now - started)
    logger.debug(
      "\(target.name): tunnel to \(address):\(port), \(exchange.received.count) bytes back after \(elapsed)"
    )
    return exchange
  }

  func close() { wrapped.close() }

  private static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }

  private static func ending(_ result: CommandResult) -> String {
    if result.timedOut { return "timed out" }
    if let signal = result.signal { return "killed by SIG\(signal)" }
    return "exit \(result.exitStatus)"
  }
}
