/*
 * range.c - the wsf's half of TR 23.701 §6.X.2.1.3: an enterprise WWS
 * registers a block of IMPUs (a TS 23.003 §13.4A wildcarded IMPU) with one
 * GIN-shaped REGISTER (RFC 6140; Figure 6.X.2.1.3.2-1), and its web users
 * then register single IMPUs of that block with a token (Figure
 * 6.X.2.1.3.3-1), answered here without any IMS registration. This file
 * keeps the configuration and the state, and answers the web users; the
 * GIN REGISTER itself is gin.c's. See wsf.h for the keys, the answers and
 * the refusals.
 *
 * State lives in memory only: the blocks registered now (block -> the
 * enterprise WWS whose Origin registered it) and the web users'
 * registrations taken from them (canonical IMPU -> flow). Expiry is lazy:
 * every entry point first drops what has expired.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "digest/digest.h"
#include "ims/ims.h"
#include "wsf_int.h"

#define NONCE_LIFE_S	300  /* a static-mode nonce stays fresh this long */
#define NCT_CAP		1024 /* nonces whose nc the replay tracker keeps */
#define MAX_EXPIRES	86400

/* ---- configuration ---------------------------------------------------- */

static struct sv strip_slash(struct sv v)
{
	v = sv_trim(v);
	while (v.len && v.p[v.len - 1] == '/')
		v.len--;
	return v;
}

/* "ORIGIN=ISSUER,..." (RFC 6454 origin: scheme://host[:port]). */
static int ent_parse(struct wsf__range *r, const char *list, char *err,
		     size_t n)
{
	struct sv rest = sv_from_cstr(list), item, origin, iss;

	while (rest.len) {
		rest = sv_split(rest, ',', &item);
		if (!sv_trim(item).len)
			continue;
		iss = strip_slash(sv_split(item, '=', &origin));
		origin = strip_slash(origin);
		if (!sv_chr(item, '=') || !iss.len ||
		    !(sv_case_starts_with(origin, "https://") ||
		      sv_case_starts_with(origin, "http://")) ||
		    wsf__token_url_check(iss)) {
			snprintf(err, n,
				 "enterprise_wws: '%.*s' is not ORIGIN=ISSUER "
				 "(http(s)://host[:port]=http(s)://numeric-"
				 "address[:port][/path])",
				 SV_ARG(sv_trim(item)));
			return -EINVAL;
		}
		r->ent = xrealloc(r->ent, (r->nent + 1) * sizeof(*r->ent));
		r->ent[r->nent].origin = sv_dup(origin);
		r->ent[r->nent++].iss = sv_dup(iss);
	}
	return 0;
}

/* The enterprise entry whose Origin is origin (case-insensitive), or -1. */
long wsf__ent_of_origin(const struct wsf__range *r, const char *origin)
{
	struct sv o = strip_slash(sv_from_cstr(origin ? origin : ""));

	for (size_t i = 0; o.len && i < r->nent; i++)
		if (sv_casecmp_cstr(o, r->ent[i].origin))
			return (long)i;
	return -1;
}

static long ent_of_iss(const struct wsf__range *r, const char *iss)
{
	struct sv v = strip_slash(sv_from_cstr(iss ? iss : ""));

	for (size_t i = 0; v.len && i < r->nent; i++)
		if (sv_eq_cstr(v, r->ent[i].iss))
			return (long)i;
	return -1;
}

/* Splits off the part after the last '|' (the wildcard's ERE may hold
 * '|' itself, so the fields are taken from the right). */
static struct sv rsplit_bar(struct sv *item)
{
	for (size_t i = item->len; i > 0; i--) {
		if (item->p[i - 1] == '|') {
			struct sv tail = { item->p + i, item->len - i };

			item->len = i - 1;
			return sv_trim(tail);
		}
	}
	return SV_NULL;
}

