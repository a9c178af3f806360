/*
 * token.c - JWT issue and verification (see token.h): libjwt signs and
 * checks ES256/RS256 signatures; the structure, the algorithm choice and
 * every claim are checked here first, so that libjwt only ever sees a
 * token whose header we already accepted (RFC 8725 §3.1: the key decides
 * the algorithm, never the token).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "token/token_int.h"

#define NUMDATE_MAX 1e15 /* far beyond any date; keeps int64 casts safe */

static const char *const alg_names[] = { "ES256", "RS256", "HS256" };
static const jwt_alg_t jwt_algs[] = { JWT_ALG_ES256, JWT_ALG_RS256,
				      JWT_ALG_HS256 };

int token_alg_parse(const char *s, enum token_alg *out)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(alg_names); i++) {
		if (strcmp(s, alg_names[i]) == 0) {
			*out = (enum token_alg)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *token_alg_name(enum token_alg alg)
{
	return (unsigned)alg < ARRAY_SIZE(alg_names) ? alg_names[alg] : "?";
}

/* A kid goes into JSON unescaped: printable ASCII but '"' and '\'. */
static int kid_set(char dst[TOKEN_KID_MAX], const char *kid, char *err,
		   size_t errlen)
{
	size_t n = strlen(kid);
	bool bad = n >= TOKEN_KID_MAX;

	for (size_t i = 0; i < n && !bad; i++)
		bad = kid[i] <= 0x20 || kid[i] >= 0x7f || kid[i] == '"' ||
		      kid[i] == '\\';
	if (bad) {
		if (err && errlen)
			snprintf(err, errlen,
				 "kid: printable ASCII without quotes or "
				 "backslashes, at most %d characters",
				 TOKEN_KID_MAX - 1);
		return -EINVAL;
	}
	memcpy(dst, kid, n + 1);
	return 0;
}

static int secret_check(const char *secret, char *err, size_t errlen)
{
	if (secret && strlen(secret) >= TOKEN_HS_MIN)
		return 0;
	if (err && errlen)
		snprintf(err, errlen,
			 "HS256 secret: at least %d bytes "
			 "(RFC 7518 §3.2)",
			 TOKEN_HS_MIN);
	return -EINVAL;
}

/* ---- signer -------------------------------------------------------------- */

int token_signer_new(struct token_signer **out, enum token_alg alg,
		     const char *key, const char *kid, char *err, size_t errlen)
{
	struct token_signer *s = xcalloc(1, sizeof(*s));
	EVP_PKEY *pk = NULL;
	struct buf pem, b;
	int rc = -EINVAL;

	buf_init(&pem);
	buf_init(&b);
	*out = NULL;
	s->alg = s->pub.alg = alg;
	if (!key || (unsigned)alg > TOKEN_HS256)
		goto out;
	if (alg == TOKEN_HS256) {
		rc = secret_check(key, err, errlen);
		if (rc)
			goto out;
		s->priv_len = s->pub.len = strlen(key);
		s->priv = xmemdup(key, s->priv_len);
		s->pub.key = xmemdup(key, s->priv_len);
		rc = kid_set(s->kid, kid && kid[0] ? kid : "hs256", err,
			     errlen);
		goto out;
	}
	rc = token__private_load(alg, key, &pk, &pem, err, errlen);
	if (rc)
		goto out;
	if (kid && kid[0])
		rc = kid_set(s->kid, kid, err, errlen);
	else
		token__thumbprint(pk, alg, s->kid);
	if (rc)
		goto out;
	s->priv = (unsigned char *)buf_steal(&pem, &s->priv_len);
	token__jwk_put(pk, alg, s->kid, &b);
	s->jwk = buf_steal(&b, NULL);
	token__pubpem_put(pk, &b);
	s->pub.key = (unsigned char *)buf_steal(&b, &s->pub.len);
	EVP_PKEY_up_ref(pk);
	s->priv_pk = s->pub.pk = pk;
	pk = NULL;
out:
	memcpy(s->pub.kid, s->kid, sizeof(s->kid));
	EVP_PKEY_free(pk);
	OPENSSL_cleanse(pem.data, pem.len);
	buf_close(&pem);
	buf_close(&b);
	if (rc)
		token_signer_free(s);
	else
		*out = s;
	return rc;
}

void token_signer_free(struct token_signer *s)
{
	if (!s)
		return;
	if (s->priv)
		OPENSSL_cleanse(s->priv, s->priv_len);
	free(s->priv);
	free(s->jwk);
	if (s->pub.key)
		OPENSSL_cleanse(s->pub.key, s->pub.len);
	free(s->pub.key);
	EVP_PKEY_free(s->priv_pk);
	EVP_PKEY_free(s->pub.pk);
	free(s);
}

enum token_alg token_signer_alg(const struct token_signer *s)
{
	return s->alg;
}

const char *token_signer_kid(const struct token_signer *s)
{
	return s->kid;
}

/* header.payload.signature with the parsed key (RFC 7515 §7.1): the same
 * header and claims libjwt writes (typ, alg, kid; claims sorted). */
static int issue_evp(const struct token_signer *s,
		     const struct token_claims *c, char **jwt)
{
	json_t *h, *p;
	char *hs = NULL, *ps = NULL;
	struct buf b, sig;
	int rc = -EINVAL;

	buf_init(&b);
	buf_init(&sig);
	h = json_pack("{s:s,s:s,s:s}", "alg", alg_names[s->alg], "kid",
		      s->kid, "typ", "JWT");
	p = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "iss", c->iss, "sub",
		      c->sub, "aud", c->aud, "jti", c->jti, "iat",
		      (json_int_t)c->iat, "exp", (json_int_t)c->exp);
	if (!h || !p)
		goto out;
	if (c->nbf)
		json_object_set_new(p, "nbf", json_integer((json_int_t)c->nbf));
	if (c->impu[0])
		json_object_set_new(p, "impu", json_string(c->impu));
	if (c->impi[0])
		json_object_set_new(p, "impi", json_string(c->impi));
	hs = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
	ps = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	if (!hs || !ps)
		goto out;
	token__b64url_put(&b, hs, strlen(hs));
	buf_puts(&b, ".");
	token__b64url_put(&b, ps, strlen(ps));
	rc = token__sig_sign(s->priv_pk, s->alg, (struct sv){ b.data, b.len },
			     &sig);
	if (rc)
		goto out;
	buf_puts(&b, ".");
	token__b64url_put(&b, sig.data, sig.len);
	*jwt = buf_steal(&b, NULL);
out:
	free(hs);
	free(ps);
	json_decref(h);
	json_decref(p);
	buf_close(&b);
	buf_close(&sig);
	return rc;
}

int token_issue(const struct token_signer *s, struct token_claims *c,
		struct rng *rng, char **jwt)
{
	jwt_t *j = NULL;
	char *enc = NULL;
	int rc = -EINVAL;

	*jwt = NULL;
	if (!s || !c || !c->iss[0] || !c->sub[0] || !c->aud[0] ||
	    c->exp <= c->iat)
		goto out;
	if (!c->jti[0])
		rng_hex(rng, c->jti, 32);
	if (s->priv_pk) {
		rc = issue_evp(s, c, jwt);
		goto out;
	}
	if (jwt_new(&j))
		goto out;
	/* libjwt adds "typ":"JWT" and "alg" itself. */
	if (jwt_add_header(j, "kid", s->kid) ||
	    jwt_add_grant(j, "iss", c->iss) ||
	    jwt_add_grant(j, "sub", c->sub) ||
	    jwt_add_grant(j, "aud", c->aud) ||
	    jwt_add_grant(j, "jti", c->jti) ||
	    jwt_add_grant_int(j, "iat", (long)c->iat) ||
	    jwt_add_grant_int(j, "exp", (long)c->exp) ||
	    (c->nbf && jwt_add_grant_int(j, "nbf", (long)c->nbf)) ||
	    (c->impu[0] && jwt_add_grant(j, "impu", c->impu)) ||
	    (c->impi[0] && jwt_add_grant(j, "impi", c->impi)) ||
	    jwt_set_alg(j, jwt_algs[s->alg], s->priv, (int)s->priv_len))
		goto out;
	enc = jwt_encode_str(j);
	if (!enc)
		goto out;
	*jwt = xstrdup(enc);
	rc = 0;
out:
	free(enc);
	if (j)
		jwt_free(j);
	return rc;
}

void token_jwks_print(const struct token_signer *s, struct buf *b)
{
	buf_printf(b, "{\"keys\":[%s]}", s->jwk ? s->jwk : "");
}

/* ---- verifiers ----------------------------------------------------------- */

static struct token_verifier *verifier_one(const struct token_key *k)
{
	struct token_verifier *v = xcalloc(1, sizeof(*v));

	v->keys = xcalloc(1, sizeof(*v->keys));
	v->keys[0] = *k;
	v->n = 1;
	return v;
}

int token_verifier_new_from_pem(struct token_verifier **out, enum token_alg alg,
				const char *path, const char *kid, char *err,
				size_t errlen)
{
	struct token_key k = { .alg = alg };
	EVP_PKEY *pk = NULL;
	struct buf b;
	int rc = -EINVAL;

	buf_init(&b);
	*out = NULL;
	if (alg == TOKEN_HS256 || (unsigned)alg > TOKEN_HS256 || !path)
		goto out;
	rc = token__public_load(alg, path, &pk, err, errlen);
	if (rc)
		goto out;
	if (kid && kid[0])
		rc = kid_set(k.kid, kid, err, errlen);
	else
		token__thumbprint(pk, alg, k.kid);
	if (rc)
		goto out;
	token__pubpem_put(pk, &b);
	k.key = (unsigned char *)buf_steal(&b, &k.len);
	k.pk = pk;
	pk = NULL;
	*out = verifier_one(&k);
out:
	EVP_PKEY_free(pk);
	buf_close(&b);
	return rc;
}

int token_verifier_new_from_jwks(struct token_verifier **out, const char *json,
				 size_t len, char *err, size_t errlen)
{
	struct token_verifier *v = NULL;
	json_t *root, *keys;
	json_error_t je;
	size_t i;
	int rc = -EBADMSG;

	*out = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys)) {
		if (err && errlen)
			snprintf(err, errlen, "not a JWK Set: %s",
				 root ? "no \"keys\" array" : je.text);
		goto out;
	}
	v = xcalloc(1, sizeof(*v));
	v->keys = xcalloc(json_array_size(keys) + 1, sizeof(*v->keys));
	/* RFC 7517 §5: keys we do not understand are ignored. */
	for (i = 0; i < json_array_size(keys); i++) {
		if (!token__key_from_jwk(json_array_get(keys, i),
					 &v->keys[v->n], err, errlen))
			v->n++;
	}
	if (!v->n) {
		rc = -ENOENT;
		if (err && errlen && !err[0])
			snprintf(err, errlen, "no usable signature key");
		token_verifier_free(v);
		goto out;
	}
	*out = v;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int token_verifier_new_hs256(struct token_verifier **out, const char *secret,
			     const char *kid, char *err, size_t errlen)
{
	struct token_key k = { .alg = TOKEN_HS256 };
	int rc;

	*out = NULL;
	rc = secret_check(secret, err, errlen);
	if (!rc)
		rc = kid_set(k.kid, kid && kid[0] ? kid : "hs256", err, errlen);
	if (rc)
		return rc;
	k.len = strlen(secret);
	k.key = xmemdup(secret, k.len);
	*out = verifier_one(&k);
	return 0;
}

