#!/bin/bash
# The agent consuming a catalog end to end: the Designate-shaped test producer (tests/catz-producer.py)
# on loopback, the agent with the msdns backend and the PowerShell simulator (pssim). Every flow of
# issue 10: members created; added and removed members follow a NOTIFY and the refresh timer; an
# inadmissible name is ignored; a clash is left alone; a label change resets; a broken catalog changes
# nothing and processing resumes when fixed; max_deletions holds a mass removal; drift is repaired;
# restart with the producer down keeps everything and a removal made meanwhile is applied; a truncated
# state file never leads to a deletion; the empty catalog with max_deletions = 0 deletes every member.
# usage: catz-consumer.sh AGENT PSSIM SCRIPT PRODUCER
set -u
AGENT=$1 PSSIM=$2 SCRIPT=$3 PRODUCER=$4
PY=/usr/bin/python3
D=$(mktemp -d "${TMPDIR:-/tmp}/catz-consumer.XXXXXX")
APID= PPID_=
export PSSIM_STATE=$D/ms
mkdir -p "$PSSIM_STATE/zones" "$PSSIM_STATE/files" "$D/state"
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	kill -9 "$1" 2>/dev/null
}
cleanup() { stop_pid "$APID"; stop_pid "$PPID_"; [ -n "${KEEP:-}" ] || rm -rf "$D"; }
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- agent log (tail)"; tail -40 "$D/agent.log"
	echo "--- simulator calls (tail)"; tail -20 "$PSSIM_STATE/calls.log" 2>/dev/null
	exit 1
}
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AP=$(free_port) PP=$(free_port) CP=$(free_port)

start_producer() {
	$PY "$PRODUCER" --zone cat.example. --port "$PP" --control-port "$CP" --notify "127.0.0.1:$AP" \
		--serial-lag 0.3 --refresh 2 --retry 1 --pidfile "$D/producer.pid" >> "$D/producer.log" 2>&1 &
	PPID_=$!
	for _ in $(seq 100); do [ -s "$D/producer.pid" ] && ctl stats > /dev/null 2>&1 && return 0; sleep 0.1; done
	fail "producer did not start"
}
ctl() {
	$PY - "$CP" "$*" <<'PY'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode() + b'\n')
print(s.makefile().readline().strip())
PY
}
write_conf() {   # max_deletions
	cat > "$D/agent.conf" <<CONF
[DEFAULT]
state_dir = $D/state
[service:agent]
listen = 127.0.0.1:$AP
masters = 192.0.2.10
allow_notify = 127.0.0.1
[backend:agent:msdns]
powershell = $PSSIM
script = $SCRIPT
execution_policy = Bypass
operation_timeout = 20
[catalog:cat.example.]
masters = 127.0.0.1:$PP
member_masters = 192.0.2.10
member_suffixes = example.com
max_deletions = $1
refresh = 2
reconcile_interval = 3
CONF
}
start_agent() {
	"$AGENT" --foreground --config-file "$D/agent.conf" >> "$D/agent.log" 2>&1 &
	APID=$!
}
exists() { [ -f "$PSSIM_STATE/zones/$1" ]; }
wait_for() {   # seconds, description, command...
	local t=$1 what=$2
	shift 2
	for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	fail "$what (within ${t}s)"
}
all_exist() { for z in "$@"; do exists "$z" || return 1; done; }
none_exist() { for z in "$@"; do exists "$z" && return 1; done; return 0; }
logged() { grep -q -- "$1" "$D/agent.log"; }
creates_of() { grep -c "^start Create $1 " "$PSSIM_STATE/calls.log" 2>/dev/null || true; }

