"""Test harness: a real Designate (2022.2 on the host, 2025.1 in the trixie chroot) and msdns-agent on loopback.

Host side only, standard library only. Everything started here gets its own session (process
group) and is stopped by that PID; every wait is bounded. The chroot's /proc is mounted in a
private mount namespace (unshare), so it disappears with the process even if a run dies.
"""
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ROOT = os.environ.get('MSDNS_DESIGNATE_ROOT', '/var/tmp/msdns-designate')
CHROOT = os.path.join(ROOT, 'trixie')
HOST_PASTE = os.path.join(ROOT, 'bookworm', 'api-paste.ini')
CHROOT_PASTE = '/opt/msdns-designate/api-paste.ini'
ANSI = re.compile(r'\x1b\[[0-9;]*m')

T0 = time.monotonic()

# MSDNS_DESIGNATE_PWSH=1 (the *-pwsh suites): real PowerShell 7 (MSDNS_PWSH) runs scripts/msdns-zone.ps1
# against the DnsServer stand-in module (tests/DnsServer, found through PSModulePath), carried by
# MSDNS_DESIGNATE_WORKERS persistent workers (default 4); otherwise the simulator (tests/pssim.c).
PWSH = os.environ.get('MSDNS_DESIGNATE_PWSH') == '1'
WORKERS = int(os.environ.get('MSDNS_DESIGNATE_WORKERS', '4')) if PWSH else 0
BACKEND = ('real PowerShell + DnsServer stand-in, %d persistent workers' % WORKERS) if PWSH else 'the simulator (pssim)'


