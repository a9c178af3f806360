/* check_ims.c - unit tests for lib/ims: identities, wildcards, User-Data. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ims/ims.h"

/* ---- IMPU normalization ------------------------------------------------ */

static const struct {
	const char *in;
	int err;
	const char *out;
} norm_vec[] = {
	{ "sip:Alice@IMS.Example.COM", 0, "sip:Alice@ims.example.com" },
	{ "SIP:bob@x.org;transport=TCP", 0, "sip:bob@x.org;transport=TCP" },
	{ "sips:[2001:DB8::1]:5061", 0, "sips:[2001:db8::1]:5061" },
	{ " <sip:a@B> ", 0, "sip:a@b" },
	{ "sip:host.ORG", 0, "sip:host.org" },
	{ "tel:+1-555-0100", 0, "tel:+15550100" },
	{ "TEL:+1(555)01.00;Phone-Context=X", 0,
	  "tel:+15550100;phone-context=x" },
	{ "tel:", -EBADMSG, NULL },
	{ "tel:+", -EBADMSG, NULL },
	{ "tel:+15x5", -EBADMSG, NULL },
	{ "tel:1+5", -EBADMSG, NULL },
	{ "mailto:a@b", -EBADMSG, NULL },
	{ "sip:@host", -EBADMSG, NULL },
	{ "sip:user@", -EBADMSG, NULL },
	{ "sip:a@[::1", -EBADMSG, NULL },
	{ "", -EBADMSG, NULL },
	/* RFC 3261 §19.1.4: unreserved escapes decoded, reserved ones kept
	 * (hex in capitals), the host and params left alone */
	{ "sip:+15551230!%5B0-9%5d%7B3%7D!@IMS.example.com", 0,
	  "sip:+15551230![0-9]{3}!@ims.example.com" },
	{ "sip:%61lice@h;x=%41", 0, "sip:alice@h;x=%41" },
	{ "sip:a%3bb%40c%25d%20e%3c@h", 0, "sip:a%3Bb%40c%25d%20e%3C@h" },
	{ "sip:a%4@h", 0, "sip:a%4@h" },
	{ "sip:a%zz%@h", 0, "sip:a%zz%@h" },
};

static const struct {
	const char *in;
	int err;
	const char *out;
} esc_vec[] = {
	{ "sip:+15551230![0-9]{3}!@ims.example.com", 0,
	  "sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com" },
	{ "<sip:a|b^c\\d\"e`f:g@h;p=[x]>", 0,
	  "sip:a%7Cb%5Ec%5Cd%22e%60f%3Ag@h;p=[x]" },
	{ "sips:al-ice_.!~*'()&=+$,;?/%41@h", 0,
	  "sips:al-ice_.!~*'()&=+$,;?/%41@h" },
	{ "sip:host.org;lr", 0, "sip:host.org;lr" },
	{ "tel:+1555!.*!", 0, "tel:+1555!.*!" },
	{ "mailto:a@b", -EBADMSG, NULL },
};

/* Escaped, then normalized: the text comes back. */
START_TEST(test_impu_escape)
{
	struct buf b, n;
	int err;

	buf_init(&b);
	buf_init(&n);
	err = ims_impu_escape(sv_from_cstr(esc_vec[_i].in), &b);
	ck_assert_int_eq(err, esc_vec[_i].err);
	if (!err) {
		ck_assert_str_eq(b.data, esc_vec[_i].out);
		if (_i == 0) {
			ck_assert_int_eq(ims_impu_normalize(
						 (struct sv){ b.data, b.len },
						 &n),
					 0);
			ck_assert_str_eq(n.data, esc_vec[0].in);
		}
	} else {
		ck_assert_uint_eq(b.len, 0);
	}
	buf_close(&b);
	buf_close(&n);
}
END_TEST

