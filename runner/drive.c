/*
 * drive.c - runs one scenario end to end (see drive.h): the nodes it
 * needs on free ports, its actions, then the match of its trace.
 */
#include "drive.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "drive_int.h"
#include "match.h"

#define START_MS     10000 /* a node must listen within this */
#define PROVISION_MS 20000 /* a provisioning command must end within */
#define START_TRIES  3	   /* port races: pick new ports and retry */


static double wall_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void drive__problem(struct drv *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err.len)
		buf_puts(&d->err, "; ");
	va_start(ap, fmt);
	buf_vprintf(&d->err, fmt, ap);
	va_end(ap);
}

struct launch_proc *drive__proc_find(struct drv *d, const char *node)
{
	for (size_t i = 0; i < d->nprocs; i++)
		if (!strcmp(d->procs[i].kind->name, node))
			return &d->procs[i];
	return NULL;
}

/* ---- nodes ----------------------------------------------------------------
 */

static char *prog_path(struct drv *d, const struct launch_kind *k)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s/%s", d->o->bindir, k->prog);
	return buf_steal(&b, NULL);
}

/* Its kind's presets, then the scenario's `config NODE k=v` lines for
 * this node. */
static void add_config(struct drv *d, struct launch_proc *p)
{
	for (size_t i = 0; i < LAUNCH_PRESETS && p->kind->presets[i]; i++)
		launch_proc_set(p, "%s", p->kind->presets[i]);
	for (size_t i = 0; i < d->s->nconfs; i++)
		if (!strcmp(d->s->confs[i].node, p->kind->name))
			launch_proc_set(p, "%s", d->s->confs[i].kv);
}

/* Its files in <dir>/<node>/ (made here, filled by the node). */
static void add_files(struct drv *d, struct launch_proc *p)
{
	const struct launch_kind *k = p->kind;
	char sub[PATH_MAX + 40];

	if (!k->files[0])
		return;
	snprintf(sub, sizeof(sub), "%s/%s", d->dir, k->name);
	mkdir(sub, 0755);
	for (size_t i = 0; i < LAUNCH_FILES && k->files[i]; i++) {
		const char *eq = strchr(k->files[i], '=');

		launch_proc_set(p, "%.*s=%s/%s", (int)(eq - k->files[i]),
				k->files[i], sub, eq + 1);
	}
}

static void build_argv(struct drv *d, struct launch_proc *p, size_t kind_idx)
{
	const struct launch_kind *k = p->kind;
	uint16_t port = p->port, extra[LAUNCH_EXTRA];
	char *path = prog_path(d, k), log[PATH_MAX + 64];

	memcpy(extra, p->extra_port, sizeof(extra));
	snprintf(log, sizeof(log), "%s/%s.log", d->dir, k->name);
	launch_proc_close(p);
	launch_proc_init(p, k, path, log);
	free(path);
	p->port = port;
	memcpy(p->extra_port, extra, sizeof(extra));
	launch_proc_set(p, "trace_file=%s", d->trace);
	launch_proc_set(p, "trace_node=%s", k->name);
	if (d->o->seed)
		launch_proc_set(p, "seed=%ld", d->o->seed + (long)kind_idx);
	if (k->listen)
		launch_proc_set(p, "%s=%u", k->port_key ? k->port_key : "port",
				p->port);
	for (size_t i = 0; i < LAUNCH_EXTRA && k->extra[i].key; i++)
		launch_proc_set(p, "%s=%u", k->extra[i].key, p->extra_port[i]);
	for (size_t i = 0; i < LAUNCH_PEERS && k->peers[i].node; i++) {
		struct launch_proc *peer =
			drive__proc_find(d, k->peers[i].node);
		unsigned pi = k->peers[i].port;

		if (peer && pi <= LAUNCH_EXTRA)
			launch_proc_set(p, k->peers[i].set,
					pi ? peer->extra_port[pi - 1]
					   : peer->port);
	}
	if (k->db_key)
		launch_proc_set(p, "%s=%s/%s.db", k->db_key, d->dir, k->name);
	for (size_t i = 0; i < d->s->nacts; i++)
		if (d->s->acts[i].kind == SCN_ACT_FAULT &&
		    !strcmp(d->s->acts[i].node, k->name)) {
			launch_proc_set(p, "fault_file=%s/%s.faults", d->dir,
					k->name);
			break;
		}
	add_files(d, p);
	if (d->s->timers_fast && k->sip_timers) {
		/* Timer F = 64*T1 = 3.2 s: a silent peer fails fast. */
		launch_proc_set(p, "t1_ms=50");
		launch_proc_set(p, "t2_ms=400");
		launch_proc_set(p, "t4_ms=500");
	}
	if (d->s->timers_fast && k->fast)
		launch_proc_set(p, "%s", k->fast);
	add_config(d, p);
}

