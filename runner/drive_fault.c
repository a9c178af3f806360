/*
 * drive_fault.c - the fault actions of a scenario: `crash NODE` (SIGKILL:
 * no goodbye, no DPR, what it wrote so far is all that survives),
 * `wait step LABEL` (so that the next action happens exactly there) and
 * `fault NODE drop|delay|clear ...` (rules for the node's sending path,
 * lib/trace/fault.c: written to <run>/<node>.faults, then SIGUSR1).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drive_int.h"
#include "match.h"

#define CRASH_REAP_MS 2000 /* a SIGKILLed node is gone within this */
#define STEP_POLL_MS  20

int drive__act_crash(struct drv *d, const struct scn_action *a,
		     struct buf *why)
{
	struct launch_proc *p = drive__proc_find(d, a->node);

	if (!p || !launch_proc_alive(p)) {
		buf_printf(why, "%s is not running", a->node);
		return -ENOENT;
	}
	kill(p->pid, SIGKILL);
	if (launch_proc_wait(p, CRASH_REAP_MS) == -ETIMEDOUT) {
		buf_printf(why, "%s survived SIGKILL", a->node);
		return -ETIMEDOUT;
	}
	/* Killed on purpose: not an exit status to report at the end. */
	p->frozen = false;
	p->exited = false;
	p->status = 0;
	return 0;
}

/* Has the step labelled `label` matched what the trace holds so far?
 * The whole match runs on the trace as it is (steps before it must have
 * matched too, as they will at the end). */
static bool step_seen(struct drv *d, const char *label)
{
	struct rn_run *r = xcalloc(1, sizeof(*r));
	struct rn_event *ev;
	struct mt_name *names;
	size_t n, bad, nn;
	bool seen = false;

	if (rn_trace_read(d->trace, &ev, &n, &bad)) {
		free(r);
		return false;
	}
	names = drive__names(d, &nn);
	mt_events_build(r, ev, n, names, nn);
	mt_match(r, d->s);
	for (size_t i = 0; i < r->nsteps && !seen; i++)
		seen = !strcmp(r->steps[i].label, label) && r->steps[i].ok &&
		       !r->steps[i].skipped && r->steps[i].event >= 0;
	free(names);
	rn_run_free(r);
	return seen;
}

int drive__act_wait_step(struct drv *d, const struct scn_action *a,
			 struct buf *why)
{
	int64_t end = launch_now_ms() + a->ms;

	if (end > d->deadline)
		end = d->deadline;
	for (;;) {
		if (step_seen(d, a->verb))
			return 0;
		if (launch_interrupted())
			return -EINTR;
		if (launch_now_ms() >= end)
			break;
		if (d->client && launch_proc_alive(d->client))
			drive__client_pump(d, STEP_POLL_MS);
		else
			launch_sleep(STEP_POLL_MS);
	}
	buf_printf(why, "step %s not seen within %ld ms", a->verb, a->ms);
	return -ETIMEDOUT;
}

/* `to=NODE`: every address that node listens on. */
static void rule_to(struct drv *d, struct buf *b, const char *node)
{
	struct launch_proc *p = drive__proc_find(d, node);
	const char *sep = " to=";

	for (size_t k = 0; p && k <= LAUNCH_EXTRA; k++) {
		uint16_t port = k ? p->extra_port[k - 1] : p->port;

		if (!port)
			continue;
		buf_printf(b, "%s127.0.0.1:%u", sep, port);
		sep = ",";
	}
	if (!strcmp(sep, " to="))
		buf_puts(b, " to=none"); /* listens nowhere: matches nothing */
}

/* The rules of a node after action `upto`: its fault lines since its
 * last `clear`, each named by its line number (lib/trace keeps a rule's
 * count across reloads by that id). */
static void rules_print(struct drv *d, const struct scn_action *upto,
			struct buf *b)
{
	for (const struct scn_action *a = d->s->acts; a <= upto; a++) {
		if (a->kind != SCN_ACT_FAULT || strcmp(a->node, upto->node))
			continue;
		if (!strcmp(a->verb, "clear")) {
			buf_reset(b);
			continue;
		}
		buf_printf(b, "%d %s %s %s", a->line, a->verb, a->kv[0],
			   a->kv[1]);
		if (!strcmp(a->verb, "delay"))
			buf_printf(b, " %ld", a->ms);
		for (size_t i = 2; i < a->nkv; i++) {
			if (!strncmp(a->kv[i], "to=", 3))
				rule_to(d, b, a->kv[i] + 3);
			else
				buf_printf(b, " %s", a->kv[i]);
		}
		buf_puts(b, "\n");
	}
}

int drive__act_fault(struct drv *d, const struct scn_action *a,
		     struct buf *why)
{
	struct launch_proc *p = drive__proc_find(d, a->node);
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	struct buf b;
	FILE *f;
	int rc = 0;

	buf_init(&b);
	rules_print(d, a, &b);
	snprintf(path, sizeof(path), "%s/%s.faults", d->dir, a->node);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* Whole or nothing: the node may re-read it at any moment. */
	f = fopen(tmp, "w");
	if (f) {
		bool part = b.len && fwrite(b.data, 1, b.len, f) != b.len;

		rc = fclose(f) || part || rename(tmp, path) ? -EIO : 0;
	}
	if (!f || rc) {
		rc = -EIO;
		buf_printf(why, "cannot write %s", path);
		goto out;
	}
	/* A node that is not running reads the file when it starts. */
	if (p && launch_proc_alive(p))
		kill(p->pid, SIGUSR1);
out:
	buf_close(&b);
	return rc;
}
