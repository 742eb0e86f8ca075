import Testing

@testable import DeployBuildAPI

@Suite struct BuildFolderStateTests {
  private func state(
    locked: Bool = false, history: String? = nil, builds: [String: String?] = [:]
  ) -> BuildFolderState {
    BuildFolderState(
      buildName: "echr_database", locked: locked, historyFile: history.map { Array($0.utf8) },
      buildInfoFiles: builds.mapValues { $0.map { Array($0.utf8) } })
  }

  private func info(_ time: String) -> String { "build_time: \(time)\n" }

  @Test func statusInItsThreeStates() {
    let history = "2020/12/19 23:04:48::database\n2021/01/02 03:04:05::database\n"
    #expect(
      state(locked: true, history: history).status().text
        == #"{"schemaVersion":1,"label":"Database Update","message":"in progress","color":"blue"}"#)
    #expect(
      state().status().text
        == #"{"schemaVersion":1,"label":"Database Update","message":"never built","color":"grey"}"#)
    #expect(state(history: "").status() == state().status())
    #expect(
      state(history: history).status().text
        == #"{"schemaVersion":1,"label":"Database Update","message":"2021/01/02 03:04:05","#
        + #""color":"green"}"#)
  }

  @Test func historyKeepsTheTrailingNewlineAsTheExplorerDoes() {
    let history = "2020/12/19 23:04:48::database\n2021/01/02 03:04:05::full rebuild"
    #expect(
      state(history: history).history().text
        == #"[{"date":"2020/12/19 23:04:48","workflow":"database\n"},"#
        + #"{"date":"2021/01/02 03:04:05","workflow":"full rebuild"}]"#)
    #expect(state().history().text == #"[{"date":"never built","workflow":""}]"#)
    #expect(state(history: "").history().text == "[]")
    #expect(
      state(history: history).latest().text
        == #"{"date":"2021/01/02 03:04:05","workflow":"full rebuild"}"#)
    #expect(state().latest().text == #"{"date":"never built","workflow":""}"#)
  }

  @Test func historyLinesSplitAsPythonSplitsThem() {
    let entries = BuildHistoryEntry.parse(Array("a::b::c\r\nno separator\rx:::y\n\n".utf8))
    #expect(
      entries == [
        BuildHistoryEntry(date: "a", workflow: "b"),
        BuildHistoryEntry(date: "no separator\n", workflow: nil),
        BuildHistoryEntry(date: "x", workflow: ":y\n"),
        BuildHistoryEntry(date: "\n", workflow: nil),
      ])
    #expect(BuildHistoryEntry.parse([0x61, 0x3A, 0x3A, 0xFF, 0x0A]) == nil)
    #expect(
      state(history: "no separator\n").history().text == #"[{"date":"no separator\n"}]"#)
  }

  @Test func currentIsTheServedBuildInfoOrEmpty() {
    #expect(
      state(builds: ["echr_database": "build_time: 2020/12/19 23:04:48\nn: 1\n"]).current().text
        == #"{"build_time":"2020/12/19 23:04:48","n":1}"#)
    #expect(state().current().text == "{}")
    #expect(state(builds: ["echr_database": "a: [\n"]).current().text == "{}")
    #expect(state(builds: ["echr_database": nil]).current().text == "{}")
  }

  @Test func availableListsEveryBuildByNameButTransientFolders() {
    let available = state(builds: [
      "b": info("2021/01/01 00:00:00"), "a": "broken: [",
      "echr_database": info("2020/01/01 00:00:00"),
      "echr_database.save": info("2019/01/01 00:00:00"), "echr_database.incoming": info("x"),
      "echr_database.trash": info("y"),
    ]).available()
    #expect(
      available.text
        == #"{"a":{},"b":{"build_time":"2021/01/01 00:00:00"},"#
        + #""echr_database":{"build_time":"2020/01/01 00:00:00"},"#
        + #""echr_database.save":{"build_time":"2019/01/01 00:00:00"}}"#)
  }

  @Test func newBuildIsTheLatestNewerOne() {
    let builds: [String: String?] = [
      "echr_database": info("2020/12/19 23:04:48"), "a_newer": info("2021/01/01 00:00:00"),
      "b_newest": info("2021/06/01 00:00:00"), "c_newer": info("2021/02/01 00:00:00"),
      "older": info("2019/01/01 00:00:00"), "no_time": "x: 1\n", "bad_time": info("yesterday"),
      "echr_database.save": info("2030/01/01 00:00:00"),
      "echr_database.failed": info("2031/01/01 00:00:00"),
    ]
    let choice = state(builds: builds).newBuild()
    #expect(choice.folder == "b_newest")
    #expect(choice.detail == nil)
    #expect(state(builds: builds).newBuildAvailable().text == #"[true,"b_newest"]"#)
    let upToDate = state(builds: [
      "echr_database": info("2021/06/01 00:00:00"), "same": info("2021/06/01 00:00:00"),
      "older": info("2020/01/01 00:00:00"),
    ])
    #expect(upToDate.newBuildAvailable().text == "[false,null]")
  }

  @Test func withoutAServedBuildTimeAnyBuildIsNewerAndTheLogSaysSo() {
    for served: String? in [nil, "x: 1\n", "build_time: soon\n", "a: ["] {
      var builds: [String: String?] = [
        "a": info("2021/01/01 00:00:00"), "b": info("2021/02/01 00:00:00"),
      ]
      if let served { builds["echr_database"] = served }
      let choice = state(builds: builds).newBuild()
      #expect(choice.folder == "b")
      #expect(choice.detail?.contains("no readable build_time") == true)
    }
    #expect(state().newBuildAvailable().text == "[false,null]")
  }

  @Test func buildTimesParseAsStrptimeDoes() {
    #expect(BuildTime("2020/12/19 23:04:48")?.description == "2020/12/19 23:04:48")
    #expect(BuildTime("2020/1/2 3:4:5")?.description == "2020/01/02 03:04:05")
    #expect(BuildTime("2020/12/19   23:04:48") != nil)
    for bad in [
      "2020-12-19 23:04:48", "2020/13/01 00:00:00", "2021/02/29 00:00:00", "2020/12/19",
      "2020/12/19 24:00:00", " 2020/12/19 23:04:48", "0000/01/01 00:00:00",
    ] {
      #expect(BuildTime(bad) == nil, "\(bad)")
    }
    #expect(BuildTime("2020/02/29 00:00:00") != nil)
    #expect(BuildTime("2020/12/19 23:04:48")! < BuildTime("2020/12/19 23:04:49")!)
    #expect(BuildTime("2020/12/19 23:04:48")! > BuildTime("2019/12/31 23:59:59")!)
  }
}
