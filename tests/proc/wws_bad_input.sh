#!/usr/bin/env bash
# wws against bad input, over its real HTTPS port: malformed HTTP -> 400,
# oversized headers -> 431, oversized body -> 413, a request that never
# completes -> 408, TLS handshake garbage -> closed; after each the server
# still serves the page (curl -k). Also the exit statuses: 2 for a bad
# setting, 1 when the port is taken, 0 after SIGTERM.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
common=(--set port=$PORT --set db=$WORK/wws.db --set cert=$WORK/cert.pem
	--set key=$WORK/key.pem --set signing_key=$WORK/signing.pem
	--set pbkdf2_iterations=1000 --set trace_file=$WORK/trace.jsonl)
start wws wws "${common[@]}" --set request_timeout_ms=500 --set max_body=1024
wait_port $PORT tcp

# tls_send: stdin over TLS, prints the first line that comes back.
tls_send() {
	socat -t 3 - "OPENSSL:127.0.0.1:$PORT,verify=0" 2>/dev/null | head -1 |
		tr -d '\r' || true
}
serves() {
	local code
	code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/")
	[ "$code" = 200 ] || fail "after $1 the page answers '$code', not 200"
}
expect() { # what status-line
	[ "${3%% *}" = HTTP/1.1 ] && [ "$(echo "$3" | cut -d' ' -f2)" = "$2" ] ||
		fail "$1: expected $2, got '$3'"
	serves "$1"
	ok "$1 -> $2, still serving"
}

serves "start"
out=$(printf 'GARBAGE\r\n\r\n' | tls_send)
expect "malformed request line" 400 "$out"

out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n' | tls_send)
expect "space in a header name" 400 "$out"

out=$( (printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 20000 /dev/zero | tr '\0' a; printf '\r\n\r\n') | tls_send)
expect "20 kB of headers" 431 "$out"

out=$( (printf 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n'; head -c 4000 /dev/zero | tr '\0' a) | tls_send)
expect "100 kB body (max_body 1024)" 413 "$out"

# The client holds the connection open for 3 s without finishing: only
# the server's timer can produce the answer.
out=$( (printf 'GET / HTTP/1.1\r\nHost: x\r\n'; sleep 3) | tls_send)
expect "request never completed (request_timeout_ms 500)" 408 "$out"

# Not TLS at all: the handshake fails and the connection is closed at once
# (socat would wait 10 s for more if it were left open).
for junk in "$(head -c 300 /dev/urandom | base64 -w0)" \
	"GET / HTTP/1.1\r\nHost: x\r\n\r\n"; do
	rc=0
	printf "$junk" | timeout 5 socat -t 10 - "TCP:127.0.0.1:$PORT" \
		>/dev/null 2>&1 || rc=$?
	[ $rc -ne 124 ] || fail "TLS handshake garbage: connection left open"
	serves "TLS garbage"
done
# A client that connects and never says hello: the handshake timeout
# (request_timeout_ms) closes it well before our 2 s limit.
rc=0
timeout 2 socat -t 0.1 - "TCP:127.0.0.1:$PORT" < <(sleep 4) >/dev/null 2>&1 || rc=$?
[ $rc -ne 124 ] || fail "silent TLS client: connection left open"
serves "a silent TLS client"
ok "TLS handshake garbage, plain HTTP, silence: closed, still serving"

# A request after bad ones still works end to end: the demo login.
out=$(curl -sk -H 'Content-Type: application/json' \
	-d '{"id":"alice@web.example.com","password":"alice-web"}' \
	"https://127.0.0.1:$PORT/login")
echo "$out" | grep -q '"result":"ok"' || fail "login after bad input: $out"
grep -q '"proto":"http","transport":"tls"' "$WORK/trace.jsonl" ||
	fail "no HTTP trace lines"
ok "login works after bad input; HTTP traced"

# Exit statuses.
rc=0; "$BIN/wws" --set listen=localhost >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bad setting: exit $rc, not 2"
rc=0; timeout 10 "$BIN/wws" "${common[@]}" >"$WORK/second.log" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "port in use: exit $rc, not 1"
grep -q "cannot start" "$WORK/second.log" || fail "port in use: no reason given"
rc=0; "$BIN/wws" "${common[@]}" user add x >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bad command usage: exit $rc, not 2"
ok "exit 2 on a bad setting or usage, 1 when the port is taken"
stop wws
ok "SIGTERM: clean exit 0"
