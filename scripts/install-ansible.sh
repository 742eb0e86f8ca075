#!/usr/bin/env bash
# Installs a pinned ansible-core from PyPI into a venv at <repo root>/.build-tools/ansible (the
# reference `deploy play` is compared against: scripts/compare-ansible.sh) and prints the path of
# its ansible-playbook. Idempotent: when the venv already has these versions it only prints the
# path (well under a second).
#
#   scripts/install-ansible.sh            # -> /path/to/repo/.build-tools/ansible/bin/ansible-playbook
#   ANSIBLE_CORE_VERSION=2.19.14 scripts/install-ansible.sh
#
# ansible-core 2.19 runs on a controller with Python 3.11-3.13 (this machine: Debian 12's 3.11)
# and manages hosts with Python 3.8-3.13 (fleet hosts: Debian 12's 3.11). python3-venv comes from
# scripts/install-deps.sh. ANSIBLE_VENV overrides the venv directory.
#
# authorized_key (like sysctl, mount, ...) lives in the ansible.posix collection, not in
# ansible-core. Galaxy is out of reach here, so the collection comes from the wheel of the
# `ansible` package on PyPI (12.x goes with ansible-core 2.19): only its
# ansible_collections/ansible/posix is extracted into the venv's site-packages, where
# ansible-core finds collections.
set -euo pipefail

version=${ANSIBLE_CORE_VERSION:-2.19.15}
bundle=${ANSIBLE_BUNDLE_VERSION:-12.3.0}
collections=(ansible/posix)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${ANSIBLE_VENV:-$root/.build-tools/ansible}
playbook=$venv/bin/ansible-playbook

core_installed() {
	[[ -x $playbook && -x $venv/bin/python ]] || return 1
	[[ $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ansible-core"))' 2>/dev/null) == "$version" ]]
}

if ! core_installed; then
	python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
		{
			echo "error: ansible-core $version needs Python >= 3.11 on this machine ($(python3 --version 2>&1))" >&2
			exit 1
		}
	if [[ ! -x $venv/bin/python ]]; then
		python3 -m venv "$venv" >&2 ||
			{
				echo "error: python3 -m venv failed (package python3-venv; scripts/install-deps.sh installs it)" >&2
				exit 1
			}
	fi
	echo "installing ansible-core==$version into $venv" >&2
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "ansible-core==$version" >&2
	core_installed || {
		echo "error: ansible-core $version is not importable from $venv after pip install" >&2
		exit 1
	}
fi

if [[ ! -f $venv/.collections-$bundle ]]; then
	echo "adding ${collections[*]} from the wheel of ansible==$bundle" >&2
	dl=$(mktemp -d)
	trap 'rm -rf "$dl"' EXIT
	"$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		-d "$dl" "ansible==$bundle" >&2
	extract='
import sys, sysconfig, zipfile
wheel, wanted = sys.argv[1], sys.argv[2:]
site = sysconfig.get_paths()["purelib"]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if any(n.startswith(f"ansible_collections/{c}/") for c in wanted)]
    if not names:
        sys.exit(f"{wheel} has none of {wanted}")
    z.extractall(site, names)
'
	"$venv/bin/python" -c "$extract" "$dl/ansible-$bundle-py3-none-any.whl" "${collections[@]}"
	rm -f "$venv"/.collections-*
	: >"$venv/.collections-$bundle"
fi
printf '%s\n' "$playbook"
