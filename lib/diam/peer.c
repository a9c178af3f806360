/*
 * peer.c - one Diameter connection on libuv: the peer state machine of
 * RFC 6733 §5.6 reduced to one connection (no election: a client connects,
 * a server accepts), watchdog after RFC 3539 §3.4, request matching by
 * hop-by-hop id (§6.2).
 */
#include "diam/peer_int.h"
#include "diam/diam_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void peer_kill(struct diam_peer *p);
static void conn_drop(struct diam_peer *p);
static void client_connect(struct diam_peer *p);
static void on_timer(uv_timer_t *t);
static void on_rtimer(uv_timer_t *t);

static uint64_t conf_ms(uint64_t v, uint64_t dflt)
{
	return v ? v : dflt;
}

#define TW(p)	conf_ms((p)->conf.watchdog_ms, 30000)
#define TREQ(p) conf_ms((p)->conf.request_timeout_ms, 5000)
#define TMIN(p) conf_ms((p)->conf.reconnect_min_ms, 100)
#define TMAX(p) conf_ms((p)->conf.reconnect_max_ms, 10000)

/* ---- lifetime ------------------------------------------------------------ */

static void peer_dtor(void *obj)
{
	struct diam_peer *p = obj;

	buf_close(&p->rx);
}

static void on_handle_close(uv_handle_t *h)
{
	struct diam_peer *p = h->data;

	if (--p->handles > 0)
		return;
	/* The reference the handles held (taken in peer_new). */
	obj_unref(p);
}

static void on_tcp_close(uv_handle_t *h)
{
	struct diam_peer *p = h->data;

	if (p->state == PS_IDLE && !p->freed) {
		/* Client: reconnect with exponential backoff. */
		p->backoff = p->backoff ? p->backoff * 2 : TMIN(p);
		if (p->backoff > TMAX(p))
			p->backoff = TMAX(p);
		uv_timer_start(&p->timer, on_timer, p->backoff, 0);
	}
	on_handle_close(h);
}

static struct diam_peer *peer_new(uv_loop_t *loop, const struct diam_conf *conf,
				  const struct diam_handlers *h)
{
	struct diam_peer *p = obj_new(sizeof(*p), peer_dtor);
	struct rng r;

	p->loop = loop;
	p->conf = *conf;
	if (h)
		p->h = *h;
	buf_init(&p->rx);
	uv_timer_init(loop, &p->timer);
	uv_timer_init(loop, &p->rtimer);
	p->timer.data = p;
	p->rtimer.data = p;
	p->handles = 2;
	obj_ref(p); /* held by the open handles */
	/* RFC 6733 §3: hop-by-hop ids start anywhere; end-to-end ids put
	 * the low 12 bits of the time in the high bits. */
	rng_init(&r, 0);
	p->next_hbh = (uint32_t)rng_u64(&r);
	p->next_e2e = (uint32_t)((uint64_t)time(NULL) << 20) |
		      ((uint32_t)rng_u64(&r) & 0xfffff);
	p->sess_hi = (uint64_t)time(NULL);
	return p;
}

/* ---- tracing and writing ------------------------------------------------- */

static void trace(struct diam_peer *p, enum diam_dir dir, const void *raw,
		  size_t len)
{
	if (p->h.trace)
		p->h.trace(p->h.arg, dir, (const struct sockaddr *)&p->local,
			   (const struct sockaddr *)&p->remote, raw, len);
}

struct wreq {
	uv_write_t req;
	char data[];
};

static void on_write(uv_write_t *req, int status)
{
	struct diam_peer *p = req->handle->data;

	free(req);
	if (status < 0 && status != UV_ECANCELED && p->tcp_active) {
		log_warn("diam: write to peer failed: %s", uv_strerror(status));
		conn_drop(p);
	}
}

