#!/usr/bin/env bash
# Installs the system packages `deploy` builds and tests with, on a fresh Debian 12 machine.
# Idempotent: asks apt only for what is missing (run as root, or with sudo available).
set -euo pipefail

packages=(
  libssh2-1-dev libssl-dev pkg-config # the in-process SSH transport
  openssh-client                      # the OpenSSH transport, ssh-keygen, ssh-agent
  openssh-server                      # test hosts (scripts/testhosts.sh)
  libsqlite3-dev                      # the local ledger (GRDB)
  git tmux coreutils procps           # what deploy drives on hosts
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || {
  echo "error: no Swift toolchain on PATH (Swift 6 is needed: https://swift.org/install)" >&2
  exit 1
}
