/*
 * range.c - [range] the enterprise WWS registers its block of IMPUs with
 * the WSF (TR 23.701 Figure 6.X.2.1.3.2-1 step 1): one GIN-shaped REGISTER
 * (RFC 6140) over WSS, as a browser would connect (lib/wsflow: Origin,
 * subprotocol sip), answered 401 with the IMS Digest credentials of the
 * block (TS 24.229 §5.1.1.2, lib/digest), refreshed before expiry
 * (§5.1.1.4), removed at shutdown. The exact shape is in wws.h.
 *
 * Its own sipt stack has no listener: it sends only over the WebSocket
 * flow, whose Via and Contact host is a random ".invalid" name (RFC 7118
 * §5.2). Everything it sends and receives is traced (SIP by the stack,
 * the upgrade and close frames by lib/wsflow).
 */
#include "wws_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"
#include "ims/ims.h"
#include "sipt/sipt.h"
#include "wsflow/wsflow.h"

#define RANGE_CLOSE_MS 2000 /* the de-registration at shutdown, at most */
#define RANGE_MAX_CHAL 8
#define RANGE_ALGS                                                             \
	(DIGEST_ALG_BIT(DIGEST_ALG_MD5) | DIGEST_ALG_BIT(DIGEST_ALG_SHA256))

enum range_state { RS_PENDING = 0, RS_REGISTERED, RS_FAILED };
enum range_op { OP_NONE = 0, OP_REGISTER, OP_DEREGISTER };

static const char *const state_names[] = { "pending", "registered",
					   "failed" };

struct wws_range {
	struct wws *w; /* borrowed: the owner */
	struct wsflow_url url;
	char origin[128];
	char *aor;	       /* owned: the block as a SIP URI (escaped) */
	char *ruri;	       /* owned: sip:<ims_domain> */
	struct tls_ctx *tls;   /* owned; freed once the flow is gone */
	struct sipt *sipt;     /* owned */
	struct wsflow *flow;   /* owned reference; NULL: none */
	struct sipt_ctrans *ct; /* borrowed: the REGISTER in flight */
	uv_timer_t timer;      /* refresh, retry, or the bound at stop */
	enum range_state state;
	enum range_op op;
	int status;   /* last final SIP status, 0 none */
	long expires; /* granted */
	char via_host[32], contact[64], call_id[64];
	char from_tag[SIPT_TAG_MAX];
	uint32_t cseq, nc;
	char *chal; /* owned: the challenge answered last */
	bool answered, stale_used, wait_flow, stopping, finished;
	int nclosing; /* handles still closing at the end */
};

static void send_register(struct wws_range *r);

/* ---- end ---------------------------------------------------------------- */

static void release(struct wws_range *r)
{
	struct wws *w = r->w;

	if (--r->nclosing)
		return;
	tls_ctx_free(r->tls);
	free(r->chal);
	free(r->aor);
	free(r->ruri);
	free(r);
	w->range = NULL;
	wws__maybe_free(w);
}

static void on_timer_closed(uv_handle_t *h)
{
	release(h->data);
}

static void on_sipt_closed(void *arg)
{
	release(arg);
}

static void on_flow_gone(void *arg)
{
	release(arg);
}

/* Drops everything; r goes once every handle is closed. */
static void finish(struct wws_range *r)
{
	if (r->finished)
		return;
	r->finished = true;
	log_info("range %s: stopped (%s)", r->aor, state_names[r->state]);
	if (r->ct)
		sipt_ctrans_abandon(r->ct);
	r->ct = NULL;
	/* the timer and the stack close from the loop, so r outlives the
	 * flow's callback even when that one comes at once */
	r->nclosing = 2 + (r->flow != NULL);
	uv_close((uv_handle_t *)&r->timer, on_timer_closed);
	sipt_close(r->sipt, on_sipt_closed, r);
	if (r->flow)
		wsflow_close_then(r->flow, on_flow_gone, r);
	r->flow = NULL;
}

