/*
 * hub_feed.c - the hub's view of the trace (hub.h): the file is read from
 * where the last read stopped, on libuv's thread pool (uv_fs_read), at
 * every tick; complete lines become raw events (README "The trace"); when
 * some came, the ladder is rebuilt the way `imstb run` builds it
 * (mt_events_build, then mt_match against the selected scenario) and only
 * what changed goes to the browsers: new messages, steps that moved, the
 * steps table. If an earlier message changed (a late line sorts before
 * messages already shown), the browsers start over (`reset`).
 *
 * The rebuild copies the window of lines (at most HUB_RAW_MAX) at most
 * once per tick, and only while a browser watches: a demo's few hundred
 * messages cost nothing, and a long session only keeps its newest
 * lines.
 */
#include "hub_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"
#include "writers.h"

static const char *const state_names[] = {
	[RN_EV_PLAIN] = "plain",
	[RN_EV_OK] = "ok",
	[RN_EV_FAILED] = "fail",
	[RN_EV_FORBIDDEN] = "forbidden",
};

/* A JSON string of untrusted bytes: jansson takes only UTF-8, so when the
 * bytes are not, the non-ASCII ones and NUL become '?'. */
static json_t *jstr(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	char *c;

	if (j && !memchr(s, '\0', n))
		return j;
	json_decref(j);
	c = xmemdup(s, n + 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] >= 0x80 || !c[i])
			c[i] = '?';
	j = json_stringn(c, n);
	free(c);
	return j;
}

/* ---- the tail ------------------------------------------------------------ */

static void raw_add(struct hub *h, struct rn_event *e)
{
	if (e->t < h->cut_t) {
		rn_event_close(e);
		return;
	}
	if (h->nraw == HUB_RAW_MAX) { /* the oldest half goes */
		size_t half = HUB_RAW_MAX / 2;

		for (size_t i = 0; i < half; i++)
			rn_event_close(&h->raw[i]);
		memmove(h->raw, h->raw + half,
			(h->nraw - half) * sizeof(*h->raw));
		h->nraw -= half;
	}
	if (h->nraw == h->capraw) {
		h->capraw = h->capraw ? 2 * h->capraw : 256;
		h->raw = xrealloc(h->raw, h->capraw * sizeof(*h->raw));
	}
	h->raw[h->nraw++] = *e;
	h->dirty = true;
}

/* Splits what was read into lines; the last, incomplete one waits. */
static void lines_take(struct hub *h, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		struct rn_event e;

		if (!h->skip_line && h->line.len + k > HUB_LINE_MAX) {
			h->skip_line = true;
			h->bad++;
			buf_reset(&h->line);
		}
		if (!h->skip_line)
			buf_append(&h->line, p, k);
		if (!nl)
			return;
		if (!h->skip_line && h->line.len) {
			if (rn_trace_line_parse(h->line.data, &e) == 0)
				raw_add(h, &e);
			else
				h->bad++; /* a node killed mid-write */
		}
		buf_reset(&h->line);
		h->skip_line = false;
		p += k + 1;
		n -= k + 1;
	}
}

static void read_start(struct hub *h);

static void on_read(uv_fs_t *req)
{
	struct hub *h = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	h->reading = false;
	if (h->closing || n <= 0)
		return; /* at the end (or an error): the next tick retries */
	h->off += n;
	lines_take(h, h->rdbuf, (size_t)n);
	if (n == HUB_READ_MAX)
		read_start(h); /* more is waiting */
}

static void read_start(struct hub *h)
{
	uv_buf_t b = uv_buf_init(h->rdbuf, HUB_READ_MAX);

	h->rd.data = h;
	if (uv_fs_read(&h->loop, &h->rd, h->fd, &b, 1, h->off, on_read) == 0)
		h->reading = true;
}

/* ---- one build ------------------------------------------------------------
 */

