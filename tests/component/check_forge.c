/* check_forge.c - the runner's token forger (runner/forge.c) against
 * lib/token's verifier, the one the wsf uses: each kind must break exactly
 * the rule it names, and the forgeries must be real ones (an HS256 token
 * keyed with the public key passes a naive verifier that takes the key
 * PEM as its secret). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../runner/forge.h"
#include "token/token.h"

#define ISS "https://127.0.0.1:8443"
#define AUD "wsf"
#define SECRET "0123456789abcdef0123456789abcdef-hs256"

static char dir[] = "/tmp/check_forge.XXXXXX";
static char key_es[64], key_rs[64];

static const struct {
	const char *kind;
	enum token_alg alg;
	int forge_rc; /* forge_token */
	int rc;       /* token_verify with the WWS's key */
	const char *impu; /* the claim when it verifies */
} vec[] = {
	{ "unissued", TOKEN_ES256, 0, 0, "sip:alice@ims.example.com" },
	{ "expired", TOKEN_ES256, 0, -ESTALE, NULL },
	{ "nbf-future", TOKEN_ES256, 0, -EPERM, NULL },
	{ "wrong-aud", TOKEN_ES256, 0, -EPERM, NULL },
	{ "unknown-iss", TOKEN_ES256, 0, -EPERM, NULL },
	{ "bad-sig", TOKEN_ES256, 0, -EACCES, NULL },
	{ "alg-none", TOKEN_ES256, 0, -EACCES, NULL },
	{ "hs256-pubkey", TOKEN_ES256, 0, -EACCES, NULL },
	{ "truncated", TOKEN_ES256, 0, -EBADMSG, NULL },
	{ "other-user", TOKEN_ES256, 0, 0, "sip:bob@ims.example.com" },
	{ "unissued", TOKEN_RS256, 0, 0, "sip:alice@ims.example.com" },
	{ "bad-sig", TOKEN_RS256, 0, -EACCES, NULL },
	{ "hs256-pubkey", TOKEN_RS256, 0, -EACCES, NULL },
	{ "expired", TOKEN_HS256, 0, -ESTALE, NULL },
	{ "bad-sig", TOKEN_HS256, 0, -EACCES, NULL },
	{ "alg-none", TOKEN_HS256, 0, -EACCES, NULL },
	{ "hs256-pubkey", TOKEN_HS256, -EINVAL, 0, NULL },
	{ "no-such-kind", TOKEN_ES256, -EINVAL, 0, NULL },
};

static void setup(void)
{
	char err[160];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(key_es, sizeof(key_es), "%s/es.pem", dir);
	snprintf(key_rs, sizeof(key_rs), "%s/rs.pem", dir);
	ck_assert_int_eq(token_key_make(TOKEN_ES256, key_es, NULL, err,
					sizeof(err)), 0);
	ck_assert_int_eq(token_key_make(TOKEN_RS256, key_rs, NULL, err,
					sizeof(err)), 0);
}

static void teardown(void)
{
	unlink(key_es);
	unlink(key_rs);
	rmdir(dir);
}

static const char *key_of(enum token_alg alg)
{
	return alg == TOKEN_ES256 ? key_es : alg == TOKEN_RS256 ? key_rs
								: SECRET;
}

static struct forge_in input(const char *kind, enum token_alg alg)
{
	return (struct forge_in){
		.kind = kind, .alg = (int)alg, .key = key_of(alg), .iss = ISS,
		.aud = AUD, .ttl_s = 300, .ims_claims = true,
		.sub = "alice@web.example.com",
		.impu = "sip:alice@ims.example.com",
		.impi = "alice@ims.example.com",
		.other_sub = "bob@web.example.com",
		.other_impu = "sip:bob@ims.example.com",
		.other_impi = "bob@ims.example.com",
		.now = (int64_t)time(NULL),
	};
}

static struct token_verifier *wws_verifier(enum token_alg alg)
{
	struct token_verifier *v = NULL;
	char err[160];

	if (alg == TOKEN_HS256)
		ck_assert_int_eq(token_verifier_new_hs256(&v, SECRET, NULL, err,
							  sizeof(err)), 0);
	else
		ck_assert_int_eq(token_verifier_new_from_pem(&v, alg,
							     key_of(alg), NULL,
							     err, sizeof(err)),
				 0);
	return v;
}

