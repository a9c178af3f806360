/* check_hss_store.c - the hss-sim subscriber store on a real SQLite file. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../hss-sim/store.h"

#define DOM "ims.example.com"
#define RANGE "sip:+15551230![0-9]{3}!@" DOM

static char dir[64];
static char path[96];
static struct hss_store *st;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hss_store_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hss.db", dir);
	ck_assert_int_eq(hss_store_open(path, &st), 0);
	ck_assert_int_eq(hss_store_provision_demo(st), 0);
}

static void teardown(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[128];

	hss_store_close(st);
	st = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* ---- Digest material ------------------------------------------------- */

/* Expected HA1s computed independently (Python hashlib) of
 * "impi:realm:password". */
static const struct {
	const char *impi, *realm;
	int err;
	const char *md5, *sha256, *password;
} auth_vec[] = {
	{ "alice@" DOM, DOM, 0, "767d0ba36dfa1c865a783465fc69b403",
	  "6c59652c41fc6d52cb5eda31fedac4d5ca0413cc265879922c881312c3df262b",
	  "alice-pass" },
	{ "alice@" DOM, NULL, 0, "767d0ba36dfa1c865a783465fc69b403",
	  "6c59652c41fc6d52cb5eda31fedac4d5ca0413cc265879922c881312c3df262b",
	  "alice-pass" },
	{ "alice@" DOM, "IMS.Example.COM", 0,
	  "767d0ba36dfa1c865a783465fc69b403",
	  "6c59652c41fc6d52cb5eda31fedac4d5ca0413cc265879922c881312c3df262b",
	  "alice-pass" },
	{ "bob@" DOM, DOM, 0, "434fd6ef5a18f8bc3ead6aa898c3bc1b",
	  "3fbfc651645f2745d504cb3cb525430fd601452fbc3462baa968a34e83e82125",
	  "bob-pass" },
	{ "enterprise@" DOM, DOM, 0, "0f7dc792db0e2c5a723e526667d2440b",
	  "f9213a2d183f05adc4cdd9892783c71fc9dda453b7f906023e2a589e6b6434e6",
	  "enterprise-pass" },
	{ "alice@" DOM, "other.example.org", -ENOENT, NULL, NULL, NULL },
	{ "carol@" DOM, DOM, -ENOENT, NULL, NULL, NULL },
};

START_TEST(test_auth_get)
{
	struct hss_auth a;
	int err = hss_store_auth_get(st, auth_vec[_i].impi, auth_vec[_i].realm,
				     &a);

	ck_assert_int_eq(err, auth_vec[_i].err);
	if (err)
		return;
	ck_assert_str_eq(a.ha1_md5, auth_vec[_i].md5);
	ck_assert_str_eq(a.ha1_sha256, auth_vec[_i].sha256);
	ck_assert_str_eq(a.password, auth_vec[_i].password);
	ck_assert_uint_eq(a.schemes, HSS_AUTH_DIGEST);
}
END_TEST

/* ---- IMPU owner ------------------------------------------------------- */

static const struct {
	const char *impu;
	int err;
	const char *impi;
	enum ims_id_type type;
	const char *wildcard;
} owner_vec[] = {
	{ "sip:alice@" DOM, 0, "alice@" DOM, IMS_ID_PUBLIC_USER, NULL },
	{ "sip:alice@IMS.Example.com", 0, "alice@" DOM, 0, NULL },
	{ "tel:+15550100", 0, "alice@" DOM, IMS_ID_PUBLIC_USER, NULL },
	{ "tel:+1-555-0100", 0, "alice@" DOM, IMS_ID_PUBLIC_USER, NULL },
	{ "<sip:bob@" DOM ">", 0, "bob@" DOM, IMS_ID_PUBLIC_USER, NULL },
	{ "sip:+15551230042@" DOM, 0, "enterprise@" DOM,
	  IMS_ID_NON_DISTINCT_IMPU, RANGE },
	{ "sip:+15551230999@" DOM, 0, "enterprise@" DOM,
	  IMS_ID_NON_DISTINCT_IMPU, RANGE },
	{ RANGE, 0, "enterprise@" DOM, IMS_ID_WILDCARDED_IMPU, RANGE },
	{ "sip:+15551230![0-9]{3}!@IMS.example.com", 0, "enterprise@" DOM,
	  IMS_ID_WILDCARDED_IMPU, RANGE },
	/* as a SIP header carries it (RFC 3261 §19.1.4 escapes) */
	{ "<sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com>", 0,
	  "enterprise@" DOM, IMS_ID_WILDCARDED_IMPU, RANGE },
	{ "sip:enterprise@" DOM, 0, "enterprise@" DOM, IMS_ID_PUBLIC_USER,
	  NULL },
	{ "sip:+1555123004@" DOM, -ENOENT, NULL, 0, NULL },
	{ "sip:+15551230!42@" DOM, -ENOENT, NULL, 0, NULL },
	{ "tel:+15551230042", -ENOENT, NULL, 0, NULL },
	{ "sip:carol@" DOM, -ENOENT, NULL, 0, NULL },
	{ "garbage", -EINVAL, NULL, 0, NULL },
};

