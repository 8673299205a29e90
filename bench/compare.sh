#!/usr/bin/env bash
# The same bounded loopback load against this agent (fake backend) and Designate's own Python agent
# (Debian's python3-designate, fake backend), in one run; prints figures and the ratios. Then TSIG: signed
# requests (hmac-sha256, replies verified) against unsigned ones to this agent, same run.
# usage: bench/compare.sh [SECONDS_PER_RUN]   (default 5)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
secs=${1:-5}
bash scripts/setup.sh linux bench
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
work=$(mktemp -d /tmp/msdns-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# peak resident memory (VmHWM) of a process and its children, in KiB
tree_hwm() {
  local pids=$1 total=0 p
  pids="$pids $(ps -o pid= --ppid "$1" 2>/dev/null || true)"
  for p in $pids; do total=$(( total + $(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null || echo 0) )); done
  echo $total
}
wait_up() { for _ in $(seq 300); do build/src/msdns-agent-replay --port "$1" --timeout 0.2 create up.example >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

ours_port=$(free_port); py_port=$(free_port)
tsig_secret=$(head -c 32 /dev/urandom | base64)
printf '[service:agent]\nlisten = 127.0.0.1:%s\nbackend_driver = fake\ntsig_keys = bench.\n[tsigkey:bench.]\nalgorithm = hmac-sha256\nsecret = %s\n' \
  "$ours_port" "$tsig_secret" > "$work/ours.conf"
printf '[DEFAULT]\ndebug = false\n[service:agent]\nlisten = 127.0.0.1:%s\nbackend_driver = fake\nworkers = 1\n[heartbeat_emitter]\nemitter_type = noop\n' "$py_port" > "$work/py.conf"
build/src/msdns-agent --config-file "$work/ours.conf" 2>"$work/ours.log" & ours=$!
/usr/bin/python3 bench/run-designate-agent.py --config-file "$work/py.conf" >"$work/py.log" 2>&1 & py=$!
trap 'kill $ours $py 2>/dev/null || true' EXIT
wait_up "$ours_port" || { echo "our agent did not start"; cat "$work/ours.log"; exit 1; }
wait_up "$py_port" || { echo "Designate's agent did not start"; tail "$work/py.log"; exit 1; }

declare -A tput
echo "run                          agent       throughput/s    p50 ms    p99 ms  failed"
# "1s": one in flight with a busy-polling client, so the client's own wake-up is not in the figure
for transport in udp tcp; do
  for c in 64 1 1s; do
    flag=; [ $transport = tcp ] && flag=--tcp
    spin=; [ $c = 1s ] && spin=--spin
    for who in ours py; do
      port=$ours_port; [ $who = py ] && port=$py_port
      line=$(build/bench/loadgen $flag $spin --port "$port" -c "${c%s}" -n 2000000 -t "$secs" --timeout 5 --zones 500 || true)
      t=$(sed -n 's/.*throughput=\([0-9.]*\).*/\1/p' <<<"$line")
      p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$line"); p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$line")
      f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")
      tput[$transport-$c-$who]=$t
      printf '%-28s %-10s %12s %9s %9s %7s\n' "$transport, ${c%s} in flight${spin:+ (spin)}" "$([ $who = ours ] && echo msdns-agent || echo designate)" "$t" "$p50" "$p99" "$f"
    done
  done
done
# TSIG: the same load signed with hmac-sha256 (each reply verified by loadgen) against unsigned, this agent;
# also the agent's own CPU time per request (utime+stime), which other load on the machine does not skew
declare -A signed cpu_us
agent_ticks() { awk '{print $14+$15}' /proc/$ours/stat; }
hz=$(getconf CLK_TCK)
for transport in udp tcp; do
  flag=; [ $transport = tcp ] && flag=--tcp
  for tsig in no yes; do
    opt=(); [ $tsig = yes ] && opt=(--tsig "hmac-sha256:bench.:$tsig_secret")
    c0=$(agent_ticks)
    line=$(build/bench/loadgen $flag "${opt[@]}" --port "$ours_port" -c 64 -n 2000000 -t "$secs" --timeout 5 --zones 500 || true)
    c1=$(agent_ticks)
    t=$(sed -n 's/.*throughput=\([0-9.]*\).*/\1/p' <<<"$line")
    d=$(sed -n 's/.* done=\([0-9]*\).*/\1/p' <<<"$line")
    cpu_us[$transport-$tsig]=$(python3 -c "print(f'{($c1 - $c0) * 1e6 / $hz / max($d, 1):.1f}')")
    p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$line"); p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")
    signed[$transport-$tsig]=$t
    printf '%-28s %-10s %12s %9s %9s %7s   agent CPU %s us/request\n' \
      "$transport, 64 in flight, $([ $tsig = yes ] && echo signed || echo unsigned)" msdns-agent "$t" "$p50" "$p99" "$f" \
      "${cpu_us[$transport-$tsig]}"
  done
