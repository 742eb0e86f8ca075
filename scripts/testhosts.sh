#!/usr/bin/env bash
# testhosts.sh: start and stop N real OpenSSH daemons on 127.0.0.1 for tests.
#
#   scripts/testhosts.sh start [-n N] [-d DIR] [-p BASE_PORT]
#   scripts/testhosts.sh stop [-d DIR]
#   scripts/testhosts.sh status [-d DIR]
#   scripts/testhosts.sh stop-host NAME [-d DIR]
#   scripts/testhosts.sh start-host NAME [-d DIR]
#
# Defaults: N=10, DIR=<repo root>/.testhosts, BASE_PORT=22200. Host i (1-based)
# is named hostNN (2 digits; 3 if N > 99) and listens on 127.0.0.1:BASE_PORT+i.
# A relative -d is taken relative to the current directory.
# Run `scripts/testhosts.sh help` for the layout of DIR.
#
# Environment:
#   TESTHOSTS_RSA_BITS  size of the per-host RSA host keys (default 2048; the
#                       client key keys/id_rsa is always 3072). RSA key
#                       generation dominates a cold start of 50 hosts on 2
#                       cores: ~15 s with 3072 bits, ~6-7 s with 2048, ~2 s
#                       with 1024. Keys are kept in DIR, so later starts reuse
#                       them and take ~1 s.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
readonly SCRIPT_DIR REPO_ROOT
readonly SSHD=/usr/sbin/sshd
readonly TEST_USER=deploytest
readonly TEST_USER_HOME=/home/deploytest
readonly PASSPHRASE='correct horse battery'
readonly RSA_HOST_BITS=${TESTHOSTS_RSA_BITS:-2048}
readonly START_TIMEOUT_S=15
# Command prefix for launching sshd (netns-hosts.sh sets: ip netns exec NS).
LAUNCH_PREFIX=()

log() { printf '%s: %s\n' "${LOG_TAG:-testhosts}" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "${LOG_TAG:-testhosts}" "$*" >&2
	exit 1
}

usage() {
	cat <<'EOF'
Usage:
  scripts/testhosts.sh start [-n N] [-d DIR] [-p BASE_PORT]
  scripts/testhosts.sh stop [-d DIR]
  scripts/testhosts.sh status [-d DIR]
  scripts/testhosts.sh stop-host NAME [-d DIR]     (NAME: host03 or 3)
  scripts/testhosts.sh start-host NAME [-d DIR]

Starts N real sshd daemons on loopback: host i (1-based) is hostNN, listening on
127.0.0.1:BASE_PORT+i. Defaults: N=10, DIR=<repo root>/.testhosts, BASE_PORT=22200.

  start       stops this DIR's daemons if any are running, (re)writes the files
              below, starts every host and waits until each one listens.
  stop        kills exactly the daemons whose pid files are in DIR (plus their
              session processes); idempotent; removes nothing but the pid files.
  status      one line per host; exit status 0 only if every host is running.
  stop-host   stops one host's sshd and its open sessions (host unreachable:
              connection refused).
  start-host  starts it again with the same keys and port.

DIR layout (all paths inside the files are absolute):
  keys/id_ed25519 id_ecdsa id_rsa id_ed25519_enc (+ .pub)   client keys
  keys/passphrase            passphrase of id_ed25519_enc (no trailing newline)
  authorized_keys            every client public key; used for every user
  known_hosts                [127.0.0.1]:PORT lines, every host and key type
  ssh_config                 `ssh -F DIR/ssh_config host01 true`
  inventory.ini inventory.yml  Ansible group `testhosts`
  hosts.env                  TESTHOSTS_DIR, TESTHOSTS_COUNT, TESTHOSTS_BASE_PORT, ...
  hosts/hostNN/              ssh_host_{ed25519,ecdsa,rsa}_key(.pub), sshd_config,
                             sshd.pid, sshd.log
Users: root and deploytest (created if missing, shell /bin/sh).

Environment: TESTHOSTS_RSA_BITS (per-host RSA host key size, default 2048).
EOF
}

# --- prerequisites -----------------------------------------------------------

need_root() {
	[[ $EUID -eq 0 ]] || die "must run as root (it starts sshd daemons and may create user $TEST_USER)"
}

