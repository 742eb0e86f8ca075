import DeployInventory
import DeploySupport
import Yams

/// A YAML value from a playbook with its position, kept unevaluated until a host's variables
/// are known (it may hold `{{ templates }}`). Yams nodes are values (enums of structs), so
/// sharing them across threads is safe even though Yams does not declare it.
public struct PlaybookValue: @unchecked Sendable {
  public let node: Node
  public let location: SourceLocation

  init(_ node: Node, file: String) {
    self.node = node
    location = YAMLDocument.location(of: node, file: file)
  }
}
