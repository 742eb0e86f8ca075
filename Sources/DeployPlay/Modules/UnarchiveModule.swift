import DeploySupport
import Foundation
import HostShell

/// `unarchive`: unpacks a tar (plain, gz, bz2, xz) or zip archive into a folder on the host.
/// The archive is on the controller (sent over the connection) or, with `remote_src`, already
/// on the host. It is compared with the folder first: `tar --diff` for tar archives, size and
/// CRC of every member for zip (python3's zipfile, since minimal Debian has no unzip), so an
/// archive already unpacked is not unpacked again. `creates` skips everything when it exists.
/// All of it is one shell script, one round trip.
enum UnarchiveModule: PlayModule {
  static let name = "unarchive"
  static let arguments: Set<String>? = [
    "src", "dest", "remote_src", "copy", "creates", "owner", "group", "list_files",
    "extra_opts", "keep_newer",
  ]

  /// Compares, lists and extracts a zip archive: `python3 - ARCHIVE DEST compare|extract`.
  static let zipHelper = """
    import os, sys, zipfile, zlib
    archive, dest, action = sys.argv[1:4]
    with zipfile.ZipFile(archive) as z:
        differs = 0
        for info in z.infolist():
            print('file=' + info.filename)
            path = os.path.join(dest, info.filename)
            if info.is_dir():
                differs += not os.path.isdir(path)
                continue
            try:
                with open(path, 'rb') as f:
                    data = f.read()
                differs += (zlib.crc32(data) & 0xffffffff) != info.CRC
            except OSError:
                differs += 1
        print('differs=%d' % differs)
        if differs and action == 'extract':
            for info in z.infolist():
                path = z.extract(info, dest)
                bits = (info.external_attr >> 16) & 0o7777
                if bits and not info.is_dir():
                    os.chmod(path, bits)
    """

  static func run(_ args: ModuleArgs, _ context: ModuleContext) throws -> ModuleResult {
    try args.allowOnly(arguments)
    let source = try args.required("src")
    let destination = try args.required("dest")
    // `copy: no` is the old spelling of `remote_src: yes`.
    let remote =
      try args.values["remote_src"] != nil
      ? args.bool("remote_src", default: false) : !args.bool("copy", default: true)
    let creates = try args.string("creates")
    let owner = try args.string("owner")
    let group = try args.string("group")
    let listFiles = try args.bool("list_files", default: false)
    let extraOptions = try args.list("extra_opts") ?? []
    let keepNewer = try args.bool("keep_newer", default: false)

    var stdin: [UInt8] = []
    if !remote {
      let local = try context.controllerFile(source, kind: "files")
      guard let data = FileManager.default.contents(atPath: local) else {
        throw ModuleFailure("could not read \(local) on the controller")
      }
      stdin = Array(data)
    }

    let act = !context.checkMode
    // The shell's own true or false, tested where the script would change something.
    let acting: ShellScript = act ? "true" : "false"
    var script: ShellScript = "dest=\(destination)\n"
    if let creates {
      script += "[ -e \(creates) ] && { echo skip; exit 0; }\n"
    }
    script += """
      [ -d "$dest" ] || { printf "dest '%s' must be an existing dir\\n" "$dest" >&2; exit 3; }

      """
    if remote {
      script += """
        archive=\(source)
        [ -f "$archive" ] || { printf "Source '%s' does not exist\\n" "$archive" >&2; exit 3; }

        """
    } else {
      script += """
        archive=$(mktemp /tmp/.unarchive.XXXXXX) || exit 3
        trap 'rm -f "$archive"' EXIT
        cat > "$archive"

        """
    }
    // tar's differences that owner/group would undo anyway do not count.
    var ignored = ["Mod time differs"].filter { _ in keepNewer }
    if owner != nil { ignored.append("Uid differs") }
    if group != nil { ignored.append("Gid differs") }
    let filter: ShellScript =
      ignored.isEmpty
      ? "cat" : "grep -v -E \(": (" + ignored.joined(separator: "|") + ")$")"
    let tarOptions: ShellScript =
      "\(words: extraOptions + (keepNewer ? ["--keep-newer-files"] : []))"
    script += """
      if tar -tf "$archive" >/dev/null 2>&1; then
        echo kind=tar
        tar -tf "$archive" | sed 's/^/file=/'
        differences=$(tar -C "$dest" -d -f "$archive" 2>&1 | \(filter) | grep -c .)
        echo "differs=$differences"
        if [ "$differences" -gt 0 ] && \(acting); then
          tar -C "$dest" -x -f "$archive" \(tarOptions) || exit 5
        fi
        members() { tar -tf "$archive"; }
      elif [ "$(head -c 2 "$archive")" = PK ]; then
        echo kind=zip
        command -v python3 >/dev/null || { echo 'zip archives need python3 on the host' >&2; exit 4; }
        python3 -c \(zipHelper) "$archive" "$dest" \(act ? "extract" : "compare") || exit 5
        members() { python3 -c 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$archive"; }
      else
        printf 'Failed to find handler for "%s". Make sure the required command to extract the file is installed.\\n' \(source) >&2
        exit 4
      fi

      """
    // stat's format letters for the name and the id, and the command that sets it.
    let attributes: [(name: ShellScript, id: ShellScript, change: ShellScript, wanted: String?)] = [
      ("%U", "%u", "chown -h", owner), ("%G", "%g", "chgrp -h", group),
    ]
    for (name, id, change, wanted) in attributes {
      guard let wanted else { continue }
      let apply: ShellScript = act ? "\(change) \(wanted) \"$path\" || exit 6" : ":"
      script += """
        members | while IFS= read -r member; do
          path="$dest/$member"
          [ -e "$path" ] || [ -L "$path" ] || continue
          if [ "$(stat -c \(name) "$path")" != \(wanted) ] && [ "$(stat -c \(id) "$path")" != \(wanted) ]; then
            echo attribute="$member"
            \(apply)
          fi
        done || exit 6

        """
    }
    let output = try context.shell(script, stdin: stdin, timeout: 1800)
    let detail = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    guard output.result.succeeded else {
      let what: String
      switch output.result.exitStatus {
      case 5: what = "extracting \(source) into \(destination) failed: "
      case 6: what = "setting the owner of files in \(destination) failed: "
      default: what = ""
      }
      throw ModuleFailure(
        what + detail, values: ["dest": .string(destination), "src": .string(source)])
    }

    var values: [String: VarValue] = ["dest": .string(destination), "src": .string(source)]
    if output.stdoutText.hasPrefix("skip") {
      return ModuleResult(
        changed: false, message: "skipped, since \(creates ?? "") exists", values: values)
    }
    var files: [VarValue] = []
    var differences = 0
    var attributeChanges = 0
    for line in output.stdoutText.split(separator: "\n") {
      if line.hasPrefix("file=") {
        files.append(.string(String(line.dropFirst(5))))
      } else if line.hasPrefix("differs=") {
        differences = Int(line.dropFirst(8)) ?? 1
      } else if line.hasPrefix("kind=") {
        values["handler"] = .string(line == "kind=zip" ? "ZipArchive" : "TgzArchive")
      } else if line.hasPrefix("attribute=") {
        attributeChanges += 1
      }
    }
    if listFiles { values["files"] = .list(files) }
    let changed = differences > 0 || attributeChanges > 0
    let message: String? =
      context.checkMode && changed
      ? (differences > 0
        ? "would unpack \(source) into \(destination)"
        : "would change the owner or group of \(attributeChanges) files")
      : nil
    return ModuleResult(changed: changed, message: message, values: values)
  }
}
