#!/usr/bin/env bash
# Bad input at the wsf (issue [webrtc]): a failed TLS handshake, upgrades
# without the sip subprotocol (RFC 7118 §4), bad frames answered with the
# RFC 6455 §7.4.1 close code (1002, 1007, 1009), malformed SIP inside a
# frame answered 400 over the same socket, half-open connections timed out
# after handshake_ms; and after all that the wsf still upgrades, and a
# REGISTER over WS still gets its 401 through the real IMS core.
# Peers: socat (raw bytes, frames made with printf) and openssl s_client.
. "$(dirname "$0")/lib.sh"
start_core
WSS=$(free_port); WS=$(free_port); WSF_SIP=$(free_port)
start wsf wsf --set wss_port=$WSS --set ws_port=$WS --set sip_port=$WSF_SIP \
	--set pcscf_port=$PCSCF_PORT --set trace_file=$TRACE \
	--set cert=$WORK/wsf/cert.pem --set key=$WORK/wsf/key.pem \
	--set handshake_ms=500 --set max_msg=1024
wait_port $WSS tcp; wait_port $WS tcp; wait_port $WSF_SIP udp

# The self-signed pair is made on first start, for localhost and 127.0.0.1.
grep -q "self-signed certificate .* written to $WORK/wsf/cert.pem" "$WORK/wsf.log" ||
	fail "no self-signed certificate announced: $(cat "$WORK/wsf.log")"
openssl x509 -in "$WORK/wsf/cert.pem" -noout -ext subjectAltName |
	grep -q "IP Address:127.0.0.1" || fail "certificate lacks 127.0.0.1"
ok "self-signed certificate made on first start"

KEY=dGhlIHNhbXBsZSBub25jZQ==
# upgrade [PROTOCOL-LINE]: an upgrade request (default: Sec-WebSocket-Protocol: sip)
upgrade() {
	printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
	printf 'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n' "$KEY"
	printf 'Sec-WebSocket-Version: 13\r\nOrigin: https://127.0.0.1:8443\r\n'
	printf '%b\r\n' "${1-Sec-WebSocket-Protocol: sip\r\n}"
}
# ws_raw FRAME-FORMAT [ARG]: upgrade on the plain port, send the frame bytes
# (printf format), print everything that comes back (raw).
ws_raw() {
	{ upgrade; sleep 0.3; printf "$@"; sleep 1; } |
		timeout 10 socat -t 2 - "TCP:127.0.0.1:$WS" 2>/dev/null || true
}
hex() { od -An -tx1 -v | tr -d '\n'; }
# frame TEXT: a masked (zero key) text frame carrying TEXT, as printf escapes
frame() {
	local n=${#1}
	if [ "$n" -lt 126 ]; then printf '\\x81\\x%02x' $((n | 128))
	else printf '\\x81\\xfe\\x%02x\\x%02x' $((n >> 8)) $((n & 255)); fi
	printf '\\x00\\x00\\x00\\x00'
}

# A failed TLS handshake: plain HTTP, junk, and TLS 1.1 (we speak 1.2-1.3).
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' |
	timeout 5 socat -t 2 - "TCP:127.0.0.1:$WSS" 2>/dev/null | tr -d '\0' || true)
case "$out" in *HTTP/1.1*) fail "plain HTTP to the WSS port was answered: $out" ;; esac
head -c 512 /dev/urandom | timeout 5 socat -t 1 - "TCP:127.0.0.1:$WSS" >/dev/null 2>&1 || true
echo | timeout 5 openssl s_client -connect "127.0.0.1:$WSS" -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0' >"$WORK/tls11.out" 2>&1 &&
	fail "a TLS 1.1 handshake succeeded"
grep -q "alert protocol version" "$WORK/tls11.out" ||
	fail "TLS 1.1: no protocol_version alert: $(tail -3 "$WORK/tls11.out")"
ok "failed TLS handshakes (plain HTTP, junk, TLS 1.1) are refused"

# Upgrades without sip: 400 naming the reason, on WS and on WSS.
out=$(ws_raw '' | head -1)
[ "$out" = $'HTTP/1.1 101 Switching Protocols\r' ] || fail "good upgrade: '$out'"
out=$({ upgrade ''; sleep 0.5; } | timeout 5 socat -t 2 - "TCP:127.0.0.1:$WS" || true)
echo "$out" | head -1 | grep -q "^HTTP/1.1 400" || fail "no sip over WS: '$out'"
echo "$out" | grep -q "sip subprotocol required" || fail "400 without reason: '$out'"
out=$({ upgrade 'Sec-WebSocket-Protocol: chat\r\n'; sleep 0.5; } |
	timeout 5 openssl s_client -quiet -connect "127.0.0.1:$WSS" 2>/dev/null |
	head -1 || true)
