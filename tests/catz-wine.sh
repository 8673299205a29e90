#!/usr/bin/env bash
# The catalog consumer in the Windows build: msdns-agent.exe under Wine with a [catalog:cat.example.]
# section, the Designate-shaped producer (tests/catz-producer.py: AXFR-only, NOTIFY 0x2100 over UDP) on
# loopback, backend msdns with pssim.exe standing in for PowerShell. Members are created; a removal is
# applied after the producer's NOTIFY (the SOA refresh is an hour: only the NOTIFY can do it); the state
# file is written by the Win32 code (catalog-disk-win32.c: FlushFileBuffers, MoveFileExW, seen in Wine's
# trace of the first run) and, after a
# graceful stop (Ctrl+C, which Wine turns into the console control event), read back by the restarted
# agent: nothing is created again, and a removal made while it was stopped is applied. Part 2 (when knotd
# is installed): knotd's catalog transferred with TSIG (CNG's HMAC under Wine), and knotd's NOTIFY signed
# with the catalog's key accepted from outside allow_notify.
# usage: catz-wine.sh AGENT.exe PSSIM.exe SCRIPT PRODUCER   (WINEPREFIX set by the caller)
set -u
agent=$(realpath "$1") pssim=$(realpath "$2") script=$(realpath "$3") producer=$4
W=${WINE:-/usr/lib/wine/wine64}
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "python3 missing: skipped"; exit 77; }
winpath() { echo "Z:$1" | tr / '\\'; }
D=$(mktemp -d "${TMPDIR:-/tmp}/catz-wine.XXXXXX")
MS=$D/ms
export PSSIM_STATE; PSSIM_STATE=$(winpath "$MS")   # pssim.exe is a Windows program: a Windows path
mkdir -p "$MS/zones" "$MS/files" "$D/state"
APID= PPID_= keeper=
stop_pid() {   # pid signal: stop it, killed after 20 s
	[ -n "$1" ] || return 0
	kill "-$2" "$1" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return; }; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 137
}
cleanup() {
	stop_pid "$APID" INT; stop_pid "$PPID_" TERM
	[ -n "$keeper" ] && { exec 3>&-; wait "$keeper" 2>/dev/null; }
	[ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- agent log (tail)"; tail -40 "$D/agent.log"
	echo "--- simulator calls (tail)"; tail -20 "$MS/calls.log" 2>/dev/null
	echo "--- producer log (tail)"; tail -10 "$D/producer.log" 2>/dev/null
	exit 1
}
ok() { echo "ok: $*"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AP=$(free_port) PP=$(free_port) CP=$(free_port)
# One idle Wine process for the whole test keeps one Wine session (as wine-service.sh): the agent's restart
# does not wait for a new wineserver.
mkfifo "$D/keep"
$W cmd <"$D/keep" >/dev/null 2>&1 &
keeper=$!
exec 3>"$D/keep"

ctl() {
	$PY - "$CP" "$*" <<'PY'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode() + b'\n')
print(s.makefile().readline().strip())
PY
}
start_producer() {   # SOA refresh one hour, retry a minute: changes reach the agent through NOTIFYs only
	$PY "$producer" --zone cat.example. --port "$PP" --control-port "$CP" --notify "127.0.0.1:$AP" \
		--serial-lag 0.3 --refresh 3600 --retry 60 --pidfile "$D/producer.pid" >> "$D/producer.log" 2>&1 &
	PPID_=$!
	for _ in $(seq 100); do [ -s "$D/producer.pid" ] && ctl stats > /dev/null 2>&1 && return 0; sleep 0.1; done
	fail "producer did not start"
}
cat > "$D/agent.conf" <<CONF
[DEFAULT]
state_dir = $(winpath "$D/state")
[service:agent]
listen = 127.0.0.1:$AP
masters = 192.0.2.10
allow_notify = 127.0.0.1
[backend:agent:msdns]
powershell = $(winpath "$pssim")
script = $(winpath "$script")
execution_policy = Bypass
operation_timeout = 60
max_concurrent = 2
[catalog:cat.example.]
masters = 127.0.0.1:$PP
member_masters = 192.0.2.10
member_suffixes = example.com
reconcile_interval = 3600
CONF
start_agent() {
	echo "=== start $1" >> "$D/agent.log"
	# the first run with Wine's trace of kernelbase's file calls: the state's MoveFileExW shows in the log
	WINEDEBUG=$([ "$1" = 1 ] && echo "-all,trace+file" || echo "-all") \
		$W "$agent" --foreground --config-file "$(winpath "$D/agent.conf")" >> "$D/agent.log" 2>&1 &
	APID=$!
	wait_for 60 "the agent to listen" sh -c "[ \$(grep -c 'listening on' '$D/agent.log') -ge $1 ]"
}
stop_agent() {
	stop_pid "$APID" INT; rc=$?
	APID=
	[ $rc -eq 0 ] || fail "the agent did not stop on Ctrl+C (exit $rc)"
}
exists() { [ -f "$MS/zones/$1" ]; }
wait_for() {   # seconds, description, command...
	local t=$1 what=$2
	shift 2
	for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	fail "$what (within ${t}s)"
}
all_exist() { for z in "$@"; do exists "$z" || return 1; done; }
creates() { grep -c "^start Create " "$MS/calls.log" 2>/dev/null || true; }
st=$D/state/cat.example.state
owned() { grep -q "^o $1 .* owned$" "$st" 2>/dev/null; }
state_ok() {   # the trailer's line count and CRC-32 match, as catalog-state.c checks them
	$PY - "$st" <<'PY'
import re, sys, zlib
b = open(sys.argv[1], 'rb').read()
body, _, last = b.rstrip(b'\n').rpartition(b'\n')
m = re.fullmatch(rb'end (\d+) ([0-9a-f]{8})', last)
body += b'\n'
sys.exit(0 if m and int(m.group(1)) == body.count(b'\n') and int(m.group(2), 16) == zlib.crc32(body) else 1)
PY
}

start_producer
ctl add 0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60 a.example.com > /dev/null
ctl add 1b2c3d4e-6a4b-4c1e-9d2a-0f3c1d8e5f60 b.example.com > /dev/null
ctl add 2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c c.example.com > /dev/null
ctl add 3333 x.example.org > /dev/null
start_agent 1
wait_for 120 "members created by msdns-agent.exe through pssim.exe" all_exist a.example.com b.example.com c.example.com
grep -q "masters=192.0.2.10" "$MS/zones/a.example.com" || fail "member masters"
exists x.example.org && fail "inadmissible member created"
ok "members created (the catalog check at start)"
wait_for 30 "the state file to record the three zones as owned" sh -c \
	"grep -q '^o a.example.com .* owned$' '$st' && grep -q '^o b.example.com .* owned$' '$st' && grep -q '^o c.example.com .* owned$' '$st'"
state_ok || fail "state file trailer (line count, CRC-32)"
ls "$D/state" | grep -v '^cat.example.state$' | grep -q . && fail "a temporary file was left beside the state file"
# Wine's trace: kernelbase's MoveFileWithProgressW (behind MoveFileExW) renamed NAME.state.tmp over NAME.state
# with flags 9 = MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH
grep -q 'trace:file:MoveFileWithProgressW (L"[^"]*cat\.example\.state\.tmp",L"[^"]*cat\.example\.state",[0-9a-f]*,[0-9a-f]*,0009)' \
	"$D/agent.log" || fail "no MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH) of the state file in Wine's trace"
ok "state file written by the Win32 code (MoveFileExW, flags 9): complete, checksummed, no temporary left"

ctl del b.example.com > /dev/null   # the producer NOTIFYs (UDP, 0x2100); the refresh is an hour away
wait_for 60 "the removal applied after the NOTIFY" sh -c "[ ! -f '$MS/zones/b.example.com' ]"
grep -q "NOTIFY cat.example from 127.0.0.1:[0-9]*/udp: NOERROR AA, catalog zone: a check is scheduled" "$D/agent.log" ||
	fail "the NOTIFY for the catalog was not answered NOERROR AA"
all_exist a.example.com c.example.com || fail "a member went with the removal"
wait_for 30 "the state file to drop b.example.com" sh -c "! grep -q 'b.example.com' '$st'"
state_ok || fail "state file trailer after the removal"
ok "removal applied after the producer's NOTIFY; state rewritten"

stop_agent
grep -q "msdns_agent.daemon \[-\] stopped" "$D/agent.log" || fail "no orderly stop"
before=$(creates)
cp "$st" "$D/state-before"
ctl del c.example.com > /dev/null   # while the agent is stopped: its NOTIFY goes nowhere
ctl bump > /dev/null                # the new serial now (not --serial-lag later): the restart's check sees it
start_agent 2
wait_for 60 "the restarted agent to read its state" grep -q "catalog cat.example: state loaded: serial [0-9]*, 2 members, 2 zones owned" "$D/agent.log"
wait_for 60 "the removal made while stopped applied after the restart" sh -c "[ ! -f '$MS/zones/c.example.com' ]"
sleep 3
exists a.example.com || fail "a member lost over the restart"
[ "$(creates)" -eq "$before" ] || fail "the restart created again ($before creates before, $(creates) after)"
sed -n '/^=== start 2$/,$p' "$D/agent.log" | grep -q "no state file\|is unusable" && fail "the state file was not read back"
owned a.example.com || fail "a.example.com no longer owned"
state_ok || fail "state file trailer after the restart"
ok "state read back after the restart: nothing created again, the removal made meanwhile applied"
stop_agent

# Part 2, with knotd 3.2 as a signed producer (scripts/setup.sh catalog/peers installs it; without it this
# part is skipped, said loudly): the SOA query and the transfers signed and verified with CNG's HMAC, and
# knotd's NOTIFY signed with the catalog's key accepted although loopback is outside allow_notify and the
# key is not in tsig_keys.
KNOTD=$(command -v knotd || echo /usr/sbin/knotd) KNOTC=$(command -v knotc || echo /usr/sbin/knotc)
if [ ! -x "$KNOTD" ] || [ ! -x "$KNOTC" ]; then
	echo "SKIPPED part 2: knotd/knotc missing (scripts/setup.sh catalog)"
	echo "ok"
	exit 0
fi
SECRET=Y2F0YWxvZy1rZXktY2F0YWxvZy1rZXktY2F0YWxvZzE=
K=$D/knot KP=$(free_port)
mkdir -p "$K/run" "$K/db" "$K/zones" "$D/ms2/zones" "$D/ms2/files" "$D/state2"
PSSIM_STATE=$(winpath "$D/ms2") MS=$D/ms2
for z in a.example b.example; do
	printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. h.%s. 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n' "$z" "$z" "$z" \
		> "$K/zones/$z.zone"
done
cat > "$K/knot.conf" <<KNOT
server:
    rundir: "$K/run"
    listen: 127.0.0.1@$KP
log:
  - target: $K/knot.log
    any: info
database:
    storage: "$K/db"
key:
  - id: catkey.
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: agent
    address: 127.0.0.1@$AP
    key: catkey.
acl:
  - id: xfr
    address: 127.0.0.0/8
    key: catkey.
    action: transfer
template:
  - id: default
    storage: "$K/zones"
    file: "%s.zone"
  - id: member
    storage: "$K/zones"
    file: "%s.zone"
    catalog-role: member
    catalog-zone: kcat.example.
    acl: xfr
zone:
  - domain: kcat.example.
    catalog-role: generate
    acl: xfr
    notify: agent
  - domain: a.example.
    template: member
KNOT
timeout -k 5 300 "$KNOTD" -c "$K/knot.conf" > "$K/knotd.out" 2>&1 &
KPID=$!
trap 'stop_pid "$KPID" TERM; cleanup' EXIT
wait_for 20 "knotd to listen" sh -c "$PY -c 'import socket; socket.create_connection((\"127.0.0.1\", $KP), 1)' 2>/dev/null"
cat > "$D/agent.conf" <<CONF
[DEFAULT]
state_dir = $(winpath "$D/state2")
[service:agent]
listen = 127.0.0.1:$AP
masters = 192.0.2.10
allow_notify = 192.0.2.0/24
[backend:agent:msdns]
powershell = $(winpath "$pssim")
script = $(winpath "$script")
execution_policy = Bypass
operation_timeout = 60
max_concurrent = 2
[tsigkey:catkey.]
algorithm = hmac-sha256
secret = $SECRET
[catalog:kcat.example.]
masters = 127.0.0.1:$KP
tsig_key = catkey.
member_masters = 192.0.2.53
refresh = 3600
CONF
start_agent 3
wait_for 120 "a.example from knotd's signed catalog" exists a.example
sed -n '/^=== start 3$/,$p' "$D/agent.log" | grep -q "catalog kcat.example.: full transfer of serial" ||
	fail "no verified transfer from knotd"
ok "knotd's catalog transferred with TSIG (CNG's HMAC-SHA256 under Wine), member created"
"$KNOTC" -c "$K/knot.conf" conf-begin > /dev/null && "$KNOTC" -c "$K/knot.conf" conf-set 'zone[b.example.]' > /dev/null &&
	"$KNOTC" -c "$K/knot.conf" conf-set 'zone[b.example.].template' member > /dev/null &&
	"$KNOTC" -c "$K/knot.conf" conf-commit > /dev/null || fail "knotc conf-set"
wait_for 60 "b.example after knotd's signed NOTIFY (refresh is an hour)" exists b.example
grep -q "NOTIFY kcat.example from 127.0.0.1:[0-9]*/tcp: NOERROR AA, catalog zone, signed with its key" "$D/agent.log" ||
	fail "knotd's NOTIFY not accepted for the catalog's key"
ok "knotd's NOTIFY signed with the catalog's key accepted from outside allow_notify (key not in tsig_keys)"
stop_agent
echo "ok"
