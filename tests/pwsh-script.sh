#!/usr/bin/env bash
# scripts/msdns-zone.ps1 under real PowerShell against the DnsServer stand-in, driven directly: the
# stand-in's error records (tests/pwsh-checks.ps1), hostile values on pwsh's own command line, one
# operation of each kind, and a -Serve worker fed request lines (junk included) and read back.
# Environment (tests/meson.build): MSDNS_PWSH (empty: skip, 77), MSDNS_SCRIPT, PSModulePath.
set -uo pipefail
if [ -z "${MSDNS_PWSH:-}" ] || [ ! -x "$MSDNS_PWSH" ]; then
  echo "*** pwsh-script SKIPPED: PowerShell is not installed (scripts/setup.sh pwsh installs it with dotnet; see README) ***" >&2
  exit 77
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/msdns-pwsh-script.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "not ok: $*"; fail=$((fail + 1)); }
fresh() {   # a new, empty DNS Server
  rm -rf "$work/state"
  mkdir -p "$work/state/zones" "$work/state/faults" "$work/state/windows/System32/dns"
  export PSSIM_STATE=$work/state SystemRoot=$work/state/windows
}
ps() { timeout 300 "$MSDNS_PWSH" -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "$@"; }
op() {   # op EXPECTED-EXIT ARGS...: one operation as the agent starts it
  local want=$1; shift
  ps "$MSDNS_SCRIPT" "$@" >"$work/out" 2>"$work/err"; local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "exit $rc for $*"; else bad "exit $rc (want $want) for $*: $(cat "$work/err")"; fi
}

# 1. The stand-in's records and the script's matching of them; validation in one process.
fresh
ps "$here/pwsh-checks.ps1" -Script "$MSDNS_SCRIPT" 2>&1 | tee "$work/checks"
n=$(grep -c '^not ok' "$work/checks"); [ "$(grep -c '^ok' "$work/checks")" -ge 40 ] || { bad "pwsh-checks.ps1 did not run to the end"; }
fail=$((fail + n))

# 2. Hostile values on pwsh's own command line: exit 4, DnsServer never loaded (no calls.log at all).
fresh
op 4 -Operation Create -Zone -rf.example -Masters 192.0.2.1
op 4 -Operation Create -Zone "\$(touch $work/pwned).example" -Masters 192.0.2.1
op 4 -Operation Get -Zone $'a.example\n'
op 4 -Operation Create -Zone a.example -Masters "192.0.2.1;touch $work/pwned"
op 4 -Operation Get -Zone a.example -Extra x
[ ! -e "$work/pwned" ] && ok "nothing was evaluated" || bad "a value was evaluated"
[ ! -e "$work/state/calls.log" ] && ok "no DnsServer cmdlet ran for hostile values" || bad "DnsServer ran: $(cat "$work/state/calls.log")"

# 3. One process per operation: the semantics table (pssim's layout, read the same way).
fresh
printf 'type=Primary\nmasters=\ndsintegrated=false\nserial=7\nzonefile=p.example.dns\n' >"$work/state/zones/p.example"
printf 'type=Secondary\nmasters=203.0.113.9\ndsintegrated=false\nserial=7\nzonefile=o.example.dns\n' >"$work/state/zones/o.example"
op 0 -Operation Create -Zone new.example -Masters 192.0.2.1,192.0.2.2
grep -qx 'masters=192.0.2.1,192.0.2.2' "$work/state/zones/new.example" && [ -e "$work/state/windows/System32/dns/new.example.dns" ] \
  && ok "Create made a file-backed secondary of our masters" || bad "Create: $(cat "$work/state/zones/new.example")"
op 0 -Operation Create -Zone new.example -Masters 192.0.2.2,192.0.2.1
grep -qx 'result=exists' "$work/out" && ok "Create again: exists" || bad "Create again: $(cat "$work/out")"
op 0 -Operation Refresh -Zone new.example
grep -qx 'serial=1' "$work/out" && ok "Refresh started a transfer (serial 1)" || bad "Refresh: $(cat "$work/out")"
op 0 -Operation Get -Zone new.example
op 2 -Operation Get -Zone nothere.example
op 2 -Operation Refresh -Zone nothere.example
op 3 -Operation Create -Zone p.example -Masters 192.0.2.1
op 3 -Operation Refresh -Zone p.example
op 3 -Operation Delete -Zone p.example -Masters 192.0.2.1
op 3 -Operation Create -Zone o.example -Masters 192.0.2.1 -NoConverge
grep -qx 'masters=203.0.113.9' "$work/state/zones/o.example" && ok "-NoConverge left another's secondary alone" || bad "-NoConverge changed it"
op 3 -Operation Delete -Zone o.example -Masters 192.0.2.1
op 0 -Operation List
sort "$work/out" >"$work/list"
printf '%s\n' 'zone=new.example type=Secondary ds=0 masters=192.0.2.1,192.0.2.2' \
  'zone=o.example type=Secondary ds=0 masters=203.0.113.9' 'zone=p.example type=Primary ds=0 masters=-' | diff - "$work/list" >/dev/null \
  && ok "List: one line per zone" || bad "List: $(cat "$work/out")"
