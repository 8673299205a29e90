#!/usr/bin/env python3
"""The operators' endpoint against the agent binary: exact counters after a known sequence of requests,
promtool's check, a real Prometheus scraping it, /healthz following the PowerShell program, /status's
fields, and hostile HTTP that leaves DNS answers unaffected. Skips (77) without Debian's prometheus."""
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

AGENT = os.environ["MSDNS_AGENT"]
PSSIM = os.environ["MSDNS_PSSIM"]
SCRIPT = os.environ["MSDNS_SCRIPT"]
DEADLINE = time.monotonic() + 150
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u.bind(("127.0.0.1", port))
        return port


def wire_name(zone):
    out = b""
    for label in zone.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def message(flags, zone, qtype, qclass):
    return struct.pack("!HHHHHH", random.randrange(65536), flags, 1, 0, 0, 0) + wire_name(zone) + \
        struct.pack("!HH", qtype, qclass)


def udp(port, msg, timeout=5.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, ("127.0.0.1", port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def rcode(reply):
    return None if reply is None else reply[3] & 0x0F


def http(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def samples(text):
    """Sample lines as {name{labels}: value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def main():
    promtool = shutil.which("promtool")
    prometheus = shutil.which("prometheus")
    if not promtool or not prometheus:
        print("SKIP: Debian's prometheus package is not installed (scripts/setup.sh prometheus)")
        return 77
    work = tempfile.mkdtemp(prefix="msdns-metrics-")
    procs = []
    try:
        return run(work, procs, promtool, prometheus)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(work, ignore_errors=True)


def run(work, procs, promtool, prometheus):
    dns, mport = free_port(), free_port()
    ps = os.path.join(work, "powershell")
    shutil.copy(PSSIM, ps)
    os.chmod(ps, 0o755)
    conf = os.path.join(work, "agent.conf")
    with open(conf, "w") as f:
        f.write("[service:agent]\nlisten = 127.0.0.1:%d\nmasters = 192.0.2.1:53\nallow_notify = 127.0.0.1\n"
                "metrics_listen = 127.0.0.1:%d\n[backend:agent:msdns]\npowershell = %s\nscript = %s\n"
                "operation_timeout = 10\n[DEFAULT]\nstate_dir = %s\n"
                "[catalog:cat.example.]\nmasters = 127.0.0.1:%d\nrefresh = 1\n"
                % (dns, mport, ps, SCRIPT, os.path.join(work, "state"), free_port()))
    env = dict(os.environ, PSSIM_STATE=os.path.join(work, "dns"), PSSIM_DELAY_MS="20")
    log = open(os.path.join(work, "agent.log"), "w")
    agent = subprocess.Popen([AGENT, "--foreground", "--config-file", conf], stdout=log, stderr=log, env=env)
    procs.append(agent)
    for _ in range(100):
        try:
            if http(mport, "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)

    # a known sequence: 3 CREATE, 1 DELETE, NOTIFY for a present and an absent zone, a QUERY, junk
    for z in ("a.example", "b.example", "c.example"):
        check(rcode(udp(dns, message(0x7400, z, 65282, 65280))) == 0, "CREATE %s NOERROR" % z)
    check(rcode(udp(dns, message(0x7400, "c.example", 65283, 65280))) == 0, "DELETE NOERROR")
    check(rcode(udp(dns, message(0x2100, "a.example", 6, 1))) == 0, "NOTIFY present NOERROR")
    check(rcode(udp(dns, message(0x2100, "absent.example", 6, 1))) == 5, "NOTIFY absent REFUSED")
    check(rcode(udp(dns, message(0x0100, "a.example", 6, 1))) == 5, "QUERY REFUSED")
    for junk in (b"\x12", b"\x00" * 11):
        check(udp(dns, junk, timeout=0.3) is None, "junk %d octets: no reply" % len(junk))

    status, headers, text = http(mport, "/metrics")
    check(status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4"), "/metrics 200, 0.0.4")
    s = samples(text)
    want = {
        'msdns_agent_requests_total{opcode="CC",rcode="NOERROR"}': 4,
        'msdns_agent_requests_total{opcode="NOTIFY",rcode="NOERROR"}': 1,
        'msdns_agent_requests_total{opcode="NOTIFY",rcode="REFUSED"}': 1,
        'msdns_agent_requests_total{opcode="QUERY",rcode="REFUSED"}': 1,
        'msdns_agent_requests_total{opcode="CC",rcode="SERVFAIL"}': 0,
        'msdns_agent_requests_dropped_total{reason="malformed"}': 2,
        'msdns_agent_zone_operations_total{operation="Create",result="done"}': 3,
        'msdns_agent_zone_operations_total{operation="Delete",result="done"}': 1,
        'msdns_agent_zone_operations_total{operation="Refresh",result="done"}': 1,
        'msdns_agent_zone_operations_total{operation="Refresh",result="absent"}': 1,
        'msdns_agent_zone_operation_duration_seconds_count{operation="Create"}': 3,
        'msdns_agent_zone_operations_total{operation="List",result="done"}': 1,   # the catalog's drift check
        'msdns_agent_powershell_processes_total{event="started"}': 7,
        'msdns_agent_powershell_processes_total{event="killed_timeout"}': 0,
        'msdns_agent_queue_requests': 0,
        'msdns_agent_zone_operations_in_flight': 0,
        'msdns_agent_build_info{version="0.1.0"}': 1,
    }
    for k, v in want.items():
        check(s.get(k) == v, "%s == %s (got %s)" % (k, v, s.get(k)))
    check(s.get("msdns_agent_process_resident_memory_bytes", 0) > 1e6, "resident memory reported")
    check(s.get("msdns_agent_process_open_fds", 0) > 3, "open descriptors reported")
    check(abs(s.get("msdns_agent_process_start_time_seconds", 0) - time.time()) < 600, "start time reported")
    check(not any(z in k for k in s for z in ("a.example", "b.example", "c.example")), "no zone name as a label")

    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    check(r.returncode == 0, "promtool check metrics: %s" % (r.stdout + r.stderr).strip()[:300])

    # a real Prometheus scrapes it every second
    pport = free_port()
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: msdns\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % mport)
    plog = open(os.path.join(work, "prometheus.log"), "w")
    prom = subprocess.Popen([prometheus, "--config.file", os.path.join(work, "prometheus.yml"),
                             "--storage.tsdb.path", os.path.join(work, "tsdb"),
                             "--web.listen-address", "127.0.0.1:%d" % pport], stdout=plog, stderr=plog)
    procs.append(prom)
    query = 'msdns_agent_requests_total{opcode="CC",rcode="NOERROR"}'
    got = None
    while time.monotonic() < DEADLINE - 60 and got is None:
        time.sleep(0.5)
        try:
            st, _, body = http(pport, "/api/v1/query?query=" + urllib.request.quote(query))
        except OSError:
            continue
        res = json.loads(body).get("data", {}).get("result", []) if st == 200 else []
        if res:
            got = float(res[0]["value"][1])
    check(got == 4, "Prometheus scraped %s = 4 (got %s)" % (query, got))
    st, _, body = http(pport, "/api/v1/query?query=up")
    res = json.loads(body)["data"]["result"] if st == 200 else []
    check(bool(res) and res[0]["value"][1] == "1", "Prometheus sees the target up")
    prom.send_signal(signal.SIGTERM)
    prom.wait(10)

    # /healthz follows the PowerShell program
    check(http(mport, "/healthz")[:1] == (200,), "/healthz 200 while PowerShell is there")
    os.rename(ps, ps + ".away")
    st, _, body = http(mport, "/healthz")
    check(st == 503 and "powershell" in body and body.count("\n") == 1, "/healthz 503 with one line: %r" % body)
    os.rename(ps + ".away", ps)
    check(http(mport, "/healthz")[0] == 200, "/healthz 200 again once it is back")

    st, headers, body = http(mport, "/status")
    doc = json.loads(body)
    check(st == 200 and headers["Content-Type"] == "application/json", "/status 200 JSON")
    for field in ("version", "uptime_seconds", "start_time", "health", "listen", "backend", "queue", "catalogs"):
        check(field in doc, "/status has %s" % field)
    check(doc["listen"] == ["127.0.0.1:%d" % dns], "/status listen")
    check(doc["backend"]["driver"] == "msdns" and doc["backend"]["max_concurrent"] == 4, "/status backend")
    check(doc["queue"]["operations_started"] == 7, "/status operations started")
    cats = doc["catalogs"]
    check(len(cats) == 1 and cats[0]["name"] == "cat.example." and cats[0]["serial"] is None and
          cats[0]["members"] == 0 and cats[0]["broken"] is False and cats[0]["expired"] is False and
          cats[0]["seconds_since_success"] is None and "failed" in (cats[0]["last_error"] or ""),
          "/status: a catalog whose master does not answer: %s" % cats)
    s = samples(http(mport, "/metrics")[2])
    check(s.get('msdns_agent_catalog_members{catalog="cat.example."}') == 0 and
          s.get('msdns_agent_catalog_broken{catalog="cat.example."}') == 0 and
          s.get('msdns_agent_catalog_expired{catalog="cat.example."}') == 0,
          "/metrics: per-catalog gauges labelled with the catalog's name")

    replay = os.environ.get("MSDNS_REPLAY")
    if replay:
        r = subprocess.run([replay, "status", "--port", str(mport)], capture_output=True, text=True, timeout=20)
        check(r.returncode == 0 and "msdns" in r.stdout, "replay status prints the table: %s" % r.stdout[:200])

    check(http(mport, "/nope")[0] == 404, "404 elsewhere")
    check(http(mport, "/metrics", "POST")[0] == 405, "405 for POST")

    # hostile HTTP: 1,000 connections, trickled and huge headers, garbage; DNS stays answered
    conns = []
    for i in range(1000):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", mport))
        except BlockingIOError:
            pass
        conns.append(c)
    for i, c in enumerate(conns[:50]):
        try:
            c.send(b"GET /metrics HTTP/1.1\r\nX: " + (b"a" * 20000 if i % 2 else b"G"))
        except OSError:
            pass
    slow = []
    for i in range(5):
        z = "h%d.example" % i
        t0 = time.monotonic()
        reply = udp(dns, message(0x7400, z, 65282, 65280))
        slow.append(time.monotonic() - t0)
        check(rcode(reply) == 0, "CREATE %s answered under hostile HTTP" % z)
        for c in conns[50:60]:
            try:
                c.send(b"\x16\x03garbage\r\n")
            except OSError:
                pass
    check(max(slow) < 2.0, "DNS answers under hostile HTTP within 2 s (max %.3f s)" % max(slow))
    for c in conns:
        c.close()
    check(agent.poll() is None, "the agent still runs")

    agent.send_signal(signal.SIGTERM)
    check(agent.wait(20) == 0, "the agent stops cleanly")

    # persistent workers: the gauge of those alive, and their starts
    with open(conf) as f:
        text = f.read().replace("operation_timeout = 10\n", "operation_timeout = 10\nworkers = 2\n")
    with open(conf, "w") as f:
        f.write(text)
    agent = subprocess.Popen([AGENT, "--foreground", "--config-file", conf], stdout=log, stderr=log, env=env)
    procs.append(agent)
    s = {}
    for _ in range(200):
        try:
            s = samples(http(mport, "/metrics")[2])
            if s.get("msdns_agent_powershell_workers") == 2:
                break
        except OSError:
            pass
        time.sleep(0.05)
    check(s.get("msdns_agent_powershell_workers") == 2, "2 workers alive (got %s)" % s.get("msdns_agent_powershell_workers"))
    check(rcode(udp(dns, message(0x7400, "w.example", 65282, 65280))) == 0, "CREATE through a worker")
    s = samples(http(mport, "/metrics")[2])
    check(s.get('msdns_agent_powershell_processes_total{event="started"}') == 2,
          "workers started 2, and no process per operation (got %s)" % s.get('msdns_agent_powershell_processes_total{event="started"}'))
    check(json.loads(http(mport, "/status")[2])["backend"].get("workers_alive") == 2, "/status workers_alive")
    agent.send_signal(signal.SIGTERM)
    check(agent.wait(20) == 0, "the agent with workers stops cleanly")
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