int diam__conn_write(struct diam_peer *p, const void *msg, size_t len)
{
	struct wreq *w;
	uv_buf_t b;
	int err;

	if (!p->tcp_active)
		return -ENOTCONN;
	trace(p, DIAM_SEND, msg, len);
	w = xmalloc(sizeof(*w) + len);
	memcpy(w->data, msg, len);
	b = uv_buf_init(w->data, (unsigned)len);
	err = uv_write(&w->req, (uv_stream_t *)&p->tcp, &b, 1, on_write);
	if (err)
		free(w);
	return err;
}

static int write_buf(struct diam_peer *p, struct buf *b, int built)
{
	int err = built ? built : diam__write(p, b->data, b->len);

	buf_close(b);
	return err;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct diam_peer *p = req->data;

	UNUSED(status);
	if (p->tcp_active)
		conn_drop(p);
}

/* Close once what is queued has been written (after an error answer or
 * a DPA). */
static void conn_flush_close(struct diam_peer *p)
{
	if (!p->tcp_active)
		return;
	uv_read_stop((uv_stream_t *)&p->tcp);
	p->sreq.data = p;
	if (uv_shutdown(&p->sreq, (uv_stream_t *)&p->tcp, on_shutdown))
		conn_drop(p);
}

/* ---- pending requests ---------------------------------------------------- */

static void rtimer_arm(struct diam_peer *p)
{
	uint64_t now = uv_now(p->loop);

	if (p->timers_closed)
		return;
	if (!p->ph) {
		uv_timer_stop(&p->rtimer);
		return;
	}
	uv_timer_start(&p->rtimer, on_rtimer,
		       p->ph->deadline > now ? p->ph->deadline - now : 0, 0);
}

static struct diam__pending *pending_take(struct diam_peer *p, uint32_t hbh)
{
	struct diam__pending **pp, *q;

	for (pp = &p->ph; (q = *pp); pp = &q->next) {
		if (q->hbh != hbh)
			continue;
		*pp = q->next;
		if (p->pt == q) {
			p->pt = NULL;
			for (struct diam__pending *t = p->ph; t; t = t->next)
				p->pt = t;
		}
		return q;
	}
	return NULL;
}

static void pending_finish(struct diam_peer *p, struct diam__pending *q,
			   int status, const struct diam_msg *m,
			   const struct diam_cx *cx)
{
	q->cb(p, status, m, cx, q->arg);
	free(q->raw);
	free(q);
}

/* Fails the requests that are on the wire (all: also the queued ones). */
static void pending_fail(struct diam_peer *p, bool all)
{
	struct diam__pending *keep = NULL, **kt = &keep, *q;

	obj_ref(p);
	while ((q = p->ph)) {
		p->ph = q->next;
		if (!p->ph)
			p->pt = NULL;
		if (!all && q->raw) {
			q->next = NULL;
			*kt = q;
			kt = &q->next;
			continue;
		}
		pending_finish(p, q, -ECONNRESET, NULL, NULL);
	}
	/* Requests queued meanwhile by callbacks go after the kept ones. */
	*kt = p->ph;
	p->ph = keep;
	p->pt = NULL;
	for (q = p->ph; q; q = q->next)
		p->pt = q;
	rtimer_arm(p);
	obj_unref(p);
}

static void on_rtimer(uv_timer_t *t)
{
	struct diam_peer *p = t->data;
	uint64_t now = uv_now(p->loop);
	struct diam__pending *q;

	obj_ref(p);
	while ((q = p->ph) && q->deadline <= now) {
		p->ph = q->next;
		if (!p->ph)
			p->pt = NULL;
		pending_finish(p, q, -ETIMEDOUT, NULL, NULL);
	}
	rtimer_arm(p);
	obj_unref(p);
}

/* Writes the requests that waited for the connection to open. */
static void pending_flush(struct diam_peer *p)
{
	for (struct diam__pending *q = p->ph; q && p->tcp_active; q = q->next) {
		if (!q->raw)
			continue;
		diam__write(p, q->raw, q->len);
		free(q->raw);
		q->raw = NULL;
	}
}

/* ---- state changes ------------------------------------------------------- */

