#!/usr/bin/env bash
# Every scenario of scenarios/ through the runner found beside the node
# programs in BIN, with every artefact: all must pass, the JUnit file must
# list each scenario, tshark must read the pcapng, the HTML must be there.
. "$(dirname "$0")/lib.sh"
export TMPDIR=$WORK
n=$(find scenarios -name '*.scn' | wc -l)
[ "$n" -gt 0 ] || fail "no scenario under scenarios/"

rc=0
"$BIN/imstb" run --color=never --junit "$WORK/junit.xml" \
	--pcap "$WORK/run.pcapng" --html "$WORK/run.html" scenarios/ \
	>"$WORK/run.out" 2>&1 || rc=$?
cat "$WORK/run.out"
[ $rc -eq 0 ] || fail "imstb run scenarios/: exit status $rc"
grep -qx "$n passed, 0 failed" "$WORK/run.out" || fail "not '$n passed, 0 failed'"
ok "$n scenarios passed"

[ "$(grep -c '<testcase' "$WORK/junit.xml")" -eq "$n" ] ||
	fail "JUnit: $(grep -c '<testcase' "$WORK/junit.xml") testcases for $n scenarios"
grep -q '<failure' "$WORK/junit.xml" && fail "JUnit lists a failure"
ok "JUnit: $n testcases, no failure"
frames=$(tshark -r "$WORK/run.pcapng" 2>/dev/null | wc -l)
[ "$frames" -gt 0 ] || fail "tshark reads no frame from the pcapng"
ok "tshark reads $frames frames"
grep -q '<svg' "$WORK/run.html" || fail "no SVG ladder in the HTML page"
ok "HTML page written"
left=$(pgrep -fa "$WORK/imstb-run\\." || true)
[ -z "$left" ] || fail "processes left running: $left"