/* ---- outcomes ------------------------------------------------------------ */

static void timer_cb(uv_timer_t *t);

static void fail(struct wws_range *r, int status, struct sv reason, bool retry)
{
	long after = r->w->conf->range_retry_s;

	r->op = OP_NONE;
	r->state = RS_FAILED;
	r->status = status;
	if (r->stopping) {
		finish(r);
		return;
	}
	retry = retry && after > 0;
	log_warn("range %s: registration failed: %d %.*s%s", r->aor, status,
		 SV_ARG(reason), retry ? "; trying again later" : "");
	if (retry)
		uv_timer_start(&r->timer, timer_cb, (uint64_t)after * 1000, 0);
}

/* RFC 3261 §10.2.4: our binding's expires (the bnc Contact), else the
 * Expires header; 0 if our Contact is not there. */
static long granted(const struct wws_range *r, const struct sip_msg *m)
{
	struct sip_list_iter it = { 0 };
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_EXPIRES);
	struct sip_uri mine;
	struct sip_addr a;
	struct sv el, v;
	uint64_t n = 0, hdr = 0;

	if (h && sv_to_u64(sv_trim(h->value), INT32_MAX, &n) == 0)
		hdr = n;
	if (sip_uri_parse(&mine, sv_from_cstr(r->contact), NULL))
		return 0;
	while (sip_list_iter_next(m, SIP_HDR_CONTACT, &it, &el)) {
		if (sip_addr_parse(&a, el, NULL) || a.star ||
		    !sip_uri_eq(&a.uri, &mine))
			continue;
		if (sip_param_get(a.params, "expires", &v) == 0 &&
		    sv_to_u64(v, INT32_MAX, &n) == 0)
			return (long)n;
		return hdr ? (long)hdr : r->w->conf->range_expires;
	}
	return 0;
}

/* TS 24.229 §5.1.1.4.1: 600 s before expiry when it lasts more than
 * 1200 s, else at half time. */
static uint64_t refresh_ms(long expires)
{
	if (expires > 1200)
		return (uint64_t)(expires - 600) * 1000u;
	return (uint64_t)expires * 500u;
}

static void registered(struct wws_range *r, const struct sip_msg *m)
{
	const struct sip_hdr *pau = sip_hdr_find(m, SIP_HDR_P_ASSOCIATED_URI);
	long exp = granted(r, m);

	if (exp <= 0) {
		fail(r, 200, SV("no binding granted"), false);
		return;
	}
	r->op = OP_NONE;
	r->state = RS_REGISTERED;
	r->status = 200;
	r->expires = exp;
	log_info("range %s: registered for %ld s with %s; "
		 "P-Associated-URI: %.*s",
		 r->aor, exp, r->w->conf->wsf_url,
		 pau ? (int)pau->value.len : 1, pau ? pau->value.p : "-");
	uv_timer_start(&r->timer, timer_cb, refresh_ms(exp), 0);
}

/* RFC 3261 §22.2, RFC 8760 §2.4: answer the first challenge we can; a
 * second one after answering means wrong credentials, unless it only
 * found our nonce stale (RFC 7616 §3.3: answered once more). */
static void challenged(struct wws_range *r, const struct sip_msg *m)
{
	struct sv vals[RANGE_MAX_CHAL];
	struct digest_chal *ch = xmalloc(sizeof(*ch));
	const struct sip_hdr *h;
	size_t n = 0, idx = 0;

	for (h = sip_hdr_find(m, SIP_HDR_WWW_AUTHENTICATE);
	     h && n < RANGE_MAX_CHAL; h = sip_hdr_next(m, h))
		vals[n++] = h->value;
	if (digest_chal_select(ch, &idx, vals, n, RANGE_ALGS)) {
		fail(r, 401, SV("no challenge we can answer"), false);
		goto out;
	}
	if (r->answered && (!ch->stale || r->stale_used)) {
		fail(r, 401, SV("wrong credentials"), false);
		goto out;
	}
	r->stale_used |= r->answered;
	free(r->chal);
	r->chal = sv_dup(vals[idx]);
	r->nc = 0;
	r->answered = true;
	send_register(r);
out:
	free(ch);
}