echo "$out" | grep -q "^HTTP/1.1 400" || fail "chat over WSS: '$out'"
ok "upgrade without the sip subprotocol: 400 (WS and WSS)"

# Bad frames: the close frame we send back carries the RFC 6455 code.
check_close() { # name code-hex printf-args...
	local name=$1 code=$2; shift 2
	local got
	got=$(ws_raw "$@" | hex)
	echo "$got" | grep -q " 88 02 $code" ||
		fail "$name: no close $code in: ${got: -60}"
	ok "$name -> close ${code/ /}"
}
check_close "unmasked client frame" "03 ea" '\x81\x05hello'
check_close "reserved bits set" "03 ea" '\xc1\x85\x00\x00\x00\x00hello'
check_close "unknown opcode 0x3" "03 ea" '\x83\x85\x00\x00\x00\x00hello'
check_close "fragmented ping" "03 ea" '\x09\x80\x00\x00\x00\x00'
check_close "2048-byte frame over max_msg=1024" "03 f1" \
	'\x82\xfe\x08\x00\x00\x00\x00\x00'
check_close "invalid UTF-8 in a text frame" "03 ef" \
	'\x81\x82\x00\x00\x00\x00\xc3\x28'

# Malformed SIP inside a frame: 400 over the same socket, which stays open.
printf -v bad '%s\r\n' "OPTIONS sip:ims.example.com SIP/2.0" \
	"Via: SIP/2.0/WS x.invalid;branch=z9hG4bKbad" \
	"From: <sip:a@b>;tag=1" "To: <sip:a@b>" "Call-ID: bad-frame" \
	"CSeq: x OPTIONS" ""
out=$(LC_ALL=C ws_raw "$(LC_ALL=C frame "$bad")%s" "$bad" | tr -d '\0')
echo "$out" | grep -aq "SIP/2.0 400 Bad CSeq" || fail "malformed SIP: '$out'"
echo "$out" | grep -aq "Call-ID: bad-frame" || fail "400 without the Call-ID"
# CRLF keep-alive (RFC 5626 §4.4.1): a CRLF comes back, nothing else.
got=$(ws_raw '\x81\x84\x00\x00\x00\x00\r\n\r\n' | hex)
echo "$got" | grep -q " 81 02 0d 0a" || fail "CRLF keep-alive: ${got: -40}"
ok "malformed SIP in a frame -> 400 on the socket; CRLF keep-alive answered"

# Half-open connections (nothing sent) are closed after handshake_ms.
for port in $WS $WSS; do
	t0=$(date +%s%N)
	timeout 5 socat -u "TCP:127.0.0.1:$port" - >/dev/null 2>&1 || true
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $ms -ge 400 ] && [ $ms -lt 3000 ] ||
		fail "half-open connection to :$port closed after $ms ms"
done
ok "half-open connections closed after handshake_ms"

# Still serving: a good upgrade over WSS, and a REGISTER over WS reaches
# the IMS core through the P-CSCF and its 401 comes back.
# (the client's close frame, code 1000, makes the server end the connection)
out=$({ upgrade; sleep 0.3; printf '\x88\x82\x00\x00\x00\x00\x03\xe8'; sleep 0.5; } |
	timeout 5 openssl s_client -quiet -connect "127.0.0.1:$WSS" 2>/dev/null |
	tr -d '\0' || true)
echo "$out" | head -1 | grep -q "^HTTP/1.1 101" || fail "WSS upgrade after bad input: '$out'"
echo "$out" | grep -qi "^Sec-WebSocket-Protocol: sip" || fail "101 without sip: '$out'"
printf -v reg '%s\r\n' "REGISTER sip:ims.example.com SIP/2.0" \
	"Via: SIP/2.0/WS x.invalid;branch=z9hG4bKwsreg;rport" "Max-Forwards: 70" \
	"From: <sip:alice@ims.example.com>;tag=w1" \
	"To: <sip:alice@ims.example.com>" "Call-ID: wsf-bad-input-reg" \
	"CSeq: 1 REGISTER" "Contact: <sip:k3v9@x.invalid;transport=ws>;expires=600" \
	'Authorization: Digest username="alice@ims.example.com", realm="ims.example.com", uri="sip:ims.example.com", nonce="", response=""' \
	"Content-Length: 0" ""
