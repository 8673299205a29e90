#!/usr/bin/env bash
# Catalog zones at scale, with tests/catz-producer.py (Designate's catalog) on loopback:
#  1. a catalog of MEMBERS (default 100,000) members: time to transfer it (xfr), hand it over as a
#     record set and interpret it (RFC 9432), wall and CPU, and the peak RSS (bench/catalog-xfr, the
#     agent's own code; best of 3 runs); targets: interpret < 1 s, < 64 MiB;
#  2. the agent consuming an empty catalog, then NEW (default 10,000) members added at once (one NOTIFY):
#     the time until the simulator (tests/pssim, DELAY_MS per operation) has created all of them at
#     max_concurrent 4, the ratio to the ideal max_concurrent / per-operation time (target >= 0.95),
#     and the agent's peak RSS.
# usage: bench/catalog.sh [MEMBERS] [NEW] [DELAY_MS]   (default 100000 10000 50)
# (MSDNS_AGENT_BIN / MSDNS_PSSIM_BIN: other agent and simulator binaries)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
members=${1:-100000} new=${2:-10000} delay=${3:-50}
mc=4
agent=${MSDNS_AGENT_BIN:-build/src/msdns-agent} pssim=${MSDNS_PSSIM_BIN:-$top/build/tests/pssim}
bash scripts/setup.sh linux
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
work=$(mktemp -d /tmp/msdns-catalog-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ctl() {   # control port, command -> answer line
  exec 3<>"/dev/tcp/127.0.0.1/$1"; echo "$2" >&3; read -r line <&3; exec 3<&-; echo "$line"
}
producer() {   # dns port, control port, extra args...
  local port=$1 cport=$2; shift 2
  python3 tests/catz-producer.py --zone bench.catalog. --port "$port" --control-port "$cport" "$@" \
    2>>"$work/producer.log" & pids+=($!)
  for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$cport") 2>/dev/null && return 0; sleep 0.1; done
  echo "producer did not start"; cat "$work/producer.log"; exit 1
}

if [ "$members" -gt 0 ]; then
echo "== 1. transfer and interpret a catalog of $members members (best of 3; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
port=$(freeport) cport=$(freeport)
producer "$port" "$cport" --members "$members"
build/bench/catalog-xfr 127.0.0.1 "$port" bench.catalog. >/dev/null   # the producer builds its answer once
best= peak=0
for _ in 1 2 3; do   # a fresh process each run: its VmHWM is that run's peak; the worst of the 3 is reported
  line=$(build/bench/catalog-xfr 127.0.0.1 "$port" bench.catalog.)
  p=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' <<<"$line")
  [ "$p" -gt "$peak" ] && peak=$p
  cpu=$(sed -n 's/.*total_cpu_ms=\([0-9]*\).*/\1/p' <<<"$line")
  if [ -z "$best" ] || [ "$cpu" -lt "$(sed -n 's/.*total_cpu_ms=\([0-9]*\).*/\1/p' <<<"$best")" ]; then best=$line; fi
done
python3 - "$best" "$peak" <<'PY'
import re, sys
f = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', sys.argv[1])}
f['peak_rss_kib'] = int(sys.argv[2])
print(f"records {f['records']}, members {f['members']}")
print("phase        wall ms   CPU ms")
for k in ('transfer', 'handover', 'interpret', 'total'):
    print(f"{k:<10} {f[k + '_ms']:>9} {f[k + '_cpu_ms']:>8}")
print(f"RSS after transfer {f['rss_after_transfer_kib']} KiB, after hand-over {f['rss_after_handover_kib']} KiB, "
      f"after interpret {f['rss_after_interpret_kib']} KiB (best run); peak (VmHWM, worst of 3) {f['peak_rss_kib']} KiB "
      f"({f['peak_rss_kib'] / 1024:.1f} MiB; target < 64 MiB)")
print(f"hand-over + interpret: {f['handover_cpu_ms'] + f['interpret_cpu_ms']} ms CPU (target < 1000)")
PY
# 1b. the agent's real path on the same catalog: transfer, interpretation, the state (members written),
#     the plan of $members Creates and the first of them (simulator, $delay ms each), then stopped
mkdir -p "$work/state1" "$work/pssim1"
aport=$(freeport)
cat > "$work/agent1.conf" <<EOC
[DEFAULT]
state_dir = $work/state1
[service:agent]
listen = 127.0.0.1:$aport
masters = 127.0.0.1
backend_driver = msdns
[backend:agent:msdns]
powershell = $pssim
script = $top/scripts/msdns-zone.ps1
max_concurrent = $mc
max_queued = 1000
[catalog:bench.catalog.]
masters = 127.0.0.1:$port
max_deletions = 0
EOC
PSSIM_STATE=$work/pssim1 PSSIM_DELAY_MS=$delay "$agent" --config-file "$work/agent1.conf" 2>"$work/agent1.log" & apid=$!
pids+=($apid)
for _ in $(seq 1200); do grep -q 'zones to create' "$work/agent1.log" && break; sleep 0.1; done
grep -q 'zones to create' "$work/agent1.log" || { echo "the agent did not plan the catalog"; tail -5 "$work/agent1.log"; exit 1; }
sleep 3
echo "agent (real path: transfer, interpret, state written, $members Creates planned, the first $(find "$work/pssim1/zones" -type f | wc -l) done):" \
  "peak RSS (VmHWM) $(awk '/VmHWM/{print $2}' /proc/$apid/status) KiB, now $(awk '/VmRSS/{print $2}' /proc/$apid/status) KiB (target < 64 MiB = 65536 KiB)"
kill "$apid"; wait "$apid" 2>/dev/null || true
ctl "$cport" quit >/dev/null || true
fi

[ "$new" -gt 0 ] || exit 0
echo "== 2. the agent reconciles $new new members through the simulator (${delay} ms per operation, max_concurrent $mc; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
# 2a. what the backend alone can do: the same $new Creates (the agent's command line, the same simulator and
#     state layout) started $mc at a time by xargs, no agent: its capacity, measured in this run
mkdir -p "$work/alone"
t0=$EPOCHREALTIME
seq 0 $((new - 1)) | PSSIM_STATE=$work/alone PSSIM_DELAY_MS=$delay xargs -P "$mc" -I{} "$pssim" -NoLogo -NoProfile \
  -NonInteractive -ExecutionPolicy Bypass -File "$top/scripts/msdns-zone.ps1" -Operation Create -Zone n{}.bench.example \
  -Masters 127.0.0.1 -NoConverge >/dev/null
t1=$EPOCHREALTIME
alone_n=$(find "$work/alone/zones" -type f | wc -l)
[ "$alone_n" -eq "$new" ] || { echo "the simulator alone created $alone_n of $new"; exit 1; }
alone_secs=$(python3 -c "print($t1 - $t0)")
echo "backend alone (xargs -P $mc): $new Creates in $(printf %.1f "$alone_secs") s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
# 2b. the agent consuming the catalog
port=$(freeport) cport=$(freeport) aport=$(freeport)
producer "$port" "$cport" --serial 1 --serial-lag 1 --notify "127.0.0.1:$aport" --notify-tries 3
mkdir -p "$work/state" "$work/pssim"
cat > "$work/agent.conf" <<EOC
[DEFAULT]
state_dir = $work/state
[service:agent]
listen = 127.0.0.1:$aport
masters = 127.0.0.1
allow_notify = 127.0.0.1
backend_driver = msdns
[backend:agent:msdns]
powershell = $pssim
script = $top/scripts/msdns-zone.ps1
operation_timeout = 60
max_concurrent = $mc
max_queued = 1000
[catalog:bench.catalog.]
masters = 127.0.0.1:$port
max_deletions = 0
EOC
export PSSIM_STATE=$work/pssim PSSIM_DELAY_MS=$delay
"$agent" --config-file "$work/agent.conf" 2>"$work/agent.log" & apid=$!; pids+=($apid)
for _ in $(seq 300); do grep -q 'bench.catalog: serial 1: 0 members' "$work/agent.log" && break; sleep 0.1; done
grep -q 'bench.catalog: serial 1: 0 members' "$work/agent.log" || { echo "the agent did not take the catalog"; tail -20 "$work/agent.log"; exit 1; }
cpu0=$(awk '{print $14 + $15}' /proc/$apid/stat)
t0=$EPOCHREALTIME
SECONDS=0
ctl "$cport" "bulk $new 0 n%d.bench.example" >/dev/null
limit=$(( new * delay / 1000 / mc * 3 + 120 ))
while :; do
  n=$(find "$work/pssim/zones" -type f 2>/dev/null | wc -l)
  [ "$n" -ge "$new" ] && break
  if [ "$SECONDS" -gt "$limit" ]; then
    echo "only $n of $new created after ${limit} s"; tail -5 "$work/agent.log"; exit 1
  fi
  sleep 0.2
done
t1=$EPOCHREALTIME
hwm=$(awk '/VmHWM/{print $2}' /proc/$apid/status)
cpu1=$(awk '{print $14 + $15}' /proc/$apid/stat)
python3 - "$t0" "$t1" "$new" "$mc" "$delay" "$hwm" "$alone_secs" "$work/pssim/calls.log" "$work/alone/calls.log" "$(cut -d' ' -f1-3 /proc/loadavg)" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'PY'
import sys
t0, t1, new, mc, delay, hwm, alone = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5]), sys.argv[6], float(sys.argv[7])
agent_cpu_ms = int(sys.argv[11]) * 1000 / int(sys.argv[12])
def ops(path):   # [(start ms, end ms)] of each Create, from the simulator's calls.log (monotonic clock)
    st, out = {}, []
    for line in open(path):
        f = line.split()
        if len(f) < 6 or f[1] != 'Create':
            continue
        pid, t = f[4], int(f[5][2:])
        if f[0] == 'start':
            st[pid] = t
        elif f[0] == 'end' and pid in st:
            out.append((st.pop(pid), t))
    return sorted(out)
