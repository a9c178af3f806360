/* reg.c - S-CSCF registrar: bindings (RFC 3261 §10.3 steps 6-8, RFC 5626
 * instance/reg-id), implicit registration sets from the SAA User-Data
 * (TS 29.228 §6.1.2, Annex E; TS 24.229 §5.4.1.2.2), SAR/SAA and expiry. */
#include "scscf_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ims/ims.h"

/* ---- registrations ------------------------------------------------------- */

struct scscf_reg *scscf__reg_find(struct scscf *s, struct sv impu,
				  struct sv impi)
{
	struct hmap_node *n;

	/* Several IMPIs may share an IMPU (TS 23.228 §4.3.3.4). */
	for (n = hmap_find(&s->members, impu); n;
	     n = hmap_find_next(&s->members, n)) {
		struct scscf_member *m =
			hmap_entry(n, struct scscf_member, node);

		if (sv_eq_cstr(impi, m->reg->impi))
			return m->reg;
	}
	return NULL;
}

static void members_drop(struct scscf *s, struct scscf_reg *r)
{
	for (size_t i = 0; i < r->nset; i++) {
		hmap_remove(&s->members, &r->members[i].node);
		free(r->set[i]);
	}
	free(r->set);
	free(r->members);
	r->set = NULL;
	r->members = NULL;
	r->nset = 0;
}

void scscf__reg_set_replace(struct scscf *s, struct scscf_reg *r,
			    char *const *set, size_t n)
{
	members_drop(s, r);
	r->set = xcalloc(n, sizeof(*r->set));
	r->members = xcalloc(n, sizeof(*r->members));
	for (size_t i = 0; i < n; i++) {
		r->set[r->nset] = xstrdup(set[i]);
		r->members[r->nset].reg = r;
		hmap_insert(&s->members, &r->members[r->nset].node,
			    sv_from_cstr(r->set[r->nset]));
		r->nset++;
	}
}

struct scscf_reg *scscf__reg_new(struct scscf *s, const char *impu,
				 const char *impi)
{
	struct scscf_reg *r = xcalloc(1, sizeof(*r));
	char *one = (char *)impu;

	r->impu = xstrdup(impu);
	r->impi = xstrdup(impi);
	scscf__reg_set_replace(s, r, &one, 1);
	r->next = s->regs;
	if (r->next)
		r->next->prev = r;
	s->regs = r;
	s->nregs++;
	return r;
}

void scscf__binding_close(struct scscf_binding *b)
{
	free(b->contact);
	free(b->instance);
	free(b->reg_id);
	free(b->path);
	free(b->call_id);
	memset(b, 0, sizeof(*b));
}

static void bindings_free(struct scscf_binding *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		scscf__binding_close(&b[i]);
	free(b);
}

void scscf__reg_free(struct scscf *s, struct scscf_reg *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		s->regs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	s->nregs--;
	members_drop(s, r);
	bindings_free(r->b, r->nb);
	free(r->impu);
	free(r->impi);
	free(r->user_data);
	free(r);
}

bool scscf__reg_is_range(const struct scscf_reg *r)
{
	struct sip_uri u;

	for (size_t i = 0; i < r->nb; i++)
		if (sip_uri_parse(&u, sv_from_cstr(r->b[i].contact), NULL) ==
			    0 &&
		    sip_param_has(u.params, "bnc"))
			return true;
	return false;
}

static char *dup_or_null(const char *p)
{
	return p ? xstrdup(p) : NULL;
}

/* ---- binding plans (RFC 3261 §10.3 steps 6 and 7) ------------------------
 * A REGISTER is applied to a copy of the bindings, so that it changes all
 * or nothing (§10.3: "the binding updates MUST be committed ... only if
 * all of them succeed"). The plan is made before SAR (to pick the
 * Server-Assignment-Type) and again on SAA, against the state then. */

struct plan {
	struct scscf_binding *b; /* owned */
	size_t nb, cap;
	const char *reason; /* with a status != 0 */
	long min_expires;   /* 423 */
};

static struct scscf_binding *plan_add(struct plan *pl)
{
	if (pl->nb == pl->cap) {
		pl->cap = pl->cap ? 2 * pl->cap : 4;
		pl->b = xrealloc(pl->b, pl->cap * sizeof(*pl->b));
	}
	memset(&pl->b[pl->nb], 0, sizeof(pl->b[0]));
	return &pl->b[pl->nb++];
}

