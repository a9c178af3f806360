/*
 * tokencheck.c - the wsf's half of TR 23.701 Figure 6.X.2.1.2.1-1: a
 * REGISTER carrying the web login's token (step 5, RFC 8898 Bearer) is
 * checked with the WWS that issued it (steps 6-7: RFC 7662 introspection,
 * or locally against its JWK Set, RFC 7517), then sent to IMS as trusted
 * node authentication (steps 8-9, TS 24.229 §5.4.1.2.2, TS 33.203 Annex
 * U). See wsf.h for the keys, the answers and the refusals.
 *
 * Nothing here blocks the loop: the HTTPS requests are lib/http clients,
 * bounded by introspect_timeout_ms; a check in flight holds references to
 * the server transaction and to the client's flow.
 *
 * The token's header and claims are read before verification (token_peek)
 * only to pick the WWS by iss (RFC 8725 §3.8: the issuer chooses the key,
 * the token never does); nothing else of them is believed until the WWS or
 * its keys say so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest/digest.h"
#include "ims/ims.h"
#include "token/token.h"
#include "wsf_int.h"

#define RETRY_AFTER "Retry-After: 5\r\n"
#define JWKS_PATH   "/.well-known/jwks.json"
/* An unknown kid fetches the JWK Set again (key rotation), but not more
 * often than this, so forged kids cannot make us hammer the WWS. */
#define JWKS_GAP_MS 1000
#define SHOWN_MAX   48 /* what logs show of a token */

/* One trusted WWS: its issuer URL, where it is, and its cached keys. */
struct wsf__wws {
	struct wsf *w;
	char *iss;   /* owned: as configured, no trailing '/' */
	char *base;  /* owned: path prefix of its endpoints ("" or "/x") */
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
	bool tls;
	struct token_verifier *keys; /* owned; NULL until a JWK Set came */
	uint64_t fetched_ms;	     /* loop time of the last good fetch */
	uint64_t tried_ms;	     /* loop time the last fetch ended */
	bool tried;
	struct http_client *fetch; /* JWK Set request in flight */
};

/* A REGISTER whose token is being checked. */
struct wsf__tok {
	struct wsf__tok *prev, *next; /* in tokens->pending */
	struct wsf *w;
	struct sipt_strans *st;	  /* reference */
	struct wsf_flow *f;	  /* reference */
	struct wsf__wws *wws;	  /* borrowed */
	struct http_client *hc;	  /* introspection in flight */
	bool jwks_wait;		  /* waits for wws->fetch */
	bool kid_retry;		  /* the JWK Set was fetched again for it */
	char *jwt;		  /* owned copy */
	size_t jwt_len;
	char shown[SHOWN_MAX];	  /* jti, or the first 8 characters */
	struct token_claims cl;	  /* peeked; believed once verified */
	struct token_claims vc;	  /* local: as verified */
};

struct wsf__tokens {
	struct wsf__wws *wws; /* owned array */
	size_t n;
	struct tls_ctx *tls;
	char *basic; /* owned: "Authorization: Basic ...\r\n" */
	struct wsf__tok *pending;
};

static uint64_t loop_ms(const struct wsf *w)
{
	return uv_now(w->loop);
}

/* ---- trusted_wws ------------------------------------------------------ */

