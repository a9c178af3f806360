# The runner's writers (ladder, JUnit, pcapng, HTML): pure functions of a
# struct rn_run (runner/run.h), so their test needs no process and no
# loop. runner/prog.mk links the same four sources into bin/imstb.
#
# Declared as a unit test (tests/unit/check_writers.c) through a
# pseudo-module `writers`; it is not in MODULES, so nothing else links it.
writers_SRCS := runner/ladder.c runner/junit.c runner/pcap.c runner/html.c
writers_MODS := base trace diam writers
UNIT_TESTS   += writers