int token_verifier_new_from_signer(struct token_verifier **out,
				   const struct token_signer *s)
{
	struct token_key k = s->pub;

	k.key = xmemdup(s->pub.key, s->pub.len);
	if (k.pk)
		EVP_PKEY_up_ref(k.pk);
	*out = verifier_one(&k);
	return 0;
}

void token_verifier_free(struct token_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		OPENSSL_cleanse(v->keys[i].key, v->keys[i].len);
		free(v->keys[i].key);
		EVP_PKEY_free(v->keys[i].pk);
	}
	free(v->keys);
	free(v);
}

size_t token_verifier_count(const struct token_verifier *v)
{
	return v ? v->n : 0;
}

/* ---- parsing ------------------------------------------------------------- */

struct jws {
	struct sv whole;      /* header.payload.signature */
	struct sv signin;     /* header.payload: what the signature covers */
	json_t *hdr, *claims; /* owned */
	char alg[16];
	char kid[TOKEN_KID_MAX];
	struct buf sig; /* decoded signature */
};

static int fail(struct perr *e, int err, const char *why)
{
	if (e) {
		e->offset = 0;
		e->why = why;
		e->status = 401;
	}
	return err;
}

static json_t *part_json(struct sv part)
{
	struct buf raw;
	json_t *j = NULL;

	buf_init(&raw);
	if (part.len && !token__b64url_get(part, &raw))
		j = json_loadb(raw.data, raw.len, JSON_REJECT_DUPLICATES, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	buf_close(&raw);
	return j;
}

static int str_get(const json_t *o, const char *name, char *dst, size_t n)
{
	const json_t *v = json_object_get(o, name);

	dst[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= n)
		return -EBADMSG;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int date_get(const json_t *o, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(o, name);
	double d;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		d = (double)json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v); /* RFC 7519 §2: may have fractions */
	} else {
		return -EBADMSG;
	}
	if (d < 0 || d > NUMDATE_MAX)
		return -EBADMSG;
	*out = (int64_t)d;
	return 0;
}