/* "WILDCARD|IMPI|PASSWORD|ORIGIN;..." */
static int stat_parse(struct wsf__range *r, const char *list, bool check_ent,
		      char *err, size_t n)
{
	struct sv rest = sv_from_cstr(list), item, origin, pw, impi;
	const char *why = NULL;
	struct wsf__stat s;
	long ent;

	while (rest.len) {
		rest = sv_split(rest, ';', &item);
		if (!sv_trim(item).len)
			continue;
		memset(&s, 0, sizeof(s));
		origin = strip_slash(rsplit_bar(&item));
		pw = rsplit_bar(&item);
		impi = rsplit_bar(&item);
		item = sv_trim(item);
		if (!origin.p || !pw.p || !impi.p)
			why = "not WILDCARD|IMPI|PASSWORD|ORIGIN";
		else if (ims_wildcard_parse(item, &s.wc, NULL))
			why = "not a TS 23.003 wildcarded IMPU";
		else if (ims_impi_check(impi, NULL))
			why = "bad IMPI";
		else if (!pw.len || !origin.len)
			why = "empty password or origin";
		s.origin = sv_dup(origin);
		ent = wsf__ent_of_origin(r, s.origin);
		if (!why && check_ent && ent < 0)
			why = "origin not in enterprise_wws";
		if (why) {
			snprintf(err, n, "static_ranges: '%.*s': %s",
				 SV_ARG(item), why);
			ims_wildcard_free(s.wc);
			free(s.origin);
			return -EINVAL;
		}
		s.impi = sv_dup(impi);
		s.password = sv_dup(pw);
		s.ent = ent < 0 ? 0 : (size_t)ent;
		r->st = xrealloc(r->st, (r->nst + 1) * sizeof(*r->st));
		r->st[r->nst++] = s;
	}
	return 0;
}

static void range_free(struct wsf__range *r)
{
	for (size_t i = 0; i < r->nent; i++) {
		free(r->ent[i].origin);
		free(r->ent[i].iss);
	}
	for (size_t i = 0; i < r->nst; i++) {
		ims_wildcard_free(r->st[i].wc);
		free(r->st[i].impi);
		OPENSSL_cleanse(r->st[i].password, strlen(r->st[i].password));
		free(r->st[i].password);
		free(r->st[i].origin);
	}
	free(r->ent);
	free(r->st);
	free(r);
}

