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

# ---- Git deploys: ECHR-OD's release flow ---------------------------------------------------
# A repository with three tagged versions (v3's build is broken); stages test (host01, host02)
# and prod (host03). The hosts share this machine's disk, so each gets its own folder through
# {{ inventory_hostname }}. On each test host the app runs as a real container (podman, driven
# through podman here; the hosts restart it with `docker restart`) serving `deploy build-api` on its mounted build folder, loopback
# only: deploy reaches it through the SSH connection.
app="$hosts_dir/demo-app"
for host in host01 host02; do podman rm -f --time 0 "demo-$host" >/dev/null 2>&1 || true; done
rm -rf "$app" && mkdir -p "$app/work"
(
  cd "$app/work"
  git init -q -b main . && git config user.email demo@example.org && git config user.name demo
  for version in v1 v2 v3; do
    broken=""
    [ "$version" = v3 ] && broken='touch "$DEPLOY_BUILD_DIR/broken"\n'
    printf '#!/bin/sh\necho "building %s for $DEPLOY_STAGE"\nsleep 1\necho %s > "$DEPLOY_BUILD_DIR/data.txt"\n'"$broken" \
      "$version" "$version" >build.sh
    chmod +x build.sh && git add build.sh && git commit -q -m "$version" && git tag "$version"
  done
  git clone -q --bare . "$app/origin.git"
)
key="ansible_user=root ansible_ssh_private_key_file=$hosts_dir/keys/id_ed25519"
{
  echo "[test]"
  grep -E '^host01 ' "$inventory" | sed "s|\$| $key api_port=22601|"
  grep -E '^host02 ' "$inventory" | sed "s|\$| $key api_port=22602|"
  echo "[prod]"
  grep -E '^host03 ' "$inventory" | sed "s|\$| $key api_port=22603|"
} >"$app/inventory.ini"
cat >"$app/deploy.yml" <<YML
inventory: inventory.ini
stages: [test, prod]
ssh:
  known_hosts: $hosts_dir/known_hosts
ledger: $app/ledger.sqlite
apps:
  demo-app:
    kind: git
    repository: $app/origin.git
    ref: v1
    path: $app/hosts/{{ inventory_hostname }}
    build_name: demo_database
    build:
      steps:
        - name: dependencies
          run: echo "resolving dependencies of \$DEPLOY_VERSION"
        - name: build
          run: ./build.sh
    activate:
      api: "127.0.0.1:{{ api_port }}"
      restart: {docker: "demo-{{ inventory_hostname }}"}
    health:
      command: test ! -e $app/hosts/{{ inventory_hostname }}/build/demo_database/broken
      retries: 2
      interval: 1s
    keep: 3
YML
export DEPLOY_CONFIG="$app/deploy.yml"
step "cat deploy.yml"
cat "$DEPLOY_CONFIG"

step "# the app: a container per test host, serving deploy build-api on its build folder"
image=$(scripts/test-app-image.sh "$deploy" | tail -n 1)
port=22601
for host in host01 host02; do
  mkdir -p "$app/hosts/$host/build"
  podman run -d --name "demo-$host" --network host -v "$app/hosts/$host/build:/data" "$image" \
    deploy build-api --data-folder /data --build-name demo_database --listen "127.0.0.1:$port" >/dev/null
  port=$((port + 1))
done
trap 'podman rm -f --time 0 demo-host01 demo-host02 >/dev/null 2>&1; scripts/testhosts.sh stop -d "$hosts_dir"' EXIT
podman ps --format '{{.Names}}  {{.Status}}  {{.Command}}'

run demo-app test v1
run demo-app test v2 --detach
run logs demo-app test -l host01 --follow
v2_run=$(find "$app/hosts/host01/.deploy/runs" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tail -n 1)
run demo-app test --activate "$v2_run"
run builds demo-app test -l host01
run status

step "# v3's build is broken: its health check fails on host01, which goes back to v2; host02 is left alone"
run demo-app test v3

step "# someone locks the stage for maintenance; a deploy names them and stops"
run lock demo-app test -m "database maintenance until 15:00"
run demo-app test v2
run unlock demo-app test

run demo-app test -- 'v1; touch /tmp/pwned'
run history
step "# roll back by hand to the build served before, from an empty ledger"
rm -f "$app/ledger.sqlite"
run rollback demo-app test
run history
run status

# ---- Playbooks: deploy play -------------------------------------------------------------------
# An Ansible playbook over the same SSH layer: check mode first (what would change, nothing
# changed), then the run, then a second run with one variable changed: only that line changes
# and only then does the handler run.
play=(play examples/demo-play.yml -i "$inventory" "${ssh_opts[@]}" -l 'host01:host03'
  -e "demo_root=$hosts_dir/play")
rm -rf "$hosts_dir/play"
run "${play[@]}" --check --diff
run "${play[@]}"
run "${play[@]}" -e workers=4 --diff
