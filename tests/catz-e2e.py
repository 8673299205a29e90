#!/usr/bin/env python3
"""The agent consuming catalogs from real producers on loopback, with the simulator as Microsoft DNS.

Producers: tests/catz-producer.py (Designate's catalog: AXFR-style answers, NOTIFY 0x2100 over UDP,
content before serial), Knot 3.2.6 (catalog-role generate, members via knotc conf-set/conf-unset,
NOTIFY over TCP, real IXFR, hand-edited broken catalogs) and BIND 9.18 (a primary catalog edited with
nsupdate, UUID labels, NOTIFY over UDP). Every daemon is started here on free ports, stopped by PID and
bounded in time. Standard library only.
usage: catz-e2e.py AGENT PSSIM SCRIPT SRCDIR [producer...]   (exit 77 when knotd/named are missing)
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

AGENT, PSSIM, SCRIPT, SRCDIR = sys.argv[1:5]
ONLY = sys.argv[5:]
FAILS = []


def free_port():
    while True:
        t = socket.socket()
        t.bind(('127.0.0.1', 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()


def wait_for(cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError('timed out (%g s) waiting for %s' % (timeout, what))


def tcp_up(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


class Proc:
    """A daemon started by the test, stopped by PID, killed after max_s anyway."""

    def __init__(self, argv, log, env=None, max_s=300):
        self.log = log
        self.p = subprocess.Popen(['timeout', '-k', '5', str(max_s)] + argv, stdout=open(log, 'ab'),
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                  start_new_session=True)

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)


class Agent:
    def __init__(self, d, catalog, masters, refresh=0, extra='', port=None, agent_extra='', allow='127.0.0.1'):
        self.d, self.port = d, port or free_port()
        self.state = os.path.join(d, 'pssim')
        os.makedirs(os.path.join(d, 'state'), exist_ok=True)
        os.makedirs(self.state, exist_ok=True)
        self.conf = os.path.join(d, 'agent.conf')
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\nstate_dir = %s/state\n[service:agent]\nlisten = 127.0.0.1:%d\nmasters = 127.0.0.1\n'
                    'allow_notify = %s\nbackend_driver = msdns\n%s[backend:agent:msdns]\npowershell = %s\n'
                    'script = %s\noperation_timeout = 30\nmax_concurrent = 4\n[catalog:%s]\nmasters = %s\n'
                    'member_masters = 192.0.2.53\nrefresh = %d\n%s' % (
                        d, self.port, allow, agent_extra, PSSIM, SCRIPT, catalog, masters, refresh, extra))
        self.log = os.path.join(d, 'agent.log')
        self.proc = None

    def start(self):
        env = dict(os.environ, PSSIM_STATE=self.state)
        self.proc = Proc([AGENT, '--foreground', '--config-file', self.conf], self.log, env)
        wait_for(lambda: 'listening on' in self.text(), 20, 'the agent to listen')

    def stop(self):
        if self.proc:
            self.proc.stop()
        self.proc = None

    def text(self):
        try:
            return open(self.log, errors='replace').read()
        except OSError:
            return ''

    def zones(self):
        """{zone: masters} of the simulated DNS server."""
        out = {}
        zd = os.path.join(self.state, 'zones')
        for z in os.listdir(zd) if os.path.isdir(zd) else []:
            try:
                text = open(os.path.join(zd, z)).read()
            except FileNotFoundError:   # deleted (or renamed into place) between listdir and open
                continue
            kv = dict(l.split('=', 1) for l in text.splitlines() if '=' in l)
            out[z] = kv.get('masters', '')
        return out

    def has(self, names, timeout=15, what=''):
        want = set(names)
        return wait_for(lambda: set(self.zones()) == want, timeout,
                        'zones %s%s (have %s)' % (sorted(want), what, sorted(self.zones())))


def check(name, fn):
    if ONLY and name.split(':')[0] not in ONLY:
        return
    d = tempfile.mkdtemp(prefix='catz-e2e-')
    t0 = time.time()
    try:
        fn(d)
        print('ok   %s (%.1f s)' % (name, time.time() - t0))
        shutil.rmtree(d, ignore_errors=True)
    except Exception as e:   # report and go on with the next flow
        FAILS.append(name)
        print('FAIL %s: %s (kept %s)' % (name, e, d))
        for f in ('agent.log', 'producer.log', 'knot.log', 'named.log'):
            p = os.path.join(d, f)
            if os.path.exists(p):
                print('--- %s (tail)' % f)
                print(''.join(open(p, errors='replace').readlines()[-25:]))


# ---- Designate's catalog (tests/catz-producer.py) ----
class Designate:
    def __init__(self, d, port=None, members=0, serial_lag=1.0, notify=None):
        self.d, self.port, self.cport = d, port or free_port(), free_port()
        argv = [sys.executable, os.path.join(SRCDIR, 'tests', 'catz-producer.py'), '--zone', 'cat.example.',
                '--port', str(self.port), '--control-port', str(self.cport), '--serial', '100',
                '--serial-lag', str(serial_lag), '--members', str(members), '--notify-timeout', '1',
                '--notify-tries', '3']
        if notify:
            argv += ['--notify', '127.0.0.1:%d' % notify]
        self.proc = Proc(argv, os.path.join(d, 'producer.log'))
        wait_for(lambda: tcp_up(self.cport), 20, 'the producer')

    def ctl(self, cmd):
        with socket.create_connection(('127.0.0.1', self.cport), timeout=20) as s:
            s.sendall(cmd.encode() + b'\n')
            f = s.makefile()
            line = f.readline().strip()
        assert line.startswith('ok'), '%s -> %s' % (cmd, line)
        return line

    def stop(self):
        self.proc.stop()


U1, U2, U3 = ('0f3c1d8e-6a4b-4c1e-9d2a-1b2c3d4e5f60', '6b1e1b52-2f7c-4a44-9d0e-2d1b1f9c1a10',
              '9a4f2c3e-1d2b-4c5a-8e7f-0a1b2c3d4e5f')


def designate_flow(d):
    pport = free_port()
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % pport)
    p = Designate(d, port=pport, notify=a.port, serial_lag=1.0)
    p.ctl('add %s a.example' % U1)
    a.start()
    a.has(['a.example'], what=' at start')
    assert a.zones()['a.example'] == '192.0.2.53', a.zones()
    # an added member follows within seconds of the NOTIFY (sent with the content, before the serial)
    t = time.time()
    p.ctl('add %s b.example' % U2)
    a.has(['a.example', 'b.example'], 5, ' after the NOTIFY')
    print('     created %.2f s after the NOTIFY' % (time.time() - t))
    # removed
    p.ctl('del a.example')
    a.has(['b.example'], 5, ' after a removal')
    # a label change resets the zone (deleted, then created)
    calls = os.path.join(a.state, 'calls.log')
    before = open(calls).read().count('Delete b.example')
    p.ctl('relabel b.example %s' % U3)
    wait_for(lambda: open(calls).read().count('Delete b.example') > before, 10, 'the reset of b.example')
    a.has(['b.example'], 10, ' after the reset')
    # restart with the producer down keeps everything; a removal made meanwhile is applied once it is back
    a.stop()
    p.stop()
    a.start()
    time.sleep(2)
    assert set(a.zones()) == {'b.example'}, a.zones()
    p = Designate(d, port=p.port, notify=a.port)
    p.ctl('add %s c.example' % U1)   # b.example is no longer a member (the producer starts empty)
    a.has(['c.example'], 20, ' after the producer came back')
    a.stop()
    p.stop()


def designate_refresh(d):
    """Without a NOTIFY: changes follow within the refresh time."""
    p = Designate(d, serial_lag=0.2)
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % p.port, refresh=2)
    p.ctl('add %s a.example' % U1)
    a.start()
    a.has(['a.example'])
    t = time.time()
    p.ctl('add %s b.example' % U2)
    a.has(['a.example', 'b.example'], 8, ' within the refresh time')
    print('     followed %.2f s after the change without NOTIFY (refresh 2 s)' % (time.time() - t))
    a.stop()
    p.stop()


def designate_tsig_required(d):
    """A key configured, the producer unsigned: no transfer is accepted, nothing is created."""
    p = Designate(d)
    p.ctl('add %s a.example' % U1)
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % p.port,
              extra='tsig_key = catkey.\n[tsigkey:catkey.]\nalgorithm = hmac-sha256\n'
                    'secret = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n')
    a.start()
    wait_for(lambda: 'TSIG' in a.text() and 'check failed' in a.text(), 15, 'the unsigned answer to be refused')
    time.sleep(1)
    assert a.zones() == {}, a.zones()
    a.stop()
    p.stop()


# ---- Knot 3.2.6 ----
SECRET = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='
ZONE = '$ORIGIN {z}.\n$TTL 300\n@ SOA ns.{z}. h.{z}. 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n'


class Knot:
    def __init__(self, d, agent_port, secret=SECRET):
        self.d, self.port = d, free_port()
        for sub in ('run', 'db', 'zones'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        for z in ('a.example', 'b.example', 'c.example'):
            open(os.path.join(d, 'zones', z + '.zone'), 'w').write(ZONE.format(z=z))
        self.conf = os.path.join(d, 'knot.conf')
        open(self.conf, 'w').write(
            'server:\n    rundir: "{d}/run"\n    listen: 127.0.0.1@{p}\nlog:\n  - target: {d}/knot.log\n    any: info\n'
            'database:\n    storage: "{d}/db"\nkey:\n  - id: catkey.\n    algorithm: hmac-sha256\n    secret: {s}\n'
            'remote:\n  - id: agent\n    address: 127.0.0.1@{a}\n    key: catkey.\n'
            'acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    key: catkey.\n    action: transfer\n'
            'template:\n  - id: default\n    storage: "{d}/zones"\n    file: "%s.zone"\n'
            '  - id: member\n    storage: "{d}/zones"\n    file: "%s.zone"\n    catalog-role: member\n'
            '    catalog-zone: cat.example.\n    acl: xfr\n'
            'zone:\n  - domain: cat.example.\n    catalog-role: generate\n    acl: xfr\n    notify: agent\n'
            '  - domain: a.example.\n    template: member\n'.format(d=d, p=self.port, s=secret, a=agent_port))
        self.proc = Proc([shutil.which('knotd') or '/usr/sbin/knotd', '-c', self.conf], os.path.join(d, 'knotd.out'))
        wait_for(lambda: tcp_up(self.port), 20, 'knotd')

    def knotc(self, *cmds):
        for c in cmds:
            subprocess.run(['timeout', '20', shutil.which('knotc') or '/usr/sbin/knotc', '-c', self.conf] + list(c),
                           check=True, stdout=subprocess.DEVNULL)

    def add(self, z):
        self.knotc(['conf-begin'], ['conf-set', 'zone[%s.]' % z], ['conf-set', 'zone[%s.].template' % z, 'member'],
                   ['conf-commit'])

    def remove(self, z):
        self.knotc(['conf-begin'], ['conf-unset', 'zone[%s.]' % z], ['conf-commit'])

    def edit(self, *sets):
        self.knotc(['zone-begin', 'cat.example.'], *[['zone-set', 'cat.example.'] + list(s) for s in sets],
                   ['zone-commit', 'cat.example.'])

    def unedit(self, *unsets):
        self.knotc(['zone-begin', 'cat.example.'], *[['zone-unset', 'cat.example.'] + list(s) for s in unsets],
                   ['zone-commit', 'cat.example.'])

    def stop(self):
        self.proc.stop()


KEYCONF = 'tsig_key = catkey.\n[tsigkey:catkey.]\nalgorithm = hmac-sha256\nsecret = %s\n'
SIGNED_NOTIFY = 'tsig_keys = catkey.\n'   # the producers sign their NOTIFYs with the catalog's key


def knot_flow(d):
    ap = free_port()
    k = Knot(d, ap)
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % k.port, extra=KEYCONF % SECRET, port=ap, agent_extra=SIGNED_NOTIFY)
    a.start()
    a.has(['a.example'], 20, ' at start')
    t = time.time()
    k.add('b.example')     # NOTIFY over TCP, signed; IXFR
    a.has(['a.example', 'b.example'], 5, ' after conf-set')
    print('     created %.2f s after knotc conf-commit' % (time.time() - t))
    k.remove('a.example')
    a.has(['b.example'], 5, ' after conf-unset')
    # broken: two PTRs at one label; nothing changes, then fixed
    k.edit(['zz.zones', '0', 'PTR', 'y.example.'], ['zz.zones', '0', 'PTR', 'z.example.'])
    wait_for(lambda: 'broken' in a.text(), 10, 'the broken catalog to be logged')
    time.sleep(1)
    assert set(a.zones()) == {'b.example'}, a.zones()
    k.unedit(['zz.zones', 'PTR', 'z.example.'])
    a.has(['b.example', 'y.example'], 10, ' after the catalog was fixed')
    a.stop()
    k.stop()


def knot_wrong_key(d):
    """Knot signs with another secret than ours: every transfer is rejected, nothing is created."""
    ap = free_port()
    k = Knot(d, ap, secret='QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=')
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % k.port, extra=KEYCONF % SECRET, port=ap)
    a.start()
    wait_for(lambda: 'check failed' in a.text(), 15, 'the check to fail')
    time.sleep(1)
    assert a.zones() == {}, a.zones()
    a.stop()
    k.stop()


OTHER = 'b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI='


def dig(port, *args):
    dg = shutil.which('dig') or '/usr/bin/dig'
    return subprocess.run(['timeout', '20', dg, '@127.0.0.1', '-p', str(port), '+time=3', '+tries=1'] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode(errors='replace')


def expect(out, *needles):
    for n in needles:
        if n.startswith('!'):
            assert n[1:] not in out, 'unexpected %r in:\n%s' % (n[1:], out)
        else:
            assert n in out, 'no %r in:\n%s' % (n, out)


def knot_notify_catalog_key(d):
    """allow_notify excludes loopback and tsig_keys lacks the catalog's key: Knot's NOTIFY signed with the catalog's
    key is still accepted (issue 10), and that key authorizes nothing else; wrong signatures are NOTAUTH."""
    ap = free_port()
    k = Knot(d, ap)
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % k.port, refresh=3600, port=ap, allow='192.0.2.0/24',
              extra=KEYCONF % SECRET + '[tsigkey:otherkey.]\nsecret = %s\n' % OTHER,
              agent_extra='tsig_keys = otherkey.\n')
    a.start()
    a.has(['a.example'], 20, ' at start')
    t = time.time()
    k.add('b.example')     # Knot's NOTIFY over TCP, signed with catkey., from 127.0.0.1 (not in allow_notify)
    a.has(['a.example', 'b.example'], 10, ' after conf-set (refresh is 3600 s: only the NOTIFY can do it)')
    print('     created %.2f s after knotc conf-commit' % (time.time() - t))
    wait_for(lambda: 'catalog zone, signed with its key' in a.text(), 5, 'the NOTIFY to be logged')
    cat = 'hmac-sha256:catkey.:' + SECRET
    # dig verifies our signed reply (it warns when it does not)
    expect(dig(ap, '-y', cat, '+opcode=notify', 'cat.example', 'SOA'), 'status: NOERROR', 'flags: qr aa',
           '!Couldn', '!WARNING -- Some TSIG', '!tsig verify failure')
    # the catalog's key authorizes no CREATE, DELETE or member NOTIFY: NOTAUTH + BADKEY, nothing starts
    for args in (['+opcode=14', 'x.example', '-t', 'TYPE65282', '-c', 'CLASS65280'],
                 ['+tcp', '+opcode=14', 'b.example', '-t', 'TYPE65283', '-c', 'CLASS65280'],
                 ['+opcode=notify', 'b.example', 'SOA']):
        expect(dig(ap, '-y', cat, *args), 'status: NOTAUTH', 'BADKEY')
    # a wrong secret under the catalog key's name: NOTAUTH + BADSIG
    expect(dig(ap, '-y', 'hmac-sha256:catkey.:' + OTHER, '+opcode=notify', 'cat.example', 'SOA'),
           'status: NOTAUTH', 'BADSIG')
    # another configured key (in tsig_keys) from outside allow_notify: REFUSED, as for any NOTIFY from there
    expect(dig(ap, '-y', 'hmac-sha256:otherkey.:' + OTHER, '+opcode=notify', 'cat.example', 'SOA'),
           'status: REFUSED')
    expect(dig(ap, '+opcode=notify', 'cat.example', 'SOA'), 'status: REFUSED')   # unsigned from outside
    time.sleep(1)
    assert set(a.zones()) == {'a.example', 'b.example'}, a.zones()
    assert 'DELETE b.example' not in a.text() and 'CREATE x.example' not in a.text(), a.text()
    a.stop()
    k.stop()


# ---- BIND 9.18 ----
class Bind:
    def __init__(self, d, agent_port):
        self.d, self.port = d, free_port()
        os.makedirs(os.path.join(d, 'bind'), exist_ok=True)
        self.conf = os.path.join(d, 'bind', 'named.conf')
        open(self.conf, 'w').write(
            'key "catkey." {{ algorithm hmac-sha256; secret "{s}"; }};\n'
            'options {{ directory "{d}/bind"; pid-file "{d}/bind/named.pid"; listen-on port {p} {{ 127.0.0.1; }};\n'
            ' listen-on-v6 {{ none; }}; recursion no; dnssec-validation no; notify explicit;\n'
            ' max-ixfr-ratio unlimited; }};\ncontrols {{ }};\n'
            'zone "cat.example" {{ type primary; file "cat.example.db"; allow-transfer {{ key "catkey."; }};\n'
            ' allow-update {{ key "catkey."; }}; also-notify {{ 127.0.0.1 port {a} key "catkey."; }}; }};\n'.format(
                d=d, p=self.port, s=SECRET, a=agent_port))
        open(os.path.join(d, 'bind', 'cat.example.db'), 'w').write(
            '$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2147483646 0\n@ NS invalid.\nversion TXT "2"\n'
            '%s.zones PTR a.example.\n' % U1)
        self.proc = Proc([shutil.which('named') or '/usr/sbin/named', '-g', '-c', self.conf],
                         os.path.join(d, 'named.log'))
        # named listens before its zones are loaded (SERVFAIL until then)
        wait_for(lambda: 'all zones loaded' in open(os.path.join(d, 'named.log'), errors='replace').read(), 20,
                 'named to load its zones')

    def update(self, *lines):
        text = 'server 127.0.0.1 %d\nzone cat.example.\n%s\nsend\n' % (self.port, '\n'.join(lines))
        subprocess.run(['timeout', '20', shutil.which('nsupdate') or '/usr/bin/nsupdate', '-y',
                        'hmac-sha256:catkey.:' + SECRET], input=text.encode(), check=True)

    def stop(self):
        self.proc.stop()


def bind_flow(d):
    ap = free_port()
    b = Bind(d, ap)
    a = Agent(d, 'cat.example.', '127.0.0.1:%d' % b.port, extra=KEYCONF % SECRET, port=ap, agent_extra=SIGNED_NOTIFY)
    a.start()
    a.has(['a.example'], 20, ' at start')
    t = time.time()
    b.update('update add %s.zones.cat.example. 0 IN PTR b.example.' % U2)   # NOTIFY over UDP, signed
    a.has(['a.example', 'b.example'], 5, ' after nsupdate add')
    print('     created %.2f s after nsupdate' % (time.time() - t))
    b.update('update delete %s.zones.cat.example. PTR' % U1)
    a.has(['b.example'], 5, ' after nsupdate delete')
    a.stop()
    b.stop()


def main():
    if not (shutil.which('knotd') or os.path.exists('/usr/sbin/knotd')) or \
            not (shutil.which('named') or os.path.exists('/usr/sbin/named')):
        print('knotd or named missing (scripts/setup.sh catalog): skipped')
        return 77
    check('designate: members, NOTIFY, removal, reset, restart with producer down', designate_flow)
    check('designate: refresh without NOTIFY', designate_refresh)
    check('designate: key configured, unsigned transfer rejected', designate_tsig_required)
    check('knot: conf-set/unset with NOTIFY over TCP and IXFR, broken then fixed', knot_flow)
    check('knot: wrongly signed transfer rejected', knot_wrong_key)
    check('knot: NOTIFY signed with the catalog key from outside allow_notify', knot_notify_catalog_key)
    check('bind: nsupdate with NOTIFY over UDP', bind_flow)
    print('%d failed' % len(FAILS))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
