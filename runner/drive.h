/*
 * drive.h - one scenario, end to end: a fresh data directory, free ports,
 * the nodes it names started with its overrides, its users provisioned,
 * its actions driven, quiescence awaited, the nodes stopped (each must
 * exit 0), the trace read and matched.
 */
#ifndef IMSTB_RUNNER_DRIVE_H
#define IMSTB_RUNNER_DRIVE_H

#include <stdio.h>

#include "base/base.h"
#include "run.h"
#include "scn.h"

#define DRIVE_QUIET_MS 300 /* no new trace line this long: quiescent */

struct drive_opts {
	const char *bindir; /* where the node programs are */
	long seed;          /* 0: the nodes pick their own */
	long timeout_ms;    /* whole scenario, unless it sets `timeout` */
	bool keep;          /* keep the data directory */
	struct rng *rng;    /* ports */
};

/* Runs s. Never NULL: a scenario that could not run has r->error set
 * and r->passed false. *dir (heap) is the data directory when it was
 * kept (o->keep), else NULL. */
struct rn_run *drive_scenario(const struct scn *s, const struct drive_opts *o,
			      char **dir);

/* `imstb up` (up.c): argv after "up"; returns the exit status. */
int up_main(int argc, char **argv, const char *bindir);

/* ---- terminal output (report.c) ---------------------------------------- */

struct report_opts {
	bool color;  /* ANSI colours */
	int width;   /* terminal columns, for the ladder */
	bool ladder; /* print the ladder diagram */
};

/* Before a scenario runs: figure id, title, purpose, file and tags. */
void report_header(FILE *out, const struct scn *s, bool color);
/* After it ran: a line per step (what differed and the message seen, for
 * a failure), the notes, the error, the ladder, PASS or FAIL. */
void report_result(FILE *out, const struct scn *s, const struct rn_run *r,
		   const char *kept, const struct report_opts *o);

#endif
