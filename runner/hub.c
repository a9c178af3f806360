/*
 * hub.c - the live ladder's HTTP side (hub.h): the page, server-sent
 * events (WHATWG HTML §9.2 "Server-sent events": `event:` and `data:`
 * lines, a blank line per event), the list of figures and the selection.
 *
 * GET /events takes the connection over from lib/http
 * (http_conn_upgrade): the answer has no length and runs until either end
 * closes (RFC 9112 §6.3 item 8), which is what EventSource expects. A
 * browser gets the ladder so far, and any burst of messages, at the pace
 * it reads (at most HUB_SSE_HIGH bytes queued, then the stream's drain
 * callback); one that still falls behind its stream's max_pending is cut
 * off, and EventSource reconnects and gets everything again.
 */
#include "hub_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "writers.h"

/* runner/hub.html, embedded by runner/hub_embed.sh (runner/prog.mk). */
extern const char rn__hub_page[];

#define PAGE_HDRS                                                              \
	"Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n"       \
	"Content-Security-Policy: default-src 'none'; script-src "             \
	"'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "     \
	"img-src 'self'\r\n"
#define SSE_HEAD                                                               \
	"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"               \
	"Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"       \
	"Connection: close\r\n\r\nretry: 2000\n\n"

/* ---- server-sent events ------------------------------------------------- */

static void client_drop(struct hub_client *c)
{
	if (c->s && !c->dead) {
		c->dead = true;
		stream_abort(c->s);
	}
}

static void client_write(struct hub_client *c, const char *p, size_t n)
{
	if (c->dead || !c->s)
		return;
	if (stream_write(c->s, p, n) < 0)
		client_drop(c); /* too slow, or gone */
}

/* One event's text; false if data does not print. Takes data. */
static bool sse_print(struct buf *b, const char *event, json_t *data)
{
	char *txt = json_dumps(data, JSON_COMPACT);

	json_decref(data);
	if (!txt)
		return false;
	/* compact JSON has no newline, so one data line is the event */
	buf_printf(b, "event: %s\ndata: %s\n\n", event, txt);
	free(txt);
	return true;
}

void hub__send(struct hub *h, struct hub_client *c, const char *event,
	       json_t *data)
{
	struct buf b;

	buf_init(&b);
	if (sse_print(&b, event, data) && c) {
		client_write(c, b.data, b.len);
	} else if (b.len) {
		for (c = h->clients; c; c = c->next)
			client_write(c, b.data, b.len);
	}
	buf_close(&b);
}

void hub__send_ev(struct hub *h, size_t i, json_t *data)
{
	struct buf b;

	buf_init(&b);
	if (sse_print(&b, "ev", data))
		for (struct hub_client *c = h->clients; c; c = c->next) {
			if (c->replaying || c->dead)
				continue; /* it gets there */
			if (stream_pending(c->s) > HUB_SSE_HIGH) {
				c->replaying = true; /* a burst: pace it */
				c->at = i;
				continue;
			}
			client_write(c, b.data, b.len);
		}
	buf_close(&b);
}

void hub__send_upto(struct hub *h, size_t i, const char *event, json_t *data)
{
	struct buf b;

	buf_init(&b);
	if (sse_print(&b, event, data))
		for (struct hub_client *c = h->clients; c; c = c->next)
			if (!c->replaying || (i != SIZE_MAX && i < c->at))
				client_write(c, b.data, b.len);
	buf_close(&b);
}

static void sse_read(struct stream *s, const char *p, size_t n, void *arg)
{
	UNUSED(s); /* a browser sends nothing more */
	UNUSED(p);
	UNUSED(n);
	UNUSED(arg);
}

static void sse_drain(struct stream *s, void *arg)
{
	struct hub_client *c = arg;

	UNUSED(s);
	if (c->replaying && !c->dead)
		hub__feed_more(c->h, c);
}

static void sse_close(struct stream *s, int err, void *arg)
{
	struct hub_client *c = arg;
	struct hub *h = c->h;

	UNUSED(err);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	obj_unref(s);
	free(c);
}