/* https://ip[:port][/path] (or http://) into u (u NULL: only checks). */
static int url_parse(struct sv url, struct wsf__wws *u, char *err, size_t n)
{
	char host[INET6_ADDRSTRLEN], bin[sizeof(struct in6_addr)];
	struct sv rest = url, h;
	uint64_t port;
	bool tls;

	if (sv_case_starts_with(rest, "https://"))
		tls = true;
	else if (sv_case_starts_with(rest, "http://"))
		tls = false;
	else
		goto bad;
	rest.p += tls ? 8 : 7;
	rest.len -= tls ? 8 : 7;
	if (rest.len && rest.p[0] == '[') { /* RFC 3986 §3.2.2 IP-literal */
		if (!sv_chr(rest, ']'))
			goto bad;
		rest = sv_split((struct sv){ rest.p + 1, rest.len - 1 }, ']',
				&h);
	} else {
		h = rest;
		while (rest.len && rest.p[0] != ':' && rest.p[0] != '/') {
			rest.p++;
			rest.len--;
		}
		h.len = (size_t)(rest.p - h.p);
	}
	if (sv_copy(h, host, sizeof(host)) ||
	    (inet_pton(AF_INET, host, bin) != 1 &&
	     inet_pton(AF_INET6, host, bin) != 1))
		goto bad;
	port = tls ? 443 : 80;
	if (rest.len && rest.p[0] == ':') {
		struct sv d = { rest.p + 1, 0 };

		while (d.len + 1 < rest.len && d.p[d.len] != '/')
			d.len++;
		if (sv_to_u64(d, 65535, &port) || !port)
			goto bad;
		rest.p += d.len + 1;
		rest.len -= d.len + 1;
	}
	if (rest.len && rest.p[0] != '/')
		goto bad;
	while (rest.len && rest.p[rest.len - 1] == '/')
		rest.len--;
	if (u) {
		memcpy(u->ip, host, sizeof(host));
		u->port = (uint16_t)port;
		u->tls = tls;
		u->base = sv_dup(rest);
		u->iss = sv_dup(url);
	}
	return 0;
bad:
	snprintf(err, n,
		 "trusted_wws: '%.*s' is not http(s)://numeric-address"
		 "[:port][/path]",
		 SV_ARG(url));
	return -EINVAL;
}

/* Calls fn on each entry of trusted_wws, trimmed, without trailing '/'. */
static int wws_each(const char *list, struct wsf__tokens *tk, char *err,
		    size_t n)
{
	struct sv rest = sv_from_cstr(list), item;
	int rc = 0;

	while (!rc && rest.len) {
		rest = sv_split(rest, ',', &item);
		item = sv_trim(item);
		while (item.len && item.p[item.len - 1] == '/')
			item.len--;
		if (!item.len)
			continue;
		if (!tk) {
			rc = url_parse(item, NULL, err, n);
			continue;
		}
		tk->wws = xrealloc(tk->wws, (tk->n + 1) * sizeof(*tk->wws));
		memset(&tk->wws[tk->n], 0, sizeof(*tk->wws));
		rc = url_parse(item, &tk->wws[tk->n], err, n);
		if (!rc)
			tk->n++;
	}
	return rc;
}

int wsf__token_url_check(struct sv url)
{
	char err[8];

	return url_parse(url, NULL, err, sizeof(err));
}

int wsf__token_conf_check(const struct wsf_conf *c, char *err, size_t n)
{
	int rc = wws_each(c->trusted_wws, NULL, err, n);

	if (rc)
		return rc;
	if (c->token_check == WSF_TOK_INTROSPECT &&
	    !strchr(c->introspect_client, ':')) {
		snprintf(err, n,
			 "introspect_client: expected client_id:secret");
		return -EINVAL;
	}
	if (!c->token_audience[0]) {
		snprintf(err, n, "token_audience: must not be empty");
		return -EINVAL;
	}
	return 0;
}

/* The WWS whose issuer URL is iss (a trailing '/' ignored), or NULL. */
static struct wsf__wws *wws_find(struct wsf__tokens *tk, const char *iss)
{
	struct sv v = sv_from_cstr(iss);

	while (v.len && v.p[v.len - 1] == '/')
		v.len--;
	for (size_t i = 0; v.len && i < tk->n; i++)
		if (sv_eq_cstr(v, tk->wws[i].iss))
			return &tk->wws[i];
	return NULL;
}

/* RFC 7617 §2 with RFC 6749 §2.3.1: form-encode id and secret, then
 * base64 of "id:secret". */
