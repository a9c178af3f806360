#!/usr/bin/env bash
# Where a token can't be replayed (issue 9), real wws, wsf and IMS core,
# a raw WebSocket client (socat) registering alice with her token:
#  - after POST /logout (the token revoked at the wws) the same token is
#    refused by the wsf (introspection: inactive -> 401 invalid_token) and
#    /logout itself refuses it;
#  - a token presented over a WebSocket whose Origin is another page than
#    its issuer's (token_origin) -> 403, nothing sent to IMS;
#  - the trace shows the token's claims but not its signature.
# (Expired, not-yet-valid, forged and wrong-audience tokens: check_wsf_token;
# replayed Digest responses: security_trust.sh.)
. "$(dirname "$0")/lib.sh"
crlf() { sed 's/$/\r/'; }
HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
WS_PORT=$(free_port); WSF_SIP=$(free_port); WWS_PORT=$(free_port)
WWS=https://127.0.0.1:$WWS_PORT
OTHER=https://127.0.0.1:1
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
start wws wws --set port=$WWS_PORT --set db=$WORK/wws.db \
	--set cert=$WORK/wws/cert.pem --set key=$WORK/wws/key.pem \
	--set signing_key=$WORK/wws/signing.pem --set issuer=$WWS \
	--set pbkdf2_iterations=1000 --set trace_file=$TRACE
wait_port $WWS_PORT tcp
start wsf wsf --set wss_port=0 --set ws_port=$WS_PORT --set sip_port=$WSF_SIP \
	--set pcscf_port=$PCSCF_PORT --set cert=$WORK/wsf/cert.pem \
	--set key=$WORK/wsf/key.pem --set allowed_origins=$WWS,$OTHER \
	--set trace_file=$TRACE --set token_check=introspect \
	--set trusted_wws=$WWS
wait_port $WS_PORT tcp

login() {
	curl -sk -X POST "$WWS/login" -H 'Content-Type: application/json' \
		-d '{"id":"alice@web.example.com","password":"alice-web"}' |
		jq -r .token
}
# ws_register TOKEN ORIGIN CSEQ: a REGISTER over a fresh WebSocket; prints
# the first SIP status line that comes back.
ws_register() {
	local msg n
	msg=$(crlf <<EOM
REGISTER sip:ims.example.com SIP/2.0
Via: SIP/2.0/WS k3v9.invalid;branch=z9hG4bK-tok-$3
Max-Forwards: 70
From: <sip:alice@ims.example.com>;tag=tk$3
To: <sip:alice@ims.example.com>
Call-ID: token-replay-$3
CSeq: $3 REGISTER
Contact: <sip:k3v9@k3v9.invalid;transport=ws>;expires=600
Supported: path, outbound
Authorization: Bearer $1
Content-Length: 0

EOM
	echo x)
	msg=${msg%x}
	n=${#msg}
	{
		printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
		printf 'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
		printf 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n'
		printf 'Origin: %s\r\n\r\n' "$2"
		sleep 0.3
		printf "\\x81\\xfe\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))\\x00\\x00\\x00\\x00"
		printf '%s' "$msg"
		sleep 2
	} | timeout 8 socat -t 1 - TCP:127.0.0.1:$WS_PORT 2>/dev/null |
		tr -d '\0' | grep -a -o "SIP/2.0 [0-9][0-9][0-9][^[:cntrl:]]*" | head -1 || true
}
to_ims() { # call-id: REGISTERs the wsf sent to the P-CSCF for it
	jq -c "select(.node == \"wsf\" and .dir == \"send\" and .proto == \"sip\"
		and (.summary | startswith(\"REGISTER\"))
		and (.raw | @base64d | contains(\"$1\")))" "$TRACE" | wc -l
}

TOKEN=$(login)
[ "${TOKEN:0:3}" = eyJ ] || fail "no token from /login: '$TOKEN'"
out=$(ws_register "$TOKEN" "$WWS" 1)
[ "${out:0:11}" = "SIP/2.0 200" ] || fail "registration with the token: '$out'"
ok "the token registers alice from its issuer's page: $out"

out=$(curl -sk -X POST "$WWS/logout" -H "Authorization: Bearer $TOKEN")
[ "$(echo "$out" | jq -r .result)" = logged_out ] || fail "/logout: $out"
out=$(ws_register "$TOKEN" "$WWS" 2)
[ "${out:0:11}" = "SIP/2.0 401" ] || fail "token after logout: '$out'"
[ "$(to_ims token-replay-2)" -eq 0 ] || fail "the revoked token's REGISTER reached IMS"
code=$(curl -sk -o /dev/null -w '%{http_code}' -X POST "$WWS/logout" \
	-H "Authorization: Bearer $TOKEN")
[ "$code" = 401 ] || fail "/logout with a revoked token: $code"
ok "after /logout the token is refused: '$out', nothing to IMS; /logout again: 401"

TOKEN2=$(login)
out=$(ws_register "$TOKEN2" "$OTHER" 3)
[ "$out" = "SIP/2.0 403 token presented from another Origin" ] ||
	fail "token from another Origin: '$out'"
[ "$(to_ims token-replay-3)" -eq 0 ] || fail "it reached IMS"
ok "a token presented from another page's Origin: '$out'"

sig=${TOKEN##*.}
grep -q -- "$(printf %s "$sig" | head -c 40)" "$TRACE" &&
	fail "the token's signature is in the trace file"
# Decoded once into a file: grep -q on a pipe could SIGPIPE jq and fail
# the pipeline under pipefail.
jq -r '.raw | @base64d' "$TRACE" >"$WORK/decoded.txt" ||
	fail "jq cannot read $TRACE"
grep -a -q -- "$sig" "$WORK/decoded.txt" &&
	fail "the token's signature is in a traced message"
grep -a -q -- "${TOKEN%.*}" "$WORK/decoded.txt" ||
	fail "the token's header and claims are not in the trace"
ok "the trace keeps the token's header and claims, not its signature"
