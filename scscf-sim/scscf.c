/* scscf.c - S-CSCF: lifecycle, config, SIP entry point and responses
 * (TS 24.229 §5.4.1; RFC 3261 §10.3). */
#include "scscf_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ims/ims.h"

#define K(name, type, field, def, help, lo, hi)                                \
	{                                                                      \
		name, type, offsetof(struct scscf_conf, field), def, help, lo, \
			hi, NULL                                               \
	}

const struct conf_key scscf_conf_keys[] = {
	APP_COMMON_KEYS(struct scscf_conf, "scscf"),
	K("listen", CONF_STR, listen, "127.0.0.1",
	  "address for SIP over UDP and TCP (numeric)", 0, 0),
	K("port", CONF_INT, port, "6060", "SIP port (UDP and TCP; 0: any)", 0,
	  65535),
	K("home_domain", CONF_STR, home_domain, "ims.example.com",
	  "the domain served: Request-URI sip:<home_domain>, Digest realm", 0,
	  0),
	K("server_name", CONF_STR, server_name,
	  "sip:scscf.ims.example.com:6060", "Server-Name sent on Cx", 0, 0),
	K("service_route", CONF_STR, service_route, "",
	  "Service-Route URI in the 200 OK (empty: sip:orig@<listen>:<port>"
	  ";lr)",
	  0, 0),
	K("hss_host", CONF_STR, hss_host, "127.0.0.1",
	  "the HSS (numeric address)", 0, 0),
	K("hss_port", CONF_INT, hss_port, "3868", "its Diameter port", 1,
	  65535),
	K("origin_host", CONF_STR, origin_host, "scscf.ims.example.com",
	  "our Diameter Origin-Host", 0, 0),
	K("origin_realm", CONF_STR, origin_realm, "ims.example.com",
	  "our Diameter Origin-Realm", 0, 0),
	K("hss_realm", CONF_STR, hss_realm, "ims.example.com",
	  "Destination-Realm of MAR/SAR", 0, 0),
	K("cx_timeout_ms", CONF_INT, cx_timeout_ms, "5000",
	  "Cx answer timeout; then 503 HSS unavailable", 1, 600000),
	K("retry_after_s", CONF_INT, retry_after_s, "30",
	  "Retry-After of a 503 when the HSS does not answer", 0, 86400),
	K("watchdog_ms", CONF_INT, watchdog_ms, "30000",
	  "Diameter watchdog interval (RFC 3539 Tw)", 100, 3600000),
	K("db", CONF_STR, db, "var/scscf/scscf.db",
	  "SQLite file of the bindings (empty: memory only)", 0, 0),
	K("digest_algorithms", CONF_STR, digest_algorithms, "MD5",
	  "Digest algorithms offered, in order of preference, comma "
	  "separated: MD5, SHA-256 (one WWW-Authenticate each, RFC 8760)",
	  0, 0),
	K("nonce_lifetime_s", CONF_INT, nonce_lifetime_s, "300",
	  "a nonce is fresh this long (reusable with a higher nc)", 1, 86400),
	K("reg_await_auth_s", CONF_INT, reg_await_auth_s, "240",
	  "HA1s from an MAA are kept this long (TS 24.229 reg-await-auth)", 1,
	  86400),
	K("min_expires", CONF_INT, min_expires, "60",
	  "shorter expires (but 0) get 423 with Min-Expires", 1, 86400),
	K("max_expires", CONF_INT, max_expires, "600000",
	  "longer expires are cut to this", 1, 100000000),
	K("default_expires", CONF_INT, default_expires, "3600",
	  "expires of a Contact without any expires value", 1, 100000000),
	K("expiry_check_ms", CONF_INT, expiry_check_ms, "1000",
	  "how often bindings are checked for expiry", 10, 3600000),
	K("trust_auth_done", CONF_BOOL, trust_auth_done, "true",
	  "a REGISTER with integrity-protected=\"auth-done\" skips MAR and "
	  "the challenge (trusted edge, TS 24.229 5.4.1.2.2), only when it "
	  "comes from trusted_peers",
	  0, 0),
	K("trusted_peers", CONF_STR, trusted_peers, "127.0.0.1:5060",
	  "the trusted path: a REGISTER with integrity-protected=\"auth-done\" "
	  "is honoured only from these (ip or ip:port, comma list; the "
	  "P-CSCF)",
	  0, 0),
	APP_SIP_KEYS(struct scscf_conf),
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* Nonce-count tracker size: nonces issued per nonce lifetime. */
#define SCSCF_NCT_CAPACITY 65536

static int algs_parse(const char *list, enum digest_alg *out, size_t *n)
{
	struct sv rest = sv_from_cstr(list), el;
	enum digest_alg a;
	int rc = 0;

	*n = 0;
	while (rest.len) {
		rest = sv_split(rest, ',', &el);
		el = sv_trim(el);
		if (!el.len || digest_alg_parse(&a, el) ||
		    *n == SCSCF_MAX_ALGS) {
			rc = -EINVAL;
			goto out;
		}
		out[(*n)++] = a;
	}
	if (!*n)
		rc = -EINVAL;
out:
	return rc;
}

static bool is_numeric_ip(const char *s)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;

	return uv_ip4_addr(s, 0, &a4) == 0 || uv_ip6_addr(s, 0, &a6) == 0;
}

