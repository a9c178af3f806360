/*
 * token.c - the WAF half of the WWS: the token a successful login gets
 * (TR 23.701 Figure 6.X.2.1.2.1-1 step 3) and the RFC 7662 introspection
 * the WSF asks for at steps 6-7.
 *
 * Introspection answers only an authenticated client (RFC 7662 §2.1, §4):
 * HTTP Basic with a client_id:secret of introspect_clients (RFC 6749
 * §2.3.1: both form-urlencoded, then base64). A token is active when its
 * signature is ours, iss and aud are ours, it has not expired, its jti was
 * issued here and not revoked, and its subject is still a user. The IMPU
 * and IMPI come from the user table, not from the token ("the WWS
 * determines the IMPU/IMPI assigned to the user by querying a database").
 */
#include "wws_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "digest/digest.h"

#define NO_STORE    "Cache-Control: no-store\r\nPragma: no-cache\r\n"
#define BASIC_REALM "WWW-Authenticate: Basic realm=\"wws\"\r\n"
#define FORM	    "application/x-www-form-urlencoded"

int64_t wws__now(const struct wws *w)
{
	return (int64_t)time(NULL) + w->skew_s;
}

void wws__login_ok(struct wws *w, struct http_conn *c,
		   const struct wws_user *usr)
{
	const struct wws_conf *conf = w->conf;
	struct token_claims cl;
	char *jwt = NULL;
	json_t *j;

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.iss, sizeof(cl.iss), "%s", conf->issuer);
	snprintf(cl.sub, sizeof(cl.sub), "%s", usr->webid);
	snprintf(cl.aud, sizeof(cl.aud), "%s", conf->audience);
	cl.iat = wws__now(w);
	cl.exp = cl.iat + conf->token_ttl_s;
	if (conf->token_ims_claims) { /* NOTE 2 */
		snprintf(cl.impu, sizeof(cl.impu), "%s", usr->impu);
		snprintf(cl.impi, sizeof(cl.impi), "%s", usr->impi);
	}
	if (token_issue(w->signer, &cl, w->rng, &jwt) ||
	    wws_users_token_add(w->users, cl.jti, usr->webid, cl.iat, cl.exp)) {
		wws__error(c, 500, "server_error", "cannot issue a token",
			   NULL);
		goto out;
	}
	log_info("login %s: ok, token jti %s for %lds%s", usr->webid, cl.jti,
		 conf->token_ttl_s,
		 conf->token_ims_claims ? " (with impu/impi claims)" : "");
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "result", "ok", "id",
		      usr->webid, "impu", usr->impu, "impi", usr->impi, "token",
		      jwt, "token_type", "Bearer", "expires_in",
		      (json_int_t)conf->token_ttl_s);
	http_respond_json(c, 200, j, NO_STORE);
out:
	free(jwt);
}

/* One form-urlencoded part of the Basic credentials, decoded. */
static int form_decode(struct sv part, struct buf *out)
{
	struct buf f;
	int rc;

	buf_init(&f);
	buf_puts(&f, "v=");
	buf_putsv(&f, part);
	rc = http_param_get((struct sv){ f.data, f.len }, "v", out);
	buf_close(&f);
	return rc;
}

/* The client_id of valid Basic credentials (RFC 7617 §2), else NULL. */
static const char *client_auth(const struct wws *w, const struct http_req *r)
{
	const struct http_hdr *h = http_hdr_find(&r->hdrs, "Authorization");
	struct buf b64, raw, id, secret;
	const char *who = NULL;
	struct sv v, user, pass;

	if (!h)
		return NULL;
	buf_init(&b64);
	buf_init(&raw);
	buf_init(&id);
	buf_init(&secret);
	v = sv_trim(h->value);
	if (!sv_case_starts_with(v, "Basic "))
		goto out;
	v = sv_trim((struct sv){ v.p + 6, v.len - 6 });
	/* base64 (RFC 4648 §4) to the url alphabet the decoder takes. */
	for (size_t i = 0; i < v.len; i++) {
		char ch = v.p[i];

		if (ch == '+')
			ch = '-';
		else if (ch == '/')
			ch = '_';
		else if (ch == '-' || ch == '_')
			ch = '!'; /* not base64: let the decoder refuse it */
		buf_append(&b64, &ch, 1);
	}
	if (!b64.len ||
	    http_b64url_decode((struct sv){ b64.data, b64.len }, &raw))
		goto out;
	pass = sv_split((struct sv){ raw.data, raw.len }, ':', &user);
	if (!sv_chr((struct sv){ raw.data, raw.len }, ':') ||
	    form_decode(user, &id) || form_decode(pass, &secret))
		goto out;
	buf_puts(&id, "");
	buf_puts(&secret, "");
	for (size_t i = 0; i < w->nclients; i++) {
		const struct wws_client *k = &w->clients[i];

		if (strcmp(k->id, id.data) == 0 &&
		    strlen(k->secret) == secret.len &&
		    CRYPTO_memcmp(k->secret, secret.data, secret.len) == 0)
			who = k->id;
	}
out:
	OPENSSL_cleanse(raw.data, raw.len);
	OPENSSL_cleanse(secret.data, secret.len);
	buf_close(&b64);
	buf_close(&raw);
	buf_close(&id);
	buf_close(&secret);
	return who;
}

