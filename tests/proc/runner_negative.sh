#!/usr/bin/env bash
# imstb must fail, naming the step, when the flow differs from the
# scenario: each tests/scn/neg-*.scn changes one thing of tests/scn/base.scn
# (which must pass, so a failure comes from the change alone). An invalid
# file stops everything with exit 2 and FILE:LINE: reason.
. "$(dirname "$0")/lib.sh"
SCN=tests/scn
# Run directories under WORK, so "nothing left running" is ours to check.
export TMPDIR=$WORK

# run FILE: imstb's output in $WORK/<name>.out, its exit status in $RC,
# the seconds it took in $TOOK.
run() {
	local t0=$SECONDS
	OUT=$WORK/$(basename "$1" .scn).out
	RC=0
	timeout 120 "$BIN/imstb" run --no-ladder --color=never "$1" \
		>"$OUT" 2>&1 || RC=$?
	TOOK=$((SECONDS - t0))
}

# expect_fail FILE REGEX...: exit status 1, "0 passed, 1 failed", and a
# FAILED line matching each REGEX (the step it must name).
expect_fail() {
	local f=$1; shift
	run "$f"
	[ $RC -eq 1 ] || { cat "$OUT"; fail "$f: exit status $RC, expected 1"; }
	grep -qx '0 passed, 1 failed' "$OUT" || { cat "$OUT"; fail "$f: no '0 passed, 1 failed' line"; }
	for re in "$@"; do
		grep -Eq "$re" "$OUT" || { cat "$OUT"; fail "$f: no line matches /$re/"; }
	done
	ok "$f fails: $(grep -Em1 "$1" "$OUT" | cut -c1-150)"
}

run $SCN/base.scn
[ $RC -eq 0 ] || { cat "$OUT"; fail "the control scenario fails (status $RC)"; }
grep -qx '1 passed, 0 failed' "$OUT" || fail "control: no '1 passed, 0 failed'"
ok "control scenario passes"

expect_fail $SCN/neg-status.scn \
	'^step 6 +pcscf -> client SIP 403 +FAILED: no SIP 403 .*instead: SIP/2.0 401'
expect_fail $SCN/neg-header.scn \
	'^step 2 +pcscf -> scscf +SIP REGISTER +FAILED: header P-Asserted-Identity: expected present, got \(absent\)'
expect_fail $SCN/neg-order.scn \
	'^step 5 +scscf -> pcscf +SIP 401 +FAILED: no SIP 401 from scscf to pcscf after step 7; one came earlier'
expect_fail $SCN/neg-forbid.scn \
	'^forbid +scscf -> hss +Diameter MAR +FAILED: seen, but forbidden'
# A frozen HSS: bounded by the S-CSCF's Cx timeout (timers fast) and the
# scenario's own timeout, and the steps past the MAR are named.
expect_fail $SCN/neg-silent.scn \
	'^step 4 +hss -> scscf +Diameter MAA +FAILED: no Diameter MAA' \
	'^step 5 +scscf -> pcscf +SIP 401 +FAILED: .*instead: SIP/2.0 503' \
	'^error: line [0-9]+: `wait +client alice registered'
[ $TOOK -le 25 ] || fail "the frozen-node scenario took $TOOK s (timeout 20 s)"
# Dropped messages (a fault rule): no plain step matches them, and a
# `wait step` for a step that never comes fails after its own 2 s.
expect_fail $SCN/neg-fault.scn \
	'^step 2 +pcscf -> scscf +SIP REGISTER +FAILED: no SIP REGISTER .*(dropped)' \
	'^error: line [0-9]+: `wait +step 3 2s`: step 3 not seen within 2000 ms'

run $SCN/invalid.scn
[ $RC -eq 2 ] || { cat "$OUT"; fail "invalid scenario: exit status $RC, expected 2"; }
grep -qx "$SCN/invalid.scn:17: unknown keyword 'stpe'" "$OUT" ||
	{ cat "$OUT"; fail "invalid scenario: no FILE:LINE: reason"; }
# One invalid file among valid ones: nothing runs at all.
RC=0
"$BIN/imstb" run $SCN/base.scn $SCN/invalid.scn >"$WORK/mixed.out" 2>&1 || RC=$?
[ $RC -eq 2 ] && ! grep -q PASS "$WORK/mixed.out" || fail "an invalid file did not stop the run"
ok "an invalid scenario: exit 2 with FILE:LINE: reason, nothing run"

# Nothing left running: no node whose trace file is in one of our runs.
sleep 0.2
left=$(pgrep -fa "$WORK/imstb-run\\." || true)
[ -z "$left" ] || fail "processes left running: $left"
ok "no node left running"