static char *basic_make(const char *client)
{
	struct sv secret, id;
	struct buf raw, line;
	unsigned char *b64;

	buf_init(&raw);
	buf_init(&line);
	secret = sv_split(sv_from_cstr(client), ':', &id);
	http_urlenc_put(&raw, id);
	buf_puts(&raw, ":");
	http_urlenc_put(&raw, secret);
	b64 = xmalloc(4 * (raw.len / 3 + 1) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)raw.data, (int)raw.len);
	buf_printf(&line, "Authorization: Basic %s\r\n", (char *)b64);
	OPENSSL_cleanse(raw.data, raw.len);
	OPENSSL_cleanse(b64, strlen((char *)b64));
	free(b64);
	buf_close(&raw);
	return buf_steal(&line, NULL);
}

/* ---- answering the client --------------------------------------------- */

static void tok_free(struct wsf__tok *t)
{
	struct wsf__tokens *tk = t->w->tok;

	if (t->prev)
		t->prev->next = t->next;
	else
		tk->pending = t->next;
	if (t->next)
		t->next->prev = t->prev;
	http_client_cancel(t->hc);
	obj_unref(t->st);
	obj_unref(t->f);
	OPENSSL_cleanse(t->jwt, t->jwt_len);
	free(t->jwt);
	free(t);
}

/* A final answer from the wsf itself (RFC 3261 §8.2.6.2: with a To tag). */
static void tok_reply(struct wsf__tok *t, int status, const char *reason,
		      const char *extra)
{
	char tag[17];
	struct buf b;

	rng_hex(t->w->rng, tag, 16);
	buf_init(&b);
	sipt_print_response_start(&b, t->st, status, reason, tag);
	if (extra)
		buf_puts(&b, extra);
	sip_print_end(&b, NULL, NULL, 0);
	sipt_strans_reply(t->st, b.data, b.len);
	buf_close(&b);
	tok_free(t);
}

/* RFC 6750 §3.1 invalid_token, as RFC 8898 §2.2 uses it in SIP. */
static void tok_invalid(struct wsf__tok *t, const char *why)
{
	const struct sip_msg *req = sipt_strans_req(t->st);
	struct buf h;

	log_info("flow %s: token %s refused: %s", t->f->id, t->shown, why);
	buf_init(&h);
	buf_printf(&h,
		   "WWW-Authenticate: Bearer realm=\"%.*s\", "
		   "error=\"invalid_token\", error_description=\"%s\"\r\n",
		   SV_ARG(req->ruri.host), why);
	tok_reply(t, 401, "Invalid token", h.data);
	buf_close(&h);
}

static void tok_refuse(struct wsf__tok *t, const char *reason)
{
	log_info("flow %s: token %s refused: 403 %s", t->f->id, t->shown,
		 reason);
	tok_reply(t, 403, reason, NULL);
}

static void tok_unavailable(struct wsf__tok *t, const char *why)
{
	log_warn("flow %s: token %s not checked: %s: 503", t->f->id, t->shown,
		 why);
	tok_reply(t, 503, "Token service unavailable", RETRY_AFTER);
}

/*
 * The token is good and names impu/impi: steps 8-9. The To IMPU must be
 * the token's; the REGISTER then carries TNA credentials (TS 24.229
 * §5.4.1.2.2: the S-CSCF skips the challenge for auth-done that reaches it
 * over the trusted path) in place of the Bearer.
 */
