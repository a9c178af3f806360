/*
 * transp.c - the built-in transports: UDP and TCP (RFC 3261 §18).
 *
 * UDP: one socket; each datagram (and each destination we send to) gets a
 * transient flow naming the peer, so transactions and traces treat UDP like
 * any other flow. TCP: connections are flows in the stack's table, found by
 * peer address for reuse (§18.1.1, §18.2.2), opened on demand, framed with
 * sip_msg_frame (Content-Length, §18.3), closed after tcp_idle ms without
 * traffic. A framing loss is answered 400/513 when possible, then the
 * connection is shut down (§18.3: the stream cannot be resynchronised).
 */
#include "sipt/sipt_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- UDP ---------------------------------------------------------------- */

struct udp_send {
	uv_udp_send_t req;
	size_t len;
	char data[];
};

static void udp_sent_cb(uv_udp_send_t *req, int status)
{
	if (status < 0 && status != UV_ECANCELED)
		log_debug("sipt: udp send: %s", uv_strerror(status));
	free(req);
}

static int udp_flow_send(struct sipt_flow *f, const char *p, size_t len)
{
	struct sipt *s = f->sipt;
	struct udp_send *u;
	uv_buf_t b;
	int err;

	if (len > SIP_MAX_MSG)
		return -EMSGSIZE;
	u = xmalloc(sizeof(*u) + len);
	u->len = len;
	memcpy(u->data, p, len);
	b = uv_buf_init(u->data, (unsigned)len);
	err = uv_udp_send(&u->req, &s->udp, &b, 1,
			  (const struct sockaddr *)&f->peer, udp_sent_cb);
	if (err)
		free(u);
	return err;
}

static const struct sipt_flow_ops udp_ops = { .send = udp_flow_send };

struct sipt_flow *sipt__udp_flow_new(struct sipt *s,
				     const struct sockaddr *peer)
{
	struct sipt_flow *f = obj_new(sizeof(*f), NULL);

	f->ops = &udp_ops;
	f->sipt = s;
	f->proto = SIPT_UDP;
	f->local = s->udp_local;
	memcpy(&f->peer, peer,
	       peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in));
	return f;
}

static void udp_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sipt *s = h->data;

	UNUSED(hint);
	*b = uv_buf_init(s->udp_rx, SIP_MAX_MSG + 1);
}

static void udp_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *b,
			const struct sockaddr *addr, unsigned flags)
{
	struct sipt *s = h->data;
	struct sipt_flow *f;
	struct perr e;
	struct buf out;

	if (nread <= 0 || !addr || s->closing)
		return;
	f = sipt__udp_flow_new(s, addr);
	if ((flags & UV_UDP_PARTIAL) || nread > SIP_MAX_MSG) {
		/* Too big for us: 513 (§21.5.14) if we can say so. */
		sipt__trace(s, SIPT_RECV, f, b->base, SIP_MAX_MSG);
		perr_set(&e, SIP_MAX_MSG, "message too large", 513);
		buf_init(&out);
		if (!sip_print_error_for_raw(&out, b->base, SIP_MAX_MSG, &e))
			sipt__flow_send(f, out.data, out.len);
		buf_close(&out);
	} else {
		sipt_recv(s, f, b->base, (size_t)nread);
	}
	obj_unref(f);
}

/* A burst (a registration storm, or this process losing the CPU for a few
 * ms on a shared machine) must queue in the kernel, not be dropped: the
 * 208 KiB default holds ~200 REGISTERs. Ask for SIPT_UDP_BUF; the kernel
 * caps it at net.core.rmem_max/wmem_max (logged at debug level). */
#define SIPT_UDP_BUF (4 << 20)

static void udp_buffers_grow(struct sipt *s)
{
	int rcv = SIPT_UDP_BUF, snd = SIPT_UDP_BUF, got = 0;

	uv_recv_buffer_size((uv_handle_t *)&s->udp, &rcv);
	uv_send_buffer_size((uv_handle_t *)&s->udp, &snd);
	uv_recv_buffer_size((uv_handle_t *)&s->udp, &got);
	log_debug("sipt: UDP receive buffer %d bytes", got);
}

/* Both transports on one address with OS-chosen ports: they get the same
 * port, as RFC 3261 §18 expects of a sent-by (and peers that switch to TCP
 * for large requests rely on). Picking the UDP port first and hoping TCP
 * finds it free fails under load; a TCP port is picked and UDP bound to
 * it, a few times over if that one is taken for UDP. */
