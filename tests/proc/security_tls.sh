#!/usr/bin/env bash
# TLS policy of wsf (WSS) and wws (HTTPS) (issue 9): TLS 1.2 and 1.3 only;
# in TLS 1.2 only ECDHE with AEAD (GCM, ChaCha20-Poly1305): every TLS 1.2
# suite this openssl knows (RC4, 3DES, CBC-SHA1, export, NULL, anon,
# static RSA, DHE...) is offered one at a time and only those may be
# accepted; client-initiated renegotiation is refused; SSL 3.0, TLS 1.0
# and 1.1 get a protocol_version alert. wws runs once with its EC
# certificate and once with an RSA one, so the RSA suites are judged by
# the policy, not by the key type. Peer: openssl s_client.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "openssl is required"

WSS=$(free_port); WWS=$(free_port); WWS_RSA=$(free_port)
start wsf wsf --set wss_port=$WSS --set ws_port=-1 --set sip_port=0 \
	--set cert=$WORK/wsf/cert.pem --set key=$WORK/wsf/key.pem
common=(--set db=$WORK/wws.db --set signing_key=$WORK/signing.pem
	--set pbkdf2_iterations=1000)
start wws wws "${common[@]}" --set port=$WWS --set cert=$WORK/wws/cert.pem \
	--set key=$WORK/wws/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-keyout "$WORK/rsa.key" -out "$WORK/rsa.pem" >/dev/null 2>&1 ||
	fail "cannot make an RSA certificate"
wait_port $WWS tcp
start wws_rsa wws "${common[@]}" --set port=$WWS_RSA --set cert=$WORK/rsa.pem \
	--set key=$WORK/rsa.key --set db=$WORK/wws-rsa.db
wait_port $WSS tcp; wait_port $WWS_RSA tcp

# The policy, as the suites' OpenSSL names.
allowed() {
	case "$1" in
	ECDHE-ECDSA-AES128-GCM-SHA256 | ECDHE-RSA-AES128-GCM-SHA256 | \
	ECDHE-ECDSA-AES256-GCM-SHA384 | ECDHE-RSA-AES256-GCM-SHA384 | \
	ECDHE-ECDSA-CHACHA20-POLY1305 | ECDHE-RSA-CHACHA20-POLY1305) return 0 ;;
	esac
	return 1
}

# hs PORT ARGS...: one handshake; prints s_client's output.
hs() {
	local port=$1; shift
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-servername localhost "$@" 2>&1 || true
}

check_server() { # name port
	local name=$1 port=$2 out v c acc=() n=0
	for v in -ssl3 -tls1 -tls1_1; do
		out=$(hs "$port" "$v" -cipher 'ALL:@SECLEVEL=0')
		echo "$out" | grep -q "Cipher is (NONE)\|[Uu]nknown option\|no protocols available\|wrong version\|alert protocol version" ||
			fail "$name: $v was accepted: $(echo "$out" | grep 'Cipher is')"
		echo "$out" | grep -qi "unknown option" ||
			ok "$name: $v refused"
	done
	# (good handshakes get three tries: a loaded machine may be slow)
	for v in 1.2:ECDHE- 1.3:TLS_; do
		for _ in 1 2 3; do
			out=$(hs "$port" "-tls1_${v:2:1}")
			echo "$out" | grep -q "New, TLSv${v%%:*}, Cipher is ${v#*:}" && break
		done
		echo "$out" | grep -q "New, TLSv${v%%:*}, Cipher is ${v#*:}" ||
			fail "$name: TLS ${v%%:*} handshake failed: $(echo "$out" | tail -5)"
	done
	for c in $(openssl ciphers -tls1_2 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' |
		tr ':' '\n' | grep -v '^TLS_'); do
		n=$((n + 1))
		out=$(hs "$port" -tls1_2 -cipher "$c:@SECLEVEL=0")
		if echo "$out" | grep -q "New, TLSv1.2, Cipher is $c\$"; then
			allowed "$c" || fail "$name: weak TLS 1.2 suite $c accepted"
			acc+=("$c")
		fi
	done
	[ ${#acc[@]} -ge 1 ] || fail "$name: no TLS 1.2 suite accepted at all"
	ok "$name: of $n TLS 1.2 suites only ECDHE+AEAD accepted: ${acc[*]}"
	# Client-initiated renegotiation (s_client's R command) is refused.
	out=$( (sleep 0.5; printf 'R\n'; sleep 1) |
		timeout 5 openssl s_client -connect "127.0.0.1:$port" -tls1_2 2>&1 || true)
	echo "$out" | grep -q "RENEGOTIATING" || fail "$name: no renegotiation tried"
	echo "$out" | grep -q "no renegotiation" ||
		fail "$name: renegotiation not refused: $(echo "$out" | tail -3)"
	ok "$name: renegotiation refused (RFC 5746 indication sent, SSL_OP_NO_RENEGOTIATION)"
}

check_server "wsf WSS (EC)" "$WSS"
check_server "wws HTTPS (EC)" "$WWS"
check_server "wws HTTPS (RSA)" "$WWS_RSA"
# Still serving after all that.
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$WWS/")
[ "$code" = 200 ] || fail "wws no longer serves: $code"
ok "wws still serves after the probes"