int scscf_conf_check(const struct scscf_conf *c, char *err, size_t n)
{
	enum digest_alg algs[SCSCF_MAX_ALGS];
	char list_err[128];
	size_t nalgs;

	if (!is_numeric_ip(c->listen))
		snprintf(err, n, "listen: '%s' is not a numeric address",
			 c->listen);
	else if (!is_numeric_ip(c->hss_host))
		snprintf(err, n, "hss_host: '%s' is not a numeric address",
			 c->hss_host);
	else if (!c->home_domain[0] || !c->server_name[0] ||
		 !c->origin_host[0] || !c->origin_realm[0] || !c->hss_realm[0])
		snprintf(err, n,
			 "home_domain, server_name, origin_host, "
			 "origin_realm and hss_realm must be set");
	else if (algs_parse(c->digest_algorithms, algs, &nalgs))
		snprintf(err, n,
			 "digest_algorithms: '%s': want a comma list "
			 "of MD5, SHA-256 (at most %d)",
			 c->digest_algorithms, SCSCF_MAX_ALGS);
	else if (c->min_expires > c->max_expires ||
		 c->default_expires < c->min_expires ||
		 c->default_expires > c->max_expires)
		snprintf(err, n,
			 "want min_expires <= default_expires <= "
			 "max_expires");
	else if (app_addr_list_check(c->trusted_peers, list_err,
				     sizeof(list_err)))
		snprintf(err, n, "trusted_peers: %s", list_err);
	else
		return 0;
	return -EINVAL;
}

int64_t scscf__now(void)
{
	return (int64_t)(time_now_us() / 1000000);
}

/* ---- pending Cx requests ------------------------------------------------ */

struct scscf_pend *scscf__pend_new(struct scscf *s, enum scscf_pend_kind k,
				   struct sipt_strans *st, const char *impi,
				   const char *impu)
{
	struct scscf_pend *p = xcalloc(1, sizeof(*p));

	p->s = s;
	p->kind = k;
	p->st = st ? obj_ref(st) : NULL;
	p->impi = xstrdup(impi);
	p->impu = xstrdup(impu);
	p->next = s->pends;
	if (p->next)
		p->next->prev = p;
	s->pends = p;
	return p;
}

void scscf__pend_free(struct scscf_pend *p)
{
	if (p->s) {
		if (p->prev)
			p->prev->next = p->next;
		else
			p->s->pends = p->next;
		if (p->next)
			p->next->prev = p->prev;
	}
	obj_unref(p->st);
	free(p->impi);
	free(p->impu);
	free(p);
}

