/*
 * proxy.c - the wsf's SIP side: a stateful proxy (RFC 3261 §16) between
 * WebSocket flows and the P-CSCF, in the role TS 24.371 gives the eP-CSCF
 * and TR 23.701 Figure 6.X.2.1.2.2-1 gives the WSF (steps 5-14).
 *
 * From a client: everything goes to the P-CSCF. A REGISTER gets our Path
 * with the flow token (RFC 5626 §5.2, ";ob"), other requests a
 * Record-Route with it (so mid-dialog requests find the socket too);
 * X-IMS-Credential never leaves. From IMS: a request whose top Route (or
 * Request-URI) carries one of our flow tokens goes to that connection.
 *
 * challenge = terminate (TR 23.701 NOTE 3): a 401 to a REGISTER whose flow
 * holds the client's credential is answered here (lib/digest), with the
 * CSeq mapping described in wsf.h; the client sees only the final answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"
#include "wsf_int.h"

#define MAX_CHALS 8 /* WWW-Authenticate values looked at in one 401 */
#define CRED_HDR "X-IMS-Credential"

/* A request forwarded, waiting for its answer. */
struct wsf__fwd {
	struct wsf__fwd *prev, *next; /* in w->inflight */
	struct wsf *w;
	struct sipt_strans *st;	 /* one reference */
	struct wsf_flow *client; /* reference; NULL: the request is from IMS */
	uint32_t cseq;		 /* the client's own CSeq number */
	bool mapped;		 /* forwarded with another CSeq: restore it */
	bool answered;		 /* the wsf already answered a challenge */
};

static struct wsf__fwd *fwd_new(struct wsf *w, struct sipt_strans *st,
				struct wsf_flow *client)
{
	struct wsf__fwd *fw = xcalloc(1, sizeof(*fw));

	fw->w = w;
	fw->st = obj_ref(st);
	fw->client = client ? obj_ref(client) : NULL;
	fw->cseq = sipt_strans_req(st)->cseq;
	fw->next = w->inflight;
	if (fw->next)
		fw->next->prev = fw;
	w->inflight = fw;
	return fw;
}

static void fwd_free(struct wsf__fwd *fw)
{
	if (fw->prev)
		fw->prev->next = fw->next;
	else
		fw->w->inflight = fw->next;
	if (fw->next)
		fw->next->prev = fw->prev;
	obj_unref(fw->st);
	obj_unref(fw->client);
	free(fw);
}

void wsf__proxy_close(struct wsf *w)
{
	while (w->inflight)
		fwd_free(w->inflight);
}

/* "<sip:TOKEN@host:port;transport=udp;lr;ob>" */
static void flow_uri_print(const struct wsf *w, const struct wsf_flow *f,
			   char *out, size_t n)
{
	snprintf(out, n, "<sip:%s@%s:%u;transport=%s;lr;ob>", f->token, w->host,
		 w->sip_port, w->pcscf_tp);
}

/* ---- relaying responses ----------------------------------------------- */

static void relay(struct wsf__fwd *fw, const struct sip_msg *resp)
{
	struct sipt_hdr_edit ed[1];
	char cseq[64];
	struct buf out;
	size_t n = 0;

	if (fw->mapped) {
		/* The client gets its own CSeq back (see wsf.h). */
		snprintf(cseq, sizeof(cseq), "%u %.*s", fw->cseq,
			 SV_ARG(resp->cseq_method));
		ed[n++] = (struct sipt_hdr_edit){ SIPT_HDR_REPLACE, "CSeq",
						  sv_from_cstr(cseq) };
	}
	buf_init(&out);
	if (sipt_proxy_resp_print(resp, ed, n, &out) == 0)
		sipt_strans_reply(fw->st, out.data, out.len);
	else
		sipt_strans_reply_status(fw->st, 500, "Bad response upstream",
					 NULL);
	buf_close(&out);
}

static void on_response(struct sipt *s, struct sipt_ctrans *ct,
			const struct sip_msg *resp, int err, void *arg);

