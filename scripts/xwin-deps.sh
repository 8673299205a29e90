#!/usr/bin/env bash
# Windows cross-build prerequisites: static mingw-w64 (x86_64) libevent 2.1, inih and Check built from
# Debian source packages (pinned hashes, never committed),
# set up a headless Wine prefix, and write a meson cross file. Offline except Debian's registry.
set -euo pipefail
XWIN_ROOT=${XWIN_ROOT:-/var/tmp/xwin}          # everything lives here (never in the repo)
PREFIX=$XWIN_ROOT/prefix
SRC=$XWIN_ROOT/src
BLD=$XWIN_ROOT/build
export WINEPREFIX=$XWIN_ROOT/wineprefix WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree,mshtml=;winemenubuilder.exe=d'
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -q)
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT   # stop our own background jobs on failure
T0=$(date +%s); t() { echo "[xwin $(( $(date +%s) - T0 ))s] $*"; }
mkdir -p "$XWIN_ROOT"

# 1. toolchain + wine + build tools (win32 thread model is enough for C; -posix not needed)
t "apt install"
"${APT[@]}" update
"${APT[@]}" install -y --no-install-recommends gcc-mingw-w64-x86-64-win32 wine64 wine \
    meson ninja-build pkg-config cmake make dpkg-dev

# 1b. Wine prefix in the background (headless, no DISPLAY; ~10-15 s the first time)
WB_PID=
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  t "wineboot (background)"
  ( /usr/lib/wine/wine64 wineboot -i >"$XWIN_ROOT/wineboot.log" 2>&1 || true; /usr/lib/wine/wineserver -w ) &
  WB_PID=$!
fi

# 2. deb-src index in a private apt state under $XWIN_ROOT/apt (no change to /etc/apt, no dpkg lock):
#    bookworm(+security) for libevent/check; trixie for libinih (bookworm's libinih_55.orig.tar.gz
#    answers 404 on this registry mirror; trixie's r59 tarball is byte-identical to upstream r59).
AS=$XWIN_ROOT/apt; mkdir -p "$AS/lists/partial" "$AS/cache/archives/partial"
# the same Debian mirrors the machine already uses, read from its apt configuration (never hard-coded)
MAIN=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
SEC=$(awk '/^URIs:/{u=$2} /^Suites:.*security/{print u; exit}' /etc/apt/sources.list.d/debian.sources)
KR=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$AS/sources.list" <<EOS
deb-src [signed-by=$KR] $MAIN bookworm main
deb-src [signed-by=$KR] $SEC bookworm-security main
deb-src [signed-by=$KR] $MAIN trixie main
EOS
SAPT=(apt-get -q -o Dir::Etc::SourceList="$AS/sources.list" -o Dir::Etc::SourceParts=- \
      -o Dir::State::Lists="$AS/lists" -o Dir::Cache="$AS/cache" -o APT::Sandbox::User=root)
t "apt-get update (deb-src, private)"
"${SAPT[@]}" update >/dev/null

# 3. fetch sources (about 2 MB, 1-2 s; apt checks them against the signed Sources index),
#    then rebuild only if the .dsc set or this script changed.
DL=$XWIN_ROOT/dl; rm -rf "$DL"; mkdir -p "$DL"
t "apt-get source"
( cd "$DL" && "${SAPT[@]}" source --download-only libevent/bookworm-security check/bookworm libinih/trixie )
# upstream tarballs are pinned (these three are byte-identical to the upstream release tarballs)
( cd "$DL" && sha256sum -c --quiet - <<'EOS'
92e6de1be9ec176428fd2367677e61ceffc2ee1cb119035037a27d346b0403bb  libevent_2.1.12-stable.orig.tar.gz
8451b68ac5d6f3157b24f22eceff575bcf566264f6d78f3852f89d4e08cf42e1  check_0.15.2.orig.tar.gz
062279922805f5e9a369551a08d5ddb506140fe50774183ffdbb7c22bb97e3f4  libinih_59.orig.tar.gz
EOS
)
KEY="$(cd "$DL" && sha256sum ./*.dsc | sha256sum | cut -c1-16)-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
if [ -f "$PREFIX/.xwin-key" ] && [ "$(cat "$PREFIX/.xwin-key")" = "$KEY" ]; then
  t "cached prefix ok ($KEY)"