static void plan_remove(struct plan *pl, size_t i)
{
	scscf__binding_close(&pl->b[i]);
	memmove(&pl->b[i], &pl->b[i + 1], (pl->nb - i - 1) * sizeof(pl->b[0]));
	pl->nb--;
}

static void plan_close(struct plan *pl)
{
	bindings_free(pl->b, pl->nb);
	memset(pl, 0, sizeof(*pl));
}

/* Does the Contact (uri, instance, reg-id) name binding b? RFC 5626 §6:
 * instance + reg-id when both sides have an instance; else the URI
 * comparison of RFC 3261 §19.1.4. */
static bool binding_match(const struct scscf_binding *b,
			  const struct sip_addr *a, struct sv inst,
			  struct sv regid)
{
	struct sip_uri u;

	if (inst.p && b->instance)
		return sv_eq_cstr(inst, b->instance) &&
		       (regid.p ? b->reg_id && sv_eq_cstr(regid, b->reg_id)
				: !b->reg_id);
	if (sip_uri_parse(&u, sv_from_cstr(b->contact), NULL))
		return false;
	return sip_uri_eq(&u, &a->uri);
}

static void binding_set(struct scscf_binding *b, const struct sip_addr *a,
			struct sv inst, struct sv regid, const char *path,
			const struct sip_msg *req, int64_t expires_at)
{
	scscf__binding_close(b);
	b->contact = sv_dup(a->uri_str);
	b->instance = inst.p ? sv_dup(inst) : NULL;
	b->reg_id = regid.p ? sv_dup(regid) : NULL;
	b->path = xstrdup(path);
	b->call_id = sv_dup(req->call_id);
	b->cseq = req->cseq;
	b->expires_at = expires_at;
}

/* §10.3 step 7: a binding of the same Call-ID with a CSeq not lower. */
static bool out_of_order(const struct scscf_binding *b,
			 const struct sip_msg *req)
{
	return sv_eq_cstr(req->call_id, b->call_id) && req->cseq <= b->cseq;
}

static void path_join(const struct sip_msg *req, struct buf *out)
{
	const struct sip_hdr *h;

	for (h = sip_hdr_find(req, SIP_HDR_PATH); h; h = sip_hdr_next(req, h))
		buf_printf(out, "%s%.*s", out->len ? ", " : "",
			   SV_ARG(h->value));
}

/* One Contact of the request applied to the plan; 0 or a SIP status. */
static int plan_contact(struct scscf *s, struct plan *pl,
			const struct sip_msg *req, struct sv el,
			const uint64_t *hdr_exp, const char *path, int64_t now)
{
	const struct scscf_conf *c = s->conf;
	struct sv v, inst = SV_NULL, regid = SV_NULL;
	uint64_t exp = (uint64_t)c->default_expires;
	struct sip_addr a;
	size_t i;

	if (sip_addr_parse(&a, el, NULL)) {
		pl->reason = "Bad Contact";
		return 400;
	}
	/* §10.3 step 7: the expires param, else Expires, else our default;
	 * a malformed value counts as absent (§20.19). */
	if (sip_param_get(a.params, "expires", &v) ||
	    sv_to_u64(v, UINT32_MAX, &exp)) {
		if (hdr_exp)
			exp = *hdr_exp;
		else
			exp = (uint64_t)c->default_expires;
	}
	if (exp && exp < (uint64_t)c->min_expires) {
		pl->min_expires = c->min_expires;
		pl->reason = NULL;
		return 423;
	}
	if (exp > (uint64_t)c->max_expires)
		exp = (uint64_t)c->max_expires;
	if (sip_param_get(a.params, "+sip.instance", &inst))
		inst = SV_NULL;
	if (sip_param_get(a.params, "reg-id", &regid))
		regid = SV_NULL;
	for (i = 0; i < pl->nb; i++)
		if (binding_match(&pl->b[i], &a, inst, regid))
			break;
	if (i < pl->nb && out_of_order(&pl->b[i], req)) {
		pl->reason = "Out of order";
		return 500;
	}
	if (i < pl->nb && !exp)
		plan_remove(pl, i);
	else if (exp)
		binding_set(i < pl->nb ? &pl->b[i] : plan_add(pl), &a, inst,
			    regid, path, req, now + (int64_t)exp);
	return 0;
}

