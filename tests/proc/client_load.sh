#!/usr/bin/env bash
# [bench] client-sim's load mode through the whole chain, small N:
#  - `hss-sim bulk 20` and `wws user bulk 20` provision the load users;
#  - mode wss: 20 clients register over their own WSS (Digest, the 401
#    forwarded by the wsf), hold with expires 2 (so each refreshes), then
#    de-register: the report counts 20 registered, 0 failed, >= 20
#    refreshes, 20 de-registered, and a "holding" line came first;
#  - mode web: login at the wws, token, REGISTER with Bearer: 20 of 20;
#  - users that are not provisioned fail (counted by status), a WSF that
#    is not there fails with status 0, the deadline ends a run (exit 1),
#    bad options exit 2.
. "$(dirname "$0")/lib.sh"

HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
WSS_PORT=$(free_port); WSF_SIP=$(free_port); WWS_PORT=$(free_port)
q=(--set log_level=warn)
out=$("$BIN/hss-sim" "${q[@]}" --set db=$WORK/hss.db bulk 20) ||
	fail "hss-sim bulk 20"
out=$("$BIN/wws" "${q[@]}" --set db=$WORK/wws.db --set pbkdf2_iterations=1000 \
	user bulk 20) || fail "wws user bulk 20: $out"
[[ "$out" == "created 20 web users user00001@web.example.com"* ]] ||
	fail "wws user bulk: '$out'"
"$BIN/wws" --set db=$WORK/wws.db user list | grep -qx \
	"user00020@web.example.com sip:user00020@ims.example.com user00020@ims.example.com" ||
	fail "wws user list lacks user00020"
"$BIN/wws" --set db=$WORK/wws.db user bulk 0 2>/dev/null && fail "bulk 0 accepted"
ok "hss-sim bulk and wws user bulk provisioned the same 20 users"

start hss hss-sim "${q[@]}" --set port=$HSS_PORT --set db=$WORK/hss.db
wait_port $HSS_PORT tcp
start scscf scscf-sim "${q[@]}" --set port=$SCSCF_PORT --set hss_port=$HSS_PORT \
	--set db=$WORK/scscf.db --set min_expires=1 \
	--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr" \
	--set trusted_peers=127.0.0.1:$PCSCF_PORT
wait_port $SCSCF_PORT udp
start pcscf pcscf-sim "${q[@]}" --set port=$PCSCF_PORT --set scscf_port=$SCSCF_PORT \
	--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr" \
	--set trusted_edges=127.0.0.1:$WSF_SIP
wait_port $PCSCF_PORT udp
start wws wws "${q[@]}" --set port=$WWS_PORT --set db=$WORK/wws.db \
	--set cert=$WORK/wws-cert.pem --set key=$WORK/wws-key.pem \
	--set signing_key=$WORK/wws-signing.pem \
	--set issuer=https://127.0.0.1:$WWS_PORT --set token_ims_claims=true \
	--set wsf_url=wss://127.0.0.1:$WSS_PORT
wait_port $WWS_PORT tcp
start wsf wsf "${q[@]}" --set wss_port=$WSS_PORT --set ws_port=0 \
	--set sip_port=$WSF_SIP --set pcscf_port=$PCSCF_PORT \
	--set cert=$WORK/wsf-cert.pem --set key=$WORK/wsf-key.pem \
	--set allowed_origins=https://127.0.0.1:$WWS_PORT --set enterprise_wws= \
	--set token_check=local --set trusted_wws=https://127.0.0.1:$WWS_PORT
wait_port $WSS_PORT tcp

load() { # ARGS... -> stdout of client-sim load (exit status kept in $rc)
	rc=0
	timeout 60 "$BIN/client-sim" --set wsf_url=wss://127.0.0.1:$WSS_PORT \
		--set wws_url=https://127.0.0.1:$WWS_PORT "$@" \
		2>>"$WORK/load.log" || rc=$?
}
report() { tail -n 1 "$WORK/out" | jq -e "$1" >/dev/null || fail "$2: $(tail -n 1 "$WORK/out")"; }

load load --clients 20 --rate 40 --hold 3 --expires 2 >"$WORK/out"
[ $rc -eq 0 ] || fail "wss load exited $rc"
head -n 1 "$WORK/out" | jq -e '.event == "holding" and .registered == 20' >/dev/null ||
	fail "no holding line first: $(head -n 1 "$WORK/out")"
report '.event == "report" and .mode == "wss" and .attempted == 20 and
	.registered == 20 and .failed == 0 and .refreshes >= 20 and
	.refresh_failed == 0 and .deregistered == 20 and .complete and
	.p50_ms > 0 and .p99_ms >= .p50_ms and .max_ms >= .p99_ms and
	.regs_per_s > 0' "wss: 20 clients"
ok "wss: 20 registered (digest), held with refreshes, de-registered"

load load --mode web --clients 20 --rate 40 --hold 0 >"$WORK/out"
[ $rc -eq 0 ] || fail "web load exited $rc"
report '.mode == "web" and .registered == 20 and .failed == 0 and
	.deregistered == 20' "web: 20 clients"
ok "web: 20 logins, tokens, REGISTER with Bearer, de-registered"

load load --clients 3 --first 21 --rate 20 --hold 0 >"$WORK/out"
report '.registered == 0 and .failed == 3 and
	([.failed_by_status[]] | add) == 3' "unprovisioned users"
ok "unprovisioned users: 3 failed, counted by status"

NOWSF=$(free_port)
load --set wsf_url=wss://127.0.0.1:$NOWSF load --clients 2 --rate 20 --hold 0 >"$WORK/out"
report '.failed == 2 and .failed_by_status["0"] == 2' "no WSF"
ok "no WSF listening: failed with status 0"

load load --clients 50 --rate 1 --deadline 1 >"$WORK/out"
[ $rc -eq 1 ] || fail "deadline: exit $rc, want 1"
report '.complete == false and .attempted < 50' "deadline"
ok "the deadline ends the run with exit 1"

load load --clients 0 >/dev/null 2>&1
[ $rc -eq 2 ] || fail "--clients 0: exit $rc, want 2"
load load --clients 5 --mode tcp >/dev/null 2>&1
[ $rc -eq 2 ] || fail "--mode tcp: exit $rc, want 2"
"$BIN/client-sim" load --help | grep -q -- "--clients N --rate R" || fail "load --help"
ok "bad options exit 2; load --help"
for n in wsf wws pcscf scscf hss; do stop $n; done
ok "every process exited cleanly"
