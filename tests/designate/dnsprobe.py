"""One AXFR or SOA query, optionally TSIG-signed, printed as one JSON line (tests only).

Runs under the chroot's Python with Debian trixie's dnspython, so the host needs no DNS library:
    python3 dnsprobe.py --server 127.0.0.1 --port N --zone cat.example. [--axfr]
                        [--key NAME --algorithm hmac-sha256 --secret BASE64] [--timeout S]
Output: {"result": "answer"|"timeout"|"error", "rcode": ..., "records": [...], "tsig": bool, "error": ...}
"""
import argparse
import base64
import json
import sys

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--server', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--zone', required=True)
    ap.add_argument('--axfr', action='store_true')
    ap.add_argument('--key')
    ap.add_argument('--algorithm', default='hmac-sha256')
    ap.add_argument('--secret')
    ap.add_argument('--timeout', type=float, default=5.0)
    a = ap.parse_args()

    out = {'result': 'error', 'rcode': None, 'records': [], 'tsig': False, 'error': None}
    keyring = None
    keyname = None
    if a.key:
        keyname = dns.name.from_text(a.key)
        keyring = {keyname: dns.tsig.Key(keyname, base64.b64decode(a.secret), a.algorithm)}
    q = dns.message.make_query(a.zone, dns.rdatatype.AXFR if a.axfr else dns.rdatatype.SOA)
    if keyring:
        q.use_tsig(keyring, keyname=keyname, algorithm=a.algorithm)
    try:
        # dns.query.tcp reads one message; for an AXFR keep reading until the closing SOA.
        if a.axfr:
            msgs = []
            for m in dns.query.xfr(a.server, a.zone, port=a.port, lifetime=a.timeout, keyring=keyring,
                                   keyname=keyname, keyalgorithm=a.algorithm):
                msgs.append(m)
        else:
            msgs = [dns.query.tcp(q, a.server, port=a.port, timeout=a.timeout)]
        out['result'] = 'answer'
        out['rcode'] = dns.rcode.to_text(msgs[0].rcode())
        out['tsig'] = all(m.had_tsig for m in msgs)
        for m in msgs:
            for rrset in m.answer:
                for rr in rrset:
                    out['records'].append('%s %s %s' % (rrset.name, dns.rdatatype.to_text(rrset.rdtype), rr))
    except dns.exception.Timeout:
        out['result'] = 'timeout'
    except (EOFError, ConnectionError) as e:
        out['result'] = 'closed'
        out['error'] = repr(e)
    except Exception as e:   # report anything else (e.g. a refused transfer) as data for the test
        out['error'] = '%s: %s' % (type(e).__name__, e)
        if isinstance(e, dns.query.TransferError):
            out['result'] = 'answer'
            out['rcode'] = dns.rcode.to_text(e.rcode)
    print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
