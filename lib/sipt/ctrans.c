/*
 * ctrans.c - non-INVITE client transactions (RFC 3261 §17.1.2).
 *
 * States: Trying -> (1xx) Proceeding -> (>=200) Completed -> (Timer K)
 * Terminated. On UDP the request is retransmitted by Timer E, starting at
 * T1 and doubling up to T2 (in Proceeding: every T2). Timer F (64*T1) ends
 * a transaction that got no final response with a local 408 (§17.1.2.2);
 * a transport error ends it with a local 503 (§8.1.3.1). Responses match
 * by top Via branch and CSeq method (§17.1.3).
 */
#include "sipt/sipt_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum ct_state { CT_TRYING, CT_PROCEEDING, CT_COMPLETED, CT_TERMINATED };

struct sipt_ctrans {
	struct hmap_node node;  /* in s->ctrans while linked */
	struct sipt *s;         /* borrowed; NULL once detached */
	enum ct_state state;
	bool linked;
	bool waiting;           /* counted in flow->waiting */
	char *key;              /* owned: branch "\n" method */
	size_t keylen;
	char *raw;              /* owned: the request as sent */
	size_t len;
	struct sv method;       /* view into raw */
	struct sipt_flow *flow; /* owned reference */
	unsigned e_ms;          /* current Timer E interval */
	struct sipt__tmr te, tf, tk;
	sipt_resp_cb *cb;
	void *arg;
};

static void ct_dtor(void *o)
{
	struct sipt_ctrans *ct = o;

	free(ct->key);
	free(ct->raw);
	obj_unref(ct->flow);
}

static void ct_timers_stop(struct sipt_ctrans *ct)
{
	sipt__tmr_stop(ct->s, &ct->te);
	sipt__tmr_stop(ct->s, &ct->tf);
	sipt__tmr_stop(ct->s, &ct->tk);
}

/* ct no longer waits for a final response on its flow. */
static void ct_unwait(struct sipt_ctrans *ct)
{
	if (ct->waiting) {
		ct->waiting = false;
		ct->flow->waiting--;
	}
}

static void ct_terminate(struct sipt_ctrans *ct)
{
	struct sipt *s = ct->s;

	ct_unwait(ct);
	ct->state = CT_TERMINATED;
	if (!ct->linked)
		return;
	ct_timers_stop(ct);
	hmap_remove(&s->ctrans, &ct->node);
	ct->linked = false;
	s->ntrans--;
	obj_unref(ct); /* the table's reference */
}

static void timer_k_cb(void *arg)
{
	ct_terminate(arg);
}

/* Hands a response to the TU; err != 0 marks a locally made one. */
static void ct_deliver(struct sipt_ctrans *ct, const struct sip_msg *m,
		       int err)
{
	bool final = m->status >= 200;

	if (final) {
		ct_unwait(ct);
		ct->state = CT_COMPLETED;
		sipt__tmr_stop(ct->s, &ct->te);
		sipt__tmr_stop(ct->s, &ct->tf);
	} else {
		ct->state = CT_PROCEEDING;
	}
	obj_ref(ct); /* the callback may abandon ct or close the stack */
	if (ct->cb)
		ct->cb(ct->s, ct, m, err, ct->arg);
	if (final) {
		/* Nothing is sent or synthesized any more: only the key
		 * outlives Timer K (a load test keeps thousands Completed). */
		free(ct->raw);
		ct->raw = NULL;
	}
	if (final && ct->linked) {
		/* Timer K keeps absorbing response retransmissions on UDP. */
		if (!err && !ct->flow->stream)
			sipt__tmr_start(ct->s, &ct->tk, ct->s->conf.timers.t4,
					timer_k_cb, ct);
		else
			ct_terminate(ct);
	}
	obj_unref(ct);
}

/* The request is parsed only here, on the rare path where the stack
 * answers itself (sipt_ctrans_send only peeks at it). */
static void ct_synth(struct sipt_ctrans *ct, int status, int err)
{
	struct sip_msg *req = xmalloc(sizeof(*req));
	struct sip_msg *m = xmalloc(sizeof(*m));
	char *copy = xmemdup(ct->raw, ct->len); /* parsing may unfold */
	struct buf b;

	buf_init(&b);
	if (sip_msg_parse(req, copy, ct->len, false, NULL) == 0) {
		sip_print_response(&b, req, status, NULL, NULL);
	}
	if (b.len && sip_msg_parse(m, b.data, b.len, false, NULL) == 0) {
		ct_deliver(ct, m, err);
	} else {
		log_error("sipt: cannot build a local %d", status);
		ct_terminate(ct);
	}
	free(m);
	free(req);
	free(copy);
	buf_close(&b);
}

static void timer_e_cb(void *arg)
{
	struct sipt_ctrans *ct = arg;
	const struct sipt_timers *t = &ct->s->conf.timers;

	if (ct->state != CT_TRYING && ct->state != CT_PROCEEDING)
		return;
	sipt__flow_send(ct->flow, ct->raw, ct->len);
	if (ct->state == CT_PROCEEDING)
		ct->e_ms = t->t2;
	else
		ct->e_ms = 2 * ct->e_ms < t->t2 ? 2 * ct->e_ms : t->t2;
	sipt__tmr_start(ct->s, &ct->te, ct->e_ms, timer_e_cb, ct);
}

