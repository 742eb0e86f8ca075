import Foundation
import Testing

@testable import DeployBuild
@testable import DeployBuildAPI
@testable import DeploySSH
@testable import DeploySupport
@testable import DeployTemplating
@testable import UntrustedInput

/// The fuzzers' seeds, kept with every input that ever crashed a parser, run through the
/// parsers on every test run: a fixed crash stays fixed. (`scripts/fuzz.sh` does the fuzzing.)
@Suite struct UntrustedInputTests {
  static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz-seeds").path

  @Test func everyKeptInputIsParsedOrRejectedWithAMessage() throws {
    let folders = try FileManager.default.contentsOfDirectory(atPath: Self.seeds)
    #expect(folders.count >= 10)
    var inputs = 0
    for folder in folders {
      let parser = try #require(UntrustedInput.parser(named: folder), "no parser \(folder)")
      for file in try FileManager.default.contentsOfDirectory(atPath: Self.seeds + "/" + folder) {
        let data = try #require(
          FileManager.default.contents(atPath: "\(Self.seeds)/\(folder)/\(file)"))
        if let error = parser.parse(Array(data)) {
          #expect(!error.description.isEmpty, "\(folder)/\(file)")
        }
        inputs += 1
      }
    }
    #expect(inputs >= 20)
  }

  /// What the fuzzer found: a host answering with a step number of 10^11 made the run listing
  /// allocate that many steps; a chunked HTTP answer with an empty, negative or overlong size
  /// trapped.
  @Test func hostileAnswersAreReadWithoutCrashing() {
    let runs = RunRecord.parse("run r1\n   \nstate running\nstart 99999999999 1\nend -3 0 1\n")
    #expect(runs.first?.steps.isEmpty == true)
    for body in ["\r\n", "-5\r\nabc\r\n0\r\n\r\n", "ffffffffffffffff\r\nab\r\n", "2\r\nabcdef"] {
      #expect(
        HTTPResponse.parse(
          Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(body)".utf8)) == nil,
        "\(body)")
    }
    #expect(
      HTTPResponse.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\nabc".utf8)) == nil)
    let good = HTTPResponse.parse(
      Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8))
    #expect(good?.text == "abc")
    // YAML 1.1 base-60 integers: Yams trapped on one past 64 bits.
    #expect(PythonYAML.load("n: 29989999999999999893:0\n") == nil)
    #expect(PythonYAML.load("n: 3:04:7:03:04:7:03:03:04:7:0\n") == nil)  // 60^11 overflows
    #expect(PythonYAML.load("n: 1:30:00\n") == .object([("n", .int(5400))]))
  }

  /// Templates cannot hang or exhaust the controller: the fuzzer's dozen nested loops, and
  /// repetitions and indents of billions, end in an error naming the limit.
  @Test(arguments: [
    String(repeating: "{% for a in items %}", count: 24) + "x"
      + String(repeating: "{% endfor %}", count: 24),
    "{{ 'ab' * 4000000000 }}", "{{ [1, 2] * 9000000000000000000 }}",
    "{{ items | to_nice_json(indent=1000000000) }}",
  ])
  func templatesAreBounded(text: String) throws {
    let started = MonotonicClock.now
    let template = try Template(text)
    #expect(throws: DeployError.self) {
      try template.render(["items": .list([.int(1), .int(2)])])
    }
    #expect(MonotonicClock.now - started < 10)
  }
}
