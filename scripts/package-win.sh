#!/usr/bin/env bash
# Build the Windows package msdns-agent-<version>-win64.zip from a cross build.
# usage: scripts/package-win.sh [BUILD_DIR] [OUT_DIR]   (default build-win, dist)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath "${1:-$top/build-win}")
out=$(realpath -m "${2:-$top/dist}")
version=$(sed -n 's/^#define MSDNS_VERSION "\(.*\)"$/\1/p' "$build/src/version.h")
name=msdns-agent-$version-win64
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/scripts" "$stage/$name/etc" "$out"
cp "$build/src/msdns-agent.exe" "$build/src/msdns-agent-replay.exe" "$stage/$name/"
cp "$top/scripts/msdns-zone.ps1" "$top/scripts/install-service.ps1" "$stage/$name/scripts/"
cp "$top/etc/msdns-agent.conf.sample" "$stage/$name/etc/"
# Windows tools read these best with CRLF line ends
sed 's/$/\r/' "$top/scripts/INSTALL.txt" > "$stage/$name/INSTALL.txt"
sed 's/$/\r/' "$top/README.md" > "$stage/$name/README.md"
rm -f "$out/$name.zip"
( cd "$stage" && python3 -m zipfile -c "$out/$name.zip" "$name" )
echo "$out/$name.zip"
