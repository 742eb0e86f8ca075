#!/usr/bin/env bash
# Every test: installs what is missing (podman and its settings too), builds once, checks
# formatting, starts real sshd test hosts on loopback and a fleet of Debian hosts
# (scripts/fleet.sh), runs unit and integration tests (the container tests build their image with
# scripts/test-app-image.sh; the fault matrix runs each fault once), a smoke run of the fuzzers
# and of the benchmark, and stops exactly the hosts it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --build-tests
swift format lint --strict --recursive Package.swift Sources Tests
# action.yml and the workflows (actionlint, scripts/check-action.py, shellcheck); the action
# itself runs in the integration tests (GitHubActionTests, through scripts/run-action.py).
scripts/lint-actions.sh

hosts_dir="$PWD/.testhosts"
# Another set of test hosts (a developer's, say) may hold the default ports: try further ranges.
started=""
for base_port in 22200 24200 26200 28200; do
  if scripts/testhosts.sh start -n 10 -d "$hosts_dir" -p "$base_port"; then
    started=yes
    break
  fi
done
[ -n "$started" ] || { echo "error: could not start the test hosts" >&2; exit 1; }
fleet_dir="$PWD/.fleet"
netns_dir="$PWD/.testhosts-netns"
trap 'scripts/netns-hosts.sh stop -d "$netns_dir" >/dev/null 2>&1 || true; scripts/fleet.sh stop -d "$fleet_dir" || true; scripts/testhosts.sh stop -d "$hosts_dir"' EXIT
# shellcheck disable=SC1091
source "$hosts_dir/hosts.env"
export TESTHOSTS_DIR TESTHOSTS_COUNT TESTHOSTS_BASE_PORT

# A fleet of 4 Debian hosts with their own dpkg state and the test package repository. The first
# run on a machine builds the base with debootstrap (1-2 min) and caches it in
# /var/cache/deploy-fleet; later starts take about a second. A fleet that fails to start leaves
# FLEET_DIR unset, which FleetPrerequisites turns into a failure below.
# --provision-packages: git, tmux, curl… offered offline, for playbooks/provision.yml.
if scripts/fleet.sh start -n 4 --provision-packages -d "$fleet_dir"; then
  export FLEET_DIR="$fleet_dir"
else
  echo "warning: the fleet did not start (scripts/fleet.sh start); fleet tests will fail" >&2
fi
# Three hosts on their own addresses in a network namespace, for the network faults (a link
# cut, silent or lossy; NetworkFaultTests). Nothing leaves the namespace.
if scripts/netns-hosts.sh start -n 3 -d "$netns_dir"; then
  export NETNS_HOSTS_DIR="$netns_dir"
else
  echo "warning: the namespace hosts did not start; the network fault tests are skipped" >&2
fi
# ansible-core from PyPI (in .build-tools/ansible): ProvisionTests runs provision.yml with both
# ansible-playbook and deploy play and compares the hosts.
scripts/install-ansible.sh >/dev/null
# Missing test hosts or a container runtime that does not work fail the run instead of skipping.
export DEPLOY_REQUIRE_INTEGRATION=1

swift test --skip-build

# Bounded smoke run of the fuzzers: every parser for 15 s (the full run is scripts/fuzz.sh).
scripts/fuzz.sh --seconds 15 --jobs 2

# Bounded smoke run of the benchmark (the full one is scripts/bench-exec.sh, see README).
scripts/bench-exec.sh --hosts 10 --runs 1 --base-port 23300 --binary "$(swift build --show-bin-path)/deploy"
