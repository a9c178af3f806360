#!/usr/bin/env bash
# bench/core.sh [--quick] - REGISTER-with-digest flows per second through
# our core (pcscf-sim -> scscf-sim <-> hss-sim) and through Kamailio as the
# equivalent chain (bench/kamailio/proxy.cfg -> registrar.cfg), side by side.
#
# SIPp (bench/sipp/reg_digest.xml) registers distinct provisioned users over
# UDP at stepped rates, alternating ours and Kamailio's at each step. A step
# passes when < 1 % of its calls fail (failed, timed out or never completed)
# and SIPp really reached the target rate (achieved >= 95 %). For each chain
# the highest passed rate (before its first failed step) is its figure; p50
# and p99 of the whole flow come from SIPp's -trace_rtt at that rate.
#
# Contract with bench/run.sh: env BIN (optimised programs), BENCH_OUT (file
# to append key=value lines to), BENCH_DIR (scratch dir); human table rows
# on stdout. Run alone, it makes its own BENCH_DIR and prints BENCH_OUT.
# Tunables (env): CORE_RATES, CORE_STEP_S, CORE_USERS, CORE_RETRY (tries
# again after a failed step), CORE_BUDGET_S (no new step starts after this
# many seconds), KAM_CHILDREN, KAM_SHM_MB, CORE_SCSCF_DB (file | memory),
# CORE_CHAINS (default "core kamailio"; one of them to measure it alone).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
[ "${1:-}" = --quick ] && QUICK=1

die() { echo "bench/core: $*" >&2; exit 1; }

BIN=${BIN:-$ROOT/bin}
BIN=$(cd "$BIN" && pwd)
OWN_DIR=0
if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=$(mktemp -d /tmp/imstb-bench.XXXXXX)
	OWN_DIR=1
fi
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out.kv}
W=$BENCH_DIR/core
rm -rf "$W"; mkdir -p "$W"

if [ $QUICK -eq 1 ]; then
	RATES=${CORE_RATES:-"500 1000 1500 2000 3000 4000 6000"}
	STEP_S=${CORE_STEP_S:-3}
	NUSERS=${CORE_USERS:-20000}
	RETRY=${CORE_RETRY:-1}
	BUDGET_S=${CORE_BUDGET_S:-32}
else
	RATES=${CORE_RATES:-"500 1000 1500 2000 2500 3000 4000 5000 6000 7000 8000 10000 12000"}
	STEP_S=${CORE_STEP_S:-10}
	NUSERS=${CORE_USERS:-99999}
	RETRY=${CORE_RETRY:-1}
	BUDGET_S=${CORE_BUDGET_S:-400}
fi
# Kamailio UDP workers per instance: 2 cores, three busy programs (SIPp,
# proxy, registrar) - one worker per core each; see bench/README.md.
KAM_CHILDREN=${KAM_CHILDREN:-2}
# Shared memory of each Kamailio (MB): tm keeps every transaction ~5 s
# after its final answer (wait timer), ~20,000 of them at 2,000 flows/s;
# at 256 MB the proxy ran out and answered 500 (the first full runs).
KAM_SHM_MB=${KAM_SHM_MB:-1024}
SCSCF_DB=${CORE_SCSCF_DB:-file}
CHAINS=${CORE_CHAINS:-core kamailio}
REALM=ims.example.com

for t in sipp kamailio sqlite3 perl ss awk; do
	command -v $t >/dev/null ||
		die "$t not found (install: bash mk/deps.sh mk/bench-deps.txt)"
done
for p in hss-sim scscf-sim pcscf-sim; do
	[ -x "$BIN/$p" ] || die "$BIN/$p missing (make all)"
done
# Many users, sockets and files: raise the soft descriptor limit here only.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PIDS=()
cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ $rc -ne 0 ]; then
		echo "bench/core: logs kept in $W" >&2
	elif [ $OWN_DIR -eq 1 ]; then
		cat "$BENCH_OUT"; rm -rf "$BENCH_DIR"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port VAR: a port free for UDP and TCP on 127.0.0.1 into VAR, below