START_TEST(test_impu_owner)
{
	struct hss_impu o;
	int err = hss_store_impu_owner(st, owner_vec[_i].impu, &o);

	ck_assert_msg(err == owner_vec[_i].err, "%s: %d", owner_vec[_i].impu,
		      err);
	if (!err) {
		ck_assert_str_eq(o.impi, owner_vec[_i].impi);
		ck_assert_int_eq(o.type, owner_vec[_i].type);
		if (owner_vec[_i].wildcard)
			ck_assert_str_eq(o.wildcard, owner_vec[_i].wildcard);
		else
			ck_assert_ptr_null(o.wildcard);
		ck_assert_int_gt(o.iset, 0);
	}
	hss_impu_close(&o);
}
END_TEST

/* ---- implicit sets ---------------------------------------------------- */

static void assert_set(const char *impu, const char *const *want, size_t n)
{
	struct hss_impu_list l;

	ck_assert_int_eq(hss_store_implicit_set(st, impu, &l), 0);
	ck_assert_uint_eq(l.n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(l.v[i].impu, want[i]);
	hss_impu_list_close(&l);
}

START_TEST(test_implicit_set)
{
	static const char *const alice[] = { "sip:alice@" DOM,
					     "tel:+15550100" };
	static const char *const alice2[] = { "sip:alice.work@" DOM,
					      "sip:alice@" DOM,
					      "tel:+15550100" };
	static const char *const bob[] = { "sip:bob@" DOM };
	static const char *const ent[] = { "sip:enterprise@" DOM, RANGE };
	struct hss_impu o;
	struct hss_impu_list l;
	int64_t iset = 0;

	assert_set("tel:+15550100", alice, 2);
	assert_set("sip:alice@" DOM, alice, 2);
	assert_set("sip:bob@" DOM, bob, 1);
	assert_set("sip:+15551230007@" DOM, ent, 2);
	assert_set(RANGE, ent, 2);
	/* a new default goes first; the old one loses the flag */
	ck_assert_int_eq(hss_store_impu_owner(st, "tel:+15550100", &o), 0);
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM,
					    "sip:alice.work@" DOM, o.iset,
					    HSS_IMPU_DEFAULT,
					    IMS_ID_PUBLIC_USER, &iset),
			 0);
	ck_assert_int_eq(iset, o.iset);
	hss_impu_close(&o);
	assert_set("tel:+15550100", alice2, 3);
	ck_assert_int_eq(hss_store_implicit_set(st, "sip:alice@" DOM, &l), 0);
	ck_assert(l.v[0].is_default && !l.v[1].is_default);
	hss_impu_list_close(&l);
	ck_assert_int_eq(hss_store_implicit_set(st, "sip:nobody@" DOM, &l),
			 -ENOENT);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* ---- refusals --------------------------------------------------------- */

