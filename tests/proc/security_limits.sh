#!/usr/bin/env bash
# Per-source limits (issue 9), each hit from 127.0.0.1 while another source
# (127.0.0.2) or a later connection is still served:
#   SIP TCP connections per IP (max_conns_per_ip) -> the extra one closed;
#   unanswered SIP requests per IP (max_pending_per_ip) -> 503 Retry-After;
#   a SIP message over 65535 bytes over TCP and inside a WebSocket -> 513;
#   more than 128 SIP headers -> 400, more than 64 HTTP headers -> 431;
#   HTTPS connections per IP at the wws -> 503 with Retry-After;
#   WebSockets per IP at the wsf -> 101 then close 1013 (Try Again Later);
#   slow loris: a trickled SIP message over TCP -> closed after
#   tcp_msg_timeout_ms, a half-sent HTTP request -> 408 after
#   request_timeout_ms, a half-sent upgrade at the wsf -> closed after
#   handshake_ms.
# (Other size limits have their own tests: WS close 1009 and HTTP 413/431
# in wsf_bad_input.sh and wws_bad_input.sh.)
. "$(dirname "$0")/lib.sh"
crlf() { sed 's/$/\r/'; }
hex() { od -An -tx1 -v | tr -d ' \n'; }

# A P-CSCF whose S-CSCF never answers: its requests stay pending.
P=$(free_port); HOLE=$(free_port); TRACE=$WORK/trace.jsonl
[ "$P" != "$HOLE" ] || HOLE=$(free_port)
socat -u UDP-RECV:$HOLE,bind=127.0.0.1 /dev/null &
PIDS+=($!)
start pcscf pcscf-sim --set port=$P --set scscf_port=$HOLE \
	--set trace_file=$TRACE --set max_conns_per_ip=3 \
	--set max_pending_per_ip=2 --set t1_ms=5000 --set tcp_msg_timeout_ms=800
wait_port $P udp; wait_port $P tcp

reg() { # branch-suffix [extra header line]
	crlf <<EOM
REGISTER sip:ims.example.com SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-lim-$1;rport
Max-Forwards: 70
From: <sip:alice@ims.example.com>;tag=l$1
To: <sip:alice@ims.example.com>
Call-ID: limits-$1
CSeq: 1 REGISTER
Contact: <sip:alice@127.0.0.1:9>
Authorization: Digest username="alice@ims.example.com", realm="ims.example.com", uri="sip:ims.example.com", nonce="", response=""
${2:-X-Test: 1}
Content-Length: 0

EOM
}

# big TRANSPORT: a REGISTER with a 70000-byte body (over SIP's 65535)
big() {
	reg big | sed "s|SIP/2.0/UDP|SIP/2.0/$1|; s|^Content-Length: 0|Content-Length: 70000|"
	head -c 70000 /dev/zero | tr '\0' 'x'
}

# -- pending requests per source: the third unanswered one gets 503.
reg a | socat -t 0.3 - UDP:127.0.0.1:$P >/dev/null 2>&1 || true
reg b | socat -t 0.3 - UDP:127.0.0.1:$P >/dev/null 2>&1 || true
out=$(reg c | socat -t 2 - UDP:127.0.0.1:$P 2>/dev/null || true)
echo "$out" | head -1 | grep -q "^SIP/2.0 503" ||
	fail "third pending request: expected 503, got '$(echo "$out" | head -1)'"
echo "$out" | grep -q "^Retry-After: 5" || fail "503 without Retry-After: $out"
# Another source is still served: its REGISTER goes on to the S-CSCF.
reg d | socat -t 0.5 - UDP:127.0.0.1:$P,bind=127.0.0.2 >/dev/null 2>&1 || true
sleep 0.3
jq -e -s 'map(select(.node == "pcscf" and .dir == "send" and
	(.raw | @base64d | contains("limits-d")) and
	(.summary | startswith("REGISTER")))) | length == 1' "$TRACE" >/dev/null ||
	fail "the request from 127.0.0.2 was not forwarded"
ok "unanswered requests per source: the third gets 503 Retry-After: 5;" \
	"127.0.0.2 still forwarded"

