import Foundation
import Testing

@testable import DeployInventory
@testable import DeployPlay
@testable import DeploySSH
@testable import DeploySupport

/// Playbooks in the style of public infrastructure repositories (Tests/Fixtures/playbook-corpus,
/// see its README): the ones inside the subset `deploy play` implements are read completely
/// (roles, task files, group_vars, templates); each of the others stops, before any host is
/// contacted, with an "unsupported" error at the construct's file:line:column.
@Suite struct PlaybookCorpusTests {
  static let folder = InventoryTestKit.repositoryRoot + "/Tests/Fixtures/playbook-corpus"

  /// Plans the playbook as `deploy play` does before connecting (no host is contacted: the
  /// corpus' hosts are placeholders).
  func plan(_ file: String) throws(DeployError) {
    let inventory = try Inventory.load(path: Self.folder + "/inventory.ini")
    let playbook = try Playbook.load(path: Self.folder + "/" + file)
    _ = try PlaybookRunner(
      playbook: playbook, inventory: inventory,
      options: PlayOptions(ssh: SSHDefaults(transport: .auto)), events: IgnoredEvents())
  }

  struct IgnoredEvents: PlayEventSink {
    func handle(_ event: PlayEvent) {}
  }

  /// The playbooks shipped in playbooks/ are read completely too.
  @Test(arguments: ["provision.yml", "deploy-git-app.yml", "deploy-apt-app.yml"])
  func shippedPlaybooksAreReadCompletely(_ file: String) throws {
    let inventory = try Inventory.load(path: Self.folder + "/inventory.ini")
    let playbook = try Playbook.load(path: InventoryTestKit.repositoryRoot + "/playbooks/" + file)
    _ = try PlaybookRunner(
      playbook: playbook, inventory: inventory,
      options: PlayOptions(ssh: SSHDefaults(transport: .auto)), events: IgnoredEvents())
  }

  @Test(arguments: [
    "01-site-common.yml", "02-webservers.yml", "03-users.yml", "04-app-release.yml",
    "05-backup-localhost.yml",
  ])
  func insideTheSubsetIsReadCompletely(_ file: String) throws {
    try plan(file)
  }

  @Test(arguments: [
    ("06-include-role.yml", "06-include-role.yml:10:7", "'include_role' is Ansible"),
    ("07-lookup.yml", "07-lookup.yml:9:18", "function 'lookup()'"),
    ("08-with-dict.yml", "roles/postgresql/tasks/main.yml:14:3", "'with_dict'"),
    ("09-until-retries.yml", "09-until-retries.yml:9:7", "'until' is Ansible"),
    ("10-async.yml", "10-async.yml:8:7", "'async' is Ansible"),
    ("11-firewall.yml", "11-firewall.yml:7:7", "'ansible.posix.sysctl' is Ansible"),
    ("12-rolling-serial.yml", "12-rolling-serial.yml:10:20", "delegate_to 'mon1'"),
  ])
  func outsideTheSubsetStopsAtTheConstruct(_ file: String, _ location: String, _ construct: String)
  {
    #expect {
      try plan(file)
    } throws: { error in
      let text = "\(error)"
      return text.contains(location + ": error: unsupported") && text.contains(construct)
    }
  }
}

/// What the planner refuses before any host is contacted, besides unknown modules and keywords.
@Suite struct PlayPlannerTests {
  func plan(_ text: String) throws(DeployError) {
    let playbook = try Playbook.parse(text, path: "site.yml")
    let inventory = try Inventory.parse(text: "web1\n", file: "hosts", format: .ini)
    _ = try PlaybookRunner(
      playbook: playbook, inventory: inventory,
      options: PlayOptions(ssh: SSHDefaults(transport: .auto)),
      events: PlaybookCorpusTests.IgnoredEvents())
  }

  @Test(arguments: [
    (
      "- hosts: all\n  tasks:\n    - copy:\n        dst: /tmp/x\n        content: hi\n",
      "site.yml:4:9: error: unsupported parameter 'dst' for module copy (did you mean 'dest'?)"
    ),
    (
      "- hosts: all\n  tasks:\n    - file: path=/tmp/x stat=directory\n",
      "site.yml:3:7: error: unsupported parameter 'stat' for module file (did you mean 'state'?)"
    ),
    (
      "- hosts: all\n  tasks:\n    - shell: echo hi\n      args:\n        chdr: /tmp\n",
      "site.yml:5:9: error: unsupported parameter 'chdr' for module shell (did you mean 'chdir'?)"
    ),
    (
      "- hosts: all\n  tasks:\n    - debug:\n        msg: \"{{ x | nofilter }}\"\n",
      "no filter named 'nofilter'"
    ),
    (
      "- hosts: all\n  tasks:\n    - debug: msg=hi\n      when: x ==\n",
      "site.yml:4:"
    ),
  ])
  func mistakesStopBeforeAnyHost(_ text: String, _ expected: String) {
    #expect {
      try plan(text)
    } throws: { error in
      "\(error)".contains(expected)
    }
  }

  /// set_fact takes any variable name.
  @Test func setFactTakesAnyName() throws {
    try plan("- hosts: all\n  tasks:\n    - set_fact:\n        anything_at_all: 1\n")
  }
}

/// `key=value` arguments (`debug: msg=hi`, `-e k=v`) split as Ansible's parse_kv does.
@Suite struct KeyValueArgumentsTests {
  @Test(arguments: [
    ("path={{ site }} state=directory", [("path", "{{ site }}"), ("state", "directory")]),
    ("msg='a b' x=\"c d\"", [("msg", "a b"), ("x", "c d")]),
    ("key='ssh-ed25519 AAAA me@host'", [("key", "ssh-ed25519 AAAA me@host")]),
    ("cmd={% if a %}x{% endif %} b=2", [("cmd", "{% if a %}x{% endif %}"), ("b", "2")]),
    ("a=1  b=", [("a", "1"), ("b", "")]),
  ])
  func splits(_ text: String, _ expected: [(String, String)]) throws {
    let pairs = try KeyValueArguments.parse(text)
    #expect(pairs.map(\.0) == expected.map(\.0))
    #expect(pairs.map(\.1) == expected.map(\.1))
  }

  @Test(arguments: [
    ("make chdir=/src creates=/src/out", "make", [("chdir", "/src"), ("creates", "/src/out")]),
    ("echo 'a  b' > x chdir='/my dir'", "echo 'a  b' > x", [("chdir", "/my dir")]),
    ("FOO=bar env", "FOO=bar env", []),
    ("echo {{ a ~ ' chdir=x' }}", "echo {{ a ~ ' chdir=x' }}", []),
  ])
  func commandFreeFormArguments(
    _ text: String, _ command: String, _ arguments: [(String, String)]
  ) {
    let split = KeyValueArguments.commandArguments(text)
    #expect(split.command == command)
    #expect(split.arguments.map(\.0) == arguments.map(\.0))
    #expect(split.arguments.map(\.1) == arguments.map(\.1))
  }

  @Test(arguments: ["novalue", "a='unclosed", "x={{ y", "1a=2", "=b"])
  func refuses(_ text: String) {
    #expect(throws: KeyValueArguments.Failure.self) { try KeyValueArguments.parse(text) }
  }
}