static bool shares_port(const struct sipt *s)
{
	return !s->conf.udp_port && !s->conf.tcp_port && s->conf.tcp_addr &&
	       !strcmp(s->conf.tcp_addr, s->conf.udp_addr);
}

static int tcp_socket(const struct sockaddr_storage *ss, uint16_t try_port,
		      int *fdp);

static int udp_bind_pair(struct sipt *s, const struct sockaddr_storage *ss)
{
	struct sockaddr_storage a;
	socklen_t alen = sizeof(a);
	int err = -EADDRINUSE;

	for (int tries = 0; tries < 16 && err; tries++) {
		int fd;

		err = tcp_socket(ss, 0, &fd);
		if (err)
			return err;
		getsockname(fd, (struct sockaddr *)&a, &alen);
		err = uv_udp_bind(&s->udp, (const struct sockaddr *)&a, 0);
		if (err)
			close(fd);
		else
			s->tcp_fd = fd;
	}
	return err;
}

int sipt__udp_open(struct sipt *s)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	int err;

	err = sipt__addr_parse(sv_from_cstr(s->conf.udp_addr),
			       s->conf.udp_port, &ss);
	if (err)
		return err;
	uv_udp_init(s->loop, &s->udp);
	s->udp.data = s;
	s->udp_on = true;
	s->nhandles++;
	err = shares_port(s) ? udp_bind_pair(s, &ss)
			     : uv_udp_bind(&s->udp,
					   (const struct sockaddr *)&ss, 0);
	if (err)
		return err;
	uv_udp_getsockname(&s->udp, (struct sockaddr *)&s->udp_local, &len);
	udp_buffers_grow(s);
	s->udp_rx = xmalloc(SIP_MAX_MSG + 1);
	return uv_udp_recv_start(&s->udp, udp_alloc_cb, udp_recv_cb);
}

/* ---- TCP connections ---------------------------------------------------- */

struct wreq {
	uv_write_t req;
	struct wreq *next;
	size_t len;
	char data[];
};

struct sipt__conn {
	struct sipt_flow flow; /* first: the flow is the object */
	struct sipt *s;        /* borrowed; NULL once the handle is closed */
	struct sipt__conn *cprev, *cnext; /* s->conns while the handle lives */
	uv_tcp_t h;
	uv_connect_t creq;
	uv_shutdown_t sreq;
	bool connected;
	bool closing;  /* uv_close called */
	bool draining; /* shutting down after a framing loss */
	bool ip_counted; /* holds a count in s->conn_ips (accepted) */
	uint64_t partial_since; /* loop ms the unfinished message began */
	char *rx;      /* owned */
	size_t rxlen, rxcap;
	struct wreq *pend; /* owned: queued until connected, in order */
	struct wreq **pend_tail;
	size_t queued; /* bytes accepted but not yet written */
	struct sipt__tmr idle;
};

static void conn_dtor(void *o)
{
	struct sipt__conn *c = o;
	struct wreq *w;

	while ((w = c->pend)) {
		c->pend = w->next;
		free(w);
	}
	free(c->rx);
}

static void conn_closed_cb(uv_handle_t *h)
{
	struct sipt__conn *c = h->data;
	struct sipt *s = c->s;

	c->s = NULL;
	if (c->cprev)
		c->cprev->cnext = c->cnext;
	else
		s->conns = c->cnext;
	if (c->cnext)
		c->cnext->cprev = c->cprev;
	s->nconns--;
	if (c->ip_counted)
		ipcount_release(&s->conn_ips,
				(const struct sockaddr *)&c->flow.peer);
	obj_unref(c); /* the handle's reference */
	sipt__handle_closed(s);
}

static void conn_close(struct sipt__conn *c, int err)
{
	struct sipt *s = c->s;
	struct wreq *w;

	if (c->closing)
		return;
	c->closing = true;
	sipt__tmr_stop(s, &c->idle);
	while ((w = c->pend)) {
		c->pend = w->next;
		c->queued -= w->len;
		free(w);
	}
	c->pend_tail = &c->pend;
	uv_close((uv_handle_t *)&c->h, conn_closed_cb);
	obj_ref(c);
	sipt__flow_unlink(&c->flow, err);
	obj_unref(c);
}

static void conn_idle_cb(void *arg)
{
	log_debug("sipt: closing idle TCP connection");
	conn_close(arg, -ETIMEDOUT);
}