/* ---- towards IMS ------------------------------------------------------ */

/*
 * The wsf is the edge: only it may assert integrity-protected (TNA,
 * tokencheck.c), and the P-CSCF keeps the parameter from it
 * (trusted_edges). A client's own integrity-protected="auth-done" would
 * otherwise register any IMPU without a password: it is dropped here, as
 * the P-CSCF does for UEs (TS 24.229 §5.2.2.1). true with the cleaned
 * value in out if the client's Authorization carried one.
 */
static bool auth_strip(const struct sip_msg *req, struct buf *out)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	static const char name[] = "integrity-protected";
	const size_t k = sizeof(name) - 1;
	bool found = false;

	for (size_t i = 0; h && !found && i + k <= h->value.len; i++)
		found = sv_casecmp_cstr((struct sv){ h->value.p + i, k }, name);
	if (!found)
		return false;
	if (digest_param_replace(out, h->value, name, SV_NULL))
		buf_puts(out, "Digest"); /* unparsable: no credentials at all */
	log_warn("client request with integrity-protected in its "
		 "Authorization: the parameter is dropped (only the wsf "
		 "asserts it)");
	return true;
}

/* Forwards req (the client's, as stamped) to the P-CSCF with CSeq + off
 * and, if auth is set, that Authorization instead of the client's. */
static int to_ims(struct wsf__fwd *fw, const struct sip_msg *req,
		  uint32_t off, struct sv auth)
{
	struct wsf *w = fw->w;
	struct sipt_hdr_edit ed[4];
	char branch[SIPT_BRANCH_MAX], uri[160], cseq[64];
	struct buf out, clean;
	size_t n = 0;
	int err;

	buf_init(&clean);
	if (!auth.len && auth_strip(req, &clean))
		auth = (struct sv){ clean.data, clean.len };
	flow_uri_print(w, fw->client, uri, sizeof(uri));
	ed[n++] = (struct sipt_hdr_edit){ SIPT_HDR_REMOVE, CRED_HDR, SV_NULL };
	/* RFC 3327 §4 / RFC 5626 §5.1: Path for a registration, Record-Route
	 * for the rest; either way the flow token brings requests back.
	 * JsSIP sends no "Supported: path": the P-CSCF adds Path anyway. */
	ed[n++] = (struct sipt_hdr_edit){
		SIPT_HDR_TOP,
		req->method == SIP_METHOD_REGISTER ? "Path" : "Record-Route",
		sv_from_cstr(uri)
	};
	if (off) {
		snprintf(cseq, sizeof(cseq), "%u %.*s", req->cseq + off,
			 SV_ARG(req->cseq_method));
		ed[n++] = (struct sipt_hdr_edit){ SIPT_HDR_REPLACE, "CSeq",
						  sv_from_cstr(cseq) };
		fw->mapped = true;
	}
	if (auth.len)
		ed[n++] = (struct sipt_hdr_edit){ SIPT_HDR_REPLACE,
						  "Authorization", auth };
	buf_init(&out);
	err = sipt_proxy_fwd_print(w->sipt, req,
				   &(struct sipt_fwd){ .proto = w->pcscf.proto,
						       .edits = ed,
						       .nedits = n },
				   &out, branch);
	if (!err)
		err = sipt_ctrans_send(w->sipt, &w->pcscf, out.data, out.len,
				       on_response, fw, NULL);
	buf_close(&out);
	buf_close(&clean);
	return err;
}

/*
 * NOTE 3: the wsf answers the challenge with the credential the client
 * handed over, as a UE would (RFC 3261 §22.2, RFC 8760 §2.4: the first
 * Digest challenge it can compute). 0 if the answered REGISTER is on its
 * way (fw then belongs to it).
 */
