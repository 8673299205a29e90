#!/usr/bin/env bash
# TSIG interop with tools nobody here wrote, over real sockets on 127.0.0.1 free ports: dig -y and kdig -y
# (NOTIFY, and opcode 14 with dig: kdig 3.2 has no +opcode) to the agent, replies verified by them; dnspython's
# own TSIG (it verifies the reply itself, and raises on a BADTIME answer; dnspython 2.3 cannot parse opcode 14); signed NOTIFYs from knotd (remote
# with key) and named (also-notify ... key) accepted. Skipped (77) when the peers part is not installed.
# usage: tsig-interop.sh AGENT PEERS_DIR
set -u
agent=$1 peers=$2
PY=/usr/bin/python3
for t in dig kdig knotd named; do
  command -v $t >/dev/null || PATH=$PATH:/usr/sbin
  command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/setup.sh peers)"; exit 77; }
done
$PY -c 'import dns.tsig' 2>/dev/null || { echo "SKIP: python3-dnspython not installed"; exit 77; }

SECRET=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=
WRONG=b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMzI=
K=hmac-sha256:catkey.:$SECRET
dir=$(mktemp -d "${TMPDIR:-/tmp}/tsig-interop.XXXXXX")
pids=()
fails=0
cleanup() { "$peers/stop" "${pids[@]}"; rm -rf "$dir"; }
trap cleanup EXIT
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() {   # description, command output, grep -E patterns that must all match, ! patterns that must not
  local what=$1 out=$2; shift 2
  for p in "$@"; do
    if [[ $p == '!'* ]]; then
      grep -qE -- "${p:1}" <<<"$out" && { bad "$what: has /${p:1}/"; echo "$out" | sed 's/^/     | /'; return; }
    else
      grep -qE -- "$p" <<<"$out" || { bad "$what: lacks /$p/"; echo "$out" | sed 's/^/     | /'; return; }
    fi
  done
  ok "$what"
}

start_agent() {   # name, extra config lines; sets port_<name>
  local name=$1 extra=$2 port
  port=$("$peers/free-port")
  cat >"$dir/$name.conf" <<CONF
[service:agent]
listen = 127.0.0.1:$port
masters = 192.0.2.1
backend_driver = fake
$extra
[tsigkey:catkey.]
algorithm = hmac-sha256
secret = $SECRET
CONF
  setsid timeout -k 5 300 "$agent" --foreground --config-file "$dir/$name.conf" >"$dir/$name.log" 2>&1 &
  local p=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  pids+=("$(pgrep -P $p -f msdns-agent | head -1)" "$p")
  eval "port_$name=$port"
}

start_agent keyed "tsig_keys = catkey."
start_agent nokeys ""
start_agent required "tsig_keys = catkey.
require_tsig = true"
start_agent limited "tsig_keys = catkey.
allow_notify = 192.0.2.1"

D="dig @127.0.0.1 +time=2 +tries=1"
# dig: NOTIFY and CREATE/DELETE (opcode 14), UDP and TCP; dig prints a warning when a reply does not verify
out=$($D -p $port_keyed -y $K +opcode=notify example.com SOA 2>&1)
check "dig -y NOTIFY: NOERROR AA, reply signed and verified by dig" "$out" 'status: NOERROR' 'flags: qr aa' \
  'TSIG.*hmac-sha256\. .* NOERROR 0' '!Couldn.t verify|WARNING -- Some TSIG|tsig verify failure'
out=$($D -p $port_keyed -y $K +opcode=14 example.com -t TYPE65282 -c CLASS65280 2>&1)
check "dig -y +opcode=14 CREATE" "$out" 'opcode: RESERVED14, status: NOERROR' 'flags: qr aa' 'TSIG.* NOERROR 0' \
  '!Couldn.t verify|WARNING -- Some TSIG'
