/* auth.c - S-CSCF authentication with SIP Digest (TS 24.229 §5.4.1.2,
 * TS 33.203 Annex N, RFC 7616, RFC 8760) and the HA1s of MAR/MAA
 * (TS 29.228 §6.3, TS 29.229 §6.1.7, §6.3.36). */
#include "scscf_int.h"
#include "app/app_sip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- auth vectors -------------------------------------------------------- */

struct scscf_av *scscf__av_find(struct scscf *s, struct sv impi)
{
	struct hmap_node *n = hmap_find(&s->avs, impi);
	struct scscf_av *av;

	if (!n)
		return NULL;
	av = hmap_entry(n, struct scscf_av, node);
	if (av->expires_at <= scscf__now()) {
		scscf__av_free(s, av);
		return NULL;
	}
	return av;
}

void scscf__av_free(struct scscf *s, struct scscf_av *av)
{
	hmap_remove(&s->avs, &av->node);
	free(av->impi);
	free(av);
}

void scscf__av_expire(struct scscf *s, int64_t now)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	while ((n = hmap_iter_next(&s->avs, &it))) {
		struct scscf_av *av = hmap_entry(n, struct scscf_av, node);

		if (av->expires_at <= now)
			scscf__av_free(s, av);
	}
}

/* The HA1 slot for an algorithm: the -sess variants use the plain HA1
 * (the session step is done in the response computation). */
static char *av_slot(struct scscf_av *av, enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_ALG_MD5:
	case DIGEST_ALG_MD5_SESS:
		return av->ha1_md5;
	case DIGEST_ALG_SHA256:
	case DIGEST_ALG_SHA256_SESS:
		return av->ha1_sha256;
	default:
		return NULL;
	}
}

static struct sv av_ha1(struct scscf_av *av, enum digest_alg alg)
{
	char *slot = av ? av_slot(av, alg) : NULL;

	return slot ? sv_from_cstr(slot) : SV_NULL;
}

/* One (algorithm, HA1) pair of an MAA into the vector. An absent
 * Digest-Algorithm means MD5 (TS 29.229 §6.3.36, RFC 4590). */
static void av_put(struct scscf_av *av, struct sv alg_name, struct sv ha1)
{
	enum digest_alg alg;
	char *slot;

	if (!ha1.p || digest_alg_parse(&alg, alg_name))
		return;
	slot = av_slot(av, alg);
	if (!slot || ha1.len != digest_alg_hexlen(alg))
		return;
	sv_copy(ha1, slot, DIGEST_HEX_MAX);
}

/* Keeps the HA1s of a successful MAA for reg_await_auth_s. -ENOENT if it
 * has no usable SIP Digest item. */
static int av_store(struct scscf *s, const char *impi, const struct diam_cx *cx)
{
	struct scscf_av *av = scscf__av_find(s, sv_from_cstr(impi));

	if (!av) {
		av = xcalloc(1, sizeof(*av));
		av->impi = xstrdup(impi);
		hmap_insert(&s->avs, &av->node, sv_from_cstr(av->impi));
	}
	av->ha1_md5[0] = av->ha1_sha256[0] = '\0';
	for (unsigned i = 0; i < cx->n_auth && i < DIAM_CX_MAX_AUTH; i++) {
		const struct diam_cx_auth *a = &cx->auth[i];

		if (a->scheme.p &&
		    !sv_casecmp_cstr(a->scheme, DIAM_CX_SCHEME_DIGEST))
			continue;
		av_put(av, a->algorithm, a->ha1);
		av_put(av, a->alt_algorithm, a->alt_ha1);
	}
	av->expires_at = scscf__now() + s->conf->reg_await_auth_s;
	if (!av->ha1_md5[0] && !av->ha1_sha256[0]) {
		scscf__av_free(s, av);
		return -ENOENT;
	}
	return 0;
}

/* ---- challenge ----------------------------------------------------------- */

/* What a nonce is bound to: realm and IMPI, so it cannot be replayed for
 * another user. */
static void nonce_bound(struct scscf *s, struct buf *b, struct sv impi)
{
	buf_printf(b, "%s:%.*s", s->conf->home_domain, SV_ARG(impi));
}

/* 401 with one WWW-Authenticate per configured algorithm the HSS gave an
 * HA1 for, in the configured order (RFC 8760 §2.3). */