static void conn_touch(struct sipt__conn *c)
{
	if (!c->closing)
		sipt__tmr_start(c->s, &c->idle, c->s->conf.timers.tcp_idle,
				conn_idle_cb, c);
}

static void write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct sipt__conn *c = req->data;

	c->queued -= w->len;
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_close(c, status);
}

static int wreq_submit(struct sipt__conn *c, struct wreq *w)
{
	uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
	int err;

	w->req.data = c;
	err = uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, write_cb);
	if (err) {
		c->queued -= w->len;
		free(w);
		conn_close(c, err);
		return err;
	}
	/* Traced here, when the bytes really leave, so that a message
	 * queued during connect shows the local port. */
	sipt__trace(c->s, SIPT_SEND, &c->flow, w->data, w->len);
	return 0;
}

static struct wreq *wreq_new(struct sipt__conn *c, const char *p, size_t len)
{
	struct wreq *w = xmalloc(sizeof(*w) + len);

	w->next = NULL;
	w->len = len;
	memcpy(w->data, p, len);
	c->queued += len;
	return w;
}

static int tcp_flow_send(struct sipt_flow *f, const char *p, size_t len)
{
	struct sipt__conn *c = (struct sipt__conn *)f;
	struct wreq *w;

	if (c->closing || c->draining)
		return -ENOTCONN;
	if (c->queued + len > c->s->conf.limits.max_pending)
		return -ENOBUFS;
	w = wreq_new(c, p, len);
	conn_touch(c);
	if (!c->connected) {
		*c->pend_tail = w;
		c->pend_tail = &w->next;
		return 0;
	}
	return wreq_submit(c, w);
}

static void tcp_flow_close(struct sipt_flow *f)
{
	conn_close((struct sipt__conn *)f, -ECANCELED);
}

const struct sipt_flow_ops sipt__tcp_ops = {
	.send = tcp_flow_send,
	.close = tcp_flow_close,
};

static void shutdown_cb(uv_shutdown_t *req, int status)
{
	UNUSED(status);
	conn_close(req->data, -EBADMSG);
}

/* §18.3: after a framing error the stream is lost. Answer if we can, let
 * the answer drain, then close. */
static void conn_frame_lost(struct sipt__conn *c, const struct perr *e0)
{
	struct perr big = *e0, *e = &big;
	struct buf b;

	/* A message over our size, whatever part is too long: 513 Message
	 * Too Large (RFC 3261 §21.5.14), as over UDP and WS (issue 9). */
	if (big.status == 413)
		big.status = 513;
	log_debug("sipt: TCP framing lost: %s", e->why ? e->why : "?");
	c->draining = true;
	uv_read_stop((uv_stream_t *)&c->h);
	buf_init(&b);
	if ((c->rxlen < 4 || strncasecmp(c->rx, "SIP/", 4)) &&
	    !sip_print_error_for_raw(&b, c->rx, c->rxlen, e))
		wreq_submit(c, wreq_new(c, b.data, b.len));
	buf_close(&b);
	if (c->closing)
		return;
	obj_ref(c);
	sipt__flow_unlink(&c->flow, -EBADMSG);
	c->sreq.data = c;
	if (!c->closing &&
	    uv_shutdown(&c->sreq, (uv_stream_t *)&c->h, shutdown_cb))
		conn_close(c, -EBADMSG);
	obj_unref(c);
}

static void conn_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sipt__conn *c = h->data;

	UNUSED(hint);
	if (c->rxcap - c->rxlen < 4096) {
		c->rxcap = c->rxcap ? c->rxcap * 2 : 16384;
		c->rx = xrealloc(c->rx, c->rxcap);
	}
	*b = uv_buf_init(c->rx + c->rxlen, (unsigned)(c->rxcap - c->rxlen));
}

static void conn_consume(struct sipt__conn *c, size_t n)
{
	memmove(c->rx, c->rx + n, c->rxlen - n);
	c->rxlen -= n;
}

/* Feeds every complete message in rx to the stack. */
static void conn_parse(struct sipt__conn *c)
{
	size_t skip, mlen, crlf;
	struct perr e;
	int err;

	while (!c->closing && !c->draining && c->rxlen) {
		e = (struct perr){ 0 };
		err = sip_msg_frame(c->rx, c->rxlen, &skip, &mlen, &e);
		if (err == -EAGAIN) {
			/* Keep-alive CRLFs never start a message. */
			crlf = 0;
			while (crlf < c->rxlen && (c->rx[crlf] == '\r' ||
						   c->rx[crlf] == '\n'))
				crlf++;
			conn_consume(c, crlf);
			if (c->rxlen > c->s->conf.limits.max_stream_buf) {
				perr_set(&e, c->rxlen, "message too large",
					 513);
				conn_frame_lost(c, &e);
			}
			return;
		}
		if (err) {
			conn_frame_lost(c, &e);
			return;
		}
		sipt_recv(c->s, &c->flow, c->rx + skip, mlen);
		conn_consume(c, skip + mlen);
	}
}

