/*
 * strans.c - non-INVITE server transactions (RFC 3261 §17.2.2) and the
 * RFC 3581 / §18.2.1 stamping of the top Via of every request received.
 *
 * States: Trying -> (1xx) Proceeding -> (>=200) Completed -> (Timer J)
 * Terminated. A request retransmission is absorbed in Trying and answered
 * with the last response in Proceeding and Completed. Timer J is 64*T1 on
 * UDP and 0 on streams (§17.2.2).
 */
#include "sipt/sipt_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum st_state { ST_TRYING, ST_PROCEEDING, ST_COMPLETED, ST_TERMINATED };

struct sipt_strans {
	struct hmap_node node;  /* in s->strans while linked */
	struct sipt *s;         /* borrowed; NULL once detached */
	enum st_state state;
	bool linked;
	char *key;              /* owned; the hmap key */
	size_t keylen;
	char *raw;              /* owned: the stamped request bytes */
	struct sip_msg *req;    /* owned; views into raw; both freed once
				   Completed (Timer J keeps many of these) */
	uint16_t via_port;      /* top Via sent-by port, rport: what */
	bool via_rport;         /* §18.2.2 needs after req is gone */
	struct sipt_flow *flow; /* owned reference */
	struct sockaddr_storage src; /* source of the request */
	bool pending;           /* counted in s->pend_ips until answered */
	struct buf last;        /* owned: last response sent */
	struct sipt__tmr tj;
};

/* §17.2.3: branch (with the magic cookie) + sent-by + method, where ACK
 * matches the INVITE it acknowledges. Older (RFC 2543) requests fall back
 * to the dialog and CSeq identifiers plus the whole top Via. */
static void strans_key(const struct sip_msg *m, struct buf *k)
{
	struct sv method = m->method == SIP_METHOD_ACK ? SV("INVITE") :
							 m->method_str;

	if (sv_starts_with(m->via.branch, "z9hG4bK")) {
		buf_printf(k, "%.*s\n%.*s:%u\n%.*s", SV_ARG(m->via.branch),
			   SV_ARG(m->via.host), m->via.port, SV_ARG(method));
		return;
	}
	buf_printf(k, "2543\n%.*s\n%.*s\n%.*s\n%u\n%.*s\n%.*s:%u",
		   SV_ARG(m->ruri_str), SV_ARG(m->from_tag),
		   SV_ARG(m->call_id), m->cseq, SV_ARG(method),
		   SV_ARG(m->via.host), m->via.port);
}

/* Is host the numeric form of sa's IP? */
static bool host_is_ip(struct sv host, const struct sockaddr *sa)
{
	struct sockaddr_storage h;
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (sipt__addr_parse(host, 0, &h) || h.ss_family != sa->sa_family)
		return false;
	if (sa->sa_family == AF_INET) {
		a4 = (const void *)&h;
		b4 = (const void *)sa;
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const void *)&h;
	b6 = (const void *)sa;
	return !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
}

/* Length of the next ';'-separated item of s, quotes honoured. */
static size_t param_span(struct sv s)
{
	bool q = false;
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '"' && (i == 0 || s.p[i - 1] != '\\'))
			q = !q;
		else if (s.p[i] == ';' && !q)
			break;
	}
	return i;
}

/*
 * The request as the upper layer sees it: the top Via gets received= when
 * the sent-by host is not the source IP (§18.2.1), and rport= plus
 * received= whenever it asked with a bare rport (RFC 3581 §4). Appends the
 * new bytes to out.
 */
static void via_stamp(const struct sip_msg *m, const struct sockaddr *src,
		      struct buf *out, struct sipt__edit *ed)
{
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_VIA);
	struct sv rest, el, item, name;
	char ip[64];
	size_t n;

	*ed = (struct sipt__edit){ 0 };
	if (!h || (!m->via.has_rport && host_is_ip(m->via.host, src))) {
		buf_putsv(out, m->raw);
		return;
	}
	rest = h->value;
	if (!sip_list_next(&rest, &el)) {
		buf_putsv(out, m->raw);
		return;
	}
	sipt__ip_print(src, ip, sizeof(ip));
	ed->start = (size_t)(el.p - m->raw.p);
	ed->old_end = ed->start + el.len;
	buf_append(out, m->raw.p, (size_t)(el.p - m->raw.p));
	n = param_span(el);
	buf_append(out, el.p, n); /* SIP/2.0/UDP host:port */
	while (n < el.len) {
		el.p += n + 1;
		el.len -= n + 1;
		n = param_span(el);
		item = sv_trim((struct sv){ el.p, n });
		sv_split(item, '=', &name);
		name = sv_trim(name);
		if (sv_casecmp_cstr(name, "received") ||
		    sv_casecmp_cstr(name, "rport"))
			continue;
		buf_puts(out, ";");
		buf_putsv(out, item);
	}
	buf_append(out, ";received=", 10);
	buf_puts(out, ip);
	if (m->via.has_rport) {
		buf_append(out, ";rport=", 7);
		buf_put_u(out, sipt__addr_port(src), 1);
	}
	ed->new_end = out->len;
	el.p += n;
	buf_append(out, el.p,
		   (size_t)(m->raw.p + m->raw.len - el.p));
}