static void set_open(struct diam_peer *p, struct sv host)
{
	sv_copy(host, p->host, sizeof(p->host));
	p->state = PS_OPEN;
	p->backoff = 0;
	p->activity = false;
	p->dwr_out = false;
	uv_timer_start(&p->timer, on_timer, TW(p), TW(p));
	log_info("diam: peer %s open", p->host);
	pending_flush(p);
	if (p->h.state && !p->freed)
		p->h.state(p, true, p->h.arg);
}

/* The connection is gone (or must go now). A client reconnects unless
 * freed; a server-side peer is finished. */
static void conn_drop(struct diam_peer *p)
{
	bool was_open = p->state == PS_OPEN;

	obj_ref(p);
	if (p->tcp_active) {
		p->tcp_active = false;
		uv_close((uv_handle_t *)&p->tcp, on_tcp_close);
	}
	if (!p->timers_closed)
		uv_timer_stop(&p->timer);
	p->host[0] = '\0';
	if (p->client && !p->freed && p->state != PS_DEAD) {
		p->state = PS_IDLE;
		pending_fail(p, false);
		if (was_open && p->h.state)
			p->h.state(p, false, p->h.arg);
	} else if (p->state != PS_DEAD) {
		if (was_open && p->h.state && !p->freed)
			p->h.state(p, false, p->h.arg);
		if (p->srv)
			diam__server_unlink(p->srv, p);
		peer_kill(p);
	}
	obj_unref(p);
}

static void peer_kill(struct diam_peer *p)
{
	p->state = PS_DEAD;
	p->freed = true;
	if (p->tcp_active) {
		p->tcp_active = false;
		uv_close((uv_handle_t *)&p->tcp, on_tcp_close);
	}
	if (!p->timers_closed) {
		p->timers_closed = true;
		uv_close((uv_handle_t *)&p->timer, on_handle_close);
		uv_close((uv_handle_t *)&p->rtimer, on_handle_close);
	}
	pending_fail(p, true);
}

/* ---- outgoing control messages ------------------------------------------- */

static uint32_t next_hbh(struct diam_peer *p)
{
	return p->next_hbh++;
}

static uint32_t next_e2e(struct diam_peer *p)
{
	return p->next_e2e++;
}

static void send_error(struct diam_peer *p, const void *raw, size_t len,
		       const struct diam_err *e)
{
	struct buf b;

	log_info("diam: answering %s: %s (%s)",
		 diam_result_name((uint32_t)e->pe.status),
		 e->pe.why ? e->pe.why : "-",
		 diam_avp_name(e->code, e->vendor));
	buf_init(&b);
	write_buf(p, &b, diam_error_build(&b, raw, len, &p->conf.local, e));
}

static void send_error_code(struct diam_peer *p, const struct diam_msg *m,
			    uint32_t result, const char *why)
{
	struct diam_err e;

	memset(&e, 0, sizeof(e));
	e.pe.status = (int)result;
	e.pe.why = why;
	send_error(p, m->raw, m->len, &e);
}

static void on_timer(uv_timer_t *t)
{
	struct diam_peer *p = t->data;
	struct buf b;

	switch (p->state) {
	case PS_IDLE:
		client_connect(p);
		break;
	case PS_OPEN:
		/* RFC 3539 §3.4.1: DWR after Tw of silence; a DWR left
		 * unanswered for another Tw means the peer is gone. */
		if (p->activity) {
			p->activity = false;
		} else if (p->dwr_out) {
			log_warn("diam: peer %s: watchdog expired", p->host);
			conn_drop(p);
		} else {
			buf_init(&b);
			p->dwr_out = true;
			write_buf(p, &b,
				  diam_dwr_build(&b, &p->conf.local,
						 next_hbh(p), next_e2e(p)));
		}
		break;
	default:
		/* CER, CEA or DPA did not come in time. */
		log_warn("diam: peer timed out in state %d", p->state);
		conn_drop(p);
		break;
	}
}

/* ---- incoming ------------------------------------------------------------ */

