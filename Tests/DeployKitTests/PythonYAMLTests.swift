import Testing

@testable import DeployBuildAPI

/// `build_info.yml` as the explorer answers it: PyYAML's `full_load`, FastAPI's
/// `jsonable_encoder`, then `json.dumps`. Expected text from PyYAML 6.0.3 and Python 3.11.
@Suite struct PythonYAMLTests {
  private func answer(_ yaml: String) -> String? { PythonYAML.load(Array(yaml.utf8))?.text }

  @Test func theRunnersBuildInfoKeepsFileOrderAndTypes() {
    let yaml = """
      build_time: 2020/12/19 23:04:48
      version: '1.2'
      commit: "abc"
      run_id: 20201219-230448-abcd
      workflow: 'database'

      """
    #expect(
      answer(yaml)
        == #"{"build_time":"2020/12/19 23:04:48","version":"1.2","commit":"abc","#
        + #""run_id":"20201219-230448-abcd","workflow":"database"}"#)
  }

  @Test func yaml11ScalarsAndTimestampsAsPythonGivesThem() {
    let yaml = #"""
      b: yes
      n: ~
      i: 0755
      h: 0x1F
      f: 1.5
      e: 1e5
      g: 1.0e+5
      neg: -12
      d: 2020-12-19
      t: 2020-12-19 23:04:48
      tz: 2001-12-14t21:59:43.10-05:00
      z: 2001-12-14 21:59:43Z
      list: [1, two, 3.0]
      nested: {b: 2, a: 1}
      "quoted": "2020-12-19"
      1: int key
      true: bool key
      ~: null key
      1.5: float key
      u: "é\u2028\ttab"
      _sa_hidden: dropped by FastAPI

      """#
    #expect(
      answer(yaml)
        == #"{"b":true,"n":null,"i":493,"h":31,"f":1.5,"e":"1e5","g":100000.0,"neg":-12,"#
        + #""d":"2020-12-19","t":"2020-12-19T23:04:48","tz":"2001-12-14T21:59:43.100000-05:00","#
        + #""z":"2001-12-14T21:59:43+00:00","list":[1,"two",3.0],"nested":{"b":2,"a":1},"#
        + #""quoted":"2020-12-19","1":"bool key","null":"null key","1.5":"float key","#
        + "\"u\":\"é\u{2028}\\ttab\"}")
  }

  @Test func mergeKeysFollowPyYAMLOrder() {
    let yaml = """
      base: &b {x: 1, y: 2}
      other: &o {y: 3, z: 4}
      m:
        <<: [*b, *o]
        z: 5
        w: 6

      """
    #expect(
      answer(yaml)
        == #"{"base":{"x":1,"y":2},"other":{"y":3,"z":4},"m":{"y":2,"z":5,"x":1,"w":6}}"#)
  }

  @Test func otherDocumentsAsPythonGivesThem() {
    #expect(answer("- a\n- b\n") == #"["a","b"]"#)
    #expect(answer("") == "null")
    #expect(answer("# only a comment\n") == "null")
    #expect(answer("just text\n") == #""just text""#)
  }

  /// Where PyYAML or `json.dumps` raises, the explorer's `/current` answers `{}`.
  @Test func failuresAreNil() {
    #expect(answer("a: [\n") == nil)
    #expect(answer("d: 2020-02-30\n") == nil)
    #expect(answer("x: .inf\n") == nil)
    #expect(answer("a: 1\n---\nb: 2\n") == nil)
    #expect(PythonYAML.load([0x61, 0x3A, 0x20, 0xFF]) == nil)
  }
}
