/*
 * forge.c - bad tokens for the negative token scenarios (see forge.h).
 * The well-signed kinds go through lib/token, as the WWS's own tokens do;
 * alg-none and hs256-pubkey are built by hand here, since lib/token
 * refuses to make them (RFC 8725 §2.1).
 */
#include "forge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "token/token.h"

enum kind {
	K_UNISSUED = 0,
	K_EXPIRED,
	K_NBF,
	K_AUD,
	K_ISS,
	K_SIG,
	K_NONE,
	K_HSPUB,
	K_TRUNC,
	K_OTHER,
};

/* STYLE rule 12: one table of the kinds (documented in forge.h). */
static const struct {
	const char *name;
	enum kind kind;
} kinds[] = {
	{ "unissued", K_UNISSUED },   { "expired", K_EXPIRED },
	{ "nbf-future", K_NBF },      { "wrong-aud", K_AUD },
	{ "unknown-iss", K_ISS },     { "bad-sig", K_SIG },
	{ "alg-none", K_NONE },	      { "hs256-pubkey", K_HSPUB },
	{ "truncated", K_TRUNC },     { "other-user", K_OTHER },
};

#define SKEW_S	   3600 /* far beyond any leeway a WSF allows */
#define OTHER_AUD  "another-wsf"
#define OTHER_ISS  "https://wws.untrusted.example.com"

static int kind_of(const char *name, enum kind *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(kinds[i].name, name)) {
			*k = kinds[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

bool forge_kind_known(const char *kind)
{
	enum kind k;

	return kind_of(kind, &k) == 0;
}

const char *forge_kind_list(void)
{
	return "unissued, expired, nbf-future, wrong-aud, unknown-iss, "
	       "bad-sig, alg-none, hs256-pubkey, truncated, other-user";
}

/* RFC 7515 §2: base64url without padding. */
static void b64url_put(struct buf *b, const void *p, size_t n)
{
	unsigned char *enc = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock(enc, p, (int)n);

	for (int i = 0; i < len; i++) {
		char ch = (char)enc[i];

		if (ch == '=')
			break;
		ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;
		buf_append(b, &ch, 1);
	}
	free(enc);
}

static void json_put(struct buf *b, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	b64url_put(b, s, strlen(s));
	free(s);
	json_decref(j);
}

/* The claims a WWS would issue (wws/token.c), changed as kind says. */
static void claims_fill(const struct forge_in *in, enum kind k,
			struct token_claims *c)
{
	bool other = k == K_OTHER;

	memset(c, 0, sizeof(*c));
	snprintf(c->iss, sizeof(c->iss), "%s",
		 k == K_ISS ? OTHER_ISS : in->iss);
	snprintf(c->sub, sizeof(c->sub), "%s",
		 other ? in->other_sub : in->sub);
	snprintf(c->aud, sizeof(c->aud), "%s",
		 k == K_AUD ? OTHER_AUD : in->aud);
	if (in->ims_claims) {
		snprintf(c->impu, sizeof(c->impu), "%s",
			 other ? in->other_impu : in->impu);
		snprintf(c->impi, sizeof(c->impi), "%s",
			 other ? in->other_impi : in->impi);
	}
	c->iat = in->now;
	c->exp = in->now + in->ttl_s;
	if (k == K_EXPIRED) {
		c->iat = in->now - SKEW_S - in->ttl_s;
		c->exp = in->now - SKEW_S;
	} else if (k == K_NBF) {
		c->nbf = in->now + SKEW_S;
		c->exp = c->nbf + in->ttl_s;
	}
}

static json_t *claims_json(const struct token_claims *c)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "iss", c->iss,
			      "sub", c->sub, "aud", c->aud, "jti", c->jti,
			      "iat", (json_int_t)c->iat, "exp",
			      (json_int_t)c->exp);

	if (c->impu[0])
		json_object_set_new(j, "impu", json_string(c->impu));
	if (c->impi[0])
		json_object_set_new(j, "impi", json_string(c->impi));
	return j;
}

/* The SubjectPublicKeyInfo PEM of the WWS's private key file: the bytes
 * a naive verifier would take as the HMAC secret. */