# -- TCP connections per source: the fourth is closed at once.
exec 5<>/dev/tcp/127.0.0.1/$P 6<>/dev/tcp/127.0.0.1/$P 7<>/dev/tcp/127.0.0.1/$P
sleep 0.2
rc=0; timeout 3 bash -c "exec 8<>/dev/tcp/127.0.0.1/$P; cat <&8 >/dev/null" || rc=$?
[ $rc -ne 124 ] || fail "fourth TCP connection not closed by the P-CSCF"
exec 5>&- 6>&- 7>&-
sleep 0.3
out=$(reg e | sed 's|SIP/2.0/UDP|SIP/2.0/TCP|' | socat -t 2 - TCP:127.0.0.1:$P 2>/dev/null || true)
# pending limit per source is 2 (a, b): the answer is the 503, over TCP
echo "$out" | head -1 | grep -q "^SIP/2.0 " ||
	fail "after the limit, a new TCP connection got no answer"
ok "TCP connections per source: the 4th closed at once; served again" \
	"after the others closed"

# -- sizes and counts: 513 over TCP, 400 for 129+ headers (other source).
out=$(big TCP | socat -t 2 - TCP:127.0.0.1:$P,bind=127.0.0.2 2>/dev/null || true)
echo "$out" | head -1 | grep -q "^SIP/2.0 513" ||
	fail "70 kB SIP message over TCP: '$(echo "$out" | head -1)'"
many=$(for i in $(seq 140); do printf 'X-H%d: %d\n' $i $i; done)
out=$(reg g "$many" | socat -t 2 - UDP:127.0.0.1:$P,bind=127.0.0.2 2>/dev/null || true)
echo "$out" | head -1 | grep -q "^SIP/2.0 400" ||
	fail "140 extra headers: '$(echo "$out" | head -1)'"
ok "SIP over 65535 bytes over TCP -> 513; 140 headers -> 400"

# Slow loris over SIP TCP: half a message, then a byte every 200 ms: the
# connection is closed once tcp_msg_timeout_ms (800) has passed.
t0=$(date +%s%N)
t1=$( { printf 'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2:9;branch=z9hG4bKsl\r\n'
	for _ in $(seq 20); do printf 'X'; sleep 0.2; done; } |
	timeout 8 socat -t 0.2 - TCP:127.0.0.1:$P,bind=127.0.0.2 2>/dev/null |
	{ cat >/dev/null; date +%s%N; } || true)
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -lt 2500 ] || fail "a trickled SIP message kept the connection for $ms ms"
ok "a SIP message trickled over TCP: closed after tcp_msg_timeout_ms ($ms ms)"

# -- the wws: HTTPS connections per source -> 503 Retry-After.
W=$(free_port)
start wws wws --set port=$W --set db=$WORK/wws.db --set cert=$WORK/cert.pem \
	--set key=$WORK/key.pem --set signing_key=$WORK/signing.pem \
	--set pbkdf2_iterations=1000 --set max_conns_per_ip=2 \
	--set request_timeout_ms=800
wait_port $W tcp
hold() { # port: an open TLS connection, held 4 s
	(sleep 4) | openssl s_client -quiet -connect 127.0.0.1:$1 >/dev/null 2>&1 &
	PIDS+=($!)
}
hold $W; hold $W; sleep 0.8
out=$(curl -sk -D - -o /dev/null "https://127.0.0.1:$W/" || true)
echo "$out" | head -1 | grep -q "^HTTP/1.1 503" ||
	fail "third HTTPS connection: '$(echo "$out" | head -1)'"