START_TEST(test_impu_normalize)
{
	char *canon;
	struct buf b;
	int err;

	buf_init(&b);
	buf_puts(&b, "x"); /* appends; left alone on error */
	err = ims_impu_normalize(sv_from_cstr(norm_vec[_i].in), &b);
	ck_assert_int_eq(err, norm_vec[_i].err);
	if (!err)
		ck_assert_str_eq(b.data + 1, norm_vec[_i].out);
	else
		ck_assert_str_eq(b.data, "x");
	buf_close(&b);
	canon = ims_impu_canon(norm_vec[_i].in);
	if (err)
		ck_assert_ptr_null(canon);
	else
		ck_assert_str_eq(canon, norm_vec[_i].out);
	free(canon);
}
END_TEST

static const struct {
	const char *a, *b;
	bool eq;
} eq_vec[] = {
	{ "sip:a@X.org", "sip:a@x.org", true },
	{ "sip:A@x.org", "sip:a@x.org", false }, /* user part is exact */
	{ "tel:+1-555", "tel:+1555", true },
	{ "tel:+1555", "sip:+1555@x.org", false },
	{ "bad", "bad", false },
};

START_TEST(test_impu_eq)
{
	ck_assert(ims_impu_eq(sv_from_cstr(eq_vec[_i].a),
			      sv_from_cstr(eq_vec[_i].b)) == eq_vec[_i].eq);
}
END_TEST

/* ---- IMPI -------------------------------------------------------------- */

static const struct {
	const char *in;
	int err;
	const char *realm;
} impi_vec[] = {
	{ "alice@ims.example.com", 0, "ims.example.com" },
	{ "234150999999999@ims.mnc015.mcc234.3gppnetwork.org", 0,
	  "ims.mnc015.mcc234.3gppnetwork.org" },
	{ "first.last+x@example", 0, "example" },
	{ "alice", -EBADMSG, NULL },
	{ "a@b@c", -EBADMSG, NULL },
	{ "@ims.example.com", -EBADMSG, NULL },
	{ "alice@", -EBADMSG, NULL },
	{ ".alice@x.com", -EBADMSG, NULL },
	{ "al..ice@x.com", -EBADMSG, NULL },
	{ "alice.@x.com", -EBADMSG, NULL },
	{ "al ice@x.com", -EBADMSG, NULL },
	{ "alice@-x.com", -EBADMSG, NULL },
	{ "alice@x-.com", -EBADMSG, NULL },
	{ "alice@x..com", -EBADMSG, NULL },
	{ "alice@x.com.", -EBADMSG, NULL },
	{ "alice@x_y.com", -EBADMSG, NULL },
};

START_TEST(test_impi)
{
	struct sv realm = SV_NULL;
	struct perr e = { 0 };
	int err = ims_impi_check(sv_from_cstr(impi_vec[_i].in), &e);

	ck_assert_int_eq(err, impi_vec[_i].err);
	if (err)
		ck_assert_ptr_nonnull(e.why);
	err = ims_impi_realm(sv_from_cstr(impi_vec[_i].in), &realm);
	ck_assert_int_eq(err, impi_vec[_i].err);
	if (!err)
		ck_assert(sv_eq_cstr(realm, impi_vec[_i].realm));
}
END_TEST

START_TEST(test_impi_too_long)
{
	char s[300];

	memset(s, 'a', sizeof(s));
	memcpy(s + 240, "@x.com", 7); /* 246 octets: fine */
	ck_assert_int_eq(ims_impi_check(sv_from_cstr(s), NULL), 0);
	memset(s, 'a', sizeof(s));
	memcpy(s + 250, "@x.com", 7); /* 256 octets */
	ck_assert_int_eq(ims_impi_check(sv_from_cstr(s), NULL), -EBADMSG);
}
END_TEST

/* ---- wildcard parse ---------------------------------------------------- */

#define RANGE "sip:+15551230![0-9]{3}!@ims.example.com"

