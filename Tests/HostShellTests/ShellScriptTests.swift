import Foundation
import HostShell
import Testing

/// Runs `script` with the real `/bin/sh` in a fresh temporary folder and returns its standard
/// output. Not in the package's folder: when quoting broke, the shell ran pieces of the values,
/// and their redirections left files behind where it ran.
private func sh(_ script: ShellScript) throws -> (status: Int32, stdout: [UInt8]) {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
    "deploy-shellscript-" + UUID().uuidString)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: folder) }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.currentDirectoryURL = folder
  process.arguments = ["-c", script.text]
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, Array(output))
}

/// Strings made to break quoting: quotes of both kinds, `$(…)`, backquotes, `~`, `!`, `#`,
/// globs, newlines, tabs, backslashes, leading dashes, non-ASCII, control characters, and the
/// empty string. A seeded generator, so a failure names a case that reproduces.
struct HostileStrings: IteratorProtocol {
  private var state: UInt64
  private let pieces: [String]

  /// `pwned` is a file that any piece of shell run by mistake creates.
  init(seed: UInt64, pwned: String) {
    state = seed
    pieces = Self.common + ["$(touch \(pwned))", "`touch \(pwned)`", ";touch \(pwned)"]
  }

  private static let common: [String] = [
    "'", "\"", "`id`", "$", "${HOME}", "~", "~root", "!", "!!",
    "#", " #", "*", "?", "[a-z]", "{a,b}", "\n", "\r\n", "\t", " ", "\\", "\\'", "-", "--",
    "-rf", ";", "&", "|", ">", "<", "(", ")", "=", "%", "ü", "日本", "🚀", "\u{7F}", "\u{1}",
    "a", "b1", "/srv/app", ".", "..", "'\\''", "\"'\"", "$'x'", "*.yml", "x=y",
  ]

  private mutating func next(below bound: Int) -> Int {
    // SplitMix64: small, fast and good enough to vary inputs.
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Int((z ^ (z >> 31)) % UInt64(bound))
  }

  mutating func next() -> String? {
    let count = next(below: 8)
    var text = ""
    for _ in 0..<count {
      if next(below: 4) == 0 {
        // Any Unicode scalar but NUL (a C string cannot hold it; nor can an argument).
        let value = 1 + next(below: 0x2FFF)
        if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
      } else {
        text += pieces[next(below: pieces.count)]
      }
    }
    return text
  }
}

@Suite struct ShellScriptTests {
  /// 10,000 generated strings, each interpolated into a script that the real `/bin/sh` runs:
  /// printed back, each must be exactly the string. Three places a value goes in a script are
  /// checked: a command's argument, an assignment's value and `set --`.
  @Test(arguments: ["argument", "assignment", "positional"])
  func tenThousandHostileStringsComeBackExactly(context: String) throws {
    let pwned = FileManager.default.temporaryDirectory.path + "/deploy-pwned-\(context)-\(UUID())"
    var strings = HostileStrings(seed: 0xDE9_10F, pwned: pwned)
    let values = (0..<10_000).map { _ in strings.next()! }
    // A batch per script: one process per 500 values keeps this well under a second.
    for start in stride(from: 0, to: values.count, by: 500) {
      let batch = Array(values[start..<min(start + 500, values.count)])
      let lines = batch.map { value -> ShellScript in
        switch context {
        case "argument": return "printf '%s\\0' \(value)"
        case "assignment": return "v=\(value); printf '%s\\0' \"$v\""
        default: return "set -- \(value); printf '%s\\0' \"$1\""
        }
      }
      let result = try sh(lines.joined(separator: "\n"))
      #expect(result.status == 0)
      let printed = result.stdout.split(separator: 0, omittingEmptySubsequences: false)
        .dropLast().map { String(decoding: $0, as: UTF8.self) }
      #expect(printed.count == batch.count)
      for (value, back) in zip(batch, printed) where value != back {
        Issue.record(
          "\(context): \(String(reflecting: value)) came back as \(String(reflecting: back))")
      }
    }
    #expect(!FileManager.default.fileExists(atPath: pwned), "a value ran as shell")
  }

  @Test func wordsListAndNumbersAndScripts() throws {
    let name = "a b"
    let inner: ShellScript = "printf '%s|' \(name)"
    let script: ShellScript = "\(inner); printf '%s|' \(words: ["x y", "$z", ""]) \(42)"
    #expect(script.text == "printf '%s|' 'a b'; printf '%s|' 'x y' '$z' '' 42")
    #expect(try sh(script).stdout == Array("a b|x y|$z||42|".utf8))
  }

  @Test func safeWordsStayReadable() {
    let path = "/srv/app/releases/v1.2.3"
    #expect(("rm -rf \(path)" as ShellScript).text == "rm -rf /srv/app/releases/v1.2.3")
  }

  @Test func variableNamesAreCheckedBeforeTheyGoInUnquoted() {
    #expect(ShellVariableName("DEPLOY_APP")?.name == "DEPLOY_APP")
    #expect(ShellVariableName("_x1") != nil)
    for bad in ["", "1X", "A B", "X;rm -rf /", "A-B", "É", "A=B", "$A"] {
      #expect(ShellVariableName(bad) == nil, "\(bad)")
    }
  }

  /// The one wire form: POSIX sh for scripts, sudo for another user, `timeout` on the host.
  @Test func wireCommandsRunAsWritten() throws {
    let plain = RemoteCommand("echo 'a b'; exit 4")
    #expect(plain.wireCommand.text == "/bin/sh -c 'echo '\\''a b'\\''; exit 4'")
    let timed = RemoteCommand("echo 'a b'; exit 4", timeout: 5)
    #expect(timed.wireCommand.text.hasPrefix("timeout -s TERM -k 5 5.000 /bin/sh -c "))
    let result = try sh(timed.wireCommand + "; echo \"status $?\"")
    #expect(String(decoding: result.stdout, as: UTF8.self) == "a b\nstatus 4\n")
    let asUser = RemoteCommand("id -un", user: "www data")
    #expect(asUser.wireCommand.text == "sudo -n -H -u 'www data' -- /bin/sh -c 'id -un'")
    let login = RemoteCommand(ShellScript(authored: "echo $0"), interpreter: .loginShell)
    #expect(login.wireCommand.text == "echo $0")
  }
}
