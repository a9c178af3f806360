/*
 * token.h - JSON Web Tokens (RFC 7519) signed as JWS compact (RFC 7515)
 * with libjwt, and their keys as JWK / JWK Set (RFC 7517, RFC 7518).
 *
 * The WWS issues tokens at its web login (TR 23.701 Figure 6.X.2.1.2.1-1
 * step 3) and the WSF verifies them (steps 6-7: by introspection at the
 * WWS, or locally with the WWS's public key). One profile only:
 * - algorithms ES256 (ECDSA P-256 + SHA-256, the default), RS256 (RSA
 *   PKCS#1 v1.5 + SHA-256, keys of 2048 bits or more) and HS256 (HMAC
 *   SHA-256 with a shared secret of 32 bytes or more, RFC 7518 §3.2);
 * - header: alg, kid, typ "JWT";
 * - claims: iss, sub, aud, iat, exp, jti, and optionally impu and impi
 *   (TR 23.701 NOTE 2: the WSF takes the IMS identities from the token).
 *
 * Verification never trusts the token's header to choose how to verify
 * (RFC 8725 §2.1, §3.1): each key of a verifier is bound to one algorithm,
 * "none" is always refused, and an RSA or EC public key is never used as
 * an HMAC secret (the HS256-with-the-public-key forgery).
 *
 * Errors: 0 or a negative errno. token_verify says why precisely:
 *   -EBADMSG  malformed: not three base64url parts, header or claims not a
 *             JSON object (duplicate names refused), a claim of the wrong
 *             type or too long, no exp, an unknown "crit" header
 *   -EACCES   signature: alg "none" or not the key's, unknown kid, bad
 *             signature
 *   -ESTALE   expired: now >= exp + leeway (RFC 7519 §4.1.4)
 *   -EPERM    not for us: wrong iss or aud, or not yet valid (nbf or iat
 *             after now + leeway)
 * Key and file functions: -ENOENT missing file, -EINVAL unusable key or
 * argument (err, when given, names the reason), -EIO write failure.
 */
#ifndef IMSTB_TOKEN_H
#define IMSTB_TOKEN_H

#include "base/base.h"

#define TOKEN_STR_MAX 256  /* a string claim with its NUL */
#define TOKEN_KID_MAX 64   /* a key id with its NUL */
#define TOKEN_JWT_MAX 8192 /* longest token accepted */

enum token_alg {
	TOKEN_ES256 = 0,
	TOKEN_RS256,
	TOKEN_HS256,
};

/* "ES256", "RS256", "HS256" (exact case, RFC 7518 §3.1); -EINVAL. */
int token_alg_parse(const char *s, enum token_alg *out);
const char *token_alg_name(enum token_alg alg);

/* The claims of our profile. Empty strings and 0 mean absent. */
struct token_claims {
	char iss[TOKEN_STR_MAX];
	char sub[TOKEN_STR_MAX]; /* the web id */
	char aud[TOKEN_STR_MAX]; /* verify: the expected one, if matched */
	char jti[TOKEN_STR_MAX];
	char impu[TOKEN_STR_MAX]; /* NOTE 2 */
	char impi[TOKEN_STR_MAX]; /* NOTE 2 */
	int64_t iat, exp, nbf;	  /* NumericDate: seconds since the epoch */
};

/* ---- keys ---------------------------------------------------------------- */

/* Writes a new private key as PKCS#8 PEM (mode 0600) at path if no file is
 * there yet: EC P-256 for ES256, RSA 2048 for RS256. *created (may be
 * NULL) says whether it did. -EINVAL for HS256 (a secret is not a file). */
int token_key_make(enum token_alg alg, const char *path, bool *created,
		   char *err, size_t errlen);

/* ---- issuing ------------------------------------------------------------- */

struct token_signer;

/* key: ES256/RS256: path of the PEM private key (EC P-256 / RSA >= 2048);
 * HS256: the shared secret itself (>= 32 bytes). kid NULL or "": RS/ES:
 * the RFC 7638 JWK thumbprint of the public key; HS256: "hs256". */
int token_signer_new(struct token_signer **out, enum token_alg alg,
		     const char *key, const char *kid, char *err,
		     size_t errlen);
void token_signer_free(struct token_signer *s); /* NULL is accepted */
enum token_alg token_signer_alg(const struct token_signer *s);
const char *token_signer_kid(const struct token_signer *s);

/* Signs c into a compact JWS (*jwt, heap, free()). iss, sub and aud are
 * required and exp must be after iat (-EINVAL). An empty c->jti is first
 * filled with 32 random hex digits from rng (128 bits). impu, impi and nbf
 * are added when set. */
int token_issue(const struct token_signer *s, struct token_claims *c,
		struct rng *rng, char **jwt);

/* Appends the JWK Set of the signer's public key (RFC 7517 §5):
 * {"keys":[{"kty":"EC","crv":"P-256","x":..,"y":..,"kid":..,"alg":"ES256",
 * "use":"sig"}]}, RSA with n and e. HS256 publishes nothing: {"keys":[]}. */
void token_jwks_print(const struct token_signer *s, struct buf *b);

/* ---- verifying ----------------------------------------------------------- */

struct token_verifier;

/* One public key from a PEM file (a public or a private key; only the
 * public half is kept), for alg ES256 or RS256. kid NULL or "": its
 * thumbprint, as token_signer_new. */
int token_verifier_new_from_pem(struct token_verifier **out, enum token_alg alg,
				const char *path, const char *kid, char *err,
				size_t errlen);
/* The keys of a JWK Set (the text of /.well-known/jwks.json): every EC
 * P-256 and RSA key whose "use" is absent or "sig" and whose "alg" is
 * absent or matches its type. Other keys (oct, other curves) are skipped;
 * a set with no usable key gives -ENOENT, malformed JSON -EBADMSG. */
int token_verifier_new_from_jwks(struct token_verifier **out, const char *json,
				 size_t len, char *err, size_t errlen);
/* A shared HS256 secret (>= 32 bytes). kid NULL: "hs256". */
int token_verifier_new_hs256(struct token_verifier **out, const char *secret,
			     const char *kid, char *err, size_t errlen);
/* The signer's own key(s): its public key, or its HS256 secret. */
int token_verifier_new_from_signer(struct token_verifier **out,
				   const struct token_signer *s);
void token_verifier_free(struct token_verifier *v); /* NULL is accepted */
size_t token_verifier_count(const struct token_verifier *v);

/*
 * Verifies jwt (len bytes, no NUL needed) and fills *out (may be NULL):
 * the structure, then the signature (with the key named by kid, else each
 * key of the token's alg), then exp, nbf and iat against now with leeway
 * seconds of clock skew, then iss (NULL: not checked) and aud (NULL: not
 * checked; a string or an array holding it). e (may be NULL) gets a static
 * reason in e->why. Errors as listed at the top of this file.
 */
int token_verify(const struct token_verifier *v, const char *jwt, size_t len,
		 const char *iss, const char *aud, int64_t now, int64_t leeway,
		 struct token_claims *out, struct perr *e);

/* The claims, alg and kid of a token WITHOUT checking anything but its
 * structure: only to choose the verifier (a WSF picks the WWS by iss).
 * Never trust what it returns. alg and kid (may be NULL) get at least
 * 16 and TOKEN_KID_MAX bytes. -EBADMSG. */
int token_peek(const char *jwt, size_t len, struct token_claims *out, char *alg,
	       char *kid, struct perr *e);

#endif
