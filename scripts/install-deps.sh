#!/usr/bin/env bash
# Installs the system packages `deploy` builds and tests with, on a fresh Debian 12 machine.
# Idempotent: asks apt only for what is missing (run as root, or with sudo available), and
# rewrites the container settings below only when they differ.
set -euo pipefail

packages=(
  libssh2-1-dev libssl-dev pkg-config # the in-process SSH transport
  openssh-client                      # the OpenSSH transport, ssh-keygen, ssh-agent
  openssh-server                      # test hosts (scripts/testhosts.sh)
  libsqlite3-dev                      # the local ledger (GRDB)
  libxml2-utils                       # xmllint: badge SVGs are checked in tests
  git tmux coreutils procps           # what deploy drives on hosts
  podman runc podman-docker           # real containers for the activation tests (`docker` = podman)
  busybox-static                      # the userland of the test app image (scripts/test-app-image.sh)
  debootstrap dpkg-dev                # the fleet of Debian hosts and its test packages (scripts/fleet.sh)
  shellcheck python3-venv python3-yaml # linting scripts and the GitHub Action (scripts/lint-actions.sh)
  python3-jinja2                      # the oracle the Jinja templating tests compare against
  nftables iproute2                   # network faults in a namespace (scripts/netns-hosts.sh)
  python3-jsonschema                  # --json output is validated against docs/events.schema.json
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Podman settings for machines like CI's (a container itself: cgroups v1, no systemd, no
# CAP_SYS_RESOURCE), read by podman and by podman-docker's `docker` alike:
# - runc, not crun ("cgroups in hybrid mode not supported"); cgroupfs, not systemd;
# - rlimits a container may set without CAP_SYS_RESOURCE: podman's default nofile and nproc
#   (1048576) fail with "setrlimit ... Operation not permitted". nofile: our hard limit;
#   nproc: our hard limit, but no more than kernel.pid_max, where podman caps its own.
# A `--ulimit` flag on `podman run` replaces this whole list: pass both or neither.
# The `nodocker` file quiets the "Emulate Docker CLI using podman" line on every `docker` call.
cap() { # $1: a `ulimit -H` value, $2: the highest value to use
  if [ "$1" = unlimited ] || [ "$1" -gt "$2" ]; then echo "$2"; else echo "$1"; fi
}
nofile=$(cap "$(ulimit -Hn)" 1048576)
nproc=$(cap "$(ulimit -Hu)" "$(cap "$(cat /proc/sys/kernel/pid_max)" 1048576)")
conf=/etc/containers/containers.conf.d/deploy-tests.conf
settings="# Written by deploy's scripts/install-deps.sh (rewritten when the limits change).
[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\""
if [ "$(cat "$conf" 2>/dev/null)" != "$settings" ]; then
  echo "writing $conf (nofile $nofile, nproc $nproc, runc, cgroupfs)"
  $sudo mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$settings" | $sudo tee "$conf" >/dev/null
fi
[ -e /etc/containers/nodocker ] || $sudo touch /etc/containers/nodocker
# podman-docker's `docker` is /usr/bin/docker; another `docker` earlier in PATH (a Docker CLI
# without an engine, say) shadows it. The tests use the podman one wherever it is.
if [ "$(command -v docker)" != /usr/bin/docker ]; then
  echo "note: 'docker' on PATH is $(command -v docker), not podman-docker's /usr/bin/docker" >&2
fi

command -v swift >/dev/null || {
  echo "error: no Swift toolchain on PATH (Swift 6 is needed: https://swift.org/install)" >&2
  exit 1
}
