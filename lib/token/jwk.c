/*
 * jwk.c - keys for lib/token: PEM files, JWK (RFC 7517, RFC 7518 §6) and
 * the RFC 7638 thumbprint, with OpenSSL 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "token/token_int.h"

#define PEM_MAX	 (64 * 1024)
#define EC_COORD 32   /* P-256: RFC 7518 §6.2.1.2, always 32 bytes */
#define RSA_MIN	 2048 /* RFC 7518 §3.3 */
#define RSA_MAX	 8192

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void token__b64url_put(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	char q[4];
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = b64u[s[i] >> 2];
		q[1] = b64u[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64u[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		q[3] = b64u[s[i + 2] & 63];
		buf_append(b, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64u[s[i] >> 2];
		q[1] = b64u[(s[i] & 3) << 4];
		buf_append(b, q, 2);
	} else if (n - i == 2) {
		q[0] = b64u[s[i] >> 2];
		q[1] = b64u[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64u[(s[i + 1] & 15) << 2];
		buf_append(b, q, 3);
	}
}

static int b64u_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int token__b64url_get(struct sv s, struct buf *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	unsigned char o;

	/* One leftover character holds 6 bits: no byte can end there. */
	if (s.len % 4 == 1)
		return -EBADMSG;
	for (size_t i = 0; i < s.len; i++) {
		int v = b64u_val(s.p[i]);

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o = (unsigned char)(acc >> bits);
			buf_append(out, &o, 1);
			acc &= (1u << bits) - 1;
		}
	}
	/* Canonical form only (RFC 4648 §3.5): the unused bits are zero, so
	 * one signature has one spelling. */
	return acc ? -EBADMSG : 0;
}

static void seterr(char *err, size_t errlen, const char *fmt, const char *a)
{
	unsigned long e = ERR_peek_last_error();
	char why[128] = "";

	if (!err || !errlen)
		goto out;
	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	snprintf(err, errlen, fmt, a, why[0] ? why : "-");
out:
	ERR_clear_error();
}

static int file_read(const char *path, struct buf *out, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	int rc = 0;

	if (!f) {
		rc = errno == ENOENT ? -ENOENT : -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(out, chunk, n);
		if (out->len > PEM_MAX) {
			rc = -EINVAL;
			if (err && errlen)
				snprintf(err, errlen, "%s: too large", path);
			break;
		}
	}
	fclose(f);
out:
	return rc;
}

/* A key file is never protected by a passphrase here: never prompt. */
static int no_pass(char *b, int size, int rw, void *u)
{
	UNUSED(b);
	UNUSED(size);
	UNUSED(rw);
	UNUSED(u);
	return 0;
}

int token__pkey_check(EVP_PKEY *pk, enum token_alg alg, char *err,
		      size_t errlen)
{
	char grp[64] = "";
	int rc = 0;

	if (alg == TOKEN_ES256) {
		if (!EVP_PKEY_is_a(pk, "EC") ||
		    !EVP_PKEY_get_utf8_string_param(pk,
						    OSSL_PKEY_PARAM_GROUP_NAME,
						    grp, sizeof(grp), NULL) ||
		    (strcmp(grp, "prime256v1") && strcmp(grp, "P-256")))
			rc = -EINVAL;
	} else if (alg == TOKEN_RS256) {
		if (!EVP_PKEY_is_a(pk, "RSA") ||
		    EVP_PKEY_get_bits(pk) < RSA_MIN ||
		    EVP_PKEY_get_bits(pk) > RSA_MAX)
			rc = -EINVAL;
	} else {
		rc = -EINVAL;
	}
	if (rc && err && errlen)
		snprintf(err, errlen, "%s needs %s", token_alg_name(alg),
			 alg == TOKEN_ES256
				 ? "an EC P-256 key"
				 : "an RSA key of 2048 to 8192 bits");
	return rc;
}

static int pem_parse(enum token_alg alg, const char *path, struct buf *pem,
		     bool pub, EVP_PKEY **pk, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem->data, (int)pem->len);
	int rc = 0;

	*pk = NULL;
	if (pub) {
		*pk = PEM_read_bio_PUBKEY(bio, NULL, no_pass, NULL);
		if (!*pk) {
			ERR_clear_error();
			BIO_free(bio);
			bio = BIO_new_mem_buf(pem->data, (int)pem->len);
		}
	}
	if (!*pk)
		*pk = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
	BIO_free(bio);
	if (!*pk) {
		seterr(err, errlen, "%s: not a PEM key: %s", path);
		rc = -EINVAL;
		goto out;
	}
	rc = token__pkey_check(*pk, alg, err, errlen);
	if (rc) {
		EVP_PKEY_free(*pk);
		*pk = NULL;
	}
out:
	return rc;
}

int token__private_load(enum token_alg alg, const char *path, EVP_PKEY **pk,
			struct buf *pem, char *err, size_t errlen)
{
	int rc = file_read(path, pem, err, errlen);

	if (!rc)
		rc = pem_parse(alg, path, pem, false, pk, err, errlen);
	return rc;
}

int token__public_load(enum token_alg alg, const char *path, EVP_PKEY **pk,
		       char *err, size_t errlen)
{
	struct buf pem;
	int rc;

	buf_init(&pem);
	rc = file_read(path, &pem, err, errlen);
	if (!rc)
		rc = pem_parse(alg, path, &pem, true, pk, err, errlen);
	OPENSSL_cleanse(pem.data, pem.len);
	buf_close(&pem);
	return rc;
}

void token__pubpem_put(EVP_PKEY *pk, struct buf *b)
{
	BIO *m = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	PEM_write_bio_PUBKEY(m, pk);
	n = BIO_get_mem_data(m, &p);
	if (n > 0)
		buf_append(b, p, (size_t)n);
	BIO_free(m);
}

static void bn_put(struct buf *b, EVP_PKEY *pk, const char *param, int pad)
{
	unsigned char raw[1024];
	BIGNUM *bn = NULL;
	int n;

	/* A checked key has every parameter, and n fits (RSA: 8192 bits). */
	if (!EVP_PKEY_get_bn_param(pk, param, &bn) ||
	    (size_t)BN_num_bytes(bn) > sizeof(raw))
		abort();
	n = pad ? BN_bn2binpad(bn, raw, pad) : BN_bn2bin(bn, raw);
	if (n < 0)
		abort();
	token__b64url_put(b, raw, (size_t)n);
	BN_free(bn);
}

/* The required members of RFC 7638 §3.2, in lexicographic order. */
static void members_put(EVP_PKEY *pk, enum token_alg alg, struct buf *b)
{
	if (alg == TOKEN_ES256) {
		buf_puts(b, "\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
		bn_put(b, pk, OSSL_PKEY_PARAM_EC_PUB_X, EC_COORD);
		buf_puts(b, "\",\"y\":\"");
		bn_put(b, pk, OSSL_PKEY_PARAM_EC_PUB_Y, EC_COORD);
	} else {
		/* RFC 7518 §6.3.1: unsigned big-endian, no leading zero. */
		buf_puts(b, "\"e\":\"");
		bn_put(b, pk, OSSL_PKEY_PARAM_RSA_E, 0);
		buf_puts(b, "\",\"kty\":\"RSA\",\"n\":\"");
		bn_put(b, pk, OSSL_PKEY_PARAM_RSA_N, 0);
	}
	buf_puts(b, "\"");
}

void token__jwk_put(EVP_PKEY *pk, enum token_alg alg, const char *kid,
		    struct buf *b)
{
	buf_puts(b, "{");
	members_put(pk, alg, b);
	/* kid is checked by the callers: no character needs escaping. */
	if (kid)
		buf_printf(b, ",\"kid\":\"%s\",\"alg\":\"%s\",\"use\":\"sig\"",
			   kid, token_alg_name(alg));
	buf_puts(b, "}");
}

void token__thumbprint(EVP_PKEY *pk, enum token_alg alg,
		       char kid[TOKEN_KID_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf j, t;

	buf_init(&j);
	buf_init(&t);
	token__jwk_put(pk, alg, NULL, &j);
	EVP_Digest(j.data, j.len, md, &mdlen, EVP_sha256(), NULL);
	token__b64url_put(&t, md, mdlen);
	snprintf(kid, TOKEN_KID_MAX, "%s", t.data);
	buf_close(&j);
	buf_close(&t);
}

/* A base64url member decoded into out (cleared first). */
static int member_get(const json_t *o, const char *name, struct buf *out)
{
	const json_t *v = json_object_get(o, name);

	buf_reset(out);
	if (!json_is_string(v) || !json_string_length(v))
		return -EINVAL;
	return token__b64url_get((struct sv){ json_string_value(v),
					      json_string_length(v) },
				 out)
		       ? -EINVAL
		       : 0;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static EVP_PKEY *ec_from_jwk(const json_t *jwk, struct buf *tmp)
{
	unsigned char pt[1 + 2 * EC_COORD] = { 4 }; /* uncompressed */
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *chk = NULL;
	EVP_PKEY *pk = NULL;

	if (member_get(jwk, "x", tmp) || tmp->len != EC_COORD)
		goto out;
	memcpy(pt + 1, tmp->data, EC_COORD);
	if (member_get(jwk, "y", tmp) || tmp->len != EC_COORD)
		goto out;
	memcpy(pt + 1 + EC_COORD, tmp->data, EC_COORD);
	bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					"prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
					 sizeof(pt));
	pk = pkey_from_params("EC", bld);
	if (!pk)
		goto out;
	/* A point off the curve is an attack, not a key. */
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (!chk || EVP_PKEY_public_check(chk) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
out:
	EVP_PKEY_CTX_free(chk);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static EVP_PKEY *rsa_from_jwk(const json_t *jwk, struct buf *tmp)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pk = NULL;

	if (member_get(jwk, "n", tmp))
		goto out;
	n = BN_bin2bn((unsigned char *)tmp->data, (int)tmp->len, NULL);
	if (member_get(jwk, "e", tmp) || tmp->len > 8)
		goto out;
	e = BN_bin2bn((unsigned char *)tmp->data, (int)tmp->len, NULL);
	bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	pk = pkey_from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

static bool member_is(const json_t *o, const char *name, const char *want)
{
	const json_t *v = json_object_get(o, name);

	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

int token__key_from_jwk(const json_t *jwk, struct token_key *out, char *err,
			size_t errlen)
{
	const json_t *kid = json_object_get(jwk, "kid");
	EVP_PKEY *pk = NULL;
	struct buf tmp, pem;
	int rc = -ENOENT;

	buf_init(&tmp);
	buf_init(&pem);
	memset(out, 0, sizeof(*out));
	if (!json_is_object(jwk) ||
	    !json_is_string(json_object_get(jwk, "kty"))) {
		rc = -EINVAL;
		goto out;
	}
	if (json_object_get(jwk, "use") && !member_is(jwk, "use", "sig"))
		goto out;
	if (member_is(jwk, "kty", "EC")) {
		out->alg = TOKEN_ES256;
		if (!member_is(jwk, "crv", "P-256"))
			goto out;
	} else if (member_is(jwk, "kty", "RSA")) {
		out->alg = TOKEN_RS256;
	} else {
		goto out; /* "oct" and the rest: never from a public set */
	}
	if (json_object_get(jwk, "alg") &&
	    !member_is(jwk, "alg", token_alg_name(out->alg)))
		goto out;
	rc = -EINVAL;
	if (kid &&
	    (!json_is_string(kid) || json_string_length(kid) >= TOKEN_KID_MAX))
		goto out;
	pk = out->alg == TOKEN_ES256 ? ec_from_jwk(jwk, &tmp)
				     : rsa_from_jwk(jwk, &tmp);
	if (!pk || token__pkey_check(pk, out->alg, NULL, 0)) {
		seterr(err, errlen, "JWK %s: unusable key: %s",
		       json_string_value(json_object_get(jwk, "kty")));
		goto out;
	}
	if (kid)
		snprintf(out->kid, sizeof(out->kid), "%s",
			 json_string_value(kid));
	else
		token__thumbprint(pk, out->alg, out->kid);
	token__pubpem_put(pk, &pem);
	out->key = (unsigned char *)buf_steal(&pem, &out->len);
	out->pk = pk;
	pk = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pk);
	buf_close(&tmp);
	buf_close(&pem);
	return rc;
}

int token_key_make(enum token_alg alg, const char *path, bool *created,
		   char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;
	BIO *m = NULL;
	char *p = NULL;
	long n = 0;
	int fd = -1, rc = 0;

	if (created)
		*created = false;
	if (alg == TOKEN_HS256 || !path || !path[0]) {
		rc = -EINVAL;
		goto out;
	}
	if (access(path, F_OK) == 0)
		goto out;
	pk = alg == TOKEN_ES256
		     ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		     : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_MIN);
	m = BIO_new(BIO_s_mem());
	if (!pk ||
	    !PEM_write_bio_PrivateKey(m, pk, NULL, NULL, 0, NULL, NULL)) {
		seterr(err, errlen, "%s: key generation failed: %s", path);
		rc = -EINVAL;
		goto out;
	}
	n = BIO_get_mem_data(m, &p);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, p, (size_t)n) != n || fsync(fd)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -EIO;
		if (fd >= 0)
			unlink(path);
		goto out;
	}
	if (created)
		*created = true;
out:
	if (fd >= 0)
		close(fd);
	BIO_free(m);
	EVP_PKEY_free(pk);
	return rc;
}
