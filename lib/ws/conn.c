/*
 * conn.c - a WebSocket connection: a wslay event context pumped by the
 * callbacks of a struct stream (the h2o lib/websocket.c pattern). Bytes
 * read go to a buffer that wslay's recv callback drains; what wslay sends
 * is gathered during one wslay_event_send and written in one piece; when
 * wslay wants neither to read nor to write, the stream is closed.
 *
 * Every deadline (client handshake, ping, pong, idle, close handshake) and
 * the deferred feed of leftover bytes share one timer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "ws/ws_int.h"

#define MAX_PROTOCOLS 8

enum conn_state { ST_HANDSHAKE, ST_OPEN, ST_CLOSED };

struct ws_conn {
	uv_loop_t *loop;	     /* borrowed */
	struct stream *s;	     /* owned reference */
	wslay_event_context_ptr ctx; /* owned; NULL before the 101 */
	struct ws_conf conf;
	struct ws_cbs cbs;
	enum conn_state state;
	bool client;
	bool opened;	 /* open reached (server: at once) */
	bool closing;	 /* we queued a close frame */
	bool close_wait; /* it waits behind queued messages (close_code) */
	uint16_t close_code;
	bool peer_fault; /* the peer broke RFC 6455; we queued the close */
	bool ending;	 /* stream_close called */
	bool aborted;	 /* stream_abort called */
	bool close_traced;
	bool kick;   /* feed rbuf from the timer (leftover bytes) */
	int pumping; /* inside wslay_event_recv: no send from callbacks */
	int local_err;

	struct ws__scan scan;
	struct buf rbuf;    /* received, not yet consumed by wslay */
	size_t roff;	    /* consumed by wslay during this pump */
	size_t rscan;	    /* bytes of rbuf the scanner passed */
	uint16_t scan_code; /* the scanner stopped at a bad header */
	struct buf wbuf;    /* frames produced by one wslay_event_send */

	uv_timer_t timer;
	uint64_t hs_by, ping_at, pong_by, idle_by, close_by; /* 0 = unset */

	struct rng rng; /* masking keys (client) */
	char key[WS_KEY_LEN + 1];
	char *protocols[MAX_PROTOCOLS + 1]; /* offered (client), owned */
	struct buf hsreq;		    /* the upgrade request (client) */
	char protocol[32];		    /* negotiated */
	char reason_recv[124], reason_sent[124];
	size_t reason_recv_len, reason_sent_len;
};

static void conn_dtor(void *obj)
{
	struct ws_conn *c = obj;

	if (c->ctx)
		wslay_event_context_free(c->ctx);
	buf_close(&c->rbuf);
	buf_close(&c->wbuf);
	buf_close(&c->hsreq);
	for (size_t i = 0; c->protocols[i]; i++)
		free(c->protocols[i]);
	obj_unref(c->s);
}

static void trace(struct ws_conn *c, bool sent, enum ws_opcode op,
		  const void *p, size_t n)
{
	if (c->cbs.trace)
		c->cbs.trace(c, sent, op, p, n, c->cbs.arg);
}

static uint64_t now(struct ws_conn *c)
{
	return uv_now(c->loop);
}

static void conf_defaults(struct ws_conf *d, const struct ws_conf *conf)
{
	if (conf)
		*d = *conf;
	if (!d->max_msg)
		d->max_msg = 1024 * 1024;
	if (!d->pong_timeout_ms)
		d->pong_timeout_ms = 10000;
	if (!d->close_timeout_ms)
		d->close_timeout_ms = 5000;
	if (!d->handshake_ms)
		d->handshake_ms = 10000;
}

/* ---- ending -------------------------------------------------------------- */

/* Closes the stream (orderly, or abort); its close callback ends us. An
 * orderly close that does not finish within close_timeout_ms is aborted
 * (a peer that never reads). */
static void conn_stream_end(struct ws_conn *c, bool abort)
{
	if (c->state == ST_CLOSED)
		return;
	if (abort && !c->aborted) {
		c->aborted = c->ending = true;
		stream_abort(c->s);
	} else if (!c->ending) {
		c->ending = true;
		c->close_by = now(c) + c->conf.close_timeout_ms;
		stream_close(c->s);
	}
}