static void on_response(struct sipt *s, struct sipt_ctrans *ct,
			const struct sip_msg *resp, int err, void *arg)
{
	struct wws_range *r = arg;

	UNUSED(s);
	UNUSED(ct);
	if (resp->status < 200)
		return;
	r->ct = NULL;
	if (r->op == OP_DEREGISTER && resp->status != 401) {
		log_info("range %s: de-registered: %d %.*s", r->aor,
			 resp->status, SV_ARG(resp->reason));
		r->state = RS_PENDING;
		finish(r);
		return;
	}
	if (err) { /* local: Timer F (408) or the flow is gone (503) */
		fail(r, resp->status, resp->reason, true);
		return;
	}
	switch (resp->status) {
	case 200:
		registered(r, resp);
		break;
	case 401:
		challenged(r, resp);
		break;
	default: /* a refusal is final; the network's troubles are not */
		fail(r, resp->status, resp->reason,
		     resp->status == 408 || resp->status >= 500);
		break;
	}
}

/* ---- sending ------------------------------------------------------------- */

static void on_flow(struct wsflow *f, int err, void *arg)
{
	struct wws_range *r = arg;
	bool waiting = r->wait_flow;

	UNUSED(f);
	r->wait_flow = false;
	if (!err) {
		if (waiting)
			send_register(r);
		return;
	}
	/* The flow is gone (its connection closed), and the registration
	 * with it: the WSF binds the block to this connection. A new one
	 * registers again. */
	wsflow_close(r->flow);
	r->flow = NULL;
	if (waiting || r->op != OP_NONE) {
		struct sv why = err == -EPROTO
					? SV("WebSocket refused or TLS failure")
					: sv_from_cstr(strerror(-err));

		fail(r, 0, why, true);
	} else if (r->state == RS_REGISTERED && !r->stopping) {
		log_warn("range %s: WebSocket to the WSF lost: registering "
			 "again",
			 r->aor);
		r->state = RS_PENDING;
		uv_timer_start(&r->timer, timer_cb, 1000, 0);
	}
}

/* The flow, open and linked: true; else opens it (the REGISTER waits). */
static bool flow_ready(struct wws_range *r)
{
	struct wws *w = r->w;
	int rc;

	if (wsflow_ready(r->flow))
		return true;
	r->wait_flow = true;
	if (r->flow)
		return false; /* still connecting */
	rc = wsflow_open(&r->flow, w->loop, r->sipt,
			 &(struct wsflow_conf){ .url = &r->url,
						.tls = r->tls,
						.origin = r->origin,
						.trace = w->trace },
			 w->rng, on_flow, r);
	if (rc) {
		r->wait_flow = false;
		fail(r, 0, sv_from_cstr(uv_strerror(rc)), true);
	}
	return false;
}

/* Authorization: the answer to the kept challenge with the next nonce
 * count, or the IMS initial form (TS 24.229 §5.1.1.2.2). */
static int auth_print(struct wws_range *r, struct buf *b)
{
	const struct wws_conf *c = r->w->conf;
	struct digest_chal *ch;
	int rc;

	if (!r->chal) {
		digest_auth_print_initial(b, sv_from_cstr(c->range_impi),
					  sv_from_cstr(c->ims_domain));
		return 0;
	}
	ch = xmalloc(sizeof(*ch));
	rc = digest_chal_parse(ch, sv_from_cstr(r->chal), NULL);
	if (!rc)
		rc = digest_auth_print(
			b, ch,
			&(struct digest_answer){
				.username = sv_from_cstr(c->range_impi),
				.password = sv_from_cstr(c->range_password),
				.method = SV("REGISTER"),
				.uri = sv_from_cstr(r->ruri),
				.nc = ++r->nc,
			},
			r->w->rng);
	free(ch);
	return rc;
}