op 0 -Operation Create -Zone o.example -Masters 192.0.2.1
grep -qx 'masters=192.0.2.1' "$work/state/zones/o.example" && ok "Create converged a secondary of other masters" || bad "no convergence"
op 0 -Operation Delete -Zone p.example -Masters 192.0.2.1 -DeleteUnmanaged
[ ! -e "$work/state/zones/p.example" ] && ok "-DeleteUnmanaged deleted a zone not ours" || bad "-DeleteUnmanaged"
op 0 -Operation Delete -Zone new.example -Masters 192.0.2.1,192.0.2.2
[ ! -e "$work/state/zones/new.example" ] && [ ! -e "$work/state/windows/System32/dns/new.example.dns" ] \
  && ok "Delete removed the zone and its file" || bad "Delete left something"
op 0 -Operation Delete -Zone new.example -Masters 192.0.2.1,192.0.2.2
echo denied >"$work/state/faults/d.example"; op 5 -Operation Get -Zone d.example
echo unreachable >"$work/state/faults/u.example"; op 5 -Operation Create -Zone u.example -Masters 192.0.2.1

# 4. -Serve: requests in, answers out; junk answered 4 without evaluation; stdin closed: exit 0.
fresh
printf 'type=Primary\nmasters=\ndsintegrated=true\nserial=7\nzonefile=\n' >"$work/state/zones/ad.example"
printf 'type=Primary\nmasters=\ndsintegrated=false\nserial=1\nzonefile=\nautocreated=true\n' >"$work/state/zones/0.in-addr.arpa"
printf 'type=Cache\nmasters=\ndsintegrated=false\nserial=1\nzonefile=\n' >"$work/state/zones/cache.example"   # a type outside the contract
cat >"$work/requests" <<EOF
1 Create s.example 192.0.2.1,192.0.2.2 -
2 Create s.example 192.0.2.2,192.0.2.1 -
3 Refresh s.example - -
4 Get \$(touch\$IFS$work/pwned) - -
5 Get;Remove-DnsServerZone a.example - -
6 Create a.example 192.0.2.1;touch -
7 Delete a.example 192.0.2.1 Force
8 Get a.example -
9 List - - -
10 Create s.example 203.0.113.1 NoConverge
11 Delete s.example 203.0.113.1 -
12 Delete s.example 192.0.2.1,192.0.2.2 DeleteUnmanaged,NoConverge
13 Get s.example - -
14 Get -rf - -
EOF
ps "$MSDNS_SCRIPT" -Serve <"$work/requests" >"$work/serve.out" 2>"$work/serve.err"; rc=$?
[ $rc -eq 0 ] && ok "-Serve exits 0 when stdin closes" || bad "-Serve exit $rc: $(cat "$work/serve.err")"
grep -v ' fact ' "$work/serve.out" >"$work/answers"
printf '%s\n' 'msdns-ready 1' '1 exit 0' '2 exit 0' '3 exit 0' '4 exit 4' '5 exit 4' '6 exit 4' '7 exit 4' '8 exit 4' \
  '9 exit 0' '10 exit 3' '11 exit 3' '12 exit 0' '13 exit 2' '14 exit 4' | diff - "$work/answers" >"$work/diff" \
  && ok "-Serve: the handshake, then exactly one answer per request, in order" || bad "-Serve answers: $(cat "$work/diff")"
grep -qx '1 fact result=created' "$work/serve.out" && grep -qx '2 fact result=exists' "$work/serve.out" \
  && grep -qx '3 fact serial=1' "$work/serve.out" && ok "-Serve: facts carry their request's number" || bad "-Serve facts: $(cat "$work/serve.out")"
grep '^9 fact ' "$work/serve.out" | sort >"$work/list"
printf '%s\n' '9 fact zone=ad.example type=Primary ds=1 masters=-' '9 fact zone=s.example type=Secondary ds=0 masters=192.0.2.1,192.0.2.2' \
  | diff - "$work/list" >/dev/null && ok "-Serve List: one fact per zone, automatic zones and types outside the contract left out" || bad "-Serve List: $(cat "$work/list")"
[ "$(grep -vc '^[0-9]* \(fact\|exit\) \|^msdns-ready 1$' "$work/serve.out")" = 0 ] && ok "-Serve: no stray stdout line" || bad "stray: $(cat "$work/serve.out")"
[ ! -e "$work/pwned" ] && ok "-Serve: no request was evaluated" || bad "-Serve evaluated a request"
[ ! -e "$work/state/zones/s.example" ] && ok "-Serve: DeleteUnmanaged flag honoured" || bad "-Serve: s.example still there"
printf '1 Get a.example - -\n1 Get a.example - -\n2 Get a.example - -\n' | ps "$MSDNS_SCRIPT" -Serve >"$work/serve.out" 2>/dev/null; rc=$?
[ $rc -eq 4 ] && [ "$(cat "$work/serve.out")" = "$(printf 'msdns-ready 1\n1 exit 2')" ] \
  && ok "-Serve: a repeated sequence number stops the worker (exit 4), nothing answered for it" || bad "repeated seq: exit $rc, $(cat "$work/serve.out")"
printf 'hello\n1 Get a.example - -\n' | ps "$MSDNS_SCRIPT" -Serve >"$work/serve.out" 2>/dev/null; rc=$?
[ $rc -eq 4 ] && [ "$(cat "$work/serve.out")" = "msdns-ready 1" ] && ok "-Serve: a line without a sequence number stops the worker" \
  || bad "junk line: exit $rc, $(cat "$work/serve.out")"

echo "$fail failure(s)"
[ $fail -eq 0 ]