static int pick_ports(struct drv *d)
{
	uint16_t used[32];
	size_t n = 0;

	for (size_t i = 0; i < d->nprocs; i++) {
		struct launch_proc *p = &d->procs[i];

		p->port = 0;
		memset(p->extra_port, 0, sizeof(p->extra_port));
		for (size_t k = 0; p->kind->listen && k <= LAUNCH_EXTRA; k++) {
			uint16_t *dst = k ? &p->extra_port[k - 1] : &p->port;

			if (k && !p->kind->extra[k - 1].key)
				break;
			if (launch_port_pick(d->o->rng, used, n, dst))
				return -EADDRINUSE;
			if (n < ARRAY_SIZE(used))
				used[n++] = *dst;
		}
	}
	return 0;
}

/* Starts one node and waits until it listens. -EAGAIN: it exited with
 * status 1 (cannot start: a port race, worth a retry). */
static int node_start(struct drv *d, struct launch_proc *p, bool append)
{
	char tail[256];
	int rc = launch_proc_start(p, append);

	if (rc) {
		drive__problem(d, "%s: cannot start %s: %s", p->kind->name,
			       p->argv[0], strerror(-rc));
		return rc;
	}
	rc = launch_proc_wait_listen(p, START_MS);
	if (!rc)
		return 0;
	if (rc == -EINTR)
		return rc;
	launch_log_tail(p->log, tail, sizeof(tail));
	if (rc == -ECHILD && p->status == 1 && !append)
		return -EAGAIN;
	if (rc == -ECHILD)
		drive__problem(d, "%s exited with status %d at start: %s",
			p->kind->name, p->status, tail);
	else
		drive__problem(d,
			       "%s does not listen on port %u after %d s: %s",
			       p->kind->name, p->port, START_MS / 1000, tail);
	launch_proc_stop(p, LAUNCH_GRACE_MS);
	return rc;
}

static int nodes_start(struct drv *d)
{
	int rc = 0;

	for (int attempt = 0; attempt < START_TRIES; attempt++) {
		if (pick_ports(d)) {
			drive__problem(d, "no free ports");
			return -EADDRINUSE;
		}
		for (size_t i = 0; i < d->nprocs; i++)
			build_argv(
				d, &d->procs[i],
				(size_t)(d->procs[i].kind - launch_kind_at(0)));
		for (size_t i = 0; i < d->nprocs && !rc; i++)
			rc = node_start(d, &d->procs[i], false);
		if (rc != -EAGAIN)
			return rc;
		for (size_t i = 0; i < d->nprocs; i++)
			launch_proc_stop(&d->procs[i], LAUNCH_GRACE_MS);
		rc = 0;
	}
	drive__problem(d, "the nodes could not start (ports in use?)");
	return -EADDRINUSE;
}

static int provision(struct drv *d)
{
	for (size_t i = 0; i < d->s->nprovs; i++) {
		const struct scn_conf *pv = &d->s->provs[i];
		struct launch_proc p, *node = drive__proc_find(d, pv->node);
		char log[PATH_MAX + 32], tail[256], *path;
		int status = 0, rc;

		if (!node || !node->kind->db_key) {
			drive__problem(d,
				       "line %d: %s has no database to "
				       "provision",
				       pv->line, pv->node);
			return -EINVAL;
		}
		path = prog_path(d, node->kind);
		snprintf(log, sizeof(log), "%s/provision.log", d->dir);
		launch_proc_init(&p, node->kind, path, log);
		free(path);
		launch_proc_set(&p, "%s=%s/%s.db", node->kind->db_key, d->dir,
				pv->node);
		add_config(d, &p);
		for (size_t j = 0; j < pv->argc; j++)
			launch_proc_arg(&p, "%s", pv->argv[j]);
		rc = launch_run(p.argv, log, PROVISION_MS, &status);
		launch_log_tail(log, tail, sizeof(tail));
		launch_proc_close(&p);
		if (rc || status) {
			drive__problem(d,
				"line %d: provision %s failed (status %d): "
				"%s",
				pv->line, pv->node, status, tail);
			return -EIO;
		}
	}
	return 0;
}

/* Client first (`quit`: it finishes what is in flight), then the others
 * in reverse start order; each must exit 0. */
