/*
 * server.c - HTTP/1.1 server connections over struct stream.
 *
 * One request at a time per connection: when a request is complete the
 * stream is paused and the handler runs; the next request (pipelined or
 * not) is parsed only after the answer is queued (RFC 9112 §9.3.2: answers
 * go in request order, which this makes trivially true).
 *
 * Reference counting: a connection (obj) holds one reference for itself
 * from accept until its timer handle is closed (after the stream closed, or
 * after an upgrade); a handler answering later holds its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/ipcount.h"
#include "http/http.h"

#define DEF_REQUEST_MS	 10000
#define DEF_KEEPALIVE_MS 30000

struct http_server {
	uv_loop_t *loop; /* borrowed */
	struct stream_listener *l;
	struct http_limits lim;
	http_handler_cb *cb;
	void *arg;
	http_trace_cb *trace;
	void *trace_arg;
	char name[64];
	bool closed;
	struct ipcount ips; /* connections per source IP (max_conns_per_ip) */
};

struct http_conn {
	struct http_server *srv; /* owned reference */
	struct stream *s;	 /* owned reference; NULL after upgrade */
	struct http_parser *p;	 /* owned */
	uv_timer_t timer;
	struct http_req req; /* views into p, valid while busy */
	struct buf stash;    /* bytes read while busy (req's views must not
				move): pushed after the answer */
	bool busy;	     /* handler has req, no answer yet */
	bool closing;	     /* no further request on this connection */
	bool gone;	     /* the stream's close callback ran */
	bool timer_closed;
	bool close_after;
	bool in_process; /* conn_process is on the stack */
	bool timing_req; /* the timer measures a partial request */
	bool ip_counted; /* holds a count in srv->ips for peer */
	struct sockaddr_storage peer;
};

static void conn_process(struct http_conn *c);

/* ---- Date (RFC 9110 §5.6.7 IMF-fixdate), without locale ----------------- */