/* The GIN REGISTER (RFC 6140; its shape is documented in wws.h). */
static void send_register(struct wws_range *r)
{
	bool dereg = r->op == OP_DEREGISTER;
	struct sipt_dest d = { 0 };
	char branch[SIPT_BRANCH_MAX];
	struct buf b, auth;
	int rc;

	if (!flow_ready(r))
		return;
	buf_init(&b);
	buf_init(&auth);
	rc = auth_print(r, &auth);
	if (rc)
		goto out;
	sipt_branch_new(r->sipt, branch);
	sip_print_request_line(&b, "REGISTER", sv_from_cstr(r->ruri));
	/* RFC 7118 §5.2: a sent-by that is never resolved */
	sip_print_hdrf(&b, "Via", "SIP/2.0/%s %s;branch=%s;rport",
		       sipt_proto_name(wsflow_proto(r->flow)), r->via_host,
		       branch);
	sip_print_hdrf(&b, "Max-Forwards", "70");
	sip_print_hdrf(&b, "From", "<%s>;tag=%s", r->aor, r->from_tag);
	sip_print_hdrf(&b, "To", "<%s>", r->aor);
	sip_print_hdrf(&b, "Call-ID", "%s", r->call_id);
	sip_print_hdrf(&b, "CSeq", "%u REGISTER", ++r->cseq);
	sip_print_hdrf(&b, "Contact", "<%s>;expires=%ld", r->contact,
		       dereg ? 0L : r->w->conf->range_expires);
	sip_print_hdrf(&b, "Require", "gin");
	sip_print_hdrf(&b, "Proxy-Require", "gin");
	sip_print_hdrf(&b, "Supported", "path, gin");
	sip_print_hdr(&b, "Authorization", (struct sv){ auth.data, auth.len });
	sip_print_hdrf(&b, "User-Agent", "imstb-wws (enterprise)");
	sip_print_end(&b, NULL, NULL, 0);
	d.proto = wsflow_proto(r->flow);
	d.flow = wsflow_sipt(r->flow);
	rc = sipt_ctrans_send(r->sipt, &d, b.data, b.len, on_response, r,
			      &r->ct);
out:
	buf_close(&b);
	buf_close(&auth);
	if (rc) {
		r->ct = NULL;
		fail(r, 0, sv_from_cstr(strerror(-rc)), true);
	}
}

/* A new registration (first, retry) or a refresh: same Call-ID, next
 * CSeq (RFC 3261 §10.2.4); the kept challenge is answered again. */
static void op_start(struct wws_range *r, enum range_op op)
{
	r->op = op;
	r->answered = false;
	r->stale_used = false;
	send_register(r);
}

static void timer_cb(uv_timer_t *t)
{
	struct wws_range *r = t->data;

	if (r->stopping) {
		log_warn("range %s: no answer to the de-registration in %d ms",
			 r->aor, RANGE_CLOSE_MS);
		finish(r);
		return;
	}
	if (r->op == OP_NONE)
		op_start(r, OP_REGISTER);
}

/* ---- lifecycle ----------------------------------------------------------- */

static void sip_trace(struct sipt *s, enum sipt_dir dir, const char *transport,
		      const struct sockaddr *local, const struct sockaddr *peer,
		      const char *bytes, size_t len, void *arg)
{
	struct wws *w = arg;

	UNUSED(s);
	app_trace_sip(w->trace, dir == SIPT_SEND, transport, local, peer, bytes,
		      len);
}

/* The Origin a browser would send for a page of ours: the issuer's
 * scheme, host and port (RFC 6454 §6.1). */
