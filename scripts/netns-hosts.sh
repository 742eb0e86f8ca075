#!/usr/bin/env bash
# netns-hosts.sh: N real sshd daemons, each on port 22 of its own address,
# inside the network namespace deploytest-ns, with host names that resolve only
# there (node1.test -> 127.0.1.1, ...). The controller runs inside it:
#
#   ip netns exec deploytest-ns ssh -F DIR/ssh_config node1.test true
#   scripts/netns-hosts.sh exec ssh root@node1.test true      (the same)
#
# Run `scripts/netns-hosts.sh help` for every command.
set -euo pipefail

# Reuse testhosts.sh's functions (keys, users, sshd_config, pid handling).
# shellcheck source=scripts/testhosts.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testhosts.sh"

LOG_TAG=netns-hosts
readonly NS=deploytest-ns
readonly NS_ETC=/etc/netns/$NS
readonly ADDR_PREFIX=127.0.1.
readonly DOMAIN=test
LAUNCH_PREFIX=(ip netns exec "$NS")

netns_usage() {
	cat <<EOF
Usage:
  scripts/netns-hosts.sh start [-n N] [-d DIR]   N <= 254, DIR default <repo root>/.testhosts-netns
  scripts/netns-hosts.sh stop [-d DIR]           kill the daemons, delete the namespace and $NS_ETC
  scripts/netns-hosts.sh status [-d DIR]
  scripts/netns-hosts.sh vanish NAME [-d DIR]    delete the host's address: connecting fails at
                                                 once with "Network is unreachable"
  scripts/netns-hosts.sh appear NAME [-d DIR]    add it back (the sshd is still listening)
  scripts/netns-hosts.sh drop NAME [-d DIR]      silently drop every packet to the host (nft):
                                                 connects and open sessions hang until timeouts
  scripts/netns-hosts.sh undrop NAME [-d DIR]
  scripts/netns-hosts.sh stop-host NAME [-d DIR] stop its sshd: "Connection refused"
  scripts/netns-hosts.sh start-host NAME [-d DIR]
  scripts/netns-hosts.sh exec CMD [ARG...]       = ip netns exec $NS CMD [ARG...]

Host i (1..N) is nodeI.$DOMAIN (alias nodeI) at $ADDR_PREFIX<i>, sshd on port 22, inside the
network namespace $NS; the names resolve only inside it ($NS_ETC/hosts is bind-mounted
over /etc/hosts by 'ip netns exec'). Run the controller with 'ip netns exec $NS ...'.
NAME: node3, node3.$DOMAIN or 3.

DIR has the layout of scripts/testhosts.sh: keys/, authorized_keys, known_hosts (names and
addresses), ssh_config, inventory.ini, inventory.yml (group testhosts, host names
nodeI.$DOMAIN, no ansible_host: they resolve inside the namespace), hosts.env,
hosts/nodeI/{ssh_host_*_key,sshd_config,sshd.pid,sshd.log}. Only one fleet per machine
(one namespace).
EOF
}

ns_exists() { ip netns list | awk '{ print $1 }' | grep -qx "$NS"; }

