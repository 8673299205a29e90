#!/usr/bin/env bash
# The whole test suite: Linux build (gcc, -Werror) and tests, the same under ASan+UBSan (clang, with
# the libFuzzer target), the PowerShell script check, and the Windows cross-build tested under Wine.
# Ends with "N passed, N failed" over every meson test run.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
T0=$(date +%s)
say() { echo "[test.sh $(( $(date +%s) - T0 ))s] $*"; }
fail=0
logs=()

# Each part installs what some suites need (scripts/setup.sh); add a part here when a suite needs one.
parts=(linux lint windows pwsh designate catalog peers prometheus)
bash scripts/setup.sh "${parts[@]}" || { echo "setup failed"; exit 1; }
export MSDNS_LINT_MODULES=${MSDNS_LINT_MODULES:-/var/tmp/msdns-agent-lint}

run_suite() {   # name builddir timeout-multiplier meson-setup-args...
  local name=$1 dir=$2 mult=$3; shift 3
  say "$name: setup"
  mkdir -p "$dir"   # build logs stay under the build directory
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log"; fail=1; return; }
  fi
  say "$name: compile"
  ninja -C "$dir" >"$dir/compile.log" 2>&1 || { tail -50 "$dir/compile.log"; fail=1; return; }
  say "$name: test"
  meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier "$mult" 2>&1 | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout|Skipped):' || true
  logs+=("$dir/meson-logs/testlog.json")
}

run_suite "linux (gcc)" build 1 --buildtype=debugoptimized -Dwerror=true
CC=clang run_suite "linux (clang, ASan+UBSan, fuzz)" build-asan 2 --buildtype=debug -Dwerror=true \
  -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true

# Windows: cross-build and run the tests under Wine
XWIN_ROOT=${XWIN_ROOT:-/var/tmp/xwin}
export WINEPREFIX=$XWIN_ROOT/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;winemenubuilder.exe=d'
if [ -f "$XWIN_ROOT/mingw64.ini" ]; then
  # One Wine server for the whole run: without it each test pays the server's start-up and, worse,
  # its lingering shutdown (a suite whose checks all passed took 30-45 s to exit).
  wineserver -p && wine cmd /c exit 0 >/dev/null 2>&1 || true
  run_suite "windows (mingw-w64, Wine)" build-win "${MSDNS_WINE_MULT:-1}" --cross-file "$XWIN_ROOT/mingw64.ini" -Dwerror=true
  wineserver -k 2>/dev/null || true
else
  echo "windows cross toolchain missing"; fail=1
fi

python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
rc=$?
say "done"
[ $fail -eq 0 ] && exit $rc || exit 1