static bool in_list(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void list_add(char ***v, size_t *n, const char *s)
{
	if (in_list(*v, *n, s))
		return;
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
}

static void list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static struct rn_run *build(struct hub *h)
{
	struct rn_run *r = xcalloc(1, sizeof(*r));
	struct rn_event *ev = xcalloc(h->nraw + 1, sizeof(*ev));
	const struct scn *s = h->sel ? h->sel->scn : NULL;

	for (size_t i = 0; i < h->nraw; i++) {
		ev[i] = h->raw[i];
		ev[i].summary = xstrdup(h->raw[i].summary);
		ev[i].raw = xmalloc(h->raw[i].len + 1);
		memcpy(ev[i].raw, h->raw[i].raw, h->raw[i].len);
	}
	mt_events_build(r, ev, h->nraw, h->names, h->nnames);
	/* An end that is none of our nodes is the browser (or another
	 * UA): `client`, as the scenarios call the WebRTC client. */
	for (size_t i = 0; i < r->nevents; i++) {
		struct rn_event *e = &r->events[i];

		if (!in_list(h->nodes, h->nnodes, e->from))
			snprintf(e->from, sizeof(e->from), "client");
		if (!in_list(h->nodes, h->nnodes, e->to))
			snprintf(e->to, sizeof(e->to), "client");
	}
	/* The columns: the figure's nodes (or every node that runs), then
	 * any other one that took part. */
	list_free(r->nodes, r->nnodes);
	r->nodes = NULL;
	r->nnodes = 0;
	for (size_t i = 0; s && i < s->nnodes; i++)
		list_add(&r->nodes, &r->nnodes, s->nodes[i]);
	for (size_t i = 0; !s && i < h->nnodes; i++)
		list_add(&r->nodes, &r->nnodes, h->nodes[i]);
	for (size_t i = 0; i < r->nevents; i++) {
		list_add(&r->nodes, &r->nnodes, r->events[i].from);
		list_add(&r->nodes, &r->nnodes, r->events[i].to);
	}
	if (s)
		mt_match(r, s);
	return r;
}

/* ---- what the browsers get ----------------------------------------------- */

static json_t *ev_json(const struct rn_run *r, size_t k)
{
	const struct rn_event *e = &r->events[k];
	enum rn_ev_state st = rn__event_state(r, k);
	char brief[96];
	struct buf b;
	json_t *j;

	rn__event_brief(e, brief, sizeof(brief));
	j = json_pack("{s:I,s:f,s:f,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "i",
		      (json_int_t)k, "t", e->t, "ms",
		      (e->t - r->events[0].t) * 1000.0, "from", e->from, "to",
		      e->to, "proto", e->proto, "transport", e->transport,
		      "brief", brief, "step", rn__event_label(r, k), "state",
		      state_names[st], "bin", rn__event_is_binary(e), "retrans",
		      e->retrans);
	buf_init(&b);
	rn__event_head(&b, r, k);
	json_object_set_new(j, "head", jstr(b.data, b.len));
	json_object_set_new(j, "summary", jstr(e->summary, strlen(e->summary)));
	buf_reset(&b);
	trace_base64(&b, e->raw, e->len);
	json_object_set_new(j, "raw",
			    json_stringn(b.data ? b.data : "", b.len));
	if (!strcmp(e->proto, "diameter")) {
		buf_reset(&b);
		rn__diam_decode(&b, e->raw, e->len);
		json_object_set_new(j, "dec", jstr(b.data, b.len));
	}
	buf_close(&b);
	return j;
}

json_t *hub__feed_cols(const struct hub *h)
{
	json_t *a = json_array();

	for (size_t i = 0; h->run && i < h->run->nnodes; i++)
		json_array_append_new(a, json_string(h->run->nodes[i]));
	return json_pack("{s:o}", "cols", a);
}

json_t *hub__feed_steps(const struct hub *h)
{
	json_t *a = json_array();
	const struct rn_run *r = h->run;

	for (size_t i = 0; r && h->sel && i < r->nsteps; i++) {
		const struct rn_step *s = &r->steps[i];

		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:i}",
				     "label", s->label, "from", s->from, "to",
				     s->to, "what", s->what, "seen",
				     s->event >= 0, "ok", s->ok, "skipped",
				     s->skipped, "ev", s->event));
	}
	return json_pack("{s:o}", "steps", a);
}

static void key_set(struct hub_sent *k, const struct rn_run *r, size_t i)
{
	const struct rn_event *e = &r->events[i];

	k->t = e->t;
	k->len = e->len;
	k->sent = e->sent;
	snprintf(k->node, sizeof(k->node), "%s", e->node);
	snprintf(k->step, sizeof(k->step), "%s", rn__event_label(r, i));
	k->state = (int)rn__event_state(r, i);
}

static bool key_same(const struct hub_sent *k, const struct rn_event *e)
{
	return k->t == e->t && k->len == e->len && k->sent == e->sent &&
	       !strcmp(k->node, e->node);
}

static bool cols_same(const struct hub *h, const struct rn_run *r)
{
	if (h->ncols != r->nnodes)
		return false;
	for (size_t i = 0; i < h->ncols; i++)
		if (strcmp(h->cols[i], r->nodes[i]))
			return false;
	return true;
}

static bool steps_changed(const struct hub *h, const struct rn_run *old)
{
	const struct rn_run *r = h->run;

	if (!old || old->nsteps != r->nsteps)
		return true;
	for (size_t i = 0; i < r->nsteps; i++)
		if (old->steps[i].event != r->steps[i].event ||
		    old->steps[i].ok != r->steps[i].ok)
			return true;
	return false;
}