# the kernel's ephemeral range (other benchmarks hold thousands of client
# connections there) and never one of the defaults. Not in $(...): a
# subshell would repeat $RANDOM and forget USED_PORTS.
USED_PORTS=" "
EPH_LO=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$EPH_LO" -gt 12000 ] 2>/dev/null || EPH_LO=32768
free_port() {
	local p
	for _ in $(seq 200); do
		p=$(( (RANDOM % (EPH_LO - 11000)) + 10000 ))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if ! ss -Htuan "( sport = :$p )" 2>/dev/null | grep -q .; then
			USED_PORTS="$USED_PORTS$p "
			printf -v "$1" %s "$p"; return 0
		fi
	done
	die "no free port"
}

# wait_up NAME PID PORT udp|tcp LOG: until PORT listens; a dead PID fails
# with the first error line of its log.
wait_up() {
	local flag=-Hltn why
	[ "$4" = udp ] && flag=-Hlun
	for _ in $(seq 100); do
		if ! kill -0 "$2" 2>/dev/null; then
			why=$(grep -m1 -iE 'error|bad|cannot|fail' "$5" || tail -n1 "$5")
			die "$1 did not start: ${why:-no output} (log: $5)"
		fi
		ss $flag "( sport = :$3 )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	die "$1: nothing listens on $4 port $3 after 10 s (log: $5)"
}

# CPU seconds (user+system, clock ticks) of a process and its children
# (Kamailio forks its workers).
TCK=$(getconf CLK_TCK)
cpu_ticks() {
	local sum=0 pid kids
	for pid in "$@"; do
		kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
		for p in $pid $kids; do
			# fields 14 and 15 after the ")" of the command name
			sum=$((sum + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' \
				/proc/"$p"/stat 2>/dev/null || echo 0)))
		done
	done
	echo $sum
}
# child_ticks VAR: children CPU of this shell (SIPp, once reaped), in
# ticks, into VAR. `times` must run in this shell, not in $(...).
child_ticks() {
	times >"$W/times.txt"
	printf -v "$1" %s "$(awk -v t="$TCK" 'NR == 2 {
		n = split($0, f, /[ ms]+/); s = 0
		for (i = 1; i < n; i += 2) s += f[i] * 60 + f[i + 1]
		printf "%d\n", s * t }' "$W/times.txt")"
}
# sock_drops PORT: datagrams the kernel dropped on the UDP sockets bound to
# 127.0.0.1:PORT because their receive buffer was full (ss's skmem d).
sock_drops() {
	ss -Huanm "( sport = :$1 )" 2>/dev/null |
		awk '{ while (match($0, /,d[0-9]+\)/)) {
			s += substr($0, RSTART + 2, RLENGTH - 3); $0 = substr($0, RSTART + RLENGTH) } }
		     END { print s + 0 }'
}

# ---- provisioning: the same users in hss-sim and in Kamailio's SQLite
echo "# core: provisioning $NUSERS users (hss-sim bulk, Kamailio subscriber table)" >&2
"$BIN/hss-sim" --set db="$W/hss.db" --set log_level=warn bulk "$NUSERS" \
	>"$W/bulk.log" 2>&1 || die "hss-sim bulk $NUSERS: $(tail -1 "$W/bulk.log")"
bash bench/kamailio/provision.sh "$W/kamailio.db" "$NUSERS" $REALM \
	>"$W/provision.log" 2>&1 || die "provision.sh: $(tail -1 "$W/provision.log")"
awk -v n="$NUSERS" -v r=$REALM 'BEGIN { for (i = 1; i <= n; i++)
	printf "user%05d;pass-%05d;%s;[authentication username=user%05d@%s password=pass-%05d]\n",
		i, i, r, i, r, i }' >"$W/users.all"

