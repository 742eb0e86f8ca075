import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySupport

/// `deploy play` on the fleet of real Debian hosts: the playbook language (loops, handlers,
/// blocks, register, conditions), check mode that changes nothing, and a misspelt playbook that
/// touches no host.
extension FleetTests {
  @Suite struct PlayTests {
    let directory: String

    init() throws {
      directory = NSTemporaryDirectory() + "deploy-play-" + UUID().uuidString.prefix(8)
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      for host in TestFleet.hosts {
        try TestFleet.exec(host, "rm -rf /srv/play-test /tmp/play-marker")
      }
    }

    func write(_ name: String, _ text: String) throws -> String {
      let path = directory + "/" + name
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }

    func play(_ arguments: [String], inventory: String = TestFleet.inventoryPath) throws -> (
      status: Int32, stdout: String, stderr: String
    ) {
      try TestHosts.deploy(
        ["play"] + arguments + ["-i", inventory, "--known-hosts", TestFleet.knownHosts])
    }

    /// The recap line of `host` as its counts (`ok`, `changed`, …).
    func recap(_ output: String, _ host: String) -> [String: Int] {
      guard
        let line = output.split(separator: "\n").first(where: {
          $0.hasPrefix(host + " ") && $0.contains(": ok=")
        })
      else { return [:] }
      var counts: [String: Int] = [:]
      for field in line.split(separator: " ") where field.contains("=") {
        let parts = field.split(separator: "=")
        counts[String(parts[0])] = Int(parts[1])
      }
      return counts
    }

    static let language = """
      - name: The language
        hosts: test
        vars:
          greeting: hello
          message: "{{ greeting }} from {{ inventory_hostname }}"
          items: [a, b]
        tasks:
          - name: Facts and variables
            debug:
              msg: "{{ message }} on {{ ansible_os_family }} {{ ansible_distribution_release }}"
          - name: Read something
            command: echo {{ greeting | upper }}
            register: out
            changed_when: false
          - name: Loop, notify
            shell: mkdir -p /srv/play-test && echo {{ item }} > /srv/play-test/{{ item }}
            args:
              creates: /srv/play-test/{{ item }}
            loop: "{{ items }}"
            notify: mark
          - name: Not for these hosts
            command: "false"
            when: greeting == 'bye'
          - block:
              - name: Fails
                command: /bin/false
            rescue:
              - name: Rescued
                debug: msg="rescued on {{ inventory_hostname }}"
            always:
              - name: Always
                debug:
                  msg: always
          - name: Ignored failure
            command: /bin/false
            ignore_errors: true
          - set_fact:
              later: "{{ out.stdout | lower }}"
          - name: Registered and set facts are visible
            assert:
              that:
                - later == 'hello'
                - out.rc == 0
                - out is succeeded
        handlers:
          - name: mark
            shell: date > /tmp/play-marker
      """

    @Test func loopsHandlersBlocksRegisterAndConditions() throws {
      let book = try write("language.yml", Self.language)
      let first = try play([book])
      #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
      for host in ["test1", "test2"] {
        #expect(
          recap(first.stdout, host)
            == [
              "ok": 10, "changed": 2, "unreachable": 0, "failed": 0, "skipped": 1, "rescued": 1,
              "ignored": 1,
            ], "\(first.stdout)")
        #expect(try TestFleet.exec(host, "cat /srv/play-test/a /srv/play-test/b") == "a\nb\n")
        #expect(!(try TestFleet.exec(host, "cat /tmp/play-marker")).isEmpty, "handler ran")
      }
      #expect(first.stdout.contains("ok: [test1] => hello from test1 on Debian bookworm"))
      #expect(first.stdout.contains("RUNNING HANDLER [mark]"))
      #expect(try TestFleet.exec("prod1", "ls /srv/play-test 2>/dev/null || true").isEmpty)

