#!/usr/bin/env bash
# The whole fault matrix (README, "Faults and hostile input"): every fault injected on purpose
# against real sshd hosts, the racy ones repeated, and the fleet-scale one at 50 hosts. Starts
# its own test hosts on loopback and stops them; every test is bounded in time.
#
#   scripts/fault-matrix.sh                 # 50 hosts, each racy fault repeated 5 times
#   scripts/fault-matrix.sh --rounds 2 --hosts 20
#
# scripts/test.sh runs the same tests once each on 10 hosts (the CI smoke part).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
hosts=50
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --hosts) hosts="$2"; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "fault-matrix.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
swift build --build-tests

hosts_dir="$PWD/.testhosts-faults"
started=""
for base_port in 25200 27200 29200; do
  if scripts/testhosts.sh start -n "$hosts" -d "$hosts_dir" -p "$base_port"; then
    started=yes
    break
  fi
done
[ -n "$started" ] || { echo "error: could not start $hosts test hosts" >&2; exit 1; }
netns_dir="$PWD/.testhosts-netns"
trap 'scripts/netns-hosts.sh stop -d "$netns_dir" >/dev/null 2>&1 || true; scripts/testhosts.sh stop -d "$hosts_dir"' EXIT
scripts/netns-hosts.sh start -n 3 -d "$netns_dir"
export NETNS_HOSTS_DIR="$netns_dir"
# shellcheck disable=SC1091
source "$hosts_dir/hosts.env"
export TESTHOSTS_DIR TESTHOSTS_COUNT TESTHOSTS_BASE_PORT
export DEPLOY_REQUIRE_INTEGRATION=1 DEPLOY_FAULT_ROUNDS="$rounds"

swift test --skip-build --filter \
  'FaultMatrixTests|NetworkFaultTests|HostileInputTests|FleetScaleTests|SecretsTests|PruneTests|UntrustedInputTests|TerminalTextTests|aStepOrphanedByAKilledRunner|aRunnerThatEndsWhileBeingListed|twoBuildsOfOneSecond|aBuildAPIErrorLeavesProductionAlone|anUnreachableBuildAPILeavesProductionAlone'