def say(msg):
    """One progress line on stderr, with the seconds since the test started."""
    print('[%6.1fs] %s' % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


def skip(why, hint='run: bash scripts/setup.sh designate'):
    """Exit 77 (meson: skipped) with one loud line."""
    print('*** SKIPPED: %s (%s) ***' % (why, hint), file=sys.stderr, flush=True)
    sys.exit(77)


def require(gen):
    """Skip unless this generation's Designate and the agent build are present."""
    for var in ('MSDNS_AGENT', 'MSDNS_PSSIM', 'MSDNS_SCRIPT'):
        if not os.environ.get(var):
            skip('%s is not set (run through meson test)' % var)
    if PWSH:
        pwsh = os.environ.get('MSDNS_PWSH')
        if not pwsh or not os.access(pwsh, os.X_OK):
            skip('real PowerShell (pwsh) is not installed', 'run: bash scripts/setup.sh pwsh')
        if not os.path.isfile(os.path.join(TOP, 'tests', 'DnsServer', 'DnsServer.psd1')):
            skip('the DnsServer stand-in module (tests/DnsServer) is missing', 'tests/DnsServer')
    if os.geteuid() != 0 and gen == '2025.1':
        skip('the 2025.1 suite needs root (chroot, unshare)')
    if gen == '2022.2':
        if not os.path.isdir('/usr/lib/python3/dist-packages/designate') or not os.path.isfile(HOST_PASTE):
            skip('Designate 2022.2 (python3-designate on the host) is not installed')
    else:
        if not os.path.isfile(os.path.join(CHROOT, '.msdns-designate-ready')):
            skip('the Designate 2025.1 chroot %s is missing' % CHROOT)
        if not shutil.which('unshare'):
            skip('unshare (util-linux) is missing')


def require_catalog_consumer(agent):
    """Skip unless this agent build consumes catalogs (its log names module msdns_agent.catalog once
    started with a [catalog:NAME] section) and the simulator plays -Operation List and -NoConverge."""
    end = time.monotonic() + 10
    while 'msdns_agent.catalog' not in agent.text() and time.monotonic() < end:
        time.sleep(0.1)
    if 'msdns_agent.catalog' not in agent.text():
        agent.stop()
        skip('this msdns-agent does not consume catalog zones yet (no msdns_agent.catalog line at start)',
             'the catalog consumer, issue 10')
    with tempfile.TemporaryDirectory() as st:
        r = subprocess.run([os.environ['MSDNS_PSSIM'], '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy',
                            'Bypass', '-File', os.environ['MSDNS_SCRIPT'], '-Operation', 'Create', '-Zone', 'x.example',
                            '-Masters', '192.0.2.1', '-NoConverge'], env=dict(os.environ, PSSIM_STATE=st),
                           capture_output=True, timeout=30)
    if r.returncode != 0:
        agent.stop()
        skip('the PowerShell simulator does not take -NoConverge yet (exit %d)' % r.returncode, 'tests/pssim.c')


def check(cond, what):
    """Fail the test with a message unless cond holds."""
    if not cond:
        raise AssertionError(what)
    say('ok: ' + what)


def wait_for(pred, timeout, what, interval=0.1):
    """Poll pred() until it returns something true; return it, or fail after timeout seconds."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


_taken = set()


def free_port():
    """A loopback port free for both TCP and UDP right now."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(('127.0.0.1', port))
        except OSError:
            continue
        finally:
            u.close()
            s.close()
        if port not in _taken:
            _taken.add(port)
            return port
    raise RuntimeError('no free port')


_procs = []


class Proc:
    """A child in its own session, output to a log file, stopped by its PID (process group)."""

    def __init__(self, argv, log, env=None, cwd=None):
        self.log = log
        with open(log, 'ab') as f:
            self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                      env=env, cwd=cwd, start_new_session=True)
        self.pid = self.p.pid
        _procs.append(self)

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM the group, SIGKILL after grace seconds; returns the exit status."""
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)   # whatever is left of the group
        except ProcessLookupError:
            pass
        return self.p.wait(10)

    def text(self):
        with open(self.log, 'rb') as f:
            return ANSI.sub('', f.read().decode('utf-8', 'replace'))

    def tail(self, n=60):
        return '\n'.join(self.text().splitlines()[-n:])


def render(template_name, **values):
    """A pools.yaml from tests/designate/<template_name> with ${name} placeholders filled."""
    with open(os.path.join(HERE, template_name)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace('${%s}' % k, str(v))
    left = re.findall(r'\$\{\w+\}', text)
    if left:
        raise ValueError('unfilled placeholders %s in %s' % (left, template_name))
    return text


README_DEFAULTS = {'mdns_port': 5354, 'agent_port': 5358, 'catalog': 'catalog.example.'}


def check_readme(template_name):
    """The README's pools.yaml for this generation is the template filled with the README's values."""
    with open(os.path.join(TOP, 'README.md')) as f:
        readme = f.read()
    want = render(template_name, **README_DEFAULTS).strip('\n')
    blocks = re.findall(r'```yaml\n(.*?)```', readme, re.S)
    check(any(b.strip('\n') == want for b in blocks),
          "README's \"Running under Designate\" shows tests/designate/%s as the tests use it" % template_name)


class Designate:
    """One Designate generation in one process (aio.py): central, worker, mDNS, producer, API."""

    def __init__(self, gen, work, pools_template, **values):
        self.gen = gen
        self.mdns_port = free_port()
        self.api_port = free_port()
        values.setdefault('mdns_port', self.mdns_port)
        self.pools = render(pools_template, **values)
        if gen == '2025.1':
            os.makedirs(os.path.join(CHROOT, 'tmp'), exist_ok=True)
            self.dir = tempfile.mkdtemp(prefix='msdns-designate-', dir=os.path.join(CHROOT, 'tmp'))
            os.chmod(self.dir, 0o755)
            self.inside = '/tmp/' + os.path.basename(self.dir)   # the same directory seen from the chroot
            paste = CHROOT_PASTE
        else:
            self.dir = os.path.join(work, 'designate')
            os.makedirs(self.dir, exist_ok=True)
            self.inside = self.dir
            paste = HOST_PASTE
        self.log = os.path.join(work, 'designate-%s.log' % gen)
        shutil.copy(os.path.join(HERE, 'aio.py'), os.path.join(self.dir, 'aio.py'))
        with open(os.path.join(self.dir, 'pools.yaml'), 'w') as f:
            f.write(self.pools)
        with open(os.path.join(self.dir, 'designate.conf'), 'w') as f:
            f.write(self.conf(paste))
        self.proc = None
        self.api = Api('http://127.0.0.1:%d' % self.api_port)

    def conf(self, paste):
        d = self.inside
        return f"""[DEFAULT]
