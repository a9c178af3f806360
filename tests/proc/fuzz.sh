#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/) under ASan and UBSan, in CI: builds
# them (make FUZZ=1 fuzz-bins: clang, objects in build/fuzz/) and runs each
# from its committed seed corpus for FUZZ_CI_SECONDS (60), four at a time
# (FUZZ_JOBS): each still fuzzes 60 s, in two rounds instead of four, so
# the whole suite stays well under 15 minutes on 2 cores.
# Fails naming the target and the saved input when one crashes, leaks,
# trips UBSan or hangs (tests/fuzz/run.sh). New inputs go to a fresh work
# folder that is thrown away: the run does not depend on earlier runs.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."
command -v clang >/dev/null || fail "clang is missing (mk/deps.txt: clang)"
SECS=${FUZZ_CI_SECONDS:-60}

nice -n 10 make -j2 --no-print-directory FUZZ=1 fuzz-bins >"$WORK/build.log" 2>&1 ||
	{ tail -n 30 "$WORK/build.log"; fail "make FUZZ=1 fuzz-bins"; }
ok "fuzz targets built"
FUZZ_JOBS=${FUZZ_JOBS:-4} FUZZ_WORK=$WORK/corpus bash tests/fuzz/run.sh build/fuzz/bin "$SECS" ||
	fail "a fuzz target failed (see above; tests/fuzz/README.md: reproduce)"
ok "every fuzz target ran ${SECS}s without a failure"
