/* check_digest_nonce.c - unit tests for lib/digest's nonces: the MAC, the
 * nonce-count tracker, and verification with replay and a caller's nonce
 * check (check_digest.c has the parsing and hashing). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define S(x) sv_from_cstr(x)

/* RFC 7616 §3.9.1 */
#define R7_REALM "http-auth@example.org"
#define R7_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R7_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R7_SHA \
	"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
#define R7_AUTH                                                          \
	"Digest username=\"Mufasa\",\r\n realm=\"" R7_REALM "\",\r\n"    \
	" uri=\"/dir/index.html\",\r\n algorithm=SHA-256,\r\n nonce=\"" \
	R7_NONCE "\",\r\n nc=00000001,\r\n cnonce=\"" R7_CNONCE "\",\r\n" \
	" qop=auth,\r\n response=\"" R7_SHA "\",\r\n opaque=\"" R7_OPAQUE "\""

#define T0 1700000000u
#define LIFE 30u

/* The nonce's MAC (hand-rolled HMAC over a cached SHA-256) equals
 * OpenSSL's HMAC-SHA-256 of ts | rnd | bound cut to 16 bytes. */
START_TEST(test_nonce_mac_is_hmac)
{
	struct digest_nonce_key key;
	struct rng rng;
	char nonce[DIGEST_NONCE_LEN + 1], want[33];
	unsigned char raw[16], md[EVP_MAX_MD_SIZE], text[64];
	unsigned mdlen = 0;

	rng_init(&rng, 11);
	digest_nonce_key_init(&key, &rng, LIFE);
	digest_nonce_make(nonce, &key, &rng, T0, S("ims.test"));
	for (size_t i = 0; i < sizeof(raw); i++)
		sscanf(nonce + 2 * i, "%2hhx", &raw[i]);
	memcpy(text, raw, sizeof(raw));
	memcpy(text + sizeof(raw), "ims.test", 8);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key.key, sizeof(key.key),
				   text, sizeof(raw) + 8, md, &mdlen));
	for (size_t i = 0; i < 16; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(nonce + 32, want);
}
END_TEST

/* ---- nonce-count replay -------------------------------------------------- */

static const struct {
	int nonce; /* index into nc_nonces */
	uint32_t nc;
	uint64_t now;
	int err;
} nc_steps[] = {
	{ 0, 1, 10, 0 },        { 0, 1, 11, -EALREADY }, { 0, 2, 12, 0 },
	{ 0, 2, 13, -EALREADY }, { 1, 1, 14, 0 },        { 0, 7, 15, 0 },
	{ 0, 3, 16, -EALREADY }, { 1, 0, 17, -EALREADY },
	{ 2, 0, 18, -EALREADY },
	{ 2, 5, 19, 0 },        { 2, 5, 20, -EALREADY },
	/* lifetime 100 since last use: forgotten, accepted again */
	{ 0, 1, 115, 0 },       { 0, 1, 116, -EALREADY },
};
static const char *const nc_nonces[] = { "aaaa", "bbbb", "cccc" };

START_TEST(test_nctrack_steps)
{
	struct digest_nctrack *t = digest_nctrack_new(16, 100);

	for (size_t i = 0; i < ARRAY_SIZE(nc_steps); i++) {
		struct sv nonce = S(nc_nonces[nc_steps[i].nonce]);
		int err = digest_nctrack_check(t, nonce, nc_steps[i].nc,
					       nc_steps[i].now);

		ck_assert_msg(err == nc_steps[i].err, "step %zu", i);
	}
	ck_assert_int_eq(digest_nctrack_check(t, S(""), 1, 0), -EINVAL);
	ck_assert_uint_le(digest_nctrack_count(t), 3);
	digest_nctrack_free(t);
}
END_TEST

/* Reference model: the same policy over a plain array. */
struct model_ent {
	char nonce[16];
	uint32_t nc;
	uint64_t last;
};

static int model_check(struct model_ent *m, size_t *n, size_t cap,
		       uint64_t life, const char *nonce, uint32_t nc,
		       uint64_t now)
{
	size_t i, lru = 0;

	for (i = 0; i < *n && strcmp(m[i].nonce, nonce); i++)
		;
	if (i < *n && now - m[i].last >= life)
		m[i] = m[--*n];
	else if (i < *n) {
		if (nc <= m[i].nc)
			return -EALREADY;
		m[i].nc = nc;
		m[i].last = now;
		return 0;
	}
	if (nc == 0)
		return -EALREADY;
	if (*n >= cap) {
		for (i = 0; i < *n;)
			if (now - m[i].last >= life)
				m[i] = m[--*n];
			else
				i++;
	}
	if (*n >= cap) {
		for (i = 1; i < *n; i++)
			if (m[i].last < m[lru].last)
				lru = i;
		m[lru] = m[--*n];
	}
	memcpy(m[*n].nonce, nonce, strlen(nonce) + 1);
	m[*n].nc = nc;
	m[*n].last = now;
	++*n;
	return 0;
}