static void fail(struct ws_conn *c, int err)
{
	if (!c->local_err)
		c->local_err = err;
	conn_stream_end(c, true);
}

static void timer_closed(uv_handle_t *h)
{
	obj_unref(h->data); /* the stack's reference */
}

static void on_stream_close(struct stream *s, int err, void *arg)
{
	struct ws_conn *c = arg;
	uint16_t code = WS_CLOSE_ABNORMAL;
	struct sv reason = SV_NULL;
	int e;

	UNUSED(s);
	if (c->state == ST_CLOSED)
		return;
	c->state = ST_CLOSED;
	uv_timer_stop(&c->timer);
	if (c->local_err) {
		e = c->local_err;
		if (c->ctx && wslay_event_get_close_sent(c->ctx))
			code = wslay_event_get_status_code_sent(c->ctx);
	} else if (c->ctx && wslay_event_get_close_received(c->ctx)) {
		e = 0;
		code = wslay_event_get_status_code_received(c->ctx);
		reason = (struct sv){ c->reason_recv, c->reason_recv_len };
	} else if (c->peer_fault) {
		e = -EPROTO;
		code = WS_CLOSE_PROTOCOL;
		if (wslay_event_get_close_sent(c->ctx))
			code = wslay_event_get_status_code_sent(c->ctx);
	} else {
		e = err ? err : -ECONNRESET;
	}
	if (!c->opened && c->cbs.open)
		c->cbs.open(c, e, c->cbs.arg);
	c->cbs.close(c, code, reason, e, c->cbs.arg);
	uv_close((uv_handle_t *)&c->timer, timer_closed);
}

/* Done when wslay wants neither to read nor to write: after the close
 * handshake (RFC 6455 §7.1.1: the server closes TCP first; a client that
 * closes too is harmless) or after it failed the connection. */
static void check_done(struct ws_conn *c)
{
	if (c->state == ST_OPEN && c->ctx && !wslay_event_want_read(c->ctx) &&
	    !wslay_event_want_write(c->ctx))
		conn_stream_end(c, false);
}

/* ---- output -------------------------------------------------------------- */

static void trace_close_sent(struct ws_conn *c)
{
	uint8_t p[2 + sizeof(c->reason_sent)];
	uint16_t code;
	size_t n = 0;

	if (c->close_traced || !wslay_event_get_close_sent(c->ctx))
		return;
	c->close_traced = true;
	code = wslay_event_get_status_code_sent(c->ctx);
	if (code != WS_CLOSE_NO_STATUS) {
		p[0] = (uint8_t)(code >> 8);
		p[1] = (uint8_t)code;
		memcpy(p + 2, c->reason_sent, c->reason_sent_len);
		n = 2 + c->reason_sent_len;
	}
	trace(c, true, WS_OP_CLOSE, p, n);
}

/* Runs wslay's sender and writes what it produced. Not from inside
 * wslay_event_recv (the pump flushes when it returns). */
static int flush(struct ws_conn *c)
{
	int r, err = 0;

	if (c->pumping || !c->ctx || c->state != ST_OPEN || c->aborted)
		goto out;
	r = wslay_event_send(c->ctx);
	/* wslay puts control frames before queued messages: a close asked
	 * for after a send goes out only once they are written. */
	if (!r && c->close_wait && !wslay_event_get_queued_msg_count(c->ctx)) {
		c->close_wait = false;
		wslay_event_queue_close(c->ctx, c->close_code,
					(const uint8_t *)c->reason_sent,
					c->reason_sent_len);
		r = wslay_event_send(c->ctx);
	}
	if (c->wbuf.len) {
		err = stream_write(c->s, c->wbuf.data, c->wbuf.len);
		buf_reset(&c->wbuf);
	}
	if (!err && r)
		err = -EPROTO; /* wslay: out of memory or a bad argument */
	if (err) {
		fail(c, err);
		goto out;
	}
	trace_close_sent(c);
	check_done(c);
out:
	return err;
}

