import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory
@testable import DeploySSH
@testable import DeploySupport

/// The explorer's answers are Python's `json.dumps(…, ensure_ascii=False, separators=(",",
/// ":"))`. Expected bytes below were produced by Python 3.11; where python3 is installed, the
/// tests also ask it again.
@Suite struct PythonJSONTests {
  static let allASCII = PythonJSON.string(
    String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self))
  static let mixed = PythonJSON.object([
    ("z", .int(1)),
    (
      "a",
      .array([
        .bool(true), .bool(false), .null, .int(-3), .double(1.5),
        .string("é/€😀\u{2028}\u{7F}"),
      ])
    ),
    ("m", .object([])), ("l", .array([])),
  ])
  static let floats = PythonJSON.array(
    [
      1e16, 1e15, 1e-5, 0.0001, 123_456_789_012_345_680.0, 5e-324, 1.797_693_134_862_315_7e308,
      -0.0, 0.1 + 0.2, 2.5e-7, 100.0, 1e22,
    ].map(PythonJSON.double))

  @Test func controlCharactersAndQuotesAreEscapedLikePython() {
    let expected =
      #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
      + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d"#
      + ##"\u001e\u001f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"##
      + "abcdefghijklmnopqrstuvwxyz{|}~\u{7F}\""
    #expect(Self.allASCII.text == expected)
  }

  @Test func keysKeepInsertionOrderAndNonASCIIStaysRaw() {
    #expect(
      Self.mixed.text == "{\"z\":1,\"a\":[true,false,null,-3,1.5,\"é/€😀\u{2028}\u{7F}\"],"
        + "\"m\":{},\"l\":[]}")
    #expect(Self.mixed.serialized == Array(Self.mixed.text.utf8))
  }

  @Test func floatsAreWrittenAsPythonsRepr() {
    #expect(
      Self.floats.text
        == "[1e+16,1000000000000000.0,1e-05,0.0001,1.2345678901234568e+17,5e-324,"
        + "1.7976931348623157e+308,-0.0,0.30000000000000004,2.5e-07,100.0,1e+22]")
  }

  @Test func badgeShapeMatchesTheExplorer() {
    let badge = PythonJSON.object([
      ("schemaVersion", .int(1)), ("label", .string("Database Update")),
      ("message", .string("in progress")), ("color", .string("blue")),
    ])
    #expect(
      badge.text
        == #"{"schemaVersion":1,"label":"Database Update","message":"in progress","color":"blue"}"#)
  }

  /// Python reads our bytes and writes them again: any difference in escaping, spacing, key
  /// order or number format shows.
  @Test(.enabled(if: Python.available))
  func pythonWritesTheSameBytes() throws {
    var random = SystemRandomNumberGenerator()
    let randomFloats = (0..<200).map { _ in
      PythonJSON.double(
        Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
          * (Bool.random(using: &random) ? 1 : -1))
    }
    let smallFloats = (0..<100).map { _ in
      PythonJSON.double(Double.random(in: -1e-3...1e-3, using: &random))
    }
    let randomText = String(
      (0..<300).compactMap { _ in
        Unicode.Scalar(UInt32.random(in: 0...0x2FFF, using: &random)).map(Character.init)
      })
    for value in [
      Self.allASCII, Self.mixed, Self.floats, .array(randomFloats), .array(smallFloats),
      .string(randomText), .array([.int(Int.max), .int(Int.min)]),
    ] {
      let again = try Python.run(
        "import json, sys; sys.stdout.buffer.write(json.dumps(json.loads(sys.stdin.buffer.read()),"
          + " ensure_ascii=False, allow_nan=False, indent=None, separators=(',', ':'))"
          + ".encode('utf-8'))", stdin: value.serialized)
      #expect(again == value.serialized, "\(value.text)")
    }
  }
}

/// The python3 on this machine, if any (the tests that need it are skipped without it).
enum Python {
  static let available: Bool =
    (try? ChildProcess.capture(["python3", "-c", "pass"]))?.exit.status == 0

  static func run(_ program: String, stdin: [UInt8] = []) throws -> [UInt8] {
    var out: [UInt8] = []
    var err: [UInt8] = []
    let exit = try ChildProcess.run(["python3", "-c", program], stdin: stdin, timeout: 30) {
      if $0 == .stdout { out += $1 } else { err += $1 }
    }
    try #require(exit.status == 0, "python3 failed: \(String(decoding: err, as: UTF8.self))")
    return out
  }
}