static void origin_of(const char *issuer, char *out, size_t n)
{
	const char *p = strstr(issuer, "://");
	size_t len = strlen(issuer);

	if (p && (p = strchr(p + 3, '/')))
		len = (size_t)(p - issuer);
	snprintf(out, n, "%.*s", (int)len, issuer);
}

int wws__range_start(struct wws *w, char *err, size_t errlen)
{
	const struct wws_conf *c = w->conf;
	struct wws_range *r = xcalloc(1, sizeof(*r));
	struct sipt_conf sc = { 0 };
	char hex[25], host[13];
	const char *why = "";
	struct buf b;
	int rc;

	r->w = w;
	rc = wsflow_url_parse(&r->url, c->wsf_url, &why);
	if (rc) {
		snprintf(err, errlen, "wsf_url: %s", why);
		goto fail;
	}
	if (r->url.tls) {
		rc = tls_ctx_client_new(&r->tls,
					c->wsf_ca_file[0] ? c->wsf_ca_file
							  : NULL,
					err, errlen);
		if (!rc && c->keylog_file[0])
			rc = tls_ctx_keylog(r->tls, c->keylog_file);
		if (rc)
			goto fail;
	}
	origin_of(c->issuer, r->origin, sizeof(r->origin));
	buf_init(&b);
	ims_impu_escape(sv_from_cstr(ims_wildcard_text(w->block)), &b);
	r->aor = buf_steal(&b, NULL);
	buf_init(&b);
	buf_printf(&b, "sip:%s", c->ims_domain);
	r->ruri = buf_steal(&b, NULL);
	rng_hex(w->rng, host, 12);
	snprintf(r->via_host, sizeof(r->via_host), "%s.invalid", host);
	snprintf(r->contact, sizeof(r->contact), "sip:%s;transport=ws;bnc",
		 r->via_host);
	rng_hex(w->rng, hex, 24);
	snprintf(r->call_id, sizeof(r->call_id), "%s@%s", hex, r->via_host);
	/* No listener: the stack sends over the WebSocket only. */
	sc.via_host = r->via_host;
	sc.rng = w->rng;
	sc.trace_cb = sip_trace;
	sc.arg = w;
	rc = sipt_new(&r->sipt, w->loop, &sc);
	if (rc) {
		snprintf(err, errlen, "SIP stack: %s", uv_strerror(rc));
		goto fail;
	}
	sipt_tag_new(r->sipt, r->from_tag);
	uv_timer_init(w->loop, &r->timer);
	r->timer.data = r;
	w->range = r;
	log_info("range %s: registering with %s (IMPI %s, Origin %s)", r->aor,
		 c->wsf_url, c->range_impi, r->origin);
	op_start(r, OP_REGISTER);
	return 0;
fail:
	tls_ctx_free(r->tls);
	free(r->aor);
	free(r->ruri);
	free(r);
	return rc < 0 ? rc : -EINVAL;
}

void wws__range_stop(struct wws *w)
{
	struct wws_range *r = w->range;

	if (!r || r->stopping)
		return;
	r->stopping = true;
	uv_timer_stop(&r->timer);
	if (r->ct)
		sipt_ctrans_abandon(r->ct);
	r->ct = NULL;
	r->wait_flow = false;
	if (r->state != RS_REGISTERED || !wsflow_ready(r->flow)) {
		finish(r);
		return;
	}
	/* RFC 3261 §10.2.2: expires=0 for our binding; a 401 is answered
	 * within the same bound. */
	uv_timer_start(&r->timer, timer_cb, RANGE_CLOSE_MS, 0);
	r->op = OP_DEREGISTER;
	r->answered = false;
	r->stale_used = false;
	send_register(r);
}

const char *wws__range_state(const struct wws *w, int *status, long *expires)
{
	const struct wws_range *r = w->range;

	*status = r ? r->status : 0;
	*expires = r && r->state == RS_REGISTERED ? r->expires : 0;
	return state_names[r ? r->state : RS_PENDING];
}
