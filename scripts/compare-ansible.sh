#!/usr/bin/env bash
# Runs a playbook (default playbooks/provision.yml) with ansible-playbook on one fresh fleet host
# and with `deploy play` on another, times both, and compares the hosts' resulting states.
#
#   scripts/compare-ansible.sh --deploy .build/release/deploy
#   DEPLOY=.build/debug/deploy scripts/compare-ansible.sh -- -e deploy_permit_root_login=prohibit-password
#   scripts/compare-ansible.sh --ansible-only          # the ansible half alone (no deploy binary)
#
# Options:
#   --deploy PATH       the deploy binary (else $DEPLOY)
#   --playbook FILE     the playbook (default playbooks/provision.yml)
#   --ansible-only      run only ansible-playbook (checks the playbook and this script)
#   --fleet-dir DIR     the fleet's directory (default <repo>/.fleet-compare). The script starts
#                       two fresh hosts there, named ansible and deploy, with
#                       `scripts/fleet.sh start --provision-packages`, and stops them at the end
#   --keep              leave the fleet running (inspect: scripts/fleet.sh exec deploy -d DIR -- sh)
#   -- ARGS...          more arguments for both runs (e.g. -e k=v, --tags sshd)
#
# Both tools get the same arguments:
#   PLAYBOOK -i INVENTORY -l HOST -u root --diff -e "deploy_authorized_key='<fleet key>'" ARGS...
# (the inner quotes keep the key's spaces: -e k=v splits on whitespace and strips quotes, as
# Ansible's parse_kv does). INVENTORY is a copy of the fleet's inventory.ini whose
# ansible_ssh_common_args points ssh at the fleet's known_hosts.
#
# The states compared (read through `fleet.sh exec`, a chroot, not ssh, since root login may be
# off by then): the deploy user and group, its password field, the packages of the playbook,
# the sudoers file (content, mode, owner), sshd's effective settings (`sshd -T`) for the hardened
# keywords, the sshd drop-in and Include line, authorized_keys (content, modes), the apps' base
# folder, and whether the running sshd now lets root and the deploy user in. Prints the unified
# diff of the two states (none = same state), both PLAY RECAP lines, both wall times and their
# ratio. Exit status 0 only if both runs succeeded and the states are the same.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deploy=${DEPLOY:-}
playbook=$root/playbooks/provision.yml
ansible_only=0
keep=0
dir=$root/.fleet-compare
extra=()
while (($#)); do
	case $1 in
	--deploy)
		deploy=$2
		shift 2
		;;
	--playbook)
		playbook=$2
		shift 2
		;;
	--fleet-dir)
		dir=$2
		shift 2
		;;
	--ansible-only)
		ansible_only=1
		shift
		;;
	--keep)
		keep=1
		shift
		;;
	--)
		shift
		extra=("$@")
		break
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "error: unknown argument: $1 (see --help)" >&2
		exit 2
		;;
	esac
done
if ((!ansible_only)); then
	[[ -n $deploy ]] || {
		echo "error: no deploy binary: give --deploy PATH or DEPLOY=PATH (or --ansible-only)" >&2
		exit 2
	}
	[[ -x $deploy ]] || deploy=$(command -v "$deploy") || {
		echo "error: $deploy is not executable" >&2
		exit 2
	}
	deploy=$(realpath "$deploy")
fi
[[ -f $playbook ]] || {
	echo "error: no playbook $playbook" >&2
	exit 2
}
playbook=$(realpath "$playbook")
mkdir -p "$dir"
dir=$(realpath "$dir")
fleet=$root/scripts/fleet.sh

ansible_playbook=$("$root/scripts/install-ansible.sh")

"$fleet" start -d "$dir" --names ansible,deploy --provision-packages >&2
if ((!keep)); then
	trap '"$fleet" stop -d "$dir" >&2 || true' EXIT
fi

out=$dir/compare
rm -rf "$out"
mkdir -p "$out"
inventory=$out/inventory.ini
{
	cat "$dir/inventory.ini"
	printf "ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'\n" "$dir/known_hosts"
} >"$inventory"
key=$(cat "$dir/keys/id_ed25519.pub")
port() { sed -n "s/^FLEET_PORT_$1=//p" "$dir/fleet.env"; }

# Quiet, comparable ansible output: no colours, no interpreter warnings, no Python warnings.
export ANSIBLE_NOCOLOR=1 ANSIBLE_PYTHON_INTERPRETER=auto_silent PYTHONWARNINGS=ignore
export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s"
export NO_COLOR=1

