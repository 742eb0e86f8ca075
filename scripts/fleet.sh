#!/usr/bin/env bash
# fleet.sh: a fleet of real Debian 12 hosts on this machine, each with its own root
# filesystem and dpkg/apt state (an overlay on one cached debootstrap base), its own
# host keys and its own sshd, reachable from the root namespace on 127.0.0.1:PORT.
# Optionally an apt repository of small test packages (--packages) and real host
# names on distinct addresses inside a network namespace (--netns).
#
#   scripts/fleet.sh start -n 4 --packages
#   ssh -F .fleet/ssh_config test1 dpkg-query -W ooni-api
#   scripts/fleet.sh exec test1 -- apt-cache madison ooni-api
#   scripts/fleet.sh stop
#
# Run `scripts/fleet.sh help` for every command and the layout of DIR.
set -euo pipefail

# Reuse testhosts.sh's functions (logging, keys, pid and process-tree handling).
# shellcheck source=scripts/testhosts.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testhosts.sh"

LOG_TAG=fleet
readonly SUITE=bookworm
readonly VARIANT=minbase
# What every host has besides minbase (apt, dpkg, coreutils are in minbase).
readonly INCLUDE=openssh-server,sudo,python3,procps
# Bump when the way the base is prepared changes: a new cache file is built.
readonly BASE_FORMAT=1
readonly CACHE_DIR=${FLEET_CACHE_DIR:-/var/cache/deploy-fleet}
readonly NS=deploy-fleet
readonly NS_ETC=/etc/netns/$NS
readonly ADDR_PREFIX=127.0.2.
readonly DOMAIN=fleet.test
readonly DEFAULT_BASE_PORT=25400
readonly CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The test packages of --packages (the OONI layout).
readonly PKG_NAMES=(ooni-api fastpath analysis)
readonly PKG_VERSIONS=(1.0.79~pr751-14 1.0.80~pr760-20 1.0.80 1.0.81~pr770-3)
readonly PKG_BROKEN=ooni-api=1.0.80+broken1
# What --provision-packages adds to the repository (with every dependency and recommendation
# missing from the base): what playbooks/provision.yml installs, python3-apt for Ansible's apt
# module, acl for Ansible's become to an unprivileged user. Changing the list downloads a new set.
readonly PROVISION_PACKAGES=(git tmux curl ca-certificates rsync python3-apt acl unzip less)