# ---- our chain, log_level warn and no trace file (as a loaded testbed)
free_port HSS_PORT; free_port SCSCF_PORT; free_port PCSCF_PORT
# All of SIPp's load comes from 127.0.0.1: one "source" for the per-IP
# limits (README, Limits), which a load test lifts (Kamailio has none).
unlimited=(--set max_pending_per_ip=0 --set max_conns_per_ip=0)
scscf_db=$W/scscf.db
[ "$SCSCF_DB" = memory ] && scscf_db=
"$BIN/hss-sim" --set port="$HSS_PORT" --set db="$W/hss.db" \
	--set log_level=warn >"$W/hss.log" 2>&1 &
PID_HSS=$!; PIDS+=($PID_HSS)
wait_up hss-sim $PID_HSS "$HSS_PORT" tcp "$W/hss.log"
"$BIN/scscf-sim" --set port="$SCSCF_PORT" --set hss_port="$HSS_PORT" \
	--set db="$scscf_db" --set log_level=warn "${unlimited[@]}" \
	--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr" >"$W/scscf.log" 2>&1 &
PID_SCSCF=$!; PIDS+=($PID_SCSCF)
wait_up scscf-sim $PID_SCSCF "$SCSCF_PORT" udp "$W/scscf.log"
"$BIN/pcscf-sim" --set port="$PCSCF_PORT" --set scscf_port="$SCSCF_PORT" \
	--set log_level=warn "${unlimited[@]}" \
	--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr" >"$W/pcscf.log" 2>&1 &
PID_PCSCF=$!; PIDS+=($PID_PCSCF)
wait_up pcscf-sim $PID_PCSCF "$PCSCF_PORT" udp "$W/pcscf.log"

# ---- Kamailio: proxy -> registrar, own pid files, runtime and work dirs
free_port KPX_PORT; free_port KRG_PORT
mkdir -p "$W/kam-proxy" "$W/kam-registrar"
kam() { # name cfg port
	local d=$W/kam-$1
	kamailio -DD -E -f "$ROOT/bench/kamailio/$2" -l "udp:127.0.0.1:$3" \
		-n "$KAM_CHILDREN" -m "$KAM_SHM_MB" -M 16 -P "$d/kamailio.pid" -Y "$d" -w "$d" \
		>"$W/kam-$1.log" 2>&1 &
}
KAM_DB_URL="sqlite:///$W/kamailio.db" \
KAM_SERVICE_ROUTE="sip:orig@127.0.0.1:$KRG_PORT;lr" kam registrar registrar.cfg "$KRG_PORT"
PID_KRG=$!; PIDS+=($PID_KRG)
wait_up "kamailio registrar.cfg" $PID_KRG "$KRG_PORT" udp "$W/kam-registrar.log"
KAM_REG_URI="sip:127.0.0.1:$KRG_PORT" kam proxy proxy.cfg "$KPX_PORT"
PID_KPX=$!; PIDS+=($PID_KPX)
wait_up "kamailio proxy.cfg" $PID_KPX "$KPX_PORT" udp "$W/kam-proxy.log"
sleep 0.3 # workers forked after the bind
for pid in $PID_KRG $PID_KPX; do
	kill -0 $pid 2>/dev/null || die "kamailio exited at start (logs: $W/kam-*.log)"
done

# ---- one step: SIPp at RATE for STEP_S seconds against one chain
declare -A NEXT_USER=([core]=0 [kamailio]=0)
declare -A RES # RES[chain,rate,field]

