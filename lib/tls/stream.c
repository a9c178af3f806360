/*
 * stream.c - the stream object on libuv: listeners, connects, the write
 * queue, timers and the close sequence. Plain TCP passes bytes through;
 * TLS streams hand them to tls.c.
 *
 * Lifetime: the stack's reference (from obj_new) is dropped when both uv
 * handles (tcp, timer) are closed, right after the close callback. Nothing
 * frees a stream synchronously, so a callback may close its own stream and
 * the code that called it can still look at the state afterwards.
 *
 * One timer per stream, re-aimed at each phase: connect + handshake
 * deadline, then idle (re-armed lazily, as libuv's own idle timers are),
 * then the linger bound of an orderly close. A 0 ms "kick" lets
 * stream_resume deliver what TLS already decrypted without calling back
 * from inside stream_resume.
 */
#include "tls/tls_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void timer_cb(uv_timer_t *t);
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *b);

/* ---- timer --------------------------------------------------------------- */

static void timer_update(struct stream *s)
{
	uint64_t now = uv_now(s->loop), due;

	switch (s->state) {
	case STREAM_CONNECTING:
	case STREAM_HANDSHAKE:
		due = s->t_start + s->lim.handshake_ms;
		break;
	case STREAM_OPEN:
		if (s->first_byte_wait)
			due = s->t_start + s->lim.handshake_ms;
		else if (s->lim.idle_ms)
			due = s->last_io + s->lim.idle_ms;
		else
			due = UINT64_MAX;
		break;
	case STREAM_CLOSING:
		due = s->t_start + STREAM_LINGER_MS;
		break;
	default:
		return;
	}
	if (s->kick)
		due = now;
	if (due == UINT64_MAX) {
		uv_timer_stop(&s->timer);
		return;
	}
	uv_timer_start(&s->timer, timer_cb, due > now ? due - now : 0, 0);
}

static void timer_cb(uv_timer_t *t)
{
	struct stream *s = t->data;
	uint64_t now = uv_now(s->loop);

	if (s->kick) {
		s->kick = false;
		if (s->ssl && s->state == STREAM_OPEN && !s->paused)
			tls__pump(s);
		timer_update(s);
		return;
	}
	switch (s->state) {
	case STREAM_CONNECTING:
	case STREAM_HANDSHAKE:
		stream__fail(s, -ETIMEDOUT);
		break;
	case STREAM_OPEN:
		if (s->first_byte_wait)
			stream__fail(s, -ETIMEDOUT);
		else if (s->lim.idle_ms && now >= s->last_io + s->lim.idle_ms)
			stream__begin_close(s, -ETIMEDOUT);
		else
			timer_update(s);
		break;
	case STREAM_CLOSING:
		/* The peer neither took our bytes nor hung up in time. */
		stream__fail(s, s->err);
		break;
	default:
		break;
	}
}

/* ---- close sequence ------------------------------------------------------ */

static void listener_unlink(struct stream *s)
{
	struct stream_listener *l = s->lst;

	if (!l)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	s->lst = NULL;
}

static void handle_closed_cb(uv_handle_t *h)
{
	struct stream *s = h->data;

	if (--s->handles > 0)
		return;
	listener_unlink(s);
	if (!s->silent && s->cbs.close)
		s->cbs.close(s, s->err, s->cbs.arg);
	obj_unref(s);
}

/* Closes both handles; the close callback follows from handle_closed_cb.
 * reset: RST instead of FIN (uv_tcp_close_reset may not follow a
 * uv_shutdown, and needs a connected socket; else a plain close). */
static void stream_finish(struct stream *s, int err, bool reset)
{
	if (s->state == STREAM_CLOSED)
		return;
	s->state = STREAM_CLOSED;
	s->err = err;
	s->kick = false;
	s->pending -= s->early.len;
	buf_close(&s->early);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, handle_closed_cb);
	if (!reset || s->shutdown_sent ||
	    uv_tcp_close_reset(&s->tcp, handle_closed_cb) != 0)
		uv_close((uv_handle_t *)&s->tcp, handle_closed_cb);
}

