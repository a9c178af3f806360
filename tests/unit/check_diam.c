/* check_diam.c - unit tests for lib/diam: codec, Cx, peer on loopback. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/base.h"
#include "diam/diam.h"
#include "diam/diam_cx.h"
#include "diam/diam_peer.h"

#include "diam_helpers.h"

/* ---- dictionary ---------------------------------------------------------- */

static const struct {
	uint32_t code, vendor;
	uint8_t flags;
	const char *name;
} dict_vec[] = {
	{ 1, 0, DIAM_AVP_M, "User-Name" },
	{ 104, 0, DIAM_AVP_M, "Digest-Realm" },
	{ 121, 0, DIAM_AVP_M, "Digest-HA1" },
	{ 269, 0, 0, "Product-Name" },
	{ 297, 0, DIAM_AVP_M, "Experimental-Result" },
	{ 601, 10415, DIAM_AVP_M | DIAM_AVP_V, "Public-Identity" },
	{ 612, 10415, DIAM_AVP_M | DIAM_AVP_V, "SIP-Auth-Data-Item" },
	{ 632, 10415, DIAM_AVP_V, "Associated-Identities" },
	{ 634, 10415, DIAM_AVP_V, "Wildcarded-Public-Identity" },
	{ 635, 10415, DIAM_AVP_V, "SIP-Digest-Authenticate" },
	{ 662, 10415, DIAM_AVP_V, "Alternate-Digest-Algorithm" },
	{ 663, 10415, DIAM_AVP_V, "Alternate-Digest-HA1" },
};

START_TEST(test_dict)
{
	const struct diam_avp_def *d;

	d = diam_avp_def_find(dict_vec[_i].code, dict_vec[_i].vendor);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->flags, dict_vec[_i].flags);
	ck_assert_str_eq(diam_avp_name(d->code, d->vendor), dict_vec[_i].name);
	ck_assert_str_eq(diam_avp_name(dict_vec[_i].code, 4242), "Unknown-AVP");
	ck_assert_str_eq(diam_cmd_name(303, true), "MAR");
	ck_assert_str_eq(diam_cmd_name(257, false), "CEA");
	ck_assert_str_eq(diam_result_name(5014), "DIAMETER_INVALID_AVP_LENGTH");
}
END_TEST

/* ---- exact bytes --------------------------------------------------------- */

/* Checked by hand against RFC 6733 §3, §4.1, §5.3.1 (and by tshark). */
static const char cer_hex[] =
	"01 00009c 80 000101 00000000 11223344 55667788"
	" 00000108 40000014 6873732e696d732e74657374" /* Origin-Host */
	" 00000128 40000010 696d732e74657374"	      /* Origin-Realm */
	" 00000101 4000000e 0001 7f000001 0000"	      /* Host-IP-Address */
	" 0000010a 4000000c 00000000"		      /* Vendor-Id 0 */
	" 0000010d 0000000d 696d737462 000000"	      /* Product-Name */
	" 00000116 4000000c 00000001"		      /* Origin-State-Id */
	" 00000109 4000000c 000028af"		      /* Supported-Vendor */
	" 00000104 40000020"			      /* VSAI { */
	" 0000010a 4000000c 000028af"		      /*  Vendor-Id 10415 */
	" 00000102 4000000c 01000000";		      /*  Auth-App Cx } */

START_TEST(test_cer_bytes)
{
	struct buf got, want;
	struct diam_msg m;
	struct diam_ce ce;

	buf_init(&got);
	buf_init(&want);
	hex_put(&want, cer_hex);
	ck_assert_int_eq(
		diam_cer_build(&got, &test_local, 0x11223344, 0x55667788), 0);
	ck_assert_uint_eq(got.len, want.len);
	ck_assert_mem_eq(got.data, want.data, want.len);
	ck_assert_int_eq(diam_msg_parse(&m, got.data, got.len, NULL), 0);
	ck_assert_int_eq(diam_ce_parse(&m, &ce, NULL), 0);
	ck_assert(sv_eq_cstr(ce.origin_host, "hss.ims.test"));
	ck_assert(ce.cx);
	ck_assert_int_eq(ce.ip.ss_family, AF_INET);
	buf_close(&got);
	buf_close(&want);
}
END_TEST

