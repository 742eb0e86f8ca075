#!/usr/bin/env bash
# test-app-image.sh: a local container image that runs a given `deploy` binary, for the
# activation tests (no registry is reachable: the image is made here, from files on this machine).
#
#   scripts/test-app-image.sh BINARY [TAG]      (TAG defaults to localhost/deploy-test-app:latest)
#
# The root filesystem: busybox (static) as /bin/sh and its other applets, BINARY as
# /usr/local/bin/deploy, every shared library `ldd BINARY` resolves (the Swift runtime and
# Foundation from the toolchain, libssh2, libcrypto, libsqlite3, libc, ...) at the same path,
# the dynamic loader, and a minimal /etc (root and nobody), /tmp, /root, /data. Foundation's ICU
# data is inside lib_FoundationICU.so, so nothing more is needed for `deploy --help`.
#
# The image is imported with `podman import` and labelled with a key made of the binary's
# checksum, the libraries' and busybox's sizes and times, and this script's checksum: when the
# image under TAG already has that key, nothing is rebuilt (a fraction of a second). Prints
# progress and the image size on stderr and TAG alone on stdout.
set -euo pipefail

readonly KEY_LABEL=deploy.test-app.key
readonly BUSYBOX=/bin/busybox
readonly LOCK=/tmp/deploy-test-app-image.lock

log() { printf 'test-app-image: %s\n' "$*" >&2; }
die() {
	printf 'test-app-image: error: %s\n' "$*" >&2
	exit 1
}

# Seconds since $1 (an $EPOCHREALTIME value), two decimals.
elapsed() {
	local now=${EPOCHREALTIME/./} then=${1/./}
	local us=$((10#$now - 10#$then))
	printf '%d.%02d\n' $((us / 1000000)) $((us % 1000000 / 10000))
}

usage() {
	sed -n '2,16s/^# \{0,1\}//p' "$0"
}

# The absolute paths of the shared libraries and the loader that BINARY needs.
libraries() { # $1: binary
	local out
	out=$(ldd "$1") || die "ldd $1 failed: $out"
	if grep -q 'not found' <<<"$out"; then
		die "$1 needs libraries this machine lacks: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out" | sort -u
}

image_key() { # $1: binary, rest: libraries
	local binary=$1
	shift
	{
		sha256sum <"$binary"
		sha256sum <"$0"
		stat -L -c '%n %s %Y' "$BUSYBOX" "$@"
	} | sha256sum | cut -d' ' -f1
}

# Writes the root filesystem into $1.
make_rootfs() { # $1: dir, $2: binary, rest: libraries
	local root=$1 binary=$2 lib applet
	shift 2
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,data,proc,sys,dev,run}
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	cp "$BUSYBOX" "$root/bin/busybox"
	# Applets at their usual paths (bin/sh, usr/bin/wget, ...), as links to /bin/busybox.
	while read -r applet; do
		[[ $applet == */* && ! -e $root/$applet ]] || continue
		ln -s /bin/busybox "$root/$applet"
	done < <("$BUSYBOX" --list-full)
	[[ -e $root/bin/sh ]] || ln -s /bin/busybox "$root/bin/sh"
	cp "$binary" "$root/usr/local/bin/deploy"
	chmod 755 "$root/usr/local/bin/deploy"
	for lib in "$@"; do
		mkdir -p "$root${lib%/*}"
		cp -L "$lib" "$root$lib"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

main() {
	case ${1:-} in
	-h | --help)
		usage
		exit 0
		;;
	'') die "usage: scripts/test-app-image.sh BINARY [TAG]" ;;
	esac
	(($# <= 2)) || die "usage: scripts/test-app-image.sh BINARY [TAG]"
	local binary=$1 tag=${2:-localhost/deploy-test-app:latest}
	[[ -f $binary && -x $binary ]] || die "not an executable file: $binary"
	command -v podman >/dev/null || die "podman is not installed (scripts/install-deps.sh)"
	[[ -x $BUSYBOX ]] || die "$BUSYBOX is missing (apt-get install busybox-static)"
	local t0=$EPOCHREALTIME

	# One build at a time: a second caller waits, then finds the image built.
	exec 9>"$LOCK"
	flock -w 300 9 || die "another test-app-image.sh holds $LOCK"

	local -a libs
	mapfile -t libs < <(libraries "$binary")
	((${#libs[@]} > 0)) || die "ldd found no libraries for $binary (a static binary needs no image script)"
	local key current
	key=$(image_key "$binary" "${libs[@]}")
	current=$(podman image inspect -f "{{index .Labels \"$KEY_LABEL\"}}" "$tag" 2>/dev/null) || current=""
	if [[ $current == "$key" ]]; then
		log "$tag is up to date ($(image_size "$tag"); checked in $(elapsed "$t0") s)"
		printf '%s\n' "$tag"
		return 0
	fi

	local old_id=""
	old_id=$(podman image inspect -f '{{.Id}}' "$tag" 2>/dev/null) || old_id=""
	local work
	work=$(mktemp -d /tmp/deploy-test-app-image.XXXXXX)
	# shellcheck disable=SC2064 # expand $work now
	trap "rm -rf '$work'" EXIT
	make_rootfs "$work/rootfs" "$binary" "${libs[@]}"
	tar -C "$work/rootfs" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
	local out
	out=$(podman import \
		--change "LABEL $KEY_LABEL=$key" \
		--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
		--change 'WORKDIR /' \
		--change 'CMD ["/usr/local/bin/deploy", "--help"]' \
		"$work/rootfs.tar" "$tag" 2>&1) || die "podman import failed: $out"
	# The previous image under this tag, unless a container still uses it.
	if [[ -n $old_id && $old_id != "$(podman image inspect -f '{{.Id}}' "$tag")" ]]; then
		podman rmi "$old_id" >/dev/null 2>&1 || true
	fi
	log "built $tag from $binary (${#libs[@]} libraries): $(image_size "$tag") in $(elapsed "$t0") s"
	printf '%s\n' "$tag"
}

image_size() { # $1: tag; e.g. "118.3 MB"
	local bytes
	bytes=$(podman image inspect -f '{{.Size}}' "$1")
	awk -v b="$bytes" 'BEGIN { printf "%.1f MB\n", b / 1000000 }'
}

main "$@"
