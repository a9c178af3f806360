/* check_token.c - unit tests for lib/token: base64url, keys and JWKS,
 * issue/verify round trips for ES256, RS256 and HS256, and every way a
 * token must be refused (RFC 7519, RFC 7515, RFC 8725). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "token/token_int.h"

#define NOW    1700000000
#define ISS    "https://127.0.0.1:8443"
#define AUD    "wsf"
#define SECRET "0123456789abcdef0123456789abcdef-hs"

/* ---- base64url (RFC 4648 §10 vectors, url alphabet, no padding) ---------- */

static const struct {
	const char *raw, *enc;
} b64_vec[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
	{ "\xfb\xff", "-_8" },
};

START_TEST(test_b64url)
{
	struct buf b;

	buf_init(&b);
	token__b64url_put(&b, b64_vec[_i].raw, strlen(b64_vec[_i].raw));
	ck_assert_str_eq(b.len ? b.data : "", b64_vec[_i].enc);
	buf_reset(&b);
	ck_assert_int_eq(token__b64url_get(sv_from_cstr(b64_vec[_i].enc), &b),
			 0);
	ck_assert_uint_eq(b.len, strlen(b64_vec[_i].raw));
	ck_assert(!b.len || memcmp(b.data, b64_vec[_i].raw, b.len) == 0);
	buf_close(&b);
}
END_TEST

static const char *const b64_bad[] = { "Zm9v=", "Z",	"Zh",
				       "Zm+v",	"Zm/v", "Zm9v Zg" };

START_TEST(test_b64url_bad)
{
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(token__b64url_get(sv_from_cstr(b64_bad[_i]), &b),
			 -EBADMSG);
	buf_close(&b);
}
END_TEST

static const struct {
	const char *s;
	int err;
	enum token_alg alg;
} alg_vec[] = {
	{ "ES256", 0, TOKEN_ES256 }, { "RS256", 0, TOKEN_RS256 },
	{ "HS256", 0, TOKEN_HS256 }, { "es256", -EINVAL, 0 },
	{ "none", -EINVAL, 0 },	     { "ES384", -EINVAL, 0 },
};

START_TEST(test_alg_parse)
{
	enum token_alg a = TOKEN_HS256;

	ck_assert_int_eq(token_alg_parse(alg_vec[_i].s, &a), alg_vec[_i].err);
	if (!alg_vec[_i].err) {
		ck_assert_int_eq(a, alg_vec[_i].alg);
		ck_assert_str_eq(token_alg_name(a), alg_vec[_i].s);
	}
}
END_TEST

/* ---- fixtures ------------------------------------------------------------ */

struct fx {
	char dir[64];
	char key[128];
	struct token_signer *s;
	struct rng rng;
};

static void fx_init(struct fx *f, enum token_alg alg)
{
	char err[256] = "";
	bool created = false;

	memset(f, 0, sizeof(*f));
	rng_init(&f->rng, 7);
	snprintf(f->dir, sizeof(f->dir), "/tmp/check_token.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->key, sizeof(f->key), "%s/signing.pem", f->dir);
	if (alg == TOKEN_HS256) {
		ck_assert_int_eq(token_signer_new(&f->s, alg, SECRET, NULL, err,
						  sizeof(err)),
				 0);
		return;
	}
	ck_assert_int_eq(
		token_key_make(alg, f->key, &created, err, sizeof(err)), 0);
	ck_assert(created);
	ck_assert_int_eq(
		token_signer_new(&f->s, alg, f->key, NULL, err, sizeof(err)),
		0);
}

static void fx_close(struct fx *f)
{
	char pub[160];

	token_signer_free(f->s);
	snprintf(pub, sizeof(pub), "%s/pub.pem", f->dir);
	unlink(pub);
	unlink(f->key);
	rmdir(f->dir);
}

static void claims_default(struct token_claims *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->iss, sizeof(c->iss), ISS);
	snprintf(c->sub, sizeof(c->sub), "alice@web.example.com");
	snprintf(c->aud, sizeof(c->aud), AUD);
	c->iat = NOW;
	c->exp = NOW + 300;
}