/* ---- Cx round trips ------------------------------------------------------ */

static void cx_fill(struct diam_cx *c, uint32_t cmd, bool request)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->request = request;
	c->session_id = SV("scscf.ims.test;1;42");
	c->origin_host = SV("scscf.ims.test");
	c->origin_realm = SV("ims.test");
	c->dest_host = SV("hss.ims.test");
	c->dest_realm = SV("ims.test");
	c->result = request ? 0 : DIAM_CX_FIRST_REGISTRATION;
	c->experimental = cmd != DIAM_CMD_MA;
	if (cmd == DIAM_CMD_MA && !request)
		c->result = DIAM_SUCCESS;
	c->user_name = SV("alice@ims.test");
	c->public_identity = SV("sip:alice@ims.test");
	c->wildcarded_public_identity = SV("sip:!.*!@ims.test");
	c->visited_network = SV("ims.test");
	c->server_name = SV("sip:scscf.ims.test:6060");
	c->has_auth_type = true;
	c->auth_type = DIAM_CX_UAT_REGISTRATION;
	c->has_originating = true;
	c->sat = DIAM_CX_SAT_REGISTRATION;
	c->udaa = DIAM_CX_USER_DATA_NOT_AVAILABLE;
	c->has_num_auth_items = true;
	c->num_auth_items = 1;
	c->n_auth = 1;
	c->auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	if (!request) {
		c->auth[0].realm = SV("ims.test");
		c->auth[0].algorithm = SV("MD5");
		c->auth[0].qop = SV("auth");
		c->auth[0].ha1 = SV("0123456789abcdef0123456789abcdef");
		c->auth[0].alt_algorithm = SV("SHA-256");
		c->auth[0].alt_ha1 = SV("aa55");
	}
	c->user_data = SV("<?xml version=\"1.0\"?><IMSSubscription/>");
	c->ccf[0] = SV("aaa://ccf.ims.test");
	c->n_assoc = 2;
	c->assoc[0] = SV("alice@ims.test");
	c->assoc[1] = SV("bob@ims.test");
	c->n_waf = 1;
	c->waf[0] = SV("waf.ims.test");
	c->has_caps = true;
	c->n_mand = 1;
	c->mand[0] = 7;
}

static const struct {
	uint32_t cmd;
	bool request;
	uint32_t must;	/* an AVP the message must carry */
	uint32_t never; /* one it must not */
} cx_vec[] = {
	{ DIAM_CMD_UA, true, DIAM_AVP_VISITED_NETWORK_IDENTIFIER,
	  DIAM_AVP_SERVER_NAME },
	{ DIAM_CMD_UA, false, DIAM_AVP_SERVER_CAPABILITIES,
	  DIAM_AVP_USER_NAME },
	{ DIAM_CMD_SA, true, DIAM_AVP_SERVER_ASSIGNMENT_TYPE,
	  DIAM_AVP_VISITED_NETWORK_IDENTIFIER },
	{ DIAM_CMD_SA, false, DIAM_AVP_USER_DATA, DIAM_AVP_PUBLIC_IDENTITY },
	{ DIAM_CMD_LI, true, DIAM_AVP_ORIGINATING_REQUEST, DIAM_AVP_USER_NAME },
	{ DIAM_CMD_LI, false, DIAM_AVP_WILDCARDED_PUBLIC_IDENTITY,
	  DIAM_AVP_USER_DATA },
	{ DIAM_CMD_MA, true, DIAM_AVP_SIP_NUMBER_AUTH_ITEMS,
	  DIAM_AVP_RESULT_CODE },
	{ DIAM_CMD_MA, false, DIAM_AVP_SIP_AUTH_DATA_ITEM,
	  DIAM_AVP_EXPERIMENTAL_RESULT },
};