static void challenge_send(struct scscf *s, struct sipt_strans *st,
			   const char *impi, bool stale)
{
	struct scscf_av *av = scscf__av_find(s, sv_from_cstr(impi));
	enum digest_alg algs[SCSCF_MAX_ALGS];
	char nonce[DIGEST_NONCE_LEN + 1];
	struct buf bound, hdrs;
	size_t n = 0;

	buf_init(&bound);
	buf_init(&hdrs);
	for (size_t i = 0; i < s->nalgs; i++)
		if (av_ha1(av, s->algs[i]).len)
			algs[n++] = s->algs[i];
	if (!n) {
		log_warn("MAA for %s has no HA1 for %s", impi,
			 s->conf->digest_algorithms);
		scscf__reply(s, st, 403, "Authentication scheme not supported",
			     NULL);
		goto out;
	}
	nonce_bound(s, &bound, sv_from_cstr(impi));
	digest_nonce_make(nonce, &s->nkey, s->rng, (uint64_t)scscf__now(),
			  (struct sv){ bound.data, bound.len });
	digest_chal_print_list(
		&hdrs, "WWW-Authenticate",
		&(struct digest_offer){
			.realm = sv_from_cstr(s->conf->home_domain),
			.nonce = sv_from_cstr(nonce),
			.stale = stale,
		},
		algs, n);
	scscf__reply(s, st, 401, NULL, hdrs.data);
out:
	buf_close(&bound);
	buf_close(&hdrs);
}

static void on_maa(struct diam_peer *peer, int status,
		   const struct diam_msg *ans, const struct diam_cx *cx,
		   void *arg)
{
	struct scscf_pend *p = arg;
	struct scscf *s = p->s;
	const char *reason;
	int code;

	UNUSED(peer);
	UNUSED(ans);
	if (!s)
		goto out;
	if (status || !cx || cx->experimental || cx->result != DIAM_SUCCESS) {
		code = scscf__cx_status(status, cx, &reason);
		log_info("%s (%s): MAR failed: %d %s", p->impu, p->impi, code,
			 reason);
		scscf__reply(s, p->st, code, reason, NULL);
		goto out;
	}
	if (av_store(s, p->impi, cx)) {
		log_warn("MAA for %s carries no SIP Digest HA1", p->impi);
		scscf__reply(s, p->st, 500, "HSS error", NULL);
		goto out;
	}
	if (p->kind == SCSCF_PEND_CHALLENGE)
		challenge_send(s, p->st, p->impi, p->stale);
	else
		scscf__register(s, p->st, true);
out:
	scscf__pend_free(p);
}

void scscf__mar_send(struct scscf *s, struct sipt_strans *st,
		     enum scscf_pend_kind kind, const char *impi,
		     const char *impu, bool stale)
{
	struct scscf_pend *p = scscf__pend_new(s, kind, st, impi, impu);
	struct diam_cx req = { 0 };
	int rc;

	p->stale = stale;
	/* TS 29.229 §6.1.7: one item of the scheme we want. */
	req.cmd = DIAM_CMD_MA;
	req.request = true;
	req.dest_realm = sv_from_cstr(s->conf->hss_realm);
	req.user_name = sv_from_cstr(impi);
	req.public_identity = sv_from_cstr(impu);
	req.server_name = sv_from_cstr(s->conf->server_name);
	req.has_num_auth_items = true;
	req.num_auth_items = 1;
	req.n_auth = 1;
	req.auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	rc = diam_peer_send_request_cx(s->peer, &req, on_maa, p);
	if (rc) {
		log_warn("cannot send MAR for %s: %s", impi, strerror(-rc));
		scscf__reply(s, st, 500, "HSS error", NULL);
		scscf__pend_free(p);
	}
}

/* ---- credentials --------------------------------------------------------- */

/* The Digest credentials for our realm (RFC 3261 §22.4; TS 24.229
 * §5.4.1.2.1: the one whose realm is the home domain, else the last
 * Digest one). 1 found, 0 none, -EBADMSG malformed. */
static int cred_find(struct scscf *s, const struct sip_msg *req,
		     struct digest_cred *c)
{
	const struct sip_hdr *h;
	int found = 0;

	for (h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION); h;
	     h = sip_hdr_next(req, h)) {
		if (digest_scheme_of(h->value) != DIGEST_SCHEME_DIGEST)
			continue;
		if (digest_cred_parse(c, h->value, NULL))
			return -EBADMSG;
		found = 1;
		if (sv_casecmp_cstr(c->realm, s->conf->home_domain))
			break;
	}
	return found;
}

/* IMPI from a sip: IMPU when the REGISTER has no credentials (TS 33.203
 * Annex N: user@domain); a tel: IMPU has none. */
static int impi_derive(const char *impu, struct buf *out)
{
	struct sip_uri u;

	if (sip_uri_parse(&u, sv_from_cstr(impu), NULL) ||
	    u.scheme == SIP_URI_TEL || !u.user.len)
		return -EINVAL;
	buf_printf(out, "%.*s@%.*s", SV_ARG(u.user), SV_ARG(u.host));
	return 0;
}

