import DeployInventory
// Fuzzing every parser of untrusted input (`UntrustedInput.parsers`) with libFuzzer.
//
// Built two ways. `scripts/fuzz.sh` builds it with `-sanitize=fuzzer -parse-as-library
// -D DEPLOY_FUZZ`: libFuzzer provides `main` and calls `LLVMFuzzerTestOneInput`, the parser
// being chosen by `DEPLOY_FUZZ_TARGET`. A plain `swift build` builds a replayer instead:
// `deploy-fuzz TARGET FILE...` runs files (a corpus, a crash input) through one parser, so a
// finding can be reproduced without the fuzzer.
import Foundation
import HostShell
import UntrustedInput

/// A rejection must say what is wrong: an empty message is as bad as a crash.
func check(_ parser: UntrustedInput.Parser, _ input: [UInt8]) {
  if let error = parser.parse(input), error.description.trimmingCharacters(in: .whitespaces).isEmpty
  {
    fatalError("\(parser.name): rejected with an empty message")
  }
}

#if DEPLOY_FUZZ
  /// libFuzzer's driver, run from our own `main` (SwiftPM names an executable's entry point
  /// itself, so libFuzzer's `main` is not used).
  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
  ) -> Int32

  let target: UntrustedInput.Parser = {
    let name = ProcessInfo.processInfo.environment["DEPLOY_FUZZ_TARGET"] ?? ""
    guard let parser = UntrustedInput.parser(named: name) else {
      let names = UntrustedInput.parsers.map(\.name).joined(separator: ", ")
      fatalError("DEPLOY_FUZZ_TARGET must name one of: \(names)")
    }
    return parser
  }()

  @main struct Fuzzer {
    static func main() {
      _ = target
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      exit(
        runFuzzerDriver(&argc, &argv) { data, size in
          check(target, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
          return 0
        })
    }
  }
#else
  /// The replayer: `deploy-fuzz TARGET FILE...`.
  @main struct Replayer {
    static func main() {
      let arguments = CommandLine.arguments.dropFirst()
      guard let name = arguments.first, let parser = UntrustedInput.parser(named: name) else {
        let names = UntrustedInput.parsers.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(
          Data("usage: deploy-fuzz TARGET FILE...\ntargets: \(names)\n".utf8))
        exit(2)
      }
      for path in arguments.dropFirst() {
        guard let data = FileManager.default.contents(atPath: path) else {
          FileHandle.standardError.write(Data("deploy-fuzz: cannot read \(path)\n".utf8))
          exit(2)
        }
        check(parser, Array(data))
      }
    }
  }
#endif