static void tok_accept(struct wsf__tok *t, const char *impu, const char *impi,
		       const char *how)
{
	const struct sip_msg *req = sipt_strans_req(t->st);
	const char *owner;
	char why[160];
	struct sv realm;
	struct buf auth;

	if (!impu || !impu[0] || !impi || !impi[0] ||
	    ims_impi_check(sv_from_cstr(impi), NULL)) {
		tok_refuse(t, "token carries no IMS identity");
		return;
	}
	/* A REGISTER's From and To both name the token's IMPU: no third
	 * party registration on someone else's token (RFC 3261 §10.2). */
	if (!ims_impu_eq(req->to.uri_str, sv_from_cstr(impu)) ||
	    !ims_impu_eq(req->from.uri_str, sv_from_cstr(impu))) {
		log_info("flow %s: From %.*s To %.*s but token %s is for %s",
			 t->f->id, SV_ARG(req->from.uri_str),
			 SV_ARG(req->to.uri_str), t->shown, impu);
		tok_refuse(t, "token not valid for this IMPU");
		return;
	}
	if (!t->f->w) {
		log_info("flow %s: gone while its token was checked", t->f->id);
		tok_free(t);
		return;
	}
	if (wsf__range_iss_is_ent(t->w, t->wws->iss)) {
		/* Figure 6.X.2.1.3.3-1: an IMPU of an enterprise WWS's block,
		 * answered here (step 8), no IMS registration. */
		log_info("flow %s: token %s of enterprise WWS %s valid (%s)",
			 t->f->id, t->shown, t->wws->iss, how);
		wsf__range_client(t->w, t->st, t->f, impu, t->wws->iss);
		tok_free(t);
		return;
	}
	owner = wsf__range_owner(t->w, impu);
	if (owner) { /* only the block's own WWS hands its IMPUs out */
		snprintf(why, sizeof(why), "IMPU belongs to the block of %s",
			 owner);
		tok_refuse(t, why);
		return;
	}
	ims_impi_realm(sv_from_cstr(impi), &realm); /* checked above */
	buf_init(&auth);
	digest_auth_print_initial(&auth, sv_from_cstr(impi), realm);
	buf_puts(&auth, ", integrity-protected=\"auth-done\"");
	log_info("flow %s: token %s of %s valid (%s): REGISTER of %s / %s "
		 "to IMS as TNA, integrity-protected=auth-done",
		 t->f->id, t->shown, t->wws->iss, how, impu, impi);
	wsf__client_forward(t->w, t->st, t->f,
			    (struct sv){ auth.data, auth.len });
	buf_close(&auth);
	tok_free(t);
}

/* ---- local: the WWS's JWK Set ----------------------------------------- */

static void local_check(struct wsf__tok *t);
static int jwks_fetch(struct wsf__wws *u);

static void on_jwks(int err, const struct http_resp *resp, void *arg)
{
	struct wsf__wws *u = arg;
	struct wsf *w = u->w;
	struct token_verifier *v = NULL;
	struct wsf__tok *t, *next;
	char why[160] = "";

	u->fetch = NULL;
	u->tried = true;
	u->tried_ms = loop_ms(w);
	if (err)
		snprintf(why, sizeof(why), "%s", uv_strerror(err));
	else if (resp->status != 200)
		snprintf(why, sizeof(why), "HTTP %d", resp->status);
	else if (token_verifier_new_from_jwks(&v, resp->body.p, resp->body.len,
					      why, sizeof(why)))
		v = NULL;
	if (v) {
		token_verifier_free(u->keys);
		u->keys = v;
		u->fetched_ms = u->tried_ms;
		log_info("JWK Set of %s: %zu key(s)", u->iss,
			 token_verifier_count(v));
	} else {
		log_warn("JWK Set of %s%s: %s", u->iss, JWKS_PATH,
			 why[0] ? why : "no usable key");
	}
	for (t = w->tok->pending; t; t = next) {
		next = t->next;
		if (!t->jwks_wait || t->wws != u)
			continue;
		t->jwks_wait = false;
		if (u->keys)
			local_check(t);
		else
			tok_unavailable(t, "no JWK Set from the WWS");
	}
}

/* 0 when a fetch is (already) in flight. */
static int jwks_fetch(struct wsf__wws *u)
{
	struct wsf *w = u->w;
	char target[512];
	int rc;

	if (u->fetch)
		return 0;
	snprintf(target, sizeof(target), "%s" JWKS_PATH, u->base);
	rc = http_client_request(
		&u->fetch, w->loop,
		&(struct http_client_req){
			.ip = u->ip,
			.port = u->port,
			.tls = u->tls ? w->tok->tls : NULL,
			.method = "GET",
			.target = target,
			.headers = "Accept: application/json\r\n",
			.timeout_ms = (uint64_t)w->conf->introspect_timeout_ms,
			.max_body = 256 * 1024,
			.trace = wsf__http_trace,
			.trace_arg = w },
		on_jwks, u);
	if (rc) {
		u->fetch = NULL;
		log_warn("JWK Set of %s: %s", u->iss, uv_strerror(rc));
	}
	return rc;
}

