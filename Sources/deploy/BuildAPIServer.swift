import DeployBuildAPI
import DeployInventory
import DeploySSH
import DeploySupport
import Dispatch
import Foundation
import Hummingbird
import Synchronization

/// The HTTP side of `deploy build-api`: routes `GET /api/v1/build/<endpoint>` to `BuildAPI` and
/// sends its bytes as they are. Folder work is blocking file I/O (an update copies a whole
/// build), so it runs on Dispatch queues, not on the few threads Swift concurrency has.
struct BuildAPIServer: Sendable {
  let folder: BuildFolder
  let address: ListenAddress
  let token: String?
  let restartCommand: String?

  /// Updates and rollbacks wait for each other, in the order they came.
  private static let mutations = DispatchQueue(label: "deploy.build-api.mutations")

  func log(_ line: String) {
    let stamp = Timestamp.iso8601(Timestamp.now)
    Terminal.standardError.write("\(stamp) build-api: \(line)\n")
  }

  /// Serves until SIGTERM or SIGINT.
  func run() throws(DeployError) {
    let router = Router()
    router.get("/api/v1/build/{endpoint}") { request, context -> Response in
      await self.answer(request, endpoint: context.parameters.get("endpoint") ?? "")
    }
    let address = self.address
    let served = folder.servedPath
    var application = Application(
      router: router,
      configuration: ApplicationConfiguration(
        address: .hostname(address.host, port: address.port), serverName: nil),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? address.port
        let shown = ListenAddress(host: address.host, port: port)
        self.log("serving \(served) on http://\(shown)\(BuildAPI.pathPrefix)")
        self.log("listening on \(shown)")
      })
    application.logger.logLevel = .error
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task { [application] in
      do {
        try await application.runService()
      } catch {
        outcome.set("\(error)")
      }
      done.signal()
    }
    done.wait()
    if let failure = outcome.get() {
      throw .usage("cannot serve on \(address): \(failure)")
    }
    log("stopped")
  }

  private func answer(_ request: Request, endpoint name: String) async -> Response {
    guard let endpoint = BuildAPI.Endpoint(rawValue: name) else {
      return Self.http(BuildAPI.notFound)
    }
    if endpoint.mutates {
      let authorized = BuildAPI.isAuthorized(
        token: token, authorization: request.headers[.authorization],
        queryToken: request.uri.queryParameters["token"].map(String.init))
      guard authorized else {
        log("\(name): refused, no valid token")
        return Self.http(BuildAPI.unauthorized)
      }
      log("\(name): requested")
    }
    let folder = self.folder
    let restartCommand = self.restartCommand
    let queue = endpoint.mutates ? Self.mutations : DispatchQueue.global()
    let response = await withCheckedContinuation { continuation in
      queue.async {
        continuation.resume(
          returning: BuildAPI.respond(to: endpoint, folder: folder, restartCommand: restartCommand))
      }
    }
    for note in response.notes { log("\(name): \(note)") }
    if endpoint.mutates {
      log("\(name): \(response.status) \(response.body.text)")
    }
    return Self.http(response)
  }

  private static func http(_ response: BuildAPI.Response) -> Response {
    Response(
      status: HTTPResponse.Status(code: response.status),
      headers: [.contentType: BuildAPI.contentType],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.bytes)))
  }
}

/// The server task's failure, handed to the thread waiting for it.
private final class Outcome: Sendable {
  private let failure = Mutex<String?>(nil)

  func set(_ text: String) { failure.withLock { $0 = text } }

  func get() -> String? { failure.withLock { $0 } }
}
