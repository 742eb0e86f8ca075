import ArgumentParser
import DeployConfig
import DeployInventory
import DeploySupport

struct InventoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inventory",
    abstract: "Show the inventory as ansible-inventory does (--list JSON or --graph).")

  @Flag(help: "Groups, hosts and host variables as JSON (ansible-inventory --list).")
  var list = false

  @Flag(help: "The group tree (ansible-inventory --graph).")
  var graph = false

  @Option(name: [.short, .customLong("inventory")], help: "Inventory file (Ansible YAML or INI).")
  var inventory: String?

  func validate() throws {
    if list == graph { throw ValidationError("give exactly one of --list and --graph") }
  }

  func run() throws {
    try withExitStatus {
      guard let path = inventory ?? environment("DEPLOY_INVENTORY") else {
        throw DeployError.usage("no inventory: pass -i FILE or set DEPLOY_INVENTORY")
      }
      let loaded = try Inventory.load(path: path)
      print(list ? loaded.listJSON() : loaded.graph())
      return .success
    }
  }
}