static const struct {
	size_t cap;
	uint64_t life;
	unsigned keys;
} model_vec[] = {
	{ 1, 1000000, 3 }, { 4, 50, 8 }, { 16, 40, 40 }, { 64, 300, 100 },
	{ 64, 1000000, 200 },
};

/* Random traffic against the model: exercises the probing, the backward
 * shift deletion, the purge and the LRU eviction. */
START_TEST(test_nctrack_model)
{
	__typeof__(model_vec[0]) *v = &model_vec[_i];
	struct digest_nctrack *t = digest_nctrack_new(v->cap, v->life);
	struct model_ent *m = calloc(v->cap, sizeof(*m));
	size_t n = 0;
	struct rng rng;
	char nonce[16];

	rng_init(&rng, 1000 + (uint64_t)_i);
	for (uint64_t now = 1; now <= 20000; now++) {
		uint32_t nc = (uint32_t)(rng_u64(&rng) % 6);
		int want, got;

		snprintf(nonce, sizeof(nonce), "n%u",
			 (unsigned)(rng_u64(&rng) % v->keys));
		want = model_check(m, &n, v->cap, v->life, nonce, nc, now);
		got = digest_nctrack_check(t, S(nonce), nc, now);
		ck_assert_msg(got == want, "t=%llu %s nc=%u: %d != %d",
			      (unsigned long long)now, nonce, nc, got, want);
		ck_assert_uint_eq(digest_nctrack_count(t), n);
	}
	free(m);
	digest_nctrack_free(t);
}
END_TEST

/* A caller's earlier nonce check is taken as is: the RFC 7616 vector's
 * nonce is not ours, yet "checked fresh" verifies and "checked stale" says
 * stale once the answer is right; a wrong answer stays -EACCES. */
START_TEST(test_verify_nonce_checked)
{
	struct digest_nonce_key key = { .lifetime = 60 };
	struct digest_cred c;
	char ha1[DIGEST_HEX_MAX];
	struct digest_verify v = { .method = S("GET"), .ha1 = { ha1, 64 },
				   .key = &key, .nonce_checked = true,
				   .now = 5 };

	digest_ha1_calc(ha1, DIGEST_ALG_SHA256, S("Mufasa"), S(R7_REALM),
			S("Circle of Life"));
	ck_assert_int_eq(digest_cred_parse(&c, S(R7_AUTH), NULL), 0);
	v.nonce_err = 0;
	ck_assert_int_eq(digest_resp_verify(&c, &v), 0);
	v.nonce_err = -ESTALE;
	ck_assert_int_eq(digest_resp_verify(&c, &v), -ESTALE);
	v.nonce_err = -EACCES;
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
	v.nonce_checked = false; /* then it checks itself: not our nonce */
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
	v.nonce_err = 0;
	v.nonce_checked = true;
	ha1[0] = ha1[0] == '0' ? '1' : '0';
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EACCES);
}
END_TEST

START_TEST(test_verify_replay)
{
	struct digest_nctrack *t = digest_nctrack_new(8, 60);
	struct digest_cred c;
	char ha1[DIGEST_HEX_MAX];
	struct digest_verify v = { .method = S("GET"), .ha1 = { ha1, 64 },
				   .nct = t, .now = 5 };

	digest_ha1_calc(ha1, DIGEST_ALG_SHA256, S("Mufasa"), S(R7_REALM),
			S("Circle of Life"));
	ck_assert_int_eq(digest_cred_parse(&c, S(R7_AUTH), NULL), 0);
	ck_assert_int_eq(digest_resp_verify(&c, &v), 0);
	ck_assert_int_eq(digest_resp_verify(&c, &v), -EALREADY);
	digest_nctrack_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest_nonce");
	TCase *tc = tcase_create("digest_nonce");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_nonce_mac_is_hmac);
	tcase_add_test(tc, test_nctrack_steps);
	tcase_add_loop_test(tc, test_nctrack_model, 0,
			    (int)ARRAY_SIZE(model_vec));
	tcase_add_test(tc, test_verify_replay);
	tcase_add_test(tc, test_verify_nonce_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