/* Slow loris (issue 9): a message begun must be whole within
 * msg_timeout_ms, however slowly its bytes trickle in; the idle timer
 * then fires at that bound instead of tcp_idle. */
static void conn_partial_bound(struct sipt__conn *c)
{
	uint64_t now = uv_now(c->s->loop), end;

	if (!c->rxlen) {
		c->partial_since = 0;
		return;
	}
	if (!c->partial_since)
		c->partial_since = now;
	end = c->partial_since + c->s->conf.limits.msg_timeout_ms;
	if (end <= now) {
		log_info("sipt: TCP message not complete within %u ms: closed",
			 c->s->conf.limits.msg_timeout_ms);
		conn_close(c, -ETIMEDOUT);
		return;
	}
	if (end - now < c->s->conf.timers.tcp_idle)
		sipt__tmr_start(c->s, &c->idle, end - now, conn_idle_cb, c);
}

static void conn_read_cb(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct sipt__conn *c = h->data;

	UNUSED(b);
	if (c->closing || c->draining)
		return;
	if (nread < 0) {
		conn_close(c, nread == UV_EOF ? -ECONNRESET : (int)nread);
		return;
	}
	c->rxlen += (size_t)nread;
	conn_touch(c);
	obj_ref(c); /* a callback may close us */
	conn_parse(c);
	if (!c->closing && !c->draining)
		conn_partial_bound(c);
	obj_unref(c);
}

static struct sipt__conn *conn_new(struct sipt *s)
{
	struct sipt__conn *c = obj_new(sizeof(*c), conn_dtor);

	c->s = s;
	c->pend_tail = &c->pend;
	uv_tcp_init(s->loop, &c->h);
	c->h.data = c;
	c->cnext = s->conns;
	if (s->conns)
		s->conns->cprev = c;
	s->conns = c;
	s->nhandles++;
	s->nconns++;
	return c;
}

static void conn_link(struct sipt__conn *c)
{
	struct sockaddr_storage l, r;
	int ll = sizeof(l), rl = sizeof(r);

	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	uv_tcp_getsockname(&c->h, (struct sockaddr *)&l, &ll);
	uv_tcp_getpeername(&c->h, (struct sockaddr *)&r, &rl);
	sipt_flow_add(c->s, &c->flow, &sipt__tcp_ops, SIPT_TCP,
		      (struct sockaddr *)&l, (struct sockaddr *)&r);
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct sipt__conn *c = req->data;
	struct wreq *w;
	int len = sizeof(c->flow.local);

	if (c->closing)
		return;
	if (status < 0) {
		log_debug("sipt: TCP connect: %s", uv_strerror(status));
		conn_close(c, status);
		return;
	}
	c->connected = true;
	uv_tcp_getsockname(&c->h, (struct sockaddr *)&c->flow.local, &len);
	uv_read_start((uv_stream_t *)&c->h, conn_alloc_cb, conn_read_cb);
	while (!c->closing && (w = c->pend)) {
		c->pend = w->next;
		if (!c->pend)
			c->pend_tail = &c->pend;
		wreq_submit(c, w);
	}
}

int sipt__tcp_connect(struct sipt *s, const struct sockaddr *peer,
		      struct sipt_flow **out)
{
	struct sockaddr_storage l;
	struct sipt__conn *c;
	int err;

	if (s->nconns >= s->conf.limits.max_conns)
		return -EBUSY;
	c = conn_new(s);
	/* Leave from our listening address, so the peer can reuse the
	 * connection towards the address it knows us by. */
	if (s->tcp_on && s->tcp_local.ss_family == peer->sa_family) {
		l = s->tcp_local;
		if (l.ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&l)->sin_port = 0;
		else
			((struct sockaddr_in6 *)(void *)&l)->sin6_port = 0;
		uv_tcp_bind(&c->h, (struct sockaddr *)&l, 0);
	}
	c->creq.data = c;
	err = uv_tcp_connect(&c->creq, &c->h, peer, connect_cb);
	if (err) {
		conn_close(c, err);
		return err;
	}
	sipt_flow_add(s, &c->flow, &sipt__tcp_ops, SIPT_TCP, NULL, peer);
	conn_touch(c);
	*out = obj_ref(c);
	return 0;
}