void stream__fail(struct stream *s, int err)
{
	bool fire_open = !s->open_fired;

	if (s->state == STREAM_CLOSED)
		return;
	stream_finish(s, err, false);
	if (fire_open) {
		s->open_fired = true;
		if (!s->silent && s->cbs.open)
			s->cbs.open(s, err, s->cbs.arg);
	}
}

/* Lingering close: our FIN is out once the shutdown completes, but the
 * socket is closed only when the peer's EOF has come too (or the linger
 * time is over). Closing with unread bytes would send RST, and an RST
 * makes the peer's kernel drop what it has not read yet: the last answer
 * (a 400 before hanging up) would be lost. */
static void shutdown_cb(uv_shutdown_t *req, int status)
{
	struct stream *s = req->handle->data;

	UNUSED(status);
	s->shut_done = true;
	if (s->state == STREAM_CLOSING && s->peer_eof)
		stream_finish(s, s->err, false);
}

void stream__begin_close(struct stream *s, int err)
{
	if (s->state >= STREAM_CLOSING)
		return;
	if (s->state != STREAM_OPEN) {
		stream_finish(s, err, false);
		return;
	}
	s->state = STREAM_CLOSING;
	s->err = err;
	s->kick = false;
	s->t_start = uv_now(s->loop);
	/* Read on (and discard) until the peer's EOF, even when paused. */
	if (s->paused &&
	    uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) != 0)
		s->peer_eof = true;
	if (s->ssl)
		tls__shutdown(s);
	if (s->state != STREAM_CLOSING)
		return; /* the close_notify could not be queued */
	/* uv_shutdown waits for the queued writes, then sends FIN. */
	if (uv_shutdown(&s->shutdown_req, (uv_stream_t *)&s->tcp,
			shutdown_cb) != 0) {
		stream_finish(s, err, false);
		return;
	}
	s->shutdown_sent = true;
	timer_update(s);
}

/* ---- writing ------------------------------------------------------------- */

struct stream__wreq *stream__wreq_new(size_t n)
{
	struct stream__wreq *w = xmalloc(sizeof(*w) + n);

	w->len = n;
	return w;
}

static void write_cb(uv_write_t *req, int status)
{
	struct stream__wreq *w = (struct stream__wreq *)req;
	struct stream *s = req->handle->data;

	s->pending -= w->len;
	free(w);
	if (s->state >= STREAM_CLOSED || status == UV_ECANCELED)
		return;
	if (status < 0) {
		stream__fail(s, status);
		return;
	}
	if (s->pending == 0 && s->state == STREAM_OPEN && s->drain)
		s->drain(s, s->drain_arg);
}

int stream__wreq_send(struct stream *s, struct stream__wreq *w)
{
	uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
	int err;

	err = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_cb);
	if (err) {
		free(w);
		stream__fail(s, err);
		goto out;
	}
	s->pending += w->len;
out:
	return err;
}

static int send_plain(struct stream *s, const void *p, size_t n)
{
	struct stream__wreq *w = stream__wreq_new(n);

	memcpy(w->data, p, n);
	return stream__wreq_send(s, w);
}

/* Bytes to the wire: uv_buf_t holds at most UINT_MAX at a time. */
static int send_any(struct stream *s, const char *p, size_t n)
{
	int err = 0;

	while (n && !err) {
		size_t k = n > (1u << 30) ? (1u << 30) : n;

		err = s->ssl ? tls__write(s, p, k) : send_plain(s, p, k);
		p += k;
		n -= k;
	}
	return err;
}