/* ---- deadlines ----------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

static void arm(struct ws_conn *c)
{
	uint64_t at[] = { c->hs_by, c->ping_at, c->pong_by, c->idle_by,
			  c->close_by };
	uint64_t min = 0, t = now(c);

	if (c->state == ST_CLOSED)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(at); i++)
		if (at[i] && (!min || at[i] < min))
			min = at[i];
	if (c->kick)
		min = t;
	if (!min)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, min > t ? min - t : 0, 0);
}

/* Ping and idle run only while the connection is fully open. */
static bool live(const struct ws_conn *c)
{
	return c->state == ST_OPEN && !c->closing && !c->peer_fault &&
	       !c->ending && wslay_event_get_read_enabled(c->ctx);
}

static void queue_close(struct ws_conn *c, uint16_t code, const char *why)
{
	size_t n = strlen(why);

	c->closing = true;
	c->ping_at = c->pong_by = c->idle_by = 0;
	memcpy(c->reason_sent, why, n);
	c->reason_sent_len = n;
	if (wslay_event_get_queued_msg_count(c->ctx)) {
		/* Messages sent from a callback still wait: flush queues the
		 * close after them (else it would overtake them). */
		c->close_wait = true;
		c->close_code = code;
		return;
	}
	wslay_event_queue_close(c->ctx, code, (const uint8_t *)why, n);
}

static void timeout_close(struct ws_conn *c, const char *why)
{
	log_debug("ws: %s", why);
	c->local_err = -ETIMEDOUT;
	queue_close(c, WS_CLOSE_GOING_AWAY, why);
	flush(c);
	conn_stream_end(c, false);
}

static void pump(struct ws_conn *c);

static void on_timer(uv_timer_t *tm)
{
	struct ws_conn *c = tm->data;
	uint64_t t = now(c);

	obj_ref(c);
	if (c->kick) {
		c->kick = false;
		pump(c);
	}
	if (c->state == ST_CLOSED)
		goto out;
	if (c->hs_by && t >= c->hs_by) {
		c->hs_by = 0;
		fail(c, -ETIMEDOUT);
	}
	if (c->close_by && t >= c->close_by) {
		c->close_by = 0;
		if (!c->ending) { /* no answer to our close frame */
			if (!c->local_err)
				c->local_err = -ETIMEDOUT;
			conn_stream_end(c, false);
		} else {
			conn_stream_end(c, true);
		}
	}
	if (c->state != ST_OPEN || !live(c))
		goto out;
	if (c->pong_by && t >= c->pong_by) {
		timeout_close(c, "ping timeout");
	} else if (c->idle_by && t >= c->idle_by) {
		timeout_close(c, "idle timeout");
	} else if (c->ping_at && t >= c->ping_at) {
		/* RFC 6455 §5.5.2 ping as keep-alive; RFC 7118 §6 leaves the
		 * choice to the implementation. */
		static const char payload[] = "imstb";

		c->ping_at = t + c->conf.ping_ms;
		if (!c->pong_by)
			c->pong_by = t + c->conf.pong_timeout_ms;
		ws_conn_send(c, WS_OP_PING, payload, sizeof(payload) - 1);
	}
out:
	arm(c);
	obj_unref(c);
}

/* ---- wslay callbacks ----------------------------------------------------- */

static ssize_t wslay_recv_cb(wslay_event_context_ptr ctx, uint8_t *p,
			     size_t len, int flags, void *user)
{
	struct ws_conn *c = user;
	size_t n = c->rscan - c->roff;

	UNUSED(flags);
	if (c->state != ST_OPEN || !n) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(p, c->rbuf.data + c->roff, n);
	c->roff += n;
	return (ssize_t)n;
}

static ssize_t wslay_send_cb(wslay_event_context_ptr ctx, const uint8_t *p,
			     size_t len, int flags, void *user)
{
	struct ws_conn *c = user;

	UNUSED(ctx);
	UNUSED(flags);
	buf_append(&c->wbuf, p, len);
	return (ssize_t)len;
}

static int wslay_genmask_cb(wslay_event_context_ptr ctx, uint8_t *p, size_t len,
			    void *user)
{
	struct ws_conn *c = user;

	UNUSED(ctx);
	rng_fill(&c->rng, p, len); /* RFC 6455 §5.3 */
	return 0;
}

