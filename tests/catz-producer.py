#!/usr/bin/env python3
"""A catalog zone producer serving exactly what Designate's mDNS serves (2024.1+), for tests.

Python standard library only. Shape (docs/CATALOG-ZONES.md §3 of the research notes):
  <cat> SOA <ns> <cat> <serial> <refresh> <retry> 2147483646 <minimum>
  <cat> NS invalid.
  version.<cat> TXT "2"
  <zone-uuid>.zones.<cat> PTR <zone>.        one per member
Every record has the zone TTL. AXFR and IXFR both get the whole zone (AXFR-style; the question type is
echoed), split into messages of at most --max-message octets, names compressed. SOA over UDP and TCP.
Other queries for the catalog get REFUSED, as do other zones. A member change changes the content at
once and sends a NOTIFY (UDP, flags 0x2100: RD set, AA clear, question <cat> SOA, no answer); the serial
follows --serial-lag seconds later (unix time, at least +1) with a second NOTIFY, as Designate's
producer task does.

Control: line commands on a TCP port (--control-port), one answer line each ("ok serial=S members=N" or
"error ..."):
  add <label> <zone>       add a member (label: a UUID as Designate writes it, or any label)
  del <zone>               remove the member naming zone
  bulk <n> <first> <fmt>   add n members; fmt has one %d (e.g. m%d.bench.example), labels are UUIDs
  clear                    remove every member
  relabel <zone> <label>   give a member a new label (a reset)
  dup <label> <zone>       a second PTR at an existing label (a broken catalog)
  version <text>           the version TXT (e.g. 1; "none" removes it)
  bump                     serial = max(unix time, serial + 1) now, and NOTIFY
  notify                   send a NOTIFY now
  stats                    counters: axfr=N ixfr=N soa=N notify_sent=N notify_answered=N
  quit                     stop
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time
import uuid

T_SOA, T_NS, T_PTR, T_TXT, T_IXFR, T_AXFR = 6, 2, 12, 16, 251, 252


def wire_name(text):
    """Presentation name (no escapes needed in tests) -> list of lower-case labels."""
    text = text.rstrip('.')
    return [l.encode('ascii').lower() for l in text.split('.')] if text else []


class Writer:
    """A DNS message under construction with name compression (as dnspython does)."""

    def __init__(self, limit):
        self.buf = bytearray()
        self.names = {}
        self.limit = limit

    def name(self, labels):
        out = bytearray()
        for i in range(len(labels)):
            key = b'.'.join(labels[i:])
            if key in self.names:
                out += struct.pack('!H', 0xC000 | self.names[key])
                return out
            pos = 12 + len(self.buf) + len(out)   # after the header
            if pos < 0x3FFF:
                self.names[key] = pos
            out += bytes([len(labels[i])]) + labels[i]
        out.append(0)
        return out

    def rr(self, owner, rtype, ttl, rdata_fn):
        """Append one record; rdata_fn(writer, offset_of_rdata) -> bytes. Returns False when over limit."""
        mark = len(self.buf)
        saved = dict(self.names)
        head = self.name(owner)
        self.buf += head
        self.buf += struct.pack('!HHI', rtype, 1, ttl)
        lenpos = len(self.buf)
        self.buf += b'\0\0'
        rd = rdata_fn(self)
        self.buf += rd
        struct.pack_into('!H', self.buf, lenpos, len(rd))
        if len(self.buf) > self.limit:
            del self.buf[mark:]
            self.names = saved
            return False
        return True


class Catalog:
    def __init__(self, a):
        self.lock = threading.Lock()
        self.zone = wire_name(a.zone)
        self.zone_text = a.zone.rstrip('.') + '.'
        self.ns = wire_name(a.ns)
        self.serial = a.serial if a.serial else int(time.time())
        self.refresh, self.retry, self.minimum, self.ttl = a.refresh, a.retry, a.minimum, a.ttl
        self.expire = 2147483646
        self.members = {}          # label -> [zone, ...] (more than one only for "dup")
        self.version = '2'
        self.max_message = a.max_message
        self.cache = None          # (key, [messages without id]) of the last full answer
        self.gen = 0
        self.stats = dict(axfr=0, ixfr=0, soa=0, notify_sent=0, notify_answered=0, refused=0)

    def changed(self):
        self.gen += 1
        self.cache = None

    def soa_rdata(self, w):
        return bytes(w.name(self.ns)) + bytes(w.name(self.zone)) + struct.pack(
            '!IIIII', self.serial, self.refresh, self.retry, self.expire, self.minimum)

    def header(self, qid, flags, qd, an):
        return struct.pack('!HHHHHH', qid, flags, qd, an, 0, 0)

    def question(self, w, qtype):
        w.buf += w.name(self.zone) + struct.pack('!HH', qtype, 1)

    def records(self):
        """The zone's records after the opening SOA, as (owner labels, type, rdata_fn)."""
        out = [(self.zone, T_NS, lambda w: bytes(w.name([b'invalid'])))]
        if self.version is not None:
            v = self.version.encode()
            out.append(([b'version'] + self.zone, T_TXT, lambda w, v=v: bytes([len(v)]) + v))
        for label, zones in self.members.items():
            for z in zones:
                out.append(([label.encode().lower(), b'zones'] + self.zone, T_PTR,
                            lambda w, z=z: bytes(w.name(wire_name(z)))))
        return out

    def full_answer(self, qtype):
        """Messages (bytes without the id) of a whole-zone answer, cached per content and qtype."""
        key = (self.gen, self.serial, qtype)
        if self.cache and self.cache[0] == key:
            return self.cache[1]
        msgs = []
        recs = [(self.zone, T_SOA, self.soa_rdata)] + self.records() + [(self.zone, T_SOA, self.soa_rdata)]
        i = 0
        while i < len(recs):
            w = Writer(self.max_message - 12)
            first = not msgs
            if first:
                self.question(w, qtype)
            n = 0
            while i < len(recs):
                o, t, fn = recs[i]
                if not w.rr(o, t, self.ttl, fn):
                    if n == 0:
                        raise RuntimeError('record larger than a message')
                    break
                n += 1
                i += 1
            # compression offsets assume a 12-octet header before the body
            msgs.append(struct.pack('!HHHHH', 0x8400, 1 if first else 0, n, 0, 0) + bytes(w.buf))
        self.cache = (key, msgs)
        return msgs


