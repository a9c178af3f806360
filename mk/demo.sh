#!/usr/bin/env bash
# make demo: start the IMS core on the default port plan (hss-sim 3868,
# scscf-sim 6060, pcscf-sim 5060, all on 127.0.0.1, data under var/), let
# SIPp register and de-register the demo users alice and bob through it,
# and print what crossed the wire, message by message, from the trace.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(cd "${1:-bin}" && pwd)
VAR=var/demo
mkdir -p "$VAR"
TRACE=$VAR/trace.jsonl
: >"$TRACE"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

busy=$(ss -Hltun '( sport = :5060 or sport = :6060 or sport = :3868 )' | awk '{print $5}' | sort -u | tr '\n' ' ')
if [ -n "$busy" ]; then
	echo "imstb demo: the default ports are in use ($busy); stop what runs there first." >&2
	exit 1
fi

start() {
	local name=$1; shift
	"$BIN/$name" --set trace_file="$TRACE" "$@" >"$VAR/$name.log" 2>&1 &
	PIDS+=($!)
	printf '  started %-10s pid %-7s log %s\n' "$name" $! "$VAR/$name.log"
}
wait_port() {
	for _ in $(seq 100); do
		ss -Hl${2}n "( sport = :$1 )" | grep -q . && return 0; sleep 0.1
	done
	echo "imstb demo: $3 did not start; its log:" >&2; tail "$VAR/$3.log" >&2; exit 1
}

echo "== IMS core (default port plan, 127.0.0.1)"
start hss-sim --set db=var/hss/hss.db
wait_port 3868 t hss-sim
start scscf-sim --set db=var/scscf/scscf.db
wait_port 6060 u scscf-sim
start pcscf-sim
wait_port 5060 u pcscf-sim
echo "  hss-sim  Diameter Cx  127.0.0.1:3868"
echo "  scscf-sim SIP UDP+TCP 127.0.0.1:6060"
echo "  pcscf-sim SIP UDP+TCP 127.0.0.1:5060"

printf 'SEQUENTIAL\nalice;alice-pass;ims.example.com;[authentication username=alice@ims.example.com password=alice-pass]\nbob;bob-pass;ims.example.com;[authentication username=bob@ims.example.com password=bob-pass]\n' >"$VAR/users.csv"
echo
echo "== SIPp registers and de-registers alice and bob (MD5 digest, via the P-CSCF)"
if sipp 127.0.0.1:5060 -sf tests/sipp/reg_dereg.xml -inf "$VAR/users.csv" -m 2 \
	-i 127.0.0.1 -p 5099 -t u1 -nostdin -timeout 20 -timeout_error \
	-trace_err -error_file "$VAR/sipp.err" >"$VAR/sipp.log" 2>&1; then
	result="both registered (200 OK with Path, Service-Route, P-Associated-URI) and de-registered"
else
	result="FAILED: see $VAR/sipp.err"
fi
sleep 0.3

echo
echo "== What crossed the wire (from the trace, as each receiver saw it)"
# Ports of the default plan name the ends (the S-CSCF's Diameter client
# port is ephemeral); SIPp does not trace, so its side comes from the
# P-CSCF's sends. Times in ms since the first message.
jq -rs '
	def name: {"5060":"pcscf","6060":"scscf","3868":"hss","5099":"sipp"}[
		(split(":") | last)] // "scscf";
	(map(.t) | min) as $t0 |
	.[] | select(.dir == "recv" or (.peer | name) == "sipp") |
	(if .dir == "recv" then [(.peer | name), .node]
	 else [.node, (.peer | name)] end) as $ends |
	"\(((.t - $t0) * 1000 | floor | tostring) + " ms")  " +
	"\($ends[0]) -> \($ends[1])  " +
	"\(if .proto == "sip" then "SIP" else "Cx " end)  " +
	"\(.summary | sub(" SIP/2.0$"; "") | sub("^SIP/2.0 "; ""))"' "$TRACE" |
	awk '{ printf "  %9s %-6s %s %-6s %s", $1 " " $2, $3, $4, $5, $6;
	       for (i = 7; i <= NF; i++) printf " %s", $i; printf "\n" }'
echo
echo "== Result: $result"
echo "   trace (JSON lines, one per message): $TRACE"
[[ $result != FAILED* ]]