static const struct {
	const char *in;
	int err;
	const char *text; /* normalized */
} wparse_vec[] = {
	{ RANGE, 0, RANGE },
	{ "SIP:chatlist!.*!@Example.COM", 0, "sip:chatlist!.*!@example.com" },
	/* more than two '!': the outermost pair delimits, "b!c" is the ERE */
	{ "sip:a!b!c!d@h", 0, "sip:a!b!c!d@h" },
	{ "tel:+1555!.*!", 0, "tel:+1555!.*!" },
	{ "TEL:+1-555!.*!;Phone-Context=X", 0,
	  "tel:+1555!.*!;phone-context=x" },
	{ "sip:!.*!.Example.com", 0, "sip:!.*!.example.com" },
	{ "sip:a!x|y!@h", 0, "sip:a!x|y!@h" },
	/* a lone '!' would sit in a fixed part: refused */
	{ "sip:a!b@h", -EBADMSG, NULL },
	{ "sip:nobang@h", -EBADMSG, NULL },
	{ "sip:a!!@h", -EBADMSG, NULL },
	{ "sip:a!(x!@h", -EBADMSG, NULL },
	{ "sip:a!x)(y!@h", -EBADMSG, NULL },
	{ "sip:a![0-9!@h", -EBADMSG, NULL },
	{ "sip:a!x\\!@h", -EBADMSG, NULL },
	{ "sip:a!x{2,1}!@h", -EBADMSG, NULL },
	{ "http:a!x!@h", -EBADMSG, NULL },
	{ "", -EBADMSG, NULL },
};

START_TEST(test_wildcard_parse)
{
	struct ims_wildcard *w = NULL;
	struct perr e = { 0 };
	int err = ims_wildcard_parse(sv_from_cstr(wparse_vec[_i].in), &w, &e);

	ck_assert_int_eq(err, wparse_vec[_i].err);
	if (err) {
		ck_assert_ptr_null(w);
		ck_assert_ptr_nonnull(e.why);
		return;
	}
	ck_assert_str_eq(ims_wildcard_text(w), wparse_vec[_i].text);
	ims_wildcard_free(w);
}
END_TEST

/* ---- wildcard match ---------------------------------------------------- */

static const struct {
	const char *range, *impu;
	bool match;
} wmatch_vec[] = {
	{ RANGE, "sip:+15551230123@ims.example.com", true },
	{ RANGE, "sip:+15551230000@IMS.Example.com", true },
	{ RANGE, "<sip:+15551230999@ims.example.com>", true },
	{ RANGE, "sip:+1555123012@ims.example.com", false },
	{ RANGE, "sip:+155512301234@ims.example.com", false },
	{ RANGE, "sip:+15551230abc@ims.example.com", false },
	{ RANGE, "sip:x+15551230123@ims.example.com", false },
	{ RANGE, "sip:+15551230123@ims.example.com.evil", false },
	/* '.' and '+' of the fixed parts are literal */
	{ RANGE, "sip:+15551230123@imsxexample.com", false },
	{ RANGE, "sip:15551230123@ims.example.com", false },
	{ RANGE, "sip::15551230123@ims.example.com", false },
	{ RANGE, "tel:+15551230123", false },
	{ RANGE, "sip:+15551230!12@ims.example.com", false },
	/* a '!' in a specific identity is not a delimiter (23.003 §13.5) */
	{ "sip:chatlist!.*!@example.com", "sip:chatlist!1@example.com", true },
	{ "sip:chatlist!.*!@example.com", "sip:chatlis@example.com", false },
	{ "sip:a!b!c!d@h", "sip:ab!cd@h", true },
	{ "sip:a!b!c!d@h", "sip:abxcd@h", false },
	{ "sip:user![0-9]!@[2001:DB8::1]", "sip:user5@[2001:db8::1]", true },
	{ "sip:user![0-9]!@[2001:DB8::1]", "sip:user5@[2001:db8::2]", false },
	/* the ERE is grouped: its '|' cannot swallow the fixed parts */
	{ "sip:a!x|y!@h", "sip:ay@h", true },
	{ "sip:a!x|y!@h", "sip:ax", false },
	{ "sip:a!x|y!@h", "sip:a@h", false },
	{ "tel:+1555!.*!", "tel:+1-555-1234", true },
	{ "tel:+1555!.*!", "tel:+1666", false },
	{ "tel:+1-555-![0-9]{4}!", "tel:+1(555)123-4", true },
	{ "tel:+1555!.*!", "not an impu", false },
};