static void wslay_msg_cb(wslay_event_context_ptr ctx,
			 const struct wslay_event_on_msg_recv_arg *a,
			 void *user)
{
	struct ws_conn *c = user;
	const char *p = (const char *)a->msg;
	size_t n = a->msg_length;

	UNUSED(ctx);
	if (c->state != ST_OPEN)
		return;
	if (c->conf.idle_ms && live(c))
		c->idle_by = now(c) + c->conf.idle_ms;
	trace(c, false, a->opcode, p, n);
	switch (a->opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		c->cbs.msg(c, a->opcode, p, n, c->cbs.arg);
		break;
	case WS_OP_PING: /* §5.5.2: wslay queued the pong */
		if (!c->closing)
			trace(c, true, WS_OP_PONG, p, n);
		break;
	case WS_OP_PONG:
		c->pong_by = 0;
		break;
	case WS_OP_CLOSE: /* §5.5.1: wslay queued the echo */
		if (n > 2) {
			n -= 2;
			if (n > sizeof(c->reason_recv))
				n = sizeof(c->reason_recv);
			memcpy(c->reason_recv, p + 2, n);
			c->reason_recv_len = n;
		}
		if (!c->closing) {
			memcpy(c->reason_sent, c->reason_recv,
			       c->reason_recv_len);
			c->reason_sent_len = c->reason_recv_len;
		}
		break;
	}
}

static const struct wslay_event_callbacks wslay_cbs = {
	.recv_callback = wslay_recv_cb,
	.send_callback = wslay_send_cb,
	.genmask_callback = wslay_genmask_cb,
	.on_msg_recv_callback = wslay_msg_cb,
};

/* ---- input --------------------------------------------------------------- */

/* Feeds what the scanner passed to wslay, answers a fault the scanner
 * found, then sends what wslay queued (pongs, close frames). */
static void pump(struct ws_conn *c)
{
	int r;

	if (c->state != ST_OPEN || !c->ctx ||
	    !wslay_event_get_read_enabled(c->ctx))
		return;
	obj_ref(c); /* a callback may drop every other reference */
	if (!c->scan_code)
		c->rscan += ws__scan(&c->scan,
				     (const uint8_t *)c->rbuf.data + c->rscan,
				     c->rbuf.len - c->rscan, &c->scan_code);
	c->pumping++;
	r = wslay_event_recv(c->ctx);
	c->pumping--;
	buf_consume(&c->rbuf, c->roff);
	c->rscan -= c->roff;
	c->roff = 0;
	if (c->state != ST_OPEN)
		goto out;
	if (!r && c->scan_code && !c->rscan &&
	    wslay_event_get_read_enabled(c->ctx)) {
		/* RFC 6455 §7.1.7 "Fail the WebSocket Connection" */
		log_debug("ws: bad frame, closing with %u", c->scan_code);
		wslay_event_queue_close(c->ctx, c->scan_code, NULL, 0);
		wslay_event_shutdown_read(c->ctx);
	}
	if (!wslay_event_get_read_enabled(c->ctx) &&
	    !wslay_event_get_close_received(c->ctx) && !c->closing)
		c->peer_fault = true;
	if (r)
		c->peer_fault = true; /* wslay failed it (and queued a close) */
	flush(c);
out:
	obj_unref(c);
}

static void start_open(struct ws_conn *c, bool server)
{
	int r;

	r = server ? wslay_event_context_server_init(&c->ctx, &wslay_cbs, c)
		   : wslay_event_context_client_init(&c->ctx, &wslay_cbs, c);
	if (r)
		abort(); /* WSLAY_ERR_NOMEM: STYLE rule 5 */
	wslay_event_config_set_max_recv_msg_length(c->ctx, c->conf.max_msg);
	c->scan.server = server;
	c->scan.max = c->conf.max_msg;
	c->state = ST_OPEN;
	c->opened = true;
	c->hs_by = 0;
	if (c->conf.ping_ms)
		c->ping_at = now(c) + c->conf.ping_ms;
	if (c->conf.idle_ms)
		c->idle_by = now(c) + c->conf.idle_ms;
}