static void accept_cb(uv_stream_t *server, int status)
{
	struct sipt *s = server->data;
	struct sipt__conn *c;

	if (status < 0 || s->closing)
		return;
	c = conn_new(s);
	c->connected = true;
	if (uv_accept(server, (uv_stream_t *)&c->h) ||
	    s->nconns > s->conf.limits.max_conns) {
		log_warn("sipt: TCP connection refused (limit %u)",
			 s->conf.limits.max_conns);
		conn_close(c, -EBUSY);
		return;
	}
	conn_link(c);
	/* Per source address (issue 9): beyond the limit the connection is
	 * closed at once; nothing is read from it. */
	c->ip_counted = ipcount_take(&s->conn_ips,
				     (const struct sockaddr *)&c->flow.peer,
				     s->conf.limits.max_conns_per_ip);
	if (!c->ip_counted) {
		char ip[64];

		sipt__ip_print((const struct sockaddr *)&c->flow.peer, ip,
			       sizeof(ip));
		log_warn("sipt: TCP connection from %s refused "
			 "(max_conns_per_ip %u)",
			 ip, s->conf.limits.max_conns_per_ip);
		conn_close(c, -EBUSY);
		return;
	}
	conn_touch(c);
	uv_read_start((uv_stream_t *)&c->h, conn_alloc_cb, conn_read_cb);
}

/* Binds a plain socket first: uv_tcp_bind defers EADDRINUSE to listen(),
 * and we want to fall back to an OS-chosen port at once. */
static int tcp_socket(const struct sockaddr_storage *ss, uint16_t try_port,
		      int *fdp)
{
	struct sockaddr_storage a = *ss;
	socklen_t alen = ss->ss_family == AF_INET6 ?
				 sizeof(struct sockaddr_in6) :
				 sizeof(struct sockaddr_in);
	int one = 1, fd, err = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (try_port) {
		if (a.ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&a)->sin_port =
				htons(try_port);
		else
			((struct sockaddr_in6 *)(void *)&a)->sin6_port =
				htons(try_port);
		if (bind(fd, (struct sockaddr *)&a, alen) == 0)
			goto out;
	}
	if (bind(fd, (const struct sockaddr *)ss, alen) < 0) {
		err = -errno;
		close(fd);
		fd = -1;
	}
out:
	*fdp = fd;
	return err;
}

int sipt__tcp_open(struct sipt *s)
{
	struct sockaddr_storage ss;
	uint16_t try_port = 0;
	int len = sizeof(ss);
	int fd, err;

	err = sipt__addr_parse(sv_from_cstr(s->conf.tcp_addr),
			       s->conf.tcp_port, &ss);
	if (err)
		return err;
	if (s->tcp_fd >= 0) { /* bound beside UDP by udp_bind_pair */
		fd = s->tcp_fd;
		s->tcp_fd = -1;
	} else {
		if (!s->conf.tcp_port && s->udp_on &&
		    !strcmp(s->conf.tcp_addr, s->conf.udp_addr))
			try_port = sipt_port(s, SIPT_UDP);
		err = tcp_socket(&ss, try_port, &fd);
		if (err)
			return err;
	}
	uv_tcp_init(s->loop, &s->tcp);
	s->tcp.data = s;
	s->tcp_on = true;
	s->nhandles++;
	err = uv_tcp_open(&s->tcp, fd);
	if (err) {
		close(fd);
		return err;
	}
	err = uv_listen((uv_stream_t *)&s->tcp, 128, accept_cb);
	if (err)
		return err;
	uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&s->tcp_local, &len);
	return 0;
}

void sipt__conns_close(struct sipt *s)
{
	/* Closed handles stay on the list until their close callback. */
	for (struct sipt__conn *c = s->conns; c; c = c->cnext)
		conn_close(c, -ECANCELED);
}

static void listener_closed_cb(uv_handle_t *h)
{
	sipt__handle_closed(h->data);
}

void sipt__listeners_close(struct sipt *s)
{
	if (s->udp_on)
		uv_close((uv_handle_t *)&s->udp, listener_closed_cb);
	if (s->tcp_on)
		uv_close((uv_handle_t *)&s->tcp, listener_closed_cb);
}