START_TEST(test_wildcard_match)
{
	struct ims_wildcard *w = NULL;
	bool m;

	ck_assert_int_eq(ims_wildcard_parse(sv_from_cstr(wmatch_vec[_i].range),
					    &w, NULL),
			 0);
	m = ims_wildcard_match(w, sv_from_cstr(wmatch_vec[_i].impu));
	ck_assert_msg(m == wmatch_vec[_i].match, "%s ~ %s",
		      wmatch_vec[_i].range, wmatch_vec[_i].impu);
	ims_wildcard_free(w);
}
END_TEST

/* ---- wildcard count / nth ---------------------------------------------- */

static const struct {
	const char *range;
	int err;
	uint64_t count;
	uint64_t idx;
	const char *member;
} wcount_vec[] = {
	{ RANGE, 0, 1000, 0, "sip:+15551230000@ims.example.com" },
	{ RANGE, 0, 1000, 123, "sip:+15551230123@ims.example.com" },
	{ RANGE, 0, 1000, 999, "sip:+15551230999@ims.example.com" },
	{ "sip:u![a-c]x[[:digit:]]!@h", 0, 30, 29, "sip:ucx9@h" },
	{ "sip:u![a-c]x[[:digit:]]!@h", 0, 30, 10, "sip:ubx0@h" },
	{ "sip:u!\\.x!@h", 0, 1, 0, "sip:u.x@h" },
	{ "sip:u![-a]{2}!@h", 0, 4, 1, "sip:u-a@h" },
	{ "sip:u!.*!@h", -ENOTSUP, 0, 0, NULL },
	{ "sip:u!(a|b)!@h", -ENOTSUP, 0, 0, NULL },
	{ "sip:u![^0]!@h", -ENOTSUP, 0, 0, NULL },
	{ "sip:u![0-9]{2,3}!@h", -ENOTSUP, 0, 0, NULL },
	{ "sip:u![0-9]{9}!@h", -ERANGE, 0, 0, NULL },
};

START_TEST(test_wildcard_count)
{
	struct ims_wildcard *w = NULL;
	uint64_t n = 0;
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(ims_wildcard_parse(sv_from_cstr(wcount_vec[_i].range),
					    &w, NULL),
			 0);
	ck_assert_int_eq(ims_wildcard_count(w, &n), wcount_vec[_i].err);
	ck_assert_int_eq(ims_wildcard_nth(w, wcount_vec[_i].idx, &b),
			 wcount_vec[_i].err);
	if (!wcount_vec[_i].err) {
		ck_assert_uint_eq(n, wcount_vec[_i].count);
		ck_assert_str_eq(b.data, wcount_vec[_i].member);
		ck_assert(ims_wildcard_match(w, sv_from_cstr(b.data)));
		ck_assert_int_eq(ims_wildcard_nth(w, n, &b), -ERANGE);
	}
	buf_close(&b);
	ims_wildcard_free(w);
}
END_TEST

/* Every enumerated member is in the range, and they are all distinct. */
START_TEST(test_wildcard_enumerate_all)
{
	struct ims_wildcard *w = NULL;
	struct buf b, prev;
	uint64_t n = 0;

	buf_init(&b);
	buf_init(&prev);
	ck_assert_int_eq(ims_wildcard_parse(SV(RANGE), &w, NULL), 0);
	ck_assert_int_eq(ims_wildcard_count(w, &n), 0);
	for (uint64_t i = 0; i < n; i++) {
		buf_reset(&b);
		ck_assert_int_eq(ims_wildcard_nth(w, i, &b), 0);
		ck_assert(ims_wildcard_match(w, sv_from_cstr(b.data)));
		if (i)
			ck_assert_int_lt(strcmp(prev.data, b.data), 0);
		buf_reset(&prev);
		buf_puts(&prev, b.data);
	}
	buf_close(&b);
	buf_close(&prev);
	ims_wildcard_free(w);
}
END_TEST

