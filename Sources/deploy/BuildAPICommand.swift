import ArgumentParser
import DeployBuildAPI
import DeployInventory
import DeploySupport
import Foundation

struct BuildAPICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "build-api",
    abstract: "Serve the ECHR-OD explorer's build API (/api/v1/build/…) for a build folder.",
    discussion: """
      For apps that do not serve the build API themselves: answers status, history, latest, \
      current, available and new_build_available byte for byte as the explorer does, and \
      update swaps in the newest build atomically (the previous one stays as <build>.save; \
      rollback puts it back). A crash at any moment leaves a complete build served; the next \
      start finishes or undoes the interrupted swap. Nothing authenticates update and rollback \
      but --token (or DEPLOY_BUILD_API_TOKEN), so without one only a loopback address is \
      accepted: reach it through an SSH forward. Stops on SIGTERM or SIGINT.
      """)

  @Option(help: "The build folder (the explorer's data_folder).")
  var dataFolder: String

  @Option(help: "The folder of the served build inside it (the explorer's build_name).")
  var buildName: String

  @Option(help: "HOST:PORT, [IPV6]:PORT or PORT to listen on.")
  var listen = ListenAddress.default.description

  @Option(help: "A shell command run after each update or rollback, e.g. restarting the app.")
  var restartCommand: String?

  @Option(
    help: "Required as 'Authorization: Bearer TOKEN' or '?token=' by update and rollback.")
  var token: String?

  func run() throws {
    try withExitStatus {
      let address = try ListenAddress(parsing: listen)
      let token = self.token ?? environment("DEPLOY_BUILD_API_TOKEN")
      if token?.isEmpty == true {
        throw DeployError.usage("the token is empty: pass a secret with --token")
      }
      if !address.isLoopback, token == nil {
        throw DeployError.usage(
          "refusing to listen on \(address) without --token: nothing else authenticates "
            + "update, so only loopback addresses (127.0.0.1, ::1) are served without one")
      }
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dataFolder, isDirectory: &isDirectory),
        isDirectory.boolValue
      else {
        throw DeployError.unreadableFile(path: dataFolder, reason: "not a folder")
      }
      let folder = try BuildFolder(path: dataFolder, buildName: buildName)
      let server = BuildAPIServer(
        folder: folder, address: address, token: token, restartCommand: restartCommand)
      do throws(BuildAPIError) {
        for note in try folder.recover() { server.log("recovery: " + note) }
      } catch {
        // Still serve: the read-only answers are right whatever state the swap was left in.
        server.log("error: recovery failed: \(error)")
      }
      try server.run()
      return .success
    }
  }
}