static void nodes_stop(struct drv *d)
{
	/* A node still stopped (`stop NODE`) would answer what it was sent
	 * as soon as it is thawed to be terminated: that late traffic is
	 * the runner's doing, not the scenario's. */
	for (size_t i = 0; i < d->nprocs && !d->cut_t; i++)
		if (d->procs[i].pid && d->procs[i].frozen)
			d->cut_t = wall_now();
	if (d->client && launch_proc_alive(d->client) && !d->client->frozen &&
	    write(d->client->in_fd, "quit\n", 5) == 5) {
		close(d->client->in_fd);
		d->client->in_fd = -1;
		launch_proc_wait(d->client, LAUNCH_GRACE_MS);
	}
	for (size_t i = d->nprocs; i-- > 0;) {
		struct launch_proc *p = &d->procs[i];
		bool was_running = p->pid != 0;
		int rc = launch_proc_stop(p, LAUNCH_GRACE_MS);

		if (rc == -ETIMEDOUT)
			drive__problem(d,
				"%s did not exit within %d s of SIGTERM "
				"(killed)",
				p->kind->name, LAUNCH_GRACE_MS / 1000);
		else if (rc && (was_running || p->exited))
			drive__problem(d, "%s exited with status %d (log: %s)",
				p->kind->name, p->status, p->log);
		p->exited = false; /* reported once */
		p->status = 0;
	}
}

/* ---- actions ----------------------------------------------------------------
 */

typedef int(act_fn)(struct drv *d, const struct scn_action *a, struct buf *why);

static int act_sleep(struct drv *d, const struct scn_action *a, struct buf *why)
{
	int64_t left = d->deadline - launch_now_ms();

	if (left >= a->ms)
		return launch_sleep((int)a->ms);
	if (launch_sleep(left > 0 ? (int)left : 0))
		return -EINTR;
	buf_puts(why, "the scenario's timeout ran out");
	return -ETIMEDOUT;
}

static int act_node(struct drv *d, const struct scn_action *a, struct buf *why)
{
	struct launch_proc *p = drive__proc_find(d, a->node);
	int rc;

	if (!p) {
		buf_printf(why, "%s is not running", a->node);
		return -ENOENT;
	}
	switch (a->kind) {
	case SCN_ACT_STOP:
	case SCN_ACT_RESUME:
		launch_proc_freeze(p, a->kind == SCN_ACT_STOP);
		return 0;
	default:
		break;
	}
	if (a->kind != SCN_ACT_START) {
		rc = launch_proc_stop(p, LAUNCH_GRACE_MS);
		p->exited = false;
		if (rc) {
			buf_printf(why, "%s exited with status %d", a->node,
				   p->status);
			return rc;
		}
	}
	if (a->kind == SCN_ACT_KILL)
		return 0;
	if (p->pid) {
		buf_printf(why, "%s is already running", a->node);
		return -EBUSY;
	}
	rc = node_start(d, p, true);
	if (rc)
		buf_printf(why, "%s did not start again", a->node);
	return rc;
}

static const struct {
	enum scn_act_kind kind;
	act_fn *fn;
} actions[] = {
	{ SCN_ACT_CLIENT, drive__act_client },
	{ SCN_ACT_WAIT_CLIENT, drive__act_wait_client },
	{ SCN_ACT_SLEEP, act_sleep },
	{ SCN_ACT_STOP, act_node },
	{ SCN_ACT_RESUME, act_node },
	{ SCN_ACT_KILL, act_node },
	{ SCN_ACT_START, act_node },
	{ SCN_ACT_RESTART, act_node },
	{ SCN_ACT_CRASH, drive__act_crash },
	{ SCN_ACT_WAIT_STEP, drive__act_wait_step },
	{ SCN_ACT_FAULT, drive__act_fault },
};

static void run_actions(struct drv *d)
{
	struct buf why;

	buf_init(&why);
	for (size_t i = 0; i < d->s->nacts; i++) {
		const struct scn_action *a = &d->s->acts[i];
		int rc = 0;

		buf_reset(&why);
		for (size_t k = 0; k < ARRAY_SIZE(actions); k++)
			if (actions[k].kind == a->kind)
				rc = actions[k].fn(d, a, &why);
		if (!rc && launch_interrupted())
			rc = -EINTR;
		if (rc) {
			drive__problem(d, "line %d: `%s`: %s", a->line, a->text,
				rc == -EINTR ? "interrupted"
				: why.len    ? why.data
					     : strerror(-rc));
			break;
		}
	}
	buf_close(&why);
}

/* No new trace line for DRIVE_QUIET_MS (bounded by the deadline). */
static void quiesce(struct drv *d)
{
	off_t last = -1;
	int64_t since = launch_now_ms();
	struct stat st;

	while (!launch_interrupted() && launch_now_ms() < d->deadline) {
		off_t size = stat(d->trace, &st) ? 0 : st.st_size;

		if (size != last) {
			last = size;
			since = launch_now_ms();
		} else if (launch_now_ms() - since >= DRIVE_QUIET_MS) {
			return;
		}
		if (d->client && launch_proc_alive(d->client))
			drive__client_pump(d, 50);
		else
			launch_sleep(50);
	}
}

/* ---- the run --------------------------------------------------------------
 */

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	UNUSED(sb);
	UNUSED(flag);
	UNUSED(ftw);
	return remove(path);
}