int stream_write(struct stream *s, const void *p, size_t n)
{
	int err = 0;

	if (!s || (!p && n)) {
		err = -EINVAL;
		goto out;
	}
	if (s->state >= STREAM_CLOSING) {
		err = -ECANCELED;
		goto out;
	}
	if (n > s->lim.max_pending || s->pending + n > s->lim.max_pending) {
		err = -ENOBUFS;
		goto out;
	}
	if (!n)
		goto out;
	s->last_io = uv_now(s->loop);
	if (s->trace)
		s->trace(s, true, p, n, s->trace_arg);
	if (s->state != STREAM_OPEN) {
		buf_append(&s->early, p, n);
		s->pending += n;
		goto out;
	}
	err = send_any(s, p, n);
out:
	return err;
}

/* ---- reading ------------------------------------------------------------- */

void stream__deliver(struct stream *s, const char *p, size_t n)
{
	if (s->trace)
		s->trace(s, false, p, n, s->trace_arg);
	if (s->cbs.read)
		s->cbs.read(s, p, n, s->cbs.arg);
}

/* The receive buffer lives for one read only (read_cb frees it): every
 * consumer copies what it keeps, and a server holding 10^4 idle
 * connections would otherwise keep 32 KiB of buffer for each. The same
 * chunk comes back from malloc read after read. */
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	UNUSED(h);
	UNUSED(hint);
	*b = uv_buf_init(xmalloc(STREAM_RX_SIZE), STREAM_RX_SIZE);
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b);

/* libuv calls it once for each alloc_cb, also with nread 0 or < 0. */
static void read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	on_read(h, nread, b);
	free(b->base);
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct stream *s = h->data;

	if (nread == 0 || s->state == STREAM_CLOSED)
		return;
	if (s->state == STREAM_CLOSING) {
		if (nread > 0)
			return; /* too late: the reader has let go */
		s->peer_eof = true;
		uv_read_stop(h);
		if (s->shut_done)
			stream_finish(s, s->err, false);
		return;
	}
	if (nread < 0) {
		/* EOF: orderly once open (a TLS peer that skips close_notify
		 * is let off: HTTP and WS frame their own ends); during the
		 * handshake the peer gave up. */
		if (nread == UV_EOF && s->state == STREAM_OPEN) {
			s->peer_eof = true;
			stream__begin_close(s, 0);
		} else
			stream__fail(s, nread == UV_EOF ? -ECONNRESET
							: (int)nread);
		return;
	}
	s->last_io = uv_now(s->loop);
	if (s->first_byte_wait) {
		s->first_byte_wait = false;
		timer_update(s);
	}
	if (s->ssl)
		tls__input(s, b->base, (size_t)nread);
	else
		stream__deliver(s, b->base, (size_t)nread);
}

static int read_start(struct stream *s)
{
	if (s->paused)
		return 0;
	return uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
}

void stream_pause(struct stream *s)
{
	if (s->paused)
		return;
	s->paused = true;
	if (s->state < STREAM_CLOSING)
		uv_read_stop((uv_stream_t *)&s->tcp);
}

void stream_resume(struct stream *s)
{
	if (!s->paused)
		return;
	s->paused = false;
	if (s->state != STREAM_OPEN && s->state != STREAM_HANDSHAKE)
		return;
	if (read_start(s) != 0) {
		stream__fail(s, -EPROTO);
		return;
	}
	if (s->ssl && s->state == STREAM_OPEN && tls__has_input(s)) {
		s->kick = true;
		timer_update(s);
	}
}

/* ---- opening ------------------------------------------------------------- */

void stream__opened(struct stream *s)
{
	s->state = STREAM_OPEN;
	s->t_start = s->last_io = uv_now(s->loop);
	if (s->early.len) {
		struct buf early = s->early;

		buf_init(&s->early);
		s->pending -= early.len;
		send_any(s, early.data, early.len);
		buf_close(&early);
	}
	if (s->state != STREAM_OPEN)
		return; /* failed: open(err) has run */
	s->open_fired = true;
	timer_update(s);
	if (!s->silent && s->cbs.open)
		s->cbs.open(s, 0, s->cbs.arg);
}

