#!/usr/bin/env bash
# msdns-agent.exe under Wine's own Service Control Manager: sc create / start / query / stop / delete,
# answering the replay tool while RUNNING; a broken configuration ends STOPPED with a service error.
# usage: wine-service.sh AGENT.exe REPLAY.exe   (WINEPREFIX set by the caller)
set -uo pipefail
agent=$(realpath "$1") replay=$(realpath "$2")
W=${WINE:-/usr/lib/wine/wine64}
winpath() { echo "Z:$1" | tr / '\\'; }
work=$(mktemp -d /tmp/msdns-wine-svc.XXXXXX)
name=msdns-agent-test-$$
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fails=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails+1)); fi; }
state() { $W sc query "$1" 2>/dev/null | tr -d '\r' | awk '/STATE/{print $4}'; }
field() { $W sc query "$1" 2>/dev/null | tr -d '\r' | awk -v f="$2" '$1==f{print $3}'; }
wait_state() { for _ in $(seq 100); do [ "$(state "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
cleanup() { $W sc stop "$name" >/dev/null 2>&1; $W sc delete "$name" >/dev/null 2>&1; $W sc delete "$name-bad" >/dev/null 2>&1; }
trap cleanup EXIT
# Wine ends its session (services.exe and every service process, with no control sent) a few seconds
# after the last non-system process exits: a gap between two wine commands on a loaded machine is
# enough. One idle user process for the whole test keeps the session; EOF on its stdin ends it.
mkfifo "$work/keep"
$W cmd <"$work/keep" >/dev/null 2>&1 &
keeper=$!
exec 3>"$work/keep"

cat > "$work/agent.conf" <<EOC
[DEFAULT]
log_file = $(winpath "$work/agent.log")
[service:agent]
listen = 127.0.0.1:$port
backend_driver = fake
EOC
$W sc create "$name" binPath= "$(winpath "$agent") --config-file $(winpath "$work/agent.conf")" >/dev/null 2>&1
check "sc create" '[ "$(state "$name")" = STOPPED ]'
$W sc start "$name" >/dev/null 2>&1
check "sc start reaches RUNNING" 'wait_state "$name" RUNNING'
check "the service answers CREATE" '$W "$replay" --port "$port" --timeout 5 create example.com >"$work/replay.out" 2>&1'
check "the reply was judged a success" 'grep -q "VERDICT: success" "$work/replay.out"'
$W sc stop "$name" >/dev/null 2>&1
check "sc stop reaches STOPPED" 'wait_state "$name" STOPPED'
check "stopped with exit code 0" '[ "$(field "$name" WIN32_EXIT_CODE)" = 0 ]'
check "the log shows the service run" 'grep -q "running as a service" "$work/agent.log"'
check "the STOP reached the event loop" 'grep -q "INFO msdns_agent.daemon \[-\] stopping" "$work/agent.log"'
check "the loop drained and stopped" 'grep -q "INFO msdns_agent.daemon \[-\] stopped" "$work/agent.log"'
$W sc delete "$name" >/dev/null 2>&1
check "sc delete" '! $W sc query "$name" >/dev/null 2>&1'

# a configuration error: the SCM is told, with a service-specific exit code that triggers recovery
printf '[service:agent]\nlisten = not-an-address\n' > "$work/bad.conf"
$W sc create "$name-bad" binPath= "$(winpath "$agent") --config-file $(winpath "$work/bad.conf")" >/dev/null 2>&1
$W sc start "$name-bad" >/dev/null 2>&1
check "bad configuration ends STOPPED" 'wait_state "$name-bad" STOPPED'
check "with ERROR_SERVICE_SPECIFIC_ERROR (1066)" '[ "$(field "$name-bad" WIN32_EXIT_CODE)" = 1066 ]'
check "and service exit code 1" '[ "$(field "$name-bad" SERVICE_EXIT_CODE)" = 1 ]'
exec 3>&-
wait "$keeper"
rm -rf "$work"
echo "$(( 13 - fails )) passed, $fails failed"
[ "$fails" -eq 0 ]