static int challenge_answer(struct wsf__fwd *fw, const struct sip_msg *resp)
{
	struct wsf_flow *f = fw->client;
	const struct sip_msg *req = sipt_strans_req(fw->st);
	struct digest_chal *ch = xmalloc(sizeof(*ch));
	struct sv vals[MAX_CHALS];
	const struct sip_hdr *h;
	struct buf auth;
	uint32_t off;
	size_t n = 0;
	int err;

	buf_init(&auth);
	for (h = sip_hdr_find(resp, SIP_HDR_WWW_AUTHENTICATE);
	     h && n < MAX_CHALS; h = sip_hdr_next(resp, h))
		vals[n++] = h->value;
	err = digest_chal_select(ch, NULL, vals, n, 0);
	if (!err)
		err = digest_auth_print(
			&auth, ch,
			&(struct digest_answer){
				.username = sv_from_cstr(f->impi),
				.password = sv_from_cstr(f->password),
				.method = req->method_str,
				.uri = req->ruri_str },
			fw->w->rng);
	if (err) {
		log_warn("flow %s: no Digest challenge the wsf can answer "
			 "(%s): the 401 goes to the client",
			 f->id, strerror(-err));
		goto out;
	}
	if (!f->cred_warned) {
		log_warn("challenge terminated at the wsf: the IMS credential "
			 "of %s is held by the WSF (TR 23.701 Editor's Note: "
			 "security FFS)",
			 f->impi);
		f->cred_warned = true;
	}
	off = wsf__flow_cseq_off(f, req->call_id) + 1;
	wsf__flow_cseq_set(f, req->call_id, off);
	fw->answered = true;
	err = to_ims(fw, req, off, (struct sv){ auth.data, auth.len });
	if (err)
		log_warn("flow %s: cannot send the answered REGISTER: %s",
			 f->id, strerror(-err));
out:
	buf_close(&auth);
	free(ch);
	return err;
}

static void on_response(struct sipt *s, struct sipt_ctrans *ct,
			const struct sip_msg *resp, int err, void *arg)
{
	struct wsf__fwd *fw = arg;
	struct wsf_flow *f = fw->client;
	const struct sip_msg *req;

	UNUSED(s);
	UNUSED(ct);
	UNUSED(err);
	if (resp->status == 100)
		return; /* §16.7 item 5 */
	if (resp->status == 401 && f &&
	    fw->w->conf->challenge == WSF_CHAL_TERMINATE && !fw->answered &&
	    sv_eq_cstr(resp->cseq_method, "REGISTER")) {
		if (!f->impi)
			log_info("flow %s: challenge=terminate but no %s was "
				 "given: the 401 goes to the client",
				 f->id, CRED_HDR);
		else if (challenge_answer(fw, resp) == 0)
			return;
	}
	/* Figure 6.X.2.1.3.2-1 steps 10-12: the block is the WWS's now. */
	req = sipt_strans_req(fw->st);
	if (f && resp->status >= 200 && req && wsf__range_is_gin(req))
		wsf__range_forwarded(fw->w, f, req, resp);
	relay(fw, resp);
	if (resp->status >= 200)
		fwd_free(fw);
}

/* ---- requests from a client ------------------------------------------- */

/* `name="value"` (or name=token) into *name and val (quoted-pairs undone,
 * RFC 3261 §25.1). */
static int kv_parse(struct sv el, struct sv *name, struct buf *val)
{
	struct sv v;

	if (!sv_chr(el, '='))
		return -EBADMSG;
	v = sv_trim(sv_split(el, '=', name));
	*name = sv_trim(*name);
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
		for (size_t i = 1; i + 1 < v.len; i++) {
			if (v.p[i] == '\\' && i + 2 < v.len)
				i++;
			buf_append(val, v.p + i, 1);
		}
	} else {
		buf_putsv(val, v);
	}
	return name->len ? 0 : -EBADMSG;
}

/* X-IMS-Credential: impi="...", password="..." (our testbed header for
 * NOTE 3). 0 with both set, -EBADMSG otherwise. */