/* Client: reads the 101 (RFC 6455 §4.1), then becomes a WebSocket. */
static void handshake_read(struct ws_conn *c)
{
	struct ws_hs_resp resp;
	struct perr e = { 0 };
	int err;

	err = ws_handshake_response_parse(
		(struct sv){ c->rbuf.data, c->rbuf.len }, c->key,
		(const char *const *)c->protocols, &resp, &e);
	if (err == -EAGAIN)
		return;
	trace(c, false, WS_OP_HTTP, c->rbuf.data,
	      err ? c->rbuf.len : resp.head_len);
	if (err) {
		log_debug("ws: handshake refused (%d): %s", resp.status,
			  e.why ? e.why : "?");
		fail(c, err);
		return;
	}
	sv_copy(resp.protocol, c->protocol, sizeof(c->protocol));
	buf_consume(&c->rbuf, resp.head_len);
	start_open(c, false);
	if (c->cbs.open)
		c->cbs.open(c, 0, c->cbs.arg);
	pump(c); /* frames that came with the 101 */
}

static void on_stream_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct ws_conn *c = arg;

	UNUSED(s);
	if (c->state == ST_CLOSED || c->aborted)
		return;
	if (c->ctx && !wslay_event_get_read_enabled(c->ctx))
		return; /* after a close or a fault: discard */
	obj_ref(c);
	buf_append(&c->rbuf, p, n);
	if (c->state == ST_HANDSHAKE)
		handshake_read(c);
	else
		pump(c);
	arm(c);
	obj_unref(c);
}

static void on_stream_open(struct stream *s, int err, void *arg)
{
	struct ws_conn *c = arg;

	if (err) {
		c->local_err = err; /* the stream's close follows */
		return;
	}
	trace(c, true, WS_OP_HTTP, c->hsreq.data, c->hsreq.len);
	err = stream_write(s, c->hsreq.data, c->hsreq.len);
	if (err)
		fail(c, err);
}

/* ---- public API ---------------------------------------------------------- */

static struct ws_conn *conn_new(uv_loop_t *loop, const struct ws_conf *conf,
				const struct ws_cbs *cbs)
{
	struct ws_conn *c = obj_new(sizeof(*c), conn_dtor);

	c->loop = loop;
	conf_defaults(&c->conf, conf);
	c->cbs = *cbs;
	buf_init(&c->rbuf);
	buf_init(&c->wbuf);
	buf_init(&c->hsreq);
	return c;
}

/* The stack's reference lives until the timer is closed (on_stream_close). */
static void conn_start(struct ws_conn *c)
{
	uv_timer_init(c->loop, &c->timer);
	c->timer.data = c;
	obj_ref(c);
}

int ws_conn_accept(struct ws_conn **out, uv_loop_t *loop, struct stream *s,
		   const struct ws_hs_result *hs, struct sv leftover,
		   const struct ws_conf *conf, const struct ws_cbs *cbs)
{
	struct stream_cbs scbs = { NULL, on_stream_read, on_stream_close,
				   NULL };
	struct ws_conn *c = NULL;
	struct buf resp;
	int err = 0;

	buf_init(&resp);
	if (!out || !loop || !s || !cbs || !cbs->msg || !cbs->close ||
	    (hs && hs->status != 101)) {
		err = -EINVAL;
		goto out;
	}
	c = conn_new(loop, conf, cbs);
	c->s = obj_ref(s);
	if (hs) {
		/* RFC 6455 §4.2.2 item 5: the 101 before any frame */
		ws_handshake_print(hs, &resp);
		err = stream_write(s, resp.data, resp.len);
		if (err)
			goto out;
		trace(c, true, WS_OP_HTTP, resp.data, resp.len);
		if (hs->protocol)
			snprintf(c->protocol, sizeof(c->protocol), "%s",
				 hs->protocol);
	}
	scbs.arg = c;
	stream_set_cbs(s, &scbs);
	conn_start(c);
	start_open(c, true);
	if (leftover.len) {
		buf_putsv(&c->rbuf, leftover);
		c->kick = true;
	}
	stream_resume(s);
	arm(c);
	*out = c;
	c = NULL;
out:
	buf_close(&resp);
	obj_unref(c);
	return err;
}