static void date_put(struct buf *b)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed",
					  "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec" };
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
		   wd[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static struct sv first_line(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	return (struct sv){ p, i };
}

/* ---- lifetime ------------------------------------------------------------ */

static void server_dtor(void *o)
{
	struct http_server *srv = o;

	ipcount_close(&srv->ips);
}

static void conn_dtor(void *o)
{
	struct http_conn *c = o;

	if (c->ip_counted)
		ipcount_release(&c->srv->ips, (struct sockaddr *)&c->peer);
	http_parser_free(c->p);
	buf_close(&c->stash);
	obj_unref(c->s);
	obj_unref(c->srv);
}

static void timer_closed_cb(uv_handle_t *h)
{
	obj_unref(h->data); /* the connection's own reference */
}

static void conn_release(struct http_conn *c)
{
	if (c->timer_closed)
		return;
	c->timer_closed = true;
	uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
}

/* Orderly close after what is queued. */
static void conn_shut(struct http_conn *c)
{
	c->closing = true;
	uv_timer_stop(&c->timer);
	if (c->s && !c->gone)
		stream_close(c->s);
}

/* ---- answers ------------------------------------------------------------- */

static bool status_has_body(int status)
{
	/* RFC 9110 §6.4.1: never for 1xx, 204 and 304. */
	return status >= 200 && status != 204 && status != 304;
}

/* Builds and queues one response; c->req must still be valid. */
static int conn_send(struct http_conn *c, int status, const char *ctype,
		     const void *body, size_t len, const char *extra, bool head,
		     bool close)
{
	struct buf b;
	int err;

	buf_init(&b);
	buf_printf(&b, "HTTP/1.1 %d %s\r\n", status,
		   http_status_reason(status));
	date_put(&b);
	buf_printf(&b, "Server: %s\r\n", c->srv->name);
	if (ctype && status_has_body(status))
		buf_printf(&b, "Content-Type: %s\r\n", ctype);
	/* RFC 9110 §8.6: no Content-Length in 1xx and 204. */
	if (status >= 200 && status != 204)
		buf_printf(&b, "Content-Length: %zu\r\n",
			   status_has_body(status) ? len : 0);
	if (close)
		buf_puts(&b, "Connection: close\r\n");
	else if (c->req.major == 1 && c->req.minor == 0)
		buf_puts(&b, "Connection: keep-alive\r\n");
	if (extra)
		buf_puts(&b, extra);
	buf_puts(&b, "\r\n");
	if (!head && status_has_body(status) && len)
		buf_append(&b, body, len);
	err = stream_write(c->s, b.data, b.len);
	if (!err && c->srv->trace)
		c->srv->trace(c->s, true, first_line(b.data, b.len), b.data,
			      b.len, c->srv->trace_arg);
	buf_close(&b);
	return err;
}

/* A rule broken by the peer: answer and close (RFC 9112 §9.6: the framing
 * can no longer be trusted). */
static void conn_fail(struct http_conn *c, int status, const char *why)
{
	json_t *j = json_pack("{s:s, s:s}", "error", "invalid_request",
			      "error_description", why ? why : "");
	char *txt = json_dumps(j, JSON_COMPACT);
	struct sv held = http_parser_held(c->p);

	if (held.len && c->srv->trace)
		c->srv->trace(c->s, false, first_line(held.p, held.len), held.p,
			      held.len, c->srv->trace_arg);
	memset(&c->req, 0, sizeof(c->req));
	if (conn_send(c, status, "application/json", txt, strlen(txt), NULL,
		      false, true))
		stream_abort(c->s);
	free(txt);
	json_decref(j);
	log_debug("http: %d to peer: %s", status, why ? why : "");
	conn_shut(c);
}

int http_respond(struct http_conn *c, int status, const char *content_type,
		 const void *body, size_t len, const char *extra)
{
	bool close;
	int err = 0;

	if (status < 100 || status > 599) {
		err = -EINVAL;
		goto out;
	}
	if (!c->busy) {
		err = -EPROTO;
		goto out;
	}
	c->busy = false;
	if (c->closing || c->gone || !c->s) {
		err = -ECANCELED;
		goto out;
	}
	/* An upgrade answered by HTTP: the peer may have sent the new
	 * protocol after its request already (RFC 9110 §7.8), so close. */
	close = c->close_after || !c->req.keep_alive || c->req.upgrade ||
		c->srv->closed;
	err = conn_send(c, status, content_type, body, len, extra, c->req.head,
			close);
	http_parser_consume(c->p);
	if (err) {
		stream_abort(c->s);
		c->closing = true;
		goto out;
	}
	if (close) {
		conn_shut(c);
		goto out;
	}
	if (c->stash.len) {
		http_parser_push(c->p, c->stash.data, c->stash.len);
		buf_reset(&c->stash);
	}
	stream_resume(c->s);
	conn_process(c);
out:
	return err;
}

int http_respond_json(struct http_conn *c, int status, json_t *j,
		      const char *extra)
{
	char *txt = json_dumps(j ? j : json_object(), JSON_COMPACT);
	int err;

	if (!txt)
		txt = xstrdup("{}");
	err = http_respond(c, status, "application/json", txt, strlen(txt),
			   extra);
	free(txt);
	json_decref(j);
	return err;
}

int http_respond_error(struct http_conn *c, int status, const char *error,
		       const char *desc)
{
	json_t *j = json_pack("{s:s}", "error", error ? error : "error");

	if (desc)
		json_object_set_new(j, "error_description", json_string(desc));
	/* RFC 6749 §5.1: error answers are not to be cached either. */
	return http_respond_json(c, status, j, "Cache-Control: no-store\r\n");
}

void http_conn_close_after(struct http_conn *c)
{
	c->close_after = true;
}

void http_conn_close(struct http_conn *c)
{
	c->busy = false;
	conn_shut(c);
}

struct stream *http_conn_stream(const struct http_conn *c)
{
	return c->s;
}

/* After an upgrade nothing of HTTP may touch the stream. */
static void noop_read(struct stream *s, const char *p, size_t n, void *arg)
{
	UNUSED(s);
	UNUSED(p);
	UNUSED(n);
	UNUSED(arg);
}

static void noop_close(struct stream *s, int err, void *arg)
{
	UNUSED(s);
	UNUSED(err);
	UNUSED(arg);
}

int http_conn_upgrade(struct http_conn *c, struct stream **s,
		      struct buf *leftover)
{
	static const struct stream_cbs noop = { NULL, noop_read, noop_close,
						NULL };
	struct sv rest;
	int err = 0;

	if (!c->busy) {
		err = -EPROTO;
		goto out;
	}
	c->busy = false;
	if (c->closing || c->gone || !c->s) {
		err = -ECANCELED;
		goto out;
	}
	rest = http_parser_leftover(c->p);
	if (leftover && rest.len)
		buf_append(leftover, rest.p, rest.len);
	if (leftover && c->stash.len)
		buf_append(leftover, c->stash.data, c->stash.len);
	http_parser_consume(c->p);
	stream_set_cbs(c->s, &noop);
	*s = c->s; /* our reference becomes the caller's */
	c->s = NULL;
	c->closing = true;
	uv_timer_stop(&c->timer);
	conn_release(c);
out:
	return err;
}

/* ---- reading ------------------------------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
	struct http_conn *c = t->data;

	if (c->busy || c->closing || c->gone)
		return;
	if (c->timing_req) /* RFC 9110 §15.5.9 */
		conn_fail(c, 408, "request not complete in time");
	else
		conn_shut(c); /* idle keep-alive connection: just close */
}

