# bench/ws_lib.sh - shared by bench/ws.sh and bench/webflow.sh (sourced):
# the testbed chain hss-sim <- scscf-sim <- pcscf-sim <- wsf (<- wws) on
# free ports in BENCH_DIR, RSS and CPU of a PID, cleanup of every process
# started here (and only those).
set -euo pipefail
BIN=${BIN:-$(pwd)/bin}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/imstb-bench.XXXXXX)}
BENCH_OUT=${BENCH_OUT:-/dev/null}
mkdir -p "$BENCH_DIR"
PIDS=()

bench_cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	exit $rc
}
trap bench_cleanup EXIT

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# A port free for UDP and TCP on 127.0.0.1, away from the defaults.
free_port() {
	local p
	for _ in $(seq 200); do
		p=$(( (RANDOM % 30000) + 20000 ))
		ss -Htuna "( sport = :$p )" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	die "no free port"
}

wait_port() { # PORT [tcp|udp]
	local flag=-Hltn
	[ "${2:-tcp}" = udp ] && flag=-Hlun
	for _ in $(seq 100); do
		ss $flag "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listens on port $1"
}

# start NAME PROG ARGS...: BIN/PROG in the background, log in BENCH_DIR.
start() {
	local name=$1 prog=$2 wrap; shift 2
	# WRAP_<name>="valgrind --tool=massif" etc. (profiling by hand)
	wrap="WRAP_$name"
	${!wrap:-} "$BIN/$prog" "$@" >"$BENCH_DIR/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_${name//-/_}=$!"
}

# Memory (KiB) and CPU seconds (user + system) of a PID so far; 0 for a
# process that is gone.
rss_kib() { awk '/^VmRSS:/ { v = $2 } END { print v + 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pss_kib() { awk '/^Pss:/ { v = $2 } END { print v + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# start_chain N [web]: provisions N bulk users, starts the core and the
# wsf (and, with web, the wws first: the wsf fetches its JWK Set).
start_chain() {
	local n=$1 web=${2:-}
	HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
	WSS_PORT=$(free_port); WSF_SIP=$(free_port); WWS_PORT=$(free_port)
	# one source (127.0.0.1) for every client: lift the per-IP limits
	local q=(--set log_level=warn)
	local u=(--set max_pending_per_ip=0 --set max_conns_per_ip=0)
	rm -f "$BENCH_DIR"/hss.db* "$BENCH_DIR"/scscf.db* "$BENCH_DIR"/wws.db*
	"$BIN/hss-sim" "${q[@]}" --set db="$BENCH_DIR/hss.db" bulk "$n" \
		>/dev/null || die "hss-sim bulk $n failed"
	start hss hss-sim "${q[@]}" --set port=$HSS_PORT --set db="$BENCH_DIR/hss.db"
	wait_port $HSS_PORT
	start scscf scscf-sim "${q[@]}" --set port=$SCSCF_PORT \
		--set hss_port=$HSS_PORT --set db="$BENCH_DIR/scscf.db" \
		--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr" \
		--set trusted_peers=127.0.0.1:$PCSCF_PORT "${u[@]}"
	wait_port $SCSCF_PORT udp
	start pcscf pcscf-sim "${q[@]}" --set port=$PCSCF_PORT \
		--set scscf_port=$SCSCF_PORT \
		--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr" \
		--set trusted_edges=127.0.0.1:$WSF_SIP "${u[@]}"
	wait_port $PCSCF_PORT udp
	local wsf_extra=()
	if [ -n "$web" ]; then
		"$BIN/wws" "${q[@]}" --set db="$BENCH_DIR/wws.db" \
			--set pbkdf2_iterations=${PBKDF2_ITER:-1000} \
			user bulk "$n" >/dev/null || die "wws user bulk $n failed"
		start wws wws "${q[@]}" --set port=$WWS_PORT \
			--set db="$BENCH_DIR/wws.db" --set cert="$BENCH_DIR/wws-cert.pem" \
			--set key="$BENCH_DIR/wws-key.pem" \
			--set signing_key="$BENCH_DIR/wws-signing.pem" \
			--set issuer=https://127.0.0.1:$WWS_PORT \
			--set token_ims_claims=true \
			--set wsf_url=wss://127.0.0.1:$WSS_PORT \
			--set max_conns_per_ip=0
		wait_port $WWS_PORT
		wsf_extra=(--set token_check=local
			--set trusted_wws=https://127.0.0.1:$WWS_PORT)
	fi
	start wsf wsf "${q[@]}" --set wss_port=$WSS_PORT --set ws_port=0 \
		--set sip_port=$WSF_SIP --set pcscf_port=$PCSCF_PORT \
		--set cert="$BENCH_DIR/wsf-cert.pem" --set key="$BENCH_DIR/wsf-key.pem" \
		--set allowed_origins='*' --set enterprise_wws= \
		--set max_conns=$((n + 1000)) --set max_trans=$((4 * n + 1000)) \
		"${u[@]}" \
		"${wsf_extra[@]}"
	wait_port $WSS_PORT
	wait_port $WSF_SIP udp
	CLIENT=("$BIN/client-sim" --set wsf_url=wss://127.0.0.1:$WSS_PORT
		--set wws_url=https://127.0.0.1:$WWS_PORT --set log_level=warn)
}
