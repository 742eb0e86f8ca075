#!/usr/bin/env bash
# Screenshots a badge SVG in headless Chromium, 4x, on white: how a browser shows it.
# Usage: scripts/screenshot-badge.sh BADGE.svg OUT.png   (installs chromium when run as root)
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BADGE.svg OUT.png" >&2; exit 2; }
svg=$(realpath "$1")
out=$(realpath -m "$2")
if ! command -v chromium >/dev/null; then
	[[ $(id -u) -eq 0 ]] || { echo "error: chromium is not installed" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
page=$(mktemp --suffix=.html)
trap 'rm -f "$page"' EXIT
printf '<html><body style="margin:0;background:#fff"><img src="file://%s" style="zoom:4"></body></html>' \
	"$svg" >"$page"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,120 \
	--screenshot="$out" "file://$page" 2>/dev/null
echo "$out"
