import Foundation
import HostShell
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeployPipeline
@testable import DeployPlay
@testable import DeploySSH
@testable import DeploySupport

/// The playbook system modules (apt, package, user, group, authorized_key, service/systemd,
/// wait_for, get_url, unarchive, git) against a real Debian host of the fleet: a first run
/// changes, a second is ok, check mode reports the change and changes nothing (read back on the
/// host), and failures say why.
extension FleetTests {
  @Suite(.enabled(if: TestFleet.hasPackages))
  struct SystemModulesTests {
    let host: String
    let connection: any SSHConnection

    init() throws {
      host = try #require(TestFleet.hosts.first)
      connection = try TransportSelector().connect(TestFleet.target(host))
    }

    func context(check: Bool = false, diff: Bool = false) -> ModuleContext {
      ModuleContext(
        host: host, runner: SSHRunner(connection), remoteUser: "root", checkMode: check,
        diffMode: diff)
    }

    @discardableResult
    func run<Module: PlayModule>(
      _ module: Module.Type, check: Bool = false, diff: Bool = false,
      _ values: [String: VarValue]
    ) throws -> ModuleResult {
      try Module.run(
        ModuleArgs(module: Module.name, values: values), context(check: check, diff: diff))
    }

    /// The failure message of a run that must fail.
    func failure<Module: PlayModule>(
      _ module: Module.Type, check: Bool = false, _ values: [String: VarValue]
    ) -> String {
      do {
        _ = try run(module, check: check, values)
        return "(no failure)"
      } catch let failure as ModuleFailure {
        return failure.message
      } catch {
        return "(not a ModuleFailure: \(error))"
      }
    }

    func onHost(_ command: String) throws -> String {
      try TestFleet.exec(host, command).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func installed(_ package: String) throws -> String {
      try onHost(
        "dpkg-query -W -f '${db:Status-Abbrev}${Version}' \(package) 2>/dev/null | sed -n 's/^ii *//p'"
      )
    }

    // MARK: apt, package

    @Test func aptInstallsPinsUpgradesAndRemoves() throws {
      _ = try onHost("dpkg --purge ooni-api fastpath analysis >/dev/null 2>&1; true")

      let preview = try run(AptModule.self, check: true, ["name": .list([.string("ooni-api")])])
      #expect(preview.changed)
      #expect(preview.message?.contains("ooni-api") == true, "\(preview.message ?? "")")
      #expect(try installed("ooni-api") == "")

      let first = try run(
        AptModule.self, ["name": .list([.string("ooni-api")]), "update_cache": .bool(true)])
      #expect(first.changed)
      #expect(first.values["cache_updated"] == .bool(true))
      #expect(try installed("ooni-api") == "1.0.81~pr770-3")

      // Ansible's rule: a refreshed cache alone does not make a package task changed.
      let second = try run(
        AptModule.self, ["name": .list([.string("ooni-api")]), "update_cache": .bool(true)])
      #expect(!second.changed)
      #expect(second.values["cache_updated"] == .bool(true))

      let pinned = try run(
        AptModule.self, ["name": .string("ooni-api=1.0.80"), "allow_downgrade": .bool(true)])
      #expect(pinned.changed)
      #expect(try installed("ooni-api") == "1.0.80")
      #expect(!(try run(AptModule.self, ["name": .string("ooni-api=1.0.80")]).changed))
      // present does not upgrade what is installed; latest does.
      #expect(!(try run(AptModule.self, ["name": .string("ooni-api")]).changed))
      let latestPreview = try run(
        AptModule.self, check: true, ["name": .string("ooni-api"), "state": .string("latest")])
      #expect(latestPreview.changed)
      #expect(try installed("ooni-api") == "1.0.80")
      #expect(try run(AptModule.self, ["name": .string("ooni-api"), "state": "latest"]).changed)
      #expect(try installed("ooni-api") == "1.0.81~pr770-3")
      #expect(!(try run(AptModule.self, ["name": "ooni-api", "state": "latest"]).changed))

      let removal = try run(AptModule.self, check: true, ["name": "ooni-api", "state": "absent"])
      #expect(removal.changed)
      #expect(try installed("ooni-api") == "1.0.81~pr770-3")
      #expect(try run(AptModule.self, ["name": "ooni-api,fastpath", "state": "absent"]).changed)
      #expect(try installed("ooni-api") == "")
      #expect(!(try run(AptModule.self, ["name": "ooni-api", "state": "absent"]).changed))
    }

    @Test func aptFailuresAndCacheOnly() throws {
      let missing = failure(AptModule.self, ["name": .list(["ooni-api", "no-such-package"])])
      #expect(missing.contains("No package matching 'no-such-package' is available"), "\(missing)")
      let badPin = failure(AptModule.self, ["name": "ooni-api=9.9"])
      #expect(badPin.contains("ooni-api=9.9"), "\(badPin)")
      let inconsistent = failure(AptModule.self, ["name": "ooni-api=1.0.80", "state": "latest"])
      #expect(inconsistent.contains("inconsistent"), "\(inconsistent)")
      #expect(failure(AptModule.self, ["name": "x", "bogus": "1"]).contains("bogus"))
      #expect(failure(AptModule.self, ["name": "-oDebug=1"]) == "invalid package name '-oDebug'")
      #expect(failure(UserModule.self, ["name": "-r"]) == "invalid user name '-r'")
      #expect(
        failure(ServiceModule.self, ["name": "../x", "state": "started"]).contains("invalid"))
      // A broken postinst makes apt-get fail: the task fails with apt's words.
      let broken = failure(
        AptModule.self, ["name": "ooni-api=1.0.80+broken1", "allow_downgrade": true])
      #expect(broken.contains("apt-get install failed"), "\(broken)")
      _ = try onHost("dpkg --purge ooni-api >/dev/null 2>&1; true")

      // An old cache: check mode says it would refresh it and does not; a run does, once.
      _ = try onHost(
        "rm -f /var/lib/apt/periodic/update-success-stamp; touch -d 2020-01-01 /var/lib/apt/lists")
      let fresh: [String: VarValue] = ["update_cache": true, "cache_valid_time": 3600]
      #expect(try run(AptModule.self, check: true, fresh).changed)
      #expect(
        try onHost("[ -e /var/lib/apt/periodic/update-success-stamp ] || echo none") == "none")
      let refreshed = try run(AptModule.self, fresh)
      #expect(refreshed.changed)
      #expect(refreshed.values["cache_updated"] == .bool(true))
      let skipped = try run(AptModule.self, fresh)
      #expect(!skipped.changed)
      #expect(skipped.values["cache_updated"] == .bool(false))
      #expect(try run(AptModule.self, ["update_cache": true]).changed)
    }

