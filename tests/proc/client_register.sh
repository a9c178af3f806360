#!/usr/bin/env bash
# client-sim end to end through pcscf-sim -> scscf-sim <-> hss-sim:
#  - the demo user alice registers over UDP and over TCP (200 with
#    P-Associated-URI sip:alice@ims.example.com, tel:+15550100 and the
#    S-CSCF's Service-Route), refreshes on command, de-registers;
#  - `echo register ... | client-sim` registers, then exits 0 at EOF;
#  - a wrong password and an unknown user fail with 403;
#  - one-shot `client-sim register ...` stays registered until SIGTERM,
#    then de-registers and exits 0;
#  - every message the client sent or received is in the shared trace.
. "$(dirname "$0")/lib.sh"
start_core

IMPU=sip:alice@ims.example.com
IMPI=alice@ims.example.com
client() { "$BIN/client-sim" --set pcscf_port=$PCSCF_PORT \
	--set trace_file=$TRACE "$@"; }

# expect FILE JQ-FILTER WHAT: the last line of FILE satisfies the filter.
expect() {
	tail -n 1 "$1" | jq -e "$2" >/dev/null ||
		fail "$3: got '$(tail -n 1 "$1")'"
}

# A pipe in each direction so commands follow outcomes (10 s per step).
dialog() { # transport
	local out=$WORK/dialog-$1.out n=0 pid
	coproc CL { client 2>"$WORK/dialog-$1.log"; }
	pid=$CL_PID
	PIDS+=($pid)
	step() { # command jq-filter what
		echo "$1" >&"${CL[1]}"
		n=$((n + 1))
		IFS= read -r -t 10 line <&"${CL[0]}" || fail "$1: no outcome"
		echo "$line" >>"$out"
		expect "$out" "$2" "$3"
	}
	step "register alice $IMPU $IMPI alice-pass transport=$1" \
		'.event == "registered" and .status == 200 and .expires > 0 and
		 .associated_uris == ["sip:alice@ims.example.com","tel:+15550100"]
		 and (.service_route | length) == 1 and .contacts >= 1' \
		"$1: register alice"
	step "refresh alice" '.event == "refreshed" and .status == 200' \
		"$1: refresh alice"
	step "deregister alice" '.event == "deregistered" and .status == 200' \
		"$1: deregister alice"
	step "frobnicate" '.event == "error"' "$1: bad command"
	echo quit >&"${CL[1]}"
	wait "$pid" || fail "$1: client-sim exited $? after quit"
	ok "$1: alice registered, refreshed, de-registered; quit exits 0"
}
dialog udp
dialog tcp

out=$(echo "register alice $IMPU $IMPI alice-pass" |
	timeout 20 "$BIN/client-sim" --set pcscf_port=$PCSCF_PORT \
		--set trace_file=$TRACE 2>"$WORK/pipe.log") ||
	fail "echo register | client-sim exited $?"
echo "$out" | jq -e 'select(.event == "registered") |
	.associated_uris[0] == "sip:alice@ims.example.com" and
	.associated_uris[1] == "tel:+15550100"' >/dev/null ||
	fail "echo register | client-sim: got '$out'"
ok "echo register | client-sim: registered, EOF exits 0"

printf 'register a %s %s wrong-pass\nregister n sip:nobody@ims.example.com nobody@ims.example.com x\n' \
	"$IMPU" "$IMPI" | timeout 20 "$BIN/client-sim" \
	--set pcscf_port=$PCSCF_PORT >"$WORK/refused.out" 2>"$WORK/refused.log" ||
	fail "refused registrations: client-sim exited $?"
jq -se 'length == 2 and all(.event == "failed" and .status == 403)' \
	"$WORK/refused.out" >/dev/null ||
	fail "wrong password / unknown user: got '$(cat "$WORK/refused.out")'"
ok "wrong password and unknown user: failed 403"

start oneshot client-sim --set pcscf_port=$PCSCF_PORT --set log_level=warn \
	register alice $IMPU $IMPI alice-pass transport=tcp
for _ in $(seq 100); do
	grep -q '"registered"' "$WORK/oneshot.log" && break
	sleep 0.1
done
grep -q '"event":"registered"' "$WORK/oneshot.log" ||
	fail "one-shot register: $(cat "$WORK/oneshot.log")"
stop oneshot
grep -q '"event":"deregistered"' "$WORK/oneshot.log" ||
	fail "one-shot: no de-registration on SIGTERM: $(cat "$WORK/oneshot.log")"
ok "one-shot register stays, de-registers on SIGTERM, exits 0"

sent=$(jq -c 'select(.node == "client" and .dir == "send")' "$TRACE" | wc -l)
recv=$(jq -c 'select(.node == "client" and .dir == "recv")' "$TRACE" | wc -l)
[ "$sent" -ge 10 ] && [ "$recv" -ge 10 ] ||
	fail "trace: $sent sent and $recv received by node client"
ok "trace: client sent $sent and received $recv messages"

for p in pcscf scscf hss; do stop $p; done
ok "all processes exited cleanly on SIGTERM"