/* Waits for the JWK Set; false if it cannot be fetched now. */
static bool jwks_wait(struct wsf__tok *t)
{
	if (jwks_fetch(t->wws))
		return false;
	t->jwks_wait = true;
	return true;
}

/* The "encryption method" of step 6: the signature and the claims with
 * the WWS's public key; IMPU/IMPI from the claims (NOTE 2). */
static void local_check(struct wsf__tok *t)
{
	const struct wsf_conf *c = t->w->conf;
	struct wsf__wws *u = t->wws;
	struct perr e = { 0, NULL, 0 };
	uint64_t now = loop_ms(t->w);
	struct token_claims *vc = &t->vc;
	int rc;

	if (!u->keys) {
		/* None yet (the WWS was down at start): fetch, unless the
		 * last attempt just failed. */
		if ((u->fetch || !u->tried || now - u->tried_ms >= JWKS_GAP_MS)
		    && jwks_wait(t))
			return;
		tok_unavailable(t, "no JWK Set from the WWS");
		return;
	}
	/* The token's own iss: it chose this WWS, whose keys must sign it. */
	rc = token_verify(u->keys, t->jwt, t->jwt_len, t->cl.iss,
			  c->token_audience, (int64_t)time(NULL),
			  c->token_leeway_s, vc, &e);
	if (rc == -EACCES && e.why && !strcmp(e.why, "unknown kid") &&
	    !t->kid_retry &&
	    (u->fetch || now - u->fetched_ms >= JWKS_GAP_MS)) {
		/* RFC 7517 §4.5: keys rotate; look again once. */
		t->kid_retry = true;
		if (jwks_wait(t))
			return;
	}
	if (rc) {
		tok_invalid(t, e.why ? e.why : "invalid");
		return;
	}
	if (now - u->fetched_ms >= (uint64_t)c->jwks_refresh_s * 1000)
		jwks_fetch(u); /* in the background: these keys still do */
	tok_accept(t, vc->impu, vc->impi, "local, JWK Set");
}

/* ---- introspect: steps 6-7 -------------------------------------------- */

/* RFC 7519 §4.1.3: aud is a string or an array of strings. */
static bool aud_has(const json_t *aud, const char *want)
{
	size_t i;
	json_t *el;

	if (json_is_string(aud))
		return !strcmp(json_string_value(aud), want);
	json_array_foreach(aud, i, el)
		if (json_is_string(el) && !strcmp(json_string_value(el), want))
			return true;
	return false;
}

