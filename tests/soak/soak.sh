#!/usr/bin/env bash
# tests/soak/soak.sh [BIN] - the soak (issue 9, "Soak"): USERS IMS users
# register, refresh and de-register over DURATION seconds through the
# whole testbed built with ASan+UBSan (LeakSanitizer on), while the RSS
# and the descriptors of every process are sampled. See README.md here.
#
# Environment (make soak / make soak-quick set them):
#   SOAK_USERS (10000)  SOAK_SECONDS (600)  SOAK_EXPIRES (60: the UE
#   refreshes at half time)  SOAK_CHURN (30: % of users who register a
#   second time)  SOAK_SAMPLE_S (5)  SOAK_SEED (1)  SOAK_WEB_S (2: one web
#   login or page download at the WWS every N s, 0: none)
#   SOAK_MARGIN (max(expires/4, 5) s: the quiet end of the run)
#   SOAK_OUT (build/soak: where samples.csv and summary.txt are kept)
#
# Exit 0 only if: every operation succeeded (or is counted as a failure:
# then exit 1), RSS is flat after warm-up, no descriptor growth beyond the
# live connections, every process exits 0 on SIGTERM (clients on quit)
# within 30 s, and no sanitizer report is in any process's stderr.
BIN=$(cd "${1:-${BIN:-build/san/bin}}" && pwd)
export BIN
# shellcheck source=../proc/lib.sh
. "$(dirname "$0")/../proc/lib.sh"

USERS=${SOAK_USERS:-10000}
DUR=${SOAK_SECONDS:-600}
EXPIRES=${SOAK_EXPIRES:-60}
CHURN=${SOAK_CHURN:-30}
SAMPLE_S=${SOAK_SAMPLE_S:-5}
SEED=${SOAK_SEED:-1}
WEB_S=${SOAK_WEB_S:-2}
OUT=${SOAK_OUT:-build/soak}
WARM_PCT=20         # RSS is judged after the first 20 % of the run
RSS_PCT=5           # flat: last <= median * (1 + 5 %) + RSS_SLACK_KB
RSS_SLACK_KB=4096
FD_SLACK=2          # non-connection descriptors may vary by this much
CONN_END=2          # connections left once every user is gone (Cx, TCP)
STOP_S=30           # bound of each process's exit (LSan runs at exit)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CSV=$WORK/samples.csv

# ASan's quarantine (256 MB by default) fills for minutes in a process
# with little traffic (the wws) and looks like growth: a small one keeps RSS
# about live memory (use-after-free is still caught for blocks freed
# recently).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=2:malloc_context_size=8}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

save() { cp -f "$CSV" "$WORK"/summary.txt "$OUT"/ 2>/dev/null || true; }
soak_exit() {
	local rc=$?
	set +e # or (exit 1) below ends the trap before cleanup
	save
	(exit $rc)
	cleanup
}
trap soak_exit EXIT
trap 'exit 1' TERM INT

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
exec {SLEEPFD}<> <(:)
nap() { read -r -t "$1" -u $SLEEPFD || true; } # a sleep without a fork

