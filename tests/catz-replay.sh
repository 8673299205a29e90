#!/bin/bash
# msdns-agent-replay catalog against a real producer (Debian's knotd serving a hand-written catalog on
# loopback): valid (exit 0, members, ignored records), not admitted, broken (exit 1), no transfer (exit 2);
# a catalog knotd transfers only with TSIG: --tsig, --tsig-file, --config-file's tsig_key verify (exit 0),
# unsigned or with a wrong secret no transfer (exit 2).
set -u
REPLAY=$1
KNOTD=$(command -v knotd || true)
KNOTC=$(command -v knotc || true)
if [ -z "$KNOTD" ] || [ -z "$KNOTC" ]; then
	echo "knotd/knotc not installed (scripts/setup.sh catalog): skipped"
	exit 77
fi
D=$(mktemp -d "${TMPDIR:-/tmp}/catz-replay.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- output"; cat "$D/out"; exit 1; }
SECRET=Y2F0YWxvZy1rZXktY2F0YWxvZy1rZXktY2F0YWxvZzE=
WRONG=b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$D/run" "$D/db" "$D/zones"
cat > "$D/knot.conf" <<CONF
server:
    rundir: "$D/run"
    listen: 127.0.0.1@$PORT
log:
  - target: $D/knot.log
    any: info
database:
    storage: "$D/db"
key:
  - id: catkey.
    algorithm: hmac-sha256
    secret: $SECRET
template:
  - id: default
    storage: "$D/zones"
    file: "%s.zone"
acl:
  - id: loopback
    address: 127.0.0.0/8
    action: transfer
  - id: signed
    address: 127.0.0.0/8
    key: catkey.
    action: transfer
zone:
  - domain: cat.example.
    acl: loopback
  - domain: tcat.example.
    acl: signed
CONF
zone() {   # serial, extra records
	{
		echo "cat.example. 0 IN SOA invalid. invalid. $1 3600 600 2147483646 0"
		echo "cat.example. 0 IN NS invalid."
		echo 'version.cat.example. 0 IN TXT "2"'
		echo "0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60.zones.cat.example. 0 IN PTR a.example."
		echo "1111.zones.cat.example. 0 IN PTR B.Example.net."
		echo 'group.1111.zones.cat.example. 0 IN TXT "g"'
		echo "weird.cat.example. 0 IN A 192.0.2.1"
		printf '%s\n' "${@:2}"
	} > "$D/zones/cat.example.zone"
}
zone 5
sed 's/cat\.example\./tcat.example./g' "$D/zones/cat.example.zone" > "$D/zones/tcat.example.zone"
"$KNOTD" -c "$D/knot.conf" -d
for _ in $(seq 100); do [ -s "$D/run/knot.pid" ] && break; sleep 0.1; done
PID=$(cat "$D/run/knot.pid")
serial_is() {
	for _ in $(seq 100); do
		timeout 10 "$REPLAY" catalog cat.example --port "$PORT" > "$D/out" 2>&1
		grep -q "serial $1," "$D/out" && return 0
		sleep 0.1
	done
	fail "serial $1 never served"
}
serial_is 5
# TSIG: knotd transfers tcat.example. only to requests signed with catkey.
for _ in $(seq 100); do
	timeout 10 "$REPLAY" catalog tcat.example --port "$PORT" --tsig "hmac-sha256:catkey.:$SECRET" > "$D/out" 2>&1 && break
	sleep 0.1