static int cred_parse(struct sv value, struct buf *impi, struct buf *pw)
{
	struct sv rest = value, el, name;
	struct buf v;
	int err = 0;

	buf_init(&v);
	while (!err && sip_list_next(&rest, &el)) {
		buf_reset(&v);
		err = kv_parse(el, &name, &v);
		if (err)
			break;
		if (sv_casecmp_cstr(name, "impi")) {
			buf_reset(impi);
			buf_append(impi, v.data, v.len);
		} else if (sv_casecmp_cstr(name, "password")) {
			buf_reset(pw);
			buf_append(pw, v.data, v.len);
		}
	}
	if (!err && (!impi->len || !pw->len))
		err = -EBADMSG;
	buf_close(&v);
	return err;
}

static void cred_take(struct wsf *w, struct wsf_flow *f,
		      const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find_name(req, CRED_HDR);
	struct buf impi, pw;

	if (!h)
		return;
	if (w->conf->challenge != WSF_CHAL_TERMINATE) {
		log_debug("flow %s: %s removed (challenge=forward)", f->id,
			  CRED_HDR);
		return;
	}
	if (!f->secure) {
		log_warn("flow %s: %s over plain ws ignored (WSS only)", f->id,
			 CRED_HDR);
		return;
	}
	buf_init(&impi);
	buf_init(&pw);
	if (cred_parse(h->value, &impi, &pw) == 0) {
		wsf__flow_cred_set(f, (struct sv){ impi.data, impi.len },
				   (struct sv){ pw.data, pw.len });
		log_info("flow %s: IMS credential of %s kept in the WSF for "
			 "challenge=terminate",
			 f->id, f->impi);
	} else {
		log_warn("flow %s: malformed %s ignored", f->id, CRED_HDR);
	}
	if (pw.len)
		memset(pw.data, 0, pw.len);
	buf_close(&impi);
	buf_close(&pw);
}

/*
 * Forwards the client's request held by st. The token check (tokencheck.c)
 * goes in front of it: it may run later (an HTTPS round trip to the WWS)
 * holding a reference to st, then calls this with the TNA Authorization
 * or answers st itself.
 */
void wsf__client_forward(struct wsf *w, struct sipt_strans *st,
			 struct wsf_flow *f, struct sv auth)
{
	const struct sip_msg *req = sipt_strans_req(st);
	struct wsf__fwd *fw = fwd_new(w, st, f);
	int err;

	err = to_ims(fw, req, wsf__flow_cseq_off(f, req->call_id), auth);
	if (err) {
		log_warn("flow %s: cannot reach the P-CSCF: %s", f->id,
			 strerror(-err));
		sipt_strans_reply_status(st, 503, "P-CSCF unreachable", NULL);
		fwd_free(fw);
	}
}

static void from_client(struct wsf *w, struct sipt_strans *st,
			const struct sip_msg *req, struct wsf_flow *f)
{
	char tag[SIPT_TAG_MAX];
	int status = 0;

	if (sipt_proxy_check(w->sipt, req, &status)) {
		sipt_strans_reply_status(st, status, NULL, NULL);
		return;
	}
	if (f->range_ended && req->method != SIP_METHOD_REGISTER) {
		/* Its IMPU's block was de-registered (range.c). */
		sipt_tag_new(w->sipt, tag);
		sipt_strans_reply_status(st, 403, "Registration ended: block "
					 "de-registered", tag);
		return;
	}
	if (wsf__range_is_gin(req)) {
		wsf__range_register(w, st, f); /* Figure 6.X.2.1.3.2-1 */
		return;
	}
	if (req->method == SIP_METHOD_REGISTER)
		cred_take(w, f, req);
	if (wsf__token_wanted(w, req))
		wsf__token_check(w, st, f); /* Figure 6.X.2.1.2.1-1 */
	else
		wsf__client_forward(w, st, f, SV_NULL);
}

/* ---- requests from IMS ------------------------------------------------ */

/* The flow token of a request for one of our clients: user part of a top
 * Route naming us (RFC 5626 §5.3), else of a Request-URI naming us. */