START_TEST(test_cx_roundtrip)
{
	struct buf b1, b2;
	struct diam_cx c, p;
	struct diam_msg m;
	struct diam_avp a;
	const struct diam_avp_def *d;

	buf_init(&b1);
	buf_init(&b2);
	cx_fill(&c, cx_vec[_i].cmd, cx_vec[_i].request);
	ck_assert_int_eq(diam_cx_build(&b1, &c, 7, 8), 0);
	ck_assert_uint_eq(b1.len % 4, 0);
	ck_assert_int_eq(diam_msg_parse(&m, b1.data, b1.len, NULL), 0);
	ck_assert_uint_eq(m.len, b1.len);
	ck_assert_uint_eq(m.app, DIAM_APP_CX);
	ck_assert_uint_eq(m.flags & DIAM_FLAG_R,
			  cx_vec[_i].request ? DIAM_FLAG_R : 0);
	ck_assert(m.flags & DIAM_FLAG_P);
	/* Session-Id first (< Session-Id > is fixed, TS 29.229 §6.1). */
	ck_assert(diam_iter_next(
		&(struct diam_iter){ m.raw + 20, m.raw + m.len, m.raw }, &a));
	ck_assert_uint_eq(a.code, DIAM_AVP_SESSION_ID);
	d = diam_avp_def_by_code(cx_vec[_i].must);
	ck_assert_int_eq(diam_msg_find(&m, d->code, d->vendor, &a), 0);
	d = diam_avp_def_by_code(cx_vec[_i].never);
	ck_assert_int_eq(diam_msg_find(&m, d->code, d->vendor, &a), -ENOENT);

	ck_assert_int_eq(diam_cx_parse(&m, &p, NULL), 0);
	ck_assert_uint_eq(p.hbh, 7);
	ck_assert_uint_eq(p.e2e, 8);
	ck_assert(sv_eq(p.session_id, c.session_id));
	ck_assert_uint_eq(p.result, c.request ? 0 : c.result);
	/* Rebuilding what was parsed gives the same bytes. */
	ck_assert_int_eq(diam_cx_build(&b2, &p, 7, 8), 0);
	ck_assert_uint_eq(b1.len, b2.len);
	ck_assert_mem_eq(b1.data, b2.data, b1.len);
	if (c.cmd == DIAM_CMD_MA && !c.request) {
		ck_assert_uint_eq(p.n_auth, 1);
		ck_assert(sv_eq(p.auth[0].ha1, c.auth[0].ha1));
		ck_assert(sv_eq(p.auth[0].alt_ha1, c.auth[0].alt_ha1));
		ck_assert(sv_eq(p.auth[0].qop, SV("auth")));
	}
	if (c.cmd == DIAM_CMD_SA && !c.request) {
		ck_assert(sv_eq(p.user_data, c.user_data));
		ck_assert_uint_eq(p.n_assoc, 2);
		ck_assert(sv_eq(p.assoc[1], SV("bob@ims.test")));
		ck_assert(sv_eq(p.waf[0], SV("waf.ims.test")));
		ck_assert(sv_eq(p.ccf[0], SV("aaa://ccf.ims.test")));
		ck_assert(p.experimental);
	}
	/* Every prefix is incomplete (STYLE rule 11). */
	for (size_t k = 0; k < b1.len; k++) {
		size_t len;

		ck_assert_int_eq(diam_msg_frame(b1.data, k, &len, NULL),
				 -EAGAIN);
		ck_assert_int_eq(diam_msg_parse(&m, b1.data, k, NULL), -EAGAIN);
	}
	buf_close(&b1);
	buf_close(&b2);
}
END_TEST

