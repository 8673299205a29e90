#!/usr/bin/env bash
# Zone operations through the msdns backend with the simulator playing a 600 ms PowerShell start-up:
# the time to drain a burst of 200 CREATEs for distinct zones at max_concurrent 1, 4 and 8, the
# operations per second, and their ratio to the ideal (max_concurrent / delay).
# usage: bench/zoneops.sh [ZONES] [DELAY_MS]   (default 200 600)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
zones=${1:-200} delay=${2:-600}
bash scripts/setup.sh linux
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
work=$(mktemp -d /tmp/msdns-zoneops.XXXXXX)
echo "burst of $zones CREATEs for distinct zones, simulated PowerShell start-up ${delay} ms"
echo "max_concurrent  drain s  ops/s   ideal ops/s  ratio  failed  peak RSS KiB"
for mc in 1 4 8; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export PSSIM_STATE=$work/state-$mc PSSIM_DELAY_MS=$delay
  cat > "$work/agent-$mc.conf" <<EOC
[service:agent]
listen = 127.0.0.1:$port
masters = 192.0.2.1
backend_driver = msdns
[backend:agent:msdns]
powershell = $top/build/tests/pssim
script = $top/scripts/msdns-zone.ps1
operation_timeout = 60
max_concurrent = $mc
max_queued = 10000
EOC
  build/src/msdns-agent --config-file "$work/agent-$mc.conf" 2>"$work/agent-$mc.log" & pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$work/agent-$mc.log" && break; sleep 0.05; done
  line=$(build/bench/loadgen --port "$port" -n "$zones" -c "$zones" --zones "$zones" --mix create \
         -t 3600 --timeout 3600 || true)
  hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  python3 - "$mc" "$delay" "$zones" "$line" "$hwm" <<'PY'
import re, sys
mc, delay, zones, line, hwm = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
f = dict(re.findall(r'(\w+)=([\d.]+)', line))
secs = float(f['seconds']); ops = int(f['done']) / secs; ideal = mc / (delay / 1000)
print(f"{mc:>14}  {secs:7.2f}  {ops:6.2f}  {ideal:11.2f}  {ops / ideal:5.3f}  {f['failed']:>6}  {hwm:>12}")
PY
done
