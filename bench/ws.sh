#!/usr/bin/env bash
# bench/ws.sh [--quick] - WebSocket part of `make bench` (issue 8):
# N concurrent WSS clients (client-sim load, mode wss: REGISTER with MD5
# Digest forwarded by the wsf, NOTE 4) each registering through wsf ->
# pcscf-sim -> scscf-sim <-> hss-sim and holding the registration
# (refreshes included: expires WS_EXPIRES), then the same N against
# Kamailio's websocket module as a WSS registrar (bench/kamailio/ws.cfg,
# auth_db on SQLite). Memory per held connection, registrations per
# second, CPU seconds of each process. See bench/README-ws.md.
#
# Env: BIN, BENCH_OUT (key=value lines appended), BENCH_DIR (scratch);
# WS_CLIENTS, WS_RATE, WS_HOLD, WS_EXPIRES override the defaults;
# KAM_PROVISION (default bench/kamailio/provision.sh).
# Writes ws_clients ws_rps ws_kib_per_conn ws_pss_kib_per_conn wsf_cpu_s
# ws_core_cpu_s ws_p99_ms kamailio_ws_kib_per_conn kamailio_ws_rps
# kamailio_ws_cpu_s kamailio_ws_p99_ms.
BENCH_NAME="bench ws"
cd "$(dirname "$0")/.."
. bench/ws_lib.sh

N=10000 RATE=250 HOLD=10
[ "${1:-}" = --quick ] && { N=1000 HOLD=3; }
N=${WS_CLIENTS:-$N} RATE=${WS_RATE:-$RATE} HOLD=${WS_HOLD:-$HOLD}
EXPIRES=${WS_EXPIRES:-60} # refreshes at 30 s: during the ramp and hold
PROV=${KAM_PROVISION:-bench/kamailio/provision.sh}

# Each side holds N sockets: the limit is raised here only.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge $((N + 200)) ] ||
	die "ulimit -n is $(ulimit -n), below $N clients + 200"
for t in kamailio sqlite3 openssl jq bc; do
	command -v $t >/dev/null || die "$t missing (mk/bench-deps.txt)"
done

# run_load NAME PID-LIST CLIENT-ARGS...: runs client-sim load, samples
# the memory of the PIDs before and while every client is held; sets
# REPORT (the final JSON), BASE_KIB/HELD_KIB (RSS sum), BASE_PSS/HELD_PSS.
run_load() {
	local name=$1 pids=$2 out=$BENCH_DIR/$1.load.jsonl p; shift 2
	BASE_KIB=0 BASE_PSS=0 HELD_KIB=0 HELD_PSS=0
	for p in $pids; do
		BASE_KIB=$((BASE_KIB + $(rss_kib $p))); BASE_PSS=$((BASE_PSS + $(pss_kib $p)))
	done
	"${CLIENT[@]}" "$@" load --clients $N --rate $RATE --hold $HOLD \
		--expires $EXPIRES --mode wss --leave-rate 0 >"$out" 2>"$BENCH_DIR/$name.load.log" &
	local lpid=$!
	PIDS+=($lpid)
	for _ in $(seq $(( (2 * N / RATE + 60) * 10 ))); do
		grep -q '"holding"' "$out" 2>/dev/null && break
		kill -0 $lpid 2>/dev/null || break
		sleep 0.1
	done
	grep -q '"holding"' "$out" || die "$name: the clients never all settled"
	sleep 1 # the last 200s have been sent; let the server settle
	for p in $pids; do
		HELD_KIB=$((HELD_KIB + $(rss_kib $p))); HELD_PSS=$((HELD_PSS + $(pss_kib $p)))
	done
	wait $lpid || die "$name: client-sim load exited $? ($(tail -n1 "$BENCH_DIR/$name.load.log"))"
	REPORT=$(tail -n1 "$out")
	[ "$(echo "$REPORT" | jq -r .event)" = report ] || die "$name: no report"
}

kv() { echo "$1=$2" >>"$BENCH_OUT"; }
num() { echo "$REPORT" | jq -r "$1"; }

# ---- ours: wsf + core ----------------------------------------------------
start_chain $N
sleep 0.5
declare -A c0
for p in hss scscf pcscf wsf; do v=PID_$p; c0[$p]=$(cpu_s ${!v}); done
run_load wsf "$PID_wsf"
reg=$(num .registered)
[ "$reg" -gt 0 ] || die "wsf: no client registered ($(num .failed_by_status))"
declare -A cpu
for p in hss scscf pcscf wsf; do
	v=PID_$p; cpu[$p]=$(echo "$(cpu_s ${!v}) - ${c0[$p]}" | bc)