static int range_parse(const struct wsf_conf *c, struct wsf__range **out,
		       char *err, size_t n)
{
	struct wsf__range *r = xcalloc(1, sizeof(*r));
	int rc;

	rc = ent_parse(r, c->enterprise_wws, err, n);
	if (!rc)
		rc = stat_parse(r, c->static_ranges,
				c->range_mode == WSF_RANGE_STATIC, err, n);
	if (rc) {
		range_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

int wsf__range_conf_check(const struct wsf_conf *c, char *err, size_t n)
{
	struct wsf__range *r;
	int rc = range_parse(c, &r, err, n);

	if (!rc)
		range_free(r);
	return rc;
}

int wsf__range_setup(struct wsf *w, char *err, size_t errlen)
{
	int rc = range_parse(w->conf, &w->range, err, errlen);

	if (rc)
		return rc;
	hmap_init(&w->range->clients);
	digest_nonce_key_init(&w->range->nkey, w->rng, NONCE_LIFE_S);
	w->range->nct = digest_nctrack_new(NCT_CAP, NONCE_LIFE_S);
	for (size_t i = 0; i < w->range->nent; i++)
		log_info("enterprise WWS %s (Origin %s): IMPU blocks in %s "
			 "mode",
			 w->range->ent[i].iss, w->range->ent[i].origin,
			 w->conf->range_mode == WSF_RANGE_STATIC
				 ? "static"
				 : "registration");
	return 0;
}

size_t wsf__range_ent_count(const struct wsf *w)
{
	return w->range ? w->range->nent : 0;
}

const char *wsf__range_ent_origin(const struct wsf *w, size_t i)
{
	return w->range->ent[i].origin;
}

const char *wsf__range_ent_iss(const struct wsf *w, size_t i)
{
	return w->range->ent[i].iss;
}

/* ---- blocks and clients ----------------------------------------------- */

static uint64_t now_ms(const struct wsf *w)
{
	return uv_now(w->loop);
}

static void client_del(struct wsf *w, struct wsf__rcli *c, bool ended)
{
	struct hmap_node *n = hmap_find(&w->flows,
					(struct sv){ c->flow, WSF_ID_HEX });
	struct wsf_flow *f = n ? hmap_entry(n, struct wsf_flow, node) : NULL;

	hmap_remove(&w->range->clients, &c->node);
	if (f && f->range_regs && !--f->range_regs && ended)
		f->range_ended = true;
	free(c->impu);
	free(c);
}

/* Ends block b and every web user's registration taken from it. */
void wsf__block_end(struct wsf *w, struct wsf__block *b, const char *why)
{
	struct wsf__range *r = w->range;
	struct hmap_iter it = { 0 };
	struct wsf__block **pp;
	struct hmap_node *n;
	size_t ended = 0;

	while ((n = hmap_iter_next(&r->clients, &it))) {
		struct wsf__rcli *c = hmap_entry(n, struct wsf__rcli, node);

		if (c->b == b) {
			client_del(w, c, true);
			ended++;
		}
	}
	log_info("block %s of %s %s: %zu web user registration(s) taken "
		 "from it ended",
		 ims_wildcard_text(b->wc), r->ent[b->ent].iss, why, ended);
	for (pp = &r->blocks; *pp != b; pp = &(*pp)->next)
		;
	*pp = b->next;
	ims_wildcard_free(b->wc);
	free(b);
}

/* Drops what has expired (RFC 3261 §10.2.1: a binding lives until its
 * expires runs out unless refreshed). */
void wsf__range_sweep(struct wsf *w)
{
	struct wsf__range *r = w->range;
	uint64_t now = now_ms(w);
	struct hmap_iter it = { 0 };
	struct wsf__block *b, *next;
	struct hmap_node *n;

	for (b = r->blocks; b; b = next) {
		next = b->next;
		if (b->until_ms <= now)
			wsf__block_end(w, b, "expired");
	}
	while ((n = hmap_iter_next(&r->clients, &it))) {
		struct wsf__rcli *c = hmap_entry(n, struct wsf__rcli, node);

		if (c->until_ms <= now) {
			log_info("registration of %s expired", c->impu);
			client_del(w, c, false);
		}
	}
}

struct wsf__block *wsf__block_find(struct wsf__range *r,
				     const struct ims_wildcard *wc)
{
	struct wsf__block *b;

	for (b = r->blocks; b; b = b->next)
		if (!strcmp(ims_wildcard_text(b->wc), ims_wildcard_text(wc)))
			break;
	return b;
}

/* Records (or refreshes) the block for entry ent; takes ownership of wc. */
void wsf__block_set(struct wsf *w, struct ims_wildcard *wc, size_t ent,
		      uint64_t expires)
{
	struct wsf__range *r = w->range;
	struct wsf__block *b = wsf__block_find(r, wc);

	if (b && b->ent != ent) { /* another WWS took it over */
		wsf__block_end(w, b, "taken over by another WWS");
		b = NULL;
	}
	if (b) {
		ims_wildcard_free(b->wc);
	} else {
		b = xcalloc(1, sizeof(*b));
		b->next = r->blocks;
		r->blocks = b;
	}
	b->wc = wc;
	b->ent = ent;
	b->until_ms = now_ms(w) + expires * 1000;
	log_info("block %s registered by %s for %llu s (range_mode=%s)",
		 ims_wildcard_text(wc), r->ent[ent].iss,
		 (unsigned long long)expires,
		 w->conf->range_mode == WSF_RANGE_STATIC ? "static"
							 : "registration");
}

void wsf__range_close(struct wsf *w)
{
	struct wsf__range *r = w->range;
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	if (!r)
		return;
	while ((n = hmap_iter_next(&r->clients, &it))) {
		struct wsf__rcli *c = hmap_entry(n, struct wsf__rcli, node);

		hmap_remove(&r->clients, n);
		free(c->impu);
		free(c);
	}
	hmap_close(&r->clients);
	while (r->blocks) {
		struct wsf__block *b = r->blocks;

		r->blocks = b->next;
		ims_wildcard_free(b->wc);
		free(b);
	}
	digest_nctrack_free(r->nct);
	OPENSSL_cleanse(&r->nkey, sizeof(r->nkey));
	range_free(r);
	w->range = NULL;
}

void wsf__range_flow_gone(struct wsf *w, struct wsf_flow *f)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	if (!w->range || !f->range_regs)
		return;
	while ((n = hmap_iter_next(&w->range->clients, &it))) {
		struct wsf__rcli *c = hmap_entry(n, struct wsf__rcli, node);

		if (!strcmp(c->flow, f->id)) {
			log_info("registration of %s ended: its flow %s closed",
				 c->impu, f->id);
			client_del(w, c, false);
		}
	}
}

size_t wsf_range_block_count(struct wsf *w)
{
	size_t n = 0;

	wsf__range_sweep(w);
	for (struct wsf__block *b = w->range->blocks; b; b = b->next)
		n++;
	return n;
}

size_t wsf_range_client_count(struct wsf *w)
{
	wsf__range_sweep(w);
	return w->range->clients.count;
}

/* ---- answering -------------------------------------------------------- */

/* A final answer from the wsf itself (RFC 3261 §8.2.6.2: with a To tag);
 * extra: whole header lines or NULL. */
void wsf__reply(struct wsf *w, struct sipt_strans *st, int status,
		  const char *reason, const char *extra)
{
	char tag[SIPT_TAG_MAX];
	struct buf b;

	sipt_tag_new(w->sipt, tag);
	buf_init(&b);
	sipt_print_response_start(&b, st, status, reason, tag);
	if (extra)
		buf_puts(&b, extra);
	sip_print_end(&b, NULL, NULL, 0);
	sipt_strans_reply(st, b.data, b.len);
	buf_close(&b);
}

/* RFC 3261 §10.2.1.1: the Contact's expires, else the Expires header,
 * else dflt; capped at MAX_EXPIRES. */
uint64_t wsf__expires_of(const struct sip_msg *m, const struct sip_addr *a,
			   uint64_t dflt)
{
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_EXPIRES);
	uint64_t v = dflt;
	struct sv p;

	if (a && sip_param_get(a->params, "expires", &p) == 0) {
		if (sv_to_u64(p, UINT32_MAX, &v))
			v = dflt;
	} else if (!h || sv_to_u64(sv_trim(h->value), UINT32_MAX, &v)) {
		v = dflt;
	}
	return v > MAX_EXPIRES ? MAX_EXPIRES : v;
}