int scscf__cx_status(int status, const struct diam_cx *cx, const char **reason)
{
	/* The HSS is not there (RFC 6733 §5.5.4 watchdog, no connection,
	 * no answer) or says it cannot serve now: temporary, 503. */
	if (status == -ETIMEDOUT || status == -ECONNRESET ||
	    (!status && cx && !cx->experimental &&
	     (cx->result == DIAM_UNABLE_TO_DELIVER ||
	      cx->result == DIAM_TOO_BUSY))) {
		*reason = "HSS unavailable";
		return 503;
	}
	*reason = "HSS error";
	if (status || !cx || !cx->experimental)
		return 500;
	/* TS 29.229 §6.2.2 permanent failures that are about the user. */
	switch (cx->result) {
	case DIAM_CX_ERROR_USER_UNKNOWN:
		*reason = "Unknown user";
		return 403;
	case DIAM_CX_ERROR_IDENTITIES_DONT_MATCH:
		*reason = "Identities don't match";
		return 403;
	case DIAM_CX_ERROR_AUTH_SCHEME_NOT_SUPPORTED:
		*reason = "Authentication scheme not supported";
		return 403;
	default:
		return 500;
	}
}

/* ---- responses ----------------------------------------------------------- */

static void print_start(struct scscf *s, struct buf *b, struct sipt_strans *st,
			int status, const char *reason)
{
	char tag[SIPT_TAG_MAX];

	sipt_tag_new(s->sipt, tag);
	sipt_print_response_start(b, st, status, reason, tag);
}

/* Sends now, or after the store's commit if changes are pending. */
static void send_reply(struct scscf *s, struct sipt_strans *st, struct buf *b)
{
	if (!scscf__store_defer(s->store, st, b))
		sipt_strans_reply(st, b->data, b->len);
}

void scscf__reply(struct scscf *s, struct sipt_strans *st, int status,
		  const char *reason, const char *extra)
{
	struct buf b;

	buf_init(&b);
	print_start(s, &b, st, status, reason);
	if (extra)
		buf_puts(&b, extra);
	else if (status == 503) /* RFC 3261 §20.33: when to try again */
		buf_printf(&b, "Retry-After: %ld\r\n", s->conf->retry_after_s);
	sip_print_end(&b, NULL, NULL, 0);
	send_reply(s, st, &b);
	buf_close(&b);
}

void scscf__reply_ok(struct scscf *s, struct sipt_strans *st,
		     const struct scscf_reg *r)
{
	const struct sip_msg *req = sipt_strans_req(st);
	int64_t now = scscf__now();
	const struct sip_hdr *h;
	char date[64];
	struct tm tm;
	time_t t = (time_t)now;
	struct buf b;

	buf_init(&b);
	print_start(s, &b, st, 200, NULL);
	/* RFC 3261 §10.3 step 8: every current binding, with its expires. */
	for (size_t i = 0; r && i < r->nb; i++) {
		const struct scscf_binding *bd = &r->b[i];

		if (bd->expires_at <= now)
			continue;
		buf_printf(&b, "Contact: <%s>;expires=%lld", bd->contact,
			   (long long)(bd->expires_at - now));
		if (bd->instance)
			buf_printf(&b, ";+sip.instance=\"%s\"", bd->instance);
		if (bd->reg_id)
			buf_printf(&b, ";reg-id=%s", bd->reg_id);
		buf_puts(&b, "\r\n");
	}
	/* RFC 3327 §5.3: the Path of the request, in order. */
	for (h = sip_hdr_find(req, SIP_HDR_PATH); h; h = sip_hdr_next(req, h))
		sip_print_hdr(&b, "Path", h->value);
	if (r && r->nb) {
		/* RFC 3608 §6; TS 24.229 §5.4.1.2.2 items f) and g). A
		 * wildcarded IMPU goes out as a valid SIP URI: what its user
		 * part cannot carry is escaped (RFC 3261 §25.1). */
		buf_printf(&b, "Service-Route: <%s>\r\n", s->service_route);
		buf_puts(&b, "P-Associated-URI: ");
		for (size_t i = 0; i < r->nset; i++) {
			buf_puts(&b, i ? ", <" : "<");
			if (ims_impu_escape(sv_from_cstr(r->set[i]), &b))
				buf_puts(&b, r->set[i]);
			buf_puts(&b, ">");
		}
		buf_puts(&b, "\r\n");
	}
	/* RFC 6140: a registrar that took a GIN REGISTER says it knows. */
	sip_print_hdr(&b, "Supported",
		      scscf__is_gin(req) ? SV("path, gin") : SV("path"));
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	sip_print_hdr(&b, "Date", sv_from_cstr(date));
	sip_print_end(&b, NULL, NULL, 0);
	send_reply(s, st, &b);
	buf_close(&b);
}