START_TEST(test_refusals)
{
	struct hss_impu o;
	int64_t bob_set;

	ck_assert_int_eq(hss_store_impu_owner(st, "sip:bob@" DOM, &o), 0);
	bob_set = o.iset;
	hss_impu_close(&o);
	ck_assert_int_eq(hss_store_sub_add(st, "alice@" DOM, NULL, "x", 1),
			 -EEXIST);
	ck_assert_int_eq(hss_store_sub_add(st, "not-an-impi", NULL, "x", 1),
			 -EINVAL);
	ck_assert_int_eq(hss_store_sub_add(st, "dave@" DOM, NULL, NULL, 1),
			 -EINVAL);
	ck_assert_int_eq(hss_store_impu_add(st, "bob@" DOM, "sip:alice@" DOM,
					    0, 0, 0, NULL),
			 -EEXIST);
	ck_assert_int_eq(hss_store_impu_add(st, "carol@" DOM, "sip:carol@" DOM,
					    0, 0, 0, NULL),
			 -ENOENT);
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM, "sip:x@" DOM,
					    bob_set, 0, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM, "sip:x@" DOM,
					    999999, 0, 0, NULL),
			 -ENOENT);
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM, "mailto:x@y", 0,
					    0, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM, "sip:x@" DOM, 0,
					    0, IMS_ID_WILDCARDED_IMPU, NULL),
			 -EINVAL);
	ck_assert_int_eq(hss_store_wildcard_add(st, "bob@" DOM, RANGE, 0, 0,
						NULL),
			 -EEXIST);
	ck_assert_int_eq(hss_store_wildcard_add(st, "bob@" DOM,
						"sip:a!b@" DOM, 0, 0, NULL),
			 -EINVAL);
	/* the range's text is taken: not as a distinct IMPU either */
	ck_assert_int_eq(hss_store_impu_add(st, "bob@" DOM, RANGE, 0, 0, 0,
					    NULL),
			 -EEXIST);
	/* removing a range by the IMPU call (or the reverse) finds nothing */
	ck_assert_int_eq(hss_store_impu_remove(st, RANGE), -ENOENT);
	ck_assert_int_eq(hss_store_wildcard_remove(st, "sip:!bob!@" DOM),
			 -ENOENT);
	/* a failed add leaves nothing behind, not even its new set */
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:x@" DOM, &o), -ENOENT);
	ck_assert_int_eq(hss_store_scscf_set(st, "carol@" DOM, "sip:s"),
			 -ENOENT);
	ck_assert_int_eq(hss_store_reg_state_set(st, "sip:bob@" DOM, 7),
			 -EINVAL);
	ck_assert_int_eq(hss_store_reg_state_set(st, "sip:carol@" DOM,
						 HSS_REG_REGISTERED),
			 -ENOENT);
}
END_TEST

/* ---- removal ---------------------------------------------------------- */

START_TEST(test_remove)
{
	static const char *const alice[] = { "sip:alice@" DOM };
	struct hss_impu o;
	struct hss_auth a;
	int64_t bob_set;

	ck_assert_int_eq(hss_store_impu_remove(st, "TEL:+1-555-0100"), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "tel:+15550100", &o),
			 -ENOENT);
	assert_set("sip:alice@" DOM, alice, 1);
	ck_assert_int_eq(hss_store_impu_remove(st, "tel:+15550100"), -ENOENT);
	ck_assert_int_eq(hss_store_wildcard_remove(st, RANGE), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15551230042@" DOM, &o),
			 -ENOENT);
	ck_assert_int_eq(hss_store_wildcard_remove(st, RANGE), -ENOENT);
	/* an implicit set goes with its last identity */
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:bob@" DOM, &o), 0);
	bob_set = o.iset;
	hss_impu_close(&o);
	ck_assert_int_eq(hss_store_impu_remove(st, "sip:bob@" DOM), 0);
	ck_assert_int_eq(hss_store_impu_add(st, "bob@" DOM, "sip:bob2@" DOM,
					    bob_set, 0, 0, NULL),
			 -ENOENT);
	ck_assert_int_eq(hss_store_sub_remove(st, "bob@" DOM), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:bob@" DOM, &o),
			 -ENOENT);
	ck_assert_int_eq(hss_store_auth_get(st, "bob@" DOM, NULL, &a), -ENOENT);
	ck_assert_int_eq(hss_store_sub_remove(st, "bob@" DOM), -ENOENT);
	/* bob's IMPU is free again */
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM, "sip:bob@" DOM,
					    0, 0, 0, NULL),
			 0);
}
END_TEST

START_TEST(test_remove_sub_drops_range)
{
	struct hss_impu o;

	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15551230042@" DOM, &o),
			 0);
	hss_impu_close(&o);
	ck_assert_int_eq(hss_store_sub_remove(st, "enterprise@" DOM), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15551230042@" DOM, &o),
			 -ENOENT);
	ck_assert_int_eq(hss_store_wildcard_add(st, "alice@" DOM, RANGE, 0, 0,
						NULL),
			 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15551230042@" DOM, &o),
			 0);
	ck_assert_str_eq(o.impi, "alice@" DOM);
	hss_impu_close(&o);
}
END_TEST

/* ---- S-CSCF and registration state ------------------------------------ */