static json_t *fig_json(const struct hub_fig *f)
{
	const struct scn *s = f->scn;

	return json_pack("{s:s,s:s?,s:s?,s:s,s:s?,s:s?,s:s?,s:b}", "path",
			 f->path, "figure", s->figure, "title", s->title,
			 "variant", f->variant, "tags", s->tags, "purpose",
			 s->purpose, "notes", s->notes, "runnable",
			 f->runnable);
}

json_t *hub__hello(struct hub *h)
{
	json_t *links = json_array();

	for (size_t i = 0; i < h->nlinks; i++)
		json_array_append_new(links, json_pack("{s:s,s:s}", "name",
						       h->links[i].name, "url",
						       h->links[i].url));
	return json_pack("{s:o,s:o,s:b}", "figure",
			 h->sel ? fig_json(h->sel) : json_null(), "links",
			 links, "pending", h->pending);
}

static void sse_open(struct hub *h, struct http_conn *hc)
{
	struct stream_cbs cbs = { NULL, sse_read, sse_close, NULL };
	struct hub_client *c;
	struct stream *s;

	if (http_conn_upgrade(hc, &s, NULL))
		return;
	hub__feed_sync(h); /* before it joins: it gets it all in the replay */
	c = xcalloc(1, sizeof(*c));
	c->h = h;
	c->s = s;
	cbs.arg = c;
	stream_set_cbs(s, &cbs);
	stream_set_drain(s, sse_drain, c);
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
	client_write(c, SSE_HEAD, sizeof(SSE_HEAD) - 1);
	stream_resume(s);
	hub__send(h, c, "hello", hub__hello(h));
	hub__feed_replay(h, c);
}

/* ---- figures ---------------------------------------------------------------
 */

static bool node_runs(const struct hub *h, const char *name)
{
	if (!strcmp(name, "client"))
		return true; /* the browser */
	for (size_t i = 0; i < h->nnodes; i++)
		if (!strcmp(h->nodes[i], name))
			return true;
	return false;
}

static void fig_add(struct hub *h, const char *rel, struct scn *s)
{
	struct hub_fig *f;
	struct buf v;

	h->figs = xrealloc(h->figs, (h->nfigs + 1) * sizeof(*h->figs));
	f = &h->figs[h->nfigs++];
	f->path = xstrdup(rel);
	f->scn = s;
	f->runnable = true;
	for (size_t i = 0; i < s->nnodes; i++)
		f->runnable = f->runnable && node_runs(h, s->nodes[i]);
	buf_init(&v);
	for (size_t i = 0; i < s->nconfs; i++)
		buf_printf(&v, "%s%s %s", v.len ? ", " : "", s->confs[i].node,
			   s->confs[i].kv);
	f->variant = v.len ? buf_steal(&v, NULL) : xstrdup("");
	buf_close(&v);
}

/* Every *.scn below dir (rel: its path relative to the top). */
static void figs_scan(struct hub *h, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char err[SCN_ERR_LEN];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		struct buf p, r;
		struct stat st;
		struct scn *s;

		if (e->d_name[0] == '.')
			continue;
		buf_init(&p);
		buf_init(&r);
		buf_printf(&p, "%s/%s", dir, e->d_name);
		buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (stat(p.data, &st) == 0 && S_ISDIR(st.st_mode)) {
			figs_scan(h, p.data, r.data);
		} else if (n > 4 && !strcmp(e->d_name + n - 4, ".scn")) {
			if (scn_load(&s, p.data, err) == 0)
				fig_add(h, r.data, s);
			else
				log_warn("hub: skipping %s", err);
		}
		buf_close(&p);
		buf_close(&r);
	}
	closedir(d);
}

static int fig_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hub_fig *)a)->path,
		      ((const struct hub_fig *)b)->path);
}

static void figures(struct hub *h, struct http_conn *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < h->nfigs; i++)
		json_array_append_new(a, fig_json(&h->figs[i]));
	http_respond_json(c, 200,
			  json_pack("{s:o,s:s?}", "figures", a, "selected",
				    h->sel ? h->sel->path : NULL),
			  "Cache-Control: no-cache\r\n");
}