debug = True
transport_url = fake:/
quota_zones = 10000
state_path = {d}
[oslo_concurrency]
lock_path = {d}/lock
[storage:sqlalchemy]
connection = sqlite:///{d}/designate.sqlite
[service:mdns]
listen = 127.0.0.1:{self.mdns_port}
[service:api]
listen = 127.0.0.1:{self.api_port}
auth_strategy = noauth
api_paste_config = {paste}
enable_api_admin = True
[service:worker]
poll_delay = 0
poll_retry_interval = 1
poll_max_retries = 5
poll_timeout = 10
[producer_task:increment_serial]
interval = 1
[producer_task:periodic_exists]
interval = 3600
[producer_task:worker_periodic_recovery]
interval = 3600
"""

    def argv(self, *args):
        py = [os.path.join(self.inside, 'aio.py'), '--config-file', os.path.join(self.inside, 'designate.conf')]
        if self.gen == '2025.1':
            # A private mount namespace: /proc is mounted for this process only and vanishes with it.
            return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
                    'mount -t proc proc "$0/proc" && exec chroot "$0" python3 "$@"', CHROOT] + py + list(args)
        return ['/usr/bin/python3'] + py + list(args)

    def start(self, timeout=90):
        """Create the database, start the services, wait until the pools file is applied."""
        t = time.monotonic()
        db = os.path.join(self.dir, 'designate.sqlite')
        if not os.path.exists(db):
            self.fresh_db(db, timeout)
        ready = os.path.join(self.dir, 'ready')
        if os.path.exists(ready):
            os.unlink(ready)
        extra = ['--widen-dns-opcodes'] if self.gen == '2022.2' else []
        self.proc = Proc(self.argv('--pools-file', os.path.join(self.inside, 'pools.yaml'),
                                   '--ready-file', os.path.join(self.inside, 'ready'), *extra), self.log)
        end = time.monotonic() + timeout
        while not os.path.exists(ready):
            if not self.proc.alive() or time.monotonic() > end:
                self.proc.stop()
                raise AssertionError('Designate %s did not come up:\n%s' % (self.gen, self.proc.tail()))
            time.sleep(0.1)
        self.ready_s = time.monotonic() - t
        say('Designate %s up in %.1f s (pid %d; mDNS 127.0.0.1:%d, API 127.0.0.1:%d)'
            % (self.gen, self.ready_s, self.proc.pid, self.mdns_port, self.api_port))

    def package_version(self):
        """python3-designate's Debian version for this generation."""
        admindir = os.path.join(CHROOT, 'var/lib/dpkg') if self.gen == '2025.1' else '/var/lib/dpkg'
        r = subprocess.run(['dpkg-query', '--admindir=' + admindir, '-W', '-f=${Version}', 'python3-designate'],
                           capture_output=True, text=True, timeout=30)
        return re.sub(r'[^0-9A-Za-z.+~-]', '_', r.stdout.strip()) or 'unknown'

    def fresh_db(self, db, timeout):
        """An empty, fully migrated database: `designate-manage database sync` once per package version
        (about 10 s), then a copy of that (the cache lives beside the generation's Designate)."""
        cache_dir = os.path.join(CHROOT, 'var/cache/msdns-designate') if self.gen == '2025.1' \
            else os.path.join(ROOT, 'bookworm')
        cache = os.path.join(cache_dir, 'designate-%s.sqlite' % self.package_version())
        if not os.path.exists(cache):
            sync = Proc(self.argv('--pools-file', '-', '--ready-file', '-', '--db-sync'), self.log)
            try:
                rc = sync.p.wait(timeout)
            except subprocess.TimeoutExpired:
                sync.stop()
                raise AssertionError('designate-manage database sync took more than %d s' % timeout)
            if rc != 0:
                raise AssertionError('database sync failed (%d):\n%s' % (rc, sync.tail()))
            os.makedirs(cache_dir, exist_ok=True)
            tmp = '%s.%d.tmp' % (cache, os.getpid())
            shutil.copy(db, tmp)
            os.rename(tmp, cache)
            say('database schema cached in ' + cache)
        else:
            shutil.copy(cache, db)

    def probe(self, *args, timeout=60):
        """Run dnsprobe.py under this Designate's Python (the chroot's dnspython); its JSON answer."""
        shutil.copy(os.path.join(HERE, 'dnsprobe.py'), os.path.join(self.dir, 'dnsprobe.py'))
        py = [os.path.join(self.inside, 'dnsprobe.py')] + [str(a) for a in args]
        if self.gen == '2025.1':
            argv = ['chroot', CHROOT, 'python3'] + py   # no /proc needed for one query
        else:
            argv = ['/usr/bin/python3'] + py
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, start_new_session=True)
        if r.returncode != 0:
            raise AssertionError('dnsprobe failed (%d): %s' % (r.returncode, r.stderr[-2000:]))
        return json.loads(r.stdout.strip().splitlines()[-1])

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None

    def text(self):
        with open(self.log, 'rb') as f:
            return ANSI.sub('', f.read().decode('utf-8', 'replace'))

    def cleanup(self):
        self.stop()
        if self.gen == '2025.1' and self.dir.startswith(os.path.join(CHROOT, 'tmp') + '/'):
            shutil.rmtree(self.dir, ignore_errors=True)


