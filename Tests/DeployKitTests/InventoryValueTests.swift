import Testing

@testable import DeployInventory
@testable import DeploySupport

/// INI values are typed with Python's `ast.literal_eval`, falling back to the raw text.
@Suite("INI value typing")
struct InventoryValueTests {
  @Test(arguments: [
    ("22", VarValue.int(22)),
    ("-5", .int(-5)),
    ("+5", .int(5)),
    ("0", .int(0)),
    ("1_000", .int(1000)),
    ("0x1F", .int(31)),
    ("0o17", .int(15)),
    ("0b101", .int(5)),
    ("1.5", .double(1.5)),
    (".5", .double(0.5)),
    ("5.", .double(5)),
    ("1e3", .double(1000)),
    ("-2.5E-1", .double(-0.25)),
    ("True", .bool(true)),
    ("False", .bool(false)),
    ("None", .null),
    ("'single'", .string("single")),
    ("\"double\"", .string("double")),
    ("'a' \"b\"", .string("ab")),
    (#"'tab\there'"#, .string("tab\there")),
    (#"'\x41\u00e9'"#, .string("Aé")),
    (#"r'\d+'"#, .string(#"\d+"#)),
    ("b'bytes'", .string("bytes")),
    ("'''triple'''", .string("triple")),
    ("[1, 'two', [3]]", .list([.int(1), .string("two"), .list([.int(3)])])),
    ("[]", .list([])),
    ("(1, 2)", .list([.int(1), .int(2)])),
    ("(1,)", .list([.int(1)])),
    ("(1)", .int(1)),
    ("{'a': 1, 'b': [True]}", .map(["a": .int(1), "b": .list([.bool(true)])])),
    ("{}", .map([:])),
    ("{1, 2}", .list([.int(1), .int(2)])),
  ])
  func literalsAreTyped(text: String, expected: VarValue) {
    #expect(PythonLiteral.value(of: text) == expected)
  }

  @Test(arguments: [
    "yes", "no", "true", "false", "on", "007", "1.2.3.4", "/usr/bin/python3", "hello world",
    "1 2", "--1", "1j", "[1, 2", "{'a'}x", "'unterminated", "x=1", "~", "null", "", "0x", "1__0",
    "ü", "f'x'", "{[1]: 2}",
  ])
  func everythingElseStaysAString(text: String) {
    #expect(PythonLiteral.value(of: text) == .string(text))
  }
}