START_TEST(test_scscf_and_reg_state)
{
	enum hss_reg_state s = HSS_REG_UNREGISTERED;
	char *name = (char *)"x";

	ck_assert_int_eq(hss_store_scscf_get(st, "alice@" DOM, &name), 0);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(hss_store_scscf_set(st, "alice@" DOM,
					     "sip:scscf." DOM ":6060"),
			 0);
	ck_assert_int_eq(hss_store_scscf_get(st, "alice@" DOM, &name), 0);
	ck_assert_str_eq(name, "sip:scscf." DOM ":6060");
	free(name);
	ck_assert_int_eq(hss_store_scscf_set(st, "alice@" DOM, NULL), 0);
	ck_assert_int_eq(hss_store_scscf_get(st, "alice@" DOM, &name), 0);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(hss_store_scscf_get(st, "carol@" DOM, &name), -ENOENT);

	ck_assert_int_eq(hss_store_reg_state_get(st, "tel:+15550100", &s), 0);
	ck_assert_int_eq(s, HSS_REG_NOT_REGISTERED);
	/* registering one IMPU registers its whole implicit set */
	ck_assert_int_eq(hss_store_reg_state_set(st, "sip:alice@" DOM,
						 HSS_REG_REGISTERED),
			 0);
	ck_assert_int_eq(hss_store_reg_state_get(st, "tel:+15550100", &s), 0);
	ck_assert_int_eq(s, HSS_REG_REGISTERED);
	ck_assert_int_eq(hss_store_reg_state_get(st, "sip:bob@" DOM, &s), 0);
	ck_assert_int_eq(s, HSS_REG_NOT_REGISTERED);
	ck_assert_int_eq(hss_store_reg_state_set(st, "sip:+15551230001@" DOM,
						 HSS_REG_UNREGISTERED),
			 0);
	ck_assert_int_eq(hss_store_reg_state_get(st, RANGE, &s), 0);
	ck_assert_int_eq(s, HSS_REG_UNREGISTERED);
}
END_TEST

/* ---- listing and User-Data ------------------------------------------- */

/* The recipe of store.h: impu_list order, a new profile per set. */
static void user_data(const char *impi, struct ims_sub *out)
{
	struct hss_impu_list l;
	struct ims_sub sub;
	unsigned profile = 0;
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(hss_store_impu_list(st, impi, &l), 0);
	ims_sub_init(&sub, impi);
	for (size_t i = 0; i < l.n; i++) {
		profile += i && l.v[i].iset != l.v[i - 1].iset;
		ck_assert_int_eq(ims_sub_add(&sub, l.v[i].impu, l.v[i].type,
					     l.v[i].barred, l.v[i].wildcard,
					     profile),
				 0);
	}
	ck_assert_int_eq(ims_sub_print(&sub, &b), 0);
	ck_assert_int_eq(ims_sub_parse(b.data, b.len, out, NULL), 0);
	ims_sub_close(&sub);
	hss_impu_list_close(&l);
	buf_close(&b);
}

START_TEST(test_user_data)
{
	struct ims_sub sub;
	int64_t iset = 0;

	/* a second set for alice, barred, and a range in her first set */
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM, "sip:al@" DOM, 0,
					    HSS_IMPU_BARRED, IMS_ID_PUBLIC_USER,
					    NULL),
			 0);
	ck_assert_int_eq(hss_store_impu_add(st, "alice@" DOM,
					    "sip:alice.work@" DOM, 0, 0,
					    IMS_ID_PUBLIC_USER, &iset),
			 0);
	ck_assert_int_eq(hss_store_wildcard_add(st, "alice@" DOM,
						"sip:alice-!.*!@" DOM, iset, 0,
						NULL),
			 0);
	user_data("alice@" DOM, &sub);
	ck_assert_str_eq(sub.private_id, "alice@" DOM);
	ck_assert_uint_eq(sub.n, 5);
	ck_assert_str_eq(sub.ids[0].identity, "sip:alice@" DOM);
	ck_assert_str_eq(sub.ids[1].identity, "tel:+15550100");
	ck_assert_uint_eq(sub.ids[1].profile, 0);
	ck_assert_str_eq(sub.ids[2].identity, "sip:al@" DOM);
	ck_assert(sub.ids[2].barred);
	ck_assert_uint_eq(sub.ids[2].profile, 1);
	ck_assert_str_eq(sub.ids[3].identity, "sip:alice.work@" DOM);
	ck_assert_uint_eq(sub.ids[3].profile, 2);
	ck_assert_int_eq(sub.ids[4].type, IMS_ID_WILDCARDED_IMPU);
	ck_assert_str_eq(sub.ids[4].wildcard, "sip:alice-!.*!@" DOM);
	ck_assert_uint_eq(sub.ids[4].profile, 2);
	ims_sub_close(&sub);
	user_data("enterprise@" DOM, &sub);
	ck_assert_uint_eq(sub.n, 2);
	ck_assert_int_eq(sub.ids[0].type, IMS_ID_PUBLIC_USER);
	ck_assert_str_eq(sub.ids[0].identity, "sip:enterprise@" DOM);
	ck_assert_int_eq(sub.ids[1].type, IMS_ID_WILDCARDED_IMPU);
	ck_assert_str_eq(sub.ids[1].identity, RANGE);
	ck_assert_str_eq(sub.ids[1].wildcard, RANGE);
	ck_assert_uint_eq(sub.ids[1].profile, sub.ids[0].profile);
	ims_sub_close(&sub);
}
END_TEST