fleet_usage() {
	cat <<EOF
Usage:
  scripts/fleet.sh start [-n N] [-d DIR] [-p BASE_PORT] [--names a,b,..] [--packages]
                        [--provision-packages] [--netns]
  scripts/fleet.sh stop [-d DIR]          kill every process of the hosts, unmount, remove them
  scripts/fleet.sh status [-d DIR]        one line per host; exit 0 only if all are up
  scripts/fleet.sh exec HOST [-d DIR] -- CMD [ARG...]
                                          run CMD as root inside HOST's root (chroot, no ssh)
  scripts/fleet.sh stop-host HOST [-d DIR]  stop its sshd (connection refused)
  scripts/fleet.sh start-host HOST [-d DIR]
  scripts/fleet.sh base                   build the cached base tarball if missing
  scripts/fleet.sh repo [-d DIR] [--provision-packages]
                                          (re)build DIR/repo (what --packages uses)
  scripts/fleet.sh provision-debs         download the --provision-packages .debs if missing

Defaults: N=4, DIR=<repo root>/.fleet, BASE_PORT: the first free range from $DEFAULT_BASE_PORT
(in steps of 1000). Host names: testK for the first ceil(N/2) hosts, prodK for the rest
(test1 test2 prod1 prod2), or --names; a name is [a-z][a-z0-9]*. Host i listens on
127.0.0.1:BASE_PORT+i in the machine's own network namespace:
  ssh -F DIR/ssh_config test1 true
  ssh -p PORT -i DIR/keys/id_ed25519 -o UserKnownHostsFile=DIR/known_hosts root@127.0.0.1

The base: debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE, from the machine's own
Debian mirror (its apt sources; FLEET_MIRROR overrides), built once and kept as
$CACHE_DIR/$SUITE-$VARIANT-<key>.tar (FLEET_CACHE_DIR overrides the directory) plus its
extracted copy, the read-only lower layer of every host. Each host is an overlay with its
own upper directory, /proc, /dev and /dev/pts mounted, own host keys, root's authorized_keys =
DIR/keys/*.pub, and its own sshd (the host's Debian sshd, chrooted). Nothing is installed
into the machine's own dpkg database.

A host's sshd reads /etc/ssh/sshd_config (written by fleet.sh; it includes
/etc/ssh/sshd_config.d/*.conf first, as Debian's does) and writes /run/sshd.pid, so inside a host
'service ssh reload' and 'service ssh restart' (Debian's init script: there is no systemd) work
as on a real host: reload (SIGHUP) re-executes the same sshd, same pid, same port, new settings;
restart starts a new one (with SSHD_OPTS from /etc/default/ssh: the same log file). With
--netns the second sshd (/run/sshd-netns.pid) is not reloaded by them.

--packages  build DIR/repo: .debs of ${PKG_NAMES[*]} at ${PKG_VERSIONS[*]}
            (each installs /usr/share/<pkg>/VERSION) plus $PKG_BROKEN whose postinst
            exits 1, indexed with dpkg-scanpackages --multiversion. It is bind-mounted
            read-only at /srv/repo in every host, whose only apt source is then
            'deb [trusted=yes] file:/srv/repo ./' (apt-get update already run).
--provision-packages  implies --packages; the repository also has Debian's .debs of
            ${PROVISION_PACKAGES[*]}
            with every dependency (and recommendation) the base lacks, so that inside a host
            'apt-get update && apt-get install -y git tmux curl' works with no network. They
            are downloaded once per machine (apt-get install --download-only in a throwaway
            overlay of the base, against the base's mirror) into
            $CACHE_DIR/provision-<key>/ and hard-linked (else copied) into DIR/repo.
--netns     also: network namespace $NS with host i at $ADDR_PREFIX<i>, a second sshd per
            host on port 22 there, and NAME.$DOMAIN resolving inside it only
            ($NS_ETC/hosts): ip netns exec $NS ssh -F DIR/ssh_config test1.$DOMAIN true

DIR layout (paths inside the files are absolute):
  keys/id_ed25519 id_ecdsa id_rsa id_ed25519_enc (+ .pub), keys/passphrase   client keys
  known_hosts         [127.0.0.1]:PORT lines (and NAME.$DOMAIN,NAME,ADDR lines with --netns)
  ssh_config          Host NAME (and NAME.$DOMAIN with --netns)
  inventory.ini       groups test, prod (by name prefix) and fleet; ansible_host=127.0.0.1
                      ansible_port=PORT ansible_user=root ansible_ssh_private_key_file=...
  fleet.env           FLEET_DIR FLEET_HOSTS FLEET_PORT_<name> ... (read by the Swift tests)
  hostkeys/NAME/      the host's ssh host keys, kept across starts
  hosts/NAME/         upper/ work/ root/ (the mounted overlay), sshd.log
  repo/               the apt repository (--packages)
EOF
}

# --- the cached base -----------------------------------------------------------

# The machine's Debian mirror: the first http(s) URI of its apt sources that serves
# $SUITE (deb822 .sources files or one-line sources.list entries), else deb.debian.org.
debian_mirror() {
	if [[ -n ${FLEET_MIRROR:-} ]]; then
		printf '%s\n' "$FLEET_MIRROR"
		return 0
	fi
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		uri=$(awk -v suite="$SUITE" '
			function flush() {
				if (uris != "" && (" " suites " ") ~ (" " suite " ") && (" " types " ") ~ / deb /) {
					split(uris, u, " "); print u[1]; found = 1; exit
				}
				uris = suites = types = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "uris:" { $1 = ""; uris = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			END { if (!found) flush() }' "$f")
		if [[ $uri == http*://* && $uri != *security* ]]; then
			printf '%s\n' "$uri"
			return 0
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		uri=$(awk -v suite="$SUITE" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite && $i ~ /^https?:\/\//) { print $i; exit }
			}' "$f")
		if [[ -n $uri ]]; then
			printf '%s\n' "$uri"
			return 0
		fi
	done
	printf '%s\n' http://deb.debian.org/debian
}

base_key() {
	printf '%s %s %s %s\n' "$SUITE" "$VARIANT" "$INCLUDE" "$BASE_FORMAT" | sha256sum | cut -c1-8
}

# Prints the extracted base directory; builds the tarball (debootstrap, ~40 s) and
# extracts it (a few s) when missing. Serialised by a lock in CACHE_DIR.
ensure_base() {
	local key tar base
	key=$(base_key)
	tar=$CACHE_DIR/$SUITE-$VARIANT-$key.tar
	base=$CACHE_DIR/$SUITE-$VARIANT-$key
	if [[ -f $base/.complete ]]; then
		printf '%s\n' "$base"
		return 0
	fi
	mkdir -p "$CACHE_DIR"
	exec 8>"$CACHE_DIR/.lock"
	flock -w 600 8 || die "another fleet.sh is building the base in $CACHE_DIR"
	if [[ ! -f $tar ]]; then
		command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/install-deps.sh installs it)"
		local mirror build t0=$EPOCHREALTIME
		mirror=$(debian_mirror)
		build=$CACHE_DIR/build-$key
		umount_under "$build"
		rm -rf "$build"
		log "building the base (debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE $mirror); once per machine"
		if ! debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$build" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
			tail -n 20 "$CACHE_DIR/debootstrap.log" >&2
			umount_under "$build"
			rm -rf "$build"
			die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"
		fi
		umount_under "$build"
		prepare_base "$build"
		tar --numeric-owner -C "$build" -cf "$tar.tmp" .
		mv -f "$tar.tmp" "$tar"
		rm -rf "$build"
		log "base built in $(elapsed "$t0")s: $tar ($(du -h "$tar" | cut -f1))"
	fi
	if [[ ! -f $base/.complete ]]; then
		local t0=$EPOCHREALTIME
		rm -rf "$base"
		mkdir -p "$base"
		tar --numeric-owner -C "$base" -xf "$tar"
		: >"$base/.complete"
		log "base extracted in $(elapsed "$t0")s: $base"
	fi
	flock -u 8
	exec 8>&-
	printf '%s\n' "$base"
}

# What every host shares, done once in the base: no host keys (each host gets its own),
# no services started by package scripts, the sshd privilege separation directory, no
# apt caches.
prepare_base() { # $1: root
	local r=$1
	rm -f "$r"/etc/ssh/ssh_host_*
	printf '#!/bin/sh\n# fleet.sh: no services are started by package scripts in a fleet host.\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	mkdir -p "$r/run/sshd" "$r/root/.ssh" "$r/srv/repo"
	chmod 755 "$r/run/sshd"
	chmod 700 "$r/root/.ssh"
	rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
	mkdir -p "$r/var/lib/apt/lists/partial"
}

# Unmount every mount point at or below $1, deepest first.
umount_under() { # $1: path
	local p=$1 m
	local -a mounts=()
	mapfile -t mounts < <(awk -v p="$p" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null || {
			log "warning: $m is busy; detaching it lazily"
			umount -l "$m"
		}
	done
}

# --- the package repository ------------------------------------------------------

# DIR/repo: one .deb per package and version, Packages(.gz) from dpkg-scanpackages.
build_repo() { # $1: DIR
	local dir=$1 repo=$1/repo tmp build pkg ver broken spec
	{ command -v dpkg-deb && command -v dpkg-scanpackages; } >/dev/null ||
		die "dpkg-deb/dpkg-scanpackages missing (package dpkg-dev; scripts/install-deps.sh installs it)"
	tmp=$(mktemp -d "$dir/.repo.XXXXXX")
	build=$(mktemp -d "$dir/.debs.XXXXXX")
	local -a specs=() jobs=()
	for pkg in "${PKG_NAMES[@]}"; do
		for ver in "${PKG_VERSIONS[@]}"; do specs+=("$pkg=$ver=0"); done
	done
	specs+=("$PKG_BROKEN=1")
	for spec in "${specs[@]}"; do
		IFS="=" read -r pkg ver broken <<<"$spec"
		make_deb "$tmp" "$build" "$pkg" "$ver" "$broken" &
		jobs+=("$!")
	done
	local j bad=0
	for j in "${jobs[@]}"; do wait "$j" || bad=1; done
	rm -rf "$build"
	((!bad)) || die "dpkg-deb --build failed"
	if ((PROVISION)); then
		local debs
		debs=$(ensure_provision_debs)
		cp -l "$debs"/*.deb "$tmp"/ 2>/dev/null || cp "$debs"/*.deb "$tmp"/
	fi
	(cd "$tmp" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages && gzip -9nk Packages)
	[[ -s $tmp/Packages ]] || die "dpkg-scanpackages produced nothing"
	# A Release file with the indexes' hashes: apt then reads the repository quietly
	# ([trusted=yes] skips the signature, not the hashes).
	local f
	{
		printf 'Origin: deploy-fleet\nLabel: deploy-fleet\nSuite: fleet\nCodename: fleet\n'
		printf 'Date: %s\nArchitectures: all %s\nDescription: deploy test packages (scripts/fleet.sh)\nSHA256:\n' \
			"$(LC_ALL=C date -Ru)" "$(dpkg --print-architecture)"
		for f in Packages Packages.gz; do
			printf ' %s %s %s\n' "$(sha256sum "$tmp/$f" | cut -d' ' -f1)" "$(stat -c %s "$tmp/$f")" "$f"
		done
	} >"$tmp/Release"
	chmod -R a+rX "$tmp"
	# In place: running hosts may have it bind-mounted.
	mkdir -p "$repo"
	chmod 755 "$repo"
	rm -f "$repo"/*.deb "$repo"/Packages* "$repo"/Release
	mv "$tmp"/* "$repo"/
	rmdir "$tmp"
	log "repository $repo: $(find "$repo" -name '*.deb' | wc -l) packages"
}

make_deb() { # $1: output dir, $2: build dir, $3: package, $4: version, $5: 1 = broken postinst
	local out=$1 pkg=$3 ver=$4 broken=$5 b
	b=$2/$pkg-$ver
	mkdir -p "$b/DEBIAN" "$b/usr/share/$pkg"
	printf '%s\n' "$ver" >"$b/usr/share/$pkg/VERSION"
	cat >"$b/DEBIAN/control" <<EOF
Package: $pkg
Version: $ver
Architecture: all
Maintainer: deploy tests <deploy-tests@fleet.test>
Section: misc
Priority: optional
Description: $pkg test package $ver (scripts/fleet.sh)
 Installs /usr/share/$pkg/VERSION; built by deploy's test fleet.
EOF
	if ((broken)); then
		printf '#!/bin/sh\necho "%s %s: postinst fails on purpose" >&2\nexit 1\n' "$pkg" "$ver" >"$b/DEBIAN/postinst"
	else
		# shellcheck disable=SC2016 # $1 is the postinst's
		printf '#!/bin/sh\nset -e\nmkdir -p /var/lib/%s\necho "%s configured ($1)" >/var/lib/%s/postinst.log\n' \
			"$pkg" "$ver" "$pkg" >"$b/DEBIAN/postinst"
	fi
	chmod 755 "$b/DEBIAN/postinst"
	dpkg-deb -Zgzip --root-owner-group --build "$b" "$out/${pkg}_${ver}_all.deb" >/dev/null
}

provision_key() { # $1: base dir
	printf '%s %s\n' "$(basename "$1")" "${PROVISION_PACKAGES[*]}" | sha256sum | cut -c1-8
}

# Prints the directory of the cached provisioning .debs: Debian's .debs of
# PROVISION_PACKAGES and of everything they pull in that the base lacks, as apt-get would
# install them on a host (recommendations included). Downloads them when missing, once per
# machine: apt-get install --download-only in a throwaway overlay of the base whose only
# source is the base's mirror. Serialised by the lock of ensure_base.
ensure_provision_debs() {
	local base key out
	base=$(ensure_base)
	key=$(provision_key "$base")
	out=$CACHE_DIR/provision-$key
	if [[ -f $out/.complete ]]; then
		printf '%s\n' "$out"
		return 0
	fi
	exec 8>"$CACHE_DIR/.lock"
	flock -w 600 8 || die "another fleet.sh is downloading into $CACHE_DIR"
	if [[ ! -f $out/.complete ]]; then
		local mirror build root t0=$EPOCHREALTIME
		mirror=$(debian_mirror)
		build=$CACHE_DIR/provision-build-$key
		root=$build/root
		umount_under "$build"
		rm -rf "$build" "$out"
		mkdir -p "$build/upper" "$build/work" "$root"
		mount -t overlay overlay -o "lowerdir=$base,upperdir=$build/upper,workdir=$build/work" "$root"
		mount --make-private "$root"
		mount --bind /dev "$root/dev"
		rm -f "$root/etc/resolv.conf"
		cp -L /etc/resolv.conf "$root/etc/resolv.conf"
		printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$root/etc/apt/sources.list"
		rm -f "$root"/etc/apt/sources.list.d/*
		log "downloading the provisioning packages (${PROVISION_PACKAGES[*]}) and their dependencies from $mirror; once per machine"
		if ! chroot "$root" /usr/bin/env -i PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
			/bin/sh -c 'apt-get update -qq && apt-get install -y -q --download-only "$@"' sh "${PROVISION_PACKAGES[@]}" \
			>"$CACHE_DIR/provision-download.log" 2>&1; then
			tail -n 20 "$CACHE_DIR/provision-download.log" >&2
			umount_under "$build"
			rm -rf "$build"
			die "downloading the provisioning packages failed (log: $CACHE_DIR/provision-download.log)"
		fi
		rm -rf "$out.tmp"
		mkdir -p "$out.tmp"
		find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -t "$out.tmp" {} +
		umount_under "$build"
		rm -rf "$build"
		find "$out.tmp" -name '*.deb' | grep -q . || die "no .debs were downloaded (log: $CACHE_DIR/provision-download.log)"
		chmod -R a+rX "$out.tmp"
		: >"$out.tmp/.complete"
		mv "$out.tmp" "$out"
		log "provisioning packages cached in $(elapsed "$t0")s: $out ($(find "$out" -name '*.deb' | wc -l) .debs, $(du -sh "$out" | cut -f1))"
	fi
	flock -u 8
	exec 8>&-
	printf '%s\n' "$out"
}

# --- hosts -------------------------------------------------------------------------

# Host names for N hosts: test1..testA, prod1..prodB with A = ceil(N/2).
default_names() { # $1: N
	local n=$1 a i
	a=$(((n + 1) / 2))
	for ((i = 1; i <= a; i++)); do printf 'test%s\n' "$i"; done
	for ((i = 1; i <= n - a; i++)); do printf 'prod%s\n' "$i"; done
}

load_fleet() { # $1: DIR; sets HOSTS (array), PORTS (assoc), ADDRS (assoc), NETNS, PACKAGES
	[[ -f $1/fleet.env ]] || die "$1/fleet.env not found: run 'scripts/fleet.sh start' first"
	local line key val
	HOSTS=() NETNS=0 PACKAGES=0
	declare -gA PORTS=() ADDRS=()
	while IFS= read -r line; do
		key=${line%%=*} val=${line#*=}
		case $key in
		FLEET_HOSTS) read -r -a HOSTS <<<"$val" ;;
		FLEET_PORT_*) PORTS[${key#FLEET_PORT_}]=$val ;;
		FLEET_ADDR_*) ADDRS[${key#FLEET_ADDR_}]=$val ;;
		FLEET_NETNS) [[ -n $val ]] && NETNS=1 ;;
		FLEET_PACKAGES) PACKAGES=$val ;;
		esac
	done <"$1/fleet.env"
	((${#HOSTS[@]})) || die "malformed $1/fleet.env"
}

host_root() { # $1: DIR, $2: NAME
	local dir=$1 name=${2%."$DOMAIN"}
	load_fleet "$dir"
	[[ -n ${PORTS[$name]:-} ]] || die "no such host: $2 (hosts: ${HOSTS[*]})"
	[[ -d $dir/hosts/$name/root/etc ]] || die "host $name is not mounted"
	printf '%s\n' "$dir/hosts/$name/root"
}

# Pids of every process whose root directory is the host's root (its sshd, sessions,
# anything they left running).
chrooted_pids() { # $1: host root
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $r == "$1" ]] && printf '%s\n' "${p#/proc/}"
	done
	return 0
}

# The pid of a host's sshd listener (pid file inside the host), if it is alive and
# chrooted into that host.
fleet_sshd_pid() { # $1: host root, $2: pid file inside it
	local root=$1 pid
	[[ -s $root$2 ]] || return 1
	read -r pid <"$root$2" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ $(readlink "/proc/$pid/root" 2>/dev/null) == "$root" ]] || return 1
	printf '%s\n' "$pid"
}

stop_sshds() { # $1: host root
	local root=$1 pid
	local -a pids=()
	for f in /run/sshd.pid /run/sshd-netns.pid; do
		if pid=$(fleet_sshd_pid "$root" "$f"); then pids+=("$pid"); fi
	done
	kill_trees "${pids[@]}"
	rm -f "$root/run/sshd.pid" "$root/run/sshd-netns.pid"
}

# Tear down one host: its processes (sshd by pid file, then anything else chrooted
# there), its mounts, its directory (keys in DIR/hostkeys stay).
teardown_host() { # $1: host dir
	local hdir=$1 root=$1/root
	local -a left=()
	if [[ -d $root ]]; then
		stop_sshds "$root"
		mapfile -t left < <(chrooted_pids "$root")
		if ((${#left[@]})); then
			log "$(basename "$hdir"): stopping ${#left[@]} leftover process(es): ${left[*]}"
			kill_trees "${left[@]}"
		fi
	fi
	umount_under "$root"
	rm -rf "$hdir"
}

fleet_teardown() { # $1: DIR
	local dir=$1 hdir
	if [[ -d $dir/hosts ]]; then
		for hdir in "$dir"/hosts/*/; do
			[[ -d $hdir ]] && teardown_host "${hdir%/}"
		done
		rmdir "$dir/hosts" 2>/dev/null || true
	fi
	# The namespace only if this DIR's fleet made it.
	if [[ -f $dir/fleet.env ]] && grep -qx "FLEET_NETNS=$NS" "$dir/fleet.env"; then
		if ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qx "$NS"; then
			ip netns del "$NS"
		fi
		rm -rf "$NS_ETC"
		rmdir /etc/netns 2>/dev/null || true
	fi
	rm -f "$dir/fleet.env"
}

