#!/usr/bin/env bash
# imstb up: starts hss-sim, scscf-sim and pcscf-sim (on free ports here,
# through --set), and the WebRTC side (wws, wsf, wws-ent) and the live
# ladder on free ports (--ports random), prints what runs where, serves a
# registration (which the ladder streams with the nodes named), and on
# SIGINT stops them all (exit 0, nothing left). When one node dies, it
# says so and stops the others (exit 1).
. "$(dirname "$0")/lib.sh"
cd "$WORK" # var/up/ goes here

up_start() { # NAME: imstb up on free ports; sets UP_PID, the ports
	HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
	"$BIN/imstb" up --ports random \
		--set hss.port=$HSS_PORT --set scscf.port=$SCSCF_PORT \
		--set pcscf.port=$PCSCF_PORT --set hss.db=$WORK/hss-$1.db \
		--set scscf.db=$WORK/scscf-$1.db >"$WORK/$1.log" 2>&1 &
	UP_PID=$!
	PIDS+=($UP_PID)
	for _ in $(seq 100); do
		grep -q '^  live ladder:' "$WORK/$1.log" && return 0
		kill -0 $UP_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/$1.log"; fail "imstb up did not print its table"
}
node_pid() { # LOG NODE
	awk -v n="$2" '$1 == n { print $3 }' "$1"
}

up_start a
for n in hss scscf pcscf wws wsf; do
	pid=$(node_pid "$WORK/a.log" $n)
	[ -n "$pid" ] && kill -0 "$pid" || { cat "$WORK/a.log"; fail "$n is not running"; }
	eval "PID_$n=$pid"
done
grep -q "127.0.0.1:$PCSCF_PORT udp+tcp" "$WORK/a.log" || fail "table lacks the P-CSCF port"
ok "imstb up runs hss ($PID_hss), scscf ($PID_scscf), pcscf ($PID_pcscf), wws ($PID_wws), wsf ($PID_wsf)"
HUB=$(sed -n 's|^  live ladder: \(http://[^ ]*\)/$|\1|p' "$WORK/a.log")
[ -n "$HUB" ] || { cat "$WORK/a.log"; fail "no live ladder URL"; }
# Whole page first: grep -q exiting early would fail curl under pipefail.
page=$(curl -sf "$HUB/") || fail "GET $HUB/"
grep -q '<title>imstb live ladder</title>' <<<"$page" || fail "GET $HUB/: no title"
ok "the live ladder answers on $HUB"

# It serves: client-sim registers alice through it, one shot.
timeout 20 "$BIN/client-sim" --set pcscf_port=$PCSCF_PORT \
	register alice sip:alice@ims.example.com alice@ims.example.com \
	alice-pass expires=600 >"$WORK/client.out" 2>"$WORK/client.log" &
cpid=$!
for _ in $(seq 100); do grep -q registered "$WORK/client.out" && break; sleep 0.1; done
kill -TERM $cpid 2>/dev/null; wait $cpid || true
grep -q '"event":"registered"' "$WORK/client.out" || { cat "$WORK/client.out" "$WORK/client.log"; fail "alice did not register"; }
grep -q '"node":"scscf"' var/up/trace.jsonl || fail "no trace in var/up/trace.jsonl"
ok "alice registered; the trace is in var/up/trace.jsonl"

# The ladder streams it: one event per message, both ends named as the
# runner names them (client-sim, none of the nodes, is the client).
timeout 3 curl -sN "$HUB/events" >"$WORK/events.txt" 2>/dev/null || true
grep -q '^event: hello' "$WORK/events.txt" || fail "no hello on /events"
grep '^data: ' "$WORK/events.txt" | sed 's/^data: //' >"$WORK/events.json"
jq -e -s 'map(select(.proto == "sip" and .from == "client" and .to == "pcscf"
	and (.brief | startswith("REGISTER")))) | length >= 2' \
	"$WORK/events.json" >/dev/null || fail "no REGISTER client -> pcscf on /events"
jq -e -s 'map(select(.proto == "diameter" and .from == "scscf" and .to == "hss"
	and .brief == "SAR")) | length >= 1' "$WORK/events.json" >/dev/null ||
	fail "no SAR scscf -> hss on /events"
ok "the ladder streams the registration with the nodes named"

kill -INT $UP_PID
rc=0; wait $UP_PID || rc=$?
[ $rc -eq 0 ] || { cat "$WORK/a.log"; fail "imstb up exited $rc after SIGINT"; }
for n in hss scscf pcscf wws wsf; do
	pid=$(eval echo \$PID_$n)
	! kill -0 "$pid" 2>/dev/null || fail "$n ($pid) still runs after imstb up stopped"
done
grep -q 'every node stopped cleanly' "$WORK/a.log" || fail "no clean stop reported"
ok "SIGINT: every node stopped, exit 0"

up_start b
kill -KILL "$(node_pid "$WORK/b.log" pcscf)"
rc=0; wait $UP_PID || rc=$?
[ $rc -eq 1 ] || { cat "$WORK/b.log"; fail "a dead node: imstb up exited $rc, expected 1"; }
grep -q 'pcscf exited with status 137' "$WORK/b.log" || { cat "$WORK/b.log"; fail "the dead node is not reported"; }
for n in hss scscf; do
	pid=$(node_pid "$WORK/b.log" $n)
	! kill -0 "$pid" 2>/dev/null || fail "$n ($pid) still runs"
done
ok "a node killed: reported, the others stopped, exit 1"

# A port in use: refused before anything starts.
busy=$(free_port)
socat -u TCP-LISTEN:$busy,bind=127.0.0.1 OPEN:/dev/null &
PIDS+=($!)
wait_port $busy tcp
rc=0
"$BIN/imstb" up --ports random --set pcscf.port=$busy >"$WORK/c.log" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "port $busy (pcscf) is in use" "$WORK/c.log" ||
	{ cat "$WORK/c.log"; fail "a busy port: exit $rc"; }
ok "a busy port: refused (exit 1) before starting anything"