# ---- the testbed ---------------------------------------------------------
# Ports below the ephemeral range (32768+), used by no socket at all: the
# machine is shared and busy, and lib.sh's free_port only looks at
# listeners. Another program may still take one first: then the whole
# testbed starts again on new ports (3 attempts).
PICKED=" "
pick() { # VAR: a free port into VAR
	local p
	for _ in $(seq 200); do
		p=$(((RANDOM % 22000) + 10000))
		[[ $PICKED == *" $p "* ]] && continue
		ss -Htuan "( sport = :$p )" 2>/dev/null | grep -q . && continue
		PICKED+="$p "
		printf -v "$1" %s "$p"
		return 0
	done
	fail "no free port"
}
listens() { # PORT [udp]: 0 once something listens there (10 s at most)
	local flag=-Hltn
	[ "${2:-tcp}" = udp ] && flag=-Hlun
	for _ in $(seq 100); do
		ss $flag "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
		nap 0.1
	done
	return 1
}
common=(--set log_level=warn)
# every client is 127.0.0.1: lift the per-IP limits (README, Limits)
unlimited=(--set max_pending_per_ip=0 --set max_conns_per_ip=0)
testbed_up() {
	pick HSS_PORT; pick SCSCF_PORT; pick PCSCF_PORT; pick WSS_PORT
	pick WS_PORT; pick WSF_SIP; pick WWS_PORT
	WWS=https://127.0.0.1:$WWS_PORT
	start hss hss-sim "${common[@]}" --set port=$HSS_PORT \
		--set db=$WORK/hss.db
	listens $HSS_PORT || return 1
	start scscf scscf-sim "${common[@]}" --set port=$SCSCF_PORT \
		--set hss_port=$HSS_PORT --set db=$WORK/scscf.db \
		--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr" \
		--set min_expires=$((EXPIRES < 60 ? EXPIRES : 60)) \
		--set trusted_peers=127.0.0.1:$PCSCF_PORT "${unlimited[@]}"
	listens $SCSCF_PORT udp || return 1
	start pcscf pcscf-sim "${common[@]}" --set port=$PCSCF_PORT \
		--set scscf_port=$SCSCF_PORT \
		--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr" \
		--set trusted_edges=127.0.0.1:$WSF_SIP "${unlimited[@]}"
	listens $PCSCF_PORT udp && listens $PCSCF_PORT || return 1
	start wws wws "${common[@]}" --set port=$WWS_PORT \
		--set db=$WORK/wws.db --set cert=$WORK/wws/cert.pem \
		--set key=$WORK/wws/key.pem \
		--set signing_key=$WORK/wws/signing.pem --set issuer=$WWS \
		--set pbkdf2_iterations=1000 --set max_conns_per_ip=0 \
		--set wsf_url=wss://127.0.0.1:$WSS_PORT
	listens $WWS_PORT || return 1
	start wsf wsf "${common[@]}" --set wss_port=$WSS_PORT \
		--set ws_port=$WS_PORT --set sip_port=$WSF_SIP \
		--set pcscf_port=$PCSCF_PORT --set cert=$WORK/wsf/cert.pem \
		--set key=$WORK/wsf/key.pem --set allowed_origins=$WWS \
		--set trusted_wws=$WWS --set max_conns=$((USERS + 64)) \
		"${unlimited[@]}"
	listens $WSS_PORT && listens $WS_PORT && listens $WSF_SIP udp
}
t0=$SECONDS
"$BIN/hss-sim" --set db=$WORK/hss.db bulk "$USERS" >"$WORK/bulk.log" 2>&1 ||
	fail "hss-sim bulk $USERS: $(cat "$WORK/bulk.log")"
for attempt in 1 2 3; do
	testbed_up && break
	echo "soak: the testbed did not start (attempt $attempt):" \
		"$(cat "$WORK"/*.log | grep -m1 'in use' || true)"
	[ $attempt = 3 ] && fail "the testbed does not start"
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	PIDS=()
done

# Three UEs processes, one per transport, each reading commands from a
# FIFO (fd CLFD[i]) and writing one JSON outcome a line.
CLIENTS=(udp tcp wss)
declare -A CLFD
for tr in "${CLIENTS[@]}"; do
	mkfifo "$WORK/cl-$tr.in"
	"$BIN/client-sim" "${common[@]}" --set pcscf_port=$PCSCF_PORT \
		--set wsf_url=wss://127.0.0.1:$WSS_PORT --set wws_url=$WWS \
		--set max_conns=$((USERS + 64)) \
		<"$WORK/cl-$tr.in" >"$WORK/cl-$tr.events" 2>"$WORK/cl-$tr.log" &
	PIDS+=($!)
	eval "PID_cl_$tr=$!"
	exec {fd}>"$WORK/cl-$tr.in"
	CLFD[$tr]=$fd
done
PROCS=(hss scscf pcscf wsf wws cl_udp cl_tcp cl_wss)
echo "soak: $USERS users over ${DUR}s (expires ${EXPIRES}s, churn $CHURN %)," \
	"testbed up in $((SECONDS - t0))s; work dir $WORK"

# ---- the schedule ----------------------------------------------------------
# Per user u (transport udp, tcp, wss in turn): register at S, de-register
# at S+L, forget at S+L+F; a churning user registers again after a pause
# and does the same once more. L is in [1.15, 1.35] x expires, so each
# registration is refreshed exactly twice (at E/2 and E) by the UE itself.
# Every session ends by DUR - MARGIN. Lines: "ms transport command".
MARGIN=${SOAK_MARGIN:-$((EXPIRES / 4 > 5 ? EXPIRES / 4 : 5))}
F=$((EXPIRES / 20 > 1 ? EXPIRES / 20 : 1))
awk -v n="$USERS" -v d="$DUR" -v e="$EXPIRES" -v churn="$CHURN" \
	-v seed="$SEED" -v m="$MARGIN" -v f="$F" -v web="$WEB_S" \
	-v wws="$WWS" '