write_conf 3
start_producer
start_agent
# members created
ctl add 0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60 a.example.com > /dev/null
ctl add 1b2c3d4e-6a4b-4c1e-9d2a-0f3c1d8e5f60 b.example.com > /dev/null
ctl add 2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c c.example.com > /dev/null
wait_for 20 "members created" all_exist a.example.com b.example.com c.example.com
grep -q "masters=192.0.2.10" "$PSSIM_STATE/zones/a.example.com" || fail "member masters"
# removed and added members follow; an inadmissible name is ignored
ctl del b.example.com > /dev/null
ctl add 3333 x.example.org > /dev/null
ctl add 4444 d.example.com > /dev/null
wait_for 20 "removal and addition followed" sh -c "[ ! -f '$PSSIM_STATE/zones/b.example.com' ] && [ -f '$PSSIM_STATE/zones/d.example.com' ]"
exists x.example.org && fail "inadmissible member created"
logged "x.example.org is outside member_suffixes" || fail "inadmissible member not logged"
# a clash: a primary zone of that name is left alone
printf 'type=Primary\nmasters=\ndsintegrated=false\nserial=1\nzonefile=p.dns\n' > "$PSSIM_STATE/zones/p.example.com"
ctl add 5555 p.example.com > /dev/null
wait_for 20 "clash logged" logged "member p.example.com clashes"
grep -q "type=Primary" "$PSSIM_STATE/zones/p.example.com" || fail "clashing zone changed"
# a label change resets the zone: deleted, then created
before=$(creates_of a.example.com)
ctl relabel a.example.com 9999 > /dev/null
wait_for 20 "label change reset" sh -c "[ \$(grep -c '^start Create a.example.com ' '$PSSIM_STATE/calls.log') -gt $before ]"
grep "a.example.com" "$PSSIM_STATE/calls.log" | grep "^start" | tail -2 | head -1 | grep -q "^start Delete" || fail "reset without a delete first"
wait_for 10 "reset zone back" exists a.example.com
# broken catalog (two labels for one zone): nothing changes; fixed: processing resumes
ctl dup 7777 c.example.com > /dev/null
ctl add 6666 e.example.com > /dev/null
ctl del d.example.com > /dev/null
wait_for 20 "broken catalog logged" logged "is broken and not processed"
sleep 3
exists e.example.com && fail "a broken catalog created a member"
exists d.example.com || fail "a broken catalog deleted a member"
$PY - "$CP" <<'PY' > /dev/null
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.sendall(b'del c.example.com\n'); s.makefile().readline()
PY
ctl add 2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c c.example.com > /dev/null
# (fixing it dropped c.example.com's two labels and gave it one again: a delete and a create)
wait_for 20 "processing resumed after the fix" sh -c "[ -f '$PSSIM_STATE/zones/e.example.com' ] && [ ! -f '$PSSIM_STATE/zones/d.example.com' ] && [ -f '$PSSIM_STATE/zones/c.example.com' ]"
# max_deletions (3) holds a mass removal, logged on every check
ctl bulk 4 1 m%d.example.com > /dev/null
wait_for 20 "bulk members" all_exist m1.example.com m2.example.com m3.example.com m4.example.com
ctl clear > /dev/null
wait_for 20 "mass removal held" logged "more than max_deletions = 3"
sleep 3
all_exist a.example.com c.example.com e.example.com m1.example.com m4.example.com || fail "held removal deleted something"
[ "$(grep -c 'more than max_deletions = 3' "$D/agent.log")" -ge 2 ] || fail "held removal not logged on every check"
ctl bulk 4 1 m%d.example.com > /dev/null
ctl add 0f3c1d8e-0000-0000-0000-00000000000a a.example.com > /dev/null
ctl add 2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c c.example.com > /dev/null
ctl add 6666 e.example.com > /dev/null
# drift: a member removed behind the agent's back is created again
sleep 3
rm -f "$PSSIM_STATE/zones/m2.example.com"
wait_for 20 "drift repaired" exists m2.example.com
logged "member m2.example.com is missing from Microsoft DNS" || fail "drift not logged"
# restart with the producer down: everything stays; then a removal made meanwhile is applied
stop_pid "$APID"; APID=
stop_pid "$PPID_"; PPID_=
start_agent
sleep 4
all_exist a.example.com c.example.com e.example.com m1.example.com m2.example.com m3.example.com m4.example.com || \
	fail "a zone went while the producer was down"
rm -f "$D/producer.pid"
start_producer
ctl add 0f3c1d8e-0000-0000-0000-00000000000a a.example.com > /dev/null
ctl add 2d4e5f60-6a4b-4c1e-9d2a-0f3c1d8e1b2c c.example.com > /dev/null
ctl bulk 4 1 m%d.example.com > /dev/null
# e.example.com was removed "meanwhile"
wait_for 20 "removal made while down applied" sh -c "[ ! -f '$PSSIM_STATE/zones/e.example.com' ]"
all_exist a.example.com c.example.com m1.example.com m4.example.com || fail "members lost after the restart"
# a truncated state file: nothing is known to be owned, so nothing is deleted
stop_pid "$APID"; APID=
st="$D/state/cat.example.state"
size=$(stat -c %s "$st")
head -c $((size / 2)) "$st" > "$st.cut" && mv "$st.cut" "$st"
ctl del m1.example.com > /dev/null
start_agent
wait_for 20 "damaged state logged" logged "is unusable"
sleep 4
exists m1.example.com || fail "a zone deleted on a truncated state file"
# the empty catalog with max_deletions = 0 deletes every member this catalog owns
stop_pid "$APID"; APID=
write_conf 0
start_agent
sleep 2
ctl clear > /dev/null
wait_for 30 "empty catalog deleted the members" none_exist a.example.com c.example.com m2.example.com m3.example.com m4.example.com
exists p.example.com || fail "the clashing primary was deleted"
echo "ok"