/* The timer runs while we wait for a request: keepalive_ms while nothing
 * of it has arrived, then request_timeout_ms from its first byte. */
static void conn_arm(struct http_conn *c)
{
	bool partial = http_parser_pending(c->p) > 0;

	if (partial && !c->timing_req) {
		c->timing_req = true;
		uv_timer_start(&c->timer, timer_cb,
			       c->srv->lim.request_timeout_ms, 0);
	} else if (!partial &&
		   (c->timing_req || !uv_is_active((uv_handle_t *)&c->timer))) {
		c->timing_req = false;
		uv_timer_start(&c->timer, timer_cb, c->srv->lim.keepalive_ms,
			       0);
	}
}

static void conn_process(struct http_conn *c)
{
	struct perr e = { 0, NULL, 0 };
	int err;

	if (c->in_process)
		return;
	c->in_process = true;
	obj_ref(c);
	while (!c->busy && !c->closing && !c->gone) {
		err = http_parser_next_req(c->p, &c->req, &e);
		if (err == -EAGAIN) {
			conn_arm(c);
			break;
		}
		if (err) {
			conn_fail(c, e.status ? e.status : 400, e.why);
			break;
		}
		c->busy = true;
		c->timing_req = false;
		uv_timer_stop(&c->timer);
		stream_pause(c->s);
		if (c->srv->trace)
			c->srv->trace(c->s, false, c->req.start_line,
				      c->req.raw.p, c->req.raw.len,
				      c->srv->trace_arg);
		if (c->srv->closed) {
			http_conn_close(c);
			break;
		}
		c->srv->cb(c, &c->req, c->srv->arg);
	}
	c->in_process = false;
	obj_unref(c);
}

static void on_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct http_conn *c = arg;

	UNUSED(s);
	if (c->closing || c->gone ||
	    (!c->ip_counted && c->srv->lim.max_conns_per_ip))
		return;
	/* Paused streams should not read, but a TLS engine may still hold
	 * plaintext: never move the buffer under the handler's views. */
	if (c->busy) {
		buf_append(&c->stash, p, n);
		return;
	}
	http_parser_push(c->p, p, n);
	conn_process(c);
}

/* Over max_conns_per_ip (issue 9): answered once the stream is open
 * (TLS done), then closed; nothing of the request is read. */
static void conn_refuse(struct http_conn *c)
{
	char extra[48];

	snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
		 c->srv->lim.retry_after_s);
	memset(&c->req, 0, sizeof(c->req));
	if (conn_send(c, 503, "text/plain", "too many connections\n", 21,
		      extra, false, true))
		stream_abort(c->s);
	conn_shut(c);
}

