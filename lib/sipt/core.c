/*
 * core.c - the stack object: configuration, life cycle, the flow table,
 * the receive dispatcher (RFC 3261 §18.1.2, §18.2.1) and small helpers.
 */
#include "sipt/sipt_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

static const char *const proto_names[] = { "?", "UDP", "TCP", "TLS", "WS",
					   "WSS" };
static const char *const proto_lnames[] = { "?", "udp", "tcp", "tls", "ws",
					    "wss" };

const char *sipt_proto_name(enum sipt_proto p)
{
	if ((unsigned)p >= ARRAY_SIZE(proto_names))
		return proto_names[0];
	return proto_names[p];
}

static bool proto_valid(enum sipt_proto p)
{
	return p >= SIPT_UDP && p <= SIPT_WSS;
}

/* ---- addresses ---------------------------------------------------------- */

void sipt__ip_print(const struct sockaddr *sa, char *out, size_t n)
{
	const void *a = NULL;

	if (sa && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)n))
		sv_copy(SV("-"), out, n);
}

uint16_t sipt__addr_port(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)
				     ->sin_port);
	if (sa && sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)
				     ->sin6_port);
	return 0;
}

void sipt_addr_print(const struct sockaddr *sa, char out[SIPT_ADDR_MAX])
{
	char ip[INET6_ADDRSTRLEN];
	struct buf b;

	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
		sv_copy(SV("-"), out, SIPT_ADDR_MAX);
		return;
	}
	sipt__ip_print(sa, ip, sizeof(ip));
	buf_init(&b);
	buf_printf(&b, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		   sipt__addr_port(sa));
	sv_copy((struct sv){ b.data, b.len }, out, SIPT_ADDR_MAX);
	buf_close(&b);
}

bool sipt__addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		a4 = (const void *)a;
		b4 = (const void *)b;
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		a6 = (const void *)a;
		b6 = (const void *)b;
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	}
	return false;
}

/* Numeric IPv4 or IPv6 text (brackets allowed) + port into *ss. */
int sipt__addr_parse(struct sv host, uint16_t port,
		     struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN + 2];
	int err;

	if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']') {
		host.p++;
		host.len -= 2;
	}
	memset(ss, 0, sizeof(*ss));
	if (sv_copy(host, ip, sizeof(ip)) < 0)
		return -EINVAL;
	err = uv_ip4_addr(ip, port, (struct sockaddr_in *)(void *)ss);
	if (err)
		err = uv_ip6_addr(ip, port, (struct sockaddr_in6 *)(void *)ss);
	return err ? -EINVAL : 0;
}

int sipt_dest_set(struct sipt_dest *d, enum sipt_proto proto, const char *ip,
		  uint16_t port)
{
	memset(d, 0, sizeof(*d));
	if (!proto_valid(proto) || !ip)
		return -EINVAL;
	d->proto = proto;
	return sipt__addr_parse(sv_from_cstr(ip), port, &d->addr);
}

int sipt_dest_from_uri(struct sipt_dest *d, const struct sip_uri *u,
		       enum sipt_proto dflt)
{
	struct sv t;
	enum sipt_proto p = dflt;

	memset(d, 0, sizeof(*d));
	if (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS)
		return -EINVAL;
	if (sip_param_get(u->params, "transport", &t) == 0) {
		p = 0;
		for (unsigned i = SIPT_UDP; i <= SIPT_WSS; i++)
			if (sv_casecmp_cstr(t, proto_names[i]))
				p = (enum sipt_proto)i;
		if (!p)
			return -EINVAL;
	}
	if (!proto_valid(p))
		return -EINVAL;
	d->proto = p;
	return sipt__addr_parse(u->host, u->port ? u->port : 5060, &d->addr);
}

/* ---- flows -------------------------------------------------------------- */

void sipt_flow_describe(const struct sipt_flow *f, char *out, size_t n)
{
	char l[SIPT_ADDR_MAX], r[SIPT_ADDR_MAX];
	struct buf b;

	if (f->ops && f->ops->describe) {
		f->ops->describe(f, out, n);
		return;
	}
	sipt_addr_print((const struct sockaddr *)&f->local, l);
	sipt_addr_print((const struct sockaddr *)&f->peer, r);
	buf_init(&b);
	buf_printf(&b, "%s %s->%s", sipt_proto_name(f->proto), l, r);
	if (sv_copy((struct sv){ b.data, b.len }, out, n) < 0 && n)
		out[0] = '\0';
	buf_close(&b);
}