static void handle_cer(struct diam_peer *p, const struct diam_msg *m)
{
	struct diam_ce ce;
	struct diam_err e;
	struct buf b;

	memset(&e, 0, sizeof(e));
	if (diam_ce_parse(m, &ce, &e)) {
		send_error(p, m->raw, m->len, &e);
		conn_flush_close(p);
		return;
	}
	buf_init(&b);
	if (!ce.cx) {
		/* RFC 6733 §5.3: no application in common. */
		write_buf(p, &b,
			  diam_cea_build(&b, m, &p->conf.local,
					 DIAM_NO_COMMON_APPLICATION));
		conn_flush_close(p);
		return;
	}
	write_buf(p, &b, diam_cea_build(&b, m, &p->conf.local, DIAM_SUCCESS));
	set_open(p, ce.origin_host);
}

static void handle_app_request(struct diam_peer *p, const struct diam_msg *m)
{
	struct diam_cx cx;
	struct diam_err e;

	if (p->state != PS_OPEN || p->freed) {
		send_error_code(p, m, DIAM_TOO_BUSY, "peer is closing");
		return;
	}
	memset(&e, 0, sizeof(e));
	if (diam_cx_parse(m, &cx, &e)) {
		send_error(p, m->raw, m->len, &e);
		return;
	}
	if (!p->h.request) {
		send_error_code(p, m, DIAM_COMMAND_UNSUPPORTED, "no handler");
		return;
	}
	p->h.request(p, m, &cx, p->h.arg);
}

static void handle_request(struct diam_peer *p, const struct diam_msg *m)
{
	struct buf b;

	if (p->state == PS_WAIT_CER) {
		if (m->cmd == DIAM_CMD_CE) {
			handle_cer(p, m);
			return;
		}
		/* RFC 6733 §5.3: nothing before the CER/CEA exchange. */
		send_error_code(p, m, DIAM_UNKNOWN_PEER, "CER expected first");
		conn_flush_close(p);
		return;
	}
	if (p->state == PS_WAIT_CEA) {
		send_error_code(p, m, DIAM_UNKNOWN_PEER, "CEA expected first");
		return;
	}
	buf_init(&b);
	switch (m->cmd) {
	case DIAM_CMD_CE:
		/* A second CER on an open connection. */
		write_buf(p, &b,
			  diam_cea_build(&b, m, &p->conf.local,
					 DIAM_UNABLE_TO_COMPLY));
		break;
	case DIAM_CMD_DW:
		write_buf(p, &b,
			  diam_dwa_build(&b, m, &p->conf.local, DIAM_SUCCESS));
		break;
	case DIAM_CMD_DP:
		/* RFC 6733 §5.4: answer, then the transport goes. */
		write_buf(p, &b,
			  diam_dpa_build(&b, m, &p->conf.local, DIAM_SUCCESS));
		log_info("diam: peer %s disconnects", p->host);
		conn_flush_close(p);
		break;
	default:
		buf_close(&b);
		handle_app_request(p, m);
		break;
	}
}

static void handle_answer(struct diam_peer *p, const struct diam_msg *m,
			  int perr)
{
	struct diam__pending *q;
	struct diam_ce ce;
	struct diam_cx cx;

	memset(&ce, 0, sizeof(ce));
	switch (m->cmd) {
	case DIAM_CMD_CE:
		if (p->state != PS_WAIT_CEA)
			return;
		if (perr || diam_ce_parse(m, &ce, NULL) ||
		    ce.result != DIAM_SUCCESS || !ce.cx) {
			log_warn("diam: CER refused (%u)", ce.result);
			conn_drop(p);
			return;
		}
		set_open(p, ce.origin_host);
		return;
	case DIAM_CMD_DW:
		p->dwr_out = false;
		return;
	case DIAM_CMD_DP:
		if (p->state == PS_CLOSING)
			conn_drop(p);
		return;
	default:
		break;
	}
	q = pending_take(p, m->hbh);
	if (!q) {
		/* RFC 6733 §6.2.1: an answer we did not ask for. */
		log_warn("diam: unmatched answer hbh=%08x dropped", m->hbh);
		return;
	}
	rtimer_arm(p);
	if (perr || diam_cx_parse(m, &cx, NULL))
		pending_finish(p, q, -EBADMSG, m, NULL);
	else
		pending_finish(p, q, 0, m, &cx);
}

