import Foundation
import Testing

@testable import DeployInventory
@testable import DeployPlay
@testable import DeploySupport

@Suite struct PlaybookParserTests {
  @Test func theShippedProvisioningPlaybookParses() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().path
    let playbook = try Playbook.load(path: root + "/playbooks/provision.yml")
    let play = try #require(playbook.plays.first)
    #expect(play.hosts == "all")
    #expect(play.become)
    #expect(play.preTasks.count == 2)
    #expect(play.tasks.count == 8)
    #expect(play.handlers.count == 1)
    guard case .module(let name, _, _) = play.tasks[0].action else {
      Issue.record("expected a module call")
      return
    }
    #expect(name == "apt")
    #expect(play.tasks[7].keywords["notify"] != nil)
  }

  @Test func blocksIncludesFreeFormAndFullyQualifiedNames() throws {
    let playbook = try Playbook.parse(
      """
      - hosts: web:&prod
        gather_facts: no
        roles: [common, {role: nginx}]
        tasks:
          - ansible.builtin.command: uname -r
            register: kernel
            changed_when: false
          - block:
              - shell: echo hi
            rescue:
              - debug: {msg: "failed"}
            always:
              - import_tasks: cleanup.yml
            tags: [setup]
      """, path: "site.yml")
    let play = try #require(playbook.plays.first)
    #expect(play.hosts == "web:&prod")
    #expect(!play.gatherFacts)
    #expect(play.roles.map(\.name) == ["common", "nginx"])
    guard case .module("command", _, let freeForm) = play.tasks[0].action else {
      Issue.record("expected command")
      return
    }
    #expect(freeForm == "uname -r")
    guard case .block(let tasks, let rescue, let always) = play.tasks[1].action else {
      Issue.record("expected a block")
      return
    }
    #expect(tasks.count == 1 && rescue.count == 1 && always.count == 1)
    #expect(play.tasks[1].tags == ["setup"])
  }

  /// Typos stop the run before any host is touched, with file:line:column and the name.
  @Test(arguments: [
    (
      "- hosts: all\n  tasks:\n    - name: x\n      aptt: {name: git}\n",
      "unknown module or task keyword 'aptt' (did you mean 'apt'?)", 4, 7
    ),
    (
      "- hosts: all\n  tasks:\n    - copy: {src: a}\n      whenn: x\n",
      "unknown module or task keyword 'whenn' (did you mean 'when'?)", 4, 7
    ),
    ("- hosts: all\n  taks: []\n", "unknown key 'taks' in a play (did you mean 'tasks'?)", 2, 3),
    ("- name: no hosts\n  tasks: []\n", "a play needs 'hosts'", 1, 3),
    (
      "- hosts: all\n  tasks:\n    - copy: {src: a}\n      file: {path: b}\n",
      "a task calls one module; 'file' is a second one", 4, 7
    ),
    ("- hosts: all\n  tasks:\n    - name: nothing\n", "this task calls no module", 3, 7),
    (
      "- hosts: all\n  tasks:\n    - apt: git\n", "expected key=value pairs; 'git' has no '='",
      3, 12
    ),
  ])
  func mistakesAreFoundBeforeAnyHost(_ text: String, _ message: String, _ line: Int, _ column: Int)
  {
    #expect {
      _ = try Playbook.parse(text, path: "site.yml")
    } throws: { error in
      let text = "\(error)"
      return text.contains(message) && text.contains("site.yml:\(line):\(column):")
    }
  }

  @Test func importPlaybookIsFollowedAndCyclesAreRefused() throws {
    let dir = try TemporaryDirectory.make()
    try "- import_playbook: b.yml\n- hosts: a\n  tasks: []\n".write(
      toFile: dir + "/a.yml", atomically: true, encoding: .utf8)
    try "- hosts: b\n  tasks: []\n".write(toFile: dir + "/b.yml", atomically: true, encoding: .utf8)
    #expect(try Playbook.load(path: dir + "/a.yml").plays.map(\.hosts) == ["b", "a"])
    try "- import_playbook: a.yml\n".write(
      toFile: dir + "/b.yml", atomically: true, encoding: .utf8)
    #expect(throws: DeployError.self) { try Playbook.load(path: dir + "/a.yml") }
  }
}

@Suite struct ModuleRegistryTests {
  /// Every module name the parser accepts has an implementation, and nothing else is registered.
  @Test func theParserAndTheRegistryAgree() {
    #expect(Set(ModuleRegistry.all.map { $0.name }) == PlaybookParser.modules)
  }
}