/* The bindings r would have after req; 0 or a SIP status (400, 423, 500)
 * with pl->reason. */
static int plan_make(struct scscf *s, const struct scscf_reg *r,
		     const struct sip_msg *req, int64_t now, struct plan *pl)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_EXPIRES);
	struct sip_list_iter it = { 0 };
	uint64_t hexp, *hdr_exp = NULL;
	size_t ncontacts = 0;
	bool star = false;
	struct buf path;
	struct sv el;
	int status = 0;

	buf_init(&path);
	memset(pl, 0, sizeof(*pl));
	path_join(req, &path);
	if (h && sv_to_u64(sv_trim(h->value), UINT32_MAX, &hexp) == 0)
		hdr_exp = &hexp;
	for (size_t i = 0; r && i < r->nb; i++) {
		struct scscf_binding *b;

		if (r->b[i].expires_at <= now)
			continue;
		b = plan_add(pl);
		*b = r->b[i];
		b->contact = xstrdup(r->b[i].contact);
		b->instance = dup_or_null(r->b[i].instance);
		b->reg_id = dup_or_null(r->b[i].reg_id);
		b->path = xstrdup(r->b[i].path);
		b->call_id = xstrdup(r->b[i].call_id);
	}
	while (sip_list_iter_next(req, SIP_HDR_CONTACT, &it, &el)) {
		struct sip_addr a;

		ncontacts++;
		if (sip_addr_parse(&a, el, NULL) == 0 && a.star)
			star = true;
	}
	if (star) {
		/* §10.3 step 6: `*` alone and with Expires: 0, else 400. */
		if (ncontacts != 1 || !hdr_exp || *hdr_exp) {
			pl->reason = "Contact: * wants Expires: 0 alone";
			status = 400;
			goto out;
		}
		for (size_t i = 0; i < pl->nb; i++) {
			if (out_of_order(&pl->b[i], req)) {
				pl->reason = "Out of order";
				status = 500;
				goto out;
			}
		}
		while (pl->nb)
			plan_remove(pl, pl->nb - 1);
		goto out;
	}
	it = (struct sip_list_iter){ 0 };
	while (!status && sip_list_iter_next(req, SIP_HDR_CONTACT, &it, &el))
		status = plan_contact(s, pl, req, el, hdr_exp,
				      path.len ? path.data : "", now);
out:
	buf_close(&path);
	return status;
}

static void plan_error_reply(struct scscf *s, struct sipt_strans *st,
			     int status, const struct plan *pl)
{
	char extra[64];

	if (status == 423) {
		/* RFC 3261 §10.3 step 7, §20.23 */
		snprintf(extra, sizeof(extra), "Min-Expires: %ld\r\n",
			 pl->min_expires);
		scscf__reply(s, st, 423, NULL, extra);
	} else {
		scscf__reply(s, st, status, pl->reason, NULL);
	}
}

static size_t live_bindings(const struct scscf_reg *r, int64_t now)
{
	size_t n = 0;

	for (size_t i = 0; r && i < r->nb; i++)
		n += r->b[i].expires_at > now;
	return n;
}

/* ---- SAR / SAA ----------------------------------------------------------- */

static void on_saa(struct diam_peer *peer, int status,
		   const struct diam_msg *ans, const struct diam_cx *cx,
		   void *arg);

int scscf__sar_send(struct scscf *s, struct sipt_strans *st,
		    enum scscf_pend_kind kind, const char *impi,
		    const char *impu, uint32_t sat, uint32_t udaa, bool range)
{
	struct scscf_pend *p = scscf__pend_new(s, kind, st, impi, impu);
	struct diam_cx req = { 0 };
	int rc;

	p->sat = sat;
	/* TS 29.229 §6.1.3 */
	req.cmd = DIAM_CMD_SA;
	req.request = true;
	req.dest_realm = sv_from_cstr(s->conf->hss_realm);
	req.user_name = sv_from_cstr(impi);
	req.public_identity = sv_from_cstr(impu);
	/* [range]: the block is named in both (TS 29.229 §6.1.3: the
	 * Wildcarded-Public-Identity AVP, as the HSS has it) */
	if (range)
		req.wildcarded_public_identity = sv_from_cstr(impu);
	req.server_name = sv_from_cstr(s->conf->server_name);
	req.sat = sat;
	req.udaa = udaa;
	rc = diam_peer_send_request_cx(s->peer, &req, on_saa, p);
	if (rc) {
		log_warn("cannot send SAR for %s: %s", impu, strerror(-rc));
		scscf__pend_free(p);
	}
	return rc;
}

