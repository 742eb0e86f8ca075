import HostShell
import Testing

@testable import DeployPlay

/// Modules whose decision is a pure function of what the host said: facts in, commands out, no
/// host involved. (The modules run against real hosts in SystemModulesTests.)
@Suite struct ServiceModuleDecisionTests {
  typealias Status = ServiceModule.Status
  typealias Plan = ServiceModule.Plan

  static let running = Status(manager: "systemd", loaded: true, active: true, enabled: true)
  static let stopped = Status(manager: "systemd", loaded: true, active: false, enabled: false)

  @Test(
    arguments: [
      // state, enabled, host → plan
      ("started", nil, running, Plan()),
      ("started", nil, stopped, Plan(actions: ["start"])),
      ("stopped", nil, running, Plan(actions: ["stop"])),
      ("stopped", nil, stopped, Plan()),
      ("restarted", nil, running, Plan(actions: ["restart"])),
      ("restarted", nil, stopped, Plan(actions: ["restart"])),
      ("reloaded", nil, running, Plan(actions: ["reload"])),
      ("reloaded", nil, stopped, Plan(actions: ["start"])),
      (nil, true, running, Plan()),
      (nil, true, stopped, Plan(enable: true)),
      (nil, false, running, Plan(enable: false)),
      ("started", true, stopped, Plan(actions: ["start"], enable: true)),
    ] as [(String?, Bool?, Status, Plan)])
  func factsInPlanOut(state: String?, enabled: Bool?, status: Status, expected: Plan) {
    let plan = Plan(state: state, enabled: enabled, status: status)
    #expect(plan == expected)
    #expect(plan.changed == !(expected.actions.isEmpty && expected.enable == nil))
  }

  @Test func commandsPerManager() {
    let plan = Plan(actions: ["start"], enable: true)
    #expect(
      plan.script(service: "web app", manager: "systemd").text
        == "set -e\nsystemctl start 'web app'\nsystemctl enable 'web app'\n")
    #expect(
      plan.script(service: "nginx", manager: "sysv").text
        == "set -e\nservice nginx start\nupdate-rc.d nginx defaults >/dev/null\n"
        + "update-rc.d nginx enable\n")
    #expect(Plan().script(service: "x", manager: "systemd").text == "set -e\n")
  }
}

@Suite struct GroupModuleDecisionTests {
  @Test(
    arguments: [
      // gid asked, system, non_unique, gid on the host (nil: no group) → command
      (nil, false, false, nil, ["groupadd", "deploy"]),
      (nil, true, false, nil, ["groupadd", "-r", "deploy"]),
      (1500, false, true, nil, ["groupadd", "-g", "1500", "-o", "deploy"]),
      (1500, false, false, 1500, nil),
      (nil, false, false, 1500, nil),
      (1600, false, false, 1500, ["groupmod", "-g", "1600", "deploy"]),
      (1600, false, true, 1500, ["groupmod", "-g", "1600", "-o", "deploy"]),
    ] as [(Int?, Bool, Bool, Int?, [String]?)])
  func factsInCommandOut(
    gid: Int?, system: Bool, nonUnique: Bool, current: Int?, expected: [String]?
  ) {
    #expect(
      GroupModule.presentCommand(
        group: "deploy", gid: gid, system: system, nonUnique: nonUnique, currentGID: current)
        == expected)
  }
}

@Suite struct AptModuleDecisionTests {
  typealias State = AptModule.PackageState
  static let options = AptModule.AptOptions(
    installRecommends: nil, allowDowngrade: false, purge: false, lockTimeout: 60)

  static let states: [String: State] = [
    "nginx": State(installed: "1.22-1", candidate: "1.22-2", available: ["1.22-2", "1.22-1"]),
    "git": State(installed: nil, candidate: "2.39-1", available: ["2.39-1"]),
    "old": State(installed: nil, configFilesOnly: true, candidate: "1.0", available: ["1.0"]),
  ]

  func install(_ specs: [String], latest: Bool = false) throws -> [String]? {
    try AptModule.installCommand(
      specs.map(AptModule.Request.init), Self.states, latest: latest, options: Self.options)?
      .words
  }

  @Test func installsOnlyWhatIsMissingOrOutOfDate() throws {
    #expect(try install(["nginx"]) == nil)
    #expect(try install(["nginx"], latest: true) == ["install", "nginx"])
    #expect(try install(["nginx", "git"]) == ["install", "git"])
    #expect(try install(["nginx=1.22-1"]) == nil)
    #expect(try install(["nginx=1.22-2"]) == ["install", "nginx=1.22-2"])
    #expect(try install(["nginx=1.22*"]) == nil, "the installed version matches the pin")
    #expect(throws: ModuleFailure.self) { try install(["nginx=9*"]) }
    #expect(throws: ModuleFailure.self) { try install(["nosuch"]) }
    var options = Self.options
    options.installRecommends = false
    options.allowDowngrade = true
    #expect(
      try AptModule.installCommand(
        [AptModule.Request("git")], Self.states, latest: false, options: options)?.words
        == ["install", "--no-install-recommends", "--allow-downgrades", "git"])
  }

  @Test func removesOnlyWhatIsThere() {
    let requests = ["nginx", "git", "old"].map(AptModule.Request.init)
    #expect(AptModule.removeCommand(requests, Self.states, purge: false) == ["remove", "nginx"])
    #expect(
      AptModule.removeCommand(requests, Self.states, purge: true) == ["purge", "nginx", "old"])
    #expect(AptModule.removeCommand([AptModule.Request("git")], Self.states, purge: false) == nil)
  }
}