struct walk {
	int n, stop_at;
	char first[64];
};

static int walk_cb(const struct hss_sub *sub, void *arg)
{
	struct walk *w = arg;

	if (w->n++ == 0)
		snprintf(w->first, sizeof(w->first), "%s", sub->impi);
	ck_assert_ptr_nonnull(sub->realm);
	return w->n == w->stop_at ? 42 : 0;
}

START_TEST(test_lists)
{
	struct walk w = { 0 };
	struct hss_impu_list l;
	struct hss_sub sub;

	ck_assert_int_eq(hss_store_sub_list(st, walk_cb, &w), 0);
	ck_assert_int_eq(w.n, 3);
	ck_assert_str_eq(w.first, "alice@" DOM);
	w = (struct walk){ .stop_at = 2 };
	ck_assert_int_eq(hss_store_sub_list(st, walk_cb, &w), 42);
	ck_assert_int_eq(w.n, 2);
	ck_assert_int_eq(hss_store_sub_get(st, "bob@" DOM, &sub), 0);
	ck_assert_str_eq(sub.realm, DOM);
	ck_assert_str_eq(sub.password, "bob-pass");
	ck_assert_ptr_null(sub.scscf);
	hss_sub_close(&sub);
	ck_assert_int_eq(hss_store_impu_list(st, "alice@" DOM, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(l.v[0].is_default);
	ck_assert_int_eq(l.v[0].iset, l.v[1].iset);
	hss_impu_list_close(&l);
	ck_assert_int_eq(hss_store_impu_list(st, "enterprise@" DOM, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].impu, "sip:enterprise@" DOM);
	ck_assert(l.v[0].is_default);
	ck_assert_str_eq(l.v[1].impu, RANGE);
	ck_assert_int_eq(l.v[0].iset, l.v[1].iset);
	hss_impu_list_close(&l);
	ck_assert_int_eq(hss_store_impu_list(st, "carol@" DOM, &l), 0);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* ---- bulk --------------------------------------------------------------- */

static const struct {
	const char *impi, *impu, *md5;
} bulk_vec[] = {
	{ "user00000@" DOM, "sip:user00000@" DOM, NULL },
	{ "user00042@" DOM, "sip:user00042@" DOM,
	  "76f8b5a95b6838bfbbe3f42410bd10c6" },
	{ "user05000@" DOM, "sip:user05000@" DOM, NULL },
	{ "user09999@" DOM, "sip:user09999@" DOM, NULL },
};

static int count_cb(const struct hss_sub *sub, void *arg)
{
	UNUSED(sub);
	(*(int *)arg)++;
	return 0;
}

START_TEST(test_bulk)
{
	struct hss_bulk b = { .first = 0, .count = 10000 };
	struct timespec t0, t1;
	struct hss_impu o;
	struct hss_auth a;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(hss_store_bulk_create(st, &b), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* generous even for the sanitizer build: 100k must take seconds */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 30);
	for (size_t i = 0; i < ARRAY_SIZE(bulk_vec); i++) {
		ck_assert_int_eq(hss_store_impu_owner(st, bulk_vec[i].impu, &o),
				 0);
		ck_assert_str_eq(o.impi, bulk_vec[i].impi);
		ck_assert(o.is_default);
		hss_impu_close(&o);
		ck_assert_int_eq(hss_store_auth_get(st, bulk_vec[i].impi, NULL,
						    &a),
				 0);
		if (bulk_vec[i].md5)
			ck_assert_str_eq(a.ha1_md5, bulk_vec[i].md5);
	}
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:user10000@" DOM, &o),
			 -ENOENT);
	/* overlapping batch: refused as a whole */
	b = (struct hss_bulk){ .first = 9990, .count = 20 };
	ck_assert_int_eq(hss_store_bulk_create(st, &b), -EEXIST);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:user10005@" DOM, &o),
			 -ENOENT);
	ck_assert_int_eq(hss_store_sub_list(st, count_cb, &n), 0);
	ck_assert_int_eq(n, 10003);
	b = (struct hss_bulk){ .count = 1, .impi_fmt = "u%s@" DOM };
	ck_assert_int_eq(hss_store_bulk_create(st, &b), -EINVAL);
	b = (struct hss_bulk){ .count = 1, .password_fmt = "%u%u" };
	ck_assert_int_eq(hss_store_bulk_create(st, &b), -EINVAL);
	b = (struct hss_bulk){ .count = 1, .impi_fmt = "nouser" };
	ck_assert_int_eq(hss_store_bulk_create(st, &b), -EINVAL);
	/* "%%" is a literal '%', which RFC 7542 atext allows */
	b = (struct hss_bulk){ .first = 7, .count = 1,
			       .impi_fmt = "web%u-100%%@" DOM,
			       .impu_fmt = "tel:+1555%04u" };
	ck_assert_int_eq(hss_store_bulk_create(st, &b), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "tel:+15550007", &o), 0);
	ck_assert_str_eq(o.impi, "web7-100%@" DOM);
	hss_impu_close(&o);
}
END_TEST