static void flow_link(struct sipt *s, struct sipt_flow *f)
{
	f->sipt = s;
	f->prev = NULL;
	f->next = s->flows;
	if (s->flows)
		s->flows->prev = f;
	s->flows = f;
	f->linked = true;
	obj_ref(f);
}

int sipt_flow_add(struct sipt *s, struct sipt_flow *f,
		  const struct sipt_flow_ops *ops, enum sipt_proto proto,
		  const struct sockaddr *local, const struct sockaddr *peer)
{
	if (!proto_valid(proto) || !ops || !ops->send || f->linked)
		return -EINVAL;
	if (s->closing)
		return -EPROTO;
	f->ops = ops;
	f->proto = proto;
	f->stream = proto != SIPT_UDP;
	memset(&f->local, 0, sizeof(f->local));
	memset(&f->peer, 0, sizeof(f->peer));
	if (local)
		memcpy(&f->local, local,
		       local->sa_family == AF_INET6 ?
			       sizeof(struct sockaddr_in6) :
			       sizeof(struct sockaddr_in));
	if (peer)
		memcpy(&f->peer, peer,
		       peer->sa_family == AF_INET6 ?
			       sizeof(struct sockaddr_in6) :
			       sizeof(struct sockaddr_in));
	flow_link(s, f);
	return 0;
}

void sipt__flow_unlink(struct sipt_flow *f, int err)
{
	struct sipt *s = f->sipt;

	if (!f->linked || !s)
		return;
	if (f->prev)
		f->prev->next = f->next;
	else
		s->flows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
	f->linked = false;
	/* Keep f alive while its transactions hear about the loss. */
	if (!s->closing)
		sipt__ctrans_flow_failed(s, f, err);
	f->sipt = NULL;
	obj_unref(f);
}

void sipt_flow_remove(struct sipt_flow *f)
{
	sipt__flow_unlink(f, -ECONNRESET);
}

struct sipt_flow *sipt_flow_find(struct sipt *s, enum sipt_proto proto,
				 const struct sockaddr *sa)
{
	for (struct sipt_flow *f = s->flows; f; f = f->next)
		if (f->proto == proto &&
		    sipt__addr_eq((const struct sockaddr *)&f->peer, sa))
			return f;
	return NULL;
}

void sipt__trace(struct sipt *s, enum sipt_dir dir, const struct sipt_flow *f,
		 const char *p, size_t len)
{
	unsigned t = proto_valid(f->proto) ? f->proto : 0;

	if (!s->conf.trace_cb)
		return;
	s->conf.trace_cb(s, dir, proto_lnames[t],
			 (const struct sockaddr *)&f->local,
			 (const struct sockaddr *)&f->peer, p, len,
			 s->conf.arg);
}

int sipt__flow_send(struct sipt_flow *f, const char *p, size_t len)
{
	struct sipt *s = f->sipt;

	if (s && !s->closing && s->conf.filter_cb && sipt__hold(f, p, len))
		return 0; /* a fault rule dropped or delayed it */
	return sipt__flow_send_now(f, p, len);
}

int sipt__flow_send_now(struct sipt_flow *f, const char *p, size_t len)
{
	struct sipt *s = f->sipt;
	int err;

	if (!s || s->closing)
		return -ECANCELED;
	err = f->ops->send(f, p, len);
	if (!err && f->ops != &sipt__tcp_ops)
		sipt__trace(s, SIPT_SEND, f, p, len);
	return err;
}

int sipt__send_dest(struct sipt *s, const struct sipt_dest *d, const char *p,
		    size_t len, struct sipt_flow **used)
{
	struct sipt_flow *f = NULL;
	const struct sockaddr *sa = (const struct sockaddr *)&d->addr;
	int err = 0;

	if (s->closing)
		return -EPROTO;
	if (d->flow && d->flow->linked && d->flow->sipt == s) {
		f = obj_ref(d->flow);
	} else if (d->proto == SIPT_UDP) {
		if (!s->udp_on)
			return -EAFNOSUPPORT;
		f = sipt__udp_flow_new(s, sa);
	} else if ((f = sipt_flow_find(s, d->proto, sa))) {
		obj_ref(f);
	} else if (d->proto == SIPT_TCP) {
		err = sipt__tcp_connect(s, sa, &f);
		if (err)
			goto out;
	} else {
		/* WS/TLS flows only exist once their owner adds them. */
		err = -ENOTCONN;
		goto out;
	}
	err = sipt__flow_send(f, p, len);
	if (!err && used)
		*used = obj_ref(f);
out:
	obj_unref(f);
	return err;
}

