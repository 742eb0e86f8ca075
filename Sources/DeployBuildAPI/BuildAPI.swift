/// The ECHR-OD explorer's build API (`GET /api/v1/build/<endpoint>`), transport aside: which
/// answer, with which HTTP status and exact bytes, each endpoint gives for a build folder. The
/// `deploy build-api` server only adds HTTP; tests and the deployer's activation step can
/// compute the same answers without it.
public enum BuildAPI {
  public static let pathPrefix = "/api/v1/build/"
  /// FastAPI's `JSONResponse` media type.
  public static let contentType = "application/json"

  public enum Endpoint: String, Sendable, CaseIterable {
    case status, history, latest, current, available
    case newBuildAvailable = "new_build_available"
    case update
    /// Not in the explorer: puts `<build>.save` back.
    case rollback

    /// Changes what is served, so it needs the token when one is configured.
    public var mutates: Bool { self == .update || self == .rollback }
  }

  public struct Response: Sendable, Hashable {
    public var status: Int
    public var body: PythonJSON
    /// Lines for the server's log (recovery steps, how a newer build was chosen).
    public var notes: [String]

    public init(status: Int = 200, body: PythonJSON, notes: [String] = []) {
      self.status = status
      self.body = body
      self.notes = notes
    }

    /// The body's bytes, as the explorer writes them.
    public var bytes: [UInt8] { BuildAPI.responseBody(body) }
  }

  /// The answer to one endpoint. `update` and `rollback` change the folder; the others only
  /// read it.
  public static func respond(
    to endpoint: Endpoint, folder: BuildFolder, restartCommand: String? = nil
  ) -> Response {
    switch endpoint {
    case .status: return Response(body: folder.state().status())
    case .history: return Response(body: folder.state().history())
    case .latest: return Response(body: folder.state().latest())
    case .current: return Response(body: folder.state().current())
    case .available: return Response(body: folder.state().available())
    case .newBuildAvailable:
      let state = folder.state()
      return Response(
        body: state.newBuildAvailable(), notes: state.newBuild().detail.map { [$0] } ?? [])
    case .update:
      do throws(BuildAPIError) {
        switch try folder.update(restartCommand: restartCommand) {
        case .upToDate: return Response(body: message("Build up-to-date"))
        case .updated(let source, let notes):
          return Response(
            body: message("Build updated"),
            notes: notes + ["swapped in \(String(reflecting: source))"])
        }
      } catch {
        return failure(error)
      }
    case .rollback:
      do throws(BuildAPIError) {
        let notes = try folder.rollback(restartCommand: restartCommand)
        return Response(body: message("Build rolled back"), notes: notes)
      } catch {
        return failure(error)
      }
    }
  }

  /// The bytes FastAPI sends for `value`.
  public static func responseBody(_ value: PythonJSON) -> [UInt8] { value.serialized }

  /// `{"message": text}`, the shape of every answer of `update`.
  public static func message(_ text: String) -> PythonJSON { .object([("message", .string(text))]) }

  /// FastAPI's answer to an unknown path.
  public static let notFound = Response(
    status: 404, body: .object([("detail", .string("Not Found"))]))

  /// The answer to `update` or `rollback` without the right token.
  public static let unauthorized = Response(
    status: 401,
    body: message(
      "Unauthorized: send the token as 'Authorization: Bearer TOKEN' or as '?token=TOKEN'"))

  private static func failure(_ error: BuildAPIError) -> Response {
    Response(status: error.httpStatus, body: message(error.description), notes: [error.description])
  }

  /// Whether a request may change the folder: always without a configured token; otherwise
  /// the token must come as `Authorization: Bearer TOKEN` or as the `token` query parameter.
  public static func isAuthorized(
    token expected: String?, authorization: String?, queryToken: String?
  ) -> Bool {
    guard let expected else { return true }
    var offered: [String] = []
    if let authorization, authorization.lowercased().hasPrefix("bearer ") {
      offered.append(String(authorization.dropFirst("bearer ".count).drop { $0 == " " }))
    }
    if let queryToken { offered.append(queryToken) }
    return offered.contains { constantTimeEqual(Array($0.utf8), Array(expected.utf8)) }
  }

  /// Compares without stopping at the first difference, so timing does not reveal a prefix.
  private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
      difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
  }
}
