/*
 * web.c - client-sim as a browser towards the WWS (TR 23.701 Figure
 * 6.X.2.1.2.2-1 steps 1-3): `web NAME get URL` downloads a page and the
 * scripts it names, `web NAME login URL ID PASSWORD` posts the login of
 * the wws JSON API. Also the URLs, the client TLS context and the HTTP
 * trace hook the WebSocket side shares.
 */
#include "client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

#define WEB_MAX_SCRIPTS 8

enum web_op { WEB_NONE = 0, WEB_GET, WEB_LOGIN };

/* One name's browser state: at most one request in flight. */
struct client_web {
	struct hmap_node node; /* in client.webs, keyed by name */
	struct client *c;      /* borrowed */
	char *name;	       /* owned */
	char *token;	       /* owned: from the last successful login */
	enum web_op op;
	struct http_client *hc; /* in flight, or NULL */
	struct client_url url;	/* of the request in flight */
	char *page_url;		/* owned: the page (get) */
	char *scripts[WEB_MAX_SCRIPTS]; /* owned: still to fetch */
	size_t nscripts, next;
	size_t bytes, script_bytes;
	char *id; /* owned: the login id */
};

/* ---- URLs ---------------------------------------------------------------- */

static const struct {
	const char *scheme;
	bool tls;
	uint16_t port;
} schemes[] = {
	{ "http", false, 80 },
	{ "https", true, 443 },
	{ "ws", false, 80 },
	{ "wss", true, 443 },
};

/* RFC 3986 §3: scheme "://" authority path-abempty [ "?" query ]. */
int client__url_parse(struct client_url *u, const char *url,
		      const char *base, const char **why)
{
	struct sv rest, sch, auth, host, port = SV_NULL;
	unsigned char addr[16];
	uint64_t n;
	size_t i;

	memset(u, 0, sizeof(*u));
	if (url[0] == '/' && base) {
		if (client__url_parse(u, base, NULL, why))
			return -EINVAL;
		if (strlen(url) >= sizeof(u->path))
			goto bad;
		snprintf(u->path, sizeof(u->path), "%s", url);
		return 0;
	}
	*why = "not scheme://host:port/path (http, https, ws, wss)";
	rest = sv_from_cstr(url);
	for (i = 0; i + 2 < rest.len; i++)
		if (!memcmp(rest.p + i, "://", 3))
			break;
	if (i + 2 >= rest.len)
		return -EINVAL;
	sch = (struct sv){ rest.p, i };
	rest = (struct sv){ rest.p + i + 3, rest.len - i - 3 };
	for (i = 0; i < ARRAY_SIZE(schemes); i++)
		if (sv_casecmp_cstr(sch, schemes[i].scheme))
			break;
	if (i == ARRAY_SIZE(schemes))
		return -EINVAL;
	snprintf(u->scheme, sizeof(u->scheme), "%s", schemes[i].scheme);
	u->tls = schemes[i].tls;
	u->port = schemes[i].port;
	for (i = 0; i < rest.len && rest.p[i] != '/' && rest.p[i] != '?'; i++)
		;
	auth = (struct sv){ rest.p, i };
	rest = (struct sv){ rest.p + i, rest.len - i };
	if (auth.len && auth.p[0] == '[') {
		const char *rb = sv_chr(auth, ']');

		if (!rb)
			return -EINVAL;
		host = (struct sv){ auth.p + 1, (size_t)(rb - auth.p - 1) };
		auth = (struct sv){ rb + 1, (size_t)(auth.p + auth.len - rb -
						     1) };
		if (auth.len && auth.p[0] != ':')
			return -EINVAL;
		if (auth.len)
			port = (struct sv){ auth.p + 1, auth.len - 1 };
	} else {
		port = sv_split(auth, ':', &host);
		if (host.len == auth.len)
			port = SV_NULL;
	}
	if (port.p) {
		if (sv_to_u64(port, 65535, &n) || !n)
			return -EINVAL;
		u->port = (uint16_t)n;
	}
	if (sv_casecmp_cstr(host, "localhost"))
		host = SV("127.0.0.1");
	*why = "the host must be a numeric address (no DNS in the testbed)";
	if (sv_copy(host, u->host, sizeof(u->host)) ||
	    (inet_pton(AF_INET, u->host, addr) != 1 &&
	     inet_pton(AF_INET6, u->host, addr) != 1))
		return -EINVAL;
	snprintf(u->authority, sizeof(u->authority), "%s%s%s:%u",
		 strchr(u->host, ':') ? "[" : "", u->host,
		 strchr(u->host, ':') ? "]" : "", u->port);
	if (!rest.len)
		rest = SV("/");
	else if (rest.p[0] == '?')
		goto bad; /* keep it simple: a path first */
	if (sv_copy(rest, u->path, sizeof(u->path)))
		goto bad;
	for (i = 0; u->path[i]; i++)
		if ((unsigned char)u->path[i] <= 0x20 ||
		    (unsigned char)u->path[i] >= 0x7f)
			goto bad;
	return 0;
bad:
	*why = "bad path";
	return -EINVAL;
}

