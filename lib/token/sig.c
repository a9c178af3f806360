/*
 * sig.c - JWS signatures with a key parsed once (token_int.h). libjwt 1.10
 * takes keys as PEM text and parses them for every token: with OpenSSL 3's
 * decoders that cost several times the ECDSA operation itself, on the path
 * of every login (wws) and every REGISTER with a token (wsf).
 */
#include <errno.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "token/token_int.h"

#define ES256_HALF 32 /* R and S of P-256, RFC 7518 §3.4 */

/* ES256 R || S -> the DER ECDSA-Sig-Value OpenSSL checks. */
static int es_der(const unsigned char *raw, size_t len, struct buf *der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r, *s;
	unsigned char *p = NULL;
	int n, rc = -EACCES;

	if (!es || len != 2 * ES256_HALF)
		goto out;
	r = BN_bin2bn(raw, ES256_HALF, NULL);
	s = BN_bin2bn(raw + ES256_HALF, ES256_HALF, NULL);
	if (!r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	n = i2d_ECDSA_SIG(es, &p);
	if (n > 0) {
		buf_append(der, p, (size_t)n);
		rc = 0;
	}
	OPENSSL_free(p);
out:
	ECDSA_SIG_free(es);
	return rc;
}

int token__sig_verify(EVP_PKEY *pk, enum token_alg alg, struct sv signin,
		      const unsigned char *sig, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct buf der;
	int rc = -EACCES;

	buf_init(&der);
	if (!md || (alg != TOKEN_ES256 && alg != TOKEN_RS256))
		goto out;
	if (alg == TOKEN_ES256) {
		if (es_der(sig, len, &der))
			goto out;
		sig = (const unsigned char *)der.data;
		len = der.len;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, sig, len, (const unsigned char *)signin.p,
			     signin.len) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	buf_close(&der);
	return rc;
}

int token__sig_sign(EVP_PKEY *pk, enum token_alg alg, struct sv signin,
		    struct buf *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL, raw[2 * ES256_HALF];
	const unsigned char *q;
	ECDSA_SIG *es = NULL;
	size_t len = 0;
	int rc = -EINVAL;

	if (!md || (alg != TOKEN_ES256 && alg != TOKEN_RS256) ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, NULL, &len, (const unsigned char *)signin.p,
			   signin.len) != 1)
		goto out;
	sig = xmalloc(len);
	if (EVP_DigestSign(md, sig, &len, (const unsigned char *)signin.p,
			   signin.len) != 1)
		goto out;
	if (alg == TOKEN_RS256) {
		buf_append(out, sig, len);
		rc = 0;
		goto out;
	}
	q = sig;
	es = d2i_ECDSA_SIG(NULL, &q, (long)len);
	if (!es ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, ES256_HALF) != ES256_HALF ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + ES256_HALF,
			 ES256_HALF) != ES256_HALF)
		goto out;
	buf_append(out, raw, sizeof(raw));
	rc = 0;
out:
	ECDSA_SIG_free(es);
	free(sig);
	EVP_MD_CTX_free(md);
	return rc;
}