int sipt_send(struct sipt *s, const struct sipt_dest *d, const char *p,
	      size_t len)
{
	return sipt__send_dest(s, d, p, len, NULL);
}

/* ---- receiving (§18.1.2, §18.2.1) -------------------------------------- */

/* A message that failed sip_msg_parse: answer it if we can (§8.2 spirit;
 * the perr reason tells the peer which rule it broke). Responses and
 * garbage are dropped. */
static int recv_bad(struct sipt_flow *f, const char *p, size_t len,
		    const struct perr *e)
{
	struct buf b;
	int err;

	log_debug("sipt: malformed message (%s at %zu)", e->why ? e->why : "?",
		  e->offset);
	if (len >= 4 && !strncasecmp(p, "SIP/", 4))
		return 0;
	buf_init(&b);
	err = sip_print_error_for_raw(&b, p, len, e);
	if (err)
		goto out;
	/* UDP: answer the source address (rport-like); the Via could be the
	 * very thing that is broken. */
	sipt__flow_send(f, b.data, b.len);
out:
	buf_close(&b);
	return err;
}

int sipt_recv(struct sipt *s, struct sipt_flow *f, char *p, size_t len)
{
	struct sip_msg *m = NULL;
	struct perr e = { 0 };
	size_t skip = 0;
	bool framed;
	int err = 0;

	if (s->closing || f->sipt != s)
		return -EPROTO;
	sipt__trace(s, SIPT_RECV, f, p, len);
	/* CRLF keep-alives (RFC 5626 §3.5.1) carry no message. */
	while (skip < len && (p[skip] == '\r' || p[skip] == '\n'))
		skip++;
	if (skip == len)
		goto out;
	m = xmalloc(sizeof(*m));
	/* A WebSocket message frames one SIP message (RFC 7118 §5): like a
	 * datagram, Content-Length is optional there. */
	framed = f->proto == SIPT_WS || f->proto == SIPT_WSS;
	err = sip_msg_parse(m, p + skip, len - skip, f->stream && !framed, &e);
	if (err) {
		err = recv_bad(f, p + skip, len - skip, &e) ? -EBADMSG : 0;
		goto out;
	}
	if (m->is_request)
		sipt__strans_on_request(s, f, m);
	else
		sipt__ctrans_on_response(s, f, m);
out:
	free(m);
	return err;
}

/* ---- identifiers and Via ------------------------------------------------ */

static struct rng *stack_rng(struct sipt *s)
{
	return s->conf.rng ? s->conf.rng : &s->own_rng;
}

void sipt_branch_new(struct sipt *s, char out[SIPT_BRANCH_MAX])
{
	memcpy(out, "z9hG4bK", 7);
	rng_hex(stack_rng(s), out + 7, 24);
}

void sipt_tag_new(struct sipt *s, char out[SIPT_TAG_MAX])
{
	rng_hex(stack_rng(s), out, 16);
}

static uint16_t sent_by_port(const struct sipt *s, enum sipt_proto proto)
{
	uint16_t p;

	if (s->conf.via_port)
		return s->conf.via_port;
	p = sipt_port(s, proto == SIPT_UDP ? SIPT_UDP : SIPT_TCP);
	return p ? p : sipt_port(s, proto == SIPT_UDP ? SIPT_TCP : SIPT_UDP);
}

void sipt_via_print(struct sipt *s, struct buf *b, enum sipt_proto proto,
		    const char *branch)
{
	bool v6 = strchr(s->via_host, ':') != NULL;

	buf_append(b, "Via: SIP/2.0/", 13);
	buf_puts(b, sipt_proto_name(proto));
	buf_puts(b, v6 ? " [" : " ");
	buf_puts(b, s->via_host);
	buf_puts(b, v6 ? "]:" : ":");
	buf_put_u(b, sent_by_port(s, proto), 1);
	buf_append(b, ";branch=", 8);
	buf_puts(b, branch);
	buf_append(b, ";rport\r\n", 8);
}

/* ---- accessors ---------------------------------------------------------- */

uint16_t sipt_port(const struct sipt *s, enum sipt_proto p)
{
	if (p == SIPT_UDP && s->udp_on)
		return sipt__addr_port((const struct sockaddr *)&s->udp_local);
	if (p == SIPT_TCP && s->tcp_on)
		return sipt__addr_port((const struct sockaddr *)&s->tcp_local);
	return 0;
}