static const char *jstr(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* RFC 7662 §2.2 answer: active, and the claims we need. */
static void introspected(struct wsf__tok *t, const json_t *j)
{
	const struct wsf_conf *c = t->w->conf;
	const json_t *aud = json_object_get(j, "aud");
	const char *iss = jstr(j, "iss");

	if (!json_is_true(json_object_get(j, "active"))) {
		tok_invalid(t, "token not active at the WWS");
		return;
	}
	/* The WWS says the token is its own and alive; whether it is meant
	 * for us is ours to check (RFC 7662 §4). */
	if (aud ? !aud_has(aud, c->token_audience)
		: strcmp(t->cl.aud, c->token_audience)) {
		tok_invalid(t, "wrong audience");
		return;
	}
	if (iss && wws_find(t->w->tok, iss) != t->wws) {
		tok_invalid(t, "wrong issuer");
		return;
	}
	if (c->ims_from_claims) /* NOTE 2: the claims, now vouched for */
		tok_accept(t, t->cl.impu, t->cl.impi,
			   "introspect, IMS identity from the claims");
	else
		tok_accept(t, jstr(j, "impu"), jstr(j, "impi"),
			   "introspect, IMS identity from the WWS");
}

static void on_introspect(int err, const struct http_resp *resp, void *arg)
{
	struct wsf__tok *t = arg;
	char why[160];
	json_t *j = NULL;

	t->hc = NULL;
	if (err) {
		snprintf(why, sizeof(why), "introspection at %s: %s",
			 t->wws->iss, uv_strerror(err));
		tok_unavailable(t, why);
		return;
	}
	if (resp->status != 200) {
		/* 401: the WWS does not know us (introspect_client). */
		snprintf(why, sizeof(why), "introspection at %s: HTTP %d%s",
			 t->wws->iss, resp->status,
			 resp->status == 401 ? " (introspect_client refused)"
					     : "");
		tok_unavailable(t, why);
		return;
	}
	if (http_json_parse(resp->body, 0, &j, NULL, 0) ||
	    !json_is_object(j)) {
		snprintf(why, sizeof(why), "introspection at %s: not JSON",
			 t->wws->iss);
		tok_unavailable(t, why);
	} else {
		introspected(t, j);
	}
	json_decref(j);
}

static void introspect_start(struct wsf__tok *t)
{
	struct wsf *w = t->w;
	struct wsf__wws *u = t->wws;
	char target[512];
	struct buf body;
	int rc;

	buf_init(&body);
	buf_puts(&body, "token=");
	http_urlenc_put(&body, (struct sv){ t->jwt, t->jwt_len });
	buf_puts(&body, "&token_type_hint=access_token");
	snprintf(target, sizeof(target), "%s/introspect", u->base);
	rc = http_client_request(
		&t->hc, w->loop,
		&(struct http_client_req){
			.ip = u->ip,
			.port = u->port,
			.tls = u->tls ? w->tok->tls : NULL,
			.method = "POST",
			.target = target,
			.headers = w->tok->basic,
			.content_type = "application/x-www-form-urlencoded",
			.body = body.data,
			.body_len = body.len,
			.timeout_ms = (uint64_t)w->conf->introspect_timeout_ms,
			.max_body = 64 * 1024,
			.trace = wsf__http_trace,
			.trace_arg = w },
		on_introspect, t);
	OPENSSL_cleanse(body.data, body.len);
	buf_close(&body);
	if (rc) {
		t->hc = NULL;
		tok_unavailable(t, uv_strerror(rc));
	}
}

/* ---- entry points ----------------------------------------------------- */

/* prefix + p (n bytes, '?' for any that is not printable ASCII: unverified
 * token text must not forge log lines), then "..." if more or cut short. */
static void shown_set(char dst[SHOWN_MAX], const char *prefix, const char *p,
		      size_t n, bool more)
{
	size_t k = strlen(prefix), i;

	memcpy(dst, prefix, k);
	for (i = 0; i < n && k < SHOWN_MAX - 4; i++)
		dst[k++] = p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?';
	if (more || i < n)
		for (int d = 0; d < 3; d++)
			dst[k++] = '.';
	dst[k] = '\0';
}

static const struct sip_hdr *bearer_hdr(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);

	if (!h || digest_scheme_of(h->value) != DIGEST_SCHEME_BEARER)
		return NULL;
	return h;
}

bool wsf__token_wanted(const struct wsf *w, const struct sip_msg *req)
{
	return w->conf->token_check != WSF_TOK_OFF &&
	       req->method == SIP_METHOD_REGISTER && bearer_hdr(req);
}

void wsf__token_check(struct wsf *w, struct sipt_strans *st,
		      struct wsf_flow *f)
{
	const struct sip_msg *req = sipt_strans_req(st);
	struct wsf__tokens *tk = w->tok;
	struct perr e = { 0, NULL, 0 };
	char iss[SHOWN_MAX];
	struct wsf__tok *t;
	struct sv jwt;