/* ---- TLS and trace ------------------------------------------------------- */

struct tls_ctx *client__tls(struct client *c)
{
	const char *ca = c->conf->ca_file;
	char err[256];

	if (c->tls)
		return c->tls;
	if (tls_ctx_client_new(&c->tls, ca[0] ? ca : NULL, err, sizeof(err))) {
		log_error("TLS client context: %s", err);
		c->tls = NULL;
		return NULL;
	}
	if (c->conf->keylog_file[0] &&
	    tls_ctx_keylog(c->tls, c->conf->keylog_file))
		log_warn("keylog_file %s: cannot open", c->conf->keylog_file);
	return c->tls;
}

void client__http_trace(struct stream *s, bool sent, struct sv start_line,
			const char *raw, size_t len, void *arg)
{
	struct client *c = arg;

	app_trace_http(c->trace, sent, stream_transport(s), stream_local(s),
		       stream_peer(s), start_line, raw, len);
}

/* ---- sessions ------------------------------------------------------------ */

static struct client_web *web_find(struct client *c, const char *name)
{
	struct hmap_node *n = hmap_find(&c->webs, sv_from_cstr(name));

	return n ? hmap_entry(n, struct client_web, node) : NULL;
}

static void web_reset(struct client_web *w)
{
	for (size_t i = 0; i < w->nscripts; i++)
		free(w->scripts[i]);
	w->nscripts = w->next = 0;
	w->bytes = w->script_bytes = 0;
	free(w->page_url);
	free(w->id);
	w->page_url = w->id = NULL;
}

static void web_free(struct client_web *w)
{
	web_reset(w);
	free(w->name);
	free(w->token);
	free(w);
}

const char *client__web_token(struct client *c, const char *name)
{
	struct client_web *w = web_find(c, name);

	return w ? w->token : NULL;
}

static void web_drop(struct client *c, struct client_web *w)
{
	if (w->hc)
		http_client_cancel(w->hc);
	if (w->op != WEB_NONE)
		c->busy--;
	hmap_remove(&c->webs, &w->node);
	web_free(w);
}

bool client__web_forget(struct client *c, const char *name)
{
	struct client_web *w = web_find(c, name);

	if (w)
		web_drop(c, w);
	return w != NULL;
}

void client__web_close(struct client *c)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	while ((n = hmap_iter_next(&c->webs, &it)))
		web_drop(c, hmap_entry(n, struct client_web, node));
	hmap_close(&c->webs);
}

static const char *const op_names[] = { "none", "get", "login" };

/* Ends the op: state first, then the event (its callback may close the
 * client), then the drain check. */
static void web_end(struct client_web *w, json_t *ev)
{
	struct client *c = w->c;

	w->op = WEB_NONE;
	w->hc = NULL;
	c->busy--;
	client__emit(c, ev);
	client__op_done(c);
}

static void web_fail(struct client_web *w, int status, struct sv reason)
{
	log_info("%s: %s failed: %d %.*s", w->name, op_names[w->op], status,
		 SV_ARG(reason));
	web_end(w, json_pack("{s:s,s:s,s:s,s:i,s:o}", "event", "failed", "ua",
			     w->name, "op", op_names[w->op], "status", status,
			     "reason", client__jstr(reason)));
}

static void on_resp(int err, const struct http_resp *r, void *arg);