/* aud: a string, or an array of strings (RFC 7519 §4.1.3). The one equal
 * to want (if any, else the first) goes to dst. */
static int aud_get(const json_t *o, const char *want, char *dst, size_t n)
{
	const json_t *v = json_object_get(o, "aud"), *el;
	size_t i;

	dst[0] = '\0';
	if (!v || json_is_string(v))
		return str_get(o, "aud", dst, n);
	if (!json_is_array(v))
		return -EBADMSG;
	json_array_foreach(v, i, el)
	{
		if (!json_is_string(el) || json_string_length(el) >= n)
			return -EBADMSG;
		if (i == 0 ||
		    (want && strcmp(json_string_value(el), want) == 0))
			memcpy(dst, json_string_value(el),
			       json_string_length(el) + 1);
	}
	return 0;
}

static int claims_get(const json_t *j, const char *aud, struct token_claims *c)
{
	if (str_get(j, "iss", c->iss, sizeof(c->iss)) ||
	    str_get(j, "sub", c->sub, sizeof(c->sub)) ||
	    aud_get(j, aud, c->aud, sizeof(c->aud)) ||
	    str_get(j, "jti", c->jti, sizeof(c->jti)) ||
	    str_get(j, "impu", c->impu, sizeof(c->impu)) ||
	    str_get(j, "impi", c->impi, sizeof(c->impi)) ||
	    date_get(j, "iat", &c->iat) || date_get(j, "exp", &c->exp) ||
	    date_get(j, "nbf", &c->nbf))
		return -EBADMSG;
	return 0;
}

