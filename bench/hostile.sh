#!/usr/bin/env bash
# Hostile load against the agent on loopback, bounded in time (about a minute): the answered fraction
# of long TCP pipelines (and after a half-close), a fresh TCP CREATE's latency while 256 slow clients
# trickle messages, the amplification factor for sources outside allow_notify, the peak RSS under a
# flood of CREATEs for 1,000 zones whose operations hang, and the log octets per 100,000 junk datagrams.
# usage: bench/hostile.sh [AGENT]   (default build/src/msdns-agent; give another build's to compare)
#        HOSTILE_ONLY=25 bench/hostile.sh   runs only attacks 2 and 5
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
if [ $# -ge 1 ]; then agent=$(readlink -f "$1"); else
  [ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
  ninja -C build >/dev/null
  agent=$top/build/src/msdns-agent
fi
pssim=$top/build/tests/pssim
[ -x "$pssim" ] || { [ -f build/build.ninja ] || meson setup build >/dev/null; ninja -C build tests/pssim >/dev/null; }
work=$(mktemp -d /tmp/msdns-hostile.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start NAME EXTRA...: the agent on a free port with [service:agent] lines EXTRA; sets $port, $pid, $log
start() {
  local name=$1; shift
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log=$work/$name.log
  { printf '[service:agent]\nlisten = 127.0.0.1:%s\n' "$port"; printf '%s\n' "$@"; } > "$work/$name.conf"
  "$agent" --foreground --config-file "$work/$name.conf" > "$log" 2>&1 & pid=$!
  pids+=("$pid"); disown "$pid"
  for _ in $(seq 200); do grep -q 'listening on' "$log" && return 0; sleep 0.05; done
  echo "agent did not start: $(cat "$log")" >&2; exit 1
}
finish() { kill "$pid" 2>/dev/null || true; for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$pid" 2>/dev/null || true; }

drive() { timeout 120 python3 "$work/drive.py" "$@"; }
cat > "$work/drive.py" <<'PY'
import os, select, socket, struct, sys, time

def name(text):
    return b''.join(bytes([len(l)]) + l.encode() for l in text.split('.')) + b'\0'

def msg(i, kind='create', zone='z.example'):
    if kind == 'create':
        return struct.pack('>HHHHHH', i & 0xffff, 0x7000, 1, 0, 0, 0) + name(zone) + struct.pack('>HH', 65282, 65280)
    return struct.pack('>HHHHHH', i & 0xffff, 0x0100, 1, 0, 0, 0) + name(zone) + struct.pack('>HH', 6, 1)

def pipeline(port, n, half_close):
    """n pipelined requests (CREATEs and QUERYs) on one connection; the fraction answered in order."""
    data = b''.join(struct.pack('>H', len(m)) + m for m in
                    (msg(i, 'create' if i % 3 else 'query', 'z%d.example' % (i % 37)) for i in range(n)))
    s = socket.create_connection(('127.0.0.1', port))
    s.setblocking(False)
    sent, buf, got, deadline = 0, b'', 0, time.time() + 60
    while got < n and time.time() < deadline:
        w = [s] if sent < len(data) else []
        r, w, _ = select.select([s], w, [], 5)
        if not r and not w:
            break
        if w:
            sent += s.send(data[sent:sent + 65536])
            if sent == len(data) and half_close:
                s.shutdown(socket.SHUT_WR)
        if r:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack('>H', buf[:2])[0]:
                l = struct.unpack('>H', buf[:2])[0]
                if struct.unpack('>H', buf[2:4])[0] != got & 0xffff:
                    return got / n
                got += 1
                buf = buf[2 + l:]
    s.close()
    return got / n

def slowloris(port, seconds=8, n=256):
    """n slow clients (a 65,535-octet message, one octet every 0.4 s, reconnecting when closed); fresh
    TCP CREATEs from 127.0.0.2 meanwhile: their latencies in ms (None: not answered within 5 s)."""
    def open_one():
        c = socket.socket(); c.settimeout(0.2)
        try:
            c.connect(('127.0.0.1', port)); c.setblocking(False)
            return [c, False]
        except OSError:
            c.close()
            return None
    slow = [open_one() for _ in range(n)]
    lat, t_end, next_tick, next_fresh, fresh = [], time.time() + seconds, 0, time.time() + 1, None
    while time.time() < t_end:
        now = time.time()
        if now >= next_tick:
            next_tick = now + 0.4
            for k, c in enumerate(slow):
                try:
                    if c is None:
                        raise OSError
                    c[0].send(b'\xff\xff' if not c[1] else b'x'); c[1] = True
                except BlockingIOError:
                    pass
                except OSError:
                    if c: c[0].close()
                    slow[k] = open_one()
        if fresh is None and now >= next_fresh:
            t0 = time.time()
            try:
                f = socket.socket(); f.settimeout(2); f.bind(('127.0.0.2', 0)); f.connect(('127.0.0.1', port))
                m = msg(0x4242, 'create', 'fresh.example'); f.sendall(struct.pack('>H', len(m)) + m)
                f.setblocking(False); fresh = (f, t0)
            except OSError:
                f.close(); lat.append(None); next_fresh = time.time() + 0.5
        if fresh is not None:
            f, t0 = fresh
            try:
                r = f.recv(600)
                lat.append((time.time() - t0) * 1000 if len(r) >= 4 else None); done = True
            except BlockingIOError:
                done = time.time() - t0 > 5
                if done:
                    lat.append(None)
            except OSError:
                lat.append(None); done = True
            if done:
                f.close(); fresh = None; next_fresh = time.time() + 0.5
        time.sleep(0.02)
    for c in slow:
        if c: c[0].close()
    return lat

def amplification(port):
    """largest reply / request over crafted REFUSED requests from a source outside allow_notify."""
    q1 = struct.pack('>HHHHHH', 0x12, 0x0100, 16, 0, 0, 0)
    q1 += b''.join(bytes([l]) + bytes([97 + k]) * l for k, l in enumerate((63, 63, 63, 61))) + b'\0' + struct.pack('>HH', 1, 1)
    q1 += (b'\xc0\x0c' + struct.pack('>HH', 1, 1)) * 15
    q2 = b'\x01x' + struct.pack('>HHHHH', 0, 16, 0, 0, 0) + (b'\xc0\x00' + struct.pack('>HH', 1, 1)) * 16
    worst = 0
    for q in (q1, q2, msg(1, 'query', 'example.com')):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.sendto(q, ('127.0.0.1', port))
        try:
            r = s.recv(9000); worst = max(worst, len(r) / len(q))
        except socket.timeout:
            pass
        s.close()
    return worst

def flood(port, pid, n=260000, zones=1000):
    """n CREATE datagrams for zones zones, paced so they arrive; peak RSS (KiB) and SERVFAIL answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    servfail = peak = 0
    def rss():
        with open('/proc/%d/status' % pid) as f:
            return max(int(l.split()[1]) for l in f if l.startswith(('VmRSS', 'VmHWM')))
    for i in range(n):
        s.sendto(msg(i, 'create', 'flood%d.example' % (i % zones)), ('127.0.0.1', port))
        if i % 200 == 199:
            time.sleep(0.002)
            try:
                while True:
                    r = s.recv(600); servfail += (r[3] & 15) == 2
            except BlockingIOError:
                pass
        if i % 20000 == 0:
            peak = max(peak, rss())
    time.sleep(0.5)
    return max(peak, rss()), servfail

def junk(port, n=100000):
    """n junk datagrams: unparsable, refused (not allowed), oversized, in turn."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    kinds = [b'\x01\x02\x03', msg(7, 'create', 'junk.example'), b'\0' * 9000]
    for i in range(n):
        s.sendto(kinds[i % 3], ('127.0.0.1', port))
        if i % 100 == 99:
            time.sleep(0.001)

what, port = sys.argv[1], int(sys.argv[2])
if what == 'pipeline':
    for n, hc in ((65, False), (1000, False), (100000, False), (60, True), (3000, True)):
        print('  %7d requests%s: answered in order %.4f' % (n, ' then half-close' if hc else '', pipeline(port, n, hc)))
elif what == 'slowloris':
    lat = slowloris(port)
    ok = sorted(l for l in lat if l is not None)
    print('  fresh TCP CREATEs from 127.0.0.2 under 256 slow clients: %d/%d answered; median %s ms, max %s ms' % (
        len(ok), len(lat), '%.1f' % ok[len(ok) // 2] if ok else '-', '%.1f' % ok[-1] if ok else '-'))
elif what == 'amplification':
    print('  largest reply/request from a source outside allow_notify: %.2f' % amplification(port))
elif what == 'flood':
    peak, sf = flood(port, int(sys.argv[3]))
    print('  260,000 CREATEs for 1,000 hung zones: peak RSS %d KiB; %d answered SERVFAIL at once' % (peak, sf))
elif what == 'junk':
    junk(port)
PY

only=${HOSTILE_ONLY:-12345}
echo "agent: $agent"
if [[ $only == *1* ]]; then
echo "1. pipelines (fake backend)"
start pipe 'backend_driver = fake' 'allow_notify = 127.0.0.1' 'tcp_recv_timeout = 5'
drive pipeline "$port"; finish

fi
if [[ $only == *2* ]]; then
echo "2. slowloris (fake backend, defaults: tcp_recv_timeout 0.5 s, tcp_max_connections 256)"
start slow 'backend_driver = fake'
drive slowloris "$port"; finish

fi
if [[ $only == *3* ]]; then
echo "3. amplification (allow_notify = 192.0.2.1; we send from 127.0.0.1)"
start amp 'backend_driver = fake' 'allow_notify = 192.0.2.1'
drive amplification "$port"; finish

fi
if [[ $only == *4* ]]; then
echo "4. memory under a flood (msdns backend, the simulator hangs every operation)"
mkdir -p "$work/state"
PSSIM_STATE=$work/state PSSIM_FAULT=hang start flood 'backend_driver = msdns' 'masters = 192.0.2.1' \
  'allow_notify = 127.0.0.1' '[backend:agent:msdns]' "powershell = $pssim" "script = $top/scripts/msdns-zone.ps1" \
  'operation_timeout = 30' 'max_concurrent = 2'
drive flood "$port" "$pid"; finish

fi
if [[ $only == *5* ]]; then
echo "5. log octets per 100,000 junk datagrams (unparsable, refused, oversized in turn)"
start junk 'backend_driver = fake' 'allow_notify = 192.0.2.1'
before=$(stat -c %s "$log"); drive junk "$port"; sleep 1.2
drive amplification "$port" >/dev/null   # one more line in a later second writes the counts
sleep 0.3; after=$(stat -c %s "$log"); finish
echo "  $((after - before)) octets of log"
fi
rm -rf "$work"