/* ---- builder ------------------------------------------------------------- */

START_TEST(test_build_nesting_padding)
{
	struct diam_build bd;
	struct diam_msg m;
	struct diam_avp a, g, c;
	struct diam_iter it;
	struct buf b;
	int n = 0;

	buf_init(&b);
	buf_puts(&b, "xyz"); /* the builder appends: starts mid-buffer */
	diam_build_start(&bd, &b, DIAM_FLAG_R, 999, 0, 1, 2);
	diam_put_str(&bd, DIAM_AVP_USER_NAME, "a");
	diam_group_begin(&bd, DIAM_AVP_SIP_AUTH_DATA_ITEM);
	diam_put_str(&bd, DIAM_AVP_SIP_AUTHENTICATION_SCHEME, "ab");
	diam_group_begin(&bd, DIAM_AVP_SIP_DIGEST_AUTHENTICATE);
	diam_put_str(&bd, DIAM_AVP_DIGEST_REALM, "abc");
	diam_group_end(&bd);
	diam_group_end(&bd);
	diam_put_u64(&bd, 0, 1); /* unknown code: sticky -EINVAL */
	ck_assert_int_eq(diam_build_finish(&bd), -EINVAL);
	ck_assert_uint_eq(b.len, 3); /* the partial message is gone */

	diam_build_start(&bd, &b, DIAM_FLAG_R, 999, 0, 1, 2);
	diam_put_str(&bd, DIAM_AVP_USER_NAME, "a");
	diam_group_begin(&bd, DIAM_AVP_SIP_AUTH_DATA_ITEM);
	diam_put_str(&bd, DIAM_AVP_SIP_AUTHENTICATION_SCHEME, "ab");
	diam_group_begin(&bd, DIAM_AVP_SIP_DIGEST_AUTHENTICATE);
	diam_put_str(&bd, DIAM_AVP_DIGEST_REALM, "abc");
	diam_group_end(&bd);
	diam_group_end(&bd);
	ck_assert_int_eq(diam_build_finish(&bd), 0);
	/* 20 + User-Name 12 + item (12 + scheme 16 + digest (12 + 12)) */
	ck_assert_uint_eq(b.len - 3, 20 + 12 + 12 + 16 + 12 + 12);
	ck_assert_int_eq(diam_msg_parse(&m, b.data + 3, b.len - 3, NULL), 0);
	ck_assert_int_eq(diam_msg_find(&m, 612, 10415, &g), 0);
	ck_assert_uint_eq(g.len, 12 + 16 + 24);
	ck_assert_int_eq(diam_avp_find(&m, &g, 635, 10415, &a), 0);
	ck_assert_int_eq(diam_avp_find(&m, &a, 104, 0, &c), 0);
	ck_assert(sv_eq(c.data, SV("abc")));
	ck_assert_uint_eq(c.len, 11);
	diam_iter_group(&it, &g, &m);
	while (diam_iter_next(&it, &a))
		n++;
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(diam_avp_find(&m, &g, 104, 0, &c), -ENOENT);

	/* Misuse: type mismatch, unbalanced groups. */
	diam_build_start(&bd, &b, 0, 1, 0, 0, 0);
	ck_assert_int_eq(diam_put_str(&bd, DIAM_AVP_RESULT_CODE, "x"), -EINVAL);
	ck_assert_int_eq(diam_build_finish(&bd), -EINVAL);
	diam_build_start(&bd, &b, 0, 1, 0, 0, 0);
	ck_assert_int_eq(diam_group_end(&bd), -EINVAL);
	diam_build_finish(&bd);
	diam_build_start(&bd, &b, 0, 1, 0, 0, 0);
	diam_group_begin(&bd, DIAM_AVP_FAILED_AVP);
	ck_assert_int_eq(diam_build_finish(&bd), -EINVAL);
	buf_close(&b);
}
END_TEST

