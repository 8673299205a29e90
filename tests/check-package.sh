#!/usr/bin/env bash
# The Windows package: scripts/package-win.sh builds the zip, and it holds what INSTALL.txt names.
set -euo pipefail
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
zip=$(bash "$here/../scripts/package-win.sh" "$build" "$out")
case "$zip" in */msdns-agent-*-win64.zip) ;; *) echo "FAIL: unexpected name $zip"; exit 1 ;; esac
name=$(basename "$zip" .zip)
python3 - "$zip" "$name" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); name = sys.argv[2]
have = set(z.namelist())
want = ["msdns-agent.exe", "msdns-agent-replay.exe", "scripts/msdns-zone.ps1", "scripts/install-service.ps1",
        "etc/msdns-agent.conf.sample", "INSTALL.txt", "README.md"]
missing = [w for w in want if f"{name}/{w}" not in have]
assert not missing, f"missing from the package: {missing}"
assert z.read(f"{name}/msdns-agent.exe")[:2] == b"MZ", "msdns-agent.exe is not a Windows program"
assert b"\r\n" in z.read(f"{name}/INSTALL.txt"), "INSTALL.txt lacks CRLF line ends"
print(f"{len(want)} passed, 0 failed ({sys.argv[1]})")
PY