static char *issue(struct fx *f, struct token_claims *c)
{
	char *jwt = NULL;

	ck_assert_int_eq(token_issue(f->s, c, &f->rng, &jwt), 0);
	ck_assert_ptr_nonnull(jwt);
	return jwt;
}

/* A token with any header and payload, HMAC-signed with key (the only
 * kind of signature a test forges by hand). */
static char *forge(const char *hdr, const char *payload, const void *key,
		   size_t keylen)
{
	unsigned char mac[32];
	unsigned int maclen = 0;
	struct buf b;

	buf_init(&b);
	token__b64url_put(&b, hdr, strlen(hdr));
	buf_puts(&b, ".");
	token__b64url_put(&b, payload, strlen(payload));
	if (key) {
		HMAC(EVP_sha256(), key, (int)keylen,
		     (const unsigned char *)b.data, b.len, mac, &maclen);
		buf_puts(&b, ".");
		token__b64url_put(&b, mac, maclen);
	} else {
		buf_puts(&b, ".");
	}
	return buf_steal(&b, NULL);
}

/* ---- round trips --------------------------------------------------------- */

static const enum token_alg algs[] = { TOKEN_ES256, TOKEN_RS256, TOKEN_HS256 };

START_TEST(test_roundtrip)
{
	struct token_verifier *v = NULL;
	struct token_claims c, out;
	struct perr e = { 0, NULL, 0 };
	struct buf jwks;
	char err[256] = "", alg[16], kid[TOKEN_KID_MAX];
	struct fx f;
	char *jwt;

	fx_init(&f, algs[_i]);
	claims_default(&c);
	snprintf(c.impu, sizeof(c.impu), "sip:alice@ims.example.com");
	snprintf(c.impi, sizeof(c.impi), "alice@ims.example.com");
	jwt = issue(&f, &c);
	ck_assert_uint_eq(strlen(c.jti), 32); /* filled in */
	ck_assert_int_eq(token_verifier_new_from_signer(&v, f.s), 0);
	ck_assert_int_eq(token_verify(v, jwt, strlen(jwt), ISS, AUD, NOW + 10,
				      0, &out, &e),
			 0);
	ck_assert_str_eq(out.sub, "alice@web.example.com");
	ck_assert_str_eq(out.iss, ISS);
	ck_assert_str_eq(out.aud, AUD);
	ck_assert_str_eq(out.jti, c.jti);
	ck_assert_str_eq(out.impu, "sip:alice@ims.example.com");
	ck_assert_str_eq(out.impi, "alice@ims.example.com");
	ck_assert_int_eq(out.iat, NOW);
	ck_assert_int_eq(out.exp, NOW + 300);
	token_verifier_free(v);
	/* The header names alg and kid. */
	ck_assert_int_eq(token_peek(jwt, strlen(jwt), &out, alg, kid, NULL), 0);
	ck_assert_str_eq(alg, token_alg_name(algs[_i]));
	ck_assert_str_eq(kid, token_signer_kid(f.s));
	/* From the published JWKS (ES, RS) or the shared secret (HS). */
	buf_init(&jwks);
	token_jwks_print(f.s, &jwks);
	if (algs[_i] == TOKEN_HS256) {
		ck_assert_str_eq(jwks.data, "{\"keys\":[]}");
		ck_assert_int_eq(token_verifier_new_from_jwks(&v, jwks.data,
							      jwks.len, err,
							      sizeof(err)),
				 -ENOENT);
		ck_assert_int_eq(token_verifier_new_hs256(&v, SECRET, NULL, err,
							  sizeof(err)),
				 0);
	} else {
		ck_assert_int_eq(token_verifier_new_from_jwks(&v, jwks.data,
							      jwks.len, err,
							      sizeof(err)),
				 0);
	}
	ck_assert_uint_eq(token_verifier_count(v), 1);
	ck_assert_int_eq(
		token_verify(v, jwt, strlen(jwt), ISS, AUD, NOW, 0, NULL, NULL),
		0);
	token_verifier_free(v);
	/* From the PEM file (the private key file: its public half). */
	if (algs[_i] != TOKEN_HS256) {
		ck_assert_int_eq(token_verifier_new_from_pem(&v, algs[_i],
							     f.key, NULL, err,
							     sizeof(err)),
				 0);
		ck_assert_int_eq(token_verify(v, jwt, strlen(jwt), ISS, AUD,
					      NOW, 0, NULL, NULL),
				 0);
		token_verifier_free(v);
	}
	buf_close(&jwks);
	free(jwt);
	fx_close(&f);
}
END_TEST