/* "Contact: <uri>;params;expires=N\r\n": the Contact as sent, with the
 * expires granted (RFC 3261 §10.3 step 8; WebRTC libraries want their own
 * Contact back). */
void wsf__contact_print(struct buf *b, const struct sip_addr *a,
			  uint64_t expires)
{
	struct sv rest = a->params, p, name;

	buf_printf(b, "Contact: <%.*s>", SV_ARG(a->uri_str));
	while (rest.len) {
		rest = sv_split(rest, ';', &p);
		sv_split(p, '=', &name);
		if (sv_trim(p).len && !sv_casecmp_cstr(sv_trim(name),
						       "expires"))
			buf_printf(b, ";%.*s", SV_ARG(sv_trim(p)));
	}
	buf_printf(b, ";expires=%llu\r\n", (unsigned long long)expires);
}

/* The first Contact of req: 0 (a star sets *star), -ENOENT none,
 * -EBADMSG malformed. */
int wsf__contact_first(const struct sip_msg *req, struct sip_addr *a,
			 bool *star)
{
	struct sip_list_iter it = { 0 };
	struct sv el;

	*star = false;
	if (!sip_list_iter_next(req, SIP_HDR_CONTACT, &it, &el))
		return -ENOENT;
	if (sip_addr_parse(a, el, NULL))
		return -EBADMSG;
	*star = a->star;
	return 0;
}

/* ---- Figure 6.X.2.1.3.3-1: a web user's IMPU of the block (step 8) ---- */

bool wsf__range_iss_is_ent(const struct wsf *w, const char *iss)
{
	return ent_of_iss(w->range, iss) >= 0;
}

const char *wsf__range_owner(struct wsf *w, const char *impu)
{
	char *canon = ims_impu_canon(impu);
	struct wsf__block *b = NULL;

	wsf__range_sweep(w);
	for (b = canon ? w->range->blocks : NULL; b; b = b->next)
		if (ims_wildcard_match(b->wc, sv_from_cstr(canon)))
			break;
	free(canon);
	return b ? w->range->ent[b->ent].iss : NULL;
}

void wsf__range_client(struct wsf *w, struct sipt_strans *st,
		       struct wsf_flow *f, const char *impu, const char *iss)
{
	const struct sip_msg *req = sipt_strans_req(st);
	struct wsf__range *r = w->range;
	long ent = ent_of_iss(r, iss);
	struct sip_list_iter it = { 0 };
	struct wsf__block *b, *mine = NULL;
	struct hmap_node *n;
	char *canon = ims_impu_canon(impu);
	struct wsf__rcli *c;
	struct sip_addr a;
	struct buf h, why;
	uint64_t exp;
	bool any = false, star;
	struct sv el;

