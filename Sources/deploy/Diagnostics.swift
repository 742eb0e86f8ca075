import Logging
import Synchronization

/// `-v` / `-vv`: where swift-log's messages go. `-v` lets `debug` through (each remote command
/// with its host, duration and exit status), `-vv` `trace` as well (the script sent and its
/// output). Without either, nothing below `info` is made at all.
enum Diagnostics {
  private static let started = Atomic(false)

  /// Starts the log for this process; later calls change nothing (swift-log's system can be set
  /// up once).
  static func start(verbosity: Int) {
    guard verbosity > 0,
      started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
    else { return }
    let level: Logger.Level = verbosity >= 2 ? .trace : .debug
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
  }
}