static void jws_close(struct jws *j)
{
	json_decref(j->hdr);
	json_decref(j->claims);
	buf_close(&j->sig);
}

static int jws_parse(struct jws *j, const char *jwt, size_t len, struct perr *e)
{
	const char *d1, *d2;
	const json_t *typ;
	struct sv head, body, sig;

	memset(j, 0, sizeof(*j));
	buf_init(&j->sig);
	if (!jwt || !len || len > TOKEN_JWT_MAX)
		return fail(e, -EBADMSG, "empty or too long");
	j->whole = (struct sv){ jwt, len };
	d1 = memchr(jwt, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)))
		return fail(e, -EBADMSG, "not three dot-separated parts");
	head = (struct sv){ jwt, (size_t)(d1 - jwt) };
	body = (struct sv){ d1 + 1, (size_t)(d2 - d1 - 1) };
	sig = (struct sv){ d2 + 1, len - (size_t)(d2 + 1 - jwt) };
	j->signin = (struct sv){ jwt, (size_t)(d2 - jwt) };
	j->hdr = part_json(head);
	if (!j->hdr)
		return fail(e, -EBADMSG, "header is not base64url JSON");
	j->claims = part_json(body);
	if (!j->claims)
		return fail(e, -EBADMSG, "claims are not base64url JSON");
	if (token__b64url_get(sig, &j->sig))
		return fail(e, -EBADMSG, "signature is not base64url");
	if (str_get(j->hdr, "alg", j->alg, sizeof(j->alg)) || !j->alg[0])
		return fail(e, -EBADMSG, "no alg");
	if (str_get(j->hdr, "kid", j->kid, sizeof(j->kid)))
		return fail(e, -EBADMSG, "bad kid");
	/* RFC 7515 §4.1.11: we understand no extension. */
	if (json_object_get(j->hdr, "crit"))
		return fail(e, -EBADMSG, "crit header not understood");
	typ = json_object_get(j->hdr, "typ");
	if (typ &&
	    (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT")))
		return fail(e, -EBADMSG, "typ is not JWT");
	return 0;
}

/* ---- verification -------------------------------------------------------- */

static bool key_verify(const struct token_key *k, const struct jws *j)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	jwt_t *d = NULL;
	char *tok;
	bool ok;

	if (k->alg == TOKEN_HS256) {
		/* HMAC here: constant-time compare (libjwt 1.10 compares
		 * base64 strings with strcmp). */
		if (!HMAC(EVP_sha256(), k->key, (int)k->len,
			  (const unsigned char *)j->signin.p, j->signin.len,
			  mac, &maclen))
			return false;
		return j->sig.len == maclen &&
		       CRYPTO_memcmp(mac, j->sig.data, maclen) == 0;
	}
	if (k->pk)
		return token__sig_verify(k->pk, k->alg, j->signin,
					 (const unsigned char *)j->sig.data,
					 j->sig.len) == 0;
	tok = sv_dup(j->whole);
	ok = jwt_decode(&d, tok, k->key, (int)k->len) == 0 &&
	     jwt_get_alg(d) == jwt_algs[k->alg];
	jwt_free(d);
	free(tok);
	return ok;
}