	wsf__range_sweep(w);
	buf_init(&h);
	buf_init(&why);
	for (b = r->blocks; canon && b && !mine; b = b->next) {
		if (b->ent != (size_t)ent)
			continue;
		any = true;
		if (ims_wildcard_match(b->wc, sv_from_cstr(canon)))
			mine = b;
	}
	if (!mine) {
		/* Only blocks registered by the token's own WWS count. */
		if (any)
			buf_printf(&why, "IMPU outside the block of %s", iss);
		else
			buf_puts(&why, "block not registered");
		log_info("flow %s: %s of %s: 403 %s", f->id, impu, iss,
			 why.data);
		wsf__reply(w, st, 403, why.data, NULL);
		goto out;
	}
	if (wsf__contact_first(req, &a, &star))
		exp = wsf__expires_of(req, NULL, WSF_DEFAULT_EXPIRES);
	else
		exp = star ? 0 : wsf__expires_of(req, &a, WSF_DEFAULT_EXPIRES);
	n = hmap_find(&r->clients, sv_from_cstr(canon));
	if (n) { /* the later registration replaces the earlier one */
		c = hmap_entry(n, struct wsf__rcli, node);
		if (strcmp(c->flow, f->id))
			log_info("%s: registration on flow %s replaces the one "
				 "on flow %s",
				 impu, f->id, c->flow);
		client_del(w, c, false);
	}
	if (exp) {
		c = xcalloc(1, sizeof(*c));
		c->impu = canon;
		canon = NULL;
		c->b = mine;
		memcpy(c->flow, f->id, sizeof(c->flow));
		c->until_ms = now_ms(w) + exp * 1000;
		hmap_insert(&r->clients, &c->node, sv_from_cstr(c->impu));
		f->range_regs++;
		f->range_ended = false;
		while (sip_list_iter_next(req, SIP_HDR_CONTACT, &it, &el))
			if (!sip_addr_parse(&a, el, NULL) && !a.star)
				wsf__contact_print(&h, &a, exp);
		buf_puts(&h, "P-Associated-URI: <");
		if (ims_impu_escape(sv_from_cstr(impu), &h))
			buf_puts(&h, impu);
		buf_puts(&h, ">\r\n");
	}
	log_info("flow %s: %s is inside block %s of %s: 200 from the wsf "
		 "(step 8), no IMS registration%s",
		 f->id, impu, ims_wildcard_text(mine->wc), iss,
		 exp ? "" : " (de-registered)");
	wsf__reply(w, st, 200, NULL, h.len ? h.data : NULL);
out:
	free(canon);
	buf_close(&h);
	buf_close(&why);
}

/*
 * token_origin: the page that got the token (its issuer's Origin: the
 * scheme, host and port of the iss URL, or the ORIGIN of the enterprise_wws
 * entry naming that iss) is the page that may present it. A token lifted
 * into another site's page is refused even where that site may open
 * WebSockets. A flow without Origin (allowed_origins = *, no browser)
 * passes: a non-browser client can write any Origin anyway.
 */
bool wsf__origin_bound(const struct wsf *w, const struct wsf_flow *f,
		       const char *iss)
{
	struct sv o, want = sv_from_cstr(iss);
	const char *slash;

	if (!w->conf->token_origin || !f->origin)
		return true;
	o = sv_trim(sv_from_cstr(f->origin));
	while (o.len && o.p[o.len - 1] == '/')
		o.len--;
	for (size_t i = 0; i < wsf__range_ent_count(w); i++)
		if (!strcasecmp(wsf__range_ent_iss(w, i), iss))
			want = sv_from_cstr(wsf__range_ent_origin(w, i));
	/* the scheme and authority of a URL (drop any path) */
	slash = strstr(want.p, "://");
	if (slash && (slash = memchr(slash + 3, '/',
				     want.len - (size_t)(slash + 3 - want.p))))
		want.len = (size_t)(slash - want.p);
	while (want.len && want.p[want.len - 1] == '/')
		want.len--;
	return o.len == want.len && !strncasecmp(o.p, want.p, o.len);
}