# step CHAIN RATE [SECONDS warmup]: sets RES[...] and prints a table row;
# a warm-up step is printed only.
NSTEP=0
step() {
	local chain=$1 rate=$2 secs=${3:-$STEP_S} warm=${4:-} port target calls d sport s0 s1 rc
	NSTEP=$((NSTEP + 1))
	local limit start stat rtt pids ports
	calls=$((rate * secs))
	d=$W/$(printf %02d $NSTEP)-$chain-$rate${warm:+-warmup}; mkdir -p "$d"
	# distinct users in sequence, carrying on where the last step stopped
	start=${NEXT_USER[$chain]}
	awk -v s="$start" -v c="$calls" -v n="$NUSERS" '
		{ u[NR - 1] = $0 }
		END { print "SEQUENTIAL"; for (i = 0; i < c; i++) print u[(s + i) % n] }' \
		"$W/users.all" >"$d/users.csv"
	NEXT_USER[$chain]=$(( (start + calls) % NUSERS ))
	if [ "$chain" = core ]; then
		target=$PCSCF_PORT; pids="$PID_PCSCF $PID_SCSCF $PID_HSS"
		ports="$PCSCF_PORT $SCSCF_PORT"
	else
		target=$KPX_PORT; pids="$PID_KPX $PID_KRG"
		ports="$KPX_PORT $KRG_PORT"
	fi
	free_port sport
	limit=$rate # at most 1 s of flows in flight, else SIPp slows down
	local ticks=()
	for p in $pids; do ticks+=("$(cpu_ticks "$p")"); done
	child_ticks s0
	local i=0
	local drops0=() drops=() p
	for p in $ports; do drops0+=("$(sock_drops "$p")"); done
	rc=0
	(cd "$d" && exec sipp "127.0.0.1:$target" -sf "$ROOT/bench/sipp/reg_digest.xml" \
		-inf "$d/users.csv" -m "$calls" -r "$rate" -rp 1000 -l "$limit" \
		-i 127.0.0.1 -p "$sport" -t u1 -buff_size 4194304 -nostdin -nd \
		-recv_timeout 3000 -timeout "$((secs + 5))" -timeout_error \
		-trace_stat -stf "$d/stat.csv" -fd 1 -trace_rtt -rtt_freq 1 \
		-trace_err -error_file "$d/errors.log" >"$d/sipp.log" 2>&1) || rc=$?
	child_ticks s1
	i=0
	for p in $ports; do
		drops+=($(( $(sock_drops "$p") - drops0[i] ))); i=$((i + 1))
	done
	local cpu=()
	i=0
	for p in $pids; do
		cpu+=("$(awk -v a="${ticks[$i]}" -v b="$(cpu_ticks "$p")" -v t="$TCK" \
			'BEGIN { printf "%.2f", (b - a) / t }')")
		i=$((i + 1))
	done
	local sipp_cpu
	sipp_cpu=$(awk -v a="$s0" -v b="$s1" -v t="$TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
	# 0: all passed, 1: some failed (a data point); anything else is SIPp
	# itself failing (bad scenario, socket, injection file), as is a run
	# that left no statistics.
	stat=$d/stat.csv
	# SIPp's global timeout (-timeout_error: exit 255) on an overloaded
	# chain is a data point too.
	if [ $rc -eq 255 ] && grep -q "timed out after" "$d/sipp.log"; then
		rc=1
	fi
	if { [ $rc -ne 0 ] && [ $rc -ne 1 ]; } || [ ! -s "$stat" ]; then
		local why
		why=$(grep -h -m1 -iE 'error|unable|cannot|invalid|unexpected' \
			"$d/sipp.log" "$d/errors.log" 2>/dev/null | head -1)
		[ -n "$why" ] || why=$(head -n1 "$d/sipp.log")
		die "SIPp failed (exit $rc) against $chain at $rate/s: ${why:-no output} (dir $d)"
	fi
	rtt=$(ls "$d"/reg_digest_*_rtt.csv 2>/dev/null | head -1 || true)
	# last statistics row, by column name
	local ok failed retrans
	read -r ok failed retrans < <(awk -F';' '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ last = $0 }
		END { n = split(last, f, ";")
		      print f[col["SuccessfulCall(C)"]] + 0, f[col["FailedCall(C)"]] + 0,
		            f[col["Retransmissions(C)"]] + 0 }' "$stat")
	# p50/p99 of the whole flow (ms, SIPp's resolution is 1 ms) and the
	# achieved rate: successes over the time the last one completed.
	local p50=na p99=na achieved=0
	if [ -n "$rtt" ] && [ -s "$rtt" ]; then
		read -r p50 p99 achieved < <(awk -F';' 'NR > 1 && $3 == 1 {
				v[n++] = $2; if ($1 > end) end = $1 }
			END { if (n == 0) { print "na na 0"; exit }
			      # percentiles from a histogram of whole milliseconds
			      for (i = 0; i < n; i++) h[int(v[i])]++
			      c = 0; p50 = ""; p99 = ""
			      for (ms = 0; ms <= 100000 && p99 == ""; ms++) {
			        c += h[ms]
			        if (p50 == "" && c >= 0.50 * n) p50 = ms
			        if (p99 == "" && c >= 0.99 * n) p99 = ms
			      }
			      rate = (end > 0) ? n / (end / 1000) : 0
			      printf "%s %s %.0f\n", p50, p99, rate }' "$rtt")
	fi
	local lost=$((calls - ok)) pass=0
	local failpct
	failpct=$(awk -v l=$lost -v c=$calls 'BEGIN { printf "%.2f", 100 * l / c }')
	if awk -v l=$lost -v c=$calls -v a="$achieved" -v r=$rate \
		'BEGIN { exit !(l < 0.01 * c && a >= 0.95 * r) }'; then
		pass=1
	fi
	local verdict=FAIL
	[ $pass -eq 1 ] && verdict=pass
	if [ -n "$warm" ]; then
		printf '  core      %-9s %6d %8d %6s %6s %6s %5s %7s %11s  (warm-up, not counted)\n' \
			"$chain" "$rate" "$achieved" "$failpct" "$p50" "$p99" "$verdict" \
			"$retrans" "${drops[0]}/${drops[1]}"
		return 0
	fi
	RES[$chain,$rate,pass]=$pass; RES[$chain,$rate,p50]=$p50
	RES[$chain,$rate,p99]=$p99; RES[$chain,$rate,achieved]=$achieved
	local cpus
	if [ "$chain" = core ]; then
		cpus="pcscf ${cpu[0]} scscf ${cpu[1]} hss ${cpu[2]}"
	else
		cpus="proxy ${cpu[0]} registrar ${cpu[1]}"
	fi
	RES[$chain,$rate,cpu]="$cpus sipp $sipp_cpu"
	printf '  core      %-9s %6d %8d %6s %6s %6s %5s %7s %11s  %s\n' "$chain" "$rate" \
		"$achieved" "$failpct" "$p50" "$p99" \
		"$verdict" "$retrans" "${drops[0]}/${drops[1]}" \
		"$cpus sipp $sipp_cpu"
	echo "core_step_${chain}_${rate}=achieved:$achieved,fail_pct:$failpct,p50:$p50,p99:$p99,retrans:$retrans,udp_drops:${drops[0]}/${drops[1]},pass:$pass,cpu_s:$(echo $cpus sipp $sipp_cpu | tr ' ' ':')" >>"$BENCH_OUT"
}

printf '  %-9s %-9s %6s %8s %6s %6s %6s %5s %7s %11s  %s\n' part chain rate/s achieved fail% \
	p50ms p99ms ok retrans "drops 1st/2nd" "CPU seconds in the step (per process)"
# try_step CHAIN RATE: a step, and on a failure RETRY more tries at the
# same rate (the machine is shared: one stray stall should not end a run).
try_step() {
	local n
	for n in $(seq 0 "$RETRY"); do
		# a rate begun is tried by both chains; only retries wait on time
		[ "$n" -gt 0 ] && over_budget && return 0
		[ "$n" -gt 0 ] && echo "  core      $1 again at $2/s (retry $n of $RETRY)"
		step "$1" "$2"
		sleep 1
		[ "${RES[$1,$2,pass]:-}" = 1 ] && return 0
	done
	return 0
}
T0=$SECONDS
over_budget() {
	[ $((SECONDS - T0)) -lt "$BUDGET_S" ] && return 1
	[ -n "${BUDGET_SAID:-}" ] ||
		echo "  core      time budget of ${BUDGET_S} s spent: no further step"
	BUDGET_SAID=1
	return 0
}
best_core=0 best_kam=0 core_on=1 kam_on=1 bound_core=0 bound_kam=0
case " $CHAINS " in *" core "*) ;; *) core_on=0 ;; esac
case " $CHAINS " in *" kamailio "*) ;; *) kam_on=0 ;; esac
# Warm-up: 1 s at 200/s each (first SQLite pages, allocator, caches).
[ $core_on -eq 1 ] && step core 200 1 warmup
[ $kam_on -eq 1 ] && step kamailio 200 1 warmup
sleep 1
for rate in $RATES; do
	[ $core_on -eq 1 ] || [ $kam_on -eq 1 ] || break
	if over_budget; then
		# a chain still passing has a lower bound, not its figure
		[ $core_on -eq 1 ] && bound_core=1
		[ $kam_on -eq 1 ] && bound_kam=1
		break
	fi
	if [ $core_on -eq 1 ]; then
		try_step core "$rate"
		if [ "${RES[core,$rate,pass]:-}" = 1 ]; then best_core=$rate; else core_on=0; fi
	fi
	if [ $kam_on -eq 1 ]; then
		try_step kamailio "$rate"
		if [ "${RES[kamailio,$rate,pass]:-}" = 1 ]; then best_kam=$rate; else kam_on=0; fi
	fi
	for pid in $PID_HSS $PID_SCSCF $PID_PCSCF $PID_KPX $PID_KRG; do
		kill -0 "$pid" 2>/dev/null ||
			die "a process of the chains died (pid $pid; logs: $W/*.log)"
	done