# Host index from NAME (node3, node3.test, 3) checked against the fleet.
host_index() { # $1: DIR, $2: NAME
	local dir=$1 name=$2 i
	load_env "$dir"
	case $name in
	node*.$DOMAIN) i=${name#node} i=${i%."$DOMAIN"} ;;
	node*) i=${name#node} ;;
	*) i=$name ;;
	esac
	if ! [[ $i =~ ^[0-9]+$ ]] || ((10#$i < 1 || 10#$i > COUNT)); then
		die "no such host: $name (node1..node$COUNT)"
	fi
	printf '%s\n' "$((10#$i))"
}

# Stop every daemon of DIR, delete the namespace and its /etc/netns entry.
netns_teardown() { # $1: DIR
	local dir=$1
	local -a hdirs=() strays=()
	if [[ -d $dir ]]; then
		mapfile -t hdirs < <(host_dirs "$dir")
		stop_hosts "${hdirs[@]}"
		mapfile -t strays < <(stray_pids "$dir")
		kill_trees "${strays[@]}"
	fi
	if ns_exists; then
		local -a left=()
		mapfile -t left < <(ip netns pids "$NS" 2>/dev/null)
		if ((${#left[@]})); then
			log "warning: processes still inside $NS (not started by this script, left alone): ${left[*]}"
		fi
		ip netns del "$NS"
	fi
	rm -rf "$NS_ETC"
	rmdir /etc/netns 2>/dev/null || true
}

netns_start() { # $1: N, $2: DIR
	local n=$1 dir=$2
	need_root
	ensure_packages
	[[ $n =~ ^[0-9]+$ ]] && n=$((10#$n))
	if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 254)); then
		die "-n must be 1..254, got $n"
	fi
	dir=$(resolve_dir "${dir:-$REPO_ROOT/.testhosts-netns}" 1)
	lock_dir "$dir"
	local t0=$EPOCHREALTIME

	# Idempotent: tear down what is there (ours), then build afresh.
	netns_teardown "$dir"
	ensure_user
	chmod 755 "$dir"
	mkdir -p "$dir/hosts"
	chmod 755 "$dir/hosts"

	local i
	local -a names=() hdirs=() addrs=() old=()
	for ((i = 1; i <= n; i++)); do
		names+=("node$i")
		hdirs+=("$dir/hosts/node$i")
		addrs+=("$ADDR_PREFIX$i")
	done
	mapfile -t old < <(host_dirs "$dir")
	local hdir
	for hdir in "${old[@]}"; do
		[[ " ${hdirs[*]} " == *" $hdir "* ]] || rm -rf "$hdir"
	done

	# The namespace: lo up with 127.0.0.1/32 instead of 127.0.0.1/8, so that
	# only the addresses added here are local and deleting one makes it
	# unreachable.
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" addr del 127.0.0.1/8 dev lo
	ip -n "$NS" addr add 127.0.0.1/32 dev lo
	for ((i = 0; i < n; i++)); do
		ip -n "$NS" addr add "${addrs[i]}/32" dev lo
	done
	mkdir -p "$NS_ETC"
	{
		printf '127.0.0.1\tlocalhost %s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)"
		for ((i = 0; i < n; i++)); do
			printf '%s\t%s.%s %s\n' "${addrs[i]}" "${names[i]}" "$DOMAIN" "${names[i]}"
		done
	} | write_file "$NS_ETC/hosts"

	# Keys, as testhosts.sh does.
	local -a specs=()
	for ((i = 0; i < n; i++)); do
		mkdir -p "${hdirs[i]}"
		chmod 755 "${hdirs[i]}"
		specs+=("rsa:$RSA_HOST_BITS:${hdirs[i]}/ssh_host_rsa_key:${names[i]}.$DOMAIN")
	done
	for ((i = 0; i < n; i++)); do
		specs+=("ed25519:256:${hdirs[i]}/ssh_host_ed25519_key:${names[i]}.$DOMAIN"
			"ecdsa:256:${hdirs[i]}/ssh_host_ecdsa_key:${names[i]}.$DOMAIN")
	done
	ensure_client_keys "$dir" &
	local client_job=$!
	gen_keys "${specs[@]}"
	wait "$client_job" || die "client key generation failed"

	local strict k typ key rest
	strict=$(write_authorized_keys "$dir")

	for ((i = 0; i < n; i++)); do
		for k in ed25519 ecdsa rsa; do
			read -r typ key rest <"${hdirs[i]}/ssh_host_${k}_key.pub"
			printf '%s.%s,%s,%s %s %s\n' "${names[i]}" "$DOMAIN" "${names[i]}" "${addrs[i]}" "$typ" "$key"
		done
	done | write_file "$dir/known_hosts"

	for ((i = 0; i < n; i++)); do
		printf 'Host %s.%s %s\n  HostName %s.%s\n  Port 22\n  User root\n' \
			"${names[i]}" "$DOMAIN" "${names[i]}" "${names[i]}" "$DOMAIN"
		printf '  IdentityFile %s\n  IdentitiesOnly yes\n' "$dir/keys/id_ed25519"
		printf '  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n\n' "$dir/known_hosts"
	done | write_file "$dir/ssh_config"

	{
		printf '[testhosts]\n'
		for ((i = 0; i < n; i++)); do
			printf '%s.%s\n' "${names[i]}" "$DOMAIN"
		done
		printf '\n[testhosts:vars]\nansible_user=root\nansible_ssh_private_key_file=%s\n' "$dir/keys/id_ed25519"
	} | write_file "$dir/inventory.ini"

	{
		printf 'all:\n  children:\n    testhosts:\n      hosts:\n'
		for ((i = 0; i < n; i++)); do
			printf '        %s.%s:\n' "${names[i]}" "$DOMAIN"
		done
		printf '      vars:\n        ansible_user: root\n        ansible_ssh_private_key_file: %s\n' "$dir/keys/id_ed25519"
	} | write_file "$dir/inventory.yml"

	write_file "$dir/hosts.env" <<EOF
TESTHOSTS_DIR=$dir
TESTHOSTS_COUNT=$n
TESTHOSTS_NETNS=$NS
TESTHOSTS_ADDR_PREFIX=$ADDR_PREFIX
TESTHOSTS_DOMAIN=$DOMAIN
TESTHOSTS_PORT=22
TESTHOSTS_SSH_CONFIG=$dir/ssh_config
TESTHOSTS_KNOWN_HOSTS=$dir/known_hosts
TESTHOSTS_KEYS_DIR=$dir/keys
TESTHOSTS_USER=$TEST_USER
TESTHOSTS_STRICT_MODES=$strict
EOF

	local -a listen=()
	for ((i = 0; i < n; i++)); do listen+=("${hdirs[i]}" "${addrs[i]}:22"); done
	configure_hosts "$dir" "$strict" "${listen[@]}"
	if ! launch_hosts "${hdirs[@]}"; then
		log "start failed; tearing down"
		netns_teardown "$dir"
		exit 1
	fi
	log "$n hosts up in namespace $NS (node1.$DOMAIN=${ADDR_PREFIX}1 .. node$n.$DOMAIN=$ADDR_PREFIX$n, port 22) in $(elapsed "$t0")s; DIR $dir"
	log "try: ip netns exec $NS ssh -F $dir/ssh_config node1.$DOMAIN true"
}

netns_stop() { # $1: DIR
	local dir
	dir=$(resolve_dir "${1:-$REPO_ROOT/.testhosts-netns}" 0)
	need_root
	[[ -d $dir ]] && lock_dir "$dir"
	netns_teardown "$dir"
	log "stopped; namespace $NS and $NS_ETC removed"
}

netns_status() { # $1: DIR
	local dir
	dir=$(resolve_dir "${1:-$REPO_ROOT/.testhosts-netns}" 0)
	if [[ ! -f $dir/hosts.env ]] || ! ns_exists; then
		printf 'not started: %s\n' "$dir"
		return 1
	fi
	load_env "$dir"
	local -A present=()
	local a i up=0 state pid
	while read -r a; do present[$a]=1; done < <(ip -n "$NS" -4 -o addr show dev lo | awk '{ split($4, p, "/"); print p[1] }')
	for ((i = 1; i <= COUNT; i++)); do
		state=
		if pid=$(host_pid "$dir/hosts/node$i"); then
			state="running pid $pid"
		else
			state=stopped
		fi
		[[ -n ${present[$ADDR_PREFIX$i]:-} ]] || state+=", address deleted"
		if is_dropping "$i"; then state+=", dropping packets"; fi
		[[ $state == running* && $state != *,* ]] && up=$((up + 1))
		printf 'node%s.%s %s%s:22 %s\n' "$i" "$DOMAIN" "$ADDR_PREFIX" "$i" "$state"
	done
	printf '%s/%s reachable in namespace %s, DIR %s\n' "$up" "$COUNT" "$NS" "$dir"
	((up == COUNT))
}

# Packet dropping per host: an nftables set of addresses inside the namespace
# whose packets the input hook drops (silently: SYNs and data are lost, so
# clients wait for their timeouts). Needs nft (package nftables) and a kernel
# with nf_tables; installed on first use.
ensure_drop_table() {
	if ! command -v nft >/dev/null; then
		log "installing nftables (for drop/undrop)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables >&2 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables >&2; } ||
			die "could not install nftables"
	fi
	if ! ip netns exec "$NS" nft list table inet deploytest >/dev/null 2>&1; then
		ip netns exec "$NS" nft -f - <<'EOF'
table inet deploytest {
	set dropped { type ipv4_addr; }
	chain input {
		type filter hook input priority 0; policy accept;
		ip daddr @dropped drop
	}
}
EOF
	fi
}

is_dropping() { # $1: host index
	command -v nft >/dev/null &&
		ip netns exec "$NS" nft get element inet deploytest dropped "{ $ADDR_PREFIX$1 }" >/dev/null 2>&1
}

netns_host_cmd() { # $1: command, $2: NAME, $3: DIR
	local cmd=$1 name=$2 dir i hdir
	[[ -n $name ]] || die "$cmd needs a host NAME"
	need_root
	dir=$(resolve_dir "${3:-$REPO_ROOT/.testhosts-netns}" 0)
	ns_exists || die "namespace $NS does not exist: run 'scripts/netns-hosts.sh start' first"
	i=$(host_index "$dir" "$name")
	hdir=$dir/hosts/node$i
	lock_dir "$dir"
	case $cmd in
	vanish)
		if ip -n "$NS" -4 -o addr show dev lo | grep -q " $ADDR_PREFIX$i/32 "; then
			ip -n "$NS" addr del "$ADDR_PREFIX$i/32" dev lo
		fi
		log "node$i.$DOMAIN: address $ADDR_PREFIX$i deleted"
		;;
	appear)
		if ! ip -n "$NS" -4 -o addr show dev lo | grep -q " $ADDR_PREFIX$i/32 "; then
			ip -n "$NS" addr add "$ADDR_PREFIX$i/32" dev lo
		fi
		log "node$i.$DOMAIN: address $ADDR_PREFIX$i back"
		;;
	drop)
		ensure_drop_table
		if ! is_dropping "$i"; then
			ip netns exec "$NS" nft add element inet deploytest dropped "{ $ADDR_PREFIX$i }"
		fi
		log "node$i.$DOMAIN: packets to $ADDR_PREFIX$i are dropped"
		;;
	undrop)
		if is_dropping "$i"; then
			ip netns exec "$NS" nft delete element inet deploytest dropped "{ $ADDR_PREFIX$i }"
		fi
		log "node$i.$DOMAIN: packets to $ADDR_PREFIX$i flow again"
		;;
	stop-host)
		stop_hosts "$hdir"
		log "node$i.$DOMAIN: sshd stopped"
		;;
	start-host)
		if host_pid "$hdir" >/dev/null; then
			log "node$i.$DOMAIN: already running"
		else
			launch_hosts "$hdir" || exit 1
			log "node$i.$DOMAIN: sshd started"
		fi
		;;
	esac
}

netns_main() {
	(($#)) || {
		netns_usage >&2
		exit 2
	}
	local cmd=$1
	shift
	if [[ $cmd == exec ]]; then
		(($#)) || die "exec needs a command"
		exec ip netns exec "$NS" "$@"
	fi
	local n=10 dir='' name=''
	while (($#)); do
		case $1 in
		-n | -d)
			(($# >= 2)) || die "$1 needs a value"
			if [[ $1 == -n ]]; then n=$2; else dir=$2; fi
			shift 2
			;;
		-h | --help)
			netns_usage
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
	start) netns_start "$n" "$dir" ;;
	stop) netns_stop "$dir" ;;
	status) netns_status "$dir" ;;
	vanish | appear | drop | undrop | stop-host | start-host) netns_host_cmd "$cmd" "$name" "$dir" ;;
	help) netns_usage ;;
	*)
		netns_usage >&2
		exit 2
		;;
	esac
}

netns_main "$@"