static void handle_msg(struct diam_peer *p, const uint8_t *raw, size_t len)
{
	struct diam_msg m;
	struct diam_err e;
	int err;

	memset(&e, 0, sizeof(e));
	trace(p, DIAM_RECV, raw, len);
	p->activity = true;
	err = diam_msg_parse(&m, raw, len, &e);
	if (m.flags & DIAM_FLAG_R) {
		if (err)
			send_error(p, raw, len, &e);
		else
			handle_request(p, &m);
	} else {
		if (err)
			log_warn("diam: malformed answer: %s", e.pe.why);
		handle_answer(p, &m, err);
	}
}

static void process_rx(struct diam_peer *p)
{
	struct diam_err e;
	size_t len;
	int err;

	obj_ref(p);
	while (p->tcp_active && p->state != PS_DEAD) {
		memset(&e, 0, sizeof(e));
		err = diam_msg_frame(p->rx.data, p->rx.len, &len, &e);
		if (err == -EAGAIN)
			break;
		if (err) {
			/* Framing is lost: answer if the header allows it,
			 * then close (RFC 6733 §7.1.5 5011/5015). */
			trace(p, DIAM_RECV, p->rx.data, p->rx.len);
			log_warn("diam: framing lost: %s", e.pe.why);
			if (p->rx.len >= DIAM_HDR_LEN &&
			    (p->rx.data[4] & DIAM_FLAG_R))
				send_error(p, p->rx.data, DIAM_HDR_LEN, &e);
			buf_reset(&p->rx);
			conn_flush_close(p);
			break;
		}
		handle_msg(p, (const uint8_t *)p->rx.data, len);
		buf_consume(&p->rx, len);
	}
	obj_unref(p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct diam_peer *p = h->data;

	UNUSED(suggested);
	*b = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct diam_peer *p = s->data;

	if (n < 0) {
		if (n != UV_EOF)
			log_warn("diam: read: %s", uv_strerror((int)n));
		if (p->tcp_active)
			conn_drop(p);
		return;
	}
	buf_append(&p->rx, b->base, (size_t)n);
	process_rx(p);
}

static void conn_started(struct diam_peer *p)
{
	int len = sizeof(p->local);

	uv_tcp_getsockname(&p->tcp, (struct sockaddr *)&p->local, &len);
	len = sizeof(p->remote);
	uv_tcp_getpeername(&p->tcp, (struct sockaddr *)&p->remote, &len);
	buf_reset(&p->rx);
	uv_tcp_nodelay(&p->tcp, 1);
	uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
	/* CEA/CER must come within the request timeout. */
	uv_timer_start(&p->timer, on_timer, TREQ(p), 0);
}

/* ---- connecting ---------------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status)
{
	struct diam_peer *p = req->data;
	struct buf b;

	if (!p->tcp_active)
		return; /* closed meanwhile */
	if (status < 0) {
		log_debug("diam: connect: %s", uv_strerror(status));
		conn_drop(p);
		return;
	}
	conn_started(p);
	p->state = PS_WAIT_CEA;
	buf_init(&b);
	write_buf(p, &b,
		  diam_cer_build(&b, &p->conf.local, next_hbh(p), next_e2e(p)));
}

static void client_connect(struct diam_peer *p)
{
	int err;

	uv_tcp_init(p->loop, &p->tcp);
	p->tcp.data = p;
	p->handles++;
	p->tcp_active = true;
	p->state = PS_CONNECTING;
	p->creq.data = p;
	err = uv_tcp_connect(&p->creq, &p->tcp,
			     (const struct sockaddr *)&p->remote, on_connect);
	if (err) {
		log_warn("diam: connect: %s", uv_strerror(err));
		conn_drop(p);
	}
}

