#!/usr/bin/env bash
# Install the two Designate generations the tests/designate suites drive (idempotent; root).
#   2022.2: bookworm's python3-designate 15.0.2 on this host, api-paste.ini from designate-common.
#   2025.1: trixie's python3-designate 20.0.0 in a debootstrap chroot cached under /var/tmp.
# The Debian mirror is read from the host's apt sources and never kept in a file: the chroot's
# sources, apt lists and logs are scrubbed after the install.
# usage: scripts/setup-designate.sh   (env: MSDNS_DESIGNATE_ROOT, default /var/tmp/msdns-designate)
set -euo pipefail
root=${MSDNS_DESIGNATE_ROOT:-/var/tmp/msdns-designate}
chroot_dir=$root/trixie
host_dir=$root/bookworm
stamp_v=1    # bump when the chroot's contents change
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
say() { echo "setup-designate: $*" >&2; }

apt_host() {
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q "$@"
}

# The first non-security URIs of the host's deb822 sources (or sources.list).
mirror() {
  local m=
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk 'tolower($1)=="uris:" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || { say "no Debian mirror found in the host's apt sources"; exit 1; }
  echo "$m"
}

# Anything mounted at or below $1 (in this mount namespace), deepest first.
mounts_under() {
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo | sort -r
}

# --- 2022.2 on the host ---------------------------------------------------------------------------
host_pkgs=(debootstrap python3-designate python3-dnspython)
missing=()
for p in "${host_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_host update >/dev/null
  apt_host install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -f "$host_dir/api-paste.ini" ]; then
  # designate-common carries api-paste.ini; its service units and dbconfig are not wanted here.
  tmp=$(mktemp -d); chmod 755 "$tmp"
  (cd "$tmp" && apt-get -o DPkg::Lock::Timeout=600 -q download designate-common >/dev/null 2>&1) || {
    apt_host update >/dev/null; (cd "$tmp" && apt-get -q download designate-common >/dev/null); }
  dpkg-deb -x "$tmp"/designate-common_*.deb "$tmp/x"
  mkdir -p "$host_dir"
  paste=$(find "$tmp/x" -name api-paste.ini | head -1)
  [ -n "$paste" ] || { say "no api-paste.ini in designate-common"; exit 1; }
  cp "$paste" "$host_dir/api-paste.ini.new"
  mv "$host_dir/api-paste.ini.new" "$host_dir/api-paste.ini"
  rm -rf "$tmp"
fi

# --- 2025.1 in the trixie chroot ------------------------------------------------------------------
if [ -f "$chroot_dir/.msdns-designate-ready" ] && [ "$(cat "$chroot_dir/.msdns-designate-ready")" = "$stamp_v" ]; then
  exit 0   # warm path
fi
t0=$(date +%s)
m=$(mirror)
host=$(echo "$m" | sed -E 's#^[a-z]+://([^/]+).*#\1#')
part=$root/trixie.partial
mkdir -p "$root"
for mp in $(mounts_under "$part"); do $SUDO umount -l "$mp"; done
rm -rf "$part"
say "debootstrap trixie into $part (about a minute)"
$SUDO debootstrap --variant=minbase --include=ca-certificates trixie "$part" "$m" >/dev/null
trap 'for mp in $(mounts_under "$part"); do $SUDO umount -l "$mp"; done' EXIT
$SUDO mount -t proc proc "$part/proc"
printf 'deb %s trixie main\n' "$m" >"$part/etc/apt/sources.list"
$SUDO chroot "$part" apt-get -q update >/dev/null
$SUDO chroot "$part" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends \
  python3-designate python3-dnspython >/dev/null
$SUDO chroot "$part" sh -c 'mkdir -p /tmp/dc && cd /tmp/dc && apt-get -q download designate-common >/dev/null &&
  dpkg-deb -x designate-common_*.deb x && mkdir -p /opt/msdns-designate &&
  p=$(find x -name api-paste.ini | head -1) && [ -n "$p" ] &&
  cp "$p" /opt/msdns-designate/api-paste.ini && cd / && rm -rf /tmp/dc'
$SUDO umount "$part/proc"
trap - EXIT
# Scrub the mirror: no sources, no lists, no packages, and no host name in any log.
$SUDO chroot "$part" apt-get clean
rm -f "$part/etc/apt/sources.list" "$part"/etc/apt/sources.list.d/*
rm -rf "$part"/var/lib/apt/lists/*
grep -rlsF "$host" "$part/var/log" "$part/etc" "$part/var/lib/apt" "$part/var/cache" 2>/dev/null | while read -r f; do
  sed -i "s#$host#MIRROR#g" "$f"
done
if grep -rlsF "$host" "$part/var/log" "$part/etc" "$part/var/lib/apt" "$part/var/cache" >/dev/null 2>&1; then
  say "mirror host still named in the chroot"; exit 1
fi
echo "$stamp_v" >"$part/.msdns-designate-ready"
for mp in $(mounts_under "$chroot_dir"); do $SUDO umount -l "$mp"; done
rm -rf "$chroot_dir"
mv "$part" "$chroot_dir"
say "chroot ready in $(( $(date +%s) - t0 )) s: $(du -sh "$chroot_dir" | cut -f1)"