/* Without NOTE 2 the token carries no IMS identity. */
START_TEST(test_no_ims_claims)
{
	struct token_verifier *v = NULL;
	struct token_claims c, out;
	struct fx f;
	char *jwt;

	fx_init(&f, TOKEN_ES256);
	claims_default(&c);
	snprintf(c.jti, sizeof(c.jti), "fixed-jti");
	jwt = issue(&f, &c);
	ck_assert_ptr_null(strstr(jwt, "impu"));
	token_verifier_new_from_signer(&v, f.s);
	ck_assert_int_eq(
		token_verify(v, jwt, strlen(jwt), ISS, AUD, NOW, 0, &out, NULL),
		0);
	ck_assert_str_eq(out.impu, "");
	ck_assert_str_eq(out.impi, "");
	ck_assert_str_eq(out.jti, "fixed-jti");
	token_verifier_free(v);
	free(jwt);
	fx_close(&f);
}
END_TEST

/* ---- refusals ------------------------------------------------------------ */

enum mut {
	M_NONE,
	M_PAYLOAD,   /* another sub, same signature */
	M_SIGNATURE, /* one signature character changed */
	M_SIG_CUT,   /* 4 characters cut from the signature's start */
	M_CUT_PART,  /* everything from the last dot dropped */
	M_ALG_NONE,  /* alg none, no signature */
	M_UNKNOWN_KID,
};

static const struct {
	const char *name;
	enum mut mut;
	int64_t now, leeway;
	const char *iss, *aud;
	int err;
} ref_vec[] = {
	{ "good", M_NONE, NOW, 0, ISS, AUD, 0 },
	{ "checks off", M_NONE, NOW, 0, NULL, NULL, 0 },
	{ "payload", M_PAYLOAD, NOW, 0, ISS, AUD, -EACCES },
	{ "signature", M_SIGNATURE, NOW, 0, ISS, AUD, -EACCES },
	{ "sig cut", M_SIG_CUT, NOW, 0, ISS, AUD, -EACCES },
	{ "truncated", M_CUT_PART, NOW, 0, ISS, AUD, -EBADMSG },
	{ "alg none", M_ALG_NONE, NOW, 0, ISS, AUD, -EACCES },
	{ "unknown kid", M_UNKNOWN_KID, NOW, 0, ISS, AUD, -EACCES },
	{ "expired", M_NONE, NOW + 300, 0, ISS, AUD, -ESTALE },
	{ "expired long", M_NONE, NOW + 9999, 30, ISS, AUD, -ESTALE },
	{ "leeway", M_NONE, NOW + 310, 30, ISS, AUD, 0 },
	{ "future iat", M_NONE, NOW - 100, 30, ISS, AUD, -EPERM },
	{ "iat skew", M_NONE, NOW - 20, 30, ISS, AUD, 0 },
	{ "wrong aud", M_NONE, NOW, 0, ISS, "pcscf", -EPERM },
	{ "wrong iss", M_NONE, NOW, 0, "https://evil.example", AUD, -EPERM },
};