    @Test func aptInstallsADebFileAndAutoremoves() throws {
      _ = try onHost("dpkg --purge fastpath >/dev/null 2>&1; true")
      let deb: [String: VarValue] = ["deb": "/srv/repo/fastpath_1.0.80~pr760-20_all.deb"]
      #expect(try run(AptModule.self, check: true, deb).changed)
      #expect(try installed("fastpath") == "")
      #expect(try run(AptModule.self, deb).changed)
      #expect(try installed("fastpath") == "1.0.80~pr760-20")
      #expect(!(try run(AptModule.self, deb).changed))
      let missing = failure(AptModule.self, ["deb": "/srv/repo/none.deb"])
      #expect(missing.contains("no such file on the host: /srv/repo/none.deb"), "\(missing)")

      // Installed as a dependency-only package, it is what autoremove removes.
      _ = try onHost("apt-mark auto fastpath >/dev/null")
      #expect(try run(AptModule.self, check: true, ["autoremove": true]).changed)
      #expect(try installed("fastpath") == "1.0.80~pr760-20")
      #expect(try run(AptModule.self, ["autoremove": true]).changed)
      #expect(try installed("fastpath") == "")
      #expect(!(try run(AptModule.self, ["autoremove": true]).changed))
    }

    @Test func packageDelegatesToApt() throws {
      _ = try onHost("dpkg --purge analysis >/dev/null 2>&1; true")
      #expect(try run(PackageModule.self, check: true, ["name": "analysis"]).changed)
      #expect(try installed("analysis") == "")
      #expect(try run(PackageModule.self, ["name": "analysis", "state": "present"]).changed)
      #expect(try installed("analysis") != "")
      #expect(!(try run(PackageModule.self, ["name": "analysis"]).changed))
      #expect(try run(PackageModule.self, ["name": "analysis", "state": "absent"]).changed)
      #expect(try installed("analysis") == "")
    }

