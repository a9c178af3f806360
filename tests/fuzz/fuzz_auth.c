/*
 * fuzz_auth.c - libFuzzer target for the Authorization handling: lib/digest
 * (Authorization / WWW-Authenticate Digest values, Bearer) and lib/token
 * (JWT structure, claims, signature check, JWK Sets).
 *
 * The input is one header value, as the S-CSCF, the P-CSCF, the WSF and
 * the client read it. It is parsed as credentials (then verified against a
 * fixed HA1 with a nonce key and a replay tracker, as the S-CSCF does, and
 * rewritten as the P-CSCF does), as a challenge (then answered, as the
 * client does), and as Bearer; the Bearer token (or the whole input) goes
 * to token_verify with a fixed HS256 key, to token_peek, and, re-signed
 * with that key from the claims it carries, through the full check again
 * so the claim checks after the signature are reached. The input is also
 * read as a JWK Set. Everything is deterministic: the rng has a fixed
 * seed, "now" is fixed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"
#include "token/token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000 /* fixed "now" (2027) */
static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret!";
static struct token_signer *signer;
static struct token_verifier *verifier;
static struct digest_nonce_key nkey;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rng r;

	UNUSED(argc), UNUSED(argv);
	if (token_signer_new(&signer, TOKEN_HS256, secret, NULL, NULL, 0) ||
	    token_verifier_new_hs256(&verifier, secret, NULL, NULL, 0))
		abort();
	rng_init(&r, 1);
	digest_nonce_key_init(&nkey, &r, 3600);
	return 0;
}

static void cred(struct sv v)
{
	static const char ha1_md5[] = "0123456789abcdef0123456789abcdef";
	static const char ha1_sha[] =
		"0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef";
	struct digest_cred c;
	struct buf b;
	int err;

	if (digest_cred_parse(&c, v, NULL))
		return;
	(void)digest_cred_is_initial(&c);
	if (c.unq_len > sizeof(c.unq))
		abort();
	struct digest_nctrack *t = digest_nctrack_new(4, 3600);
	struct digest_verify dv = {
		.method = SV("REGISTER"),
		.body = SV(""),
		.ha1 = digest_alg_hexlen(c.alg) == 64 ? SV(ha1_sha)
						      : SV(ha1_md5),
		.key = &nkey,
		.bound = SV("ims.example.com"),
		.nct = t,
		.allow_no_qop = v.len & 1,
		.now = NOW,
	};
	err = digest_resp_verify(&c, &dv);
	UNUSED(err);
	dv.key = NULL; /* the response check itself, nonce unchecked */
	(void)digest_resp_verify(&c, &dv);
	(void)digest_nctrack_check(t, c.nonce, c.nc_val, NOW);
	digest_nctrack_free(t);
	/* P-CSCF: integrity-protected set on the way to the S-CSCF. */
	buf_init(&b);
	(void)digest_param_replace(&b, v, "integrity-protected",
				   SV("auth-done"));
	buf_reset(&b);
	(void)digest_param_replace(&b, v, "ck", SV_NULL);
	buf_close(&b);
}

static void chal(struct sv v)
{
	struct digest_chal ch;
	struct digest_answer a = {
		.username = SV("alice@ims.example.com"),
		.password = SV("alice"),
		.method = SV("REGISTER"),
		.uri = SV("sip:ims.example.com"),
	};
	struct rng r;
	struct buf b;
	size_t idx;

	rng_init(&r, 2);
	buf_init(&b);
	if (!digest_chal_parse(&ch, v, NULL))
		(void)digest_auth_print(&b, &ch, &a, &r);
	if (!digest_chal_select(&ch, &idx, &v, 1, 0)) {
		buf_reset(&b);
		(void)digest_auth_print(&b, &ch, &a, &r);
	}
	buf_close(&b);
}

static void jwt(const char *p, size_t n)
{
	struct token_claims c, again;
	struct perr e = { 0 };
	char alg[16], kid[TOKEN_KID_MAX];
	char *tok = NULL;
	struct rng r;

	(void)token_verify(verifier, p, n, "https://wws.fuzz.test", "wsf",
			   NOW, 30, &c, &e);
	(void)token_verify(verifier, p, n, NULL, NULL, NOW, 0, NULL, NULL);
	if (token_peek(p, n, &c, alg, kid, &e))
		return;
	/* Re-signed with our key: the claim checks run past the signature. */
	rng_init(&r, 3);
	if (!token_issue(signer, &c, &r, &tok)) {
		if (token_verify(verifier, tok, strlen(tok), NULL, NULL,
				 c.iat, 0, &again, &e) == -EACCES)
			abort(); /* our own signature refused */
		(void)token_verify(verifier, tok, strlen(tok), c.iss, c.aud,
				   NOW, 30, &again, &e);
		free(tok);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmemdup(data, size ? size : 1);
	struct sv v = { copy, size }, tok;
	struct token_verifier *jv = NULL;
	enum digest_alg alg;

	(void)digest_scheme_of(v);
	(void)digest_alg_parse(&alg, v);
	cred(v);
	chal(v);
	if (!digest_bearer_parse(&tok, v, NULL)) {
		if (tok.p < copy || tok.p + tok.len > copy + size)
			abort();
		jwt(tok.p, tok.len);
	} else {
		jwt(copy, size);
	}
	if (!token_verifier_new_from_jwks(&jv, copy, size, NULL, 0))
		token_verifier_free(jv);
	free(copy);
	return 0;
}