done

mo=$(tree_hwm $ours); mp=$(tree_hwm $py)
echo
echo "peak resident memory: msdns-agent ${mo} KiB, designate-agent ${mp} KiB"
python3 - "$mo" "$mp" "${tput[udp-64-ours]}" "${tput[udp-64-py]}" "${tput[udp-1-ours]}" "${tput[udp-1-py]}" \
  "${tput[udp-1s-ours]}" "${tput[udp-1s-py]}" "${tput[tcp-64-ours]}" "${tput[tcp-64-py]}" \
  "${tput[tcp-1-ours]}" "${tput[tcp-1-py]}" "${tput[tcp-1s-ours]}" "${tput[tcp-1s-py]}" <<'PY'
import sys
mo, mp, u64o, u64p, u1o, u1p, u1so, u1sp, t64o, t64p, t1o, t1p, t1so, t1sp = map(float, sys.argv[1:])
def ratio(a, b): return a / b if b else float('inf')
rows = [("throughput, UDP, 64 in flight", ratio(u64o, u64p), 30, ">="),
        ("throughput, UDP, 1 in flight", ratio(u1o, u1p), 10, ">="),
        ("throughput, UDP, 1 in flight (spin)", ratio(u1so, u1sp), 10, ">="),
        ("throughput, TCP, 64 in flight", ratio(t64o, t64p), 30, ">="),
        ("throughput, TCP, 1 in flight", ratio(t1o, t1p), 10, ">="),
        ("throughput, TCP, 1 in flight (spin)", ratio(t1so, t1sp), 10, ">="),
        ("resident memory (ours/theirs)", ratio(mo, mp), 1 / 20, "<=")]
print("\nratio to Designate's Python agent, same run:")
for name, r, target, op in rows:
    ok = r >= target if op == ">=" else r <= target
    print(f"  {name:38s} {r:10.2f}x   target {op} {target:g}x   {'met' if ok else 'MISSED'}")
PY
python3 - "${signed[udp-yes]}" "${signed[udp-no]}" "${signed[tcp-yes]}" "${signed[tcp-no]}" \
  "${cpu_us[udp-yes]}" "${cpu_us[udp-no]}" "${cpu_us[tcp-yes]}" "${cpu_us[tcp-no]}" <<'PY'
import sys
uy, un, ty, tn, cuy, cun, cty, ctn = map(float, sys.argv[1:])
print("\nTSIG (hmac-sha256): signed requests/s as a ratio to unsigned, this agent, same run:")
for name, r in (("UDP, 64 in flight", uy / un if un else 0), ("TCP, 64 in flight", ty / tn if tn else 0)):
    print(f"  {name:38s} {r:10.2f}x   target >= 0.8x   {'met' if r >= 0.8 else 'MISSED'}")
print("  the agent's CPU per request, unsigned/signed (requests per CPU-second, signed as a ratio):")
for name, a, b in (("UDP", cun, cuy), ("TCP", ctn, cty)):
    print(f"  {name:38s} {a / b if b else 0:10.2f}x   ({a} us unsigned, {b} us signed)")
PY
