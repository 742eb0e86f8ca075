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