static struct sv token_of(struct wsf *w, const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_ROUTE);
	struct sv rest, el;
	struct sip_addr a;

	if (h) {
		rest = h->value;
		if (sip_list_next(&rest, &el) &&
		    !sip_addr_parse(&a, el, NULL) &&
		    sipt_uri_is_us(w->sipt, &a.uri))
			return a.uri.user;
		return SV_NULL;
	}
	if (sipt_uri_is_us(w->sipt, &req->ruri))
		return req->ruri.user;
	return SV_NULL;
}

static void from_ims(struct wsf *w, struct sipt_strans *st,
		     const struct sip_msg *req)
{
	struct sv token = token_of(w, req);
	char branch[SIPT_BRANCH_MAX];
	struct sipt_dest d = { 0 };
	struct wsf__fwd *fw;
	struct wsf_flow *f;
	int status = 0, err;
	struct buf out;

	if (!token.len) {
		if (req->method == SIP_METHOD_OPTIONS)
			sipt_strans_reply_status(st, 200, NULL, NULL);
		else
			sipt_strans_reply_status(st, 404, "No flow token",
						 NULL);
		return;
	}
	if (sipt_proxy_check(w->sipt, req, &status)) {
		sipt_strans_reply_status(st, status, NULL, NULL);
		return;
	}
	err = wsf__flow_by_token(w, token, &f);
	if (err == -EACCES) {
		log_warn("request with a flow token we did not issue: %.*s",
			 SV_ARG(token));
		sipt_strans_reply_status(st, 403, "Invalid flow token", NULL);
		return;
	}
	if (err) {
		/* RFC 5626 §5.3: the flow is gone. */
		sipt_strans_reply_status(st, 430, "Flow Failed", NULL);
		return;
	}
	buf_init(&out);
	fw = fwd_new(w, st, NULL);
	d.proto = f->sf.proto;
	d.flow = &f->sf;
	err = sipt_proxy_fwd_print(w->sipt, req,
				   &(struct sipt_fwd){ .proto = f->sf.proto },
				   &out, branch);
	if (!err)
		err = sipt_ctrans_send(w->sipt, &d, out.data, out.len,
				       on_response, fw, NULL);
	if (err) {
		sipt_strans_reply_status(st, 430, "Flow Failed", NULL);
		fwd_free(fw);
	}
	buf_close(&out);
}

/* An ACK outside any transaction (for a 2xx, §17.1.1.3): relayed
 * statelessly. sipt gives no flow with it: a WS/WSS top Via means it came
 * from a client (RFC 7118 §5.2), else its Route must carry a token. */
static void ack_relay(struct wsf *w, const struct sip_msg *req)
{
	bool up = sv_casecmp_cstr(req->via.transport, "WS") ||
		  sv_casecmp_cstr(req->via.transport, "WSS");
	char branch[SIPT_BRANCH_MAX];
	struct sipt_dest d = w->pcscf;
	struct wsf_flow *f;
	struct buf out;

	if (!up) {
		if (wsf__flow_by_token(w, token_of(w, req), &f))
			return;
		memset(&d, 0, sizeof(d));
		d.proto = f->sf.proto;
		d.flow = &f->sf;
	}
	buf_init(&out);
	if (sipt_proxy_fwd_print(w->sipt, req,
				 &(struct sipt_fwd){ .proto = d.proto }, &out,
				 branch) == 0)
		sipt_send(w->sipt, &d, out.data, out.len);
	buf_close(&out);
}

void wsf__on_request(struct sipt *s, struct sipt_strans *st,
		     const struct sip_msg *req, void *arg)
{
	struct wsf *w = arg;
	struct wsf_flow *f;

	UNUSED(s);
	if (!st) {
		ack_relay(w, req);
		return;
	}
	f = wsf__flow_of(sipt_strans_flow(st));
	if (f)
		from_client(w, st, req, f);
	else
		from_ims(w, st, req);
}