class Api:
    """The Designate v2 API over plain HTTP (auth_strategy = noauth: project noauth-project, admin)."""

    def __init__(self, base):
        self.base = base

    def req(self, method, path, body=None, ok=(200, 201, 202, 204)):
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.base + path, data=data, method=method,
                                   headers={'Content-Type': 'application/json', 'Accept': 'application/json'})
        try:
            with urllib.request.urlopen(r, timeout=120) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        if status not in ok:
            raise AssertionError('%s %s: HTTP %d %s' % (method, path, status, raw[:500]))
        return status, (json.loads(raw) if raw else None)

    def create_zone(self, name, ttl=300):
        return self.req('POST', '/v2/zones', {'name': name, 'email': 'hostmaster@example.com', 'ttl': ttl})[1]

    def zone(self, zid):
        """The zone, or None once it is gone (404)."""
        status, z = self.req('GET', '/v2/zones/' + zid, ok=(200, 404))
        return z if status == 200 else None

    def zones(self):
        out, path = [], '/v2/zones?limit=1000'
        while path:
            z = self.req('GET', path)[1]
            out += z['zones']
            nxt = z.get('links', {}).get('next')
            path = nxt[len(self.base):] if nxt else None
        return out

    def delete_zone(self, zid):
        return self.req('DELETE', '/v2/zones/' + zid)[1]

    def add_recordset(self, zid, name, rtype, records, ttl=300):
        return self.req('POST', '/v2/zones/%s/recordsets' % zid,
                        {'name': name, 'type': rtype, 'records': records, 'ttl': ttl})[1]

    def wait_status(self, zid, status, timeout, action=None):
        """Wait until the zone has this status (and action, when given); return it."""
        def ok():
            z = self.zone(zid)
            if z and z['status'] == 'ERROR':
                raise AssertionError('zone %s went ERROR: %s' % (z['name'], z))
            return z if z and z['status'] == status and (action is None or z['action'] == action) else None
        return wait_for(ok, timeout, 'zone %s %s' % (zid, status), interval=0.25)