out=$($D -p $port_keyed +tcp -y $K +opcode=14 example.com -t TYPE65283 -c CLASS65280 2>&1)
check "dig -y +tcp +opcode=14 DELETE" "$out" 'status: NOERROR' 'TSIG.* NOERROR 0' '!Couldn.t verify|WARNING -- Some TSIG'
out=$($D -p $port_keyed -y hmac-sha256:catkey.:$WRONG +opcode=notify example.com SOA 2>&1)
check "dig -y with a wrong secret: NOTAUTH, BADSIG, unsigned" "$out" 'status: NOTAUTH' 'TSIG.* 0 [0-9]+ BADSIG'
out=$($D -p $port_keyed -y hmac-sha512:catkey.:$SECRET +opcode=notify example.com SOA 2>&1)
check "dig -y with another algorithm: NOTAUTH, BADKEY" "$out" 'status: NOTAUTH' 'BADKEY'
out=$($D -p $port_keyed -y hmac-sha256:other.:$SECRET +opcode=notify example.com SOA 2>&1)
check "dig -y with an unknown key: NOTAUTH, BADKEY" "$out" 'status: NOTAUTH' 'other\..*BADKEY'

# kdig: NOTIFY over UDP and TCP; kdig warns "reply verification ... failed" when it does not verify
KD="kdig @127.0.0.1 +time=2 +retry=0"
out=$($KD -p $port_keyed -y $K example.com -t NOTIFY 2>&1)
check "kdig -y NOTIFY" "$out" 'opcode: NOTIFY; status: NOERROR' '[Ff]lags: qr aa' 'TSIG.*hmac-sha256\. .* NOERROR 0' \
  '!reply verification|WARNING'
out=$($KD -p $port_keyed +tcp -y $K example.com -t NOTIFY 2>&1)
check "kdig -y +tcp NOTIFY" "$out" 'status: NOERROR' 'TSIG.* NOERROR 0' '!reply verification|WARNING'
out=$($KD -p $port_keyed -y hmac-sha256:nokey.:$SECRET example.com -t NOTIFY 2>&1)
check "kdig -y unknown key: BADKEY" "$out" 'BADKEY'

# the original behaviour without keys: a signed message gets no reply at all
out=$($D -p $port_nokeys -y $K +opcode=notify example.com SOA 2>&1)
check "no tsig_keys: a signed NOTIFY gets no reply" "$out" 'timed out|no servers could be reached' '!status:'
out=$($D -p $port_nokeys +opcode=notify +norec example.com SOA 2>&1)
check "no tsig_keys: an unsigned NOTIFY is answered" "$out" 'status: NOERROR'
# require_tsig: unsigned REFUSED; signed fine
out=$($D -p $port_required +opcode=notify +norec example.com SOA 2>&1)
check "require_tsig: unsigned REFUSED" "$out" 'status: REFUSED'
out=$($D -p $port_required -y $K +opcode=notify example.com SOA 2>&1)
check "require_tsig: signed NOERROR" "$out" 'status: NOERROR' '!Couldn.t verify|WARNING -- Some TSIG'
# allow_notify applies to signed requests too: REFUSED, and the refusal is signed
out=$($D -p $port_limited -y $K +opcode=notify example.com SOA 2>&1)
check "allow_notify: a signed request from elsewhere REFUSED (signed)" "$out" 'status: REFUSED' 'TSIG.* NOERROR 0' \
  '!Couldn.t verify|WARNING -- Some TSIG'
grep -q 'refused: TSIG bad signature (key catkey.), answered NOTAUTH' "$dir/keyed.log" &&
  ok "the refusal is logged" || bad "no refusal log line in keyed.log"