done
grep -q '^;; TSIG: signed with key catkey.; every answer verified$' "$D/out" || fail "--tsig: verified"
grep -q '^member 1111 b.example.net$' "$D/out" || fail "--tsig: member b.example.net"
timeout 30 "$REPLAY" catalog tcat.example --port "$PORT" > "$D/out" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unsigned request to a keyed catalog: exit $rc"
grep -q '^;; no transfer of tcat.example.' "$D/out" || fail "unsigned: no transfer said"
grep -q "the transfer was not signed" "$D/out" || fail "unsigned: the hint"
timeout 30 "$REPLAY" catalog tcat.example --port "$PORT" --tsig "catkey.:$WRONG" > "$D/out" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "wrong secret: exit $rc"
grep -q 'TSIG' "$D/out" || fail "wrong secret: TSIG named"
grep -q "$WRONG" "$D/out" && fail "the secret printed"
printf 'key "catkey." {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$SECRET" > "$D/key"
timeout 30 "$REPLAY" catalog tcat.example --port "$PORT" --tsig-file "$D/key" > "$D/out" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "--tsig-file: exit $rc"
grep -q 'every answer verified' "$D/out" || fail "--tsig-file: verified"
printf '[DEFAULT]\nstate_dir = %s\n[service:agent]\nmasters = 192.0.2.1\n[tsigkey:catkey.]\nsecret = %s\n[catalog:tcat.example.]\nmasters = 127.0.0.1:%s\ntsig_key = catkey.\nmember_suffixes = example.net.\n' \
	"$D" "$SECRET" "$PORT" > "$D/agent.conf"
timeout 30 "$REPLAY" catalog tcat.example. --config-file "$D/agent.conf" > "$D/out" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "--config-file: exit $rc"
grep -q 'every answer verified' "$D/out" || fail "--config-file: the section's tsig_key"
grep -q 'a.example is outside member_suffixes' "$D/out" || fail "--config-file: the section's member_suffixes"
grep -q "state $D/tcat.example.state: absent" "$D/out" || fail "--config-file: the state file"
sed -i "s/^secret = .*/secret = $WRONG/" "$D/agent.conf"
timeout 30 "$REPLAY" catalog tcat.example. --config-file "$D/agent.conf" > "$D/out" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "--config-file with a wrong secret: exit $rc"
timeout 30 "$REPLAY" catalog cat.example. --port "$PORT" > "$D/out" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "valid catalog: exit $rc"
grep -q '^member 1111 b.example.net$' "$D/out" || fail "member b.example.net"
grep -q '^member 0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60 a.example$' "$D/out" || fail "member a.example"
grep -q 'ignored weird.cat.example. A' "$D/out" || fail "ignored record"
timeout 30 "$REPLAY" catalog cat.example --port "$PORT" --suffix example.net > "$D/out" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "suffix: exit $rc"
grep -q 'a.example is outside member_suffixes' "$D/out" || fail "not admitted"
grep -q '^member 0f3c' "$D/out" && fail "a.example admitted"
timeout 30 "$REPLAY" catalog nocat.example --port "$PORT" --timeout 5 > "$D/out" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unknown catalog: exit $rc"
# broken: two labels name one zone
zone 6 "1112.zones.cat.example. 0 IN PTR a.example."
"$KNOTC" -c "$D/knot.conf" zone-reload cat.example. > /dev/null
serial_is 6
timeout 30 "$REPLAY" catalog cat.example --port "$PORT" > "$D/out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "broken catalog: exit $rc"
grep -q 'BROKEN: member a.example. is named by two labels' "$D/out" || fail "broken reason"
grep -q '^member' "$D/out" && fail "members printed for a broken catalog"
# the state file: what would be created, reset, deleted
zone 7 "2222.zones.cat.example. 0 IN PTR c.example."
"$KNOTC" -c "$D/knot.conf" zone-reload cat.example. > /dev/null
serial_is 7
printf 'msdns-agent catalog-state 1\ncatalog cat.example\nserial 4\nm a.example old\nm gone.example g\no a.example old owned\no gone.example g owned\n' > "$D/st"
/usr/bin/python3 - "$D/st" <<'PY'
import sys, zlib
p = sys.argv[1]
b = open(p, 'rb').read()
n = b.count(b'\n')
open(p, 'ab').write(b'end %d %08x\n' % (n, zlib.crc32(b)))
PY
timeout 30 "$REPLAY" catalog cat.example --port "$PORT" --state-file "$D/st" > "$D/out" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "state compare: exit $rc"
grep -q '^reset 0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60 a.example (label was old)$' "$D/out" || fail "reset"
grep -q '^delete g gone.example$' "$D/out" || fail "delete"
grep -q '^create-or-adopt 2222 c.example$' "$D/out" || fail "create"
grep -q 'would create or adopt 2, reset 1, delete 1' "$D/out" || fail "summary"
echo "ok"