struct mt_name *drive__names(struct drv *d, size_t *count)
{
	struct mt_name *names =
		xcalloc(d->nprocs * (1 + LAUNCH_EXTRA) + 1, sizeof(*names));
	size_t nn = 0;

	for (size_t i = 0; i < d->nprocs; i++) {
		for (size_t k = 0; k <= LAUNCH_EXTRA; k++) {
			struct sockaddr_in *s4 = (void *)&names[nn].addr;
			uint16_t port = k ? d->procs[i].extra_port[k - 1]
					  : d->procs[i].port;

			if (!port)
				continue;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(port);
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			snprintf(names[nn++].name, sizeof(names[0].name), "%s",
				 d->procs[i].kind->name);
		}
	}
	*count = nn;
	return names;
}

static void collect(struct drv *d)
{
	struct rn_event *ev;
	size_t n, bad, nn;
	struct mt_name *names = drive__names(d, &nn);
	int rc;

	rc = rn_trace_read(d->trace, &ev, &n, &bad);
	if (rc)
		drive__problem(d, "cannot read the trace %s: %s", d->trace,
			strerror(-rc));
	for (size_t i = 0, k = 0; d->cut_t && i < n; i++) {
		if (ev[i].t < d->cut_t)
			ev[k++] = ev[i];
		else
			rn_event_close(&ev[i]);
		if (i + 1 == n)
			n = k;
	}
	mt_events_build(d->r, ev, n, names, nn);
	free(names);
}

static int setup(struct drv *d)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(d->dir, sizeof(d->dir), "%s/imstb-run.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir)) {
		drive__problem(d, "cannot create a directory in %s: %s",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		d->dir[0] = '\0';
		return -errno;
	}
	snprintf(d->trace, sizeof(d->trace), "%s/trace.jsonl", d->dir);
	d->procs = xcalloc(d->s->nnodes + 1, sizeof(*d->procs));
	for (size_t i = 0; launch_kind_at(i); i++) {
		const struct launch_kind *k = launch_kind_at(i);
		struct launch_proc *p = &d->procs[d->nprocs];
		char *path;

		if (!scn_has_node(d->s, k->name))
			continue;
		path = prog_path(d, k);
		if (access(path, X_OK)) {
			drive__problem(d, "%s: no program %s (make all?)",
				       k->name, path);
			free(path);
			return -ENOENT;
		}
		launch_proc_init(p, k, path, "/dev/null");
		free(path);
		if (k->stdio)
			d->client = p;
		d->nprocs++;
	}
	for (size_t i = 0; i < d->s->nnodes; i++) {
		if (!launch_kind_find(d->s->nodes[i])) {
			drive__problem(d,
				       "node %s: this runner cannot start it "
				       "yet",
				       d->s->nodes[i]);
			return -ENOTSUP;
		}
	}
	return 0;
}

struct rn_run *drive_scenario(const struct scn *s, const struct drive_opts *o,
			      char **dir)
{
	struct drv d = { .s = s, .o = o };
	struct rn_run *r = xcalloc(1, sizeof(*r));
	long timeout = s->timeout_ms ? s->timeout_ms : o->timeout_ms;

	d.r = r;
	buf_init(&d.cin);
	buf_init(&d.err);
	r->file = xstrdup(s->file);
	r->title = xstrdup(s->title);
	r->figure = xstrdup(s->figure);
	r->purpose = s->purpose ? xstrdup(s->purpose) : NULL;
	r->notes = s->notes ? xstrdup(s->notes) : NULL;
	r->nodes = xcalloc(s->nnodes + 1, sizeof(char *));
	for (size_t i = 0; i < s->nnodes; i++)
		r->nodes[r->nnodes++] = xstrdup(s->nodes[i]);
	r->t_start = wall_now();
	d.deadline = launch_now_ms() + timeout;
	if (!setup(&d) && !provision(&d) && !nodes_start(&d)) {
		run_actions(&d);
		quiesce(&d);
	}
	nodes_stop(&d);
	collect(&d);
	mt_match(r, s);
	r->t_end = wall_now();
	if (d.err.len) {
		r->error = buf_steal(&d.err, NULL);
		r->passed = false;
	}
	for (size_t i = 0; i < d.nprocs; i++)
		launch_proc_close(&d.procs[i]);
	free(d.procs);
	for (size_t i = 0; i < d.nforged; i++)
		free(d.forged[i].jwt);
	free(d.forged);
	for (size_t i = 0; i < d.nevq; i++)
		json_decref(d.evq[i]);
	free(d.evq);
	buf_close(&d.cin);
	buf_close(&d.err);
	*dir = NULL;
	if (d.dir[0] && o->keep)
		*dir = xstrdup(d.dir);
	else if (d.dir[0])
		nftw(d.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