/* ---- POSTs --------------------------------------------------------------- */

/* JSON only (no form a page of another origin could send as a simple
 * request, Fetch §3.2.3), and our own Origin when there is one. */
static bool post_ok(struct hub *h, struct http_conn *c,
		    const struct http_req *req)
{
	const struct http_hdr *o = http_hdr_find(&req->hdrs, "Origin");
	char a[64], b[64];

	if (!http_is_json(&req->hdrs)) {
		http_respond_error(c, 415, "invalid_request",
				   "Content-Type must be application/json");
		return false;
	}
	snprintf(a, sizeof(a), "http://127.0.0.1:%u", h->port);
	snprintf(b, sizeof(b), "http://localhost:%u", h->port);
	if (o && !sv_eq_cstr(o->value, a) && !sv_eq_cstr(o->value, b)) {
		http_respond_error(c, 403, "forbidden",
				   "only the hub's own page may do this");
		return false;
	}
	return true;
}

static void select_req(struct hub *h, struct http_conn *c,
		       const struct http_req *req)
{
	const struct hub_fig *f = NULL;
	const char *path;
	json_t *j = NULL, *v;
	char why[160];

	if (http_json_parse(req->body, 0, &j, why, sizeof(why)) ||
	    !json_is_object(j)) {
		http_respond_error(c, 400, "invalid_request",
				   "a JSON object {\"scenario\": PATH}");
		goto out;
	}
	v = json_object_get(j, "scenario");
	path = json_string_value(v);
	if (v && !json_is_null(v) && !path) {
		http_respond_error(c, 400, "invalid_request",
				   "scenario: a path of GET /figures or null");
		goto out;
	}
	for (size_t i = 0; path && *path && i < h->nfigs && !f; i++)
		if (!strcmp(h->figs[i].path, path))
			f = &h->figs[i];
	if (path && *path && !f) {
		http_respond_error(c, 404, "unknown_scenario",
				   "not one of GET /figures");
		goto out;
	}
	if (f && !f->runnable) {
		http_respond_error(c, 409, "not_runnable",
				   "it needs a node that does not run here");
		goto out;
	}
	if (h->pending || h->settling) {
		http_respond_error(c, 409, "busy",
				   "another selection is being applied");
		goto out;
	}
	h->pending = true;
	h->next = f;
	h->pc = obj_ref(c);
	h->pending_t = (double)time_now_us() / 1e6;
	hub__send(h, NULL, "status",
		  json_pack("{s:s,s:s}", "state", "applying", "text",
			    f ? f->path : "no figure"));
out:
	json_decref(j);
}

static void on_request(struct http_conn *c, const struct http_req *req,
		       void *arg)
{
	struct hub *h = arg;
	bool get = sv_eq_cstr(req->method, "GET") ||
		   sv_eq_cstr(req->method, "HEAD");
	bool post = sv_eq_cstr(req->method, "POST");

	if (sv_eq_cstr(req->path, "/") && get) {
		http_respond(c, 200, "text/html; charset=utf-8", h->page.data,
			     h->page.len, PAGE_HDRS);
	} else if (sv_eq_cstr(req->path, "/events") && get) {
		sse_open(h, c);
	} else if (sv_eq_cstr(req->path, "/figures") && get) {
		figures(h, c);
	} else if (sv_eq_cstr(req->path, "/select") && post) {
		if (post_ok(h, c, req))
			select_req(h, c, req);
	} else if (sv_eq_cstr(req->path, "/clear") && post) {
		if (!post_ok(h, c, req))
			return;
		hub__feed_cut(h, (double)time_now_us() / 1e6);
		http_respond_json(c, 200, json_pack("{s:b}", "ok", 1), NULL);
	} else if (sv_eq_cstr(req->path, "/") ||
		   sv_eq_cstr(req->path, "/events") ||
		   sv_eq_cstr(req->path, "/figures")) {
		http_respond_error(c, 405, "invalid_request", "GET only");
	} else if (sv_eq_cstr(req->path, "/select") ||
		   sv_eq_cstr(req->path, "/clear")) {
		http_respond_error(c, 405, "invalid_request", "POST only");
	} else {
		http_respond_error(c, 404, "not_found", NULL);
	}
}