def parse_query(msg):
    """(id, flags, qname labels lower, qtype, qclass) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack('!HHH', msg[:6])
    if qd != 1:
        return (qid, flags, None, 0, 0)
    pos, labels = 12, []
    while pos < len(msg):
        l = msg[pos]
        if l == 0:
            pos += 1
            break
        if l & 0xC0:
            return (qid, flags, None, 0, 0)
        labels.append(bytes(msg[pos + 1:pos + 1 + l]).lower())
        pos += 1 + l
    if pos + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack('!HH', msg[pos:pos + 4])
    return (qid, flags, labels, qtype, qclass, msg[12:pos + 4])


class Producer:
    def __init__(self, a):
        self.a = a
        self.cat = Catalog(a)
        self.stop = threading.Event()
        self.bump_timer = None
        self.notify_to = None
        if a.notify:
            host, _, port = a.notify.rpartition(':')
            self.notify_to = (host, int(port))

    def log(self, text):
        sys.stderr.write('%.3f catz-producer: %s\n' % (time.time(), text))
        sys.stderr.flush()

    # ---- answers ----
    def answer(self, msg, tcp):
        """The answer messages to one query (list of bytes), or [] for none."""
        q = parse_query(msg)
        if q is None:
            return []
        qid, flags = q[0], q[1]
        if q[2] is None or (flags >> 11) & 0xF != 0 or flags & 0x8000:
            return [struct.pack('!HHHHHH', qid, 0x8001 | (flags & 0x0100), 0, 0, 0, 0)]   # FORMERR
        labels, qtype, qclass, qbytes = q[2], q[3], q[4], q[5]
        c = self.cat
        with c.lock:
            if labels != c.zone or qclass != 1 or qtype not in (T_SOA, T_AXFR, T_IXFR) or \
                    (qtype != T_SOA and not tcp):
                c.stats['refused'] += 1
                return [struct.pack('!HHHHHH', qid, 0x8005 | (flags & 0x0100), 1, 0, 0, 0) + qbytes]
            if qtype == T_SOA:
                c.stats['soa'] += 1
                w = Writer(65535)
                c.question(w, T_SOA)
                w.rr(c.zone, T_SOA, c.ttl, c.soa_rdata)
                return [struct.pack('!HHHHHH', qid, 0x8400 | (flags & 0x0100), 1, 1, 0, 0) + bytes(w.buf)]
            c.stats['axfr' if qtype == T_AXFR else 'ixfr'] += 1
            msgs = c.full_answer(qtype)
        return [struct.pack('!H', qid) + m for m in msgs]

    def serve_tcp_conn(self, s):
        s.settimeout(30)
        try:
            while not self.stop.is_set():
                hdr = self.recv_exact(s, 2)
                if hdr is None:
                    return
                msg = self.recv_exact(s, struct.unpack('!H', hdr)[0])
                if msg is None:
                    return
                for m in self.answer(msg, True):
                    s.sendall(struct.pack('!H', len(m)) + m)
        except OSError:
            pass
        finally:
            s.close()

    @staticmethod
    def recv_exact(s, n):
        buf = b''
        while len(buf) < n:
            part = s.recv(n - len(buf))
            if not part:
                return None
            buf += part
        return buf

    def serve_tcp(self, ls):
        while not self.stop.is_set():
            try:
                s, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_tcp_conn, args=(s,), daemon=True).start()

    def serve_udp(self, us):
        while not self.stop.is_set():
            try:
                msg, peer = us.recvfrom(65535)
            except OSError:
                return
            for m in self.answer(msg, False):
                us.sendto(m, peer)

    # ---- NOTIFY and the serial ----
    def notify(self):
        if not self.notify_to:
            return
        threading.Thread(target=self.notify_once, daemon=True).start()

    def notify_once(self):
        c = self.cat
        qid = int.from_bytes(os.urandom(2), 'big')
        w = Writer(512)
        c.question(w, T_SOA)
        msg = struct.pack('!HHHHHH', qid, 0x2100, 1, 0, 0, 0) + bytes(w.buf)
        for attempt in range(self.a.notify_tries):
            with c.lock:
                c.stats['notify_sent'] += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(self.a.notify_timeout)
            try:
                s.sendto(msg, self.notify_to)
                while True:
                    r, _ = s.recvfrom(65535)
                    if len(r) >= 12 and struct.unpack('!H', r[:2])[0] == qid:
                        with c.lock:
                            c.stats['notify_answered'] += 1
                        self.log('NOTIFY answered (rcode %d, flags 0x%04x)' % (r[3] & 0xF, struct.unpack('!H', r[2:4])[0]))
                        return
            except OSError:
                self.log('NOTIFY %d to %s:%d got no answer' % (attempt + 1, *self.notify_to))
            finally:
                s.close()

    def schedule_bump(self):
        if self.bump_timer is not None:
            return
        if self.a.serial_lag <= 0:
            self.bump()
            return
        self.bump_timer = threading.Timer(self.a.serial_lag, self.bump)
        self.bump_timer.daemon = True
        self.bump_timer.start()

    def bump(self):
        c = self.cat
        with c.lock:
            self.bump_timer = None
            c.serial = max(int(time.time()), (c.serial + 1) & 0xFFFFFFFF)
            c.changed()
            serial = c.serial
        self.log('serial %d' % serial)
        self.notify()

    # ---- control ----
    def command(self, line):
        c = self.cat
        w = line.split()
        if not w:
            return 'error empty'
        op, args = w[0], w[1:]
        content = True
        with c.lock:
            if op == 'add' and len(args) == 2:
                c.members[args[0]] = [args[1].rstrip('.')]
            elif op == 'del' and len(args) == 1:
                z = args[0].rstrip('.').lower()
                for lab in [l for l, zs in c.members.items() if z in zs]:
                    del c.members[lab]
            elif op == 'bulk' and len(args) == 3:
                n, first, fmt = int(args[0]), int(args[1]), args[2]
                for i in range(first, first + n):
                    c.members[str(uuid.UUID(int=(0x5eed << 64) + i))] = [fmt % i]
            elif op == 'clear':
                c.members.clear()
            elif op == 'relabel' and len(args) == 2:
                z = args[0].rstrip('.').lower()
                for lab in [l for l, zs in c.members.items() if z in zs]:
                    del c.members[lab]
                c.members[args[1]] = [z]
            elif op == 'dup' and len(args) == 2:
                c.members.setdefault(args[0], []).append(args[1].rstrip('.'))
            elif op == 'version' and len(args) == 1:
                c.version = None if args[0] == 'none' else args[0]
            elif op in ('bump', 'notify', 'stats', 'quit'):
                content = False
            else:
                return 'error unknown command'
            if content:
                c.changed()
            state = 'ok serial=%d members=%d' % (c.serial, len(c.members))
            stats = ' '.join('%s=%d' % kv for kv in sorted(c.stats.items()))
        if op == 'bump':
            self.bump()
            with c.lock:
                state = 'ok serial=%d members=%d' % (c.serial, len(c.members))
        elif op == 'notify':
            self.notify()
        elif op == 'stats':
            return 'ok ' + stats
        elif op == 'quit':
            self.stop.set()
        else:
            self.notify()           # Designate: the first NOTIFY comes with the content change
            self.schedule_bump()    # ... and the serial follows
        return state

    def serve_control(self, cs):
        while not self.stop.is_set():
            try:
                s, _ = cs.accept()
            except OSError:
                return
            threading.Thread(target=self.control_conn, args=(s,), daemon=True).start()

    def control_conn(self, s):
        f = s.makefile('rw', encoding='ascii', newline='\n')
        try:
            for line in f:
                f.write(self.command(line.strip()) + '\n')
                f.flush()
                if self.stop.is_set():
                    break
        except OSError:
            pass
        finally:
            s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--zone', default='catalog.example.org.')
    p.add_argument('--ns', default='ns1.example.org.', help="SOA MNAME (the pool's first NS record)")
    p.add_argument('--port', type=int, required=True, help='DNS port on 127.0.0.1 (TCP and UDP)')
    p.add_argument('--control-port', type=int, required=True)
    p.add_argument('--serial', type=int, default=0, help='initial serial (default: unix time)')
    p.add_argument('--refresh', type=int, default=3600)
    p.add_argument('--retry', type=int, default=600)
    p.add_argument('--minimum', type=int, default=3600)
    p.add_argument('--ttl', type=int, default=3600)
    p.add_argument('--max-message', type=int, default=65535)
    p.add_argument('--serial-lag', type=float, default=5.0, help='seconds between a content change and its serial')
    p.add_argument('--notify', help='HOST:PORT of the consumer (UDP)')
    p.add_argument('--notify-timeout', type=float, default=2.0)
    p.add_argument('--notify-tries', type=int, default=5)
    p.add_argument('--members', type=int, default=0, help='start with this many bench members (m%%d.bench.example)')
    p.add_argument('--pidfile')
    a = p.parse_args()
    pr = Producer(a)
    if a.members:
        for i in range(a.members):
            pr.cat.members[str(uuid.UUID(int=(0x5eed << 64) + i))] = ['m%d.bench.example' % i]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', a.port))
    ls.listen(64)
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind(('127.0.0.1', a.port))
    cs = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cs.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    cs.bind(('127.0.0.1', a.control_port))
    cs.listen(8)
    for fn, s in ((pr.serve_tcp, ls), (pr.serve_udp, us), (pr.serve_control, cs)):
        threading.Thread(target=fn, args=(s,), daemon=True).start()
    if a.pidfile:
        with open(a.pidfile + '.tmp', 'w') as f:
            f.write('%d\n' % os.getpid())
        os.replace(a.pidfile + '.tmp', a.pidfile)
    pr.log('serving %s on 127.0.0.1:%d (control %d), serial %d, %d members' % (
        pr.cat.zone_text, a.port, a.control_port, pr.cat.serial, len(pr.cat.members)))
    try:
        while not pr.stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    pr.log('stopped')


if __name__ == '__main__':
    main()