void scscf__reg_authorized(struct scscf *s, struct sipt_strans *st,
			   const struct sip_msg *req, const char *impi,
			   const char *impu)
{
	struct scscf_reg *r = scscf__reg_find(s, sv_from_cstr(impu),
					      sv_from_cstr(impi));
	int64_t now = scscf__now();
	bool registered = live_bindings(r, now) > 0;
	struct plan pl;
	uint32_t sat;
	int status;

	status = plan_make(s, r, req, now, &pl);
	if (status) {
		plan_error_reply(s, st, status, &pl);
		goto out;
	}
	/* A query (no Contact, §10.3 step 8) or removing what is not there
	 * changes nothing at the HSS. */
	if (!sip_hdr_find(req, SIP_HDR_CONTACT) || (!registered && !pl.nb)) {
		scscf__reply_ok(s, st, registered ? r : NULL);
		goto out;
	}
	/* TS 29.228 §6.1.2 / TS 24.229 §5.4.1.2.2 and §5.4.1.4 */
	sat = !registered ? DIAM_CX_SAT_REGISTRATION
	      : pl.nb     ? DIAM_CX_SAT_RE_REGISTRATION
			  : DIAM_CX_SAT_USER_DEREGISTRATION;
	if (scscf__sar_send(s, st, SCSCF_PEND_SAR, impi, impu, sat,
			    registered && r->user_data
				    ? DIAM_CX_USER_DATA_ALREADY_AVAILABLE
				    : DIAM_CX_USER_DATA_NOT_AVAILABLE,
			    scscf__is_gin(req)))
		scscf__reply(s, st, 500, "HSS error", NULL);
out:
	plan_close(&pl);
}

/* The implicit registration set from User-Data: every identity but the
 * barred ones, in document order (the default IMPU first); a wildcarded
 * identity is never the first (it cannot be the default, PROTOCOL-NOTES
 * §1.3). The registered IMPU is always in it. */
static void set_from_user_data(struct scscf *s, struct scscf_reg *r,
			       struct sv xml)
{
	struct ims_sub sub;
	struct buf norm;
	char **set;
	size_t n = 0, plain = SIZE_MAX;
	bool have_impu = false;

	if (ims_sub_parse(xml.p, xml.len, &sub, NULL)) {
		log_warn("%s: User-Data does not parse; set unchanged",
			 r->impu);
		return;
	}
	buf_init(&norm);
	set = xcalloc(sub.n + 1, sizeof(*set));
	for (size_t i = 0; i < sub.n; i++) {
		const struct ims_pubid *id = &sub.ids[i];
		bool wild = id->type == IMS_ID_WILDCARDED_IMPU ||
			    id->type == IMS_ID_WILDCARDED_PSI;

		if (id->barred)
			continue;
		buf_reset(&norm);
		if (wild || ims_impu_normalize(sv_from_cstr(id->identity),
					       &norm))
			set[n] = xstrdup(id->identity);
		else
			set[n] = xstrdup(norm.data);
		if (!wild && plain == SIZE_MAX)
			plain = n;
		have_impu |= strcmp(set[n], r->impu) == 0;
		n++;
	}
	if (plain != SIZE_MAX && plain > 0) {
		char *first = set[plain];

		memmove(&set[1], &set[0], plain * sizeof(*set));
		set[0] = first;
	}
	if (!have_impu)
		set[n++] = xstrdup(r->impu);
	scscf__reg_set_replace(s, r, set, n);
	for (size_t i = 0; i < n; i++)
		free(set[i]);
	free(set);
	buf_close(&norm);
	ims_sub_close(&sub);
	free(r->user_data);
	r->user_data = sv_dup(xml);
}

static void reg_log(const struct scscf_reg *r)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < r->nset; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", r->set[i]);
	log_info("%s registered (%zu binding%s), set: %s", r->impu, r->nb,
		 r->nb == 1 ? "" : "s", b.data);
	buf_close(&b);
}