	if (digest_bearer_parse(&jwt, bearer_hdr(req)->value, NULL)) {
		log_info("flow %s: Bearer without a token: 400", f->id);
		sipt_strans_reply_status(st, 400,
					 "Malformed Bearer credentials", NULL);
		return;
	}
	t = xcalloc(1, sizeof(*t));
	t->w = w;
	t->st = obj_ref(st);
	t->f = obj_ref(f);
	t->jwt = xmemdup(jwt.p, jwt.len);
	t->jwt_len = jwt.len;
	t->next = tk->pending;
	if (t->next)
		t->next->prev = t;
	tk->pending = t;
	/* Never the whole token in a log (it is a credential). */
	shown_set(t->shown, "", jwt.p, jwt.len < 8 ? jwt.len : 8, true);
	if (token_peek(t->jwt, t->jwt_len, &t->cl, NULL, NULL, &e)) {
		tok_invalid(t, e.why ? e.why : "malformed");
		return;
	}
	if (t->cl.jti[0])
		shown_set(t->shown, "jti ", t->cl.jti, strlen(t->cl.jti),
			  false);
	t->wws = wws_find(tk, t->cl.iss);
	if (!t->wws) {
		shown_set(iss, "", t->cl.iss, strlen(t->cl.iss), false);
		log_info("flow %s: token %s from issuer '%s' not in "
			 "trusted_wws",
			 f->id, t->shown, iss);
		tok_refuse(t, "Unknown token issuer");
		return;
	}
	if (!wsf__origin_bound(w, f, t->wws->iss)) {
		log_info("flow %s: token %s of %s presented from Origin %s",
			 f->id, t->shown, t->wws->iss, f->origin);
		tok_refuse(t, "token presented from another Origin");
		return;
	}
	if (w->conf->token_check == WSF_TOK_LOCAL)
		local_check(t);
	else
		introspect_start(t);
}

int wsf__token_setup(struct wsf *w, char *err, size_t errlen)
{
	const struct wsf_conf *c = w->conf;
	struct wsf__tokens *tk = xcalloc(1, sizeof(*tk));
	const char *ca = c->wws_ca_file[0] ? c->wws_ca_file : NULL;
	int rc;

	w->tok = tk;
	rc = wws_each(c->trusted_wws, tk, err, errlen);
	/* The enterprise WWSs' issuers are trusted too (checked already). */
	for (size_t i = 0; !rc && i < wsf__range_ent_count(w); i++)
		if (!wws_find(tk, wsf__range_ent_iss(w, i)))
			rc = wws_each(wsf__range_ent_iss(w, i), tk, err,
				      errlen);
	if (rc)
		goto out;
	tk->basic = basic_make(c->introspect_client);
	rc = tls_ctx_client_new(&tk->tls, ca, err, errlen);
	if (rc) {
		tk->tls = NULL;
		goto out;
	}
	for (size_t i = 0; i < tk->n; i++)
		tk->wws[i].w = w;
	if (c->token_check == WSF_TOK_OFF)
		goto out;
	/* TR 23.701 6.X.2.1.2.1 Editor's Note, and the testbed's answer. */
	log_info("token flow (token_check=%s%s): the checked REGISTER goes to "
		 "IMS as TNA with integrity-protected=\"auth-done\" over the "
		 "trusted path, without a WSF-S-CSCF key exchange (the "
		 "Editor's Note of 6.X.2.1.2.1 leaves this FFS)",
		 c->token_check == WSF_TOK_LOCAL ? "local" : "introspect",
		 c->ims_from_claims ? ", ims_from_claims" : "");
	if (c->token_check == WSF_TOK_LOCAL)
		for (size_t i = 0; i < tk->n; i++)
			jwks_fetch(&tk->wws[i]);
out:
	return rc;
}

void wsf__token_close(struct wsf *w)
{
	struct wsf__tokens *tk = w->tok;

	if (!tk)
		return;
	while (tk->pending)
		tok_free(tk->pending);
	for (size_t i = 0; i < tk->n; i++) {
		http_client_cancel(tk->wws[i].fetch);
		token_verifier_free(tk->wws[i].keys);
		free(tk->wws[i].iss);
		free(tk->wws[i].base);
	}
	free(tk->wws);
	if (tk->tls)
		tls_ctx_free(tk->tls);
	if (tk->basic) {
		OPENSSL_cleanse(tk->basic, strlen(tk->basic));
		free(tk->basic);
	}
	free(tk);
	w->tok = NULL;
}
