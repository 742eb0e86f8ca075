import HostShell

/// Shell functions that tell a full disk from other write failures. The shells on hosts report
/// a failed write as "I/O error" at best, and git as "Out of diskspace": neither names the
/// folder or the cause, so every script that writes explains a failure with these.
package enum DiskSpace {
  package static let functions: ShellScript = #"""
    existing() { d=$1; while [ ! -e "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done; echo "$d"; }
    disk_full() {
      d=$(existing "$1")
      df -P "$d" 2>/dev/null | awk 'NR == 2 && $4 == 0 { found = 1 } END { exit !found }' && return 0
      df -Pi "$d" 2>/dev/null | awk 'NR == 2 && $4 == 0 { found = 1 } END { exit !found }'
    }
    explain_write_failure() {
      if disk_full "$1"; then
        d=$(existing "$1")
        printf '%s: no space left on device (ENOSPC): the file system mounted on %s is full\n' \
          "$1" "$(df -P "$d" 2>/dev/null | awk 'NR == 2 { print $6 }')" >&2
      else
        printf '%s: could not be written\n' "$1" >&2
      fi
    }
    """#
}