/* ---- REGISTER ------------------------------------------------------------ */

bool scscf__is_gin(const struct sip_msg *req)
{
	return sip_msg_has_option(req, SIP_HDR_REQUIRE, "gin");
}

/* RFC 3261 §10.3 step 2: every Require option must be ours: path (RFC
 * 3327) and gin (RFC 6140). Returns false after answering 420 with
 * Unsupported. */
static bool require_check(struct scscf *s, struct sipt_strans *st,
			  const struct sip_msg *req)
{
	struct sip_list_iter it = { 0 };
	struct buf unsup;
	struct sv el;
	bool ok;

	buf_init(&unsup);
	buf_puts(&unsup, "Unsupported: ");
	ok = true;
	while (sip_list_iter_next(req, SIP_HDR_REQUIRE, &it, &el)) {
		if (sv_casecmp_cstr(el, "path") || sv_casecmp_cstr(el, "gin"))
			continue;
		buf_printf(&unsup, "%s%.*s", ok ? "" : ", ", SV_ARG(el));
		ok = false;
	}
	if (!ok) {
		buf_puts(&unsup, "\r\n");
		scscf__reply(s, st, 420, NULL, unsup.data);
	}
	buf_close(&unsup);
	return ok;
}

/* A TS 23.003 §13.4A wildcarded IMPU text (the To of a GIN REGISTER once
 * normalized: its escapes decoded). */
static bool is_wildcard(const struct buf *impu)
{
	struct ims_wildcard *w = NULL;
	int rc = ims_wildcard_parse((struct sv){ impu->data, impu->len }, &w,
				    NULL);

	ims_wildcard_free(w);
	return rc == 0;
}

/* RFC 6140 §7: the Contact of a GIN REGISTER carries "bnc" and no user
 * part (the numbers of the block are the user parts of the requests
 * later sent to it); "bnc" means nothing without "gin". NULL if fine. */
static const char *gin_contact_fault(const struct sip_addr *a, bool gin)
{
	bool bnc = sip_param_has(a->uri.params, "bnc");

	if (bnc && !gin)
		return "bnc Contact without Require: gin";
	if (bnc && a->uri.user.len)
		return "bnc Contact with a user part";
	if (gin && !bnc)
		return "GIN Contact without bnc";
	return NULL;
}

void scscf__register(struct scscf *s, struct sipt_strans *st, bool fetched)
{
	const struct sip_msg *req = sipt_strans_req(st);
	bool gin = scscf__is_gin(req);
	struct sip_list_iter it = { 0 };
	const char *why;
	struct sip_addr a;
	struct buf impu;
	struct sv el;

	buf_init(&impu);
	/* RFC 3261 §10.3 step 1; TS 24.229 §5.4.1.2.1: R-URI = home domain */
	if ((req->ruri.scheme != SIP_URI_SIP &&
	     req->ruri.scheme != SIP_URI_SIPS) ||
	    req->ruri.user.len ||
	    !sv_casecmp_cstr(req->ruri.host, s->conf->home_domain)) {
		scscf__reply(s, st, 403, "Not our domain", NULL);
		goto out;
	}
	if (!require_check(s, st, req))
		goto out;
	/* The To header names the IMPU being registered (§10.3 step 5). */
	if (ims_impu_normalize(req->to.uri_str, &impu)) {
		scscf__reply(s, st, 400, "Bad To URI", NULL);
		goto out;
	}
	if (gin && !is_wildcard(&impu)) {
		scscf__reply(s, st, 403, "GIN needs a wildcarded IMPU", NULL);
		goto out;
	}
	while (sip_list_iter_next(req, SIP_HDR_CONTACT, &it, &el)) {
		if (sip_addr_parse(&a, el, NULL) ||
		    (!a.star && a.uri.scheme == SIP_URI_TEL)) {
			scscf__reply(s, st, 400, "Bad Contact", NULL);
			goto out;
		}
		why = a.star ? NULL : gin_contact_fault(&a, gin);
		if (why) {
			scscf__reply(s, st, 400, why, NULL);
			goto out;
		}
	}
	scscf__auth_check(s, st, req, impu.data, fetched);
out:
	buf_close(&impu);
}