class Agent:
    """msdns-agent with the msdns backend; Microsoft DNS is <work>/Microsoft DNS, played by the PowerShell
    simulator or (PWSH) by real PowerShell running the real script against the DnsServer stand-in, whose
    state has the simulator's layout. With PWSH the zone files are where the DNS Server keeps them,
    %SystemRoot%\\System32\\dns (SystemRoot = <state>/windows), and the script removes them there."""

    def __init__(self, work, port, masters, extra='', catalog=None):
        self.work = work
        self.port = port
        self.state = os.path.join(work, 'Microsoft DNS')
        if PWSH:
            self.system_root = os.path.join(self.state, 'windows')
            self.files = os.path.join(self.system_root, 'System32', 'dns')
        else:
            self.system_root = None
            self.files = os.path.join(self.state, 'files')
        os.makedirs(self.files, exist_ok=True)
        self.conf = os.path.join(work, 'msdns-agent.conf')
        self.log = os.path.join(work, 'msdns-agent.log')
        self.state_dir = os.path.join(work, 'agent-state')
        os.makedirs(self.state_dir, exist_ok=True)
        if catalog:   # (name, "host:port") of a catalog this agent consumes
            extra += '[catalog:%s]\nmasters = %s\n' % catalog
        with open(self.conf, 'w') as f:
            f.write(f"""[DEFAULT]
debug = true
{'state_dir = ' + self.state_dir if catalog else ''}
[service:agent]
listen = 127.0.0.1:{port}
masters = {masters}
allow_notify = 127.0.0.1
backend_driver = msdns
[backend:agent:msdns]
powershell = {os.environ['MSDNS_PWSH'] if PWSH else os.environ['MSDNS_PSSIM']}
script = {os.environ['MSDNS_SCRIPT']}
execution_policy = Bypass
operation_timeout = 30
max_queued = 5000
workers = {WORKERS}
{extra}""")
        self.proc = None
        self.starts = 0

    def start(self):
        env = dict(os.environ, PSSIM_STATE=self.state, PSSIM_DELAY_MS=os.environ.get('PSSIM_DELAY_MS', '100'))
        if PWSH:
            env.update(PSModulePath=os.path.join(TOP, 'tests'), SystemRoot=self.system_root,
                       POWERSHELL_TELEMETRY_OPTOUT='1', POWERSHELL_UPDATECHECK='Off', DOTNET_CLI_TELEMETRY_OPTOUT='1')
        mark = len(self.text()) if os.path.exists(self.log) else 0
        t = time.monotonic()
        self.proc = Proc([os.environ['MSDNS_AGENT'], '--config-file', self.conf, '--foreground'], self.log, env=env)
        wait_for(lambda: 'listening on' in self.text()[mark:] or not self.proc.alive(), 20, 'the agent to listen')
        if not self.proc.alive():
            raise AssertionError('msdns-agent did not start:\n' + self.proc.tail())
        self.starts += 1
        say('msdns-agent up (pid %d, 127.0.0.1:%d; Microsoft DNS: %s)' % (self.proc.pid, self.port, BACKEND))
        if PWSH:
            # Operations wait in the queue until a worker is ready; waiting here keeps PowerShell's start-up
            # (seconds each, more under load) out of what Designate sees and out of the figures.
            ready = lambda: len(re.findall(r'worker \d+ \(pid \d+\): ready$', self.text()[mark:], re.M))  # noqa: E731
            wait_for(lambda: ready() >= WORKERS or not self.proc.alive(), 240, '%d PowerShell workers to be ready' % WORKERS)
            if not self.proc.alive():
                raise AssertionError('msdns-agent died while its workers started:\n' + self.proc.tail())
            say('%d PowerShell workers ready %.1f s after the agent started' % (WORKERS, time.monotonic() - t))

    def stop(self):
        if self.proc:
            rc = self.proc.stop(grace=35)
            self.proc = None
            return rc
        return None

    def text(self):
        try:
            with open(self.log, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    def zones(self):
        """Microsoft DNS's zones as the simulator keeps them: name -> {type, masters, ...}."""
        out = {}
        d = os.path.join(self.state, 'zones')
        if not os.path.isdir(d):
            return out
        for name in os.listdir(d):
            if '.tmp' in name:
                continue
            try:
                with open(os.path.join(d, name)) as f:
                    out[name] = dict(line.rstrip('\n').split('=', 1) for line in f if '=' in line)
            except FileNotFoundError:
                pass
        return out

    def zone_file(self, name):
        """Where the zone file of zone name is (it exists from its creation on)."""
        return os.path.join(self.files, name + '.dns')

    def operations(self, since=0):
        """PWSH: the operations the workers finished, in order, from the agent's log (from offset since):
        (operation, zone, exit code, [facts]). The debug lines "worker N (pid P): request S: Op zone" and
        "...: request S: Op zone: exit C" bracket one operation; a worker carries one at a time, so the
        fact lines "worker N (pid P): key=value" between them are that operation's."""
        cur, out = {}, []
        for line in self.text()[since:].splitlines():
            m = re.search(r' (worker \d+ \(pid \d+\)): (.*)$', line)
            if not m:
                continue
            tag, rest = m.groups()
            e = re.match(r'request \d+: (\w+) (\S+): exit (-?\d+)$', rest)
            if e:
                facts = cur.pop(tag, (None, []))[1]
                out.append((e.group(1), e.group(2), int(e.group(3)), facts))
                continue
            r = re.match(r'request \d+: (\w+) (\S+)$', rest)
            if r:
                cur[tag] = (r.groups(), [])
            elif tag in cur and re.match(r'\w+=', rest):
                cur[tag][1].append(rest)
        return out

    def saw_fact(self, op, zone, fact, since=0):
        """Whether an operation op on zone reported this fact (e.g. result=exists) in the log after since."""
        if PWSH:
            return any(o[:2] == (op, zone) and fact in o[3] for o in self.operations(since))
        return '%s %s: %s' % (op, zone, fact) in self.text()[since:]

    def calls(self):
        """Finished operations, in order: (operation, zone, exit code). The simulator's own record
        (calls.log), or with PWSH the agent's record of its workers' answers."""
        if PWSH:
            return [o[:3] for o in self.operations()]
        return self.recorded()

    def check_answers(self):
        """PWSH: every answer the agent logged from a worker is one the script gave against the stand-in
        (the stand-in's calls.log "end" line for that request, written before the answer): the same
        operation, zone and exit code. Nothing to compare with the simulator (calls.log is the record).

        Known gap in that record: the stand-in appends with .NET's File.AppendAllText, which on Linux opens
        without O_APPEND and seeks to the end, so two workers appending at the same moment can overwrite
        one line with another (seen: 209 end lines for 210 started requests, in a 200-zone run). An
        answer whose end line is missing while the stand-in logged starting that request is counted and
        said loudly, not failed; an end line with another exit code, or no trace at all, fails."""
        if not PWSH:
            return
        ours, theirs = collections.Counter(self.calls()), collections.Counter(self.recorded())
        missing, extra = ours - theirs, theirs - ours
        contradicted = sorted(k for k in missing if any(e[:2] == k[:2] for e in extra))
        starts = collections.Counter(tuple(line.split()[1:3]) for line in self.calls_log() if line.startswith('start '))
        ends = collections.Counter(c[:2] for c in self.recorded())
        unexplained = sorted(k for k in missing if starts[k[:2]] - ends[k[:2]] < sum(n for m, n in missing.items()
                                                                                     if m[:2] == k[:2]))
        check(sum(ours.values()) > 0 and not contradicted and not unexplained,
              'each of the %d answers the agent logged from its workers is one the script gave against the '
              'DnsServer stand-in (calls.log: %d end lines)%s' % (
                  sum(ours.values()), sum(theirs.values()),
                  ': other exit code %s, no trace %s' % (contradicted, unexplained) if contradicted or unexplained else ''))
        if missing:
            say('NOTE: %d of them have no end line in the stand-in\'s calls.log although it logged starting them '
                '(lines lost by concurrent appends: .NET appends without O_APPEND on Linux): %s'
                % (sum(missing.values()), sorted(missing)))

    def calls_log(self):
        try:
            with open(os.path.join(self.state, 'calls.log')) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def recorded(self):
        """The operations Microsoft DNS's side recorded as finished, in order: calls.log's "end" lines with
        an exit code (the simulator's runs; the stand-in's requests in a -Serve worker)."""
        out = []
        for line in self.calls_log():
            w = line.split()
            if len(w) >= 4 and w[0] == 'end' and re.match(r'-?\d+$', w[3]):
                out.append((w[1], w[2], int(w[3])))
        return out

    def count(self, op, zone=None):
        return sum(1 for c in self.calls() if c[0] == op and (zone is None or c[1] == zone))


_workdirs = []


def workdir(name):
    """A fresh work directory for one test run (removed when the test passes, kept on failure for the logs;
    MSDNS_DESIGNATE_KEEP=1 keeps it always)."""
    base = os.environ.get('MESON_BUILD_ROOT') or tempfile.gettempdir()
    d = tempfile.mkdtemp(prefix='designate-%s-' % name, dir=base if os.path.isdir(base) else None)
    _workdirs.append(d)
    return d


def run(main):
    """Run main(); report the logs on failure; exit 0/1. A SIGTERM (meson's timeout) unwinds main's
    cleanup; whatever this run started and is still alive is then stopped by its PID."""
    def on_term(signum, frame):
        raise SystemExit('killed by signal %d' % signum)
    signal.signal(signal.SIGTERM, on_term)
    try:
        main()
    except Exception:
        import traceback
        traceback.print_exc()
        print('FAIL (work directory kept: %s)' % ' '.join(_workdirs), file=sys.stderr)
        sys.exit(1)
    finally:
        for p in _procs:
            if p.alive():
                say('stopping leftover pid %d' % p.pid)
                p.stop(grace=2)
    if os.environ.get('MSDNS_DESIGNATE_KEEP') != '1':
        for d in _workdirs:
            shutil.rmtree(d, ignore_errors=True)
    print('PASS', file=sys.stderr)
    sys.exit(0)