/* h->run is the new build, old the one the browsers have. */
static void publish(struct hub *h, struct rn_run *old)
{
	struct rn_run *r = h->run;
	bool reset = r->nevents < h->nsent;

	for (size_t i = 0; i < h->nsent && !reset; i++)
		reset = !key_same(&h->sent[i], &r->events[i]);
	if (reset) {
		hub__send(h, NULL, "reset", json_object());
		h->nsent = 0;
		for (struct hub_client *c = h->clients; c; c = c->next)
			c->at = 0; /* a replay starts over */
	}
	if (!cols_same(h, r)) {
		list_free(h->cols, h->ncols);
		h->cols = NULL;
		h->ncols = 0;
		for (size_t i = 0; i < r->nnodes; i++)
			list_add(&h->cols, &h->ncols, r->nodes[i]);
		hub__send(h, NULL, "cols", hub__feed_cols(h));
	}
	for (size_t i = 0; i < h->nsent; i++) {
		struct hub_sent k;

		key_set(&k, r, i);
		if (!strcmp(k.step, h->sent[i].step) &&
		    k.state == h->sent[i].state)
			continue;
		h->sent[i] = k;
		hub__send_upto(h, i, "label",
			       json_pack("{s:I,s:s,s:s}", "i", (json_int_t)i,
					 "step", k.step, "state",
					 state_names[k.state]));
	}
	h->sent = xrealloc(h->sent, (r->nevents + 1) * sizeof(*h->sent));
	for (size_t i = h->nsent; i < r->nevents; i++) {
		key_set(&h->sent[i], r, i);
		hub__send_ev(h, i, ev_json(r, i));
	}
	h->nsent = r->nevents;
	if (reset || steps_changed(h, old))
		hub__send_upto(h, SIZE_MAX, "steps", hub__feed_steps(h));
}

static void rebuild(struct hub *h)
{
	struct rn_run *old = h->run;

	h->dirty = false;
	h->run = build(h);
	publish(h, old);
	rn_run_free(old);
}

/* ---- entry points ----------------------------------------------------------
 */

int hub__feed_open(struct hub *h)
{
	uv_fs_t req;
	int fd = uv_fs_open(NULL, &req, h->trace,
			    O_RDONLY | O_CREAT | O_CLOEXEC, 0644, NULL);

	uv_fs_req_cleanup(&req);
	if (fd < 0)
		return fd;
	h->fd = fd;
	h->rdbuf = xmalloc(HUB_READ_MAX);
	buf_init(&h->line);
	h->run = build(h);
	return 0;
}

void hub__feed_sync(struct hub *h)
{
	if (h->dirty && !h->closing)
		rebuild(h);
}

void hub__feed_tick(struct hub *h)
{
	if (h->fd < 0 || h->closing)
		return;
	if (h->clients) /* nobody watching: the next browser rebuilds */
		hub__feed_sync(h);
	if (!h->reading)
		read_start(h);
}

void hub__feed_cut(struct hub *h, double t)
{
	size_t k = 0;

	h->cut_t = t;
	for (size_t i = 0; i < h->nraw; i++) {
		if (h->raw[i].t < t)
			rn_event_close(&h->raw[i]);
		else
			h->raw[k++] = h->raw[i];
	}
	h->nraw = k;
	h->dirty = true;
	rebuild(h);
}

void hub__feed_replay(struct hub *h, struct hub_client *c)
{
	hub__send(h, c, "reset", json_object());
	hub__send(h, c, "cols", hub__feed_cols(h));
	c->replaying = true;
	c->at = 0;
	hub__feed_more(h, c);
}

void hub__feed_more(struct hub *h, struct hub_client *c)
{
	while (c->replaying && !c->dead) {
		if (!h->run || c->at >= h->run->nevents) {
			c->replaying = false;
			hub__send(h, c, "steps", hub__feed_steps(h));
			return;
		}
		if (stream_pending(c->s) > HUB_SSE_HIGH)
			return; /* its drain callback brings it back */
		hub__send(h, c, "ev", ev_json(h->run, c->at++));
	}
}

void hub__feed_close(struct hub *h)
{
	uv_fs_t req;

	if (h->fd >= 0) {
		uv_fs_close(NULL, &req, h->fd, NULL);
		uv_fs_req_cleanup(&req);
		h->fd = -1;
	}
	for (size_t i = 0; i < h->nraw; i++)
		rn_event_close(&h->raw[i]);
	free(h->raw);
	h->raw = NULL;
	h->nraw = h->capraw = 0;
	rn_run_free(h->run);
	h->run = NULL;
	list_free(h->cols, h->ncols);
	h->cols = NULL;
	h->ncols = 0;
	free(h->sent);
	h->sent = NULL;
	h->nsent = 0;
	free(h->rdbuf);
	h->rdbuf = NULL;
	buf_close(&h->line);
}