# run NAME HOST CMD...: runs CMD from the playbook's folder, log in $out/NAME.log, wall time
# in $out/NAME.time, exit status in $out/NAME.rc.
run() {
	local name=$1 t0 t1 rc=0
	shift 2
	t0=$(date +%s.%N)
	(cd "$(dirname "$playbook")" && "$@") >"$out/$name.log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' >"$out/$name.time"
	printf '%s\n' "$rc" >"$out/$name.rc"
}
args_for() { # $1: host
	printf '%s\0' "$playbook" -i "$inventory" -l "$1" -u root --diff -e "deploy_authorized_key='$key'" "${extra[@]}"
}
mapfile -d '' -t ansible_args < <(args_for ansible)
run ansible ansible "$ansible_playbook" "${ansible_args[@]}"
if ((!ansible_only)); then
	mapfile -d '' -t deploy_args < <(args_for deploy)
	# ansible reads the known_hosts file from ansible_ssh_common_args; deploy takes it as an option.
	run deploy deploy "$deploy" play "${deploy_args[@]}" --known-hosts "$dir/known_hosts"
fi

# The state of one host, free of its name, port and timestamps.
state() { # $1: host
	local h=$1
	# shellcheck disable=SC2016 # expanded inside the host
	"$fleet" exec "$h" -d "$dir" -- /bin/sh -c '
		section() { printf "\n## %s\n" "$1"; }
		section "deploy user"
		getent passwd deploy || echo "(no user deploy)"
		getent group deploy || echo "(no group deploy)"
		id deploy 2>&1
		getent shadow deploy | cut -d: -f2 | sed "s/^/password field: /"
		section "packages"
		dpkg-query -W -f="\${Package} \${Version} \${db:Status-Abbrev}\n" git tmux curl ca-certificates rsync sudo acl 2>&1
		section "sudoers"
		for f in /etc/sudoers.d/*; do stat -c "%n %a %U:%G" "$f"; [ "$f" = /etc/sudoers.d/README ] || cat "$f"; done
		visudo -c >/dev/null 2>&1 && echo "visudo -c: ok" || echo "visudo -c: FAILED"
		section "sshd -T"
		/usr/sbin/sshd -T 2>&1 | grep -E "^(passwordauthentication|kbdinteractiveauthentication|permitrootlogin|pubkeyauthentication|permitemptypasswords|usepam) " | sort
		section "sshd files"
		grep -n "^Include" /etc/ssh/sshd_config || echo "(no Include)"
		for f in /etc/ssh/sshd_config.d/*; do [ -e "$f" ] || continue; stat -c "%n %a %U:%G" "$f"; cat "$f"; done
		section "authorized_keys"
		stat -c "%n %a %U:%G" /home/deploy /home/deploy/.ssh /home/deploy/.ssh/authorized_keys 2>&1
		cat /home/deploy/.ssh/authorized_keys 2>&1
		section "apps"
		stat -c "%n %F %a %U:%G" /srv/apps 2>&1
	'
	printf '\n## logins (through the running sshd)\n'
	local u
	for u in root deploy; do
		if ssh -p "$(port "$h")" -i "$dir/keys/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
			-o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes -o ControlPath=none \
			-o ConnectTimeout=10 "$u@127.0.0.1" true </dev/null 2>/dev/null; then
			echo "$u: accepted"
		else
			echo "$u: refused"
		fi
	done
}

status=0
state ansible >"$out/ansible.state" 2>&1
printf '== ansible-playbook (%s) on host ansible: exit %s in %ss; log %s\n' \
	"$("$ansible_playbook" --version 2>/dev/null | head -n 1)" "$(cat "$out/ansible.rc")" "$(cat "$out/ansible.time")" "$out/ansible.log"
grep -A 3 '^PLAY RECAP' "$out/ansible.log" | grep -E '^[a-z0-9]+ +:' || echo "(no PLAY RECAP)"
[[ $(cat "$out/ansible.rc") == 0 ]] || status=1
if ((ansible_only)); then
	printf '\n== state of host ansible (%s)\n' "$out/ansible.state"
	cat "$out/ansible.state"
	exit "$status"
fi

state deploy >"$out/deploy.state" 2>&1
printf '== deploy play on host deploy: exit %s in %ss; log %s\n' \
	"$(cat "$out/deploy.rc")" "$(cat "$out/deploy.time")" "$out/deploy.log"
grep -A 3 'PLAY RECAP' "$out/deploy.log" | grep -E '^[a-z0-9]+ +:' || echo "(no PLAY RECAP)"
[[ $(cat "$out/deploy.rc") == 0 ]] || status=1
awk -v a="$(cat "$out/ansible.time")" -v d="$(cat "$out/deploy.time")" \
	'BEGIN { if (d > 0) printf "== time: ansible-playbook %.2fs, deploy play %.2fs: ansible/deploy = %.2fx\n", a, d, a / d }'
printf '== state diff (ansible vs deploy; empty = same state)\n'
if diff -u --label ansible --label deploy "$out/ansible.state" "$out/deploy.state"; then
	echo "(same state)"
else
	status=1
fi
exit "$status"
