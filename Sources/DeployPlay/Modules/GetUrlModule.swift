import DeploySupport
import HostShell

/// `get_url`: downloads a URL to a file on the host, with whatever the host has (curl, wget,
/// or python3, which minimal Debian hosts do have). A destination that exists is kept as it is
/// unless `force` or a `checksum` it does not match says otherwise; a download that turns out
/// identical to the file in place is not a change. `mode`/`owner`/`group` are applied either way.
enum GetUrlModule: PlayModule {
  static let name = "get_url"
  static let arguments: Set<String>? = [
    "url", "dest", "checksum", "mode", "owner", "group", "force", "timeout",
  ]

  /// `checksum: sha256:…` algorithms and the coreutils program for each.
  static let checksumPrograms: [String: ShellScript] = [
    "md5": "md5sum", "sha1": "sha1sum", "sha224": "sha224sum", "sha256": "sha256sum",
    "sha384": "sha384sum", "sha512": "sha512sum",
  ]

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let url = try args.required("url")
    let destination = try args.required("dest")
    let force = try args.bool("force", default: false)
    let timeout = try args.int("timeout") ?? 10
    let attributes = try RemoteFile.Attributes.from(args)

    var algorithm = "sha256"
    var expected: String?
    if let checksum = try args.string("checksum"), !checksum.isEmpty {
      let parts = checksum.split(separator: ":", maxSplits: 1).map(String.init)
      guard parts.count == 2, checksumPrograms[parts[0]] != nil else {
        throw ModuleFailure(
          "checksum must be ALGORITHM:HEX with ALGORITHM one of "
            + checksumPrograms.keys.sorted().joined(separator: ", ") + ", got \(checksum)")
      }
      guard parts[1].allSatisfy(\.isHexDigit) else {
        throw ModuleFailure(
          "checksum from a URL is not supported; give the hex digest: \(checksum)")
      }
      algorithm = parts[0]
      expected = parts[1].lowercased()
    }
    let program = checksumPrograms[algorithm]!

    // A folder as dest: the file is named after the URL's last path component.
    let urlName =
      url.split(separator: "?").first.flatMap { $0.split(separator: "/").last }.map(String.init)
      ?? "index.html"
    let probe = try context.succeed(
      """
      dest=\(destination)
      [ -d "$dest" ] && dest="${dest%/}/"\(urlName)
      printf '%s\\n' "$dest"
      if [ -f "$dest" ]; then \(program) "$dest" | cut -d' ' -f1; else echo -; fi
      [ -f "$dest" ] && stat -L -c \(RemoteFile.statFormat) -- "$dest"
      exit 0
      """, what: "reading \(destination)")
    let lines = probe.stdoutText.split(separator: "\n").map(String.init)
    let dest = lines.first ?? destination
    let current = lines.count > 1 && lines[1] != "-" ? lines[1] : nil
    var state = RemoteFile.State()
    if current != nil, lines.count > 2 { RemoteFile.parseStat(lines[2], into: &state) }

    var values: [String: VarValue] = ["url": .string(url), "dest": .string(dest)]
    if let current { values["checksum_dest"] = .string(current) }

    var changed = false
    var message = "file already exists"
    let needsDownload = current == nil || force || (expected != nil && expected != current)
    if needsDownload {
      let outcome = try download(
        url: url, to: dest, program: program, expected: expected, timeout: timeout, context)
      values["checksum_src"] = .string(outcome.checksum)
      values["size"] = .int(outcome.size)
      changed = outcome.checksum != current
      message =
        changed ? (context.checkMode ? "would replace \(dest)" : "OK") : "file is unchanged"
    }
    // A file just put in place is a new one: it gets every attribute asked for; a file kept
    // gets those it lacks.
    let replaced = changed && !context.checkMode
    let missing = current == nil || replaced ? attributes : attributes.differing(from: state)
    if !missing.isEmpty {
      if !context.checkMode { _ = try RemoteFile.apply(missing, to: dest, in: context) }
      if !changed { message = RemoteFile.message("", attributesChanged: true) }
      changed = true
    }
    values["msg"] = .string(message)
    return ModuleResult(changed: changed, message: message, values: values)
  }

  /// Fetches `url` into a temporary file on the host, checks it, and (outside check mode) puts
  /// it in place if its content differs. Returns the download's checksum and size.
  static func download(
    url: String, to dest: String, program: ShellScript, expected: String?, timeout: Int,
    _ context: ModuleContext
  ) throws -> (checksum: String, size: Int) {
    let quotedDest: ShellScript = "\(dest)"
    let quotedURL: ShellScript = "\(url)"
    // Check mode downloads to /tmp so that nothing beside dest appears, even briefly.
    let temporary: ShellScript =
      context.checkMode
      ? "mktemp /tmp/.get_url.XXXXXX" : "mktemp \"$(dirname \(quotedDest))/.get_url.XXXXXX\""
    let python = """
      import shutil, sys, urllib.request
      with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[3])) as response:
          with open(sys.argv[2], 'wb') as out:
              shutil.copyfileobj(response, out)
      """
    let verify: ShellScript = expected.map { "[ \"$sum\" = \($0) ] || exit 5" } ?? ""
    let stopInCheckMode: ShellScript = context.checkMode ? "exit 0" : ""
    let script: ShellScript = """
      tmp=$(\(temporary)) || exit 3
      trap 'rm -f "$tmp"' EXIT
      if command -v curl >/dev/null; then
        curl -fsSL --max-time \(timeout) -o "$tmp" \(quotedURL) || exit 4
      elif command -v wget >/dev/null; then
        wget -q -T \(timeout) -O "$tmp" \(quotedURL) || exit 4
      elif command -v python3 >/dev/null; then
        # Only the traceback's last line says what went wrong.
        err=$(python3 -c \(python) \(quotedURL) "$tmp" \(timeout) 2>&1) || {
          printf '%s\\n' "$err" | tail -n 1 >&2; exit 4; }
      else
        echo 'none of curl, wget, python3 is installed on the host' >&2; exit 3
      fi
      sum=$(\(program) "$tmp" | cut -d' ' -f1)
      echo "sum=$sum"
      echo "size=$(stat -c %s "$tmp")"
      \(verify)
      [ -f \(quotedDest) ] && cmp -s "$tmp" \(quotedDest) && exit 0
      \(stopInCheckMode)
      if [ -e \(quotedDest) ]; then chmod --reference=\(quotedDest) "$tmp"; else chmod 0644 "$tmp"; fi
      mv -f "$tmp" \(quotedDest) || exit 6
      """
    let output = try context.shell(script, timeout: Double(timeout * 2 + 60))
    var fields: [String: String] = [:]
    for line in output.stdoutText.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    let checksum = fields["sum"] ?? ""
    let detail = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    switch output.result.exitStatus {
    case 0:
      return (checksum, Int(fields["size"] ?? "") ?? 0)
    case 4:
      throw ModuleFailure("Request failed for \(url): \(detail)", values: ["url": .string(url)])
    case 5:
      throw ModuleFailure(
        "The checksum for \(dest) did not match \(expected ?? ""); it was \(checksum).",
        values: ["checksum_src": .string(checksum)])
    default:
      throw ModuleFailure(
        "downloading \(url) to \(dest) failed (exit \(output.result.exitStatus)): \(detail)")
    }
  }
}