done
ws_kib=$(echo "scale=1; ($HELD_KIB - $BASE_KIB) / $reg" | bc)
ws_pss=$(echo "scale=1; ($HELD_PSS - $BASE_PSS) / $reg" | bc)
ws_rps=$(printf %.0f "$(num .regs_per_s)")
core_cpu=$(echo "${cpu[hss]} + ${cpu[scscf]} + ${cpu[pcscf]}" | bc)
printf '  %-22s %6s clients %5s reg/s  p50 %6.1f  p99 %7.1f ms  %6s KiB/conn (Pss %s)  failed %s  refreshes %s\n' \
	"wsf+core (wss digest)" "$reg" "$ws_rps" "$(num .p50_ms)" "$(num .p99_ms)" \
	"$ws_kib" "$ws_pss" "$(num .failed)" "$(num .refreshes)"
printf '  %-22s cpu s: wsf %s  pcscf %s  scscf %s  hss %s\n' "" \
	"${cpu[wsf]}" "${cpu[pcscf]}" "${cpu[scscf]}" "${cpu[hss]}"
kv ws_clients "$reg"; kv ws_rps "$ws_rps"; kv ws_kib_per_conn "$ws_kib"
kv ws_pss_kib_per_conn "$ws_pss"; kv wsf_cpu_s "${cpu[wsf]}"
kv ws_core_cpu_s "$core_cpu"; kv ws_p99_ms "$(num .p99_ms)"
kv ws_failed "$(num .failed)"; kv ws_refreshes "$(num .refreshes)"
# Stop the chain before Kamailio starts (bounded: 10 s, then KILL).
for p in wsf pcscf scscf hss; do v=PID_$p; kill -TERM ${!v} 2>/dev/null || true; done
# (The wsf may take long: lib/sipt scans every transaction at each of the
# N WebSocket closes; the measurement is done, so 5 s, then KILL.)
for p in wsf pcscf scscf hss; do
	v=PID_$p
	for _ in $(seq 50); do kill -0 ${!v} 2>/dev/null || break; sleep 0.1; done
	kill -0 ${!v} 2>/dev/null && echo "note: $p still stopping after 5 s: killed" >&2
	kill -KILL ${!v} 2>/dev/null || true
	wait ${!v} 2>/dev/null || true
done

# ---- Kamailio: websocket + tls + registrar + auth_db --------------------
KDIR=$BENCH_DIR/kamailio
mkdir -p "$KDIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$KDIR/key.pem" -out "$KDIR/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
	die "openssl: cannot make the Kamailio certificate"
bash "$PROV" "$KDIR/kamailio.db" $N >/dev/null || die "provision.sh failed"
KPORT=$(free_port)
export KAM_DB_URL=sqlite://$KDIR/kamailio.db KAM_TLS_CERT=$KDIR/cert.pem \
	KAM_TLS_KEY=$KDIR/key.pem
kamailio -DD -E -f bench/kamailio/ws.cfg -l tls:127.0.0.1:$KPORT \
	-m ${KAM_SHM_MB:-2048} -M 16 -Y "$KDIR/run" >"$KDIR/kamailio.log" 2>&1 &
PIDS+=($!)
KPID=$!
wait_port $KPORT
sleep 1
kpids() { echo $KPID $(pgrep -P $KPID); }
kall=$(kpids)
k0=0; for p in $kall; do k0=$(echo "$k0 + $(cpu_s $p)" | bc); done
run_load kamailio "$kall" --set wsf_url=wss://127.0.0.1:$KPORT
kreg=$(num .registered)
[ "$kreg" -gt 0 ] || die "kamailio: no client registered ($(num .failed_by_status))"
k1=0; for p in $kall; do k1=$(echo "$k1 + $(cpu_s $p)" | bc); done
kcpu=$(echo "$k1 - $k0" | bc)
# Kamailio's shm pool is mapped at start but only touched pages count:
# the Pss sum over its processes counts each touched page once.
k_kib=$(echo "scale=1; ($HELD_PSS - $BASE_PSS) / $kreg" | bc)
k_rss=$(echo "scale=1; ($HELD_KIB - $BASE_KIB) / $kreg" | bc)
k_rps=$(printf %.0f "$(num .regs_per_s)")
printf '  %-22s %6s clients %5s reg/s  p50 %6.1f  p99 %7.1f ms  %6s KiB/conn (Pss; RSS sum %s)  failed %s  refreshes %s\n' \
	"kamailio ws registrar" "$kreg" "$k_rps" "$(num .p50_ms)" "$(num .p99_ms)" \
	"$k_kib" "$k_rss" "$(num .failed)" "$(num .refreshes)"
printf '  %-22s cpu s: all kamailio processes %s\n' "" "$kcpu"
kv kamailio_ws_clients "$kreg"; kv kamailio_ws_kib_per_conn "$k_kib"
kv kamailio_ws_rss_kib_per_conn "$k_rss"; kv kamailio_ws_rps "$k_rps"
kv kamailio_ws_cpu_s "$kcpu"; kv kamailio_ws_p99_ms "$(num .p99_ms)"
kv kamailio_ws_failed "$(num .failed)"