else
  rm -rf "$SRC" "$BLD" "$PREFIX"; mkdir -p "$BLD" "$PREFIX"; mv "$DL" "$SRC"
  cd "$SRC"
  dpkg-source -x libevent_*.dsc libevent >/dev/null       # orig + Debian patches (security fixes)
  # dpkg-source -x gives patched Makefile.am a new mtime; keep automake from re-running
  ( cd libevent && touch aclocal.m4 && sleep 1 && touch configure Makefile.in config.h.in evconfig-private.h.in )
  mkdir check inih
  tar -xzf check_*.orig.tar.gz  -C check --strip-components=1   # upstream release tarball
  tar -xzf libinih_*.orig.tar.gz -C inih --strip-components=1  # upstream r59 (Debian patches change the API)

  CROSS=$XWIN_ROOT/mingw64.cmake
  cat > "$CROSS" <<EOT
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 $PREFIX)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOT

  # libevent: autotools (about half the time of its CMake build), static only, no OpenSSL
  t "libevent (background)"
  ( mkdir -p "$BLD/libevent" && cd "$BLD/libevent" &&
    "$SRC/libevent/configure" --host=x86_64-w64-mingw32 --prefix="$PREFIX" --disable-shared --enable-static \
      --disable-openssl --disable-samples --disable-libevent-regress --disable-debug-mode \
      --disable-dependency-tracking >configure.log 2>&1 &&
    make -j"$(nproc)" >make.log 2>&1 && make install >install.log 2>&1 ) &
  EV_PID=$!

  t "check"
  cmake -S "$SRC/check" -B "$BLD/check" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$CROSS" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_TESTING=OFF -DCHECK_ENABLE_TESTS=OFF \
    -DCMAKE_C_FLAGS=-D__USE_MINGW_ANSI_STDIO=1 >"$BLD/check.log" 2>&1
  ninja -C "$BLD/check" install >>"$BLD/check.log" 2>&1
  rm -f "$PREFIX/lib/libcheck.dll.a" "$PREFIX/bin/libcheck.dll"     # static only
  # libcheck is built with mingw's C99 printf (__USE_MINGW_ANSI_STDIO), so tell GCC its format
  # attribute is gnu_printf; otherwise every ck_assert_int_* warns about %jd (ms_printf rules).
  sed -i 's/__attribute__ ((format (a, b, c)))/__attribute__ ((format (gnu_##a, b, c)))/' "$PREFIX/include/check.h"

  t "inih"
  cat > "$XWIN_ROOT/mingw64-bootstrap.ini" <<EOT
[binaries]
c = 'x86_64-w64-mingw32-gcc'
ar = 'x86_64-w64-mingw32-ar'
strip = 'x86_64-w64-mingw32-strip'
[host_machine]
system = 'windows'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
[properties]
needs_exe_wrapper = true
EOT
  meson setup "$BLD/inih" "$SRC/inih" --cross-file "$XWIN_ROOT/mingw64-bootstrap.ini" --prefix "$PREFIX" --libdir lib \
    --buildtype release -Ddefault_library=static -Ddistro_install=true -Dwith_INIReader=false >"$BLD/inih.log" 2>&1
  ninja -C "$BLD/inih" install >>"$BLD/inih.log" 2>&1

  t "waiting for libevent"
  if ! wait $EV_PID; then tail -30 "$BLD"/libevent/*.log; exit 1; fi
  echo "$KEY" > "$PREFIX/.xwin-key"
fi

# 4. wait for the Wine prefix
if [ -n "$WB_PID" ]; then t "waiting for wineboot"; wait "$WB_PID"; fi
test -f "$WINEPREFIX/system.reg"
# 4b. no automatic debugger: a crashing test child must just end (winedbg would hold it, and stall
#     the tests beside it); the agent sets SEM_NOGPFAULTERRORBOX for Windows' own error reporting
if ! grep -q '"Debugger"=""' "$WINEPREFIX/system.reg" 2>/dev/null; then
  /usr/lib/wine/wine64 reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
    /v Debugger /t REG_SZ /d '' /f >/dev/null 2>&1
  /usr/lib/wine/wineserver -w
fi

# 5. meson cross file for the project
cat > "$XWIN_ROOT/mingw64.ini" <<EOT
[binaries]
c = 'x86_64-w64-mingw32-gcc'
ar = 'x86_64-w64-mingw32-ar'
strip = 'x86_64-w64-mingw32-strip'
windres = 'x86_64-w64-mingw32-windres'
pkgconfig = 'pkg-config'
exe_wrapper = '/usr/lib/wine/wine64'

[properties]
pkg_config_libdir = '$PREFIX/lib/pkgconfig'

[built-in options]
c_args = ['-D__USE_MINGW_ANSI_STDIO=1']
c_link_args = ['-static']

[host_machine]
system = 'windows'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
EOT
t "done: cross file $XWIN_ROOT/mingw64.ini, prefix $PREFIX"
