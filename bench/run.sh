#!/usr/bin/env bash
# bench/run.sh [--quick] - runs every benchmark part and prints one table,
# then, as its LAST line, one summary line of key=value pairs.
#
# Parts, in order: bench/core.sh, bench/ws.sh, bench/webflow.sh (a missing
# one is skipped with a note). Each is run as `bash bench/PART.sh [--quick]`
# with
#   BIN        the optimised programs (default: bin/)
#   BENCH_OUT  a file the part appends key=value lines to
#   BENCH_DIR  a scratch directory of its own
# and prints its own table rows on stdout. A part that fails makes run.sh
# fail (after the other parts ran), with its one-line reason.
# Env: BENCH_PARTS="core ws webflow" to run a subset; BENCH_KEEP=1 keeps
# the scratch directories.
set -uo pipefail
cd "$(dirname "$0")/.."

QUICK=()
case "${1:-}" in
--quick) QUICK=(--quick) ;;
'') ;;
*) echo "usage: bash bench/run.sh [--quick]" >&2; exit 2 ;;
esac

BIN=$(cd "${BIN:-bin}" 2>/dev/null && pwd) ||
	{ echo "bench: no programs in ${BIN:-bin} (make all)" >&2; exit 1; }
export BIN
# The load generators and chains hold many sockets: raise the soft limit
# for the benchmark only (the products keep their own defaults).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TOP=$(mktemp -d /tmp/imstb-bench.XXXXXX)
OUT=$TOP/summary.kv
: >"$OUT"
failed=0 failures=()
trap '[ "${BENCH_KEEP:-0}" = 1 ] || [ $failed -ne 0 ] || rm -rf "$TOP"' EXIT
t0=$SECONDS

echo "imstb benchmark$([ ${#QUICK[@]} -gt 0 ] && echo ' (quick)'), $(date -u +%Y-%m-%dT%H:%MZ)," \
	"$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kamailio $(kamailio -v 2>/dev/null | awk 'NR == 1 { print $3 }')," \
	"sipp $(sipp -v 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1)"
load1=$(cut -d' ' -f1 /proc/loadavg)
echo "bench_load_start=$load1" >>"$OUT"
if awk -v l="$load1" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
	echo "  note: the machine is busy (load $load1 on $(nproc) cores): rates and latencies" \
		"are indicative, compare the two chains of this run only"
fi
for part in ${BENCH_PARTS:-core ws webflow}; do
	script=bench/$part.sh
	if [ ! -f "$script" ]; then
		echo "  $part: skipped ($script not present)"
		continue
	fi
	echo "== $part"
	mkdir -p "$TOP/$part"
	log=$TOP/$part.stderr
	if BENCH_OUT=$OUT BENCH_DIR=$TOP/$part bash "$script" "${QUICK[@]}" 2>"$log"; then
		:
	else
		rc=$?
		failed=1
		why=$(grep -m1 '^bench' "$log" || tail -n1 "$log")
		failures+=("$part")
		echo "  $part: FAILED (exit $rc): ${why:-no message} (stderr: $log)"
		echo "bench: $part failed: ${why:-exit $rc}" >&2
	fi
done
echo "== done in $((SECONDS - t0)) s$([ $failed -ne 0 ] && echo "; FAILED: ${failures[*]}; scratch kept in $TOP")"

# The summary line: the keys everybody reads first, then the parts' other
# keys (per-step details excluded), the last value of a key winning.
keys="core_vs_kamailio core_rps kamailio_rps core_p50_ms core_p99_ms
kamailio_p50_ms kamailio_p99_ms core_p99_at_common_ms kamailio_p99_at_common_ms
ws_clients ws_kib_per_conn kamailio_ws_kib_per_conn web_flow_rps web_flow_p99_ms"
awk -v keys="$keys" -v failed=$failed -v load="$(cut -d' ' -f1 /proc/loadavg)" '
	/^[A-Za-z0-9_]+=/ {
		k = substr($0, 1, index($0, "=") - 1); v = substr($0, index($0, "=") + 1)
		if (!(k in val)) order[n++] = k
		val[k] = v
	}
	END {
		m = split(keys, want, /[ \n]+/); line = ""
		for (i = 1; i <= m; i++) {
			if (want[i] == "") continue
			line = line sep want[i] "=" ((want[i] in val && val[want[i]] != "") ? val[want[i]] : "na")
			sep = " "; seen[want[i]] = 1
		}
		for (i = 0; i < n; i++) {
			k = order[i]
			if (k in seen || k ~ /_step_/ || val[k] ~ / /) continue
			line = line " " k "=" val[k]
		}
		print line " bench_load_end=" load " bench_failed=" failed
	}' "$OUT"
exit $failed