static bool alg_offered(const struct scscf *s, enum digest_alg a)
{
	for (size_t i = 0; i < s->nalgs; i++)
		if (s->algs[i] == a)
			return true;
	return false;
}

void scscf__auth_check(struct scscf *s, struct sipt_strans *st,
		       const struct sip_msg *req, const char *impu,
		       bool fetched)
{
	struct digest_cred c;
	struct buf impi, bound;
	struct scscf_av *av;
	struct sv ha1;
	uint64_t now = (uint64_t)scscf__now();
	int rc, nonce_err = -EACCES;

	buf_init(&impi);
	buf_init(&bound);
	rc = cred_find(s, req, &c);
	if (rc < 0) {
		scscf__reply(s, st, 400, "Bad Authorization", NULL);
		goto out;
	}
	if (rc == 0) {
		/* No credentials: challenge (TS 24.229 §5.4.1.2.1). */
		if (impi_derive(impu, &impi)) {
			scscf__reply(s, st, 403, "No IMPI for tel URI", NULL);
			goto out;
		}
		scscf__mar_send(s, st, SCSCF_PEND_CHALLENGE, impi.data, impu,
				false);
		goto out;
	}
	buf_putsv(&impi, c.username);
	if (!impi.len) {
		scscf__reply(s, st, 403, "Empty username", NULL);
		goto out;
	}
	/* TS 24.229 §5.4.1.2.2: a trusted edge that authenticated the UE
	 * itself says so with "auth-done"; honoured only when configured and
	 * only on the trusted path (from a trusted peer); from anywhere else
	 * the REGISTER is challenged like any other. */
	if (sv_eq_cstr(c.integrity_protected, "auth-done")) {
		const struct sipt_flow *f = sipt_strans_flow(st);
		const struct sockaddr *src =
			f ? (const struct sockaddr *)&f->peer : NULL;

		if (s->conf->trust_auth_done &&
		    app_addr_in_list(s->conf->trusted_peers, src)) {
			scscf__reg_authorized(s, st, req, impi.data, impu);
			goto out;
		}
		log_warn("auth-done for %.*s from an untrusted path: "
			 "challenged",
			 SV_ARG(c.username));
	}
	nonce_bound(s, &bound, c.username);
	/* The IMS initial form, another realm, a nonce we did not make or an
	 * algorithm we do not offer: nothing to verify, challenge. */
	if (!digest_cred_is_initial(&c) &&
	    sv_casecmp_cstr(c.realm, s->conf->home_domain) &&
	    alg_offered(s, c.alg))
		nonce_err = digest_nonce_check(&s->nkey, c.nonce,
					       (struct sv){ bound.data,
							    bound.len },
					       now);
	if (nonce_err == -EACCES) {
		scscf__mar_send(s, st, SCSCF_PEND_CHALLENGE, impi.data, impu,
				false);
		goto out;
	}
	av = scscf__av_find(s, c.username);
	ha1 = av_ha1(av, c.alg);
	if (!ha1.len) {
		/* Our nonce but no HA1 at hand (restart, vector expired). */
		scscf__mar_send(s, st,
				fetched ? SCSCF_PEND_CHALLENGE
					: SCSCF_PEND_FETCH,
				impi.data, impu, false);
		goto out;
	}
	rc = digest_resp_verify(&c, &(struct digest_verify){
					    .method = req->method_str,
					    .body = req->body,
					    .ha1 = ha1,
					    .key = &s->nkey,
					    .nonce_checked = true,
					    .nonce_err = nonce_err,
					    .bound = { bound.data, bound.len },
					    .nct = s->nct,
					    .now = now,
				    });
	switch (rc) {
	case 0:
		scscf__reg_authorized(s, st, req, impi.data, impu);
		break;
	case -ESTALE: /* RFC 7616 §3.3: right answer, old nonce */
		scscf__mar_send(s, st, SCSCF_PEND_CHALLENGE, impi.data, impu,
				true);
		break;
	case -EACCES:
		/* TS 29.228 §6.1.2: tell the HSS, then refuse. */
		log_info("%s (%s): wrong Digest response", impu, impi.data);
		if (scscf__sar_send(s, st, SCSCF_PEND_AUTH_FAIL, impi.data,
				    impu, DIAM_CX_SAT_AUTHENTICATION_FAILURE,
				    DIAM_CX_USER_DATA_NOT_AVAILABLE,
				    scscf__is_gin(req)))
			scscf__reply(s, st, 403, "Wrong credentials", NULL);
		break;
	default: /* replayed nc, unsupported qop: a fresh challenge */
		scscf__mar_send(s, st, SCSCF_PEND_CHALLENGE, impi.data, impu,
				false);
		break;
	}
out:
	buf_close(&impi);
	buf_close(&bound);
}