static void sockaddr_fetch(struct stream *s)
{
	int len = sizeof(s->peer);

	uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&s->peer, &len);
	len = sizeof(s->local);
	uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&s->local, &len);
}

static void stream_dtor(void *o)
{
	struct stream *s = o;

	buf_close(&s->early);
	tls__stream_free(s);
}

static void limits_resolve(struct stream_limits *dst,
			   const struct stream_limits *lim)
{
	*dst = lim ? *lim : (struct stream_limits){ 0 };
	if (!dst->max_pending)
		dst->max_pending = STREAM_MAX_PENDING;
	if (!dst->handshake_ms)
		dst->handshake_ms = STREAM_HANDSHAKE_MS;
}

static struct stream *stream_alloc(uv_loop_t *loop, struct tls_ctx *tls,
				   const struct stream_limits *lim)
{
	struct stream *s = obj_new(sizeof(*s), stream_dtor);

	s->loop = loop;
	s->tls = tls;
	limits_resolve(&s->lim, lim);
	/* Both inits only fail on bad arguments (libuv src/unix/tcp.c). */
	uv_tcp_init(loop, &s->tcp);
	uv_timer_init(loop, &s->timer);
	s->tcp.data = s->timer.data = s;
	s->handles = 2;
	s->t_start = s->last_io = uv_now(loop);
	return s;
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct stream *s = req->handle->data;

	if (status == UV_ECANCELED || s->state != STREAM_CONNECTING)
		return;
	if (status < 0) {
		stream__fail(s, status);
		return;
	}
	sockaddr_fetch(s);
	if (!s->ssl) {
		if (read_start(s) == 0)
			stream__opened(s);
		else
			stream__fail(s, -EPROTO);
		return;
	}
	s->state = STREAM_HANDSHAKE;
	if (read_start(s) != 0) {
		stream__fail(s, -EPROTO);
		return;
	}
	tls__start(s);
}

static int addr_parse(const char *ip, uint16_t port,
		      struct sockaddr_storage *ss)
{
	if (!ip)
		return -EINVAL;
	if (strchr(ip, ':'))
		return uv_ip6_addr(ip, port, (struct sockaddr_in6 *)ss);
	return uv_ip4_addr(ip, port, (struct sockaddr_in *)ss);
}

int stream_connect(struct stream **out, uv_loop_t *loop, const char *ip,
		   uint16_t port, struct tls_ctx *tls, const char *sni,
		   const struct stream_limits *lim,
		   const struct stream_cbs *cbs)
{
	struct sockaddr_storage ss = { 0 };
	struct stream *s = NULL;
	int err;

	*out = NULL;
	if (!loop || !cbs || addr_parse(ip, port, &ss) != 0 ||
	    (tls && tls->server)) {
		err = -EINVAL;
		goto out;
	}
	s = stream_alloc(loop, tls, lim);
	stream_set_cbs(s, cbs);
	if (tls && (err = tls__stream_init(s, sni, ip)) != 0)
		goto fail;
	err = uv_tcp_connect(&s->connect_req, &s->tcp,
			     (const struct sockaddr *)&ss, connect_cb);
	if (err)
		goto fail;
	timer_update(s);
	*out = obj_ref(s);
	goto out;
fail:
	/* No callback for a call that failed; the handles close quietly. */
	s->silent = true;
	stream_finish(s, err, false);
out:
	return err;
}

/* ---- listener ------------------------------------------------------------ */

