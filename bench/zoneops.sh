#!/usr/bin/env bash
# Zone operations through the msdns backend with the simulator playing a 600 ms PowerShell start-up:
# the time to drain a burst of 200 CREATEs for distinct zones at max_concurrent 1, 4 and 8, the
# operations per second, and their ratio to the ideal (max_concurrent / delay).
# Then, with real PowerShell (scripts/setup.sh pwsh) and the DnsServer stand-in: the cost of one
# operation, process start to exit, median of RUNS, beside the simulator's; and the cost of one
# operation inside a -Serve worker (the persistent-worker baseline). Last, through the agent at
# max_concurrent 4: a burst of POOL_ZONES CREATEs, one process per operation against workers = 4, with
# the simulator (DELAY_MS start-up, 20 ms per operation) and with real PowerShell (target: >= 10x).
# usage: bench/zoneops.sh [ZONES] [DELAY_MS] [RUNS] [POOL_ZONES]   (default 200 600 50 200; 0: skip that part)
# With real PowerShell the defaults take long (each start costs seconds): `bench/zoneops.sh 0 600 0` runs only
# the workers-against-one-process comparison (issue 12's benchmark: 200 CREATEs).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
zones=${1:-200} delay=${2:-600} runs=${3:-50} pool_zones=${4:-200}
bash scripts/setup.sh linux
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
work=$(mktemp -d /tmp/msdns-zoneops.XXXXXX)
if [ "$zones" -gt 0 ]; then
  echo "burst of $zones CREATEs for distinct zones, simulated PowerShell start-up ${delay} ms"
  echo "max_concurrent  drain s  ops/s   ideal ops/s  ratio  failed  peak RSS KiB"
fi
for mc in $([ "$zones" -gt 0 ] && echo 1 4 8); do
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

pwsh=${MSDNS_PWSH:-/var/tmp/msdns-pwsh/pwsh}
if [ ! -x "$pwsh" ]; then
  echo "*** real PowerShell not installed (scripts/setup.sh pwsh needs dotnet): its figures are skipped ***"
  exit 0
fi
pool_burst() {   # label powershell workers: a burst of pool_zones CREATEs through the agent at max_concurrent 4
  local label=$1 ps=$2 workers=$3 port line hwm pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$work/pool-state"; mkdir -p "$work/pool-state/windows/System32/dns"
  cat > "$work/pool.conf" <<EOC
[service:agent]
listen = 127.0.0.1:$port
masters = 192.0.2.1
backend_driver = msdns
[backend:agent:msdns]
powershell = $ps
script = $top/scripts/msdns-zone.ps1
operation_timeout = 600
max_concurrent = 4
max_queued = 10000
workers = $workers
EOC
  PSSIM_STATE=$work/pool-state SystemRoot=$work/pool-state/windows PSModulePath=$top/tests \
    POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off \
    build/src/msdns-agent --config-file "$work/pool.conf" 2>"$work/pool-$workers.log" & pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$work/pool-$workers.log" && break; sleep 0.05; done
  # warm-up, not timed: 4 DELETEs of absent zones, so the workers are ready (and the machine as warm) before the burst
  build/bench/loadgen --port "$port" -n 4 -c 4 --zones 4 --mix delete -t 3600 --timeout 3600 >/dev/null || true
  line=$(build/bench/loadgen --port "$port" -n "$pool_zones" -c "$pool_zones" --zones "$pool_zones" --mix create \
         -t 3600 --timeout 3600 || true)
  kill $pid; wait $pid 2>/dev/null || true
  python3 - "$label" "$workers" "$line" <<'PY'
import re, sys
label, workers, line = sys.argv[1], sys.argv[2], sys.argv[3]
f = dict(re.findall(r'(\w+)=([\d.]+)', line))
secs = float(f['seconds'])
print(f"{label:<12} workers={workers:<2} drain {secs:8.2f} s  {int(f['done']) / secs:7.2f} ops/s  failed {f['failed']}",
      file=sys.stderr, flush=True)
print(secs)
PY
}

pool_compare() {   # label powershell: one process per operation against workers = 4, same run
  local per work4
  per=$(pool_burst "$1" "$2" 0)   # the figures on stderr, the drain seconds on stdout
  work4=$(pool_burst "$1" "$2" 4)
  python3 -c "import sys; print(f'{sys.argv[1]:<12} workers=4 / one process per operation: {float(sys.argv[2]) / float(sys.argv[3]):.1f}x')" "$1" "$per" "$work4"
}

if [ "$pool_zones" -gt 0 ]; then
  echo
  echo "burst of $pool_zones CREATEs for distinct zones through the agent, max_concurrent 4"
  PSSIM_DELAY_MS=$delay PSSIM_OP_MS=20 pool_compare simulator "$top/build/tests/pssim"
fi

[ "$runs" -gt 0 ] && printf '\none operation (Create of a new zone), process start to exit, median of %s, sequential\n' "$runs"
[ "$runs" -gt 0 ] && PSModulePath=$top/tests POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off \
python3 - "$pwsh" "$top/build/tests/pssim" "$top/scripts/msdns-zone.ps1" "$work" "$runs" "$delay" <<'PY'
import os, statistics, subprocess, sys, time
pwsh, pssim, script, work, runs, delay = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
opts = ["-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", script]

def state(name):
    d = os.path.join(work, name)
    for sub in ("zones", "faults", "windows/System32/dns"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    env = dict(os.environ, PSSIM_STATE=d, SystemRoot=os.path.join(d, "windows"))
    return env

def per_process(prog, env, label):
    times, bad = [], 0
    for i in range(runs):
        t0 = time.monotonic()
        rc = subprocess.run([prog] + opts + ["-Operation", "Create", "-Zone", f"b{i}.example", "-Masters", "192.0.2.1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        times.append(time.monotonic() - t0)
        bad += rc != 0
    med = statistics.median(times)
    print(f"{label:<44} median {med * 1000:8.1f} ms  min {min(times) * 1000:8.1f}  max {max(times) * 1000:8.1f}  failed {bad}")
    return med

def in_worker(env):
    p = subprocess.Popen([pwsh] + opts + ["-Serve"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, bufsize=1)
    t0 = time.monotonic()
    assert p.stdout.readline().strip() == "msdns-ready 1"
    ready = time.monotonic() - t0
    times, bad = [], 0
    for i in range(runs):
        t0 = time.monotonic()
        p.stdin.write(f"{i + 1} Create w{i}.example 192.0.2.1 -\n")
        p.stdin.flush()
        while True:
            line = p.stdout.readline().split()
            if line[1] == "exit":
                bad += line[2] != "0"
                break
        times.append(time.monotonic() - t0)
    p.stdin.close()
    p.wait(60)
    med = statistics.median(times)
    print(f"{'real pwsh -Serve worker, per request':<44} median {med * 1000:8.1f} ms  min {min(times) * 1000:8.1f}  max {max(times) * 1000:8.1f}  failed {bad}  (ready after {ready * 1000:.0f} ms)")
    return med

sim = per_process(pssim, dict(state("sim"), PSSIM_DELAY_MS=delay), f"simulator (PSSIM_DELAY_MS={delay})")
real = per_process(pwsh, state("pwsh"), "real pwsh + script + DnsServer stand-in")
worker = in_worker(state("worker"))
print(f"real / simulator {real / sim:.2f}   one process per operation / in a worker {real / worker:.1f}x   load average {os.getloadavg()[0]:.1f}")
PY

[ "$pool_zones" -gt 0 ] && pool_compare "real pwsh" "$pwsh"