    // MARK: group, user

    @Test func groupsAndUsers() throws {
      _ = try onHost(
        "userdel -r alice >/dev/null 2>&1; groupdel deployers >/dev/null 2>&1; "
          + "groupdel alice >/dev/null 2>&1; true")

      #expect(try run(GroupModule.self, check: true, ["name": "deployers", "gid": 2345]).changed)
      #expect(try onHost("getent group deployers || true") == "")
      let group = try run(GroupModule.self, ["name": "deployers", "gid": 2345])
      #expect(group.changed)
      #expect(group.values["gid"] == .int(2345))
      #expect(try onHost("getent group deployers") == "deployers:x:2345:")
      #expect(!(try run(GroupModule.self, ["name": "deployers"]).changed))
      #expect(try run(GroupModule.self, ["name": "deployers", "gid": 2346]).changed)
      #expect(!(try run(GroupModule.self, ["name": "deployers", "gid": 2346]).changed))

      let alice: [String: VarValue] = [
        "name": "alice", "uid": 3001, "groups": .list(["deployers"]), "shell": "/bin/bash",
        "comment": "Alice Example",
      ]
      let preview = try run(UserModule.self, check: true, alice)
      #expect(preview.changed)
      #expect(try onHost("getent passwd alice || true") == "")
      let created = try run(UserModule.self, alice)
      #expect(created.changed)
      #expect(created.values["uid"] == .int(3001))
      #expect(created.values["home"] == .string("/home/alice"))
      #expect(
        try onHost("getent passwd alice") == "alice:x:3001:3001:Alice Example:/home/alice:/bin/bash"
      )
      #expect(try onHost("id -Gn alice") == "alice deployers")
      #expect(try onHost("stat -c %U /home/alice") == "alice")
      #expect(!(try run(UserModule.self, alice).changed))

