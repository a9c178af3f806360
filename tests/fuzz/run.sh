#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time each, two at a time (2 cores).
#   tests/fuzz/run.sh BINDIR SECONDS [TARGET...]
# Each target fuzzes from its committed seed corpus tests/fuzz/corpus/<t>
# (read only) plus a work corpus build/fuzz/work/<t> (new inputs go there;
# not committed), with its dictionary tests/fuzz/dict/<t>.dict if any.
# A crash, leak, sanitizer report or hang (-timeout) fails the run: the
# target and the saved input (build/fuzz/artifacts/<t>/...) are named.
# FUZZ_JOBS (2) runs that many targets at once; FUZZ_WORK overrides the
# work folder.
set -u
cd "$(dirname "$0")/../.."
BINDIR=${1:?usage: run.sh BINDIR SECONDS [TARGET...]}
SECS=${2:?seconds}
shift 2
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sip diam http ws auth conf scn)
JOBS=${FUZZ_JOBS:-2}
WORK=${FUZZ_WORK:-build/fuzz/work}
ART=build/fuzz/artifacts

max_len() {
	case $1 in
	sip | http) echo 16384 ;;
	scn) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

run_target() {
	local t=$1 bin="$BINDIR/fuzz_$1" dict=tests/fuzz/dict/$1.dict
	local log="$ART/$t/fuzz.log" opts=()
	rm -rf "$ART/$t"
	mkdir -p "$WORK/$t" "$ART/$t"
	[ -f "$dict" ] && opts+=("-dict=$dict")
	# -timeout: one input taking longer is a hang; -rss_limit_mb: an
	# input growing memory without bound is a failure too. ASan's
	# leak check runs at the end of each input (-detect_leaks=1).
	nice -n 10 timeout $((SECS + 120)) "$bin" \
		-max_total_time="$SECS" -max_len="$(max_len "$t")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-close_fd_mask=3 \
		-artifact_prefix="$ART/$t/" "${opts[@]}" \
		"$WORK/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	local rc=$?
	local execs
	execs=$(grep -m1 'stat::number_of_executed_units' "$log" |
		awk '{print $2}')
	if [ $rc -eq 0 ]; then
		printf '  ok    fuzz_%-6s %ss, %s runs, work corpus %s\n' "$t" "$SECS" \
			"${execs:-?}" "$(ls "$WORK/$t" | wc -l)"
		return 0
	fi
	local found
	found=$(ls "$ART/$t" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' |
		head -1)
	if [ -n "$found" ]; then
		printf '  FAIL  fuzz_%s (exit %d): %s\n' "$t" $rc "$ART/$t/$found"
	else
		printf '  FAIL  fuzz_%s (exit %d): no saved input, see %s\n' \
			"$t" $rc "$log"
	fi
	grep -E 'ERROR|SUMMARY|runtime error|Timeout|leak' "$log" | head -5 |
		sed 's/^/        /'
	[ -n "$found" ] && printf '        reproduce: %s %s\n' "$bin" \
		"$ART/$t/$found"
	return 1
}

for t in "${TARGETS[@]}"; do
	[ -x "$BINDIR/fuzz_$t" ] || { echo "no $BINDIR/fuzz_$t (make FUZZ=1 fuzz-bins)"; exit 2; }
	[ -d "tests/fuzz/corpus/$t" ] || { echo "no tests/fuzz/corpus/$t"; exit 2; }
done

fail=0 running=0
for t in "${TARGETS[@]}"; do
	if [ $running -ge "$JOBS" ]; then
		wait -n || fail=1
		running=$((running - 1))
	fi
	run_target "$t" &
	running=$((running + 1))
done
while [ $running -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
[ $fail -eq 0 ] && echo "fuzz: ${#TARGETS[@]} targets, ${SECS}s each, no failure"
exit $fail
