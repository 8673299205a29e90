#!/usr/bin/env bash
# Install what building and testing msdns-agent needs on Debian bookworm (idempotent; root or sudo).
# usage: scripts/setup.sh [linux] [lint] [windows] [pwsh] [bench] [designate] [catalog] [peers] [prometheus]   (default: linux)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
want=("${@:-linux}")
pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    linux)   pkgs+=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev libevent-dev libinih-dev check nettle-dev) ;;   # clang-rt: ASan, UBSan, libFuzzer
    lint)    command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
    windows) ;;   # scripts/xwin-deps.sh installs the cross toolchain and Wine itself
    pwsh)    ;;   # scripts/setup-pwsh.sh installs PowerShell as a .NET tool itself
    bench)   pkgs+=(python3-designate) ;;
    designate) ;;   # scripts/setup-designate.sh: Designate 2022.2 on the host, 2025.1 in a cached chroot
    catalog) pkgs+=(knot knot-dnsutils bind9 bind9-dnsutils) ;;   # real catalog producers for tests/catz-*.sh, xfr-peers
    peers)   pkgs+=(bind9 bind9-dnsutils knot knot-dnsutils python3-dnspython) ;;   # DNS peers for interop tests
    prometheus) pkgs+=(prometheus) ;;   # promtool and a real server scraping /metrics (tests/metrics-e2e.py)
    *) echo "setup.sh: unknown part '$w'" >&2; exit 64 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup.sh: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q install -y \
    --no-install-recommends "${missing[@]}" >/dev/null
fi
for w in "${want[@]}"; do
  if [ "$w" = lint ]; then
    # the PowerShell grammar for the script check (npm registry; ~1.5 s, cached)
    mods=${MSDNS_LINT_MODULES:-/var/tmp/msdns-agent-lint}
    if [ ! -f "$mods/node_modules/tree-sitter-pwsh/package.json" ]; then
      mkdir -p "$mods"
      npm install --prefix "$mods" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
        web-tree-sitter@0.27.1 tree-sitter-pwsh@0.38.1 >/dev/null
    fi
  fi
  if [ "$w" = windows ]; then
    bash "$here/xwin-deps.sh"
  fi
  if [ "$w" = designate ]; then
    bash "$here/setup-designate.sh"
  fi
  if [ "$w" = pwsh ]; then
    bash "$here/setup-pwsh.sh"
  fi
done