START_TEST(test_kind)
{
	struct forge_in in = input(vec[_i].kind, vec[_i].alg);
	struct token_verifier *v;
	struct token_claims cl;
	struct perr pe = { 0 };
	struct rng rng;
	char err[256] = "", *jwt = NULL;
	int rc;

	rng_init(&rng, 7);
	rc = forge_token(&in, &rng, &jwt, err, sizeof(err));
	ck_assert_msg(rc == vec[_i].forge_rc, "%s: forge %d (%s)",
		      vec[_i].kind, rc, err);
	if (rc) {
		ck_assert_ptr_null(jwt);
		ck_assert(err[0]);
		return;
	}
	v = wws_verifier(vec[_i].alg);
	rc = token_verify(v, jwt, strlen(jwt), ISS, AUD, in.now, 30, &cl, &pe);
	ck_assert_msg(rc == vec[_i].rc, "%s/%s: verify %d, want %d (%s)",
		      vec[_i].kind, token_alg_name(vec[_i].alg), rc,
		      vec[_i].rc, pe.why ? pe.why : "");
	if (!rc)
		ck_assert_str_eq(cl.impu, vec[_i].impu);
	token_verifier_free(v);
	free(jwt);
}
END_TEST

/* The shape of the hand-made ones, read back with token_peek. */
START_TEST(test_shapes)
{
	struct token_claims cl;
	struct rng rng;
	char err[256], alg[16], kid[TOKEN_KID_MAX], *jwt;
	struct forge_in in = input("alg-none", TOKEN_ES256);

	rng_init(&rng, 1);
	ck_assert_int_eq(forge_token(&in, &rng, &jwt, err, sizeof(err)), 0);
	ck_assert_int_eq(token_peek(jwt, strlen(jwt), &cl, alg, kid, NULL), 0);
	ck_assert_str_eq(alg, "none");
	ck_assert_str_eq(cl.iss, ISS);
	ck_assert_int_eq(jwt[strlen(jwt) - 1], '.'); /* empty signature */
	free(jwt);

	in.kind = "truncated";
	ck_assert_int_eq(forge_token(&in, &rng, &jwt, err, sizeof(err)), 0);
	ck_assert_ptr_null(strchr(strchr(jwt, '.') + 1, '.'));
	ck_assert_int_eq(token_peek(jwt, strlen(jwt), &cl, NULL, NULL, NULL),
			 -EBADMSG);
	free(jwt);

	in.kind = "unknown-iss";
	ck_assert_int_eq(forge_token(&in, &rng, &jwt, err, sizeof(err)), 0);
	ck_assert_int_eq(token_peek(jwt, strlen(jwt), &cl, NULL, NULL, NULL),
			 0);
	ck_assert_str_ne(cl.iss, ISS);
	free(jwt);

	/* Without NOTE 2 claims, as a WWS without token_ims_claims. */
	in.kind = "unissued";
	in.ims_claims = false;
	ck_assert_int_eq(forge_token(&in, &rng, &jwt, err, sizeof(err)), 0);
	ck_assert_int_eq(token_peek(jwt, strlen(jwt), &cl, NULL, NULL, NULL),
			 0);
	ck_assert_str_eq(cl.impu, "");
	ck_assert_str_eq(cl.sub, "alice@web.example.com");
	free(jwt);

	in.kind = "other-user";
	in.other_sub = NULL;
	ck_assert_int_eq(forge_token(&in, &rng, &jwt, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "other user"));
}
END_TEST

/* hs256-pubkey is the real key-confusion forgery: a verifier that takes
 * the public key PEM as an HMAC secret (the bug RFC 8725 2.1 warns of)
 * accepts it; ours, bound to ES256, did not (test_kind). */
START_TEST(test_confusion)
{
	struct forge_in in = input("hs256-pubkey", TOKEN_ES256);
	struct token_verifier *naive = NULL, *es = wws_verifier(TOKEN_ES256);
	struct token_claims cl;
	struct rng rng;
	char err[256], kid[TOKEN_KID_MAX], *jwt, *pem;
	EVP_PKEY *k;
	BIO *mem;
	FILE *f;
	long n;

	rng_init(&rng, 3);
	ck_assert_int_eq(forge_token(&in, &rng, &jwt, err, sizeof(err)), 0);
	ck_assert_int_eq(token_peek(jwt, strlen(jwt), &cl, NULL, kid, NULL),
			 0);
	f = fopen(key_es, "r");
	ck_assert_ptr_nonnull(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	mem = BIO_new(BIO_s_mem());
	ck_assert(k && mem && PEM_write_bio_PUBKEY(mem, k));
	n = BIO_get_mem_data(mem, &pem);
	pem = strndup(pem, (size_t)n);
	ck_assert_int_eq(token_verifier_new_hs256(&naive, pem, kid, err,
						  sizeof(err)), 0);
	ck_assert_int_eq(token_verify(naive, jwt, strlen(jwt), ISS, AUD,
				      in.now, 30, &cl, NULL), 0);
	ck_assert_int_eq(token_verify(es, jwt, strlen(jwt), ISS, AUD, in.now,
				      30, &cl, NULL), -EACCES);
	token_verifier_free(naive);
	token_verifier_free(es);
	BIO_free(mem);
	EVP_PKEY_free(k);
	free(pem);
	free(jwt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forge");
	TCase *tc = tcase_create("forge");
	SRunner *sr;
	int failed;

	log_set_level(LOG_ERROR);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_kind, 0, (int)ARRAY_SIZE(vec));
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_confusion);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
