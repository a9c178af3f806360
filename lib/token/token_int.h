/* token_int.h - what token.c and jwk.c share (private to lib/token). */
#ifndef IMSTB_TOKEN_INT_H
#define IMSTB_TOKEN_INT_H

#include <jansson.h>
#include <openssl/evp.h>

#include "token/token.h"

#define TOKEN_HS_MIN 32 /* RFC 7518 §3.2: a key as long as the hash */

/* One verification key, bound to one algorithm (RFC 8725 §3.1). */
struct token_key {
	enum token_alg alg;
	char kid[TOKEN_KID_MAX];
	unsigned char *key; /* owned: public key PEM (ES, RS) or secret (HS) */
	size_t len;
	EVP_PKEY *pk; /* owned: key parsed once (ES, RS): a PEM parse per
			 token cost more than the signature check itself */
};

struct token_verifier {
	struct token_key *keys; /* owned, n of them */
	size_t n;
};

struct token_signer {
	enum token_alg alg;
	char kid[TOKEN_KID_MAX];
	unsigned char *priv; /* owned: private key PEM, or the HS secret */
	size_t priv_len;
	EVP_PKEY *priv_pk;   /* owned: parsed once (ES, RS) */
	char *jwk;	      /* owned: the public JWK as JSON; NULL for HS */
	struct token_key pub; /* the verification key */
};

/* RFC 4648 §5 without padding. */
void token__b64url_put(struct buf *b, const void *p, size_t n);
/* Appends the decoded bytes; -EBADMSG for a character outside the
 * alphabet, padding, or an impossible length. */
int token__b64url_get(struct sv s, struct buf *out);

/* Checks that pk is the key type alg wants (P-256, RSA >= 2048). */
int token__pkey_check(EVP_PKEY *pk, enum token_alg alg, char *err,
		      size_t errlen);
/* Reads a PEM private key file: *pk and its PEM text in pem. */
int token__private_load(enum token_alg alg, const char *path, EVP_PKEY **pk,
			struct buf *pem, char *err, size_t errlen);
/* Reads a PEM public key (or private key) file into *pk. */
int token__public_load(enum token_alg alg, const char *path, EVP_PKEY **pk,
		       char *err, size_t errlen);
/* The SubjectPublicKeyInfo PEM of pk, appended to b. */
void token__pubpem_put(EVP_PKEY *pk, struct buf *b);
/* The public JWK of pk as JSON: kid and alg added when kid is not NULL. */
void token__jwk_put(EVP_PKEY *pk, enum token_alg alg, const char *kid,
		    struct buf *b);
/* RFC 7638 thumbprint (base64url SHA-256 of the required members). */
void token__thumbprint(EVP_PKEY *pk, enum token_alg alg,
		       char kid[TOKEN_KID_MAX]);
/* A verification key from one JWK object: 0, -ENOENT for a key we skip
 * (wrong use, kty, curve, alg), -EINVAL malformed or too weak. */
int token__key_from_jwk(const json_t *jwk, struct token_key *out, char *err,
			size_t errlen);

/* sig.c: JWS signatures with a parsed key (RFC 7518 §3.3 RS256, §3.4
 * ES256: the raw 64-byte R || S, not DER). 0, or -EACCES (verify: bad
 * signature), -EINVAL (sign: the key cannot). */
int token__sig_verify(EVP_PKEY *pk, enum token_alg alg, struct sv signin,
		      const unsigned char *sig, size_t len);
int token__sig_sign(EVP_PKEY *pk, enum token_alg alg, struct sv signin,
		    struct buf *out);

#endif