static int pubkey_pem(const char *path, struct buf *pem, char *err,
		      size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;
	BIO *mem = NULL;
	char *p;
	long n;
	int rc = -EINVAL;

	if (!f) {
		snprintf(err, errlen, "cannot read the WWS key %s", path);
		return -EINVAL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	mem = BIO_new(BIO_s_mem());
	if (!k || !mem || !PEM_write_bio_PUBKEY(mem, k)) {
		snprintf(err, errlen, "%s is not a PEM private key", path);
		goto out;
	}
	n = BIO_get_mem_data(mem, &p);
	buf_append(pem, p, (size_t)n);
	rc = 0;
out:
	BIO_free(mem);
	EVP_PKEY_free(k);
	return rc;
}

/* alg none (RFC 7519 §6.1: an empty signature) or HS256 keyed with the
 * public key PEM, with the kid of the WWS's key so a verifier finds it. */
static int hand_made(const struct forge_in *in, enum kind k,
		     const struct token_claims *c, const char *kid,
		     struct buf *out, char *err, size_t errlen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf pem;
	int rc = 0;

	buf_init(&pem);
	if (k == K_HSPUB && (rc = pubkey_pem(in->key, &pem, err, errlen)))
		goto out;
	json_put(out, k == K_NONE
			      ? json_pack("{s:s,s:s}", "alg", "none", "typ",
					  "JWT")
			      : json_pack("{s:s,s:s,s:s}", "alg", "HS256",
					  "typ", "JWT", "kid", kid));
	buf_puts(out, ".");
	json_put(out, claims_json(c));
	buf_puts(out, ".");
	if (k == K_HSPUB) {
		HMAC(EVP_sha256(), pem.data, (int)pem.len,
		     (const unsigned char *)out->data, out->len - 1, mac,
		     &maclen);
		b64url_put(out, mac, maclen);
	}
out:
	buf_close(&pem);
	return rc;
}

int forge_token(const struct forge_in *in, struct rng *rng, char **jwt,
		char *err, size_t errlen)
{
	struct token_signer *s = NULL;
	struct token_claims c;
	struct buf out;
	char *tok = NULL, *dot;
	enum kind k;
	int rc;

	*jwt = NULL;
	buf_init(&out);
	if (kind_of(in->kind, &k)) {
		snprintf(err, errlen, "unknown kind '%s' (%s)", in->kind,
			 forge_kind_list());
		return -EINVAL;
	}
	if (k == K_OTHER && !in->other_sub) {
		snprintf(err, errlen, "other-user: the scenario declares no "
				      "other user (e.g. `user bob`)");
		return -EINVAL;
	}
	if (k == K_HSPUB && in->alg == TOKEN_HS256) {
		snprintf(err, errlen, "hs256-pubkey: the WWS signs HS256, it "
				      "has no public key");
		return -EINVAL;
	}
	rc = token_signer_new(&s, (enum token_alg)in->alg, in->key, in->kid,
			      err, errlen);
	if (rc)
		goto out;
	claims_fill(in, k, &c);
	if (k == K_NONE || k == K_HSPUB) {
		rng_hex(rng, c.jti, 32);
		rc = hand_made(in, k, &c, token_signer_kid(s), &out, err,
			       errlen);
		if (!rc)
			*jwt = buf_steal(&out, NULL);
		goto out;
	}
	rc = token_issue(s, &c, rng, &tok);
	if (rc) {
		snprintf(err, errlen, "cannot sign the token");
		goto out;
	}
	if (k == K_SIG) {
		/* A middle character carries 6 bits of the signature. */
		dot = strrchr(tok, '.');
		dot += 1 + strlen(dot + 1) / 2;
		*dot = *dot == 'A' ? 'B' : 'A';
	} else if (k == K_TRUNC) {
		/* Header, dot, half the claims: two parts. */
		dot = strchr(tok, '.');
		dot[1 + (strchr(dot + 1, '.') - dot - 1) / 2] = '\0';
	}
	*jwt = tok;
	tok = NULL;
out:
	free(tok);
	buf_close(&out);
	token_signer_free(s);
	return rc;
}