static void on_request(struct sipt *sp, struct sipt_strans *st,
		       const struct sip_msg *req, void *arg)
{
	struct scscf *s = arg;

	UNUSED(sp);
	if (!st)
		return; /* a stray ACK */
	switch (req->method) {
	case SIP_METHOD_REGISTER:
		scscf__register(s, st, false);
		break;
	case SIP_METHOD_OPTIONS:
		scscf__reply(s, st, 200, NULL, "Allow: REGISTER, OPTIONS\r\n");
		break;
	default:
		scscf__reply(s, st, 501, "scscf-sim serves REGISTER only",
			     "Allow: REGISTER, OPTIONS\r\n");
		break;
	}
}

static void on_sip_trace(struct sipt *sp, enum sipt_dir dir,
			 const char *transport, const struct sockaddr *local,
			 const struct sockaddr *peer, const char *bytes,
			 size_t len, void *arg)
{
	struct scscf *s = arg;

	UNUSED(sp);
	app_trace_sip(s->trace, dir == SIPT_SEND, transport, local, peer, bytes,
		      len);
}

/* The arg is the trace sink, not s: the peer may still trace its DPR/DPA
 * after scscf_close has let s go. */
static void on_diam_trace(void *arg, enum diam_dir dir,
			  const struct sockaddr *local,
			  const struct sockaddr *remote, const void *raw,
			  size_t len)
{
	app_trace_diam(arg, dir == DIAM_SEND, local, remote, raw, len);
}

/* ---- lifecycle ----------------------------------------------------------- */

static int sipt_start(struct scscf *s)
{
	const struct scscf_conf *c = s->conf;
	struct sipt_conf sc = { 0 };

	sc.udp_addr = sc.tcp_addr = c->listen;
	sc.udp_port = sc.tcp_port = (uint16_t)c->port;
	app_sipt_conf(&c->sip, &sc);
	sc.rng = s->rng;
	sc.request_cb = on_request;
	sc.trace_cb = on_sip_trace;
	sc.arg = s;
	app_sipt_fault(&sc, s->trace);
	return sipt_new(&s->sipt, s->loop, &sc);
}

static int cx_start(struct scscf *s)
{
	const struct scscf_conf *c = s->conf;
	struct diam_conf dc = { 0 };
	struct diam_handlers h = { 0 };
	struct sockaddr_storage ss = { 0 };
	int rc;

	rc = uv_ip4_addr(c->hss_host, (int)c->hss_port,
			 (struct sockaddr_in *)&ss);
	if (rc)
		rc = uv_ip6_addr(c->hss_host, (int)c->hss_port,
				 (struct sockaddr_in6 *)&ss);
	if (rc)
		goto out;
	dc.local.host = c->origin_host;
	dc.local.realm = c->origin_realm;
	dc.local.product = "imstb scscf-sim";
	dc.watchdog_ms = (uint64_t)c->watchdog_ms;
	dc.request_timeout_ms = (uint64_t)c->cx_timeout_ms;
	h.trace = on_diam_trace;
	h.arg = s->trace;
	app_diam_fault(&h, s->trace);
	rc = diam_peer_connect(&s->peer, s->loop, &dc, &h,
			       (struct sockaddr *)&ss);
out:
	return rc;
}

static void free_state(struct scscf *s)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	while (s->regs)
		scscf__reg_free(s, s->regs);
	while ((n = hmap_iter_next(&s->avs, &it)))
		scscf__av_free(s, hmap_entry(n, struct scscf_av, node));
	hmap_close(&s->avs);
	hmap_close(&s->members);
	scscf__store_close(s->store);
	s->store = NULL;
	digest_nctrack_free(s->nct);
	s->nct = NULL;
}

int scscf_new(struct scscf **out, uv_loop_t *loop,
	      const struct scscf_conf *conf, struct trace *trace,
	      struct rng *rng)
{
	struct scscf *s = xcalloc(1, sizeof(*s));
	char err[256];
	int rc;

