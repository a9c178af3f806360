/*
 * gin.c - Figure 6.X.2.1.3.2-1 at the wsf: the GIN-shaped REGISTER (RFC
 * 6140) by which an enterprise WWS registers its block of IMPUs. Static
 * mode: the wsf challenges and verifies it itself against static_ranges
 * (steps 1, 5-6, 7, 12; nothing reaches IMS). Registration mode: it goes
 * to IMS through the P-CSCF (steps 2-11) and IMS's 200 records the block
 * (step 12). The state it records is range.c's; see wsf.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "digest/digest.h"
#include "ims/ims.h"
#include "wsf_int.h"

/* ---- Figure 6.X.2.1.3.2-1, static mode (steps 1, 5-6, 7, 12) ---------- */

static void challenge(struct wsf *w, struct sipt_strans *st,
		      const struct wsf__stat *s, struct sv realm, bool stale)
{
	static const enum digest_alg algs[] = { DIGEST_ALG_SHA256,
						DIGEST_ALG_MD5 };
	const char *text = ims_wildcard_text(s->wc);
	char nonce[DIGEST_NONCE_LEN + 1];
	struct buf h;

	digest_nonce_make(nonce, &w->range->nkey, w->rng, (uint64_t)time(NULL),
			  sv_from_cstr(text));
	buf_init(&h);
	digest_chal_print_list(&h, "WWW-Authenticate",
			       &(struct digest_offer){
				       .realm = realm,
				       .nonce = sv_from_cstr(nonce),
				       .stale = stale },
			       algs, ARRAY_SIZE(algs));
	log_info("block %s: the wsf challenges the WWS itself (static mode, "
		 "steps 5-6)%s",
		 text, stale ? ", stale nonce" : "");
	wsf__reply(w, st, 401, NULL, h.data);
	buf_close(&h);
}

/* Step 12 (static): "the WSF verifies the credentials from the WWS
 * directly". 0: good; else answered (401 or 403). */
static int static_auth(struct wsf *w, struct sipt_strans *st,
		       const struct wsf__stat *s)
{
	const struct sip_msg *req = sipt_strans_req(st);
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	struct digest_cred *c = xmalloc(sizeof(*c));
	const char *text = ims_wildcard_text(s->wc);
	uint64_t now = (uint64_t)time(NULL);
	char ha1[DIGEST_HEX_MAX];
	struct sv realm;
	int rc;

	ims_impi_realm(sv_from_cstr(s->impi), &realm); /* checked */
	if (!h || digest_cred_parse(c, h->value, NULL) ||
	    digest_cred_is_initial(c) ||
	    digest_nonce_check(&w->range->nkey, c->nonce, sv_from_cstr(text),
			       now) == -EACCES) {
		challenge(w, st, s, realm, false);
		rc = -EACCES;
		goto out;
	}
	rc = -EACCES;
	if (sv_eq_cstr(c->username, s->impi) && sv_eq(c->realm, realm) &&
	    digest_ha1_calc(ha1, c->alg, c->username, realm,
			    sv_from_cstr(s->password)) == 0)
		rc = digest_resp_verify(
			c, &(struct digest_verify){
				   .method = req->method_str,
				   .ha1 = sv_from_cstr(ha1),
				   .key = &w->range->nkey,
				   .bound = sv_from_cstr(text),
				   .nct = w->range->nct,
				   .now = now });
	OPENSSL_cleanse(ha1, sizeof(ha1));
	if (rc == -ESTALE || rc == -EALREADY) {
		challenge(w, st, s, realm, rc == -ESTALE);
	} else if (rc) {
		log_info("block %s: wrong credentials from the WWS (%.*s): 403",
			 text, SV_ARG(c->username));
		wsf__reply(w, st, 403, "Wrong credentials", NULL);
	}
out:
	free(c);
	return rc;
}