int ws_conn_connect(struct ws_conn **out, uv_loop_t *loop, const char *ip,
		    uint16_t port, struct tls_ctx *tls,
		    const struct stream_limits *lim,
		    const struct ws_client_req *req, struct rng *rng,
		    const struct ws_conf *conf, const struct ws_cbs *cbs)
{
	struct stream_cbs scbs = { on_stream_open, on_stream_read,
				   on_stream_close, NULL };
	struct ws_conn *c = NULL;
	size_t n = 0;
	int err = 0;

	if (!out || !loop || !ip || !req || !req->host || !rng || !cbs ||
	    !cbs->msg || !cbs->close) {
		err = -EINVAL;
		goto out;
	}
	c = conn_new(loop, conf, cbs);
	c->client = true;
	for (; req->protocols && req->protocols[n]; n++) {
		if (n == MAX_PROTOCOLS) {
			err = -EINVAL;
			goto out;
		}
		c->protocols[n] = xstrdup(req->protocols[n]);
	}
	rng_init(&c->rng, rng_u64(rng) | 1);
	ws_key_make(rng, c->key);
	ws_handshake_request_print(req, c->key, &c->hsreq);
	scbs.arg = c;
	err = stream_connect(&c->s, loop, ip, port, tls, req->sni, lim, &scbs);
	if (err)
		goto out;
	conn_start(c);
	c->state = ST_HANDSHAKE;
	c->hs_by = now(c) + c->conf.handshake_ms;
	arm(c);
	*out = c;
	c = NULL;
out:
	obj_unref(c);
	return err;
}

int ws_conn_send(struct ws_conn *c, enum ws_opcode op, const void *p, size_t n)
{
	struct wslay_event_msg m = { (uint8_t)op, p, n };
	int err = 0;

	if (c->state == ST_CLOSED) {
		err = -ECANCELED;
		goto out;
	}
	if (c->state != ST_OPEN || c->closing || c->ending ||
	    !wslay_event_get_write_enabled(c->ctx)) {
		err = -EPROTO;
		goto out;
	}
	/* §5.5: control frames carry at most 125 bytes; §5.6: text is
	 * UTF-8 (we never put invalid text on the wire). */
	if (!(op == WS_OP_TEXT || op == WS_OP_BINARY || op == WS_OP_PING ||
	      op == WS_OP_PONG) ||
	    (op >= WS_OP_CLOSE && n > 125) ||
	    (op == WS_OP_TEXT && !ws__utf8_valid(p, n))) {
		err = -EINVAL;
		goto out;
	}
	if (wslay_event_queue_msg(c->ctx, &m)) {
		err = -EPROTO;
		goto out;
	}
	trace(c, true, op, p, n);
	err = flush(c);
	arm(c);
out:
	return err;
}

/* RFC 6455 §7.4.1-7.4.2: codes an endpoint may put in a close frame. */
static bool code_sendable(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	return code >= 1000 && code <= 1014 && code != 1004 &&
	       code != WS_CLOSE_NO_STATUS && code != WS_CLOSE_ABNORMAL;
}

int ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;
	int err = 0;

	if (!code)
		code = WS_CLOSE_NORMAL;
	if (c->state == ST_CLOSED) {
		err = -ECANCELED;
		goto out;
	}
	if (!code_sendable(code) || n > 123 || !ws__utf8_valid(reason, n)) {
		err = -EINVAL;
		goto out;
	}
	if (c->state == ST_HANDSHAKE) {
		fail(c, -ECANCELED);
		goto out;
	}
	if (c->closing || c->peer_fault || c->ending ||
	    wslay_event_get_close_received(c->ctx)) {
		err = -EPROTO;
		goto out;
	}
	queue_close(c, code, reason ? reason : "");
	c->close_by = now(c) + c->conf.close_timeout_ms;
	flush(c);
	arm(c);
out:
	return err;
}

void ws_conn_abort(struct ws_conn *c)
{
	if (c->state != ST_CLOSED)
		fail(c, -ECANCELED);
}

void ws_conn_set_cbs(struct ws_conn *c, const struct ws_cbs *cbs)
{
	c->cbs = *cbs;
}

struct stream *ws_conn_stream(const struct ws_conn *c)
{
	return c->s;
}

const char *ws_conn_transport(const struct ws_conn *c)
{
	return stream_is_tls(c->s) ? "wss" : "ws";
}

const char *ws_conn_protocol(const struct ws_conn *c)
{
	return c->protocol;
}

bool ws_conn_is_open(const struct ws_conn *c)
{
	return c->state == ST_OPEN && live(c);
}