done

val() { # chain rate field
	if [ "$2" -gt 0 ] 2>/dev/null; then echo "${RES[$1,$2,$3]:-na}"; else echo na; fi
}
ratio=na
if [ $best_kam -gt 0 ]; then
	ratio=$(awk -v a=$best_core -v b=$best_kam 'BEGIN { printf "%.2f", a / b }')
fi
common=$(( best_core < best_kam ? best_core : best_kam ))
# Which process burnt most CPU at our best rate (the bound, if any).
top_core=na
if [ $best_core -gt 0 ]; then
	top_core=$(echo "${RES[core,$best_core,cpu]}" | awk '{
		for (i = 1; i < NF; i += 2) if ($(i + 1) > m) { m = $(i + 1); n = $i }
		print n }')
fi
{
	echo "core_rps=$best_core"
	echo "kamailio_rps=$best_kam"
	echo "core_vs_kamailio=$ratio"
	echo "core_p50_ms=$(val core $best_core p50)"
	echo "core_p99_ms=$(val core $best_core p99)"
	echo "kamailio_p50_ms=$(val kamailio $best_kam p50)"
	echo "kamailio_p99_ms=$(val kamailio $best_kam p99)"
	echo "common_rps=$common"
	echo "core_p99_at_common_ms=$(val core $common p99)"
	echo "kamailio_p99_at_common_ms=$(val kamailio $common p99)"
	echo "core_top_cpu=$top_core"
	echo "core_rps_lower_bound=$bound_core"
	echo "kamailio_rps_lower_bound=$bound_kam"
	echo "kamailio_children=$KAM_CHILDREN"
	echo "core_step_s=$STEP_S"
} >>"$BENCH_OUT"
[ $bound_core -eq 1 ] && echo "  core      ours still passed at ${best_core}/s when time ran out: a lower bound"
[ $bound_kam -eq 1 ] && echo "  core      Kamailio still passed at ${best_kam}/s when time ran out: a lower bound"
printf '  core      result: ours %s/s (p50 %s ms, p99 %s ms), Kamailio %s/s (p50 %s ms, p99 %s ms), ratio %s; p99 at %s/s: ours %s ms, Kamailio %s ms\n' \
	$best_core "$(val core $best_core p50)" "$(val core $best_core p99)" \
	$best_kam "$(val kamailio $best_kam p50)" "$(val kamailio $best_kam p99)" \
	"$ratio" $common "$(val core $common p99)" "$(val kamailio $common p99)"
