#!/usr/bin/env bash
# PowerShell 7.6.9 as a .NET tool in a cache directory, once, for the tests that run the real script.
# usage: scripts/setup-pwsh.sh   (MSDNS_PWSH_DIR overrides the directory; default /var/tmp/msdns-pwsh)
# Without dotnet it prints one line and succeeds: the PowerShell tests then skip (exit 77).
set -euo pipefail
dir=${MSDNS_PWSH_DIR:-/var/tmp/msdns-pwsh}
version=7.6.9
if [ -x "$dir/pwsh" ] && [ -d "$dir/.store/powershell/$version" ]; then
  exit 0
fi
if ! command -v dotnet >/dev/null; then
  echo "setup-pwsh.sh: *** dotnet is missing: PowerShell $version is not installed and the PowerShell tests will be SKIPPED (install the .NET SDK 10, e.g. dotnet-sdk-10.0, then run scripts/setup.sh pwsh) ***" >&2
  exit 0
fi
mkdir -p "$dir"
# the .NET tool from NuGet, nothing else; telemetry and the first-run banner off
DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  dotnet tool install --tool-path "$dir" PowerShell --version "$version" >/dev/null
"$dir/pwsh" -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' | grep -qx "$version"