/* ---- persistence and sharing -------------------------------------------- */

START_TEST(test_reopen_keeps_data)
{
	struct hss_impu o;
	char *name = NULL;
	int n = 0;

	ck_assert_int_eq(hss_store_scscf_set(st, "bob@" DOM, "sip:s1"), 0);
	hss_store_close(st);
	ck_assert_int_eq(hss_store_open(path, &st), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15551230500@" DOM, &o),
			 0);
	ck_assert_str_eq(o.impi, "enterprise@" DOM);
	hss_impu_close(&o);
	ck_assert_int_eq(hss_store_scscf_get(st, "bob@" DOM, &name), 0);
	ck_assert_str_eq(name, "sip:s1");
	free(name);
	/* provisioning the demo again changes nothing */
	ck_assert_int_eq(hss_store_provision_demo(st), 0);
	ck_assert_int_eq(hss_store_sub_list(st, count_cb, &n), 0);
	ck_assert_int_eq(n, 3);
}
END_TEST

/* A range written through another connection (a provisioning tool) is
 * seen by this one's compiled copy. */
START_TEST(test_second_connection)
{
	struct hss_store *other = NULL;
	struct hss_impu o;

	ck_assert_int_eq(hss_store_open(path, &other), 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15559990001@" DOM, &o),
			 -ENOENT);
	ck_assert_int_eq(hss_store_wildcard_add(other, "bob@" DOM,
						"sip:+1555999!.*!@" DOM, 0, 0,
						NULL),
			 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15559990001@" DOM, &o),
			 0);
	ck_assert_str_eq(o.impi, "bob@" DOM);
	hss_impu_close(&o);
	ck_assert_int_eq(hss_store_wildcard_remove(other,
						   "sip:+1555999!.*!@" DOM),
			 0);
	ck_assert_int_eq(hss_store_impu_owner(st, "sip:+15559990001@" DOM, &o),
			 -ENOENT);
	hss_store_close(other);
}
END_TEST

START_TEST(test_open_fails_cleanly)
{
	struct hss_store *x = (struct hss_store *)1;

	ck_assert_int_eq(hss_store_open("/nonexistent-dir/x/hss.db", &x), -EIO);
	ck_assert_ptr_null(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hss_store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	log_set_level(LOG_ERROR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_auth_get, 0, (int)ARRAY_SIZE(auth_vec));
	tcase_add_loop_test(tc, test_impu_owner, 0, (int)ARRAY_SIZE(owner_vec));
	tcase_add_test(tc, test_implicit_set);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_remove_sub_drops_range);
	tcase_add_test(tc, test_scscf_and_reg_state);
	tcase_add_test(tc, test_user_data);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_bulk);
	tcase_add_test(tc, test_reopen_keeps_data);
	tcase_add_test(tc, test_second_connection);
	tcase_add_test(tc, test_open_fails_cleanly);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
