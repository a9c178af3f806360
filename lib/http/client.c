/*
 * client.c - one HTTP/1.1 request per connection over struct stream.
 *
 * Connection: close (RFC 9112 §9.6) keeps the client simple: the answer
 * ends at its framing or at the peer's close, and nothing is reused.
 *
 * Reference counting: the client (obj) holds one reference for its timer
 * (dropped when the timer handle is closed, after the callback ran or the
 * request was cancelled) and one for the stream's callbacks (dropped in
 * the stream's close callback).
 */
#include <errno.h>
#include <string.h>

#include "http/http.h"

#define DEF_TIMEOUT_MS 10000

struct http_client {
	uv_loop_t *loop;       /* borrowed */
	struct stream *s;      /* owned reference */
	struct http_parser *p; /* owned */
	uv_timer_t timer;
	struct buf out; /* the request, kept for the trace */
	http_client_cb *cb;
	void *arg;
	http_trace_cb *trace;
	void *trace_arg;
	bool done; /* cb ran or the request was cancelled */
};

static void client_dtor(void *o)
{
	struct http_client *c = o;

	http_parser_free(c->p);
	obj_unref(c->s);
	buf_close(&c->out);
}

static void timer_closed_cb(uv_handle_t *h)
{
	obj_unref(h->data);
}

/* Runs the callback once, then lets the handles go. */
static void finish(struct http_client *c, int err, const struct http_resp *r)
{
	if (c->done)
		return;
	c->done = true;
	uv_timer_stop(&c->timer);
	if (r && c->trace)
		c->trace(c->s, false, r->start_line, r->raw.p, r->raw.len,
			 c->trace_arg);
	c->cb(err, r, c->arg);
	uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
}

static void on_open(struct stream *s, int err, void *arg)
{
	struct http_client *c = arg;
	const char *eol;

	if (c->done)
		return;
	if (err) {
		finish(c, err, NULL);
		return;
	}
	err = stream_write(s, c->out.data, c->out.len);
	if (err) {
		finish(c, err, NULL);
		stream_abort(s);
		return;
	}
	if (c->trace) {
		eol = memchr(c->out.data, '\r', c->out.len);
		c->trace(
			s, true,
			(struct sv){ c->out.data, (size_t)(eol - c->out.data) },
			c->out.data, c->out.len, c->trace_arg);
	}
}

static void on_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct http_client *c = arg;
	struct http_resp r;
	struct perr e = { 0, NULL, 0 };
	int err;

	if (c->done)
		return;
	http_parser_push(c->p, p, n);
	for (;;) {
		err = http_parser_next_resp(c->p, &r, &e);
		if (err == -EAGAIN)
			return;
		if (err) {
			log_debug("http client: bad answer: %s",
				  e.why ? e.why : "?");
			finish(c, e.status == 413 ? -EMSGSIZE : -EBADMSG, NULL);
			stream_abort(s);
			return;
		}
		/* RFC 9110 §15.2: interim answers precede the final one. */
		if (r.status >= 200 || r.status == 101)
			break;
		http_parser_consume(c->p);
	}
	finish(c, 0, &r);
	stream_close(s);
}

static void on_close(struct stream *s, int err, void *arg)
{
	struct http_client *c = arg;
	struct http_resp r;
	struct perr e = { 0, NULL, 0 };
	int perr;

	UNUSED(s);
	if (!c->done) {
		/* RFC 9112 §6.3: a body may run to the close */
		perr = http_parser_eof(c->p, &r, &e);
		if (!perr && (r.status >= 200 || r.status == 101))
			finish(c, 0, &r);
		else
			finish(c, err ? err : -ECONNRESET, NULL);
	}
	obj_unref(c);
}

static void timer_cb(uv_timer_t *t)
{
	struct http_client *c = t->data;

	finish(c, -ETIMEDOUT, NULL);
	stream_abort(c->s);
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

static void build(struct buf *b, const struct http_client_req *r)
{
	bool body = r->body_len || !strcmp(r->method, "POST") ||
		    !strcmp(r->method, "PUT") || !strcmp(r->method, "PATCH");
	bool dflt = r->port == (r->tls ? 443 : 80);

	buf_printf(b, "%s %s HTTP/1.1\r\nHost: ", r->method, r->target);
	/* RFC 9112 §3.2: Host is the authority, with a non-default port. */
	if (r->host)
		buf_puts(b, r->host);
	else if (r->sni)
		buf_puts(b, r->sni);
	else if (strchr(r->ip, ':'))
		buf_printf(b, "[%s]", r->ip);
	else
		buf_puts(b, r->ip);
	if (!r->host && !dflt)
		buf_printf(b, ":%u", r->port);
	buf_puts(b, "\r\nUser-Agent: imstb\r\nAccept: */*\r\n"
		    "Connection: close\r\n");
	if (r->content_type)
		buf_printf(b, "Content-Type: %s\r\n", r->content_type);
	if (body)
		buf_printf(b, "Content-Length: %zu\r\n", r->body_len);
	if (r->headers)
		buf_puts(b, r->headers);
	buf_puts(b, "\r\n");
	if (r->body_len)
		buf_append(b, r->body, r->body_len);
}

int http_client_request(struct http_client **out, uv_loop_t *loop,
			const struct http_client_req *r, http_client_cb *cb,
			void *arg)
{
	struct http_client *c = NULL;
	struct http_limits lim = { 0, 0, 0, 0, 0, 0, 0, 0 };
	struct stream_cbs cbs = { on_open, on_read, on_close, NULL };
	int err = -EINVAL;

	if (out)
		*out = NULL;
	if (!loop || !r || !cb || !r->ip || !r->method || !r->target ||
	    !*r->method || !*r->target || (r->body_len && !r->body))
		goto out;
	/* no header injection through the start line or Host */
	if (has_crlf(r->method) || has_crlf(r->target) || has_crlf(r->host) ||
	    has_crlf(r->sni) || has_crlf(r->content_type) ||
	    strchr(r->method, ' ') || strchr(r->target, ' '))
		goto out;
	c = obj_new(sizeof(*c), client_dtor);
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->trace = r->trace;
	c->trace_arg = r->trace_arg;
	lim.max_body = r->max_body;
	c->p = http_parser_new(true, &lim);
	http_parser_expect_no_body(c->p, !strcmp(r->method, "HEAD"));
	buf_init(&c->out);
	build(&c->out, r);
	cbs.arg = c;
	obj_ref(c); /* for the stream's callbacks */
	err = stream_connect(&c->s, loop, r->ip, r->port, r->tls, r->sni, NULL,
			     &cbs);
	if (err) {
		obj_unref(c); /* never called back */
		obj_unref(c);
		goto out;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	uv_timer_start(&c->timer, timer_cb,
		       r->timeout_ms ? r->timeout_ms : DEF_TIMEOUT_MS, 0);
	if (out)
		*out = c;
out:
	return err;
}

void http_client_cancel(struct http_client *c)
{
	if (!c || c->done)
		return;
	c->done = true;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
	stream_abort(c->s);
}