static void static_register(struct wsf *w, struct sipt_strans *st,
			    long ent, struct ims_wildcard *wc)
{
	const struct sip_msg *req = sipt_strans_req(st);
	struct wsf__range *r = w->range;
	const struct wsf__stat *s = NULL;
	struct wsf__block *b;
	struct sip_addr a;
	uint64_t exp;
	struct buf h;
	bool star;

	for (size_t i = 0; !s && i < r->nst; i++)
		if (!strcmp(ims_wildcard_text(r->st[i].wc),
			    ims_wildcard_text(wc)) &&
		    r->st[i].ent == (size_t)ent)
			s = &r->st[i];
	if (!s) {
		log_info("block %s is not in static_ranges for %s: 403",
			 ims_wildcard_text(wc), r->ent[ent].iss);
		wsf__reply(w, st, 403, "Block not provisioned for this WWS",
			   NULL);
		goto out;
	}
	if (wsf__contact_first(req, &a, &star) ||
	    (!star && (!sip_param_has(a.uri.params, "bnc") ||
		       a.uri.user.len))) {
		wsf__reply(w, st, 400, "GIN Contact without bnc", NULL);
		goto out;
	}
	if (static_auth(w, st, s))
		goto out;
	exp = star ? 0 : wsf__expires_of(req, &a, WSF_DEFAULT_EXPIRES);
	buf_init(&h);
	b = wsf__block_find(r, wc);
	if (!exp) {
		if (b)
			wsf__block_end(w, b, "de-registered");
	} else {
		wsf__contact_print(&h, &a, exp);
		buf_puts(&h, "P-Associated-URI: <");
		ims_impu_escape(sv_from_cstr(ims_wildcard_text(wc)), &h);
		buf_puts(&h, ">\r\nSupported: gin\r\n");
		wsf__block_set(w, wc, (size_t)ent, exp);
		wc = NULL;
	}
	log_info("block %s: credentials verified by the wsf (static mode, "
		 "step 12): 200",
		 ims_wildcard_text(s->wc));
	wsf__reply(w, st, 200, NULL, h.len ? h.data : NULL);
	buf_close(&h);
out:
	ims_wildcard_free(wc);
}

/* ---- step 1, both modes ----------------------------------------------- */

bool wsf__range_is_gin(const struct sip_msg *req)
{
	return req->method == SIP_METHOD_REGISTER &&
	       sip_msg_has_option(req, SIP_HDR_REQUIRE, "gin");
}

/* The wildcarded IMPU of a GIN REGISTER's To (its escapes undone). */
static int to_wildcard(const struct sip_msg *req, struct ims_wildcard **wc)
{
	struct buf n;
	int rc;

	*wc = NULL;
	buf_init(&n);
	rc = ims_impu_normalize(req->to.uri_str, &n);
	if (!rc)
		rc = ims_wildcard_parse((struct sv){ n.data, n.len }, wc,
					NULL);
	buf_close(&n);
	return rc;
}

void wsf__range_register(struct wsf *w, struct sipt_strans *st,
			 struct wsf_flow *f)
{
	const struct sip_msg *req = sipt_strans_req(st);
	long ent = wsf__ent_of_origin(w->range, f->origin);
	struct ims_wildcard *wc;

	wsf__range_sweep(w);
	if (ent < 0) {
		log_info("flow %s: GIN REGISTER from Origin %s, not an "
			 "enterprise WWS: 403",
			 f->id, f->origin ? f->origin : "(none)");
		wsf__reply(w, st, 403,
			   "GIN registration only from an enterprise WWS",
			   NULL);
		return;
	}
	if (to_wildcard(req, &wc)) {
		wsf__reply(w, st, 403, "GIN needs a wildcarded IMPU", NULL);
		return;
	}
	log_info("flow %s: GIN REGISTER of block %s from %s (step 1)", f->id,
		 ims_wildcard_text(wc), w->range->ent[ent].iss);
	if (w->conf->range_mode == WSF_RANGE_STATIC) {
		static_register(w, st, ent, wc);
		return;
	}
	/* Registration mode, steps 2-3 (and 8-9 for the answered one). */
	ims_wildcard_free(wc);
	wsf__client_forward(w, st, f, SV_NULL);
}

/* Registration mode, steps 10-12: the final answer of IMS to the GIN
 * REGISTER forwarded for flow f, before it is relayed to the WWS. */
void wsf__range_forwarded(struct wsf *w, struct wsf_flow *f,
			  const struct sip_msg *req, const struct sip_msg *resp)
{
	struct sip_list_iter it = { 0 };
	long ent = wsf__ent_of_origin(w->range, f->origin);
	struct ims_wildcard *wc;
	struct wsf__block *b;
	struct sip_addr a, g;
	uint64_t exp = 0;
	struct sv el;
	bool star;

	wsf__range_sweep(w);
	if (resp->status != 200 || ent < 0 || to_wildcard(req, &wc))
		return;
	/* RFC 3261 §10.2.4: the 200 lists the bindings left; ours (the bnc
	 * Contact) with its expires, or nothing once removed. */
	if (!wsf__contact_first(req, &a, &star) && !star) {
		while (sip_list_iter_next(resp, SIP_HDR_CONTACT, &it, &el)) {
			if (sip_addr_parse(&g, el, NULL) || g.star ||
			    !sip_uri_eq(&g.uri, &a.uri))
				continue;
			exp = wsf__expires_of(
				resp, &g,
				wsf__expires_of(req, &a, WSF_DEFAULT_EXPIRES));
			break;
		}
	}
	b = wsf__block_find(w->range, wc);
	if (exp) {
		wsf__block_set(w, wc, (size_t)ent, exp);
		return;
	}
	if (b)
		wsf__block_end(w, b, "de-registered in IMS");
	ims_wildcard_free(wc);
}