function sess(u, tr, s, l,   id, name) {
	id = sprintf("%05d", u)
	name = "u" u
	printf "%d %s register %s sip:user%s@ims.example.com " \
		"user%s@ims.example.com pass-%s expires=%d via=%s\n",
		s * 1000, tr, name, id, id, id, e, tr
	printf "%d %s deregister %s\n", (s + l) * 1000, tr, name
	printf "%d %s forget %s\n", (s + l + f) * 1000, tr, name
	sessions++
}
BEGIN {
	srand(seed); split("udp tcp wss", trs, " ")
	w = d - m
	for (u = 1; u <= n; u++) {
		tr = trs[(u - 1) % 3 + 1]
		l1 = e * (1.15 + 0.2 * rand())
		c = rand() * 100 < churn
		gap = e * (0.05 + 0.15 * rand())
		l2 = e * (1.15 + 0.2 * rand())
		total = c ? l1 + f + gap + l2 + f : l1 + f
		if (total > w) { c = 0; total = l1 + f } # no time to churn
		if (total > w) { print "soak: the run is too short for " \
			"expires " e > "/dev/stderr"; exit 2 }
		s = rand() * (w - total)
		sess(u, tr, s, l1)
		if (c) sess(u, tr, s + l1 + f + gap, l2)
	}
	# Web users at the WWS: a login or the page (and its scripts).
	for (t = 1; web > 0 && t < w; t += web) {
		k = webs % 10
		if (webs % 2)
			printf "%d wss web web%d get %s/\n", t * 1000, k, wws
		else
			printf "%d wss web web%d login %s/login " \
				"alice@web.example.com alice-web\n",
				t * 1000, k, wws
		webs++
	}
	printf "%d %d %d\n", sessions, webs, 0 > "/dev/stderr"
}' 2>"$WORK/plan" | sort -n -k1,1 -s >"$WORK/schedule" ||
	fail "cannot make the schedule: $(cat "$WORK/plan")"
read -r SESSIONS WEBS _ <"$WORK/plan" || fail "schedule: $(cat "$WORK/plan")"

# ---- sampling --------------------------------------------------------------
# CSV: t_s,phase,proc,pid,rss_kb,fds,conns,nonsock. conns: the process's
# TCP sockets that are not listening, i.e. its connections (from
# /proc/net/tcp*, read before and after listing the descriptors so that
# one opened or closed meanwhile counts as a connection); nonsock: its
# descriptors that are no socket (files, pipes, eventfd, epoll, timers).
echo "t_s,phase,proc,pid,rss_kb,fds,conns,nonsock" >"$CSV"
tcp_inodes() {
	awk 'FNR > 1 && $4 != "0A" { print "socket:[" $10 "]" }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
sample() { # t phase
	local p pid rss
	tcp_inodes >"$WORK/conn-inodes"
	for p in "${PROCS[@]}"; do
		pid=PID_$p; pid=${!pid}
		ls -l "/proc/$pid/fd" >"$WORK/fd-$p" 2>/dev/null || true
	done
	tcp_inodes >>"$WORK/conn-inodes"
	for p in "${PROCS[@]}"; do
		pid=PID_$p; pid=${!pid}
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" \
			2>/dev/null) || continue
		[ -n "$rss" ] || continue
		echo "$1,$2,$p,$pid,$rss,$(awk -v f="$WORK/conn-inodes" '
			BEGIN { while ((getline l < f) > 0) tcp[l] = 1 }
			/->/ { n++; if ($NF in tcp) c++
			       else if ($NF !~ /^socket:/) o++ }
			END { print n + 0 "," c + 0 "," o + 0 }' "$WORK/fd-$p")"
	done >>"$CSV"
}
sample 0 base
T0=$(now_ms)
(
	for _ in $(seq $((DUR / SAMPLE_S + 100))); do
		nap "$SAMPLE_S"
		[ -e "$WORK/stop-sampling" ] && break
		sample $((($(now_ms) - T0) / 1000)) load
	done
) &
SAMPLER=$!
PIDS+=($SAMPLER)

# ---- the load ----------------------------------------------------------------
n=0
while read -r ms tr cmd; do
	d=$((ms - ($(now_ms) - T0)))
	if [ $d -gt 10 ]; then
		nap "$((d / 1000)).$(printf %03d $((d % 1000)))"
	fi
	echo "$cmd" >&"${CLFD[$tr]}"
	n=$((n + 1))
	if [ $((n % 5000)) -eq 0 ]; then
		echo "  t=$((($(now_ms) - T0) / 1000))s: $n commands sent" \
			"($(cat "$WORK"/cl-*.events | grep -c '"failed"\|"error"' ||
			true) failures so far)"
	fi