      // Append keeps deployers; without append the list is exact.
      #expect(
        try run(UserModule.self, ["name": "alice", "groups": "users", "append": true]).changed)
      #expect(try onHost("id -Gn alice") == "alice users deployers")
      #expect(
        !(try run(UserModule.self, ["name": "alice", "groups": "users", "append": true]).changed))
      #expect(try run(UserModule.self, ["name": "alice", "groups": .list(["deployers"])]).changed)
      #expect(try onHost("id -Gn alice") == "alice deployers")

      var changes = alice
      changes["shell"] = "/bin/sh"
      changes["password_lock"] = true
      #expect(try run(UserModule.self, check: true, changes).changed)
      #expect(try onHost("getent passwd alice | cut -d: -f7") == "/bin/bash")
      #expect(try run(UserModule.self, changes).changed)
      #expect(try onHost("getent passwd alice | cut -d: -f7") == "/bin/sh")
      #expect(try onHost("getent shadow alice | cut -d: -f2").hasPrefix("!"))
      #expect(!(try run(UserModule.self, changes).changed))

      let badShell = failure(UserModule.self, ["name": "alice", "shell": "bin/bash"])
      #expect(badShell.contains("invalid shell 'bin/bash'"), "\(badShell)")
      let badGroup = failure(UserModule.self, ["name": "alice", "groups": "no-such-group"])
      #expect(badGroup == "Group no-such-group does not exist", "\(badGroup)")
      let badUID = failure(UserModule.self, ["name": "bob", "uid": 3001])
      #expect(badUID.contains("useradd failed"), "\(badUID)")

      #expect(try run(UserModule.self, check: true, ["name": "alice", "state": "absent"]).changed)
      #expect(try onHost("getent passwd alice | cut -d: -f1") == "alice")
      #expect(
        try run(UserModule.self, ["name": "alice", "state": "absent", "remove": true]).changed)
      #expect(try onHost("getent passwd alice || true") == "")
      #expect(try onHost("[ -e /home/alice ] && echo yes || echo no") == "no")
      #expect(!(try run(UserModule.self, ["name": "alice", "state": "absent"]).changed))
      #expect(try run(GroupModule.self, ["name": "deployers", "state": "absent"]).changed)
      #expect(!(try run(GroupModule.self, ["name": "deployers", "state": "absent"]).changed))
    }

    // MARK: authorized_key

    @Test func authorizedKeys() throws {
      _ = try onHost("userdel -r carol >/dev/null 2>&1; useradd -m -s /bin/sh carol")
      let ed25519 = try String(contentsOfFile: TestFleet.key + ".pub", encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      let ecdsa = try String(contentsOfFile: TestFleet.dir + "/keys/id_ecdsa.pub", encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      let both = ed25519 + "\n" + ecdsa

      let preview = try run(
        AuthorizedKeyModule.self, check: true, diff: true, ["user": "carol", "key": .string(both)])
      #expect(preview.changed)
      #expect(preview.diffs.first?.after == both + "\n")
      #expect(try onHost("[ -e /home/carol/.ssh ] && echo yes || echo no") == "no")

      #expect(try run(AuthorizedKeyModule.self, ["user": "carol", "key": .string(both)]).changed)
      #expect(try onHost("cat /home/carol/.ssh/authorized_keys") == both)
      #expect(try onHost("stat -c '%a %U' /home/carol/.ssh") == "700 carol")
      #expect(try onHost("stat -c '%a %U' /home/carol/.ssh/authorized_keys") == "600 carol")
      #expect(
        !(try run(AuthorizedKeyModule.self, ["user": "carol", "key": .string(both)]).changed))
      // The same key with another comment is the same key: replaced in place, not added.
      let recommented = ed25519.split(separator: " ").prefix(2).joined(separator: " ") + " new"
      #expect(
        try run(AuthorizedKeyModule.self, ["user": "carol", "key": .string(recommented)]).changed)
      #expect(try onHost("wc -l < /home/carol/.ssh/authorized_keys") == "2")

      // Permissions drift is repaired.
      _ = try onHost("chmod 644 /home/carol/.ssh/authorized_keys")
      #expect(try run(AuthorizedKeyModule.self, ["user": "carol", "key": .string(ecdsa)]).changed)
      #expect(try onHost("stat -c '%a' /home/carol/.ssh/authorized_keys") == "600")

      #expect(
        try run(
          AuthorizedKeyModule.self, check: true,
          ["user": "carol", "key": .string(ecdsa), "state": "absent"]
        ).changed)
      #expect(try onHost("wc -l < /home/carol/.ssh/authorized_keys") == "2")
      #expect(
        try run(
          AuthorizedKeyModule.self, ["user": "carol", "key": .string(ecdsa), "state": "absent"]
        )
        .changed)
      #expect(try onHost("cat /home/carol/.ssh/authorized_keys") == recommented)
      #expect(
        !(try run(
          AuthorizedKeyModule.self, ["user": "carol", "key": .string(ecdsa), "state": "absent"]
        ).changed))

      #expect(
        try run(
          AuthorizedKeyModule.self, ["user": "carol", "key": .string(ecdsa), "exclusive": true]
        ).changed)
      #expect(try onHost("cat /home/carol/.ssh/authorized_keys") == ecdsa)

      let noUser = failure(
        AuthorizedKeyModule.self, ["user": "nobody-here", "key": .string(ecdsa)])
      #expect(noUser.contains("user nobody-here does not exist"), "\(noUser)")
      let badKey = failure(AuthorizedKeyModule.self, ["user": "carol", "key": "not a key"])
      #expect(badKey.contains("invalid key specified"), "\(badKey)")
      _ = try onHost("userdel -r carol >/dev/null 2>&1; true")
    }

    // MARK: service, systemd

    static let initScript = """
      #!/bin/sh
      ### BEGIN INIT INFO
      # Provides:          fakesvc
      # Required-Start:
      # Required-Stop:
      # Default-Start:     2 3 4 5
      # Default-Stop:      0 1 6
      # Short-Description: a sleeping test service
      ### END INIT INFO
      PIDFILE=/run/fakesvc.pid
      case "$1" in
        start) start-stop-daemon --start --quiet --oknodo --background --make-pidfile \\
                 --pidfile $PIDFILE --exec /bin/sleep -- 100000 ;;
        stop) start-stop-daemon --stop --quiet --oknodo --pidfile $PIDFILE --remove-pidfile --retry 5 ;;
        restart|reload|force-reload) "$0" stop; "$0" start ;;
        status) start-stop-daemon --status --pidfile $PIDFILE ;;
        *) exit 3 ;;
      esac
      """

    @Test func servicesWithoutSystemd() throws {
      _ = try onHost(
        "cat > /etc/init.d/fakesvc <<'EOF'\n\(Self.initScript)\nEOF\nchmod 755 /etc/init.d/fakesvc; "
          + "/etc/init.d/fakesvc stop; update-rc.d -f fakesvc remove >/dev/null 2>&1; true")
      func running() throws -> Bool {
        try onHost("service fakesvc status >/dev/null 2>&1 && echo yes || echo no") == "yes"
      }

      let preview = try run(
        ServiceModule.self, check: true, ["name": "fakesvc", "state": "started"])
      #expect(preview.changed)
      #expect(!(try running()))
      let started = try run(ServiceModule.self, ["name": "fakesvc", "state": "started"])
      #expect(started.changed)
      #expect(started.values["name"] == .string("fakesvc"))
      #expect(try running())
      #expect(!(try run(ServiceModule.self, ["name": "fakesvc", "state": "started"]).changed))
      let pid = try onHost("cat /run/fakesvc.pid")
      #expect(try run(ServiceModule.self, ["name": "fakesvc", "state": "restarted"]).changed)
      #expect(try onHost("cat /run/fakesvc.pid") != pid)

      #expect(
        try run(ServiceModule.self, check: true, ["name": "fakesvc", "enabled": true]).changed)
      #expect(try onHost("ls /etc/rc2.d | grep -c fakesvc || true") == "0")
      #expect(try run(SystemdModule.self, ["name": "fakesvc", "enabled": true]).changed)
      #expect(try onHost("ls /etc/rc2.d | grep fakesvc").hasPrefix("S"))
      #expect(!(try run(SystemdModule.self, ["name": "fakesvc", "enabled": true]).changed))
      #expect(try run(ServiceModule.self, ["name": "fakesvc", "enabled": false]).changed)
      #expect(try onHost("ls /etc/rc2.d | grep fakesvc").hasPrefix("K"))

      #expect(
        try run(
          SystemdModule.self, check: true, ["name": "fakesvc", "state": "stopped"]
        ).changed)
      #expect(try running())
      #expect(
        try run(
          SystemdModule.self, ["name": "fakesvc", "state": "stopped", "daemon_reload": true]
        ).changed)
      #expect(!(try running()))
      #expect(!(try run(ServiceModule.self, ["name": "fakesvc", "state": "stopped"]).changed))

      let missing = failure(ServiceModule.self, ["name": "no-such-service", "state": "started"])
      #expect(missing.contains("Could not find the requested service no-such-service"))
      let badState = failure(ServiceModule.self, ["name": "fakesvc", "state": "running"])
      #expect(badState.contains("value of state must be one of"), "\(badState)")
      _ = try onHost("update-rc.d -f fakesvc remove >/dev/null 2>&1; rm -f /etc/init.d/fakesvc")
    }

    // MARK: wait_for

    @Test func waitFor() throws {
      let sshPort = TestFleet.port(host)
      let open = try run(WaitForModule.self, ["port": .int(sshPort), "timeout": 5])
      #expect(!open.changed)
      #expect(
        !(try run(
          WaitForModule.self,
          ["port": .int(sshPort), "search_regex": "OpenSSH", "timeout": 5]
        ).changed))
      #expect(
        !(try run(WaitForModule.self, ["port": 1, "state": "stopped", "timeout": 5]).changed))
      let closed = failure(WaitForModule.self, ["port": 1, "timeout": 2])
      #expect(closed == "Timeout when waiting for 127.0.0.1:1", "\(closed)")

      _ = try onHost("rm -f /tmp/wait-for-me")
      // Written two seconds from now, by a process the SSH session does not wait for.
      _ = try connection.capture(
        RemoteCommand(
          "nohup sh -c 'sleep 2; echo service ready > /tmp/wait-for-me' >/dev/null 2>&1 &"))
      let appeared = try run(
        WaitForModule.self, ["path": "/tmp/wait-for-me", "search_regex": "ready", "timeout": 20])
      #expect(!appeared.changed)
      #expect((appeared.values["elapsed"]?.intValue ?? 0) >= 1)
      let gone = failure(
        WaitForModule.self, ["path": "/tmp/wait-for-me", "state": "absent", "timeout": 1])
      #expect(gone == "Timeout when waiting for file /tmp/wait-for-me to be absent", "\(gone)")
      #expect(try run(WaitForModule.self, check: true, ["port": 1, "timeout": 1]).skipped)
      #expect(failure(WaitForModule.self, ["port": 1, "path": "/x"]).contains("can not both"))
    }

    // MARK: get_url

    @Test func getURL() throws {
      _ = try onHost(
        "rm -rf /tmp/get-url && mkdir -p /tmp/get-url/src /tmp/get-url/dir && "
          + "printf 'version one\\n' > /tmp/get-url/src/payload.txt")
      let sum = try onHost("sha256sum /tmp/get-url/src/payload.txt | cut -d' ' -f1")
      let url = "file:///tmp/get-url/src/payload.txt"
      let args: [String: VarValue] = [
        "url": .string(url), "dest": "/tmp/get-url/payload.txt",
        "checksum": .string("sha256:" + sum),
        "mode": "0640",
      ]

      #expect(try run(GetUrlModule.self, check: true, args).changed)
      #expect(
        try onHost("ls -A /tmp/get-url/dir; [ -e /tmp/get-url/payload.txt ] || echo none") == "none"
      )
      let first = try run(GetUrlModule.self, args)
      #expect(first.changed)
      #expect(first.values["checksum_src"] == .string(sum))
      #expect(try onHost("cat /tmp/get-url/payload.txt") == "version one")
      #expect(try onHost("stat -c %a /tmp/get-url/payload.txt") == "640")
      #expect(!(try run(GetUrlModule.self, args).changed))

      // New content upstream: kept without force, fetched with it; identical content is ok.
      _ = try onHost("printf 'version two\\n' > /tmp/get-url/src/payload.txt")
      let plain: [String: VarValue] = ["url": .string(url), "dest": "/tmp/get-url/payload.txt"]
      #expect(!(try run(GetUrlModule.self, plain).changed))
      var forced = plain
      forced["force"] = true
      #expect(try run(GetUrlModule.self, check: true, forced).changed)
      #expect(try onHost("cat /tmp/get-url/payload.txt") == "version one")
      #expect(try run(GetUrlModule.self, forced).changed)
      #expect(try onHost("cat /tmp/get-url/payload.txt") == "version two")
      #expect(try onHost("stat -c %a /tmp/get-url/payload.txt") == "640")
      #expect(!(try run(GetUrlModule.self, forced).changed))

      // A folder as dest: named after the URL.
      #expect(
        try run(GetUrlModule.self, ["url": .string(url), "dest": "/tmp/get-url/dir"]).changed)
      #expect(try onHost("cat /tmp/get-url/dir/payload.txt") == "version two")

      let mismatch = failure(GetUrlModule.self, args)
      #expect(mismatch.contains("did not match"), "\(mismatch)")
      #expect(try onHost("cat /tmp/get-url/payload.txt") == "version two")
      let missing = failure(
        GetUrlModule.self, ["url": "file:///tmp/get-url/nothing", "dest": "/tmp/get-url/x"])
      #expect(missing.contains("Request failed"), "\(missing)")
    }

    // MARK: unarchive

    @Test func unarchive() throws {
      // A .tar.gz on the controller.
      let local = NSTemporaryDirectory() + "unarchive-" + UUID().uuidString.prefix(8)
      try FileManager.default.createDirectory(
        atPath: local + "/tree/app/bin", withIntermediateDirectories: true)
      try "hello\n".write(toFile: local + "/tree/app/README", atomically: true, encoding: .utf8)
      try "#!/bin/sh\n".write(
        toFile: local + "/tree/app/bin/run", atomically: true, encoding: .utf8)
      defer { try? FileManager.default.removeItem(atPath: local) }
      let made = try ChildProcess.capture(
        ["/bin/sh", "-c", "cd \(local)/tree && chmod 755 app/bin/run && tar -czf ../app.tgz app"])
      try #require(made.exit.status == 0, "\(made.stderr)")
      _ = try onHost("rm -rf /tmp/unarchive && mkdir -p /tmp/unarchive/out /tmp/unarchive/zip")

      let args: [String: VarValue] = [
        "src": .string(local + "/app.tgz"), "dest": "/tmp/unarchive/out", "list_files": true,
      ]
      let preview = try run(UnarchiveModule.self, check: true, args)
      #expect(preview.changed)
      #expect(try onHost("ls -A /tmp/unarchive/out") == "")
      let first = try run(UnarchiveModule.self, args)
      #expect(first.changed)
      if case .list(let files)? = first.values["files"] {
        #expect(files.contains("app/README"))
      } else {
        Issue.record("no files listed")
      }
      #expect(first.values["handler"] == .string("TgzArchive"))
      #expect(try onHost("cat /tmp/unarchive/out/app/README") == "hello")
      #expect(try onHost("stat -c %a /tmp/unarchive/out/app/bin/run") == "755")
      #expect(!(try run(UnarchiveModule.self, args).changed))

      // A changed file is put back; owner applies to every member.
      _ = try onHost("echo changed > /tmp/unarchive/out/app/README")
      #expect(try run(UnarchiveModule.self, args).changed)
      #expect(try onHost("cat /tmp/unarchive/out/app/README") == "hello")
      var owned = args
      owned["owner"] = "nobody"
      #expect(try run(UnarchiveModule.self, check: true, owned).changed)
      #expect(try onHost("stat -c %U /tmp/unarchive/out/app/README") == "root")
      #expect(try run(UnarchiveModule.self, owned).changed)
      #expect(
        try onHost("stat -c %U /tmp/unarchive/out/app/README /tmp/unarchive/out/app/bin/run")
          == "nobody\nnobody")
      #expect(try onHost("stat -c %U /tmp/unarchive/out") == "root")
      #expect(!(try run(UnarchiveModule.self, owned).changed))
      var creates = args
      creates["creates"] = "/tmp/unarchive/out/app"
      _ = try onHost("echo changed > /tmp/unarchive/out/app/README")
      #expect(!(try run(UnarchiveModule.self, creates).changed))

      // A zip already on the host.
      _ = try onHost(
        "cd /tmp/unarchive && mkdir -p ztree/docs && echo zipped > ztree/docs/a.txt && "
          + "cd ztree && python3 -m zipfile -c ../bundle.zip docs")
      let zip: [String: VarValue] = [
        "src": "/tmp/unarchive/bundle.zip", "dest": "/tmp/unarchive/zip", "remote_src": true,
      ]
      #expect(try run(UnarchiveModule.self, check: true, zip).changed)
      #expect(try onHost("ls -A /tmp/unarchive/zip") == "")
      let unzipped = try run(UnarchiveModule.self, zip)
      #expect(unzipped.changed)
      #expect(unzipped.values["handler"] == .string("ZipArchive"))
      #expect(try onHost("cat /tmp/unarchive/zip/docs/a.txt") == "zipped")
      #expect(!(try run(UnarchiveModule.self, zip).changed))

      let noDest = failure(
        UnarchiveModule.self,
        ["src": "/tmp/unarchive/bundle.zip", "dest": "/nope", "remote_src": true])
      #expect(noDest.contains("dest '/nope' must be an existing dir"), "\(noDest)")
      let notArchive = failure(
        UnarchiveModule.self,
        [
          "src": "/tmp/unarchive/ztree/docs/a.txt", "dest": "/tmp/unarchive/zip",
          "remote_src": true,
        ])
      #expect(notArchive.contains("Failed to find handler"), "\(notArchive)")
      let noSource = failure(
        UnarchiveModule.self,
        ["src": "/tmp/none.tgz", "dest": "/tmp/unarchive/zip", "remote_src": true])
      #expect(noSource.contains("Source '/tmp/none.tgz' does not exist"), "\(noSource)")
    }

    // MARK: git

    /// The git module's logic on the controller (the fleet's hosts have no git and no network
    /// to install it from): a local upstream repository, cloned and updated through LocalRunner.
    @Test func gitOnTheController() throws {
      let base = NSTemporaryDirectory() + "git-module-" + UUID().uuidString.prefix(8)
      defer { try? FileManager.default.removeItem(atPath: base) }
      let local = ModuleContext(host: "localhost", runner: LocalRunner())
      func sh(_ script: String) throws -> String {
        let output = try local.succeed(
          "set -e\ncd \(base)\n" + ShellScript(authored: script), what: script)
        return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
      }
      func git(_ values: [String: VarValue], check: Bool = false) throws -> ModuleResult {
        var context = local
        context.checkMode = check
        return try GitModule.run(ModuleArgs(module: "git", values: values), context)
      }
      try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
      let commit = "git -c user.name=t -c user.email=t@example.com commit -q"
      let first = try sh(
        "git init -q -b main upstream && cd upstream && echo one > file && git add file && "
          + "\(commit) -m one && git tag -a v1 -m v1 && git rev-parse HEAD")
      let second = try sh(
        "cd upstream && echo two > file && \(commit) -am two && git rev-parse HEAD")
      let args: [String: VarValue] = [
        "repo": .string(base + "/upstream"), "dest": .string(base + "/checkout"), "version": "main",
      ]

      let preview = try git(args, check: true)
      #expect(preview.changed)
      #expect(preview.values["after"] == .string(second))
      #expect(!FileManager.default.fileExists(atPath: base + "/checkout"))
      let cloned = try git(args)
      #expect(cloned.changed)
      #expect(cloned.values["before"] == .null)
      #expect(cloned.values["after"] == .string(second))
      #expect(!(try git(args).changed))
      #expect(!(try git(args, check: true).changed))

      var tagged = args
      tagged["version"] = "v1"
      #expect(try git(tagged, check: true).changed)
      #expect(try sh("git -C checkout rev-parse HEAD") == second)
      let checkedOut = try git(tagged)
      #expect(checkedOut.changed)
      #expect(checkedOut.values["after"] == .string(first))
      #expect(!(try git(tagged).changed))
      var bySHA = args
      bySHA["version"] = .string(second)
      #expect(try git(bySHA).changed)
      #expect(!(try git(bySHA).changed))

      // Upstream moves: check mode sees it through ls-remote, a run follows it.
      let third = try sh(
        "cd upstream && echo three > file && \(commit) -am three && git rev-parse HEAD")
      #expect(try git(args, check: true).changed)
      #expect(try sh("git -C checkout rev-parse HEAD") == second)
      let updated = try git(args)
      #expect(updated.values["before"] == .string(second))
      #expect(updated.values["after"] == .string(third))
      var head = args
      head["version"] = nil
      #expect(!(try git(head).changed))

      // Local changes stop the update unless force.
      _ = try sh("echo local > checkout/file")
      var noUpdate = args
      noUpdate["update"] = false
      #expect(!(try git(noUpdate).changed))
      do {
        _ = try git(args)
        Issue.record("local changes were overwritten without force")
      } catch let failure as ModuleFailure {
        #expect(failure.message.contains("Local modifications exist"), "\(failure.message)")
      }
      var forced = args
      forced["force"] = true
      #expect(try git(forced).changed)
      #expect(try sh("cat checkout/file") == "three")
      #expect(!(try git(forced).changed))

      var missing = args
      missing["version"] = "no-such-branch"
      do {
        _ = try git(missing, check: true)
        Issue.record("check mode accepted a missing branch")
      } catch let failure as ModuleFailure {
        #expect(failure.message.contains("does not exist"), "\(failure.message)")
      }
      do {
        _ = try git(missing)
        Issue.record("a missing branch was accepted")
      } catch let failure as ModuleFailure {
        #expect(failure.message.contains("Failed to checkout no-such-branch"), "\(failure.message)")
      }
    }

    @Test func gitIsMissingOnTheFleet() throws {
      let message = failure(
        GitModule.self, ["repo": "https://example.com/x.git", "dest": "/tmp/x"])
      #expect(message.contains("Failed to find required executable \"git\""), "\(message)")
    }
  }
}

/// Literal arguments (`["name": "git", "uid": 3001]`) as a playbook's YAML would give them.
extension VarValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: VarValue...) { self = .list(elements) }
}