struct diam_peer *diam__peer_accept(struct diam_server *s, uv_loop_t *loop,
				    const struct diam_conf *conf,
				    const struct diam_handlers *h,
				    uv_stream_t *listener)
{
	struct diam_peer *p = peer_new(loop, conf, h);

	uv_tcp_init(loop, &p->tcp);
	p->tcp.data = p;
	p->handles++;
	p->tcp_active = true;
	if (uv_accept(listener, (uv_stream_t *)&p->tcp)) {
		peer_kill(p);
		return obj_unref(p);
	}
	p->srv = s;
	p->state = PS_WAIT_CER;
	conn_started(p);
	return p;
}

/* ---- public -------------------------------------------------------------- */

int diam_peer_connect(struct diam_peer **out, uv_loop_t *loop,
		      const struct diam_conf *conf,
		      const struct diam_handlers *h,
		      const struct sockaddr *remote)
{
	struct diam_peer *p;
	size_t sl;

	if (!out || !loop || !conf || !remote || !conf->local.host ||
	    !conf->local.realm)
		return -EINVAL;
	if (remote->sa_family == AF_INET)
		sl = sizeof(struct sockaddr_in);
	else if (remote->sa_family == AF_INET6)
		sl = sizeof(struct sockaddr_in6);
	else
		return -EINVAL;
	p = peer_new(loop, conf, h);
	p->client = true;
	memcpy(&p->remote, remote, sl);
	client_connect(p);
	*out = p;
	return 0;
}

void diam_peer_free(struct diam_peer *p)
{
	struct buf b;

	if (!p)
		return;
	if (!p->freed) {
		p->freed = true;
		/* Callbacks must not outlive the owner's interest. */
		pending_fail(p, true);
		if (p->state == PS_OPEN && p->tcp_active) {
			/* RFC 6733 §5.4: DPR, then wait for the DPA. */
			p->state = PS_CLOSING;
			buf_init(&b);
			write_buf(p, &b,
				  diam_dpr_build(&b, &p->conf.local,
						 next_hbh(p), next_e2e(p), 0));
			uv_timer_start(&p->timer, on_timer, TREQ(p), 0);
		} else if (p->state != PS_DEAD) {
			peer_kill(p);
		}
	}
	obj_unref(p);
}

bool diam_peer_is_open(const struct diam_peer *p)
{
	return p->state == PS_OPEN && !p->freed;
}

struct sv diam_peer_host(const struct diam_peer *p)
{
	return sv_from_cstr(p->host);
}

const struct diam_local *diam_peer_local(const struct diam_peer *p)
{
	return &p->conf.local;
}

int diam_peer_send_request(struct diam_peer *p, const void *msg, size_t len,
			   diam_answer_cb *cb, void *arg, uint32_t *hbh)
{
	const uint8_t *m = msg;
	struct diam__pending *q;
	int err = 0;

	if (!cb || len < DIAM_HDR_LEN || !(m[4] & DIAM_FLAG_R))
		return -EINVAL;
	if (p->freed || p->state == PS_DEAD || p->state == PS_CLOSING ||
	    (!p->client && p->state != PS_OPEN))
		return -ENOTCONN;
	q = xcalloc(1, sizeof(*q));
	q->hbh = next_hbh(p);
	q->cb = cb;
	q->arg = arg;
	q->len = len;
	q->raw = xmemdup(msg, len);
	diam__put_be32((uint8_t *)q->raw + 12, q->hbh);
	diam__put_be32((uint8_t *)q->raw + 16, next_e2e(p));
	q->deadline = uv_now(p->loop) + TREQ(p);
	if (p->state == PS_OPEN) {
		err = diam__write(p, q->raw, len);
		if (err) {
			free(q->raw);
			free(q);
			goto out;
		}
		free(q->raw);
		q->raw = NULL;
	}
	if (p->pt)
		p->pt->next = q;
	else
		p->ph = q;
	p->pt = q;
	if (p->ph == q)
		rtimer_arm(p);
	if (hbh)
		*hbh = q->hbh;
out:
	return err;
}

int diam_peer_send_answer(struct diam_peer *p, const void *msg, size_t len)
{
	if (p->state != PS_OPEN && p->state != PS_CLOSING)
		return -ENOTCONN;
	return diam__write(p, msg, len);
}