done <"$WORK/schedule"

# The last operations (each bounded by Timer F, 32 s) end; then the
# descriptors and RSS once the load is gone.
events() { cat "$WORK"/cl-*.events; }
for _ in $(seq $((MARGIN + 40))); do
	[ "$(events | grep -c '"event":"forgotten"' || true)" -ge \
		$((SESSIONS)) ] && break
	nap 1
done
nap 1
T_END=$((($(now_ms) - T0) / 1000))
touch "$WORK/stop-sampling"
wait $SAMPLER 2>/dev/null || true
sample $T_END final

# ---- shutdown ------------------------------------------------------------
stop_bounded() { # name: exit status 0 within STOP_S after SIGTERM
	local var="PID_$1" pid rc=0
	pid=${!var}
	[ "${2:-}" = quit ] || kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq $((STOP_S * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		nap 0.1
	done
	kill -0 "$pid" 2>/dev/null && { STATUS[$1]="hung"; return 0; }
	wait "$pid" || rc=$?
	STATUS[$1]=$rc
}
declare -A STATUS
for tr in "${CLIENTS[@]}"; do
	echo quit >&"${CLFD[$tr]}"
	eval "exec ${CLFD[$tr]}>&-"
done
for tr in "${CLIENTS[@]}"; do stop_bounded "cl_$tr" quit; done
for p in wsf wws pcscf scscf hss; do stop_bounded $p; done

# ---- verdict ---------------------------------------------------------------
count() { events | grep -c "\"event\":\"$1\"" || true; }
REG=$(count registered); REF=$(count refreshed); DEREG=$(count deregistered)
FORGOT=$(count forgotten); LOGINS=$(count login); PAGES=$(count page)
FAILED=$(count failed); ERRORS=$(count error)
FAILURES=$((FAILED + ERRORS))
logfile() { case $1 in cl_*) echo "$WORK/cl-${1#cl_}.log" ;;
	*) echo "$WORK/$1.log" ;; esac; }
LEAKS=0; SANREP=0; bad=()
declare -A LK SR
for p in "${PROCS[@]}"; do
	f=$(logfile $p)
	LK[$p]=$(grep -c 'ERROR: LeakSanitizer' "$f" || true)
	SR[$p]=$(grep -cE 'ERROR: AddressSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer' "$f" || true)
	LEAKS=$((LEAKS + LK[$p])); SANREP=$((SANREP + SR[$p]))
done

# Per process: base, post-warm-up median, max and final RSS; the growth of
# the final sample over the median; the descriptors that are not
# connections, at base and at most; connections at the end.
awk -F, -v warm=$((DUR * WARM_PCT / 100)) -v pct=$RSS_PCT \
	-v slack=$RSS_SLACK_KB -v fdslack=$FD_SLACK -v connend=$CONN_END '
NR == 1 { next }
{
	p = $3
	if (!(p in seen)) { seen[p] = 1; order[++np] = p }
	nc = $6 - $7
	if ($2 == "base") { base[p] = $5; nc0[p] = nc; fd0[p] = $6; ns0[p] = $8 }
	# during the load, sockets open and close between the two reads:
	# a tolerance of 5 % of the connections
	if ($2 == "load" && nc - nc0[p] - int($7 / 20) > over[p])
		over[p] = nc - nc0[p] - int($7 / 20)
	if ($8 - ns0[p] > nsg[p]) nsg[p] = $8 - ns0[p]
	if ($2 == "load" && $1 >= warm) post[p, ++k[p]] = $5
	if ($5 > mx[p]) mx[p] = $5
	if (nc > ncmax[p]) ncmax[p] = nc
	if ($7 > cmax[p]) cmax[p] = $7
	if ($2 == "final") { fin[p] = $5; fdf[p] = $6; cf[p] = $7; ncf[p] = nc }
}
END {
	printf "%-7s %8s %8s %8s %8s %7s %5s %5s %5s %5s %6s %6s\n",
		"proc", "rss0_kB", "median", "max", "final", "growth", "fd0",
		"fdEnd", "conEnd", "fd+", "fdRun+", "conMax"
	for (i = 1; i <= np; i++) {
		p = order[i]; n = k[p]
		for (a = 1; a <= n; a++) { # insertion sort (mawk: no asort)
			x = post[p, a]
			for (b = a - 1; b >= 1 && v[b] > x; b--) v[b + 1] = v[b]
			v[b + 1] = x
		}
		med = n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : base[p]
		delete v
		g = med ? (fin[p] - med) * 100 / med : 0
		flat = fin[p] <= med * (1 + pct / 100) + slack
		# at the end, every descriptor beyond the base is a live
		# connection; during the run, within the tolerance
		fdg = ncf[p] - nc0[p]
		if (nsg[p] > fdg) fdg = nsg[p]
		fdr = over[p] > 0 ? over[p] : 0
		fdbad = fdg > fdslack || fdr > fdslack || cf[p] > connend
		printf "%-7s %8d %8d %8d %8d %6.1f%% %5d %5d %5d %5d %6d %6d%s\n",
			p, base[p], med, mx[p], fin[p], g, fd0[p], fdf[p], cf[p],
			fdg, fdr, cmax[p], (flat ? "" : "  RSS NOT FLAT") \
			(fdbad ? "  FD GROWTH" : "")
		gs = gs (i > 1 ? "," : "") p ":" sprintf("%.1f", g)
		if (!flat) nf++
		if (fdg > fdgmax) fdgmax = fdg
		if (fdbad) nfd++
	}
	printf "RSS_GROWTH=%s\nRSS_BAD=%d\nFD_GROWTH=%d\nFD_BAD=%d\n", gs, nf,
		fdgmax, nfd > "/dev/stderr"
}' "$CSV" 2>"$WORK/judge" | tee "$WORK/table.txt"
. "$WORK/judge"