# Install only what is missing: apt-get update once, then one apt-get install.
ensure_packages() {
	local -a missing=()
	[[ -x $SSHD ]] || missing+=(openssh-server)
	{ command -v ssh && command -v ssh-keygen; } >/dev/null || missing+=(openssh-client)
	{ command -v ps && command -v pgrep; } >/dev/null || missing+=(procps)
	command -v ss >/dev/null || missing+=(iproute2)
	command -v flock >/dev/null || missing+=(util-linux)
	((${#missing[@]} == 0)) && return 0
	need_root
	log "installing missing packages: ${missing[*]}"
	# Keep the package's maintainer scripts from starting the system's own sshd
	# (a temporary policy-rc.d, only if the machine has none).
	local policy=/usr/sbin/policy-rc.d added_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		added_policy=1
	fi
	local rc=0
	{
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	} >&2 || rc=$?
	((added_policy)) && rm -f "$policy"
	((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
}

# A non-root login user. With UsePAM no, sshd refuses accounts whose password
# field starts with "!" (locked), which is what useradd leaves: set it to "*"
# (no password can match, but the account is not locked).
ensure_user() {
	if ! getent passwd "$TEST_USER" >/dev/null; then
		log "creating user $TEST_USER"
		useradd --create-home --home-dir "$TEST_USER_HOME" --shell /bin/sh "$TEST_USER"
	fi
	local home
	home=$(getent passwd "$TEST_USER" | cut -d: -f6)
	if [[ -n $home && ! -d $home ]]; then
		mkdir -p "$home"
		chown "$TEST_USER:" "$home"
	fi
	local pw
	pw=$(getent shadow "$TEST_USER" | cut -d: -f2)
	if [[ $pw == '!'* ]]; then
		usermod -p '*' "$TEST_USER"
	fi
}

# --- helpers -----------------------------------------------------------------

# Absolute, symlink-free DIR. $1: the -d value or empty; $2: create it (0/1).
resolve_dir() {
	local d=${1:-$REPO_ROOT/.testhosts} create=$2
	[[ $d == /* ]] || d=$PWD/$d
	if [[ ! -d $d ]]; then
		((create)) || {
			printf '%s\n' "$d"
			return 0
		}
		mkdir -p "$d"
	fi
	d=$(cd "$d" && pwd -P)
	# Paths go unquoted into sshd_config, ssh_config, known_hosts and inventories.
	[[ $d =~ ^[A-Za-z0-9._/+@,=-]+$ ]] ||
		die "DIR must not contain spaces or shell/ssh_config special characters: $d"
	printf '%s\n' "$d"
}

host_width() { # $1: N
	local w=${#1}
	((w < 2)) && w=2
	printf '%s\n' "$w"
}

host_name() { # $1: index, $2: width
	printf 'host%0*d\n' "$2" "$1"
}

# The sshd pid recorded in a host dir, if that process is alive and really is
# the sshd started with this host's config (guards against pid reuse).
host_pid() { # $1: host dir
	local hdir=$1 pid cmd
	[[ -s $hdir/sshd.pid ]] || return 1
	read -r pid <"$hdir/sshd.pid" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmd == *"-f $hdir/sshd_config"* ]] || return 1
	printf '%s\n' "$pid"
}

# Listener sshd processes of this DIR that have no (valid) pid file, e.g. after
# the pid file was deleted by hand. Matched on their exact -f argument.
stray_pids() { # $1: DIR
	ps -e -o pid= -o comm= -o args= | awk -v pat=" -f $1/hosts/" '
		$2 == "sshd" && index($0, pat) && index($0, "/sshd_config") { print $1 }'
}

descendants() { # root pids...; prints every descendant pid (one ps call)
	ps -e -o pid= -o ppid= | awk -v roots="$*" '
		{ kids[$2] = kids[$2] " " $1 }
		END {
			r = split(roots, q, " ")
			n = 0
			for (i = 1; i <= r; i++) {
				m = split(kids[q[i]], c, " ")
				for (j = 1; j <= m; j++) q[r + ++n] = c[j]
			}
			for (i = r + 1; i <= r + n; i++) {
				print q[i]
				m = split(kids[q[i]], c, " ")
				for (j = 1; j <= m; j++) q[r + ++n] = c[j]
			}
		}'
}

# Field 22 of /proc/PID/stat (start time), to tell a process from a later one
# with the same pid; fails for a process that is gone or a zombie.
proc_starttime() { # $1: pid
	local stat
	{ stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
	local -a f
	read -r -a f <<<"${stat##*) }"
	[[ ${f[0]} != Z ]] || return 1
	printf '%s\n' "${f[19]}"
}

# Kill listener pids and every process below them (open sessions and the
# commands they run): SIGTERM, wait up to 3 s, then SIGKILL what is left.
kill_trees() { # pids...
	(($# == 0)) && return 0
	local -a victims=("$@") kids
	local pid
	mapfile -t kids < <(descendants "$@")
	victims+=("${kids[@]}")
	local -A start=()
	for pid in "${victims[@]}"; do
		start[$pid]=$(proc_starttime "$pid") || start[$pid]=gone
	done
	kill -TERM "${victims[@]}" 2>/dev/null || true
	local deadline=$((SECONDS + 3)) alive
	while :; do
		alive=()
		for pid in "${victims[@]}"; do
			[[ ${start[$pid]} != gone ]] || continue
			if [[ $(proc_starttime "$pid" 2>/dev/null) == "${start[$pid]}" ]]; then
				alive+=("$pid")
			fi
		done
		((${#alive[@]} == 0)) && return 0
		((SECONDS >= deadline)) && break
		sleep 0.05
	done
	log "SIGKILL to ${#alive[@]} process(es) that ignored SIGTERM: ${alive[*]}"
	kill -KILL "${alive[@]}" 2>/dev/null || true
}

host_dirs() { # $1: DIR; every dir in DIR/hosts, sorted
	local d
	for d in "$1"/hosts/*/; do
		[[ -d $d ]] && printf '%s\n' "${d%/}"
	done
	return 0
}

# Stop the given host dirs' daemons. Removes only their stale pid files.
stop_hosts() { # host dirs...
	local -a pids=()
	local hdir pid
	for hdir in "$@"; do
		if pid=$(host_pid "$hdir"); then
			pids+=("$pid")
		fi
	done
	kill_trees "${pids[@]}"
	for hdir in "$@"; do
		rm -f "$hdir/sshd.pid"
	done
}

# Ports already listening on 127.0.0.1 or on every address.
busy_ports() {
	ss -Hltn | awk '{ print $4 }' |
		awk -F: '$1 == "127.0.0.1" || $1 == "0.0.0.0" || $1 == "*" || $1 == "[::]" { print $NF }'
}

# First path component (the file itself, then each parent) that would make
# sshd's StrictModes reject AuthorizedKeysFile: not owned by root, or group- or
# world-writable. Prints nothing if the path is fine.
strict_modes_problem() { # $1: file
	local path=$1 owner mode
	while :; do
		read -r owner mode < <(stat -c '%u %a' "$path")
		if [[ $owner != 0 ]] || ((8#$mode & 8#022)); then
			printf '%s (owner uid %s, mode %s)\n' "$path" "$owner" "$mode"
			return 0
		fi
		[[ $path == / ]] && return 0
		path=$(dirname "$path")
	done
}

# Seconds from $1 to $2 (default: now), $EPOCHREALTIME values; two decimals.
elapsed() {
	local end=${2:-$EPOCHREALTIME}
	local now=${end/./} then=${1/./}
	local us=$((10#$now - 10#$then))
	printf '%d.%02d\n' $((us / 1000000)) $((us % 1000000 / 10000))
}

write_file() { # $1: path; content on stdin; atomic replace
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$1"
}

# Generate missing keys in parallel. Each argument: "type:bits:file:comment".
gen_keys() {
	local spec type bits file comment
	local -a jobs=()
	for spec in "$@"; do
		IFS=: read -r type bits file comment <<<"$spec"
		[[ -s $file && -s $file.pub ]] && continue
		rm -f "$file" "$file.pub"
		jobs+=("$type" "$bits" "$file" "$comment")
	done
	((${#jobs[@]} == 0)) && return 0
	local par
	par=$(nproc 2>/dev/null || echo 2)
	# shellcheck disable=SC2016 # the positional parameters are sh -c's
	printf '%s\0' "${jobs[@]}" |
		xargs -0 -n 4 -P "$par" sh -c 'exec ssh-keygen -q -t "$1" -b "$2" -N "" -f "$3" -C "$4" </dev/null' sh
}

ensure_client_keys() { # $1: DIR
	local k=$1/keys
	mkdir -p "$k"
	chmod 700 "$k"
	local enc=$k/id_ed25519_enc
	if [[ ! -s $enc || ! -s $enc.pub || ! -s $k/passphrase ]] ||
		[[ $(<"$k/passphrase") != "$PASSPHRASE" ]]; then
		rm -f "$enc" "$enc.pub"
		printf '%s' "$PASSPHRASE" >"$k/passphrase"
		chmod 600 "$k/passphrase"
		ssh-keygen -q -t ed25519 -N "$PASSPHRASE" -C "testhosts-client-encrypted" -f "$enc" </dev/null &
	fi
	gen_keys "rsa:3072:$k/id_rsa:testhosts-client-rsa" \
		"ed25519:256:$k/id_ed25519:testhosts-client-ed25519" \
		"ecdsa:256:$k/id_ecdsa:testhosts-client-ecdsa"
	wait
}

# DIR/authorized_keys for every user (sshd reads it as the target user).
# Prints the StrictModes value to use: "yes" unless the path would fail it.
write_authorized_keys() { # $1: DIR
	local dir=$1 k problem
	for k in id_ed25519 id_ecdsa id_rsa id_ed25519_enc; do
		cat "$dir/keys/$k.pub"
	done | write_file "$dir/authorized_keys"
	if ! runuser -u "$TEST_USER" -- test -r "$dir/authorized_keys"; then
		log "warning: $TEST_USER cannot read $dir/authorized_keys (a parent directory lacks o+x?); logins as $TEST_USER will fail"
	fi
	problem=$(strict_modes_problem "$dir/authorized_keys")
	if [[ -n $problem ]]; then
		log "warning: $problem would fail sshd's StrictModes check; using 'StrictModes no'"
		echo no
	else
		echo yes
	fi
}

sftp_server() {
	if [[ -x /usr/lib/openssh/sftp-server ]]; then
		printf '%s\n' /usr/lib/openssh/sftp-server
	else
		printf '%s\n' internal-sftp
	fi
}

write_sshd_config() { # $1: DIR, $2: host dir, $3: listen ADDR:PORT, $4: strict modes yes/no
	local dir=$1 hdir=$2 listen=$3 strict=$4
	write_file "$hdir/sshd_config" <<EOF
# Generated by scripts/testhosts.sh start; rewritten at every start.
ListenAddress $listen
HostKey $hdir/ssh_host_ed25519_key
HostKey $hdir/ssh_host_ecdsa_key
HostKey $hdir/ssh_host_rsa_key
PidFile $hdir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes $strict
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxStartups 200
MaxSessions 64
UseDNS no
LogLevel VERBOSE
PrintMotd no
PrintLastLog no
X11Forwarding no
AcceptEnv LANG LC_*
# bash sources ~/.bashrc for an SSH command only when SHLVL < 2 after its own
# increment; SHLVL=1 in the session environment makes that 2, so root's
# ~/.bashrc (pyenv init, ~0.23 s) is not paid per command.
# A host's own PATH, as a Debian host has it: this machine's /usr/local/bin holds a Docker
# client with no engine, which would shadow podman-docker's /usr/bin/docker on the "hosts".
SetEnv SHLVL=1 PATH=/usr/sbin:/usr/bin:/sbin:/bin
Subsystem sftp $(sftp_server)
EOF
}

# sshd's privilege separation directory (normally created by the ssh service).
ensure_privsep_dir() {
	if [[ ! -d /run/sshd ]]; then
		mkdir -p /run/sshd
		chmod 755 /run/sshd
	fi
}

# Start sshd for the given host dirs in parallel; wait until each has written
# its pid file (sshd writes it after binding its listen socket).
launch_hosts() { # host dirs...
	ensure_privsep_dir
	local hdir
	local -A launcher=()
	for hdir in "$@"; do
		# sshd daemonizes: the launcher exits at once, errors go to the log.
		# shellcheck disable=SC2094 # -E only appends to the log, like >>
		"${LAUNCH_PREFIX[@]}" "$SSHD" -f "$hdir/sshd_config" -E "$hdir/sshd.log" </dev/null >>"$hdir/sshd.log" 2>&1 9>&- &
		launcher[$hdir]=$!
	done
	local -a failed=() pending=()
	for hdir in "$@"; do
		wait "${launcher[$hdir]}" || failed+=("$hdir")
	done
	for hdir in "$@"; do
		[[ " ${failed[*]} " == *" $hdir "* ]] || pending+=("$hdir")
	done
	local deadline=$((SECONDS + START_TIMEOUT_S)) still
	while ((${#pending[@]})); do
		still=()
		for hdir in "${pending[@]}"; do
			host_pid "$hdir" >/dev/null || still+=("$hdir")
		done
		pending=("${still[@]}")
		((${#pending[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			failed+=("${pending[@]}")
			break
		fi
		sleep 0.02
	done
	((${#failed[@]} == 0)) && return 0
	for hdir in "${failed[@]}"; do
		log "$(basename "$hdir") did not start; last lines of $hdir/sshd.log:"
		tail -n 5 "$hdir/sshd.log" >&2 || true
	done
	return 1
}

lock_dir() { # $1: DIR
	exec 9>"$1/.lock"
	flock -w 60 9 || die "another testhosts.sh is working on $1 (lock $1/.lock)"
}

load_env() { # $1: DIR; sets COUNT BASE_PORT WIDTH
	[[ -f $1/hosts.env ]] || die "$1/hosts.env not found: run 'scripts/testhosts.sh start' first"
	local line key val
	COUNT='' BASE_PORT=''
	while IFS= read -r line; do
		key=${line%%=*} val=${line#*=}
		case $key in
		TESTHOSTS_COUNT) COUNT=$val ;;
		TESTHOSTS_BASE_PORT) BASE_PORT=$val ;;
		esac
	done <"$1/hosts.env"
	BASE_PORT=${BASE_PORT:-0}
	[[ $COUNT =~ ^[0-9]+$ && $BASE_PORT =~ ^[0-9]+$ ]] || die "malformed $1/hosts.env"
	WIDTH=$(host_width "$COUNT")
}

# NAME as given (host03, 3) -> host dir, checked to exist.
named_host_dir() { # $1: DIR, $2: NAME
	local dir=$1 name=$2
	load_env "$dir"
	if [[ $name =~ ^[0-9]+$ ]]; then
		((10#$name >= 1 && 10#$name <= COUNT)) || die "no host number $name (1..$COUNT)"
		name=$(host_name "$((10#$name))" "$WIDTH")
	fi
	[[ $name =~ ^host[0-9]+$ && -f $dir/hosts/$name/sshd_config ]] ||
		die "no such host: $2 (hosts are $(host_name 1 "$WIDTH")..$(host_name "$COUNT" "$WIDTH"))"
	printf '%s\n' "$dir/hosts/$name"
}

# --- commands ----------------------------------------------------------------

cmd_start() {
	local n=$1 dir=$2 base=$3
	need_root
	ensure_packages
	[[ $n =~ ^[0-9]+$ ]] && n=$((10#$n))
	[[ $base =~ ^[0-9]+$ ]] && base=$((10#$base))
	if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 999)); then
		die "-n must be 1..999, got $n"
	fi
	if ! [[ $base =~ ^[0-9]+$ ]] || ((base < 1 || base + n > 65535)); then
		die "-p BASE_PORT must leave room for $n ports below 65536, got $base"
	fi
	dir=$(resolve_dir "$dir" 1)
	lock_dir "$dir"
	local t0=$EPOCHREALTIME

	# Idempotent: stop whatever this DIR is running, then start afresh.
	local -a old=() strays=()
	mapfile -t old < <(host_dirs "$dir")
	local running
	running=$(count_running "${old[@]}")
	mapfile -t strays < <(stray_pids "$dir")
	if ((running + ${#strays[@]} > 0)); then
		log "stopping the $running daemon(s) already running from $dir"
		stop_hosts "${old[@]}"
		mapfile -t strays < <(stray_pids "$dir")
		kill_trees "${strays[@]}"
	fi

	ensure_user
	chmod 755 "$dir"
	mkdir -p "$dir/hosts"
	chmod 755 "$dir/hosts"

	local width i name
	width=$(host_width "$n")
	local -a names=() hdirs=() ports=()
	for ((i = 1; i <= n; i++)); do
		name=$(host_name "$i" "$width")
		names+=("$name")
		hdirs+=("$dir/hosts/$name")
		ports+=($((base + i)))
	done

	# Host dirs from an earlier, larger (or differently padded) fleet.
	for hdir in "${old[@]}"; do
		[[ " ${hdirs[*]} " == *" $hdir "* ]] || rm -rf "$hdir"
	done

	# Ports must be free.
	local -A busy=()
	local p
	while read -r p; do busy[$p]=1; done < <(busy_ports)
	local -a clash=()
	for ((i = 0; i < n; i++)); do
		[[ -n ${busy[${ports[i]}]:-} ]] && clash+=("${ports[i]}")
	done
	((${#clash[@]} == 0)) ||
		die "port(s) already in use on 127.0.0.1: ${clash[*]} (choose another -p BASE_PORT)"

	# Keys: client keys and every host's own host keys, missing ones only, in parallel.
	local -a specs=()
	for ((i = 0; i < n; i++)); do
		hdir=${hdirs[i]}
		mkdir -p "$hdir"
		chmod 755 "$hdir"
		specs+=("rsa:$RSA_HOST_BITS:$hdir/ssh_host_rsa_key:${names[i]}")
	done
	for ((i = 0; i < n; i++)); do
		hdir=${hdirs[i]}
		specs+=("ed25519:256:$hdir/ssh_host_ed25519_key:${names[i]}"
			"ecdsa:256:$hdir/ssh_host_ecdsa_key:${names[i]}")
	done
	ensure_client_keys "$dir" &
	local client_job=$!
	gen_keys "${specs[@]}"
	wait "$client_job" || die "client key generation failed"
	local t_keys=$EPOCHREALTIME

	local strict k
	strict=$(write_authorized_keys "$dir")

	local typ key rest
	for ((i = 0; i < n; i++)); do
		for k in ed25519 ecdsa rsa; do
			read -r typ key rest <"${hdirs[i]}/ssh_host_${k}_key.pub"
			printf '[127.0.0.1]:%s %s %s\n' "${ports[i]}" "$typ" "$key"
		done
	done | write_file "$dir/known_hosts"

	for ((i = 0; i < n; i++)); do
		printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n  User root\n' "${names[i]}" "${ports[i]}"
		printf '  IdentityFile %s\n  IdentitiesOnly yes\n' "$dir/keys/id_ed25519"
		printf '  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n\n' "$dir/known_hosts"
	done | write_file "$dir/ssh_config"

	{
		printf '[testhosts]\n'
		for ((i = 0; i < n; i++)); do
			printf '%s ansible_host=127.0.0.1 ansible_port=%s\n' "${names[i]}" "${ports[i]}"
		done
		printf '\n[testhosts:vars]\nansible_user=root\nansible_ssh_private_key_file=%s\n' "$dir/keys/id_ed25519"
	} | write_file "$dir/inventory.ini"

	{
		printf 'all:\n  children:\n    testhosts:\n      hosts:\n'
		for ((i = 0; i < n; i++)); do
			printf '        %s:\n          ansible_host: 127.0.0.1\n          ansible_port: %s\n' "${names[i]}" "${ports[i]}"
		done
		printf '      vars:\n        ansible_user: root\n        ansible_ssh_private_key_file: %s\n' "$dir/keys/id_ed25519"
	} | write_file "$dir/inventory.yml"

	write_file "$dir/hosts.env" <<EOF
TESTHOSTS_DIR=$dir
TESTHOSTS_COUNT=$n
TESTHOSTS_BASE_PORT=$base
TESTHOSTS_SSH_CONFIG=$dir/ssh_config
TESTHOSTS_KNOWN_HOSTS=$dir/known_hosts
TESTHOSTS_KEYS_DIR=$dir/keys
TESTHOSTS_USER=$TEST_USER
TESTHOSTS_STRICT_MODES=$strict
EOF

	local -a listen=()
	for ((i = 0; i < n; i++)); do listen+=("${hdirs[i]}" "127.0.0.1:${ports[i]}"); done
	configure_hosts "$dir" "$strict" "${listen[@]}"

	if ! launch_hosts "${hdirs[@]}"; then
		log "start failed; stopping the hosts that did start"
		stop_hosts "${hdirs[@]}"
		exit 1
	fi
	local t1=$EPOCHREALTIME
	log "$n hosts up in $dir (127.0.0.1:$((base + 1))..$((base + n))); keys $(elapsed "$t0" "$t_keys")s, total $(elapsed "$t0" "$t1")s"
	log "try: ssh -F $dir/ssh_config ${names[0]} true"
}

# configure_hosts DIR STRICT HOST_DIR LISTEN [HOST_DIR LISTEN ...]: writes each host's
# sshd_config and an empty log, and checks the config with sshd -t before anything starts.
configure_hosts() {
	local dir=$1 strict=$2
	shift 2
	local first=$1
	while (($#)); do
		write_sshd_config "$dir" "$1" "$2" "$strict"
		: >"$1/sshd.log"
		shift 2
	done
	ensure_privsep_dir
	local out
	out=$("$SSHD" -t -f "$first/sshd_config" 2>&1) || die "sshd rejects the generated config: $out"
}

# count_running HOST_DIR...: how many of these hosts have a live sshd.
count_running() {
	local running=0 hdir
	for hdir in "$@"; do
		if host_pid "$hdir" >/dev/null; then running=$((running + 1)); fi
	done
	echo "$running"
}

cmd_stop() {
	local dir
	dir=$(resolve_dir "$1" 0)
	if [[ ! -d $dir ]]; then
		log "nothing to stop: $dir does not exist"
		return 0
	fi
	lock_dir "$dir"
	local -a hdirs=() strays=()
	mapfile -t hdirs < <(host_dirs "$dir")
	local running
	running=$(count_running "${hdirs[@]}")
	stop_hosts "${hdirs[@]}"
	mapfile -t strays < <(stray_pids "$dir")
	if ((${#strays[@]})); then
		log "also stopping ${#strays[@]} sshd(s) of $dir without a valid pid file: ${strays[*]}"
		kill_trees "${strays[@]}"
	fi
	log "stopped $running daemon(s) of $dir"
}

cmd_status() {
	local dir
	dir=$(resolve_dir "$1" 0)
	if [[ ! -f $dir/hosts.env ]]; then
		printf 'not started: %s\n' "$dir"
		return 1
	fi
	load_env "$dir"
	local i name hdir pid up=0
	for ((i = 1; i <= COUNT; i++)); do
		name=$(host_name "$i" "$WIDTH")
		hdir=$dir/hosts/$name
		if pid=$(host_pid "$hdir"); then
			printf '%s 127.0.0.1:%s running pid %s\n' "$name" "$((BASE_PORT + i))" "$pid"
			up=$((up + 1))
		else
			printf '%s 127.0.0.1:%s stopped\n' "$name" "$((BASE_PORT + i))"
		fi
	done
	printf '%s/%s running in %s\n' "$up" "$COUNT" "$dir"
	((up == COUNT))
}

cmd_stop_host() {
	local name=$1 dir hdir
	[[ -n $name ]] || die "stop-host needs a host NAME"
	dir=$(resolve_dir "$2" 0)
	hdir=$(named_host_dir "$dir" "$name")
	lock_dir "$dir"
	stop_hosts "$hdir"
	log "stopped $(basename "$hdir")"
}

cmd_start_host() {
	local name=$1 dir hdir pid
	[[ -n $name ]] || die "start-host needs a host NAME"
	need_root
	dir=$(resolve_dir "$2" 0)
	hdir=$(named_host_dir "$dir" "$name")
	lock_dir "$dir"
	if pid=$(host_pid "$hdir"); then
		log "$(basename "$hdir") is already running (pid $pid)"
		return 0
	fi
	launch_hosts "$hdir" || exit 1
	log "started $(basename "$hdir")"
}

main() {
	(($#)) || {
		usage >&2
		exit 2
	}
	local cmd=$1
	shift
	local n=10 dir='' base=22200 name=''
	while (($#)); do
		case $1 in
		-n | -d | -p)
			(($# >= 2)) || die "$1 needs a value"
			case $1 in
			-n) n=$2 ;;
			-d) dir=$2 ;;
			-p) base=$2 ;;
			esac
			shift 2
			;;
		-h | --help)
			usage
			exit 0
			;;
		-*) die "unknown option: $1" ;;
		*)
			[[ -z $name ]] || die "unexpected argument: $1"
			name=$1
			shift
			;;
		esac
	done
	case $cmd in
	start | stop | status) [[ -z $name ]] || die "unexpected argument: $name" ;;
	esac
	case $cmd in
	start) cmd_start "$n" "$dir" "$base" ;;
	stop) cmd_stop "$dir" ;;
	status) cmd_status "$dir" ;;
	stop-host) cmd_stop_host "$name" "$dir" ;;
	start-host) cmd_start_host "$name" "$dir" ;;
	help | -h | --help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

# scripts/netns-hosts.sh sources this file for its functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
