import Testing

@testable import DeployInventory
@testable import DeploySupport

/// A malformed inventory and exactly where and what the error must say.
struct MalformedInventory: Sendable, CustomTestStringConvertible {
  var name: String
  var format: Inventory.Format
  var text: String
  var line: Int
  var column: Int
  var message: String

  var testDescription: String { name }
}

@Suite("Inventory errors")
struct InventoryErrorTests {
  static let cases: [MalformedInventory] = [
    // INI
    .init(
      name: "unclosed section header", format: .ini, text: "web0\n[web\nweb1\n",
      line: 2, column: 5, message: "expected ']' to end the section header but the line ends"),
    .init(
      name: "space inside section header", format: .ini, text: "[web servers]\n",
      line: 1, column: 5, message: "expected ']' to end the section header but found a space"),
    .init(
      name: "text after section header", format: .ini, text: "[web] extra\n",
      line: 1, column: 7, message: "expected the end of the line or a comment"),
    .init(
      name: "empty section header", format: .ini, text: "\n[]\n",
      line: 2, column: 2, message: "expected a group name after '['"),
    .init(
      name: "unknown section suffix", format: .ini, text: "[g:foo]\n",
      line: 1, column: 4,
      message: "unknown section type 'foo' in [g:foo]; expected 'children' or 'vars'"),
    .init(
      name: "bad range end", format: .ini, text: "[web]\nweb[01:x].example.org\n",
      line: 2, column: 8, message: "expected a number to end the host range, found 'x'"),
    .init(
      name: "bad range on an indented line", format: .ini, text: "[web]\n   db[1:2:x]\n",
      line: 2, column: 11, message: "expected a positive step"),
    .init(
      name: "vars line without =", format: .ini, text: "[g]\nh\n[g:vars]\n  novalue\n",
      line: 4, column: 3, message: "expected key=value in [g:vars], found 'novalue'"),
    .init(
      name: "vars key with a space", format: .ini, text: "[g]\n[g:vars]\nmy key=1\n",
      line: 3, column: 4, message: "expected '=' after variable name 'my'"),
    .init(
      name: "host variable without =", format: .ini, text: "[web]\nweb1 ansible_user\n",
      line: 2, column: 6,
      message: "expected a key=value host variable after the host name, found 'ansible_user'"),
    .init(
      name: "unterminated quote", format: .ini, text: "web1 msg=\"hi\n",
      line: 1, column: 10, message: "expected a closing \" for this quote"),
    .init(
      name: "bad port", format: .ini, text: "[web]\nweb1:ssh\n",
      line: 2, column: 6, message: "expected a port number (1-65535) after ':', found 'ssh'"),
    .init(
      name: "trailing colon", format: .ini, text: "web1:\n",
      line: 1, column: 6, message: "expected a port number (1-65535) after ':', found nothing"),
    .init(
      name: "two child groups on one line", format: .ini, text: "[p:children]\nweb db\n",
      line: 2, column: 5, message: "expected one group name per line in [p:children]"),
    .init(
      name: "child group cycle", format: .ini, text: "[a:children]\nb\n[b:children]\n  a\n",
      line: 4, column: 3, message: "making 'a' a child of 'b' would create a cycle: b -> a -> b"),
    .init(
      name: "group as its own child", format: .ini, text: "[a:children]\na\n",
      line: 2, column: 1, message: "group 'a' cannot be a child of itself"),
    .init(
      name: "undeclared child group", format: .ini, text: "[p:children]\nweb\nghost\n[web]\n",
      line: 3, column: 1, message: "[p:children] names group 'ghost', which is never declared"),
    .init(
      name: "vars for an undeclared group", format: .ini, text: "\n[g:vars]\na=1\n",
      line: 2, column: 2, message: "[g:vars] refers to group 'g', which is never declared"),
    .init(
      name: "non-integer group priority", format: .ini,
      text: "[g]\n[g:vars]\nansible_group_priority=high\n",
      line: 3, column: 24, message: "expected an integer for ansible_group_priority of group 'g'"),
    .init(
      name: "YAML mistaken for INI", format: .ini, text: "---\n",
      line: 1, column: 1, message: "is this a YAML inventory?"),
    // YAML
    .init(
      name: "YAML syntax error", format: .yaml, text: "all:\n\thosts:\n",
      line: 2, column: 1, message: "invalid YAML: found character that cannot start any token"),
    .init(
      name: "YAML unclosed flow mapping", format: .yaml, text: "all:\n  hosts: {web1: \n",
      line: 3, column: 1, message: "invalid YAML: did not find expected node content"),
    .init(
      name: "hosts is a list", format: .yaml, text: "all:\n  hosts:\n    - web1\n    - web2\n",
      line: 3, column: 5,
      message: "expected 'hosts' of group 'all' to be a mapping of names, found a list"),
    .init(
      name: "children is a list", format: .yaml, text: "all:\n  children: [web]\n",
      line: 2, column: 13,
      message: "expected 'children' of group 'all' to be a mapping of names, found a list"),
    .init(
      name: "vars is a list", format: .yaml, text: "all:\n  vars: [a, b]\n",
      line: 2, column: 9,
      message:
        "expected 'vars' of group 'all' to be a mapping of variable names to values, found a list"),
    .init(
      name: "vars is a string", format: .yaml,
      text: "all:\n  children:\n    web:\n      vars: color=blue\n",
      line: 4, column: 13,
      message:
        "expected 'vars' of group 'web' to be a mapping of variable names to values, found 'color=blue'"
    ),
    .init(
      name: "unknown group key", format: .yaml, text: "all:\n  children:\n    web:\n      host:\n",
      line: 4, column: 7,
      message: "unexpected key 'host' in group 'web'; expected 'hosts', 'children' or 'vars'"),
    .init(
      name: "group is a list", format: .yaml, text: "all:\n  children:\n    web: [a]\n",
      line: 3, column: 10,
      message:
        "expected group 'web' to be a mapping with 'hosts', 'children' or 'vars' (or empty), found a list"
    ),
    .init(
      name: "host vars are a scalar", format: .yaml, text: "all:\n  hosts:\n    web1: 5\n",
      line: 3, column: 11,
      message: "expected the variables of host 'web1' to be a mapping (or empty), found '5'"),
    .init(
      name: "bad range in a YAML key", format: .yaml, text: "all:\n  hosts:\n    web[1:x]:\n",
      line: 3, column: 11, message: "expected a number to end the host range, found 'x'"),
    .init(
      name: "bad range in a quoted YAML key", format: .yaml,
      text: "all:\n  hosts:\n    'web[1:x]':\n",
      line: 3, column: 12, message: "expected a number to end the host range, found 'x'"),
    .init(
      name: "YAML child group cycle", format: .yaml,
      text:
        "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n",
      line: 7, column: 13, message: "making 'a' a child of 'b' would create a cycle: b -> a -> b"),
    .init(
      name: "top level is a list", format: .yaml, text: "# hosts\n- web1\n",
      line: 2, column: 1,
      message: "expected a mapping of group names (such as 'all:') at the top of the inventory"),
    .init(
      name: "plugin configuration", format: .yaml, text: "plugin: aws_ec2\n",
      line: 1, column: 1, message: "inventory plugin configuration"),
    .init(
      name: "vault value", format: .yaml,
      text: "all:\n  vars:\n    secret: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n",
      line: 3, column: 13, message: "vault-encrypted values are not supported"),
    .init(
      name: "YAML non-integer group priority", format: .yaml,
      text: "all:\n  children:\n    g:\n      vars:\n        ansible_group_priority: high\n",
      line: 5, column: 9, message: "expected an integer for ansible_group_priority of group 'g'"),
  ]

  @Test(arguments: cases)
  func errorsPointAtTheProblem(_ malformed: MalformedInventory) {
    let file = malformed.format == .ini ? "inv.ini" : "inv.yml"
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try Inventory.parse(text: malformed.text, file: file, format: malformed.format)
    }
    #expect(
      error?.location
        == DeploySupport.SourceLocation(file: file, line: malformed.line, column: malformed.column),
      "\(error.map { "\($0.location): \($0.message)" } ?? "no error")")
    #expect(error?.message.contains(malformed.message) == true, "\(error?.message ?? "no error")")
  }

  @Test func errorsPrintLikeCompilerDiagnostics() {
    let error = DeployError.configuration(
      DeploySupport.SourceLocation(file: "inv.ini", line: 2, column: 5), "expected ']'")
    #expect(error.description == "inv.ini:2:5: error: expected ']'")
  }

  @Test func duplicateYAMLKeysAreReported() {
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try yamlInventory("all:\n  hosts:\n    web1:\n    web1:\n")
    }
    #expect(error?.location.line == 3 || error?.location.line == 4)
    #expect(error?.message.contains("duplicate key 'web1'") == true)
  }
}