static bool is_form(const struct http_req *r)
{
	const struct http_hdr *h = http_hdr_find(&r->hdrs, "Content-Type");

	return h && sv_case_starts_with(sv_trim(h->value), FORM);
}

/* Why the token is not active, or NULL (then *usr and *cl are set). */
static const char *check(struct wws *w, struct sv tok, struct token_claims *cl,
			 struct wws_user *usr)
{
	char webid[WWS_ID_MAX];
	struct perr e = { 0, NULL, 0 };

	/* Our own clock: no leeway (RFC 7662 §4 leaves it to the server). */
	if (token_verify(w->verifier, tok.p, tok.len, w->conf->issuer,
			 w->conf->audience, wws__now(w), 0, cl, &e))
		return e.why ? e.why : "invalid";
	if (wws_users_token_find(w->users, cl->jti, webid))
		return "jti not issued here, or revoked";
	if (strcasecmp(webid, cl->sub))
		return "jti issued to another user";
	if (wws_users_get(w->users, cl->sub, usr))
		return "no such user any more";
	/* [range]: the IMPU of the block it holds, not the one provisioned */
	if (w->block && wws__block_lookup(w, usr))
		return "holds no IMPU of the block any more";
	return NULL;
}

void wws__introspect(struct wws *w, struct http_conn *c,
		     const struct http_req *req)
{
	struct token_claims cl;
	struct wws_user usr;
	const char *who, *why;
	struct buf tok;
	json_t *j;
	int rc;

	buf_init(&tok);
	who = client_auth(w, req);
	if (!who) {
		log_info("introspect: client not authenticated: 401");
		wws__error(c, 401, "invalid_client",
			   "HTTP Basic client authentication required",
			   BASIC_REALM);
		goto out;
	}
	if (!is_form(req)) {
		wws__error(c, 400, "invalid_request",
			   "Content-Type must be " FORM, NULL);
		goto out;
	}
	rc = http_param_get(req->body, "token", &tok);
	if (rc || !tok.len) {
		wws__error(c, 400, "invalid_request",
			   rc == -EBADMSG ? "token: bad percent-encoding"
					  : "token: missing (RFC 7662 2.1)",
			   NULL);
		goto out;
	}
	why = check(w, (struct sv){ tok.data, tok.len }, &cl, &usr);
	if (why) {
		log_info("introspect by %s: inactive (%s)", who, why);
		j = json_pack("{s:b}", "active", 0);
	} else {
		log_info("introspect by %s: jti %s active: %s -> %s, %s", who,
			 cl.jti, usr.webid, usr.impu, usr.impi);
		j = json_pack("{s:b,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}",
			      "active", 1, "sub", cl.sub, "username", usr.webid,
			      "impu", usr.impu, "impi", usr.impi, "iat",
			      (json_int_t)cl.iat, "exp", (json_int_t)cl.exp,
			      "iss", cl.iss, "aud", cl.aud, "jti", cl.jti,
			      "token_type", "Bearer");
	}
	http_respond_json(c, 200, j, NO_STORE);
out:
	buf_close(&tok);
}

/*
 * POST /logout with the token itself (Authorization: Bearer, RFC 6750
 * §2.1): its jti is revoked, so introspection calls it inactive from now
 * on and the WSF refuses it (issue 9: a token can't be replayed after
 * logout). 401 invalid_token if it is not one of ours or not active.
 */
void wws__logout(struct wws *w, struct http_conn *c,
		 const struct http_req *req)
{
	const struct http_hdr *h = http_hdr_find(&req->hdrs, "Authorization");
	struct token_claims cl;
	struct wws_user usr;
	const char *why = "Bearer token required";
	struct sv tok = SV_NULL;

	if (h && digest_bearer_parse(&tok, h->value, NULL) == 0)
		why = check(w, tok, &cl, &usr);
	if (why) {
		log_info("logout refused: %s", why);
		wws__error(c, 401, "invalid_token", why,
			   "WWW-Authenticate: Bearer realm=\"wws\", "
			   "error=\"invalid_token\"\r\n");
		return;
	}
	if (wws_users_token_revoke(w->users, cl.jti)) {
		wws__error(c, 503, "temporarily_unavailable", "db busy",
			   "Retry-After: 1\r\n");
		return;
	}
	log_info("logout %s: token jti %s revoked", usr.webid, cl.jti);
	http_respond_json(c, 200,
			  json_pack("{s:s,s:s}", "result", "logged_out", "jti",
				    cl.jti),
			  NO_STORE);
}
