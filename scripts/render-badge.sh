#!/usr/bin/env bash
# render-badge.sh: draws a badge SVG as a PNG, to look at what a badge really looks like
# (text legible, nothing clipped) without a browser.
#
#   scripts/render-badge.sh SVG PNG [ZOOM]      (ZOOM defaults to 4: a 20px badge is tiny)
#
# Uses rsvg-convert (Debian: librsvg2-bin) and installs it, with the DejaVu fonts the SVG falls
# back to where Verdana is missing, when it is absent and we are root.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 SVG PNG [ZOOM]" >&2
  exit 2
fi
svg=$1 png=$2 zoom=${3:-4}

if ! command -v rsvg-convert >/dev/null; then
  [ "$(id -u)" -eq 0 ] || {
    echo "error: rsvg-convert missing: apt-get install librsvg2-bin fonts-dejavu-core" >&2
    exit 1
  }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    librsvg2-bin fonts-dejavu-core >/dev/null
fi
# A white background: the badge's rounded corners are transparent, and most viewers show
# transparency as black.
rsvg-convert --zoom "$zoom" --background-color white --format png --output "$png" "$svg"
echo "$png"