static void on_open(struct stream *s, int err, void *arg)
{
	struct http_conn *c = arg;

	UNUSED(s);
	if (!err && !c->closing && !c->gone && !c->ip_counted &&
	    c->srv->lim.max_conns_per_ip)
		conn_refuse(c);
	else if (!err && !c->closing && !c->gone)
		conn_arm(c);
}

static void on_close(struct stream *s, int err, void *arg)
{
	struct http_conn *c = arg;

	UNUSED(s);
	UNUSED(err);
	c->gone = true;
	c->closing = true;
	uv_timer_stop(&c->timer);
	conn_release(c);
}

static void on_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	struct http_server *srv = arg;
	struct http_conn *c;
	struct stream_cbs cbs = { on_open, on_read, on_close, NULL };

	UNUSED(l);
	if (srv->closed)
		return; /* no callbacks set: the listener closes it */
	c = obj_new(sizeof(*c), conn_dtor);
	c->srv = obj_ref(srv);
	c->s = obj_ref(s);
	if (stream_peer(s))
		memcpy(&c->peer, stream_peer(s),
		       stream_peer(s)->sa_family == AF_INET6 ?
			       sizeof(struct sockaddr_in6) :
			       sizeof(struct sockaddr_in));
	c->ip_counted = ipcount_take(&srv->ips, (struct sockaddr *)&c->peer,
				     srv->lim.max_conns_per_ip);
	c->p = http_parser_new(false, &srv->lim);
	buf_init(&c->stash);
	uv_timer_init(srv->loop, &c->timer);
	c->timer.data = c;
	cbs.arg = c;
	stream_set_cbs(s, &cbs);
}

/* ---- server -------------------------------------------------------------- */

int http_server_new(struct http_server **out, uv_loop_t *loop, const char *ip,
		    uint16_t port, struct tls_ctx *tls,
		    const struct http_limits *lim, http_handler_cb *cb,
		    void *arg)
{
	struct http_server *srv;
	struct stream_limits sl = { 0, 0, 0 };
	int err = -EINVAL;

	*out = NULL;
	if (!loop || !ip || !cb)
		goto out;
	srv = obj_new(sizeof(*srv), server_dtor);
	srv->loop = loop;
	if (lim)
		srv->lim = *lim;
	if (!srv->lim.max_header_bytes)
		srv->lim.max_header_bytes = HTTP1_MAX_HEADER_BYTES;
	if (!srv->lim.max_body)
		srv->lim.max_body = HTTP1_MAX_BODY;
	if (!srv->lim.request_timeout_ms)
		srv->lim.request_timeout_ms = DEF_REQUEST_MS;
	if (!srv->lim.keepalive_ms)
		srv->lim.keepalive_ms = DEF_KEEPALIVE_MS;
	if (!srv->lim.retry_after_s)
		srv->lim.retry_after_s = 5;
	ipcount_init(&srv->ips);
	srv->cb = cb;
	srv->arg = arg;
	snprintf(srv->name, sizeof(srv->name), "imstb");
	sl.max_pending = srv->lim.max_pending;
	sl.handshake_ms = srv->lim.handshake_ms;
	err = stream_listen(&srv->l, loop, ip, port, tls, &sl, on_accept, srv);
	if (err) {
		obj_unref(srv);
		goto out;
	}
	*out = srv;
out:
	return err;
}

uint16_t http_server_port(const struct http_server *srv)
{
	return stream_listener_port(srv->l);
}

void http_server_set_name(struct http_server *srv, const char *name)
{
	snprintf(srv->name, sizeof(srv->name), "%s", name);
}

void http_server_set_trace(struct http_server *srv, http_trace_cb *cb,
			   void *arg)
{
	srv->trace = cb;
	srv->trace_arg = arg;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	srv->closed = true;
	srv->trace = NULL;
	stream_listener_close(srv->l);
	srv->l = NULL;
	obj_unref(srv);
}