echo "$out" | grep -qi "^Retry-After: 5" || fail "503 without Retry-After"
code=$(curl -sk --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$W/")
[ "$code" = 200 ] || fail "another source got $code, not 200"
ok "HTTPS connections per source: the 3rd gets 503 Retry-After: 5;" \
	"127.0.0.2 served"
hdrs=(); for i in $(seq 70); do hdrs+=(-H "X-H$i: $i"); done
code=$(curl -sk --interface 127.0.0.2 -o /dev/null -w '%{http_code}' \
	"${hdrs[@]}" "https://127.0.0.1:$W/")
[ "$code" = 431 ] || fail "70 HTTP headers: $code, not 431"
ok "70 HTTP request headers (limit 64) -> 431"
# Slow loris: half a request, then nothing -> 408 after 800 ms.
t0=$(date +%s%N)
out=$( (printf 'GET / HTTP/1.1\r\nHost: x\r\n'; sleep 3) |
	timeout 5 socat -t 3 - OPENSSL:127.0.0.1:$W,verify=0,bind=127.0.0.2 2>/dev/null |
	{ IFS= read -r l; echo "$(date +%s%N) $l"; cat >/dev/null; } | tr -d '\r' || true)
ms=$(( (${out%% *} - t0) / 1000000 ))
echo "${out#* }" | grep -q "^HTTP/1.1 408" || fail "half-sent request: '$out'"
[ $ms -lt 2500 ] || fail "408 came after $ms ms"
ok "a half-sent HTTPS request gets 408 after request_timeout_ms ($ms ms)"

# -- the wsf: WebSockets per source -> 101 then close 1013; 513 inside WS.
WSS=$(free_port); WS=$(free_port)
start wsf wsf --set wss_port=$WSS --set ws_port=$WS --set sip_port=0 \
	--set pcscf_port=$HOLE --set cert=$WORK/wsf/cert.pem \
	--set key=$WORK/wsf/key.pem --set max_conns_per_ip=2 \
	--set handshake_ms=700 --set max_msg=200000 --set allowed_origins='*'
wait_port $WS tcp
upgrade() {
	printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
	printf 'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
	printf 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n'
}
# frame N: header of a masked (zero key) text frame of N bytes (N > 65535)
frame() {
	printf '\x81\xff\x00\x00\x00\x00'
	printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))"
	printf "\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"
	printf '\x00\x00\x00\x00'
}
# 513 inside a WebSocket (the message is over SIP's 65535, under max_msg).
n=$(big WS | wc -c)
out=$( { upgrade; sleep 0.3; frame $n; big WS; sleep 1; } |
	timeout 6 socat -t 2 - TCP:127.0.0.1:$WS 2>/dev/null | tr -d '\0' || true)
echo "$out" | grep -a -q "SIP/2.0 513" || fail "70 kB SIP in a WebSocket: no 513: ${out:0:300}"
ok "a 70 kB SIP message inside a WebSocket -> 513"
for i in 1 2; do
	{ upgrade; sleep 4; } | socat - TCP:127.0.0.1:$WS >/dev/null 2>&1 &
	PIDS+=($!)
done
sleep 0.8
got=$( { upgrade; sleep 1; } | timeout 5 socat -t 2 - TCP:127.0.0.1:$WS 2>/dev/null | hex || true)
echo "$got" | grep -q "^485454502f312e3120313031" || fail "third WebSocket: no 101"
echo "$got" | grep -Eq "88[0-9a-f]{2}03f5" ||
	fail "third WebSocket: no close 1013: ${got: -60}"
got=$( { upgrade; sleep 0.5; } |
	timeout 5 socat -t 1 - TCP:127.0.0.1:$WS,bind=127.0.0.2 2>/dev/null | hex || true)
echo "$got" | grep -Eq "88[0-9a-f]{2}03f5" && fail "127.0.0.2 got close 1013 too"
echo "$got" | grep -q "^485454502f312e3120313031" || fail "127.0.0.2: no 101"
ok "WebSockets per source: the 3rd gets 101 then close 1013; 127.0.0.2 served"
# Slow loris at the wsf: half an upgrade -> closed after handshake_ms
# (the time is taken when the wsf closes, not when the sender stops).
t0=$(date +%s%N)
t1=$( { printf 'GET / HTTP/1.1\r\nHost: x\r\n'; sleep 4; } |
	timeout 6 socat -t 0.2 - TCP:127.0.0.1:$WS,bind=127.0.0.2 2>/dev/null |
	{ cat >/dev/null; date +%s%N; } || true)
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -lt 2500 ] || fail "half-sent upgrade kept open for $ms ms"
ok "a half-sent upgrade is closed after handshake_ms ($ms ms)"