	s->conf = conf;
	s->loop = loop;
	s->trace = trace;
	s->rng = rng;
	hmap_init(&s->members);
	hmap_init(&s->avs);
	rc = scscf_conf_check(conf, err, sizeof(err));
	if (rc) {
		log_error("%s", err);
		goto fail;
	}
	algs_parse(conf->digest_algorithms, s->algs, &s->nalgs);
	digest_nonce_key_init(&s->nkey, rng, (uint64_t)conf->nonce_lifetime_s);
	s->nct = digest_nctrack_new(SCSCF_NCT_CAPACITY,
				    (uint64_t)conf->nonce_lifetime_s);
	if (conf->db[0]) {
		app_mkdir_parent(conf->db);
		rc = scscf__store_open(s, conf->db, &s->store);
		if (rc)
			goto fail;
	}
	rc = sipt_start(s);
	if (rc) {
		log_error("cannot listen on %s:%ld: %s", conf->listen,
			  conf->port, uv_strerror(rc));
		goto fail;
	}
	rc = cx_start(s);
	if (rc) {
		log_error("cannot connect to the HSS %s:%ld: %s",
			  conf->hss_host, conf->hss_port, uv_strerror(rc));
		sipt_close(s->sipt, NULL, NULL);
		goto fail;
	}
	if (conf->service_route[0])
		snprintf(s->service_route, sizeof(s->service_route), "%s",
			 conf->service_route);
	else
		snprintf(s->service_route, sizeof(s->service_route),
			 "sip:orig@%s:%u;lr", conf->listen, scscf_port(s));
	uv_timer_init(loop, &s->expiry);
	s->expiry.data = s;
	uv_timer_start(&s->expiry, scscf__expiry_cb,
		       (uint64_t)conf->expiry_check_ms,
		       (uint64_t)conf->expiry_check_ms);
	*out = s;
	return 0;
fail:
	free_state(s);
	free(s);
	return rc;
}

static void on_expiry_closed(uv_handle_t *h)
{
	free(h->data);
}

void scscf_close(struct scscf *s)
{
	struct scscf_pend *p, *next;

	s->closing = true;
	/* Pending Cx requests still get their callback from the peer: detach
	 * them so it only frees them. */
	for (p = s->pends; p; p = next) {
		next = p->next;
		p->s = NULL;
		p->st = obj_unref(p->st);
	}
	s->pends = NULL;
	diam_peer_free(s->peer);
	s->peer = NULL;
	sipt_close(s->sipt, NULL, NULL);
	s->sipt = NULL;
	free_state(s);
	uv_timer_stop(&s->expiry);
	uv_close((uv_handle_t *)&s->expiry, on_expiry_closed);
}

uint16_t scscf_port(const struct scscf *s)
{
	return sipt_port(s->sipt, SIPT_UDP);
}

size_t scscf_reg_count(const struct scscf *s)
{
	return s->nregs;
}

/* The bindings of a registered block (GIN) impu is a member of. */
static size_t range_bindings(const struct scscf *s, struct sv impu)
{
	struct ims_wildcard *w;
	size_t count = 0;

	for (const struct scscf_reg *r = s->regs; r && !count; r = r->next) {
		if (!scscf__reg_is_range(r) ||
		    ims_wildcard_parse(sv_from_cstr(r->impu), &w, NULL))
			continue;
		if (ims_wildcard_match(w, impu))
			count = r->nb;
		ims_wildcard_free(w);
	}
	return count;
}

size_t scscf_binding_count(const struct scscf *s, const char *impu)
{
	struct buf norm;
	struct hmap_node *n;
	size_t count = 0;

	buf_init(&norm);
	if (ims_impu_normalize(sv_from_cstr(impu), &norm))
		goto out;
	n = hmap_find(&s->members, (struct sv){ norm.data, norm.len });
	if (n)
		count = hmap_entry(n, struct scscf_member, node)->reg->nb;
	else
		count = range_bindings(s, (struct sv){ norm.data, norm.len });
out:
	buf_close(&norm);
	return count;
}

bool scscf_hss_open(const struct scscf *s)
{
	return s->peer && diam_peer_is_open(s->peer);
}