/* Sends a request for w's op to w->url. A failure ends the op. */
static void web_send(struct client_web *w, const char *method,
		     const char *ctype, const struct buf *body)
{
	struct client *c = w->c;
	struct http_client_req r = {
		.ip = w->url.host,
		.port = w->url.port,
		.tls = NULL,
		.host = w->url.authority,
		.method = method,
		.target = w->url.path,
		.content_type = ctype,
		.body = body ? body->data : NULL,
		.body_len = body ? body->len : 0,
		.timeout_ms = (uint64_t)c->conf->http_timeout_ms,
		.trace = client__http_trace,
		.trace_arg = c,
	};
	int rc = 0;

	if (w->url.tls && !(r.tls = client__tls(c))) {
		rc = -EPROTO;
		goto out;
	}
	rc = http_client_request(&w->hc, c->loop, &r, on_resp, w);
out:
	if (rc) {
		w->hc = NULL;
		web_fail(w, 0, sv_from_cstr(strerror(-rc)));
	}
}

/* ---- get: the page and its scripts ------------------------------------ */

/* The src of each <script ...> in an HTML page (HTML 5 §4.12.1), at most
 * WEB_MAX_SCRIPTS, resolved against the page's URL. */
static void scripts_find(struct client_web *w, struct sv html)
{
	const char *p = html.p, *end = html.p + html.len;

	while (w->nscripts < WEB_MAX_SCRIPTS &&
	       (p = memmem(p, (size_t)(end - p), "<script", 7))) {
		const char *gt = memchr(p, '>', (size_t)(end - p));
		const char *src;
		struct buf b;
		char q;

		if (!gt)
			break;
		src = memmem(p, (size_t)(gt - p), "src=", 4);
		p = gt;
		if (!src || src + 5 >= gt)
			continue;
		src += 4;
		q = *src == '"' || *src == '\'' ? *src++ : ' ';
		buf_init(&b);
		while (src < gt && *src != q && *src != '>')
			buf_append(&b, src++, 1);
		buf_puts(&b, "");
		if (b.len && b.data[0] == '/') {
			struct buf abs;

			buf_init(&abs);
			buf_printf(&abs, "%s://%s%s", w->url.scheme,
				   w->url.authority, b.data);
			w->scripts[w->nscripts++] = buf_steal(&abs, NULL);
		} else if (b.len && !strstr(b.data, "://")) {
			/* relative to the page's directory */
			const char *slash = strrchr(w->url.path, '/');
			struct buf abs;

			buf_init(&abs);
			buf_printf(&abs, "%s://%s%.*s/%s", w->url.scheme,
				   w->url.authority,
				   (int)(slash ? slash - w->url.path : 0),
				   w->url.path, b.data);
			w->scripts[w->nscripts++] = buf_steal(&abs, NULL);
		} else if (b.len) {
			w->scripts[w->nscripts++] = xstrdup(b.data);
		}
		buf_close(&b);
	}
}

static bool is_html(const struct http_resp *r)
{
	const struct http_hdr *h = http_hdr_find(&r->hdrs, "Content-Type");

	return h && sv_case_starts_with(sv_trim(h->value), "text/html");
}

static void get_next(struct client_web *w)
{
	const char *why = "";

	if (w->next == w->nscripts) {
		log_info("%s: page %s: %zu bytes, %zu scripts", w->name,
			 w->page_url, w->bytes, w->nscripts);
		web_end(w, json_pack("{s:s,s:s,s:i,s:s,s:I,s:I,s:I}", "event",
				     "page", "ua", w->name, "status", 200,
				     "url", w->page_url, "bytes",
				     (json_int_t)w->bytes, "scripts",
				     (json_int_t)w->nscripts, "script_bytes",
				     (json_int_t)w->script_bytes));
		return;
	}
	if (client__url_parse(&w->url, w->scripts[w->next++], NULL, &why)) {
		web_fail(w, 0, sv_from_cstr(why));
		return;
	}
	web_send(w, "GET", NULL, NULL);
}

static void get_resp(struct client_web *w, const struct http_resp *r)
{
	struct buf why;

	if (r->status != 200) {
		buf_init(&why);
		if (w->next)
			buf_printf(&why, "script %s: ",
				   w->scripts[w->next - 1]);
		buf_putsv(&why, r->reason);
		web_fail(w, r->status, (struct sv){ why.data, why.len });
		buf_close(&why);
		return;
	}
	if (w->next) {
		w->script_bytes += r->body.len;
	} else {
		w->bytes = r->body.len;
		if (is_html(r))
			scripts_find(w, r->body);
	}
	get_next(w);
}

/* ---- login (wws JSON API) --------------------------------------------- */

static void set_str(json_t *ev, const char *k, const json_t *j, bool any)
{
	json_t *v = json_object_get(j, k);

	if (json_is_string(v) || (any && v))
		json_object_set(ev, k, v);
}

