#!/usr/bin/env bash
# Single-quoted commands are expanded by the remote shell, on purpose.
# shellcheck disable=SC2016
# The main job on local hosts: installs what is missing, builds deploy, starts real sshd hosts on
# loopback, and shows what deploy does with them. Stops exactly the hosts it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product deploy
deploy="$(swift build --show-bin-path)/deploy"

hosts_dir="$PWD/.testhosts-demo"
scripts/testhosts.sh start -n 5 -d "$hosts_dir" -p 22500
trap 'scripts/testhosts.sh stop -d "$hosts_dir"' EXIT
inventory="$hosts_dir/inventory.ini"
ssh_opts=(--known-hosts "$hosts_dir/known_hosts")

step() {
  if [ -t 1 ]; then printf '\n\033[1m$ %s\033[0m\n' "$*"; else printf '\n$ %s\n' "$*"; fi
}
run() {
  step "deploy $*"
  local status=0
  "$deploy" "$@" || status=$?
  echo "(exit status $status)"
}

run inventory --graph -i "$inventory"
run exec -i "$inventory" "${ssh_opts[@]}" -l all -- 'echo "$(hostname) up $(cut -d. -f1 /proc/uptime)s as $(id -un)"'
run exec -i "$inventory" "${ssh_opts[@]}" -l 'testhosts:!host05' --group -- 'echo to stdout; echo to stderr >&2'

step "scripts/testhosts.sh stop-host host02   # one host goes away"
scripts/testhosts.sh stop-host host02 -d "$hosts_dir"
run exec -i "$inventory" "${ssh_opts[@]}" -l all -- uptime
scripts/testhosts.sh start-host host02 -d "$hosts_dir"

step "# a known_hosts file that lists the wrong key for host01"
wrong="$hosts_dir/known_hosts.wrong"
grep -v "22501" "$hosts_dir/known_hosts" >"$wrong"
sed -n 's/^\[127.0.0.1\]:22502 /[127.0.0.1]:22501 /p' "$hosts_dir/known_hosts" >>"$wrong"
run exec -i "$inventory" --known-hosts "$wrong" -l host01 -- true

run exec -i "$inventory" "${ssh_opts[@]}" -l host03 --timeout 1 -- 'sleep 10'
run exec -i "$inventory" "${ssh_opts[@]}" -l host04 --json -- 'kill -TERM $$'