# The first BASE such that BASE+1..BASE+N are free on 127.0.0.1.
pick_base_port() { # $1: N, $2: requested base or empty
	local n=$1 want=$2 base i
	local -A busy=()
	local p
	while read -r p; do busy[$p]=1; done < <(busy_ports)
	local -a candidates=()
	if [[ -n $want ]]; then
		candidates=("$want")
	else
		for ((base = DEFAULT_BASE_PORT; base + n < 65000; base += 1000)); do candidates+=("$base"); done
	fi
	for base in "${candidates[@]}"; do
		local ok=1
		for ((i = 1; i <= n; i++)); do
			[[ -z ${busy[$((base + i))]:-} ]] || {
				ok=0
				break
			}
		done
		if ((ok)); then
			printf '%s\n' "$base"
			return 0
		fi
	done
	die "no free ports for $n hosts${want:+ at $want+1..$((want + n))}"
}

write_host_sshd_config() { # $1: path, $2: listen, $3: pid file
	cat >"$1" <<EOF
# Written by deploy's scripts/fleet.sh.
# Drop-ins first, as in Debian's own sshd_config (the first value of a keyword wins).
Include /etc/ssh/sshd_config.d/*.conf
ListenAddress $2
PidFile $3
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_ecdsa_key
HostKey /etc/ssh/ssh_host_rsa_key
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 200
MaxSessions 64
UseDNS no
LogLevel VERBOSE
PrintMotd no
PrintLastLog no
X11Forwarding no
AcceptEnv LANG LC_*
SetEnv SHLVL=1
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# Mount and configure one host (everything but starting sshd).
setup_host() { # $1: DIR, $2: base, $3: name, $4: index (1-based), $5: hosts file content
	local dir=$1 base=$2 name=$3 i=$4 hosts=$5
	local hdir=$dir/hosts/$name root=$dir/hosts/$name/root
	mkdir -p "$hdir/upper" "$hdir/work" "$root"
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$hdir/upper,workdir=$hdir/work" "$root"
	mount --make-private "$root"
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mkdir -p "$root/dev/pts"
	mount --bind /dev/pts "$root/dev/pts"
	local k
	for k in ed25519 ecdsa rsa; do
		install -m 600 "$dir/hostkeys/$name/ssh_host_${k}_key" "$root/etc/ssh/"
		install -m 644 "$dir/hostkeys/$name/ssh_host_${k}_key.pub" "$root/etc/ssh/"
	done
	install -m 600 "$dir/authorized_keys" "$root/root/.ssh/authorized_keys"
	printf '%s\n' "$name" >"$root/etc/hostname"
	printf '%s' "$hosts" | sed "s/^127.0.1.1\t.*/127.0.1.1\t$name.$DOMAIN $name/" >"$root/etc/hosts"
	write_host_sshd_config "$root/etc/ssh/sshd_config" "127.0.0.1:${PORTS[$name]}" /run/sshd.pid
	# What Debian's init script passes to the sshd it starts (`service ssh restart`): the same
	# log file as the sshd fleet.sh starts.
	printf '# Written by deploy'"'"'s scripts/fleet.sh.\nSSHD_OPTS="-E /var/log/sshd.log"\n' >"$root/etc/default/ssh"
	if ((NETNS)); then
		write_host_sshd_config "$root/etc/ssh/sshd_config_netns" "$ADDR_PREFIX$i:22" /run/sshd-netns.pid
	fi
	if ((PACKAGES)); then
		mount --bind "$dir/repo" "$root/srv/repo"
		mount -o remount,bind,ro "$root/srv/repo"
		: >"$root/etc/apt/sources.list"
		rm -f "$root"/etc/apt/sources.list.d/*
		printf 'deb [trusted=yes] file:/srv/repo ./\n' >"$root/etc/apt/sources.list.d/fleet.list"
		printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/99fleet"
		chroot "$root" /usr/bin/env -i PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 \
			apt-get update -qq >"$hdir/apt-update.log" 2>&1 ||
			{
				cat "$hdir/apt-update.log" >&2
				return 1
			}
	fi
}

# Run a command as root inside a host: chrooted, in a UTS namespace of its own whose host
# name is the host's (so `hostname` answers test1, not this machine's name), clean env.
# Sets IN_HOST to the command prefix.
in_host_prefix() { # $1: host root, $2: name
	# shellcheck disable=SC2016 # the positional parameters are sh -c's
	IN_HOST=(unshare --uts -- /bin/sh -c 'hostname "$1" && root=$2 && shift 2 && exec chroot "$root" "$@"' sh
		"$2" "$1" /usr/bin/env -i PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}")
}

# Start a host's sshd(s): the loopback one in the root namespace, the netns one inside
# $NS. Waits until each has written its pid file (after binding).
launch_host() { # $1: DIR, $2: name
	local dir=$1 name=$2 root=$1/hosts/$2/root
	in_host_prefix "$root" "$name"
	local -a sshd_cmd=("${IN_HOST[@]}" /usr/sbin/sshd)
	"${sshd_cmd[@]}" -f /etc/ssh/sshd_config -E /var/log/sshd.log </dev/null 9>&- 8>&- ||
		{
			tail -n 5 "$root/var/log/sshd.log" >&2 || true
			return 1
		}
	if ((NETNS)); then
		ip netns exec "$NS" "${sshd_cmd[@]}" -f /etc/ssh/sshd_config_netns -E /var/log/sshd-netns.log </dev/null 9>&- 8>&- ||
			return 1
	fi
	local deadline=$((SECONDS + START_TIMEOUT_S))
	until fleet_sshd_pid "$root" /run/sshd.pid >/dev/null &&
		{ ((!NETNS)) || fleet_sshd_pid "$root" /run/sshd-netns.pid >/dev/null; }; do
		((SECONDS < deadline)) || {
			log "$name: sshd did not start; last lines of its log:"
			tail -n 5 "$root/var/log/sshd.log" >&2 || true
			return 1
		}
		sleep 0.02
	done
}

fleet_start() { # $1: N, $2: DIR, $3: base port or '', $4: names csv, $5: packages, $6: netns
	local n=$1 dir=$2 want=$3 names_csv=$4
	need_root
	ensure_packages
	local -a names=()
	if [[ -n $names_csv ]]; then
		IFS=, read -r -a names <<<"$names_csv"
	else
		if ! [[ $n =~ ^[0-9]+$ ]] || ((10#$n < 1 || 10#$n > 200)); then die "-n must be 1..200, got $n"; fi
		mapfile -t names < <(default_names "$((10#$n))")
	fi
	n=${#names[@]}
	((n >= 1 && n <= 200)) || die "1..200 hosts, got $n"
	local name
	local -A seen=()
	for name in "${names[@]}"; do
		[[ $name =~ ^[a-z][a-z0-9]*$ ]] || die "host names must match [a-z][a-z0-9]*: '$name'"
		[[ -z ${seen[$name]:-} ]] || die "duplicate host name: $name"
		seen[$name]=1
	done
	[[ -z $want || $want =~ ^[0-9]+$ ]] || die "-p must be a number"
	dir=$(resolve_dir "${dir:-$REPO_ROOT/.fleet}" 1)
	lock_dir "$dir"
	local t0=$EPOCHREALTIME

	# Idempotent: tear down what this DIR runs, then build afresh.
	fleet_teardown "$dir"
	if ((NETNS)) && [[ -e $NS_ETC ]]; then
		die "$NS_ETC exists: another fleet uses namespace $NS"
	fi
	local base
	base=$(ensure_base)
	local t_base=$EPOCHREALTIME
	local port0
	port0=$(pick_base_port "$n" "$want")

	declare -gA PORTS=() ADDRS=()
	HOSTS=("${names[@]}")
	local i
	for ((i = 0; i < n; i++)); do
		PORTS[${names[i]}]=$((port0 + i + 1))
		ADDRS[${names[i]}]=$ADDR_PREFIX$((i + 1))
	done

	# Keys: client keys (as testhosts.sh) and each host's own host keys, kept in DIR.
	mkdir -p "$dir/hostkeys"
	local -a specs=()
	for name in "${names[@]}"; do
		mkdir -p "$dir/hostkeys/$name"
		specs+=("rsa:$RSA_HOST_BITS:$dir/hostkeys/$name/ssh_host_rsa_key:root@$name.$DOMAIN"
			"ed25519:256:$dir/hostkeys/$name/ssh_host_ed25519_key:root@$name.$DOMAIN"
			"ecdsa:256:$dir/hostkeys/$name/ssh_host_ecdsa_key:root@$name.$DOMAIN")
	done
	ensure_client_keys "$dir" &
	local client_job=$!
	gen_keys "${specs[@]}"
	wait "$client_job" || die "client key generation failed"
	local k
	for k in id_ed25519 id_ecdsa id_rsa id_ed25519_enc; do
		cat "$dir/keys/$k.pub"
	done | write_file "$dir/authorized_keys"
	((PACKAGES)) && build_repo "$dir"
	local t_keys=$EPOCHREALTIME

	if ((NETNS)); then
		ip netns add "$NS"
		ip -n "$NS" link set lo up
		for ((i = 0; i < n; i++)); do
			ip -n "$NS" addr add "${ADDRS[${names[i]}]}/32" dev lo
		done
	fi
	# /etc/hosts of the namespace and of every host: the fleet's names.
	local hosts
	hosts=$(
		printf '127.0.0.1\tlocalhost\n127.0.1.1\tHOSTNAME\n::1\t\tlocalhost ip6-localhost ip6-loopback\n'
		for name in "${names[@]}"; do
			printf '%s\t%s.%s %s\n' "${ADDRS[$name]}" "$name" "$DOMAIN" "$name"
		done
	)
	hosts+=$'\n'
	if ((NETNS)); then
		mkdir -p "$NS_ETC"
		printf '%s' "$hosts" | sed "s/^127.0.1.1\t.*/127.0.1.1\t$(hostname)/" | write_file "$NS_ETC/hosts"
	fi

	# fleet.env first: a failed start can still be stopped with 'fleet.sh stop'.
	{
		printf 'FLEET_DIR=%s\nFLEET_COUNT=%s\nFLEET_HOSTS=%s\nFLEET_BASE_PORT=%s\n' "$dir" "$n" "${names[*]}" "$port0"
		printf 'FLEET_DOMAIN=%s\nFLEET_KEY=%s\nFLEET_KNOWN_HOSTS=%s\nFLEET_SSH_CONFIG=%s\nFLEET_INVENTORY=%s\n' \
			"$DOMAIN" "$dir/keys/id_ed25519" "$dir/known_hosts" "$dir/ssh_config" "$dir/inventory.ini"
		printf 'FLEET_BASE=%s\nFLEET_PACKAGES=%s\nFLEET_REPO=%s\nFLEET_NETNS=%s\nFLEET_PROVISION_PACKAGES=%s\n' \
			"$base" "$PACKAGES" "$( ((PACKAGES)) && printf '%s' "$dir/repo")" "$( ((NETNS)) && printf '%s' "$NS")" \
			"$( ((PROVISION)) && printf '%s' "${PROVISION_PACKAGES[*]}")"
		for name in "${names[@]}"; do
			printf 'FLEET_PORT_%s=%s\nFLEET_ADDR_%s=%s\n' "$name" "${PORTS[$name]}" "$name" "${ADDRS[$name]}"
		done
	} | write_file "$dir/fleet.env"

	mkdir -p "$dir/hosts"
	local -a jobs=()
	for ((i = 0; i < n; i++)); do
		setup_host "$dir" "$base" "${names[i]}" "$((i + 1))" "$hosts" &
		jobs+=("$!")
	done
	local bad=0 j
	for j in "${jobs[@]}"; do wait "$j" || bad=1; done
	local t_mount=$EPOCHREALTIME
	if ((!bad)); then
		for name in "${names[@]}"; do launch_host "$dir" "$name" & done
		for name in "${names[@]}"; do wait -n || bad=1; done
	fi
	if ((bad)); then
		log "start failed; tearing down"
		fleet_teardown "$dir"
		exit 1
	fi

	local typ key rest
	for name in "${names[@]}"; do
		for k in ed25519 ecdsa rsa; do
			read -r typ key rest <"$dir/hostkeys/$name/ssh_host_${k}_key.pub"
			printf '[127.0.0.1]:%s %s %s\n' "${PORTS[$name]}" "$typ" "$key"
			if ((NETNS)); then
				printf '%s.%s,%s,%s %s %s\n' "$name" "$DOMAIN" "$name" "${ADDRS[$name]}" "$typ" "$key"
			fi
		done
	done | write_file "$dir/known_hosts"
	for name in "${names[@]}"; do
		printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n' "$name" "${PORTS[$name]}"
		printf '  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n' "$dir/keys/id_ed25519"
		printf '  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n\n' "$dir/known_hosts"
		if ((NETNS)); then
			printf 'Host %s.%s\n  Port 22\n' "$name" "$DOMAIN"
			printf '  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n' "$dir/keys/id_ed25519"
			printf '  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n\n' "$dir/known_hosts"
		fi
	done | write_file "$dir/ssh_config"
	{
		local group
		for group in test prod; do
			local -a members=()
			for name in "${names[@]}"; do [[ $name == "$group"[0-9]* ]] && members+=("$name"); done
			((${#members[@]})) || continue
			printf '[%s]\n' "$group"
			for name in "${members[@]}"; do
				printf '%s ansible_host=127.0.0.1 ansible_port=%s\n' "$name" "${PORTS[$name]}"
			done
			printf '\n'
		done
		printf '[fleet]\n'
		for name in "${names[@]}"; do
			printf '%s ansible_host=127.0.0.1 ansible_port=%s\n' "$name" "${PORTS[$name]}"
		done
		printf '\n[fleet:vars]\nansible_user=root\nansible_ssh_private_key_file=%s\n' "$dir/keys/id_ed25519"
	} | write_file "$dir/inventory.ini"

	local t1=$EPOCHREALTIME
	log "$n hosts up (${names[*]} on 127.0.0.1:$((port0 + 1))..$((port0 + n))) in $(elapsed "$t0" "$t1")s: base $(elapsed "$t0" "$t_base")s, keys+repo $(elapsed "$t_base" "$t_keys")s, mounts$( ((PACKAGES)) && printf '+apt-get update') $(elapsed "$t_keys" "$t_mount")s, sshd $(elapsed "$t_mount" "$t1")s; DIR $dir"
	log "try: ssh -F $dir/ssh_config ${names[0]} cat /etc/debian_version"
	if ((NETNS)); then log "or:  ip netns exec $NS ssh -F $dir/ssh_config ${names[0]}.$DOMAIN true"; fi
}

fleet_stop() { # $1: DIR
	local dir
	dir=$(resolve_dir "${1:-$REPO_ROOT/.fleet}" 0)
	need_root
	if [[ ! -d $dir ]]; then
		log "nothing to stop: $dir does not exist"
		return 0
	fi
	lock_dir "$dir"
	local n=0
	[[ -d $dir/hosts ]] && n=$(find "$dir/hosts" -mindepth 1 -maxdepth 1 -type d | wc -l)
	fleet_teardown "$dir"
	log "stopped $n host(s) of $dir (processes killed, unmounted, overlays removed)"
}

fleet_status() { # $1: DIR
	local dir
	dir=$(resolve_dir "${1:-$REPO_ROOT/.fleet}" 0)
	if [[ ! -f $dir/fleet.env ]]; then
		printf 'not started: %s\n' "$dir"
		return 1
	fi
	load_fleet "$dir"
	local name root pid state up=0
	for name in "${HOSTS[@]}"; do
		root=$dir/hosts/$name/root
		if ! mountpoint -q "$root"; then
			state="not mounted"
		elif pid=$(fleet_sshd_pid "$root" /run/sshd.pid); then
			state="running pid $pid"
			if ((NETNS)); then
				if pid=$(fleet_sshd_pid "$root" /run/sshd-netns.pid); then
					state+=", ${ADDRS[$name]}:22 in $NS pid $pid"
				else
					state+=", netns sshd stopped"
				fi
			fi
		else
			state=stopped
		fi
		[[ $state == running* && $state != *stopped* ]] && up=$((up + 1))
		printf '%s.%s 127.0.0.1:%s %s\n' "$name" "$DOMAIN" "${PORTS[$name]}" "$state"
	done
	printf '%s/%s running in %s\n' "$up" "${#HOSTS[@]}" "$dir"
	((up == ${#HOSTS[@]}))
}

fleet_exec() { # $1: DIR, $2: NAME, CMD...
	local dir root
	dir=$(resolve_dir "${1:-$REPO_ROOT/.fleet}" 0)
	root=$(host_root "$dir" "$2")
	shift 2
	(($#)) || die "exec needs a command after --"
	need_root
	in_host_prefix "$root" "$(basename "$(dirname "$root")")"
	exec "${IN_HOST[@]}" "$@"
}

fleet_host_cmd() { # $1: stop-host/start-host, $2: DIR, $3: NAME
	local cmd=$1 dir root name
	need_root
	dir=$(resolve_dir "${2:-$REPO_ROOT/.fleet}" 0)
	root=$(host_root "$dir" "$3")
	name=${3%."$DOMAIN"}
	lock_dir "$dir"
	case $cmd in
	stop-host)
		stop_sshds "$root"
		log "$name: sshd stopped"
		;;
	start-host)
		if fleet_sshd_pid "$root" /run/sshd.pid >/dev/null; then
			log "$name: already running"
		else
			launch_host "$dir" "$name" || exit 1
			log "$name: sshd started"
		fi
		;;
	esac
}

fleet_main() {
	(($#)) || {
		fleet_usage >&2
		exit 2
	}
	local cmd=$1
	shift
	local n=4 dir='' port='' names_csv='' name=''
	PACKAGES=0 NETNS=0 PROVISION=0
	while (($#)); do
		case $1 in
		-n | -d | -p | --names)
			(($# >= 2)) || die "$1 needs a value"
			case $1 in
			-n) n=$2 ;;
			-d) dir=$2 ;;
			-p) port=$2 ;;
			--names) names_csv=$2 ;;
			esac
			shift 2
			;;
		--packages)
			PACKAGES=1
			shift
			;;
		--provision-packages)
			PACKAGES=1 PROVISION=1
			shift
			;;
		--netns)
			NETNS=1
			shift
			;;
		--)
			shift
			break
			;;
		-h | --help)
			fleet_usage
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
	start | stop | status | base | repo | provision-debs) [[ -z $name ]] || die "unexpected argument: $name" ;;
	esac
	case $cmd in
	start) fleet_start "$n" "$dir" "$port" "$names_csv" ;;
	stop) fleet_stop "$dir" ;;
	status) fleet_status "$dir" ;;
	exec)
		[[ -n $name ]] || die "exec needs a HOST"
		fleet_exec "$dir" "$name" "$@"
		;;
	stop-host | start-host)
		[[ -n $name ]] || die "$cmd needs a HOST"
		fleet_host_cmd "$cmd" "$dir" "$name"
		;;
	base)
		need_root
		ensure_base >/dev/null
		;;
	provision-debs)
		need_root
		ensure_provision_debs
		;;
	repo)
		need_root
		dir=$(resolve_dir "${dir:-$REPO_ROOT/.fleet}" 1)
		build_repo "$dir"
		;;
	help) fleet_usage ;;
	*)
		fleet_usage >&2
		exit 2
		;;
	esac
}

fleet_main "$@"