grep -q "$SECRET" "$dir"/*.log && bad "a log holds the secret" || ok "no log holds the secret"

# dnspython's own TSIG: it signs, and verifies the reply itself (raises when it does not verify); a request
# signed 1000 s in the past gets a signed BADTIME with our clock, which dnspython verifies and raises on
out=$($PY - "$port_keyed" "$SECRET" <<'PY' 2>&1
import sys, time
import dns.message, dns.query, dns.tsig, dns.opcode, dns.flags, dns.rcode, dns.rdataclass
port, secret = int(sys.argv[1]), sys.argv[2]
key = dns.tsig.Key("catkey.", secret, "hmac-sha256")
for proto in ("udp", "tcp"):
    q = dns.message.make_query("example.com.", "SOA")
    q.set_opcode(dns.opcode.NOTIFY)
    q.flags |= dns.flags.AA
    q.use_tsig(key)
    r = getattr(dns.query, proto)(q, "127.0.0.1", port=port, timeout=3)
    print("dnspython", proto, dns.rcode.to_text(r.rcode()), "aa" if r.flags & dns.flags.AA else "-",
          "signed" if r.had_tsig else "unsigned")
real = time.time
time.time = lambda: real() - 1000   # our clock 1000 s behind: signed then, and the reply checked by it
q = dns.message.make_query("example.com.", "SOA")
q.set_opcode(dns.opcode.NOTIFY)
q.use_tsig(key)
try:
    dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    print("dnspython badtime: no error")
except dns.tsig.PeerBadTime:
    print("dnspython badtime: PeerBadTime")
except Exception as e:
    print("dnspython badtime:", type(e).__name__, e)
PY
)
check "dnspython signs and verifies (UDP, TCP); BADTIME is signed and verified" "$out" \
  'dnspython udp NOERROR aa signed' 'dnspython tcp NOERROR aa signed' 'dnspython badtime: PeerBadTime'

# knotd and named send the agent a signed NOTIFY for their zone at start (knotd: remote with key; named:
# also-notify ... key); the agent verifies and answers it (its log), and they see a good signed answer
kdir=$dir/knot ndir=$dir/named
mkdir -p "$kdir" "$ndir"
printf '$ORIGIN notified.test.\n$TTL 300\n@ SOA ns hostmaster 5 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n' |
  tee "$kdir/zone" >"$ndir/zone"
kport=$("$peers/free-port")
cat >"$kdir/knot.conf" <<CONF
server:
    rundir: $kdir
    listen: 127.0.0.1@$kport
log:
  - target: stderr
    any: info
database:
    storage: $kdir
key:
  - id: catkey.
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: agent
    address: 127.0.0.1@$port_keyed
    key: catkey.
template:
  - id: default
    storage: $kdir
zone:
  - domain: notified.test
    file: $kdir/zone
    notify: agent
CONF
nport=$("$peers/free-port")
cat >"$ndir/named.conf" <<CONF
options { directory "$ndir"; pid-file "$ndir/named.pid"; session-keyfile "$ndir/session.key";
  listen-on port $nport { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; notify explicit; };
controls { };
key "catkey." { algorithm hmac-sha256; secret "$SECRET"; };
zone "notified.test" { type primary; file "$ndir/zone"; also-notify { 127.0.0.1 port $port_keyed key catkey.; }; };
CONF
if kp=$("$peers/start" knotd "$kdir/knot.conf" "$kport" "$kdir/knot.log" 120); then pids+=("$kp"); else bad "knotd did not start"; fi
if np=$("$peers/start" named "$ndir/named.conf" "$nport" "$ndir/named.log" 120); then pids+=("$np"); else bad "named did not start"; fi
for _ in $(seq 1 100); do
  [ "$(grep -c 'NOTIFY notified.test from 127.0.0.1:[0-9]*/[tu][cd]p: NOERROR AA' "$dir/keyed.log")" -ge 2 ] && break
  sleep 0.1
done
n=$(grep -c 'NOTIFY notified.test from 127.0.0.1:[0-9]*/[tu][cd]p: NOERROR AA' "$dir/keyed.log")
[ "$n" -ge 2 ] && ok "signed NOTIFYs from knotd and named accepted ($n)" ||
  { bad "signed NOTIFYs accepted: $n, want 2"; tail -5 "$dir/keyed.log"; }
grep -qiE 'notify.*(failed|error|BAD)' "$kdir/knot.log" && { bad "knotd reports a failed notify"; grep -i notify "$kdir/knot.log"; } ||
  ok "knotd saw a good answer ($(grep -ci 'notify, outgoing' "$kdir/knot.log") outgoing notify lines)"
grep -qiE 'notify.*(fail|error|tsig)' "$ndir/named.log" && { bad "named reports a notify problem"; grep -i notify "$ndir/named.log"; } ||
  ok "named saw a good answer ($(grep -ci 'sending notifies' "$ndir/named.log") sending lines)"
# exactly the four refusals asked for above (wrong secret, algorithm, two unknown keys); BADTIME is a fifth
n=$(grep -c 'refused: TSIG' "$dir/keyed.log")
[ "$n" -eq 5 ] && ok "5 TSIG refusals logged, as sent" || { bad "$n TSIG refusals logged, want 5"; grep 'refused' "$dir/keyed.log"; }

echo "$fails failed"
[ "$fails" -eq 0 ]