/* ---- the loop --------------------------------------------------------------
 */

static void settle_tick(struct hub *h);

static void on_tick(uv_timer_t *t)
{
	struct hub *h = t->data;

	hub__feed_tick(h);
	if (h->settling)
		settle_tick(h);
	if (++h->ticks % HUB_PING_TICKS == 0) /* an SSE comment */
		for (struct hub_client *c = h->clients; c; c = c->next)
			client_write(c, ":\n\n", 3);
}

static void on_wake(uv_timer_t *t)
{
	struct hub *h = t->data;

	h->woke = true;
}

void hub_run(struct hub *h, int ms)
{
	bool was = h->pending; /* then it serves on: POSTs get 409 */

	h->woke = false;
	uv_timer_start(&h->wake, on_wake, ms > 0 ? (uint64_t)ms : 0, 0);
	while (!h->woke && (was || !h->pending))
		uv_run(&h->loop, UV_RUN_ONCE);
	uv_timer_stop(&h->wake);
}

bool hub_select_pending(const struct hub *h, const struct scn **s)
{
	if (h->pending)
		*s = h->next ? h->next->scn : NULL;
	return h->pending;
}

/* The end of a selection: the new figure, the ladder from cut_t, the
 * answer to the POST. */
static void select_finish(struct hub *h, double cut_t)
{
	const char *path = h->next ? h->next->path : NULL;
	const char *why = h->why ? h->why : "";
	int err = h->err;

	h->settling = false;
	if (!err) {
		h->sel = h->next;
		hub__send(h, NULL, "hello", hub__hello(h));
		hub__feed_cut(h, cut_t);
	}
	hub__send(h, NULL, "status",
		  json_pack("{s:s,s:s}", "state", err ? "failed" : "applied",
			    "text", why));
	http_respond_json(h->pc, err ? 500 : 200,
			  json_pack("{s:b,s:s?,s:s}", "ok", !err, "scenario",
				    path, "detail", why),
			  NULL);
	h->pc = obj_unref(h->pc);
	free(h->why);
	h->why = NULL;
}

/* Settling: once the trace has been quiet for HUB_SETTLE_TICKS (the
 * restarted nodes have said what they say at their start: an enterprise
 * WWS registers its block), or after HUB_SETTLE_MS, the ladder starts. */
static void settle_tick(struct hub *h)
{
	if (h->off != h->settle_off || h->reading) {
		h->settle_off = h->off;
		h->quiet = 0;
	} else {
		h->quiet++;
	}
	if (h->quiet >= HUB_SETTLE_TICKS || uv_now(&h->loop) >= h->settle_end)
		select_finish(h, (double)time_now_us() / 1e6);
}

void hub_select_done(struct hub *h, int err, const char *why, double since)
{
	if (!h->pending)
		return;
	h->pending = false;
	h->err = err;
	h->why = xstrdup(why ? why : "");
	if (err || since > 0) {
		select_finish(h, since > 0 ? since : h->pending_t);
		return;
	}
	h->settling = true;
	h->quiet = 0;
	h->settle_off = -1;
	uv_update_time(&h->loop);
	h->settle_end = uv_now(&h->loop) + HUB_SETTLE_MS;
	hub__send(h, NULL, "status",
		  json_pack("{s:s,s:s}", "state", "applying", "text",
			    "waiting until the new nodes are quiet"));
}

uint16_t hub_port(const struct hub *h)
{
	return h->port;
}

/* The page: runner/hub.html with html.c's ladder CSS and script where
 * its two markers are. */
