/*
 * drive_int.h - what drive.c (nodes, the run) and drive_client.c (the
 * client-sim actions and its events) share. Private to the runner.
 */
#ifndef IMSTB_RUNNER_DRIVE_INT_H
#define IMSTB_RUNNER_DRIVE_INT_H

#include <jansson.h>
#include <limits.h>

#include "drive.h"
#include "launch.h"

struct drv {
	const struct scn *s;
	const struct drive_opts *o;
	struct rn_run *r;
	char dir[PATH_MAX];
	char trace[PATH_MAX + 16];
	struct launch_proc *procs; /* in start order */
	size_t nprocs;
	struct launch_proc *client; /* borrowed from procs, or NULL */
	struct buf cin;		    /* client stdout not yet a whole line */
	json_t **evq;		    /* client events not yet consumed (owned) */
	size_t nevq;
	int64_t deadline;
	double cut_t;    /* wall clock when a frozen node was thawed to be
			    stopped: what follows is not part of the run */
	struct buf err;  /* what went wrong, "; "-separated */
	struct drv_forged {
		char user[SCN_NAME_LEN];
		char *jwt; /* owned */
	} *forged;       /* `client USER token forge`: the last per user */
	size_t nforged;
};

/* Adds "why" to the run's error ("; "-separated). */
void drive__problem(struct drv *d, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The process of a node of the run, or NULL. */
struct launch_proc *drive__proc_find(struct drv *d, const char *node);

struct mt_name;
/* The addresses the runner gave the nodes (heap; *count of them). */
struct mt_name *drive__names(struct drv *d, size_t *count);

/* drive_fault.c: `crash NODE`, `wait step LABEL`, `fault NODE ...`. */
int drive__act_crash(struct drv *d, const struct scn_action *a,
		     struct buf *why);
int drive__act_wait_step(struct drv *d, const struct scn_action *a,
			 struct buf *why);
int drive__act_fault(struct drv *d, const struct scn_action *a,
		     struct buf *why);

/* drive_client.c */
/* Reads what the client wrote, up to ms, into d->evq. -ECHILD at its end
 * of output, -EINTR on a signal. */
int drive__client_pump(struct drv *d, int ms);
/* `client USER ...`: the command line written to client-sim. */
int drive__act_client(struct drv *d, const struct scn_action *a,
		      struct buf *why);
/* `wait client USER EVENT ...`. */
int drive__act_wait_client(struct drv *d, const struct scn_action *a,
			   struct buf *why);

#endif