static char *mutate(const char *jwt, enum mut m)
{
	struct buf b;
	const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
	char *t = xstrdup(jwt);

	buf_init(&b);
	switch (m) {
	case M_PAYLOAD:
		buf_append(&b, jwt, (size_t)(d1 + 1 - jwt));
		token__b64url_put(&b,
				  "{\"sub\":\"mallory@web.example.com\","
				  "\"exp\":1700000300}",
				  strlen("{\"sub\":\"mallory@web.example.com\","
					 "\"exp\":1700000300}"));
		buf_puts(&b, d2);
		free(t);
		t = buf_steal(&b, NULL);
		break;
	case M_SIGNATURE:
		t[(d2 - jwt) + 5] = t[(d2 - jwt) + 5] == 'A' ? 'B' : 'A';
		break;
	case M_SIG_CUT: /* still canonical base64url, 3 bytes short */
		memmove(t + (d2 - jwt) + 1, t + (d2 - jwt) + 5,
			strlen(t + (d2 - jwt) + 5) + 1);
		break;
	case M_CUT_PART:
		t[d2 - jwt] = '\0';
		break;
	case M_ALG_NONE:
		buf_reset(&b);
		token__b64url_put(&b, "{\"alg\":\"none\"}", 14);
		buf_append(&b, d1, (size_t)(d2 + 1 - d1));
		free(t);
		t = buf_steal(&b, NULL);
		break;
	case M_UNKNOWN_KID: {
		char *h = forge("{\"alg\":\"HS256\",\"kid\":\"other\"}",
				"{\"exp\":1700000300}", SECRET, strlen(SECRET));

		free(t);
		t = h;
		break;
	}
	case M_NONE:
		break;
	}
	buf_close(&b);
	return t;
}

START_TEST(test_refusals)
{
	size_t a = (size_t)_i / ARRAY_SIZE(ref_vec);
	size_t i = (size_t)_i % ARRAY_SIZE(ref_vec);
	struct token_verifier *v = NULL;
	struct token_claims c, out;
	struct perr e = { 0, NULL, 0 };
	struct fx f;
	char *jwt, *bad;
	int rc;

	fx_init(&f, algs[a]);
	claims_default(&c);
	jwt = issue(&f, &c);
	bad = mutate(jwt, ref_vec[i].mut);
	token_verifier_new_from_signer(&v, f.s);
	rc = token_verify(v, bad, strlen(bad), ref_vec[i].iss, ref_vec[i].aud,
			  ref_vec[i].now, ref_vec[i].leeway, &out, &e);
	ck_assert_msg(rc == ref_vec[i].err, "%s/%s: got %d (%s), want %d",
		      token_alg_name(algs[a]), ref_vec[i].name, rc,
		      e.why ? e.why : "-", ref_vec[i].err);
	if (rc)
		ck_assert_str_eq(out.sub, ""); /* nothing leaks out */
	token_verifier_free(v);
	free(bad);
	free(jwt);
	fx_close(&f);
}
END_TEST

/* An HS256 token whose HMAC key is the RSA/EC public key (anyone has it):
 * the classic alg confusion. libjwt would accept it if handed the PEM. */
START_TEST(test_alg_confusion)
{
	struct token_verifier *v = NULL, *vj = NULL;
	struct buf pem, jwks, hdr;
	EVP_PKEY *pk = NULL;
	char err[256];
	struct fx f;
	char *forged;

	fx_init(&f, algs[_i]);
	buf_init(&pem);
	buf_init(&jwks);
	buf_init(&hdr);
	ck_assert_int_eq(
		token__public_load(algs[_i], f.key, &pk, err, sizeof(err)), 0);
	token__pubpem_put(pk, &pem);
	buf_printf(&hdr, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		   token_signer_kid(f.s));
	forged = forge(hdr.data,
		       "{\"iss\":\"" ISS "\",\"sub\":\"mallory\",\"aud\":\"" AUD
		       "\",\"iat\":1700000000,\"exp\":1700000300}",
		       pem.data, pem.len);
	token_verifier_new_from_signer(&v, f.s);
	ck_assert_int_eq(token_verify(v, forged, strlen(forged), ISS, AUD, NOW,
				      0, NULL, NULL),
			 -EACCES);
	token_jwks_print(f.s, &jwks);
	ck_assert_int_eq(token_verifier_new_from_jwks(&vj, jwks.data, jwks.len,
						      err, sizeof(err)),
			 0);
	ck_assert_int_eq(token_verify(vj, forged, strlen(forged), ISS, AUD, NOW,
				      0, NULL, NULL),
			 -EACCES);
	token_verifier_free(v);
	token_verifier_free(vj);
	EVP_PKEY_free(pk);
	free(forged);
	buf_close(&pem);
	buf_close(&jwks);
	buf_close(&hdr);
	fx_close(&f);
}
END_TEST