      // Nothing left to do: the loop's `creates` holds, so nothing changes and the handler is
      // not notified.
      try TestFleet.exec("test1", "rm /tmp/play-marker")
      let second = try play([book, "-l", "test1"])
      #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
      #expect(recap(second.stdout, "test1")["changed"] == 0, "\(second.stdout)")
      #expect(recap(second.stdout, "test2").isEmpty, "-l test1 leaves test2 out")
      #expect(!second.stdout.contains("RUNNING HANDLER"))
      #expect(try TestFleet.exec("test1", "ls /tmp/play-marker 2>/dev/null || true").isEmpty)
    }

    @Test func rolesTagsExtraVarsSerialAndNoLog() throws {
      _ = try write(
        "roles/greeter/defaults/main.yml", "greeting: hello\nsecret_word: swordfish\n")
      _ = try write("roles/greeter/vars/main.yml", "role_var: from-role\n")
      _ = try write(
        "roles/greeter/tasks/main.yml",
        """
        - name: Greet
          shell: echo "{{ greeting }} {{ role_var }} {{ who }}" >> /srv/play-test/greetings
          notify: greeted
          tags: [greet]
        - name: Secret
          shell: echo {{ secret_word }} > /srv/play-test/secret
          no_log: true
          tags: [secret]
        """)
      _ = try write(
        "roles/greeter/handlers/main.yml",
        "- name: greeted\n  shell: echo handled >> /srv/play-test/greetings\n")
      _ = try write("vars.yml", "who: world\n")
      let book = try write(
        "site.yml",
        """
        - hosts: test
          gather_facts: false
          serial: 1
          pre_tasks:
            - name: Folder
              shell: mkdir -p /srv/play-test
              tags: [always]
          roles:
            - greeter
          tasks:
            - name: Untagged
              shell: touch /srv/play-test/untagged
        """)
      let run = try play([book, "-e", "@" + directory + "/vars.yml", "-e", "greeting='good day'"])
      #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
      for host in ["test1", "test2"] {
        #expect(
          try TestFleet.exec(host, "cat /srv/play-test/greetings")
            == "good day from-role world\nhandled\n")
        #expect(try TestFleet.exec(host, "cat /srv/play-test/secret") == "swordfish\n")
      }
      #expect(run.stdout.contains("TASK [greeter : Greet]"), "\(run.stdout)")
      #expect(!run.stdout.contains("swordfish"), "no_log hides the command")
      // serial: 1 runs the whole play on test1 before test2 starts.
      let lines = run.stdout.split(separator: "\n").map(String.init)
      let lastTest1 = try #require(lines.lastIndex { $0.contains("[test1]") })
      let firstTest2 = try #require(lines.firstIndex { $0.contains("[test2]") })
      #expect(lastTest1 < firstTest2, "\(run.stdout)")