static int signature_check(const struct token_verifier *v, const struct jws *j,
			   struct perr *e)
{
	enum token_alg alg;
	bool kid_seen = false;

	if (strcmp(j->alg, "none") == 0)
		return fail(e, -EACCES, "alg none refused");
	if (token_alg_parse(j->alg, &alg))
		return fail(e, -EACCES, "alg not accepted");
	for (size_t i = 0; v && i < v->n; i++) {
		const struct token_key *k = &v->keys[i];

		if (j->kid[0] && strcmp(j->kid, k->kid))
			continue;
		kid_seen = true;
		/* The key's algorithm, never the token's (RFC 8725 §3.1). */
		if (k->alg != alg)
			continue;
		if (key_verify(k, j))
			return 0;
	}
	if (j->kid[0] && !kid_seen)
		return fail(e, -EACCES, "unknown kid");
	return fail(e, -EACCES, "bad signature or alg not the key's");
}

int token_verify(const struct token_verifier *v, const char *jwt, size_t len,
		 const char *iss, const char *aud, int64_t now, int64_t leeway,
		 struct token_claims *out, struct perr *e)
{
	struct token_claims c = { 0 };
	struct jws j;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	rc = jws_parse(&j, jwt, len, e);
	if (rc)
		goto out;
	if (claims_get(j.claims, aud, &c)) {
		rc = fail(e, -EBADMSG, "a claim has the wrong type or size");
		goto out;
	}
	if (!c.exp) {
		rc = fail(e, -EBADMSG, "no exp");
		goto out;
	}
	rc = signature_check(v, &j, e);
	if (rc)
		goto out;
	if (c.exp <= now - leeway)
		rc = fail(e, -ESTALE, "expired");
	else if (c.nbf && c.nbf > now + leeway)
		rc = fail(e, -EPERM, "not yet valid (nbf)");
	else if (c.iat > now + leeway)
		rc = fail(e, -EPERM, "issued in the future (iat)");
	else if (iss && strcmp(c.iss, iss))
		rc = fail(e, -EPERM, "wrong issuer");
	else if (aud && strcmp(c.aud, aud))
		rc = fail(e, -EPERM, "wrong audience");
	if (!rc && out)
		*out = c;
out:
	jws_close(&j);
	return rc;
}

int token_peek(const char *jwt, size_t len, struct token_claims *out, char *alg,
	       char *kid, struct perr *e)
{
	struct jws j;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = jws_parse(&j, jwt, len, e);
	if (!rc && claims_get(j.claims, NULL, out)) {
		memset(out, 0, sizeof(*out));
		rc = fail(e, -EBADMSG, "a claim has the wrong type or size");
	}
	if (!rc && alg)
		memcpy(alg, j.alg, sizeof(j.alg));
	if (!rc && kid)
		memcpy(kid, j.kid, sizeof(j.kid));
	jws_close(&j);
	return rc;
}