const struct sipt_timers *sipt_timers(const struct sipt *s)
{
	return &s->conf.timers;
}

size_t sipt_trans_count(const struct sipt *s)
{
	return s->ntrans;
}

size_t sipt_conn_count(const struct sipt *s)
{
	return s->nconns;
}

/* ---- life cycle ---------------------------------------------------------- */

#define DFLT(field, v) \
	do { \
		if (!(field)) \
			(field) = (v); \
	} while (0)

static int conf_resolve(struct sipt *s, const struct sipt_conf *conf)
{
	const char *h;

	s->conf = *conf;
	DFLT(s->conf.timers.t1, 500);
	DFLT(s->conf.timers.t2, 4000);
	DFLT(s->conf.timers.t4, 5000);
	DFLT(s->conf.timers.tcp_idle, 120000);
	DFLT(s->conf.limits.max_conns, 256);
	DFLT(s->conf.limits.max_stream_buf, 65536);
	DFLT(s->conf.limits.max_pending, 1u << 20);
	DFLT(s->conf.limits.max_trans, 4096);
	DFLT(s->conf.limits.retry_after_s, 5);
	DFLT(s->conf.limits.msg_timeout_ms, 10000);
	if (s->conf.limits.max_stream_buf > SIP_MAX_MSG + 4096)
		s->conf.limits.max_stream_buf = SIP_MAX_MSG + 4096;
	h = conf->via_host ? conf->via_host :
	    conf->udp_addr ? conf->udp_addr : conf->tcp_addr;
	/* A wildcard cannot be a sent-by (§18.1.1: responses go there). */
	if (!h || !*h || !strcmp(h, "0.0.0.0") || !strcmp(h, "::"))
		return -EINVAL;
	s->via_host = xstrdup(h);
	return 0;
}

int sipt_new(struct sipt **out, uv_loop_t *loop, const struct sipt_conf *conf)
{
	struct sipt *s = xcalloc(1, sizeof(*s));
	int err;

	*out = NULL;
	s->tcp_fd = -1;
	s->loop = loop;
	hmap_init(&s->strans);
	hmap_init(&s->ctrans);
	ipcount_init(&s->conn_ips);
	ipcount_init(&s->pend_ips);
	err = conf_resolve(s, conf);
	if (err) {
		ipcount_close(&s->conn_ips);
		ipcount_close(&s->pend_ips);
		hmap_close(&s->strans);
		hmap_close(&s->ctrans);
		free(s->via_host);
		free(s);
		return err;
	}
	if (!conf->rng)
		rng_init(&s->own_rng, 0);
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->nhandles++;
	if (conf->udp_addr && (err = sipt__udp_open(s)))
		goto out;
	if (conf->tcp_addr && (err = sipt__tcp_open(s)))
		goto out;
	*out = s;
out:
	if (err)
		sipt_close(s, NULL, NULL);
	return err;
}

static void finish(struct sipt *s)
{
	sipt_close_cb *cb = s->close_cb;
	void *arg = s->close_arg;

	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	hmap_close(&s->strans);
	hmap_close(&s->ctrans);
	ipcount_close(&s->conn_ips);
	ipcount_close(&s->pend_ips);
	free(s->tmr_heap);
	free(s->udp_rx);
	free(s->via_host);
	free(s);
	if (cb)
		cb(arg);
}

void sipt__handle_closed(struct sipt *s)
{
	if (--s->nhandles == 0 && s->closing)
		finish(s);
}

static void timer_closed_cb(uv_handle_t *h)
{
	sipt__handle_closed(h->data);
}

void sipt_close(struct sipt *s, sipt_close_cb *cb, void *arg)
{
	struct sipt_flow *f;

	if (!s || s->closing)
		return;
	s->closing = true;
	s->close_cb = cb;
	s->close_arg = arg;
	/* No callbacks from here on: transactions go first, silently. */
	sipt__ctrans_drop_all(s);
	sipt__strans_drop_all(s);
	sipt__held_drop_all(s);
	while ((f = s->flows)) {
		obj_ref(f);
		sipt__flow_unlink(f, -ECANCELED);
		if (f->ops->close)
			f->ops->close(f);
		obj_unref(f);
	}
	sipt__conns_close(s);
	/* Every owner stopped its timers; disarm any straggler anyway. */
	while (s->tmr_n)
		sipt__tmr_stop(s, s->tmr_heap[0]);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, timer_closed_cb);
	sipt__listeners_close(s);
}

void sipt_free(struct sipt *s)
{
	sipt_close(s, NULL, NULL);
}