/* SAA for a REGISTER: commit the bindings and answer 200. */
static void saa_register(struct scscf *s, struct scscf_pend *p,
			 const struct diam_cx *cx)
{
	const struct sip_msg *req = sipt_strans_req(p->st);
	struct scscf_reg *r = scscf__reg_find(s, sv_from_cstr(p->impu),
					      sv_from_cstr(p->impi));
	struct plan pl;
	int status;

	status = plan_make(s, r, req, scscf__now(), &pl);
	if (status) {
		plan_error_reply(s, p->st, status, &pl);
		goto out;
	}
	if (!pl.nb) {
		if (r) {
			scscf__store_delete(s->store, r);
			scscf__reg_free(s, r);
		}
		log_info("%s de-registered", p->impu);
		scscf__reply_ok(s, p->st, NULL);
		goto out;
	}
	if (!r)
		r = scscf__reg_new(s, p->impu, p->impi);
	bindings_free(r->b, r->nb);
	r->b = pl.b;
	r->nb = pl.nb;
	pl = (struct plan){ 0 };
	if (cx->user_data.p)
		set_from_user_data(s, r, cx->user_data);
	scscf__store_save(s->store, r);
	reg_log(r);
	scscf__reply_ok(s, p->st, r);
out:
	plan_close(&pl);
}

static void on_saa(struct diam_peer *peer, int status,
		   const struct diam_msg *ans, const struct diam_cx *cx,
		   void *arg)
{
	struct scscf_pend *p = arg;
	struct scscf *s = p->s;
	bool ok = !status && cx && !cx->experimental &&
		  cx->result == DIAM_SUCCESS;
	const char *reason;
	int code;

	UNUSED(peer);
	UNUSED(ans);
	if (!s)
		goto out;
	switch (p->kind) {
	case SCSCF_PEND_TIMEOUT:
		if (!ok)
			log_warn("%s: SAR TIMEOUT_DEREGISTRATION failed (%d)",
				 p->impu, status ? status : (int)cx->result);
		break;
	case SCSCF_PEND_AUTH_FAIL:
		scscf__reply(s, p->st, 403, "Wrong credentials", NULL);
		break;
	default:
		if (ok) {
			saa_register(s, p, cx);
			break;
		}
		code = scscf__cx_status(status, cx, &reason);
		log_info("%s (%s): SAR failed: %d %s", p->impu, p->impi, code,
			 reason);
		scscf__reply(s, p->st, code, reason, NULL);
		break;
	}
out:
	scscf__pend_free(p);
}

/* ---- expiry -------------------------------------------------------------- */

static bool reg_has_expired(const struct scscf_reg *r, int64_t now)
{
	for (size_t i = 0; i < r->nb; i++)
		if (r->b[i].expires_at <= now)
			return true;
	return r->nb == 0;
}

void scscf__expiry_cb(uv_timer_t *t)
{
	struct scscf *s = t->data;
	int64_t now = scscf__now();
	struct scscf_reg *r, *next;

	for (r = s->regs; r; r = next) {
		size_t before = r->nb, i = 0;
		bool range;

		next = r->next;
		/* Most ticks expire nothing: look before parsing contacts. */
		if (!reg_has_expired(r, now))
			continue;
		range = scscf__reg_is_range(r);
		while (i < r->nb) {
			if (r->b[i].expires_at > now) {
				i++;
				continue;
			}
			scscf__binding_close(&r->b[i]);
			memmove(&r->b[i], &r->b[i + 1],
				(r->nb - i - 1) * sizeof(r->b[0]));
			r->nb--;
		}
		if (r->nb && r->nb == before)
			continue;
		if (r->nb) {
			scscf__store_save(s->store, r);
			continue;
		}
		/* The last binding is gone: TS 24.229 §5.4.1.6 */
		log_info("%s registration expired", r->impu);
		scscf__sar_send(s, NULL, SCSCF_PEND_TIMEOUT, r->impi, r->impu,
				DIAM_CX_SAT_TIMEOUT_DEREGISTRATION,
				DIAM_CX_USER_DATA_ALREADY_AVAILABLE, range);
		scscf__store_delete(s->store, r);
		scscf__reg_free(s, r);
	}
	scscf__av_expire(s, now);
}
