#!/usr/bin/env bash
# The trusted path and replays (issue 9), real processes, raw SIP:
#  - integrity-protected="auth-done" sent straight to the S-CSCF from an
#    address that is not its trusted peer: challenged (401), no SAR;
#  - the same through the P-CSCF from an untrusted edge: the parameter is
#    stripped, the S-CSCF challenges;
#  - the same as a client of the wsf (a trusted edge of the P-CSCF) over
#    WebSocket: the wsf drops it, the S-CSCF challenges;
#  - a Digest response captured from a registration (client-sim) and sent
#    again (new transaction, same nonce and nc) is never answered 200:
#    while registered and after the de-registration.
. "$(dirname "$0")/lib.sh"
crlf() { sed 's/$/\r/'; }
HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
WS_PORT=$(free_port); WSF_SIP=$(free_port)
TRACE=$WORK/trace.jsonl
start hss hss-sim --set port=$HSS_PORT --set db=$WORK/hss.db \
	--set trace_file=$TRACE
wait_port $HSS_PORT tcp
start scscf scscf-sim --set port=$SCSCF_PORT --set hss_port=$HSS_PORT \
	--set db=$WORK/scscf.db --set trace_file=$TRACE \
	--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr" \
	--set trust_auth_done=true --set trusted_peers=127.0.0.1:$PCSCF_PORT
wait_port $SCSCF_PORT udp
start pcscf pcscf-sim --set port=$PCSCF_PORT --set scscf_port=$SCSCF_PORT \
	--set trace_file=$TRACE \
	--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr" \
	--set trusted_edges=127.0.0.1:$WSF_SIP
wait_port $PCSCF_PORT udp
start wsf wsf --set wss_port=0 --set ws_port=$WS_PORT --set sip_port=$WSF_SIP \
	--set pcscf_port=$PCSCF_PORT --set cert=$WORK/wsf/cert.pem \
	--set key=$WORK/wsf/key.pem --set allowed_origins='*' \
	--set trace_file=$TRACE
wait_port $WS_PORT tcp

AUTH_DONE='Authorization: Digest username="alice@ims.example.com", realm="ims.example.com", uri="sip:ims.example.com", nonce="", response="", integrity-protected="auth-done"'
reg() { # id transport auth-line
	crlf <<EOM
REGISTER sip:ims.example.com SIP/2.0
Via: SIP/2.0/$2 127.0.0.1:9;branch=z9hG4bK-trust-$1;rport
Max-Forwards: 70
From: <sip:alice@ims.example.com>;tag=t$1
To: <sip:alice@ims.example.com>
Call-ID: trust-$1
CSeq: 1 REGISTER
Contact: <sip:alice@127.0.0.1:9>;expires=600
Supported: path
$3
Content-Length: 0

EOM
}
# saw FILTER: how many trace lines match (jq select body)
saw() { jq -c "select($1)" "$TRACE" | wc -l; }
sars() { saw '.proto == "diameter" and (.summary | startswith("SAR"))'; }

# 1. Straight to the S-CSCF from an untrusted address.
out=$(reg direct UDP "$AUTH_DONE" | socat -t 3 - UDP:127.0.0.1:$SCSCF_PORT 2>/dev/null || true)
echo "$out" | head -1 | grep -q "^SIP/2.0 401" ||
	fail "auth-done straight to the S-CSCF: '$(echo "$out" | head -1)'"
[ "$(sars)" -eq 0 ] || fail "a SAR followed the untrusted auth-done"
ok "auth-done straight to the S-CSCF from an untrusted address: 401, no SAR"

# 2. Through the P-CSCF from an untrusted edge.
out=$(reg edge UDP "$AUTH_DONE" | socat -t 3 - UDP:127.0.0.1:$PCSCF_PORT 2>/dev/null || true)
echo "$out" | head -1 | grep -q "^SIP/2.0 401" ||
	fail "auth-done through the P-CSCF: '$(echo "$out" | head -1)'"
[ "$(saw '.node == "pcscf" and .dir == "send" and (.raw | @base64d |
	contains("trust-edge") and contains("auth-done")))')" -eq 0 ] ||
	fail "the P-CSCF passed the untrusted auth-done on"
[ "$(sars)" -eq 0 ] || fail "a SAR followed"
ok "auth-done through the P-CSCF from an untrusted edge: stripped, 401"

# 3. As a WebSocket client of the wsf (the P-CSCF's trusted edge).
upgrade() {
	printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
	printf 'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
	printf 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n'
}
msg=$(reg ws WS "$AUTH_DONE"; echo x)
msg=${msg%x}
n=${#msg}
out=$( { upgrade; sleep 0.3
	printf "\\x81\\xfe\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))\\x00\\x00\\x00\\x00"
	printf '%s' "$msg"; sleep 2; } |
	timeout 6 socat -t 1 - TCP:127.0.0.1:$WS_PORT 2>/dev/null | tr -d '\0' || true)
echo "$out" | grep -a -q "SIP/2.0 401" || fail "auth-done over the wsf: no 401: ${out:0:300}"
echo "$out" | grep -a -q "SIP/2.0 200" && fail "auth-done over the wsf registered alice"
[ "$(saw '.node == "wsf" and .dir == "send" and (.raw | @base64d |
	contains("trust-ws") and contains("integrity-protected")))')" -eq 0 ] ||
	fail "the wsf passed the client's integrity-protected on"
[ "$(sars)" -eq 0 ] || fail "a SAR followed"
ok "auth-done from a wsf client: dropped by the wsf, 401, no SAR"

# 4. Replay of a captured Digest response.
start ue client-sim --set pcscf_port=$PCSCF_PORT --set trace_file=$TRACE \
	--set log_level=warn register alice sip:alice@ims.example.com \
	alice@ims.example.com alice-pass
for _ in $(seq 100); do
	grep -q '"event":"registered"' "$WORK/ue.log" && break
	sleep 0.1
done
grep -q '"event":"registered"' "$WORK/ue.log" || fail "client-sim: $(cat "$WORK/ue.log")"
# The client's REGISTER that carried a real response.
jq -r 'select(.node == "client" and .dir == "send" and
	(.raw | @base64d | test("response=\"[0-9a-f]{32,}\""))) | .raw' "$TRACE" |
	head -1 | base64 -d >"$WORK/captured.sip"
[ -s "$WORK/captured.sip" ] || fail "no answered REGISTER in the trace"
replay() { # tag: the captured REGISTER, new branch and CSeq, to the P-CSCF
	sed -e "s/branch=z9hG4bK[^;,\r]*/branch=z9hG4bK-replay-$1/" \
		-e "s/^CSeq: [0-9]*/CSeq: 9$RANDOM/" "$WORK/captured.sip" |
		socat -t 3 - UDP:127.0.0.1:$PCSCF_PORT 2>/dev/null | head -1 |
		tr -d '\r' || true
}
out=$(replay live)
case "$out" in "SIP/2.0 401"* | "SIP/2.0 403"*) ;;
*) fail "replayed response while registered: '$out'" ;; esac
stop ue
grep -q '"event":"deregistered"' "$WORK/ue.log" || fail "client-sim did not de-register"
out2=$(replay later)
case "$out2" in "SIP/2.0 401"* | "SIP/2.0 403"*) ;;
*) fail "replayed response after de-registration: '$out2'" ;; esac
ok "a captured Digest response replayed: '$out' while registered," \
	"'$out2' after de-registration"