/* The request is answered (or gone): its source has one pending less. */
static void pending_end(struct sipt *s, struct sipt_strans *st)
{
	if (!st->pending || !s)
		return;
	st->pending = false;
	ipcount_release(&s->pend_ips, (const struct sockaddr *)&st->src);
}

static void strans_dtor(void *o)
{
	struct sipt_strans *st = o;

	if (st->s)
		sipt__tmr_stop(st->s, &st->tj);
	pending_end(st->s, st);
	free(st->key);
	free(st->raw);
	free(st->req);
	obj_unref(st->flow);
	buf_close(&st->last);
}

static struct sipt_strans *strans_new(struct sipt *s, struct sipt_flow *f,
				      const struct sip_msg *m, struct buf *key)
{
	struct sipt_strans *st = obj_new(sizeof(*st), strans_dtor);
	struct sipt__edit ed;
	struct buf b;
	size_t len;

	st->s = s;
	st->flow = obj_ref(f);
	st->src = f->peer;
	st->key = buf_steal(key, &st->keylen);
	buf_init(&st->last);
	buf_init(&b);
	via_stamp(m, (const struct sockaddr *)&f->peer, &b, &ed);
	st->raw = buf_steal(&b, &len);
	st->req = xmalloc(sizeof(*st->req));
	/* The stamped copy differs from m in the top Via element only: the
	 * parse is carried over (rebase.c), not redone. */
	if (sipt__msg_rebase(st->req, m, st->raw, &ed)) {
		log_warn("sipt: stamped top Via does not parse");
		return obj_unref(st);
	}
	st->via_port = st->req->via.port;
	st->via_rport = st->req->via.has_rport;
	return st;
}

/* Per source address (issue 9): a source with max_pending_per_ip requests
 * still unanswered gets 503 with Retry-After (RFC 3261 §21.5.4) for the
 * next one, as the stateless answer of the max_trans limit. */
static bool pending_begin(struct sipt *s, struct sipt_strans *st)
{
	unsigned max = s->conf.limits.max_pending_per_ip;
	struct buf b;
	char ip[64];

	st->pending = ipcount_take(&s->pend_ips,
				   (const struct sockaddr *)&st->src, max);
	if (st->pending || !max)
		return true;
	sipt__ip_print((const struct sockaddr *)&st->src, ip, sizeof(ip));
	log_warn("sipt: %u requests from %s unanswered (max_pending_per_ip): "
		 "503", max, ip);
	buf_init(&b);
	sip_print_response_start(&b, st->req, 503, "Too many pending requests",
				 NULL);
	buf_printf(&b, "Retry-After: %u\r\n", s->conf.limits.retry_after_s);
	sip_print_end(&b, NULL, NULL, 0);
	sipt_strans_reply(st, b.data, b.len);
	buf_close(&b);
	return false;
}

static void strans_terminate(struct sipt_strans *st)
{
	struct sipt *s = st->s;

	pending_end(s, st);
	st->state = ST_TERMINATED;
	if (!st->linked)
		return;
	hmap_remove(&s->strans, &st->node);
	st->linked = false;
	s->ntrans--;
	sipt__tmr_stop(s, &st->tj);
	obj_unref(st);
}

static void timer_j_cb(void *arg)
{
	strans_terminate(arg);
}

/* §18.2.2: where a response goes. */
static int strans_send(struct sipt_strans *st, const char *p, size_t len)
{
	struct sipt_flow *f = st->flow;
	struct sipt_dest d = { 0 };
	uint16_t port;

	if (f->stream && f->linked && f->sipt == st->s)
		return sipt__flow_send(f, p, len);
	if (f->stream && f->proto != SIPT_TCP)
		return -ENOTCONN; /* a WS client cannot be called back */
	/* The connection is gone: a new one to received (the source IP) and
	 * the sent-by port. UDP: received and rport, RFC 3581 §4. */
	port = st->via_port ? st->via_port : 5060;
	if (!f->stream && st->via_rport)
		port = sipt__addr_port((const struct sockaddr *)&st->src);
	d.proto = f->stream ? SIPT_TCP : SIPT_UDP;
	d.addr = st->src;
	if (d.addr.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&d.addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)&d.addr)->sin6_port =
			htons(port);
	return sipt__send_dest(st->s, &d, p, len, NULL);
}

