#!/usr/bin/env bash
# With few descriptors (RLIMIT_NOFILE 48), the agent keeps a reserve and pauses accept instead of
# failing: the third TCP connection waits in the backlog and is served once another one closes.
# usage: fd-limit.sh AGENT   (POSIX)
set -euo pipefail
agent=$1
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[service:agent]\nlisten = 127.0.0.1:%s\nbackend_driver = fake\ntcp_max_connections = 1000\ntcp_recv_timeout = 30\n' \
  "$port" > "$work/agent.conf"
prlimit --nofile=48 "$agent" --config-file "$work/agent.conf" 2>"$work/agent.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$work/agent.log" && break; sleep 0.05; done
python3 - "$port" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
q = bytes.fromhex("735d70000001000000000000076578616d706c6503636f6d00ff02ff00")
def ask(s, timeout):
    s.settimeout(timeout)
    s.sendall(struct.pack("!H", len(q)) + q)
    try:
        return len(s.recv(512)) > 2
    except socket.timeout:
        return False
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
served = [ask(c, 1.0) for c in conns]
assert served[:2] == [True, True], served
assert served[2] is False, "the third connection was accepted beyond the descriptor budget"
conns[0].close()
conns[2].settimeout(5)
data = conns[2].recv(512)          # its question, sent above, is answered once accepted
assert len(data) > 2, "the waiting connection was never served"
print("ok: 2 served, the third waited and was served after one closed")
PY
grep -q 'tcp_max_connections lowered to 2' "$work/agent.log" || { echo "FAIL: no log line about the lowered cap"; cat "$work/agent.log"; exit 1; }
echo "2 passed, 0 failed"