static void timer_f_cb(void *arg)
{
	struct sipt_ctrans *ct = arg;

	if (ct->state == CT_TRYING || ct->state == CT_PROCEEDING)
		ct_synth(ct, 408, -ETIMEDOUT);
}

static void key_make(struct buf *k, struct sv branch, struct sv method)
{
	buf_putsv(k, branch);
	buf_puts(k, "\n");
	buf_putsv(k, method);
}

int sipt_ctrans_send(struct sipt *s, const struct sipt_dest *d,
		     const char *req, size_t len, sipt_resp_cb *cb, void *arg,
		     struct sipt_ctrans **out)
{
	struct sipt_ctrans *ct;
	struct sip_via via;
	struct buf key;
	int err = 0;

	if (s->closing)
		return -EPROTO;
	if (!cb || !req || !len)
		return -EINVAL;
	ct = obj_new(sizeof(*ct), ct_dtor);
	ct->s = s;
	ct->cb = cb;
	ct->arg = arg;
	ct->raw = xmemdup(req, len);
	ct->len = len;
	buf_init(&key);
	if (sip_msg_peek_request(ct->raw, len, &ct->method, &via) ||
	    sv_eq_cstr(ct->method, "ACK") ||
	    !sv_starts_with(via.branch, "z9hG4bK")) {
		err = -EINVAL;
		goto out;
	}
	key_make(&key, via.branch, ct->method);
	if (hmap_find(&s->ctrans, (struct sv){ key.data, key.len })) {
		err = -EEXIST;
		goto out;
	}
	if (s->ntrans >= s->conf.limits.max_trans) {
		err = -EBUSY;
		goto out;
	}
	err = sipt__send_dest(s, d, ct->raw, len, &ct->flow);
	if (err)
		goto out;
	ct->key = buf_steal(&key, &ct->keylen);
	hmap_insert(&s->ctrans, &ct->node, (struct sv){ ct->key, ct->keylen });
	ct->linked = true;
	s->ntrans++;
	ct->waiting = true;
	ct->flow->waiting++;
	if (!ct->flow->stream) {
		ct->e_ms = s->conf.timers.t1;
		sipt__tmr_start(s, &ct->te, ct->e_ms, timer_e_cb, ct);
	}
	sipt__tmr_start(s, &ct->tf, 64u * s->conf.timers.t1, timer_f_cb, ct);
	if (out)
		*out = ct;
	ct = NULL; /* the table owns it now */
out:
	buf_close(&key);
	obj_unref(ct);
	return err;
}

void sipt__ctrans_on_response(struct sipt *s, struct sipt_flow *f,
			      const struct sip_msg *m)
{
	struct sipt_ctrans *ct = NULL;
	struct hmap_node *n;
	struct buf key;

	buf_init(&key);
	key_make(&key, m->via.branch, m->cseq_method);
	n = hmap_find(&s->ctrans, (struct sv){ key.data, key.len });
	buf_close(&key);
	if (n)
		ct = hmap_entry(n, struct sipt_ctrans, node);
	if (!ct) {
		if (s->conf.stray_cb)
			s->conf.stray_cb(s, f, m, s->conf.arg);
		else
			log_debug("sipt: stray %d dropped", m->status);
		return;
	}
	if (ct->state == CT_COMPLETED)
		return; /* a retransmitted final: absorbed (§17.1.2.2) */
	ct_deliver(ct, m, 0);
}

void sipt__ctrans_flow_failed(struct sipt *s, struct sipt_flow *f, int err)
{
	struct hmap_iter it;
	struct hmap_node *n;
	struct sipt_ctrans *ct;

	/* Restart the walk after each callback: it may change the table. The
	 * flow's count skips the walk for a flow nothing waits on (a closing
	 * WebSocket, a thousand times at a wsf's shutdown). */
	while (f->waiting) {
		it = (struct hmap_iter){ 0 };
		while ((n = hmap_iter_next(&s->ctrans, &it))) {
			ct = hmap_entry(n, struct sipt_ctrans, node);
			if (ct->flow == f && (ct->state == CT_TRYING ||
					      ct->state == CT_PROCEEDING))
				break;
		}
		if (!n || s->closing)
			return;
		ct_synth(ct, 503, err ? err : -ECONNRESET);
	}
}

void sipt_ctrans_abandon(struct sipt_ctrans *ct)
{
	ct->cb = NULL;
	if (ct->s)
		ct_terminate(ct);
}

struct sipt_flow *sipt_ctrans_flow(const struct sipt_ctrans *ct)
{
	return ct->flow;
}

void sipt__ctrans_drop_all(struct sipt *s)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;
	struct sipt_ctrans *ct;

	while ((n = hmap_iter_next(&s->ctrans, &it))) {
		ct = hmap_entry(n, struct sipt_ctrans, node);
		ct_timers_stop(ct);
		hmap_remove(&s->ctrans, n);
		ct->linked = false;
		ct->cb = NULL;
		s->ntrans--;
		ct->s = NULL;
		if (!ct->flow->linked)
			ct->flow->sipt = NULL;
		obj_unref(ct);
	}
}