static void listener_accept_one(struct stream_listener *l)
{
	struct stream *s = stream_alloc(l->loop, l->tls, &l->lim);

	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&s->tcp) != 0) {
		s->silent = true;
		stream_finish(s, -ECONNABORTED, false);
		return;
	}
	sockaddr_fetch(s);
	s->lst = l;
	s->next = l->head;
	if (l->head)
		l->head->prev = s;
	l->head = s;
	if (l->tls && tls__stream_init(s, NULL, NULL) != 0) {
		s->silent = true;
		stream_finish(s, -EPROTO, false);
		return;
	}
	l->cb(l, s, l->arg);
	if (!s->cbs_set) {
		s->silent = true;
		stream_finish(s, -ECONNABORTED, false);
		return;
	}
	if (s->state != STREAM_CONNECTING)
		return; /* closed from the accept callback */
	if (read_start(s) != 0) {
		stream__fail(s, -EPROTO);
		return;
	}
	if (l->tls) {
		s->state = STREAM_HANDSHAKE;
		timer_update(s);
		return;
	}
	s->first_byte_wait = l->hs_explicit;
	stream__opened(s);
}

static void listener_conn_cb(uv_stream_t *h, int status)
{
	struct stream_listener *l = h->data;

	if (status < 0) {
		log_warn("stream: accept on port %u: %s", l->port,
			 uv_strerror(status));
		return;
	}
	listener_accept_one(l);
}

static void listener_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

int stream_listen(struct stream_listener **out, uv_loop_t *loop, const char *ip,
		  uint16_t port, struct tls_ctx *tls,
		  const struct stream_limits *lim, stream_accept_cb *cb,
		  void *arg)
{
	struct sockaddr_storage ss = { 0 };
	struct stream_listener *l = NULL;
	int len = sizeof(ss);
	int err;

	*out = NULL;
	if (!loop || !cb || addr_parse(ip, port, &ss) != 0 ||
	    (tls && !tls->server)) {
		err = -EINVAL;
		goto out;
	}
	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->tls = tls;
	l->cb = cb;
	l->arg = arg;
	l->hs_explicit = lim && lim->handshake_ms;
	limits_resolve(&l->lim, lim);
	uv_tcp_init(loop, &l->tcp);
	l->tcp.data = l;
	err = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&l->tcp, 128, listener_conn_cb);
	if (!err)
		err = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
	if (err) {
		uv_close((uv_handle_t *)&l->tcp, listener_closed_cb);
		goto out;
	}
	l->port = ntohs(ss.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&ss)->sin6_port
				: ((struct sockaddr_in *)&ss)->sin_port);
	*out = l;
out:
	return err;
}

uint16_t stream_listener_port(const struct stream_listener *l)
{
	return l->port;
}

void stream_listener_close(struct stream_listener *l)
{
	if (!l)
		return;
	while (l->head) {
		struct stream *s = l->head;

		listener_unlink(s);
		stream_close(s);
	}
	uv_close((uv_handle_t *)&l->tcp, listener_closed_cb);
}

/* ---- the rest of the API ------------------------------------------------- */

void stream_set_cbs(struct stream *s, const struct stream_cbs *cbs)
{
	s->cbs = *cbs;
	s->cbs_set = true;
}

void stream_set_trace(struct stream *s, stream_trace_cb *cb, void *arg)
{
	s->trace = cb;
	s->trace_arg = arg;
}

void stream_set_drain(struct stream *s, stream_drain_cb *cb, void *arg)
{
	s->drain = cb;
	s->drain_arg = arg;
}

void stream_close(struct stream *s)
{
	if (s)
		stream__begin_close(s, 0);
}

void stream_abort(struct stream *s)
{
	if (s)
		stream_finish(s, -ECONNABORTED, true);
}

const struct sockaddr *stream_peer(const struct stream *s)
{
	return (const struct sockaddr *)&s->peer;
}

const struct sockaddr *stream_local(const struct stream *s)
{
	return (const struct sockaddr *)&s->local;
}

bool stream_is_tls(const struct stream *s)
{
	return s->tls != NULL;
}

const char *stream_transport(const struct stream *s)
{
	return s->tls ? "tls" : "tcp";
}

size_t stream_pending(const struct stream *s)
{
	return s->pending;
}