echo
printf '%-16s %8s %8s\n' outcome done expected
printf '%-16s %8d %8d\n' registrations $REG $SESSIONS refreshes $REF \
	$((2 * SESSIONS)) deregistrations $DEREG $SESSIONS forgotten \
	$FORGOT $SESSIONS web $((LOGINS + PAGES)) $WEBS failures $FAILURES 0
printf 'exit status:'
for p in "${PROCS[@]}"; do printf ' %s=%s' $p "${STATUS[$p]}"; done
printf '\nsanitizer reports: leaks=%d other=%d\n' $LEAKS $SANREP

ok=1; why=()
[ "$REG" -eq "$SESSIONS" ] || { ok=0; why+=("registrations"); }
[ "$REF" -eq $((2 * SESSIONS)) ] || { ok=0; why+=("refreshes"); }
[ "$DEREG" -eq "$SESSIONS" ] || { ok=0; why+=("deregistrations"); }
[ "$FORGOT" -eq "$SESSIONS" ] || { ok=0; why+=("forgotten"); }
[ $((LOGINS + PAGES)) -eq "$WEBS" ] || { ok=0; why+=("web"); }
[ "$FAILURES" -eq 0 ] || { ok=0; why+=("failures"); }
[ "$LEAKS" -eq 0 ] && [ "$SANREP" -eq 0 ] || { ok=0; why+=("sanitizer"); }
[ "$RSS_BAD" -eq 0 ] || { ok=0; why+=("rss"); }
[ "$FD_BAD" -eq 0 ] || { ok=0; why+=("fds"); }
for p in "${PROCS[@]}"; do
	[ "${STATUS[$p]}" = 0 ] || { ok=0; why+=("exit:$p"); }
done
if [ "$FAILURES" -gt 0 ]; then
	echo "failures, by reason:"
	events | jq -r 'select(.event == "failed" or .event == "error") |
		"\(.event) \(.op // "-") \(.status // "-") \(.reason)"' |
		sort | uniq -c | sort -rn | head -n 10
fi
{
	cat "$WORK/table.txt"
	printf 'users=%d duration_s=%d registrations=%d/%d refreshes=%d/%d ' \
		"$USERS" "$DUR" "$REG" "$SESSIONS" "$REF" $((2 * SESSIONS))
	printf 'deregistrations=%d/%d failures=%d leaks=%d sanitizer=%d ' \
		"$DEREG" "$SESSIONS" "$FAILURES" "$LEAKS" "$SANREP"
	printf 'rss_growth_pct=%s fd_growth=%d web=%d/%d result=%s\n' \
		"$RSS_GROWTH" "$FD_GROWTH" $((LOGINS + PAGES)) "$WEBS" \
		"$([ $ok = 1 ] && echo PASS || echo "FAIL(${why[*]})")"
} >"$WORK/summary.txt"
for p in "${PROCS[@]}"; do
	f=$(logfile $p)
	[ $((LK[$p] + SR[$p])) -eq 0 ] ||
		{ echo "== sanitizer report of $p:"; grep -m1 -A20 'ERROR:\|runtime error' "$f"; }
done
echo "samples: $OUT/samples.csv"
tail -n 1 "$WORK/summary.txt"
[ $ok = 1 ] || fail "soak: ${why[*]}"