/* ---- sets of ranges ------------------------------------------------------ */

static const struct {
	const char *impu;
	int err;
	size_t tag;
} wcset_vec[] = {
	{ "sip:+15551230123@ims.example.com", 0, 10 },
	/* in both ranges: the first added wins */
	{ "sip:+15551239999@ims.example.com", 0, 20 },
	{ "sip:+15551238888@IMS.example.com", 0, 20 },
	{ "sip:+15551239@ims.example.com", 0, 30 },
	{ "sip:+1555122@ims.example.com", -ENOENT, 0 },
	{ "tel:+15551230123", -ENOENT, 0 },
	{ "nonsense", -ENOENT, 0 },
};

START_TEST(test_wcset)
{
	static const struct {
		const char *range;
		size_t tag;
	} ranges[] = {
		{ RANGE, 10 },
		{ "sip:+1555123![89]{4}!@ims.example.com", 20 },
		{ "sip:+1555123!.*!@ims.example.com", 30 },
		{ "sip:+1555123!.*!@ims.example.com", 40 },
	};
	struct ims_wcset *s = ims_wcset_new();
	size_t tag = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		struct sv r = sv_from_cstr(ranges[i].range);
		struct ims_wildcard *w = NULL;

		ck_assert_int_eq(ims_wildcard_parse(r, &w, NULL), 0);
		ims_wcset_add(s, w, ranges[i].tag);
	}
	ck_assert_int_eq(ims_wcset_match(s, sv_from_cstr(wcset_vec[_i].impu),
					 &tag),
			 wcset_vec[_i].err);
	if (!wcset_vec[_i].err)
		ck_assert_uint_eq(tag, wcset_vec[_i].tag);
	ims_wcset_free(s);
}
END_TEST

/* ---- User-Data build -> parse ------------------------------------------ */

static const struct {
	const char *identity;
	enum ims_id_type type;
	bool barred;
	const char *wildcard;
	unsigned profile;
} sub_ids[] = {
	{ "sip:alice@ims.example.com", IMS_ID_PUBLIC_USER, false, NULL, 0 },
	{ "tel:+15550100", IMS_ID_PUBLIC_USER, false, NULL, 0 },
	{ "sip:a&b<c>@ims.example.com", IMS_ID_PUBLIC_USER, true, NULL, 0 },
	{ "sip:conf@ims.example.com", IMS_ID_DISTINCT_PSI, false, NULL, 1 },
	{ "sip:chatlist!.*!@example.com", IMS_ID_WILDCARDED_PSI, false,
	  "sip:chatlist!.*!@example.com", 1 },
	{ RANGE, IMS_ID_WILDCARDED_IMPU, false, RANGE, 2 },
	{ "sip:+15551230007@ims.example.com", IMS_ID_NON_DISTINCT_IMPU, false,
	  RANGE, 2 },
};

static void sub_fill(struct ims_sub *s)
{
	ims_sub_init(s, "alice@ims.example.com");
	for (size_t i = 0; i < ARRAY_SIZE(sub_ids); i++)
		ck_assert_int_eq(ims_sub_add(s, sub_ids[i].identity,
					     sub_ids[i].type, sub_ids[i].barred,
					     sub_ids[i].wildcard,
					     sub_ids[i].profile),
				 0);
}

