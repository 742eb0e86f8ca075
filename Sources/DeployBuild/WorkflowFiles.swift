import DeployConfig
import Foundation
import HostShell

/// Fetching an ECHR-OD workflow folder from a host in one round trip. The workflow files live
/// in the app's repository as checked out on the host, at the ref being deployed, so they are
/// read from there rather than from the controller's copy (which may be at another commit).
public enum WorkflowFiles {
  /// Starts each file's record. Not valid base64, and the content is base64, so no file can
  /// contain a line that looks like it.
  static let marker = "#deploy-workflow-file#"

  /// A remote command that prints every `*.yml` / `*.yaml` file in `<checkout>/<directory>` and
  /// `<checkout>/<directory>/actions`: for each, a line with `marker` and the base64 of its path
  /// relative to the checkout, then its content in base64. A missing checkout or folder prints
  /// nothing and succeeds; an unreadable file makes it fail (the shell says why on stderr).
  public static func readCommand(checkout: String, directory: String) -> ShellScript {
    let folder = normalized(directory)
    // The folder is one quoted word; the glob after it stays a glob.
    let patterns = ["", "/actions"].flatMap { sub in
      (["/*.yml", "/*.yaml"] as [ShellScript]).map { glob -> ShellScript in "\(folder + sub)\(glob)"
      }
    }
    return ShellScript.lines([
      "cd -- \(checkout) 2>/dev/null || exit 0",
      "for f in \(patterns.joined(separator: " ")); do",
      "  [ -f \"$f\" ] || continue",
      "  printf '%s ' \(marker)",
      "  printf '%s' \"$f\" | base64 | tr -d '\\n'",
      "  echo",
      "  base64 < \"$f\" || exit 1",
      "done",
      "exit 0",
    ])
  }

  /// `directory` without `./` in front or `/` at the end, as the paths in `parse`'s result
  /// and `WorkflowLoader`'s look-ups spell it.
  static func normalized(_ directory: String) -> String {
    BuildSpec.normalizedWorkflowDirectory(directory)
  }

  /// The files printed by `readCommand`: path relative to the checkout → text. Lines before the
  /// first record (a login banner on stdout, say) and records that do not decode are skipped.
  public static func parse(output: String) -> [String: String] {
    var files: [String: String] = [:]
    var path: String?
    var content = ""
    func finish() {
      if let path, let data = Data(base64Encoded: content) {
        files[path] = String(decoding: data, as: UTF8.self)
      }
    }
    // `\r\n` is one Character in Swift, and a newline: a pty may have turned `\n` into it.
    for rawLine in output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix(marker + " ") {
        finish()
        let encodedPath = line.dropFirst(marker.count + 1)
        path = Data(base64Encoded: String(encodedPath)).flatMap {
          String(data: $0, encoding: .utf8)
        }
        content = ""
      } else if path != nil {
        content += line
      }
    }
    finish()
    return files
  }
}
