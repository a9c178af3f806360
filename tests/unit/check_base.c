/* check_base.c - unit tests for lib/base. */
#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/hmap.h"
#include "base/ipcount.h"

#include <arpa/inet.h>
#include <netinet/in.h>

START_TEST(test_sv_split_trim)
{
	struct sv head, rest;

	rest = sv_split(SV(" a=b "), '=', &head);
	ck_assert(sv_eq_cstr(sv_trim(head), "a"));
	ck_assert(sv_eq_cstr(sv_trim(rest), "b"));
	rest = sv_split(SV("abc"), ';', &head);
	ck_assert(sv_eq_cstr(head, "abc"));
	ck_assert_uint_eq(rest.len, 0);
	ck_assert(sv_casecmp_cstr(SV("Call-ID"), "call-id"));
	ck_assert(!sv_casecmp_cstr(SV("Call-ID"), "call-i"));
}
END_TEST

static const struct {
	const char *in;
	uint64_t max;
	int err;
	uint64_t out;
} u64_vec[] = {
	{ "0", 10, 0, 0 },
	{ "70", 255, 0, 70 },
	{ "256", 255, -ERANGE, 0 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
	{ "", 10, -EINVAL, 0 },
	{ "1a", 100, -EINVAL, 0 },
	{ "-1", 100, -EINVAL, 0 },
};

START_TEST(test_sv_to_u64)
{
	uint64_t v = 0;
	int err = sv_to_u64(sv_from_cstr(u64_vec[_i].in), u64_vec[_i].max, &v);

	ck_assert_int_eq(err, u64_vec[_i].err);
	if (!err)
		ck_assert_uint_eq(v, u64_vec[_i].out);
}
END_TEST

START_TEST(test_buf)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "SIP/2.0 ");
	buf_printf(&b, "%d %s", 200, "OK");
	ck_assert_str_eq(b.data, "SIP/2.0 200 OK");
	buf_consume(&b, 8);
	ck_assert_str_eq(b.data, "200 OK");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "x");
	ck_assert_uint_eq(b.len, 1006);
	buf_close(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

static int dtor_runs;
static void count_dtor(void *o)
{
	UNUSED(o);
	dtor_runs++;
}

START_TEST(test_buf_put_u)
{
	static const struct {
		unsigned long n;
		int width;
		const char *want;
	} v[] = { { 0, 1, "0" }, { 0, 0, "0" }, { 7, 3, "007" },
		  { 200, 3, "200" }, { 1234, 2, "1234" },
		  { 18446744073709551615UL, 1, "18446744073709551615" } };
	struct buf b;
	char want[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_init(&b);
		buf_puts(&b, "x");
		buf_put_u(&b, v[i].n, v[i].width);
		snprintf(want, sizeof(want), "x%s", v[i].want);
		ck_assert_str_eq(b.data, want);
		buf_close(&b);
	}
}
END_TEST

START_TEST(test_obj_refcount)
{
	int *o = obj_new(sizeof(int), count_dtor);

	dtor_runs = 0;
	ck_assert_uint_eq(obj_refs(o), 1);
	obj_ref(o);
	ck_assert_ptr_null(obj_unref(o));
	ck_assert_int_eq(dtor_runs, 0);
	obj_unref(o);
	ck_assert_int_eq(dtor_runs, 1);
}
END_TEST

START_TEST(test_rng_seeded_is_reproducible)
{
	struct rng a, b;
	char ha[17], hb[17];

	rng_init(&a, 42);
	rng_init(&b, 42);
	rng_hex(&a, ha, 16);
	rng_hex(&b, hb, 16);
	ck_assert_str_eq(ha, hb);
	rng_init(&b, 43);
	rng_hex(&b, hb, 16);
	ck_assert_str_ne(ha, hb);
}
END_TEST

START_TEST(test_log_level_parse)
{
	enum log_level l;

	ck_assert_int_eq(log_level_parse("DEBUG", &l), 0);
	ck_assert_int_eq(l, LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("loud", &l), -EINVAL);
}
END_TEST

struct entry {
	struct hmap_node node;
	char key[16];
	int value;
};

START_TEST(test_hmap_insert_find_remove_grow)
{
	struct hmap m;
	struct entry *e = xcalloc(1000, sizeof(*e));
	struct hmap_iter it = { 0 };
	struct hmap_node *n;
	size_t seen = 0;

	hmap_init(&m);
	for (int i = 0; i < 1000; i++) {
		snprintf(e[i].key, sizeof(e[i].key), "user%d", i);
		e[i].value = i;
		hmap_insert(&m, &e[i].node, sv_from_cstr(e[i].key));
	}
	ck_assert_uint_eq(m.count, 1000);
	ck_assert_uint_gt(m.nbuckets, 64);
	n = hmap_find(&m, SV("user567"));
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(hmap_entry(n, struct entry, node)->value, 567);
	ck_assert_ptr_null(hmap_find(&m, SV("user1000")));
	hmap_remove(&m, n);
	ck_assert_ptr_null(hmap_find(&m, SV("user567")));
	/* iteration survives removing the current entry */
	for (n = hmap_iter_next(&m, &it); n; n = hmap_iter_next(&m, &it)) {
		seen++;
		hmap_remove(&m, n);
	}
	ck_assert_uint_eq(seen, 999);
	ck_assert_uint_eq(m.count, 0);
	hmap_close(&m);
	free(e);
}
END_TEST

/* Per-source counters: a limit per address, ports ignored, v4/v6 apart,
 * entries gone at zero. */
START_TEST(test_ipcount)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, b = a;
	struct sockaddr_in6 c = { .sin6_family = AF_INET6 };
	struct sockaddr *pa = (void *)&a, *pb = (void *)&b, *pc = (void *)&c;
	struct sockaddr unk = { .sa_family = AF_UNIX };
	struct ipcount t;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &b.sin_addr);
	inet_pton(AF_INET6, "::1", &c.sin6_addr);
	ipcount_init(&t);
	ck_assert(ipcount_take(&t, pa, 2));
	a.sin_port = htons(99); /* another port: the same source */
	ck_assert(ipcount_take(&t, pa, 2));
	ck_assert(!ipcount_take(&t, pa, 2));
	ck_assert(ipcount_take(&t, pb, 2));
	ck_assert(ipcount_take(&t, pc, 1));
	ck_assert(!ipcount_take(&t, pc, 1));
	ck_assert(!ipcount_take(&t, &unk, 0));
	ck_assert_uint_eq(ipcount_get(&t, pa), 2);
	ipcount_release(&t, pa);
	ck_assert(ipcount_take(&t, pa, 2));
	ck_assert(ipcount_take(&t, pa, 0)); /* 0: no limit */
	ipcount_release(&t, pb);
	ck_assert_uint_eq(ipcount_get(&t, pb), 0);
	ipcount_release(&t, pb); /* not there: nothing */
	ck_assert_uint_eq(t.map.count, 2);
	ipcount_close(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("base");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sv_split_trim);
	tcase_add_loop_test(tc, test_sv_to_u64, 0, (int)ARRAY_SIZE(u64_vec));
	tcase_add_test(tc, test_buf);
	tcase_add_test(tc, test_buf_put_u);
	tcase_add_test(tc, test_obj_refcount);
	tcase_add_test(tc, test_rng_seeded_is_reproducible);
	tcase_add_test(tc, test_log_level_parse);
	tcase_add_test(tc, test_hmap_insert_find_remove_grow);
	tcase_add_test(tc, test_ipcount);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