START_TEST(test_sub_round_trip)
{
	struct ims_sub s, p;
	struct buf b;

	buf_init(&b);
	sub_fill(&s);
	ck_assert_int_eq(ims_sub_print(&s, &b), 0);
	ck_assert(sv_starts_with(sv_from_cstr(b.data),
				 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
	ck_assert_ptr_nonnull(strstr(b.data,
		"<IMSSubscription><PrivateID>alice@ims.example.com</PrivateID>"
		"<ServiceProfile><PublicIdentity><Identity>"
		"sip:alice@ims.example.com</Identity><Extension>"
		"<IdentityType>0</IdentityType></Extension></PublicIdentity>"));
	ck_assert_ptr_nonnull(strstr(b.data,
		"<PublicIdentity><BarringIndication>1</BarringIndication>"
		"<Identity>sip:a&amp;b&lt;c&gt;@ims.example.com</Identity>"));
	ck_assert_ptr_nonnull(strstr(b.data,
		"<IdentityType>2</IdentityType><WildcardedPSI>"));
	ck_assert_ptr_nonnull(strstr(b.data,
		"<IdentityType>4</IdentityType><Extension><Extension>"
		"<WildcardedIMPU>" RANGE "</WildcardedIMPU>"));
	ck_assert_int_eq(ims_sub_parse(b.data, b.len, &p, NULL), 0);
	ck_assert_str_eq(p.private_id, s.private_id);
	ck_assert_uint_eq(p.n, s.n);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_str_eq(p.ids[i].identity, s.ids[i].identity);
		ck_assert_int_eq(p.ids[i].type, s.ids[i].type);
		ck_assert(p.ids[i].barred == s.ids[i].barred);
		ck_assert_uint_eq(p.ids[i].profile, s.ids[i].profile);
		if (s.ids[i].wildcard)
			ck_assert_str_eq(p.ids[i].wildcard, s.ids[i].wildcard);
		else
			ck_assert_ptr_null(p.ids[i].wildcard);
	}
	ims_sub_close(&p);
	ims_sub_close(&s);
	buf_close(&b);
}
END_TEST

START_TEST(test_sub_add_invalid)
{
	struct ims_sub s;

	ims_sub_init(&s, "alice@ims.example.com");
	ck_assert_int_eq(ims_sub_print(&s, &(struct buf){ 0 }), -EINVAL);
	ck_assert_int_eq(ims_sub_add(&s, NULL, 0, false, NULL, 0), -EINVAL);
	ck_assert_int_eq(ims_sub_add(&s, RANGE, IMS_ID_WILDCARDED_IMPU, false,
				     NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(ims_sub_add(&s, "sip:a@b", 0, false, NULL, 1), 0);
	ck_assert_int_eq(ims_sub_add(&s, "sip:c@b", 0, false, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(ims_sub_add(&s, "sip:c@b", 5, false, NULL, 1),
			 -EINVAL);
	ims_sub_close(&s);
}
END_TEST

/* What another HSS may send: indented, namespaced, with an iFC, booleans
 * spelled out and no IdentityType (defaults to 0). */
static const char foreign_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<IMSSubscription xmlns:xsi=\"http://www.w3.org/2001/"
	"XMLSchema-instance\">\n"
	"  <PrivateID> bob@ims.example.com </PrivateID>\n"
	"  <ServiceProfile>\n"
	"    <PublicIdentity>\n"
	"      <BarringIndication>false</BarringIndication>\n"
	"      <Identity>\n        sip:bob@ims.example.com\n      </Identity>\n"
	"    </PublicIdentity>\n"
	"    <PublicIdentity><BarringIndication>true</BarringIndication>"
	"<Identity>tel:+15550200</Identity><Extension><IdentityType>0"
	"</IdentityType><Extension><DisplayName>Bob</DisplayName>"
	"</Extension></Extension></PublicIdentity>\n"
	"    <InitialFilterCriteria><Priority>0</Priority>"
	"</InitialFilterCriteria>\n"
	"  </ServiceProfile>\n"
	"</IMSSubscription>\n";

START_TEST(test_sub_parse_foreign)
{
	struct ims_sub p;

	ck_assert_int_eq(ims_sub_parse(foreign_doc, sizeof(foreign_doc) - 1,
				       &p, NULL),
			 0);
	ck_assert_str_eq(p.private_id, "bob@ims.example.com");
	ck_assert_uint_eq(p.n, 2);
	ck_assert_str_eq(p.ids[0].identity, "sip:bob@ims.example.com");
	ck_assert(!p.ids[0].barred);
	ck_assert_int_eq(p.ids[0].type, IMS_ID_PUBLIC_USER);
	ck_assert_str_eq(p.ids[1].identity, "tel:+15550200");
	ck_assert(p.ids[1].barred);
	ims_sub_close(&p);
}
END_TEST

/* ---- User-Data refused ------------------------------------------------- */

#define DOC_HEAD "<?xml version=\"1.0\"?>"
#define SUB_OPEN "<IMSSubscription><PrivateID>a@b.c</PrivateID>"
#define PI(x) "<ServiceProfile><PublicIdentity>" x \
	      "</PublicIdentity></ServiceProfile></IMSSubscription>"

static const struct {
	const char *name, *xml;
	int err;
} bad_vec[] = {
	{ "billion laughs", DOC_HEAD
	  "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
	  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
	  SUB_OPEN PI("<Identity>&c;</Identity>"), -EBADMSG },
	{ "XXE file", DOC_HEAD
	  "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	  SUB_OPEN PI("<Identity>&e;</Identity>"), -EBADMSG },
	{ "external DTD", DOC_HEAD
	  "<!DOCTYPE IMSSubscription SYSTEM \"http://127.0.0.1:9/x.dtd\">"
	  SUB_OPEN PI("<Identity>sip:a@b</Identity>"), -EBADMSG },
	{ "undeclared entity", DOC_HEAD SUB_OPEN
	  PI("<Identity>&xxe;</Identity>"), -EBADMSG },
	{ "not XML", "hello", -EBADMSG },
	{ "empty", "", -EBADMSG },
	{ "truncated", DOC_HEAD SUB_OPEN "<ServiceProfile><PublicId",
	  -EBADMSG },
	{ "wrong root", DOC_HEAD "<Foo><PrivateID>a@b.c</PrivateID></Foo>",
	  -EBADMSG },
	{ "no PrivateID", DOC_HEAD "<IMSSubscription>"
	  PI("<Identity>sip:a@b</Identity>"), -EBADMSG },
	{ "no ServiceProfile", DOC_HEAD SUB_OPEN "</IMSSubscription>",
	  -EBADMSG },
	{ "no Identity", DOC_HEAD SUB_OPEN PI("<Extension/>"), -EBADMSG },
	{ "empty Identity", DOC_HEAD SUB_OPEN PI("<Identity> </Identity>"),
	  -EBADMSG },
	{ "IdentityType 5", DOC_HEAD SUB_OPEN
	  PI("<Identity>sip:a@b</Identity><Extension><IdentityType>5"
	     "</IdentityType></Extension>"), -EBADMSG },
	{ "IdentityType x", DOC_HEAD SUB_OPEN
	  PI("<Identity>sip:a@b</Identity><Extension><IdentityType>x"
	     "</IdentityType></Extension>"), -EBADMSG },
	{ "BarringIndication 2", DOC_HEAD SUB_OPEN
	  PI("<BarringIndication>2</BarringIndication>"
	     "<Identity>sip:a@b</Identity>"), -EBADMSG },
	{ "wildcarded IMPU without WildcardedIMPU", DOC_HEAD SUB_OPEN
	  PI("<Identity>sip:a!.*!@b</Identity><Extension><IdentityType>4"
	     "</IdentityType></Extension>"), -EBADMSG },
};

START_TEST(test_sub_parse_bad)
{
	struct ims_sub p;
	struct perr e = { 0 };
	int err = ims_sub_parse(bad_vec[_i].xml, strlen(bad_vec[_i].xml), &p,
				&e);

	ck_assert_msg(err == bad_vec[_i].err, "%s: %d", bad_vec[_i].name, err);
	ck_assert_ptr_nonnull(e.why);
	ck_assert_ptr_null(p.ids);
}
END_TEST

START_TEST(test_sub_parse_doctype_offset)
{
	struct perr e = { 0 };
	struct ims_sub p;
	const char *x = bad_vec[1].xml;

	ck_assert_int_eq(ims_sub_parse(x, strlen(x), &p, &e), -EBADMSG);
	ck_assert_uint_eq(e.offset, strlen(DOC_HEAD));
}
END_TEST

START_TEST(test_sub_parse_oversized)
{
	struct ims_sub s, p;
	struct buf b;

	buf_init(&b);
	sub_fill(&s);
	ck_assert_int_eq(ims_sub_print(&s, &b), 0);
	/* a valid document that only a comment makes too big */
	b.len -= 1; /* drop the final newline, then pad */
	buf_puts(&b, "<!--");
	while (b.len <= IMS_SUB_XML_MAX)
		buf_puts(&b, "padding padding padding ");
	buf_puts(&b, "-->");
	ck_assert_int_eq(ims_sub_parse(b.data, b.len, &p, NULL), -EMSGSIZE);
	ims_sub_close(&s);
	buf_close(&b);
}
END_TEST

START_TEST(test_sub_parse_too_many_ids)
{
	struct buf b;
	struct ims_sub p;

	buf_init(&b);
	buf_puts(&b, DOC_HEAD SUB_OPEN "<ServiceProfile>");
	for (int i = 0; i <= IMS_SUB_IDS_MAX; i++)
		buf_printf(&b, "<PublicIdentity><Identity>sip:u%d@b"
			       "</Identity></PublicIdentity>",
			   i);
	buf_puts(&b, "</ServiceProfile></IMSSubscription>");
	ck_assert_uint_le(b.len, IMS_SUB_XML_MAX);
	ck_assert_int_eq(ims_sub_parse(b.data, b.len, &p, NULL), -EBADMSG);
	buf_close(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ims");
	TCase *id = tcase_create("identity");
	TCase *wc = tcase_create("wildcard");
	TCase *xml = tcase_create("user-data");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(id, test_impu_normalize, 0,
			    (int)ARRAY_SIZE(norm_vec));
	tcase_add_loop_test(id, test_impu_escape, 0, (int)ARRAY_SIZE(esc_vec));
	tcase_add_loop_test(id, test_impu_eq, 0, (int)ARRAY_SIZE(eq_vec));
	tcase_add_loop_test(id, test_impi, 0, (int)ARRAY_SIZE(impi_vec));
	tcase_add_test(id, test_impi_too_long);
	tcase_add_loop_test(wc, test_wildcard_parse, 0,
			    (int)ARRAY_SIZE(wparse_vec));
	tcase_add_loop_test(wc, test_wildcard_match, 0,
			    (int)ARRAY_SIZE(wmatch_vec));
	tcase_add_loop_test(wc, test_wildcard_count, 0,
			    (int)ARRAY_SIZE(wcount_vec));
	tcase_add_test(wc, test_wildcard_enumerate_all);
	tcase_add_loop_test(wc, test_wcset, 0, (int)ARRAY_SIZE(wcset_vec));
	tcase_add_test(xml, test_sub_round_trip);
	tcase_add_test(xml, test_sub_add_invalid);
	tcase_add_test(xml, test_sub_parse_foreign);
	tcase_add_loop_test(xml, test_sub_parse_bad, 0,
			    (int)ARRAY_SIZE(bad_vec));
	tcase_add_test(xml, test_sub_parse_doctype_offset);
	tcase_add_test(xml, test_sub_parse_oversized);
	tcase_add_test(xml, test_sub_parse_too_many_ids);
	suite_add_tcase(s, id);
	suite_add_tcase(s, wc);
	suite_add_tcase(s, xml);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
