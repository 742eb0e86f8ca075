import HostShell

/// Shell functions that identify a process on a Linux host well enough to tell, later and from
/// another connection, whether that very process still runs: its pid, its start time in clock
/// ticks since boot (field 22 of `/proc/PID/stat`) and the boot id. A pid alone is not enough;
/// pids are reused, and a host may have rebooted. `group_alive` and `stop_group` do the same for
/// the process group a build step leads (`steps/N.proc`).
package enum HostProcess {
  package static let functions: ShellScript = #"""
    proc_start() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
    boot_id() { cat /proc/sys/kernel/random/boot_id 2>/dev/null; }
    proc_identity() { printf '%s %s %s\n' "$1" "$(proc_start "$1")" "$(boot_id)"; }
    is_alive() {
      set -- $1
      [ -n "${3:-}" ] && [ "$(boot_id)" = "$3" ] && [ "$(proc_start "$1")" = "$2" ]
    }
    group_alive() {
      set -- $1
      [ -n "${3:-}" ] && [ "$(boot_id)" = "$3" ] || return 1
      [ "$(proc_start "$1")" = "$2" ] && return 0
      # The leader is gone; its group lives on only if no new process took the pid.
      [ ! -e "/proc/$1" ] && kill -0 -"$1" 2>/dev/null
    }
    stop_group() {
      set -- $1
      kill -TERM -"$1" 2>/dev/null
      i=0
      while kill -0 -"$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      kill -KILL -"$1" 2>/dev/null
      return 0
    }
    run_status() {
      # One line, `ALIVE STATE…`, for the run folder $1. The runner is looked at before its
      # state is read: a runner seen gone has written its last state already. The other order
      # reads `running`, then finds that the runner just ended with `succeeded`, and reports a
      # good build lost. Liveness and state are one field so that no reader can take them apart.
      if [ -f "$1/pid" ] && is_alive "$(cat "$1/pid")"; then a=yes; else a=no; fi
      printf '%s %s\n' "$a" "$(cat "$1/state" 2>/dev/null)"
    }
    ssh_session_pid() {
      p=$$
      while [ "${p:-0}" -gt 1 ]; do
        case "$(cat "/proc/$p/comm" 2>/dev/null)" in sshd | sshd-session) echo "$p"; return ;; esac
        p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
      done
      echo 0
    }
    """#
}