      // -t runs the tagged task and `always`; --skip-tags removes one.
      for host in ["test1", "test2"] { try TestFleet.exec(host, "rm -rf /srv/play-test") }
      let tagged = try play([
        book, "-t", "greet,secret", "--skip-tags", "secret", "-l", "test1", "-e", "who=world",
      ])
      #expect(tagged.status == 0, "\(tagged.stdout)\(tagged.stderr)")
      #expect(
        try TestFleet.exec("test1", "ls /srv/play-test") == "greetings\n", "\(tagged.stdout)")
      #expect(recap(tagged.stdout, "test1")["changed"] == 3, "folder, greet, handler")
    }

    @Test func delegateToLocalhostRunsOnTheController() throws {
      let book = try write(
        "local.yml",
        """
        - hosts: test
          gather_facts: false
          tasks:
            - name: Note each host on the controller
              shell: echo {{ inventory_hostname }} >> \(directory)/seen
              delegate_to: localhost
              become: false
        """)
      let result = try play([book])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("changed: [test1 -> localhost]"), "\(result.stdout)")
      let seen = try String(contentsOfFile: directory + "/seen", encoding: .utf8)
      #expect(seen.split(separator: "\n").sorted() == ["test1", "test2"])
    }

    /// Ansible reads group_vars/ and host_vars/ beside the playbook too (here the inventory is
    /// elsewhere): the host's own file wins over its group's.
    @Test func groupAndHostVarsBesideThePlaybook() throws {
      _ = try write("group_vars/test.yml", "motto: from-group\ncolour: blue\n")
      _ = try write("host_vars/test1.yml", "motto: from-host\n")
      let book = try write(
        "vars.yml",
        """
        - hosts: test
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ motto }} {{ colour }}"
        """)
      let result = try play([book])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("ok: [test1] => from-host blue"), "\(result.stdout)")
      #expect(result.stdout.contains("ok: [test2] => from-group blue"), "\(result.stdout)")
    }

    @Test func runOnceSharesItsResultAndFreeFormArgumentsAreTaken() throws {
      let book = try write(
        "once.yml",
        """
        - hosts: test
          gather_facts: false
          tasks:
            - command: uname -n chdir=/tmp
              register: first
              run_once: true
            - debug: msg="first={{ first.stdout }}"
            - shell: pwd > /srv/play-test-pwd chdir=/srv creates=/srv/play-test-pwd
            - shell: cat /srv/play-test-pwd
              register: where
            - debug: msg="where={{ where.stdout }}"
        """)
      for host in ["test1", "test2"] { try TestFleet.exec(host, "rm -f /srv/play-test-pwd") }
      let result = try play([book])
      #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("ok: [test1] => first=test1"), "\(result.stdout)")
      #expect(result.stdout.contains("ok: [test2] => first=test1"), "\(result.stdout)")
      #expect(result.stdout.contains("ok: [test2] => where=/srv"), "\(result.stdout)")
      // creates= held on a second run: the shell task is ok, not changed.
      let again = try play([book, "-l", "test2"])
      #expect(recap(again.stdout, "test2")["changed"] == 2, "run_once command and cat only")
    }

    /// In a GitHub Actions job: secrets masked first, an annotation per failed host, outputs
    /// and a recap table in the summary.
    @Test func inGitHubActions() throws {
      let book = try write(
        "ci.yml",
        """
        - hosts: test
          gather_facts: false
          tasks:
            - name: Uses the password
              shell: test -n "{{ db_password }}"
            - name: Fails on test2
              command: "false"
              when: inventory_hostname == 'test2'
        """)
      let outputs = directory + "/github_output"
      let summary = directory + "/summary.md"
      let result = try TestHosts.deploy(
        [
          "play", book, "-i", TestFleet.inventoryPath, "--known-hosts", TestFleet.knownHosts,
          "-e", "db_password=hunter2-swordfish",
        ],
        environment: [
          "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outputs, "GITHUB_STEP_SUMMARY": summary,
        ])
      #expect(result.status == ExitStatus.hostsFailed.rawValue, "\(result.stdout)\(result.stderr)")
      #expect(result.stderr.hasPrefix("::add-mask::hunter2-swordfish\n"), "\(result.stderr)")
      #expect(result.stderr.contains("::error title=host test2,file="), "\(result.stderr)")
      #expect(result.stderr.contains(",line=6::Fails on test2: non-zero return code 1"))
      let written = try String(contentsOfFile: outputs, encoding: .utf8)
      #expect(written.contains("outcome=failed\n") && written.contains("hosts-failed=1\n"))
      let table = try String(contentsOfFile: summary, encoding: .utf8)
      #expect(table.contains("| test1 | 1 | 1 | 0 | 0 | 1 | 0 | 0 |"), "\(table)")
      #expect(table.contains("| test2 | 1 | 1 | 0 | 1 | 0 | 0 | 0 |"), "\(table)")
    }

    /// Role parameters (`vars:` with the role) win over `set_fact`, `-e` over both.
    @Test func roleParametersPrecedence() throws {
      _ = try write("roles/shower/tasks/main.yml", "- debug: msg=\"who={{ who }}\"\n")
      let book = try write(
        "params.yml",
        """
        - hosts: test1
          gather_facts: false
          pre_tasks:
            - set_fact:
                who: from-fact
          roles:
            - role: shower
              vars:
                who: from-parameter
        """)
      let result = try play([book])
      #expect(result.stdout.contains("ok: [test1] => who=from-parameter"), "\(result.stdout)")
      let overridden = try play([book, "-e", "who=from-e"])
      #expect(overridden.stdout.contains("ok: [test1] => who=from-e"), "\(overridden.stdout)")
    }

    @Test func checkModeReportsAndChangesNothing() throws {
      let book = try write(
        "check.yml",
        """
        - hosts: prod1
          tasks:
            - name: Create a folder
              command: mkdir -p /srv/play-test/check
            - name: Read-only, runs even in check mode
              command: cat /etc/debian_version
              register: version
              check_mode: false
              changed_when: false
            - debug:
                msg: "Debian {{ version.stdout }}"
        """)
      let before = try TestFleet.exec("prod1", "find /srv /tmp /root | sort | md5sum")
      let checked = try play([book, "--check"])
      #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
      #expect(
        checked.stdout.contains("would run: mkdir -p /srv/play-test/check"), "\(checked.stdout)")
      #expect(checked.stdout.contains("=> Debian 12."), "\(checked.stdout)")
      #expect(recap(checked.stdout, "prod1")["changed"] == 1)
      #expect(try TestFleet.exec("prod1", "find /srv /tmp /root | sort | md5sum") == before)
    }

    @Test func aMisspeltModuleTouchesNoHost() throws {
      let book = try write(
        "typo.yml",
        """
        - hosts: all
          tasks:
            - name: Would leave a marker
              shell: touch /tmp/play-marker
            - name: Typo
              aptt:
                name: git
        """)
      // An inventory whose hosts include one nobody listens on: a run that tried to connect
      // would end "unreachable" (4), not "bad playbook" (2).
      let inventory = try write(
        "inventory.ini",
        try String(contentsOfFile: TestFleet.inventoryPath, encoding: .utf8)
          + "\n[extra]\nnowhere ansible_host=127.0.0.1 ansible_port=1\n")
      let result = try play([book], inventory: inventory)
      #expect(result.status == ExitStatus.usage.rawValue, "\(result.stdout)\(result.stderr)")
      #expect(result.stderr.contains("typo.yml:6:7: error: unknown module or task keyword 'aptt'"))
      #expect(result.stderr.contains("did you mean 'apt'?"))
      #expect(result.stdout.isEmpty)
      for host in TestFleet.hosts {
        #expect(try TestFleet.exec(host, "ls /tmp/play-marker 2>/dev/null || true").isEmpty)
      }
    }

    @Test func anUnreachableHostIsCountedAndTheOthersGoOn() throws {
      let book = try write(
        "reach.yml",
        """
        - hosts: all
          gather_facts: false
          tasks:
            - shell: touch /tmp/play-marker
        """)
      let inventory = try write(
        "inventory.ini",
        """
        [web]
        prod2 ansible_host=127.0.0.1 ansible_port=\(TestFleet.port("prod2")) ansible_user=root ansible_ssh_private_key_file=\(TestFleet.key)
        nowhere ansible_host=127.0.0.1 ansible_port=1 ansible_user=root
        """)
      let result = try play([book, "--json"], inventory: inventory)
      #expect(result.status == ExitStatus.unreachable.rawValue, "\(result.stdout)\(result.stderr)")
      let events = result.stdout.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
      let recaps = Dictionary(
        uniqueKeysWithValues: events.filter { $0["event"] as? String == "recap" }.map {
          ($0["host"] as? String ?? "", $0)
        })
      #expect(recaps["nowhere"]?["unreachable"] as? Int == 1)
      #expect(recaps["prod2"]?["changed"] as? Int == 1)
      #expect(!(try TestFleet.exec("prod2", "ls /tmp/play-marker")).isEmpty)
    }
  }
}