static void login_resp(struct client_web *w, const struct http_resp *r)
{
	char jwhy[160];
	const char *res, *tok;
	json_t *j = NULL, *ev;
	struct buf why;

	buf_init(&why);
	if (http_json_parse(r->body, 0, &j, jwhy, sizeof(jwhy)) ||
	    !json_is_object(j)) {
		buf_printf(&why, "%.*s (body is not a JSON object)",
			   SV_ARG(r->reason));
		goto fail;
	}
	res = json_string_value(json_object_get(j, "result"));
	if (r->status != 200 || !res) {
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *d = json_string_value(
			json_object_get(j, "error_description"));

		buf_printf(&why, "%s%s%s", e ? e : "no result",
			   d ? ": " : "", d ? d : "");
		goto fail;
	}
	ev = json_pack("{s:s,s:s,s:i,s:s}", "event", "login", "ua", w->name,
		       "status", r->status, "result", res);
	if (!json_object_get(j, "id"))
		json_object_set_new(ev, "id", json_string(w->id));
	set_str(ev, "id", j, false);
	set_str(ev, "impu", j, false);
	set_str(ev, "impi", j, false);
	set_str(ev, "token", j, false);
	set_str(ev, "token_type", j, false);
	set_str(ev, "expires_in", j, true);
	set_str(ev, "error_description", j, false);
	tok = json_string_value(json_object_get(j, "token"));
	if (tok) {
		free(w->token);
		w->token = xstrdup(tok);
	}
	log_info("%s: login %s: %s", w->name, w->id, res);
	json_decref(j);
	buf_close(&why);
	web_end(w, ev);
	return;
fail:
	json_decref(j);
	web_fail(w, r->status, (struct sv){ why.data, why.len });
	buf_close(&why);
}

static void on_resp(int err, const struct http_resp *r, void *arg)
{
	struct client_web *w = arg;

	w->hc = NULL;
	if (err) {
		web_fail(w, err == -ETIMEDOUT ? 408 : 0,
			 sv_from_cstr(strerror(-err)));
		return;
	}
	if (w->op == WEB_GET)
		get_resp(w, r);
	else
		login_resp(w, r);
}

/* ---- commands ----------------------------------------------------------- */

static int web_start(struct client *c, const char *name, const char *url,
		     enum web_op op, struct client_web **out)
{
	struct client_url u;
	struct client_web *w;
	const char *why = "";

	if (c->closing || c->draining)
		return -ECANCELED;
	for (const char *p = name; p && *p; p++)
		if (*p <= 0x20 || *p >= 0x7f) /* into JSON events as is */
			return -EINVAL;
	if (!name || !*name ||
	    client__url_parse(&u, url, c->conf->wws_url, &why) ||
	    (strcmp(u.scheme, "http") && strcmp(u.scheme, "https")))
		return -EINVAL;
	w = web_find(c, name);
	if (w && w->op != WEB_NONE)
		return -EBUSY;
	if (!w) {
		w = xcalloc(1, sizeof(*w));
		w->c = c;
		w->name = xstrdup(name);
		hmap_insert(&c->webs, &w->node, sv_from_cstr(w->name));
	}
	web_reset(w);
	w->url = u;
	w->op = op;
	c->busy++;
	*out = w;
	return 0;
}

int client_web_get(struct client *c, const char *name, const char *url)
{
	struct client_web *w;
	struct buf b;
	int rc = web_start(c, name, url, WEB_GET, &w);

	if (rc)
		return rc;
	buf_init(&b);
	buf_printf(&b, "%s://%s%s", w->url.scheme, w->url.authority,
		   w->url.path);
	w->page_url = buf_steal(&b, NULL);
	web_send(w, "GET", NULL, NULL);
	return 0;
}

int client_web_login(struct client *c, const char *name, const char *url,
		     const char *id, const char *password)
{
	struct client_web *w;
	struct buf body;
	json_t *j;
	char *txt;
	int rc;

	if (!id || !password)
		return -EINVAL;
	j = json_pack("{s:s,s:s}", "id", id, "password", password);
	if (!j)
		return -EINVAL; /* not UTF-8 */
	rc = web_start(c, name, url, WEB_LOGIN, &w);
	if (rc) {
		json_decref(j);
		return rc;
	}
	w->id = xstrdup(id);
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	buf_init(&body);
	buf_puts(&body, txt);
	free(txt);
	web_send(w, "POST", "application/json", &body);
	buf_close(&body);
	return 0;
}
