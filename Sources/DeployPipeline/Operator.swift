import Foundation

/// Who runs a deployment and from where, as recorded in locks and journals. In GitHub Actions
/// that is the actor and the workflow run (a runner's host name means nothing a day later).
public struct Operator: Sendable, Hashable {
  public var user: String
  public var origin: String

  public init(user: String, origin: String) {
    self.user = user
    self.origin = origin
  }

  public static func current(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> Operator
  {
    if environment["GITHUB_ACTIONS"] == "true" {
      let actor = environment["GITHUB_ACTOR"].map { "github:" + $0 } ?? "github-actions"
      var origin = "github-actions"
      if let repository = environment["GITHUB_REPOSITORY"] { origin += " " + repository }
      if let run = environment["GITHUB_RUN_ID"] { origin += " run " + run }
      return Operator(user: actor, origin: origin)
    }
    let user =
      environment["USER"] ?? environment["LOGNAME"] ?? ProcessInfo.processInfo.userName
    return Operator(user: user, origin: ProcessInfo.processInfo.hostName)
  }
}
