#!/usr/bin/env bash
# Benchmark: `deploy exec -l all -- true` on N local sshd hosts, with each transport, against
# OpenSSH's `ssh HOST true` run for all N hosts in parallel, in the same run, same hosts.
# Prints medians and ratios (deploy / OpenSSH; lower is better).
#
#   scripts/bench-exec.sh [--hosts N] [--runs R] [--base-port P] [--binary PATH]
#
# Defaults: 50 hosts, 5 runs, port 23000, a release build of deploy. Hosts live in
# .bench/hosts and are stopped at the end. Key exchange matters (bench-notes.md): OpenSSH 9.2
# defaults to the post-quantum sntrup761x25519, libssh2 1.10 negotiates curve25519, so OpenSSH
# is measured both ways.
set -euo pipefail
cd "$(dirname "$0")/.."

hosts=50 runs=5 base_port=23000 binary=""
while [ $# -gt 0 ]; do
  case "$1" in
  --hosts) hosts=$2; shift 2 ;;
  --runs) runs=$2; shift 2 ;;
  --base-port) base_port=$2; shift 2 ;;
  --binary) binary=$2; shift 2 ;;
  *) echo "usage: $0 [--hosts N] [--runs R] [--base-port P] [--binary PATH]" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ]; then
  swift build -c release --product deploy >&2
  binary="$(swift build -c release --show-bin-path)/deploy"
fi

dir="$PWD/.bench/hosts"
scripts/testhosts.sh start -n "$hosts" -d "$dir" -p "$base_port" >&2
trap 'scripts/testhosts.sh stop -d "$dir" >&2' EXIT
names=$(awk '/^Host /{print $2}' "$dir/ssh_config")

now() { date +%s%N; }
# Runs a command R times; prints the median wall time in seconds.
median_of() {
  local times=() start end
  for _ in $(seq "$runs"); do
    start=$(now)
    "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; exit 1; }
    end=$(now)
    times+=("$(( (end - start) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m/1000}'
}
openssh_parallel() {
  local pids=() rc=0
  for name in $names; do
    ssh -F "$dir/ssh_config" "$@" "$name" true &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}
deploy_exec() {
  "$binary" exec -i "$dir/inventory.ini" --known-hosts "$dir/known_hosts" -l all \
    --forks "$hosts" --transport "$1" -- true
}

# One untimed round warms caches (page cache, sshd binaries) for everyone alike.
openssh_parallel -o LogLevel=ERROR >/dev/null 2>&1 || true
deploy_exec libssh2 >/dev/null 2>&1 || true

ssh_default=$(median_of openssh_parallel)
ssh_curve=$(median_of openssh_parallel -o KexAlgorithms=curve25519-sha256)
deploy_libssh2=$(median_of deploy_exec libssh2)
deploy_openssh=$(median_of deploy_exec openssh)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<TABLE
hosts=$hosts runs=$runs (median seconds) on $(nproc) cores, $(uname -m), $(ssh -V 2>&1)
| what | seconds | ratio to ssh ∥ (default kex) | ratio to ssh ∥ (curve25519) |
|---|---|---|---|
| \`ssh HOST true\` ×$hosts in parallel, default kex (sntrup761x25519) | $ssh_default | 1.00 | $(ratio "$ssh_default" "$ssh_curve") |
| \`ssh HOST true\` ×$hosts in parallel, curve25519-sha256 | $ssh_curve | $(ratio "$ssh_curve" "$ssh_default") | 1.00 |
| \`deploy exec -l all -- true\`, libssh2 (curve25519) | $deploy_libssh2 | $(ratio "$deploy_libssh2" "$ssh_default") | $(ratio "$deploy_libssh2" "$ssh_curve") |
| \`deploy exec -l all -- true\`, openssh (default kex, ControlMaster) | $deploy_openssh | $(ratio "$deploy_openssh" "$ssh_default") | $(ratio "$deploy_openssh" "$ssh_curve") |
TABLE