static void page_build(struct buf *b)
{
	static const char *const mark[] = { "/*@LADDER_CSS@*/",
					    "/*@LADDER_JS@*/" };
	const char *part[] = { rn__html_css, rn__html_js };
	const char *p = rn__hub_page;

	for (size_t i = 0; i < ARRAY_SIZE(mark); i++) {
		const char *m = strstr(p, mark[i]);

		if (!m)
			break;
		buf_append(b, p, (size_t)(m - p));
		buf_puts(b, part[i]);
		p = m + strlen(mark[i]);
	}
	buf_puts(b, p);
}

int hub_new(struct hub **out, const struct hub_conf *conf, char *err,
	    size_t errlen)
{
	struct hub *h = xcalloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	h->fd = -1;
	uv_loop_init(&h->loop);
	uv_timer_init(&h->loop, &h->tick);
	uv_timer_init(&h->loop, &h->wake);
	h->tick.data = h->wake.data = h;
	buf_init(&h->page);
	page_build(&h->page);
	h->trace = xstrdup(conf->trace);
	h->scn_dir = xstrdup(conf->scn_dir);
	h->names = xcalloc(conf->nnames + 1, sizeof(*h->names));
	if (conf->nnames)
		memcpy(h->names, conf->names,
		       conf->nnames * sizeof(*conf->names));
	h->nnames = conf->nnames;
	h->nodes = xcalloc(conf->nnodes + 1, sizeof(char *));
	for (size_t i = 0; i < conf->nnodes; i++)
		h->nodes[h->nnodes++] = xstrdup(conf->nodes[i]);
	h->links = xcalloc(conf->nlinks + 1, sizeof(*h->links));
	for (size_t i = 0; i < conf->nlinks; i++) {
		h->links[i].name = xstrdup(conf->links[i].name);
		h->links[i].url = xstrdup(conf->links[i].url);
	}
	h->nlinks = conf->nlinks;
	figs_scan(h, h->scn_dir, "");
	if (h->nfigs)
		qsort(h->figs, h->nfigs, sizeof(*h->figs), fig_cmp);
	rc = http_server_new(&h->srv, &h->loop, "127.0.0.1", conf->port, NULL,
			     NULL, on_request, h);
	if (rc) {
		snprintf(err, errlen, "listen on 127.0.0.1:%u: %s", conf->port,
			 uv_strerror(rc));
		goto fail;
	}
	http_server_set_name(h->srv, "imstb-hub");
	h->port = http_server_port(h->srv);
	rc = hub__feed_open(h);
	if (rc) {
		snprintf(err, errlen, "%s: %s", h->trace, uv_strerror(rc));
		goto fail;
	}
	uv_timer_start(&h->tick, on_tick, HUB_TICK_MS, HUB_TICK_MS);
	*out = h;
	return 0;
fail:
	hub_free(h);
	return rc;
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	h->closing = true;
	if (h->pending || h->settling) {
		http_respond_error(h->pc, 503, "unavailable",
				   "imstb up is stopping");
		h->pc = obj_unref(h->pc);
		h->pending = h->settling = false;
	}
	free(h->why);
	for (struct hub_client *c = h->clients; c; c = c->next)
		if (!c->dead) {
			c->dead = true;
			stream_close(c->s);
		}
	if (h->srv)
		http_server_free(h->srv);
	uv_close((uv_handle_t *)&h->tick, NULL);
	uv_close((uv_handle_t *)&h->wake, NULL);
	uv_run(&h->loop, UV_RUN_DEFAULT); /* close callbacks, a read */
	hub__feed_close(h);
	if (uv_loop_close(&h->loop))
		log_warn("hub: handles left open at exit");
	buf_close(&h->page);
	for (size_t i = 0; i < h->nfigs; i++) {
		free(h->figs[i].path);
		free(h->figs[i].variant);
		scn_free(h->figs[i].scn);
	}
	free(h->figs);
	for (size_t i = 0; i < h->nnodes; i++)
		free(h->nodes[i]);
	free(h->nodes);
	for (size_t i = 0; i < h->nlinks; i++) {
		free((char *)h->links[i].name);
		free((char *)h->links[i].url);
	}
	free(h->links);
	free(h->names);
	free(h->trace);
	free(h->scn_dir);
	free(h);
}