START_TEST(test_cx_build_missing)
{
	struct diam_cx c;
	struct buf b;

	buf_init(&b);
	cx_fill(&c, DIAM_CMD_MA, true);
	c.public_identity = SV_NULL;
	ck_assert_int_eq(diam_cx_build(&b, &c, 1, 1), -EINVAL);
	cx_fill(&c, DIAM_CMD_MA, true);
	c.n_auth = 0;
	ck_assert_int_eq(diam_cx_build(&b, &c, 1, 1), -EINVAL);
	cx_fill(&c, DIAM_CMD_SA, false);
	c.result = 0;
	ck_assert_int_eq(diam_cx_build(&b, &c, 1, 1), -EINVAL);
	cx_fill(&c, 316, true);
	ck_assert_int_eq(diam_cx_build(&b, &c, 1, 1), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	buf_close(&b);
}
END_TEST

/* ---- malformed input ----------------------------------------------------- */

#define SID "00000107 4000000b 73696400 "

static const struct {
	const char *name;
	uint8_t ver, flags;
	uint32_t len; /* 0: the real length */
	const char *avps;
	int err;
	uint32_t result, code, vendor; /* code: AVP named in Failed-AVP */
} bad_vec[] = {
	{ "version 2", 2, 0xc0, 0, SID, -EBADMSG, 5011, 0, 0 },
	{ "length 19", 1, 0xc0, 19, SID, -EBADMSG, 5015, 0, 0 },
	{ "length 22", 1, 0xc0, 22, SID, -EBADMSG, 5015, 0, 0 },
	{ "over max", 1, 0xc0, 65540, SID, -EBADMSG, 5006, 0, 0 },
	{ "R and E", 1, 0xa0, 0, SID, -EBADMSG, 3008, 0, 0 },
	{ "E on answer", 1, 0x20, 0, SID, 0, 0, 0, 0 },
	{ "AVP len 4", 1, 0xc0, 0, SID "00000108 40000004", -EBADMSG, 5014, 264,
	  0 },
	{ "AVP past end", 1, 0xc0, 0, SID "00000108 40000020 68697878",
	  -EBADMSG, 5014, 264, 0 },
	{ "U32 of 2 bytes", 1, 0xc0, 0, SID "0000010c 4000000a 00010000",
	  -EBADMSG, 5014, 268, 0 },
	{ "unknown M", 1, 0xc0, 0, SID "0000270f 40000008", -EBADMSG, 5001,
	  9999, 0 },
	{ "unknown, no M", 1, 0xc0, 0, SID "0000270f 00000008", 0, 0, 0, 0 },
	{ "M on Product-Name", 1, 0xc0, 0, SID "0000010d 40000009 61000000",
	  -EBADMSG, 3009, 269, 0 },
	{ "bad UTF-8", 1, 0xc0, 0, SID "00000001 4000000a c3280000", -EBADMSG,
	  5004, 1, 0 },
	{ "overlong UTF-8", 1, 0xc0, 0, SID "00000001 4000000a c0af0000",
	  -EBADMSG, 5004, 1, 0 },
	{ "short Address", 1, 0xc0, 0,
	  SID "00000101 4000000d 00017f00 00000000", -EBADMSG, 5004, 257, 0 },
	{ "V AVP of 8", 1, 0xc0, 0, SID "00000259 c0000008 000028af", -EBADMSG,
	  5014, 601, 10415 },
	{ "inner length", 1, 0xc0, 0,
	  SID "00000104 40000014 0000010a 40000010 000028af", -EBADMSG, 5014,
	  266, 0 },
	{ "Digest-Realm with V", 1, 0xc0, 0, SID "00000068 c000000c 000028af",
	  -EBADMSG, 5001, 104, 10415 },
	{ "Failed-AVP holds anything", 1, 0x40, 0,
	  SID "00000117 40000010 0000270f 40000008", 0, 0, 0, 0 },
	{ "valid", 1, 0xc0, 0, SID "00000108 4000000d 68737400 00000000", 0, 0,
	  0, 0 },
};

static void bad_msg(struct buf *b, int i)
{
	uint8_t h[20] = { bad_vec[i].ver,
			  0,
			  0,
			  0,
			  bad_vec[i].flags,
			  0,
			  0x01,
			  0x2f,
			  0x01,
			  0,
			  0,
			  0,
			  0,
			  0,
			  0,
			  1,
			  0,
			  0,
			  0,
			  2 };
	uint32_t len;

	buf_append(b, h, sizeof(h));
	hex_put(b, bad_vec[i].avps);
	len = bad_vec[i].len ? bad_vec[i].len : (uint32_t)b->len;
	b->data[1] = (char)(len >> 16);
	b->data[2] = (char)(len >> 8);
	b->data[3] = (char)len;
}

/* The error answer must itself parse, carry the Result-Code (E bit iff
 * 3xxx) and name the offending AVP in Failed-AVP (RFC 6733 §7.5). */
static void check_error_answer(const void *req, size_t len,
			       const struct diam_err *e, uint32_t code)
{
	struct buf out;
	struct diam_msg m;
	struct diam_avp f, c;
	struct diam_iter it;
	uint32_t rc, v;
	bool exp;

	buf_init(&out);
	ck_assert_int_eq(diam_error_build(&out, req, len, &test_local, e), 0);
	ck_assert_int_eq(diam_msg_parse(&m, out.data, out.len, NULL), 0);
	ck_assert(!(m.flags & DIAM_FLAG_R));
	ck_assert_uint_eq(m.cmd, 303);
	ck_assert_uint_eq(m.hbh, 1);
	ck_assert_int_eq(diam_msg_result(&m, &rc, &exp, &v), 0);
	ck_assert_uint_eq(rc, (uint32_t)e->pe.status);
	ck_assert_uint_eq(!!(m.flags & DIAM_FLAG_E), rc / 1000 == 3);
	if (code) {
		ck_assert_int_eq(diam_msg_find(&m, DIAM_AVP_FAILED_AVP, 0, &f),
				 0);
		diam_iter_group(&it, &f, &m);
		ck_assert(diam_iter_next(&it, &c));
		ck_assert_uint_eq(c.code, code);
		ck_assert_uint_eq(c.vendor, e->vendor);
	} else {
		ck_assert_int_eq(diam_msg_find(&m, DIAM_AVP_FAILED_AVP, 0, &f),
				 -ENOENT);
	}
	buf_close(&out);
}

START_TEST(test_malformed)
{
	struct buf b;
	struct diam_msg m;
	struct diam_err e;
	int err;

	buf_init(&b);
	bad_msg(&b, _i);
	memset(&e, 0, sizeof(e));
	err = diam_msg_parse(&m, b.data, b.len, &e);
	ck_assert_msg(err == bad_vec[_i].err, "%s: %d", bad_vec[_i].name, err);
	if (err) {
		ck_assert_int_eq(e.pe.status, (int)bad_vec[_i].result);
		ck_assert_uint_eq(e.code, bad_vec[_i].code);
		ck_assert_uint_eq(e.vendor, bad_vec[_i].vendor);
		ck_assert_ptr_nonnull(e.pe.why);
		if (bad_vec[_i].flags & DIAM_FLAG_R)
			check_error_answer(b.data, b.len, &e, e.code);
	}
	buf_close(&b);
}
END_TEST

static const struct {
	uint32_t cmd, app;
	bool req;
	int variant;
	uint32_t result, code, vendor;
} cxbad_vec[] = {
	{ DIAM_CMD_MA, DIAM_APP_CX, true, 0, 5005, 601, 10415 },
	{ DIAM_CMD_SA, DIAM_APP_CX, true, 0, 0, 0, 0 },
	{ DIAM_CMD_SA, DIAM_APP_CX, true, 1, 5009, 1, 0 },
	{ DIAM_CMD_SA, DIAM_APP_CX, false, 2, 5005, 298, 0 },
	{ DIAM_CMD_SA, DIAM_APP_CX, false, 0, 5005, 268, 0 },
	{ 399, DIAM_APP_CX, true, 0, 3001, 0, 0 },
	{ DIAM_CMD_SA, 4, true, 0, 3007, 0, 0 },
};

START_TEST(test_cx_parse_errors)
{
	struct buf b;
	struct diam_msg m;
	struct diam_cx c;
	struct diam_err e;
	int err;

	buf_init(&b);
	cx_raw(&b, cxbad_vec[_i].cmd, cxbad_vec[_i].req, cxbad_vec[_i].variant);
	b.data[8] = (char)(cxbad_vec[_i].app >> 24); /* patch the app id */
	b.data[11] = (char)cxbad_vec[_i].app;
	ck_assert_int_eq(diam_msg_parse(&m, b.data, b.len, NULL), 0);
	memset(&e, 0, sizeof(e));
	err = diam_cx_parse(&m, &c, &e);
	ck_assert_int_eq(err, cxbad_vec[_i].result ? -EBADMSG : 0);
	if (err) {
		ck_assert_int_eq(e.pe.status, (int)cxbad_vec[_i].result);
		ck_assert_uint_eq(e.code, cxbad_vec[_i].code);
		ck_assert_uint_eq(e.vendor, cxbad_vec[_i].vendor);
		if (cxbad_vec[_i].req && cxbad_vec[_i].cmd == 303)
			check_error_answer(b.data, b.len, &e, e.code);
	} else {
		ck_assert(sv_eq(c.server_name, SV("sip:s")));
		ck_assert_uint_eq(c.sat, 1);
	}
	buf_close(&b);
}
END_TEST

/* Nesting: DIAM_MAX_DEPTH Grouped levels parse, one more is 5006. */
START_TEST(test_depth)
{
	for (int depth = DIAM_MAX_DEPTH; depth <= DIAM_MAX_DEPTH + 1; depth++) {
		struct buf b;
		struct diam_msg m;
		struct diam_err e;
		uint8_t h[20] = { 1, 0, 0, 0, 0xc0, 0, 0x01, 0x18 };
		size_t len = 20 + 8 * (size_t)depth;

		buf_init(&b);
		h[3] = (uint8_t)len;
		buf_append(&b, h, sizeof(h));
		for (int i = 0; i < depth; i++) {
			/* Proxy-Info (284) holding the next level */
			uint8_t a[8] = { 0,    0,
					 0x01, 0x1c,
					 0x40, 0,
					 0,    (uint8_t)(8 * (depth - i)) };

			buf_append(&b, a, sizeof(a));
		}
		ck_assert_int_eq(diam_msg_parse(&m, b.data, b.len, &e),
				 depth > DIAM_MAX_DEPTH ? -EBADMSG : 0);
		if (depth > DIAM_MAX_DEPTH)
			ck_assert_int_eq(e.pe.status, 5006);
		buf_close(&b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diam");
	SRunner *sr;
	int failed;
	TCase *tc = tcase_create("codec");

	tcase_add_loop_test(tc, test_dict, 0, (int)ARRAY_SIZE(dict_vec));
	tcase_add_test(tc, test_cer_bytes);
	tcase_add_loop_test(tc, test_cx_roundtrip, 0, (int)ARRAY_SIZE(cx_vec));
	tcase_add_test(tc, test_build_nesting_padding);
	tcase_add_test(tc, test_cx_build_missing);
	tcase_add_loop_test(tc, test_malformed, 0, (int)ARRAY_SIZE(bad_vec));
	tcase_add_loop_test(tc, test_cx_parse_errors, 0,
			    (int)ARRAY_SIZE(cxbad_vec));
	tcase_add_test(tc, test_depth);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
