#!/usr/bin/env bash
# Runs every test of imstb against the programs in BIN (default bin/):
#   1. unit and component tests: BIN/tests/check_* (Check)
#   2. process tests: tests/proc/*.sh (real processes on 127.0.0.1 with
#      SIPp, tshark and raw sockets as peers)
# Prints one line per test and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BIN=$(cd "${1:-bin}" && pwd)
export BIN
pass=0 fail=0 failed=()
logdir=$(mktemp -d /tmp/imstb-tests.XXXXXX)

run_one() {
	local name=$1; shift
	local log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	local t0=$SECONDS
	if timeout 600 "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf '  ok    %-40s %3ds  %s\n' "$name" $((SECONDS - t0)) \
			"$(grep -E '^[0-9]+%: Checks' "$log" | tail -1)"
	else
		fail=$((fail + 1)); failed+=("$name")
		printf '  FAIL  %-40s %3ds  (log: %s)\n' "$name" $((SECONDS - t0)) "$log"
		tail -n 30 "$log" | sed 's/^/        /'
	fi
}

echo "== unit and component tests (Check, ASan/UBSan when built with SAN=1)"
for t in "$BIN"/tests/check_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done

echo "== process tests"
for t in tests/proc/*.sh; do
	[ -f "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue # sourced by the others
	run_one "$(basename "$t" .sh)" bash "$t"
done

echo "== house style"
run_one style bash tests/tools/style.sh

echo
[ $fail -eq 0 ] || printf 'failed: %s\n' "${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && rm -rf "$logdir"
[ $fail -eq 0 ]
