#!/usr/bin/env bash
# Builds the release binary that the GitHub Action downloads: `deploy` with the Swift standard
# library (and Foundation) linked statically, stripped, in dist/deploy. Prints its size and its
# dynamic dependencies, and checks that it runs with no Swift toolchain on PATH.
# Not part of scripts/test.sh: it takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --static-swift-stdlib --product deploy --scratch-path .build-release
bin_dir="$(swift build -c release --static-swift-stdlib --product deploy \
  --scratch-path .build-release --show-bin-path)"

mkdir -p dist
cp "$bin_dir/deploy" dist/deploy
unstripped=$(stat -c %s dist/deploy)
strip dist/deploy
size=$(stat -c %s dist/deploy)
echo "dist/deploy: $size bytes stripped ($((size / 1024 / 1024)) MiB; $unstripped bytes before strip)"
echo "ldd dist/deploy:"
ldd dist/deploy

# No toolchain on PATH and an empty environment, from a directory without a Swift package.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
binary="$PWD/dist/deploy"
(cd "$scratch" && env -i PATH=/usr/bin:/bin HOME="$scratch" "$binary" --help >/dev/null)
echo "dist/deploy --help runs without a Swift toolchain on PATH"
