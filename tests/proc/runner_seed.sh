#!/usr/bin/env bash
# --seed N: two runs of the same scenario put the same tags, branches,
# Call-IDs, instance ids, cnonces and icids on the wire; without it they
# differ. --keep keeps the run directory and says where.
. "$(dirname "$0")/lib.sh"
export TMPDIR=$WORK
SCN=scenarios/ims/24.228-6.2-initial-udp.scn

# volatile FILE: the random values of the SIP messages of a kept trace.
volatile() {
	jq -r 'select(.proto == "sip") | .raw | @base64d' "$1/trace.jsonl" |
		grep -oE 'tag=[0-9a-f]+|branch=[^;]+|icid-value=[0-9a-f]+|cnonce="[0-9a-f]+"|Call-ID: .*|urn:uuid:[0-9a-f-]+' |
		sort -u
}
kept_run() { # ARGS...: prints the kept directory
	"$BIN/imstb" run --keep --no-ladder "$@" $SCN >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out" >&2; fail "imstb run $* failed"; }
	sed -n 's/^kept: \([^ ]*\) .*/\1/p' "$WORK/out"
}

a=$(kept_run --seed 42); b=$(kept_run --seed 42); c=$(kept_run)
[ -d "$a" ] && [ -f "$a/trace.jsonl" ] || fail "--keep: no directory '$a'"
[ -n "$(volatile "$a")" ] || fail "no volatile value found in $a"
diff <(volatile "$a") <(volatile "$b") >"$WORK/diff" ||
	{ cat "$WORK/diff"; fail "--seed 42 twice: different values"; }
ok "--seed 42 twice: same $(volatile "$a" | wc -l) tags, branches, icids, ..."
if diff -q <(volatile "$a") <(volatile "$c") >/dev/null; then
	fail "without --seed the values repeat"
fi
ok "without --seed they differ"