/* Hand-made HS256 tokens with a correct signature: what the structure and
 * claim checks refuse on their own. */
static const struct {
	const char *hdr, *payload;
	int err;
} craft_vec[] = {
	{ "{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"exp\":1700000300}", 0 },
	{ "{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"exp\":1700000300.5}", 0 },
	{ "{\"alg\":\"HS256\"}", "{\"sub\":\"a\"}", -EBADMSG },
	{ "{\"alg\":\"HS256\"}", "{\"exp\":\"1700000300\"}", -EBADMSG },
	{ "{\"alg\":\"HS256\"}", "{\"sub\":1,\"exp\":1700000300}", -EBADMSG },
	{ "{\"alg\":\"HS256\"}",
	  "{\"sub\":\"a\",\"sub\":\"b\",\"exp\":1700000300}", -EBADMSG },
	{ "{\"alg\":\"HS256\"}", "[1,2]", -EBADMSG },
	{ "{\"alg\":\"HS256\"}", "{\"exp\":1e300}", -EBADMSG },
	{ "{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}",
	  "{\"exp\":1700000300}", -EBADMSG },
	{ "{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", "{\"exp\":1700000300}",
	  -EBADMSG },
	{ "{\"typ\":\"JWT\"}", "{\"exp\":1700000300}", -EBADMSG },
	{ "{\"alg\":\"HS512\"}", "{\"exp\":1700000300}", -EACCES },
	{ "{\"alg\":\"HS256\"}", "{\"exp\":1700000300,\"nbf\":1700000100}",
	  -EPERM },
	{ "{\"alg\":\"HS256\"}", "{\"exp\":1700000300,\"aud\":[\"x\",\"wsf\"]}",
	  0 },
	{ "{\"alg\":\"HS256\"}", "{\"exp\":1700000300,\"aud\":[\"x\"]}",
	  -EPERM },
	{ "{\"alg\":\"HS256\"}", "{\"exp\":1700000300,\"aud\":[1]}", -EBADMSG },
};

START_TEST(test_crafted)
{
	struct token_verifier *v = NULL;
	struct token_claims out;
	char err[128];
	char *t = forge(craft_vec[_i].hdr, craft_vec[_i].payload, SECRET,
			strlen(SECRET));
	int rc;

	ck_assert_int_eq(
		token_verifier_new_hs256(&v, SECRET, NULL, err, sizeof(err)),
		0);
	rc = token_verify(v, t, strlen(t), NULL,
			  strstr(craft_vec[_i].payload, "aud") ? AUD : NULL,
			  NOW, 0, &out, NULL);
	ck_assert_msg(rc == craft_vec[_i].err, "%s: got %d, want %d",
		      craft_vec[_i].payload, rc, craft_vec[_i].err);
	token_verifier_free(v);
	free(t);
}
END_TEST

static const char *const garbage[] = { "",	   "abc",
				       "a.b.c",	   "..",
				       "e30.e30.", "e30.e30.e30.e30",
				       "e30..sig", "@@@.e30.e30" };

START_TEST(test_garbage)
{
	struct token_verifier *v = NULL;
	struct token_claims c;
	char err[128];

	token_verifier_new_hs256(&v, SECRET, NULL, err, sizeof(err));
	ck_assert_int_eq(token_verify(v, garbage[_i], strlen(garbage[_i]), NULL,
				      NULL, NOW, 0, NULL, NULL),
			 -EBADMSG);
	ck_assert_int_eq(token_peek(garbage[_i], strlen(garbage[_i]), &c, NULL,
				    NULL, NULL),
			 -EBADMSG);
	token_verifier_free(v);
}
END_TEST

/* ---- keys and JWKS ------------------------------------------------------- */