out=$(LC_ALL=C ws_raw "$(LC_ALL=C frame "$reg")%s" "$reg" | tr -d '\0')
echo "$out" | grep -aq "SIP/2.0 401" || fail "REGISTER over WS got no 401: '$out'"
echo "$out" | grep -aq "WWW-Authenticate: Digest" || fail "401 without a challenge"
grep -q '"node":"wsf".*"proto":"http","transport":"tls".*"summary":"HTTP/1.1 101' "$TRACE" ||
	fail "no 101 over TLS in the trace"
grep -q '"node":"wsf","dir":"recv","proto":"sip","transport":"ws".*"summary":"REGISTER' "$TRACE" ||
	fail "no REGISTER over ws in the trace"
ok "after bad input the wsf upgrades and relays a REGISTER to the core"

# challenge=terminate (TR 23.701 NOTE 3) through the real core: the client
# hands alice's password in X-IMS-Credential over WSS, sees no 401, gets 200
# for CSeq 1 and for its de-registration with CSeq 2 (the wsf shifted the
# CSeqs it sent); the log points at the Editor's Note.
WSS_T=$(free_port)
start wsft wsf --set wss_port=$WSS_T --set ws_port=0 --set sip_port=0 \
	--set pcscf_port=$PCSCF_PORT --set trace_file=$TRACE \
	--set challenge=terminate --set cert=$WORK/wsf/cert.pem \
	--set key=$WORK/wsf/key.pem
wait_port $WSS_T tcp
reg_t() { # cseq expires [extra-header]
	printf -v R '%s\r\n' "REGISTER sip:ims.example.com SIP/2.0" \
		"Via: SIP/2.0/WSS x.invalid;branch=z9hG4bKt$1;rport" \
		"Max-Forwards: 70" "From: <sip:alice@ims.example.com>;tag=t1" \
		"To: <sip:alice@ims.example.com>" "Call-ID: wsf-terminate" \
		"CSeq: $1 REGISTER" \
		"Contact: <sip:k3v9@x.invalid;transport=ws>;expires=$2" \
		${3:+"$3"} "Content-Length: 0" ""
}
reg_t 1 600 'X-IMS-Credential: impi="alice@ims.example.com", password="alice-pass"'
r1=$R
reg_t 2 0
r2=$R
out=$({ upgrade; sleep 0.3
	LC_ALL=C printf "$(LC_ALL=C frame "$r1")%s" "$r1"; sleep 1.5
	LC_ALL=C printf "$(LC_ALL=C frame "$r2")%s" "$r2"; sleep 1.5
	printf '\x88\x82\x00\x00\x00\x00\x03\xe8'; sleep 0.5; } |
	timeout 10 openssl s_client -quiet -connect "127.0.0.1:$WSS_T" 2>/dev/null |
	tr -d '\0' | grep -aoE 'SIP/2\.0 [0-9]{3}|CSeq: [0-9]+ REGISTER' |
	tr '\n' ' ' || true)
[ "$out" = "SIP/2.0 200 CSeq: 1 REGISTER SIP/2.0 200 CSeq: 2 REGISTER " ] ||
	fail "challenge=terminate: the client got '$out'"
grep -q "challenge terminated at the wsf: the IMS credential of alice@ims.example.com is held by the WSF (TR 23.701 Editor's Note" \
	"$WORK/wsft.log" || fail "no Editor's Note warning in the log"
grep -q '"node":"wsf","dir":"recv","proto":"sip","transport":"udp".*"summary":"SIP/2.0 401' "$TRACE" ||
	fail "the 401 the wsf answered is not in the trace"
stop wsft
ok "challenge=terminate: the wsf answers the 401; the client sees 200s only"

# Config errors: exit 2 with one line; a port in use: exit 1.
rc=0; "$BIN/wsf" --set challenge=maybe >"$WORK/bad.out" 2>&1 || rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$WORK/bad.out")" -eq 1 ] ||
	fail "bad challenge: status $rc, $(cat "$WORK/bad.out")"
rc=0; "$BIN/wsf" --set listen=localhost >"$WORK/bad.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "non-numeric listen: status $rc"
rc=0; timeout 10 "$BIN/wsf" --set wss_port=$WSS --set ws_port=0 --set sip_port=0 \
	--set cert=$WORK/wsf/cert.pem --set key=$WORK/wsf/key.pem \
	>"$WORK/busy.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "WSS port in use: status $rc, $(cat "$WORK/busy.out")"
ok "bad config exits 2, a busy port exits 1"

stop wsf
for p in pcscf scscf hss; do stop $p; done