def gap(o):   # mean time per slot between one Create's end and the next one's start (spawn, exec, delay)
    ends = sorted(e for _, e in o)
    starts = sorted(s for s, _ in o)
    g = sorted(s - e for s, e in zip(starts[mc:], ends[:len(ends) - mc]))
    return f"mean {sum(g) / len(g):.1f} median {g[len(g) // 2]} p99 {g[len(g) * 99 // 100]} max {g[-1]}" if g else "-"
agent, bare = ops(sys.argv[8]), ops(sys.argv[9])
secs = t1 - t0
ideal = mc / (delay / 1000)
rate, cap = new / secs, new / alone
print(f"{new} members created in {secs:.1f} s (from the producer's change to the last zone): {rate:.1f} ops/s; "
      f"agent peak RSS {hwm} KiB, CPU {agent_cpu_ms / new:.2f} ms/op; machine load now {sys.argv[10]}")
if agent:
    first, last = agent[0][0], max(e for _, e in agent)
    busy = sum(e - s for s, e in agent) / 1000
    print(f"  first to last Create (simulator's clock): {(last - first) / 1000:.1f} s; time in the simulator after its "
          f"start-up delay {busy / len(agent) * 1000:.1f} ms/op; end to the next start per slot (ms): agent {gap(agent)}, "
          f"alone {gap(bare)}")
print(f"ratio to the measured backend capacity ({cap:.1f} ops/s, xargs -P {mc}): {rate / cap:.3f} (target >= 0.95)")
print(f"ratio to the nominal ideal ({ideal:.1f} ops/s = max_concurrent / {delay} ms): {rate / ideal:.3f} "
      f"(the backend alone reaches {cap / ideal:.3f} of it)")
PY