START_TEST(test_jwks_shape)
{
	json_t *root, *k;
	struct buf b, raw;
	struct fx f;
	struct stat st;
	bool created = true;
	char err[256];

	fx_init(&f, algs[_i]);
	buf_init(&b);
	buf_init(&raw);
	ck_assert_int_eq(stat(f.key, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Second start: the key is kept. */
	ck_assert_int_eq(
		token_key_make(algs[_i], f.key, &created, err, sizeof(err)), 0);
	ck_assert(!created);
	token_jwks_print(f.s, &b);
	root = json_loads(b.data, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(json_array_size(json_object_get(root, "keys")), 1);
	k = json_array_get(json_object_get(root, "keys"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kid")),
			 token_signer_kid(f.s));
	ck_assert_uint_eq(strlen(token_signer_kid(f.s)), 43); /* thumbprint */
	ck_assert_str_eq(json_string_value(json_object_get(k, "use")), "sig");
	ck_assert_str_eq(json_string_value(json_object_get(k, "alg")),
			 token_alg_name(algs[_i]));
	ck_assert_ptr_null(json_object_get(k, "d")); /* never the private */
	if (algs[_i] == TOKEN_ES256) {
		ck_assert_str_eq(json_string_value(json_object_get(k, "kty")),
				 "EC");
		ck_assert_str_eq(json_string_value(json_object_get(k, "crv")),
				 "P-256");
		ck_assert_int_eq(
			token__b64url_get(sv_from_cstr(json_string_value(
						  json_object_get(k, "x"))),
					  &raw),
			0);
		ck_assert_uint_eq(raw.len, 32);
		buf_reset(&raw);
		ck_assert_int_eq(
			token__b64url_get(sv_from_cstr(json_string_value(
						  json_object_get(k, "y"))),
					  &raw),
			0);
		ck_assert_uint_eq(raw.len, 32);
	} else {
		ck_assert_str_eq(json_string_value(json_object_get(k, "kty")),
				 "RSA");
		ck_assert_str_eq(json_string_value(json_object_get(k, "e")),
				 "AQAB");
		ck_assert_int_eq(
			token__b64url_get(sv_from_cstr(json_string_value(
						  json_object_get(k, "n"))),
					  &raw),
			0);
		ck_assert_uint_eq(raw.len, 256);
		ck_assert_ptr_null(json_object_get(k, "p"));
	}
	json_decref(root);
	buf_close(&b);
	buf_close(&raw);
	fx_close(&f);
}
END_TEST

/* RFC 7638 §3.1: the example RSA key and its thumbprint. */
#define RFC7638_N                                                              \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1R" \
	"K"                                                                    \
	"7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9y" \
	"BXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"                               \
	"FDW2QvzqY368QQMicAtaSqzs8KJZgnY"                                      \
	"b9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"                   \
	"bFTWhAI4vMQFh6WeZu0"                                                  \
	"fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

START_TEST(test_thumbprint_rfc7638)
{
	const char *set = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC7638_N
			  "\",\"e\":\"AQAB\",\"alg\":\"RS256\"}]}";
	struct token_verifier *v = NULL;
	char err[256] = "";

	ck_assert_int_eq(token_verifier_new_from_jwks(&v, set, strlen(set), err,
						      sizeof(err)),
			 0);
	ck_assert_str_eq(v->keys[0].kid,
			 "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	token_verifier_free(v);
}
END_TEST

/* JWK Sets: unusable keys are skipped (RFC 7517 §5), nothing usable is
 * -ENOENT, not a set is -EBADMSG. */
static const struct {
	const char *set;
	int err;
	size_t n;
} set_vec[] = {
	{ "not json", -EBADMSG, 0 },
	{ "{\"keys\":{}}", -EBADMSG, 0 },
	{ "{\"keys\":[]}", -ENOENT, 0 },
	{ "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", -ENOENT, 0 },
	{ "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
	  "\"y\":\"AA\"}]}",
	  -ENOENT, 0 },
	{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\","
	  "\"use\":\"enc\"}]}",
	  -ENOENT, 0 },
	{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\","
	  "\"alg\":\"RS512\"}]}",
	  -ENOENT, 0 },
	{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"0vx7ag\",\"e\":\"AQAB\"}]}",
	  -ENOENT, 0 },
	{ "{\"keys\":[{\"kty\":\"oct\"},{\"kty\":\"RSA\",\"kid\":\"k2\",\"n\":"
	  "\"" RFC7638_N "\",\"e\":\"AQAB\"}]}",
	  0, 1 },
};

START_TEST(test_jwks_sets)
{
	struct token_verifier *v = NULL;
	char err[256] = "";

	ck_assert_int_eq(token_verifier_new_from_jwks(&v, set_vec[_i].set,
						      strlen(set_vec[_i].set),
						      err, sizeof(err)),
			 set_vec[_i].err);
	ck_assert_uint_eq(token_verifier_count(v), set_vec[_i].n);
	if (v)
		ck_assert_str_eq(v->keys[0].kid, "k2");
	token_verifier_free(v);
}
END_TEST

/* Refused keys and secrets. */
START_TEST(test_bad_keys)
{
	struct token_signer *s = NULL;
	struct token_verifier *v = NULL;
	char err[256] = "";
	struct fx f;

	fx_init(&f, TOKEN_ES256);
	/* An EC key is not an RSA key, and the other way round. */
	ck_assert_int_eq(token_signer_new(&s, TOKEN_RS256, f.key, NULL, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "RSA"));
	ck_assert_int_eq(token_verifier_new_from_pem(&v, TOKEN_RS256, f.key,
						     NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(token_signer_new(&s, TOKEN_ES256, "/nonexistent.pem",
					  NULL, err, sizeof(err)),
			 -ENOENT);
	ck_assert_int_eq(token_signer_new(&s, TOKEN_HS256, "short", NULL, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(
		token_verifier_new_hs256(&v, "short", NULL, err, sizeof(err)),
		-EINVAL);
	ck_assert_int_eq(token_signer_new(&s, TOKEN_ES256, f.key, "a\"b", err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(
		token_key_make(TOKEN_HS256, f.key, NULL, err, sizeof(err)),
		-EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(v);
	/* A configured kid is used as is. */
	ck_assert_int_eq(token_signer_new(&s, TOKEN_ES256, f.key, "wws-1", err,
					  sizeof(err)),
			 0);
	ck_assert_str_eq(token_signer_kid(s), "wws-1");
	token_signer_free(s);
	fx_close(&f);
}
END_TEST

START_TEST(test_issue_args)
{
	struct token_claims c;
	struct fx f;
	char *jwt = NULL;

	fx_init(&f, TOKEN_HS256);
	claims_default(&c);
	c.exp = c.iat;
	ck_assert_int_eq(token_issue(f.s, &c, &f.rng, &jwt), -EINVAL);
	claims_default(&c);
	c.sub[0] = '\0';
	ck_assert_int_eq(token_issue(f.s, &c, &f.rng, &jwt), -EINVAL);
	ck_assert_ptr_null(jwt);
	fx_close(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("token");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_b64url, 0, ARRAY_SIZE(b64_vec));
	tcase_add_loop_test(tc, test_b64url_bad, 0, ARRAY_SIZE(b64_bad));
	tcase_add_loop_test(tc, test_alg_parse, 0, ARRAY_SIZE(alg_vec));
	tcase_add_loop_test(tc, test_roundtrip, 0, ARRAY_SIZE(algs));
	tcase_add_test(tc, test_no_ims_claims);
	tcase_add_loop_test(tc, test_refusals, 0,
			    (int)(ARRAY_SIZE(algs) * ARRAY_SIZE(ref_vec)));
	tcase_add_loop_test(tc, test_alg_confusion, 0, 2);
	tcase_add_loop_test(tc, test_crafted, 0, ARRAY_SIZE(craft_vec));
	tcase_add_loop_test(tc, test_garbage, 0, ARRAY_SIZE(garbage));
	tcase_add_loop_test(tc, test_jwks_shape, 0, 2);
	tcase_add_test(tc, test_thumbprint_rfc7638);
	tcase_add_loop_test(tc, test_jwks_sets, 0, ARRAY_SIZE(set_vec));
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_issue_args);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