void sipt__strans_on_request(struct sipt *s, struct sipt_flow *f,
			     const struct sip_msg *m)
{
	struct sipt_strans *st;
	struct hmap_node *n;
	struct buf key;

	buf_init(&key);
	strans_key(m, &key);
	n = hmap_find(&s->strans, (struct sv){ key.data, key.len });
	if (n) {
		/* A retransmission (or the ACK of a non-2xx final). */
		st = hmap_entry(n, struct sipt_strans, node);
		if (m->method != SIP_METHOD_ACK && st->last.len &&
		    st->state != ST_TRYING)
			strans_send(st, st->last.data, st->last.len);
		goto out;
	}
	if (m->method == SIP_METHOD_ACK) {
		/* No transaction for ACK (§17.1.1.3); the TU sees it raw. */
		if (s->conf.request_cb)
			s->conf.request_cb(s, NULL, m, s->conf.arg);
		goto out;
	}
	st = strans_new(s, f, m, &key);
	if (!st)
		goto out;
	if (s->ntrans >= s->conf.limits.max_trans) {
		log_warn("sipt: transaction limit %u reached",
			 s->conf.limits.max_trans);
		sipt_strans_reply_status(st, 503, NULL, NULL);
		obj_unref(st);
		goto out;
	}
	if (!pending_begin(s, st)) {
		obj_unref(st);
		goto out;
	}
	/* The table owns the creation reference until Terminated. */
	hmap_insert(&s->strans, &st->node, (struct sv){ st->key, st->keylen });
	st->linked = true;
	s->ntrans++;
	obj_ref(st); /* the callback may end the transaction */
	if (!s->conf.request_cb)
		sipt_strans_reply_status(st, 501, NULL, NULL);
	else
		s->conf.request_cb(s, st, st->req, s->conf.arg);
	obj_unref(st);
out:
	buf_close(&key);
}

/* Reads the status code of "SIP/2.0 200 ..." (§7.2). */
static int status_of(const char *p, size_t len)
{
	int st = 0;

	if (len < 12 || strncmp(p, "SIP/2.0 ", 8))
		return -EINVAL;
	for (size_t i = 8; i < 11; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		st = st * 10 + (p[i] - '0');
	}
	return st >= 100 ? st : -EINVAL;
}

int sipt_strans_reply(struct sipt_strans *st, const char *p, size_t len)
{
	int status = status_of(p, len);
	int err;

	if (!st->s || st->s->closing)
		return -ECANCELED;
	if (st->state >= ST_COMPLETED)
		return -EPROTO;
	if (status < 0)
		return status;
	buf_reset(&st->last);
	buf_append(&st->last, p, len);
	err = strans_send(st, p, len);
	if (status < 200) {
		st->state = ST_PROCEEDING;
		return err;
	}
	st->state = ST_COMPLETED;
	pending_end(st->s, st);
	/* Only the key and the last response are needed from now on. */
	free(st->req);
	free(st->raw);
	st->req = NULL;
	st->raw = NULL;
	/* Timer J absorbs request retransmissions on UDP only; a transport
	 * error ends the transaction at once (§17.2.4). */
	if (st->linked && !st->flow->stream && !err)
		sipt__tmr_start(st->s, &st->tj, 64u * st->s->conf.timers.t1,
				timer_j_cb, st);
	else
		strans_terminate(st);
	return err;
}

int sipt_strans_reply_status(struct sipt_strans *st, int status,
			     const char *reason, const char *to_tag)
{
	struct buf b;
	int err;

	if (!st->req)
		return -EPROTO; /* already answered */
	buf_init(&b);
	sip_print_response(&b, st->req, status, reason, to_tag);
	err = sipt_strans_reply(st, b.data, b.len);
	buf_close(&b);
	return err;
}

const struct sip_msg *sipt_strans_req(const struct sipt_strans *st)
{
	return st->req;
}

struct sipt_flow *sipt_strans_flow(const struct sipt_strans *st)
{
	return st->flow;
}

void sipt_print_response_start(struct buf *b, const struct sipt_strans *st,
			       int status, const char *reason,
			       const char *to_tag)
{
	if (st->req) /* NULL once answered: nothing to answer any more */
		sip_print_response_start(b, st->req, status, reason, to_tag);
}

void sipt__strans_drop_all(struct sipt *s)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;
	struct sipt_strans *st;

	while ((n = hmap_iter_next(&s->strans, &it))) {
		st = hmap_entry(n, struct sipt_strans, node);
		hmap_remove(&s->strans, n);
		st->linked = false;
		s->ntrans--;
		sipt__tmr_stop(s, &st->tj);
		pending_end(s, st);
		st->s = NULL;
		if (!st->flow->linked)
			st->flow->sipt = NULL;
		obj_unref(st);
	}
}
