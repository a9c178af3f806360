#!/usr/bin/env bash
# [range] The enterprise WWS as a process, from its committed config
# (wws/enterprise.conf, paths and ports moved into a private dir): the demo
# web user carol gets an IMPU of the block at login and keeps it; a second
# user gets the next one; `wws range list` shows who holds which; with no
# WSF listening the block's registration is "failed" (status 0) at
# /range.json and retried; SIGTERM ends it with status 0.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
NOWSF=$(free_port) # nothing listens there
conf=(--config wws/enterprise.conf --set port=$PORT --set db=$WORK/ent.db
	--set cert=$WORK/cert.pem --set key=$WORK/key.pem
	--set signing_key=$WORK/signing.pem --set pbkdf2_iterations=1000
	--set trace_file=$WORK/trace.jsonl --set wsf_url=wss://127.0.0.1:$NOWSF
	--set range_retry_s=1 --set token_ims_claims=true)
start ent wws "${conf[@]}"
wait_port $PORT tcp

login() { # id password -> the JSON answer
	curl -sk -H 'Content-Type: application/json' \
		-d "{\"id\":\"$1\",\"password\":\"$2\"}" "https://127.0.0.1:$PORT/login"
}
impu=$(login carol@enterprise.example.org carol-web | jq -r .impu)
[ "$impu" = "sip:+15551230000@ims.example.com" ] || fail "carol got '$impu'"
impu=$(login carol@enterprise.example.org carol-web | jq -r .impu)
[ "$impu" = "sip:+15551230000@ims.example.com" ] || fail "carol's IMPU changed: '$impu'"
"$BIN/wws" "${conf[@]}" user add dave@enterprise.example.org dave-web \
	'sip:+15551230![0-9]{3}!@ims.example.com' enterprise@ims.example.com \
	>/dev/null || fail "user add dave"
out=$(login dave@enterprise.example.org dave-web)
[ "$(echo "$out" | jq -r .impu)" = "sip:+15551230001@ims.example.com" ] &&
	[ "$(echo "$out" | jq -r .impi)" = "enterprise@ims.example.com" ] ||
	fail "dave got: $out"
ok "web users took sip:+15551230000 and sip:+15551230001 of the block"
list=$("$BIN/wws" "${conf[@]}" range list)
echo "$list" | grep -qx "sip:+15551230000@ims.example.com carol@enterprise.example.org" &&
	echo "$list" | grep -qx "sip:+15551230001@ims.example.com dave@enterprise.example.org" ||
	fail "range list: $list"
ok "wws range list shows who holds which"

for _ in $(seq 50); do
	state=$(curl -sk "https://127.0.0.1:$PORT/range.json")
	[ "$(echo "$state" | jq -r .state)" = failed ] && break
	sleep 0.1
done
[ "$(echo "$state" | jq -r .state)" = failed ] &&
	[ "$(echo "$state" | jq -r .status)" = 0 ] &&
	[ "$(echo "$state" | jq -r .wildcard)" = 'sip:+15551230![0-9]{3}!@ims.example.com' ] &&
	[ "$(echo "$state" | jq -r .aor)" = 'sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com' ] ||
	fail "/range.json: $state"
sleep 1.5
n=$(grep -c 'registration failed' "$WORK/ent.log")
[ "$n" -ge 2 ] || fail "no retry of the registration ($n attempts)"
ok "/range.json: $state; retried ($n attempts)"
grep -q '"node":"wws-ent"' "$WORK/trace.jsonl" || fail "trace node is not wws-ent"
stop ent
ok "the enterprise WWS exited cleanly on SIGTERM"
