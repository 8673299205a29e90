#!/usr/bin/env bash
# The agent's main job on Linux: msdns backend on loopback; a zone is created, notified and deleted
# through the replay tool, as Designate would. Real PowerShell 7 runs the real script against the
# DnsServer stand-in (tests/DnsServer) when scripts/setup.sh pwsh could install it, else the simulator
# plays it (MSDNS_SIMULATOR=1 forces the simulator). --serve keeps it running.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
bash scripts/setup.sh linux pwsh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized -Dwerror=true >/dev/null
ninja -C build >/dev/null

work=$(mktemp -d /tmp/msdns-agent-run.XXXXXX)
port=${MSDNS_PORT:-5358}
export PSSIM_STATE=$work/dns-server PSSIM_DELAY_MS=${PSSIM_DELAY_MS:-600}   # PowerShell's ~0.6 s start-up
powershell=$top/build/tests/pssim wait=5 optimeout=30
pwsh=${MSDNS_PWSH:-/var/tmp/msdns-pwsh/pwsh}
if [ -x "$pwsh" ] && [ -z "${MSDNS_SIMULATOR:-}" ]; then
  powershell=$pwsh wait=60 optimeout=50   # seconds per reply: PowerShell 7 starts in 1-3 s, more on a busy machine
  # the stand-in module is found through PSModulePath and keeps zone files in %SystemRoot%\System32\dns
  export PSModulePath=$top/tests SystemRoot=$work/dns-server/windows POWERSHELL_TELEMETRY_OPTOUT=1 \
    POWERSHELL_UPDATECHECK=Off
fi
echo "run.sh: powershell = $powershell"
cat > "$work/msdns-agent.conf" <<EOC
# The embedded default for Linux: Designate's [service:agent] with the msdns backend, where real
# PowerShell (or the simulator) plays powershell.exe and a directory plays Microsoft DNS Server.
[service:agent]
listen = 127.0.0.1:$port
masters = 192.0.2.1:53
allow_notify = 127.0.0.1
backend_driver = msdns

[backend:agent:msdns]
powershell = $powershell
script = $top/scripts/msdns-zone.ps1
execution_policy = Bypass
operation_timeout = $optimeout
EOC
build/src/msdns-agent --config-file "$work/msdns-agent.conf" 2>"$work/agent.log" &
agent=$!
trap 'kill $agent 2>/dev/null || true; wait $agent 2>/dev/null || true' EXIT
up=0
for _ in $(seq 100); do
  grep -q 'listening on' "$work/agent.log" 2>/dev/null && { up=1; break; }
  kill -0 $agent 2>/dev/null || break
  sleep 0.05
done
if [ $up -eq 0 ]; then
  echo "run.sh: the agent did not start; its log:" >&2
  cat "$work/agent.log" >&2
  exit 1
fi
if [ "${1:-}" = --serve ]; then
  echo "msdns-agent listening on 127.0.0.1:$port (log: $work/agent.log); Ctrl+C stops"
  wait $agent
  exit
fi
R=build/src/msdns-agent-replay
for step in "create example.com" "notify example.com" "create example.com" "delete example.com" \
            "notify example.com"; do
  echo "\$ msdns-agent-replay --port $port $step"
  $R --port "$port" --timeout "$wait" $step && rc=0 || rc=$?
  echo "(exit status $rc)"
  echo
done
kill -TERM $agent; wait $agent || true
trap - EXIT
echo "--- the agent's log ---"
cat "$work/agent.log"
