# tests/proc/lib.sh - helpers for process tests (sourced).
# Starts our programs on 127.0.0.1 with free ports and a private data dir,
# stops exactly the PIDs it started, and fails with a clear message.
set -euo pipefail
BIN=${BIN:-$(pwd)/bin}
WORK=$(mktemp -d /tmp/imstb-proc.XXXXXX)
PIDS=()

cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		# A clean shutdown is part of the contract: give it 5 s.
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ $rc -ne 0 ]; then
		echo "--- logs of $WORK ---"
		for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 40 "$f"; }; done
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# A port free for both UDP and TCP on 127.0.0.1, away from the defaults
# and below the ephemeral range (32768-60999): load runs fill that range
# with client sockets, which a listening-only check does not see.
free_port() {
	local p
	for _ in $(seq 200); do
		p=$(( (RANDOM % 12700) + 20000 ))
		if ! ss -Htuan "( sport = :$p )" 2>/dev/null | grep -q .; then
			echo "$p"; return 0
		fi
	done
	fail "no free port"
}

# wait_port PORT [tcp|udp]: until something listens (10 s at most).
wait_port() {
	local flag=-Hltn
	[ "${2:-tcp}" = udp ] && flag=-Hlun
	for _ in $(seq 100); do
		ss $flag "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $1 ($2)"
}

# start NAME PROG ARGS...: runs BIN/PROG in the background, logs to WORK.
start() {
	local name=$1 prog=$2; shift 2
	"$BIN/$prog" "$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_${name//-/_}=$!"
}

# stop NAME: SIGTERM, then asserts a clean exit (status 0) within 5 s.
stop() {
	local var="PID_${1//-/_}" pid rc=0
	pid=${!var}
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || fail "$1 exited with status $rc after SIGTERM"
}

# The core (hss, scscf, pcscf) on free ports, sharing one trace file.
start_core() {
	HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
	TRACE=$WORK/trace.jsonl
	start hss hss-sim --set port=$HSS_PORT --set db=$WORK/hss.db \
		--set trace_file=$TRACE "$@"
	wait_port $HSS_PORT tcp
	start scscf scscf-sim --set port=$SCSCF_PORT --set hss_port=$HSS_PORT \
		--set db=$WORK/scscf.db --set trace_file=$TRACE \
		--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr"
	wait_port $SCSCF_PORT udp
	start pcscf pcscf-sim --set port=$PCSCF_PORT --set scscf_port=$SCSCF_PORT \
		--set trace_file=$TRACE \
		--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr"
	wait_port $PCSCF_PORT udp
	wait_port $PCSCF_PORT tcp
}
