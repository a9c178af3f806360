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

/* ---- helpers ------------------------------------------------------------- */

/* Hex (spaces ignored) appended to b. */
static void hex_put(struct buf *b, const char *hex)
{
	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		ck_assert(sscanf(p, "%2x", &v) == 1);
		buf_append(b, &(uint8_t){ (uint8_t)v }, 1);
		p += 2;
	}
}

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static const struct diam_local test_local = {
	.host = "hss.ims.test",
	.realm = "ims.test",
	.product = "imstb",
	.vendor_id = 0,
	.origin_state_id = 1,
};

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

/* Builds the AVPs of a Cx message by hand (to break its CCF). */
static void cx_raw(struct buf *b, uint32_t cmd, bool req, int variant)
{
	struct diam_build bd;

	diam_build_start(&bd, b, req ? 0xc0 : 0x40, cmd, DIAM_APP_CX, 1, 2);
	diam_put_str(&bd, DIAM_AVP_SESSION_ID, "s;1;1");
	diam_group_begin(&bd, DIAM_AVP_VENDOR_SPECIFIC_APPLICATION_ID);
	diam_put_u32(&bd, DIAM_AVP_VENDOR_ID, DIAM_VENDOR_3GPP);
	diam_put_u32(&bd, DIAM_AVP_AUTH_APPLICATION_ID, DIAM_APP_CX);
	diam_group_end(&bd);
	if (variant == 2) {
		diam_group_begin(&bd, DIAM_AVP_EXPERIMENTAL_RESULT);
		diam_put_u32(&bd, DIAM_AVP_VENDOR_ID, DIAM_VENDOR_3GPP);
		diam_group_end(&bd);
	}
	diam_put_u32(&bd, DIAM_AVP_AUTH_SESSION_STATE, 1);
	diam_put_str(&bd, DIAM_AVP_ORIGIN_HOST, "h");
	diam_put_str(&bd, DIAM_AVP_ORIGIN_REALM, "r");
	diam_put_str(&bd, DIAM_AVP_DESTINATION_REALM, "r");
	diam_put_str(&bd, DIAM_AVP_USER_NAME, "u");
	if (variant == 1)
		diam_put_str(&bd, DIAM_AVP_USER_NAME, "u2");
	diam_put_str(&bd, DIAM_AVP_SERVER_NAME, "sip:s");
	diam_put_u32(&bd, DIAM_AVP_SERVER_ASSIGNMENT_TYPE, 1);
	diam_put_u32(&bd, DIAM_AVP_USER_DATA_ALREADY_AVAILABLE, 0);
	ck_assert_int_eq(diam_build_finish(&bd), 0);
}

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

/* ---- peer on loopback ---------------------------------------------------- */

enum { SRV = 0, CLI = 1 };

struct ptest {
	uv_loop_t loop;
	uv_timer_t guard, tick;
	struct diam_server *srv;
	struct diam_peer *cli;
	struct diam_conf sconf, cconf;
	struct sockaddr_storage addr;
	int step;
	uint64_t when;
	int opens, closes, srv_reqs;
	int maa_status, timeout_status;
	uint32_t maa_result;
	char ha1[40];
	/* [side][dir][cmd: CE DW DP MA other][request?] */
	int cnt[2][2][5][2];
};

static int cmd_index(uint32_t cmd)
{
	static const uint32_t cmds[] = { 257, 280, 282, 303 };

	for (int i = 0; i < 4; i++)
		if (cmds[i] == cmd)
			return i;
	return 4;
}

static void count(struct ptest *t, int side, enum diam_dir dir, const void *raw,
		  size_t len)
{
	const uint8_t *b = raw;

	if (len < 20)
		return;
	t->cnt[side][dir][cmd_index(be32(b + 4) & 0xffffff)]
	      [!!(b[4] & DIAM_FLAG_R)]++;
}

static void srv_trace(void *arg, enum diam_dir dir, const struct sockaddr *l,
		      const struct sockaddr *r, const void *raw, size_t len)
{
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(r);
	count(arg, SRV, dir, raw, len);
}

static void cli_trace(void *arg, enum diam_dir dir, const struct sockaddr *l,
		      const struct sockaddr *r, const void *raw, size_t len)
{
	UNUSED(l);
	UNUSED(r);
	count(arg, CLI, dir, raw, len);
}

static void srv_request(struct diam_peer *p, const struct diam_msg *req,
			const struct diam_cx *cx, void *arg)
{
	struct ptest *t = arg;
	struct diam_cx a;

	UNUSED(req);
	t->srv_reqs++;
	ck_assert_uint_eq(cx->cmd, DIAM_CMD_MA);
	ck_assert(sv_eq(diam_peer_host(p), SV("scscf.ims.test")));
	if (sv_eq(cx->user_name, SV("silent")))
		return; /* never answered: the client must time out */
	diam_cx_answer_init(&a, cx);
	a.result = DIAM_SUCCESS;
	a.user_name = cx->user_name;
	a.public_identity = cx->public_identity;
	a.has_num_auth_items = true;
	a.num_auth_items = 1;
	a.n_auth = 1;
	a.auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	a.auth[0].realm = SV("ims.test");
	a.auth[0].algorithm = SV("MD5");
	a.auth[0].qop = SV("auth");
	a.auth[0].ha1 = SV("8d7b0f7a27e2ce1d2a0a1c2f3e4d5c6b");
	ck_assert_int_eq(diam_peer_send_answer_cx(p, &a), 0);
}

static void cli_state(struct diam_peer *p, bool open, void *arg)
{
	struct ptest *t = arg;

	UNUSED(p);
	if (open)
		t->opens++;
	else
		t->closes++;
}

static void on_maa(struct diam_peer *p, int status, const struct diam_msg *m,
		   const struct diam_cx *cx, void *arg)
{
	struct ptest *t = arg;

	UNUSED(p);
	t->maa_status = status;
	if (status == 0) {
		ck_assert_ptr_nonnull(m);
		t->maa_result = cx->result;
		ck_assert_uint_eq(cx->n_auth, 1);
		sv_copy(cx->auth[0].ha1, t->ha1, sizeof(t->ha1));
	}
	t->step++;
}

static void on_silent(struct diam_peer *p, int status, const struct diam_msg *m,
		      const struct diam_cx *cx, void *arg)
{
	struct ptest *t = arg;

	UNUSED(p);
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(cx);
	t->timeout_status = status;
	t->step++;
}

static void send_mar(struct ptest *t, const char *user, diam_answer_cb *cb)
{
	struct diam_cx c;

	memset(&c, 0, sizeof(c));
	c.cmd = DIAM_CMD_MA;
	c.dest_realm = SV("ims.test");
	c.user_name = sv_from_cstr(user);
	c.public_identity = SV("sip:alice@ims.test");
	c.server_name = SV("sip:scscf.ims.test");
	c.num_auth_items = 1;
	c.n_auth = 1;
	c.auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	ck_assert_int_eq(diam_peer_send_request_cx(t->cli, &c, cb, t), 0);
}

static void on_guard(uv_timer_t *g)
{
	struct ptest *t = g->data;

	ck_abort_msg("peer test stuck at step %d", t->step);
}

static void ptest_init(struct ptest *t, uv_timer_cb tick)
{
	struct sockaddr_in sin;
	struct diam_handlers sh = { srv_request, NULL, srv_trace, t };

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->guard);
	uv_timer_init(&t->loop, &t->tick);
	t->guard.data = t->tick.data = t;
	uv_timer_start(&t->guard, on_guard, 5000, 0);
	uv_timer_start(&t->tick, tick, 5, 5);
	t->sconf.local = test_local;
	t->cconf.local = test_local;
	t->cconf.local.host = "scscf.ims.test";
	t->cconf.watchdog_ms = 40;
	t->cconf.request_timeout_ms = 150;
	t->cconf.reconnect_min_ms = 10;
	t->cconf.reconnect_max_ms = 40;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(diam_server_new(&t->srv, &t->loop, &t->sconf, &sh,
					 (struct sockaddr *)&sin),
			 0);
	ck_assert_int_eq(diam_server_addr(t->srv, &t->addr), 0);
}

static void ptest_end(struct ptest *t)
{
	diam_server_free(t->srv);
	t->srv = NULL;
	uv_close((uv_handle_t *)&t->tick, NULL);
	uv_close((uv_handle_t *)&t->guard, NULL);
}

static void ptest_run(struct ptest *t)
{
	ck_assert_int_eq(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
	/* Every handle is closed: nothing leaked (libuv's own check). */
	ck_assert_int_eq(uv_loop_close(&t->loop), 0);
}

static void client_start(struct ptest *t)
{
	struct diam_handlers ch = { NULL, cli_state, cli_trace, t };

	ck_assert_int_eq(diam_peer_connect(&t->cli, &t->loop, &t->cconf, &ch,
					   (struct sockaddr *)&t->addr),
			 0);
}

static void loopback_tick(uv_timer_t *h)
{
	struct ptest *t = h->data;

	switch (t->step) {
	case 0:
		if (!diam_peer_is_open(t->cli))
			return;
		t->step = 1;
		send_mar(t, "alice@ims.test", on_maa);
		break;
	case 2: /* MAA in */
		t->step = 3;
		send_mar(t, "silent", on_silent);
		break;
	case 4: /* timed out; now wait for one DWR/DWA round */
		if (!t->cnt[CLI][DIAM_SEND][1][1] ||
		    !t->cnt[CLI][DIAM_RECV][1][0])
			return;
		t->step = 5;
		diam_peer_free(t->cli); /* DPR */
		t->cli = NULL;
		break;
	case 5:
		if (!t->cnt[CLI][DIAM_RECV][2][0])
			return;
		t->step = 6;
		ptest_end(t);
		break;
	default:
		break;
	}
}

START_TEST(test_peer_loopback)
{
	struct ptest t;

	ptest_init(&t, loopback_tick);
	client_start(&t);
	ptest_run(&t);
	ck_assert_int_eq(t.opens, 1);
	ck_assert_int_eq(t.maa_status, 0);
	ck_assert_uint_eq(t.maa_result, DIAM_SUCCESS);
	ck_assert_str_eq(t.ha1, "8d7b0f7a27e2ce1d2a0a1c2f3e4d5c6b");
	ck_assert_int_eq(t.timeout_status, -ETIMEDOUT);
	ck_assert_int_eq(t.srv_reqs, 2);
	/* CER out, CEA in; server saw the same from its side */
	ck_assert_int_eq(t.cnt[CLI][DIAM_SEND][0][1], 1);
	ck_assert_int_eq(t.cnt[CLI][DIAM_RECV][0][0], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_RECV][0][1], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_SEND][0][0], 1);
	/* DWR answered by DWA */
	ck_assert_int_ge(t.cnt[SRV][DIAM_SEND][1][0], 1);
	/* DPR/DPA on close */
	ck_assert_int_eq(t.cnt[CLI][DIAM_SEND][2][1], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_RECV][2][1], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_SEND][2][0], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_RECV][3][1], 2);
	ck_assert_int_eq(t.cnt[SRV][DIAM_SEND][3][0], 1);
}
END_TEST

/* The client starts before the server exists: it must retry with backoff,
 * keep the request queued and send it once the CER/CEA exchange is done. */
static void reconnect_tick(uv_timer_t *h)
{
	struct ptest *t = h->data;
	struct diam_handlers sh = { srv_request, NULL, srv_trace, t };

	switch (t->step) {
	case 0:
		if (uv_now(&t->loop) < t->when)
			return;
		ck_assert_int_eq(diam_server_new(&t->srv, &t->loop, &t->sconf,
						 &sh,
						 (struct sockaddr *)&t->addr),
				 0);
		t->step = 1; /* on_maa moves to 2 */
		break;
	case 2:
		t->step = 3;
		diam_peer_free(t->cli);
		t->cli = NULL;
		break;
	case 3:
		if (!t->cnt[SRV][DIAM_RECV][2][1])
			return;
		t->step = 4;
		ptest_end(t);
		break;
	default:
		break;
	}
}

START_TEST(test_peer_reconnect)
{
	struct ptest t;

	ptest_init(&t, reconnect_tick);
	/* Free the port, and come back to it 150 ms later. */
	diam_server_free(t.srv);
	t.srv = NULL;
	t.cconf.request_timeout_ms = 2000;
	client_start(&t);
	send_mar(&t, "alice@ims.test", on_maa);
	t.when = uv_now(&t.loop) + 150;
	ptest_run(&t);
	ck_assert_int_eq(t.maa_status, 0);
	ck_assert_int_eq(t.opens, 1);
	ck_assert_int_eq(t.cnt[CLI][DIAM_SEND][0][1], 1);
	ck_assert_int_eq(t.srv_reqs, 1);
}
END_TEST

/* A raw TCP client that sends hand-made messages, one per answer. */
struct raw {
	struct ptest *t;
	uv_tcp_t tcp;
	uv_connect_t creq;
	struct buf rx;
	char rbuf[4096];
	int conn; /* 1: no CER first; 2: CER then broken requests */
	int got;  /* answers received on this connection */
	uint32_t results[8];
	uint32_t failed[8]; /* code in Failed-AVP, 0 if none */
	bool eflag[8];
	bool eof;
};

static void raw_send(struct raw *r)
{
	struct buf b;
	uv_buf_t ub;

	buf_init(&b);
	if (r->conn == 1) {
		if (r->got) {
			buf_close(&b);
			return;
		}
		cx_raw(&b, DIAM_CMD_SA, true, 0); /* not a CER */
	} else if (r->got == 0) {
		ck_assert_int_eq(diam_cer_build(&b, &test_local, 5, 5), 0);
	} else if (r->got == 1) {
		cx_raw(&b, DIAM_CMD_SA, true, 0);
		/* the last AVP (624, 16 bytes) claims 127 */
		b.data[b.len - 16 + 7] = 0x7f;
	} else if (r->got == 2) {
		cx_raw(&b, DIAM_CMD_MA, true, 0); /* no Public-Identity */
	} else if (r->got == 3) {
		cx_raw(&b, DIAM_CMD_SA, true, 0);
		b.data[11] = 4; /* application 16777220 */
	} else if (r->got == 4) {
		cx_raw(&b, DIAM_CMD_SA, true, 0);
		b.data[0] = 2; /* version 2: framing is lost */
	} else {
		buf_close(&b);
		return;
	}
	ub = uv_buf_init(b.data, (unsigned)b.len);
	ck_assert_int_eq(uv_try_write((uv_stream_t *)&r->tcp, &ub, 1),
			 (int)b.len);
	buf_close(&b);
}

static void raw_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	struct raw *r = h->data;

	UNUSED(n);
	*b = uv_buf_init(r->rbuf, sizeof(r->rbuf));
}

static void raw_closed(uv_handle_t *h)
{
	struct raw *r = h->data;

	ptest_end(r->t);
}

static void raw_connect(struct raw *r);

static void raw_reconnect(uv_handle_t *h)
{
	struct raw *r = h->data;

	r->conn = 2;
	r->got = 0;
	raw_connect(r);
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *ub)
{
	struct raw *r = s->data;
	struct diam_msg m;
	struct diam_avp f, c;
	size_t len;
	uint32_t v;
	bool exp;

	if (n < 0) { /* the server closed: next connection, or done */
		r->eof = true;
		if (r->conn == 1) {
			uv_close((uv_handle_t *)&r->tcp, raw_reconnect);
		} else {
			uv_close((uv_handle_t *)&r->tcp, raw_closed);
		}
		return;
	}
	buf_append(&r->rx, ub->base, (size_t)n);
	while (diam_msg_frame(r->rx.data, r->rx.len, &len, NULL) == 0) {
		int i = (r->conn - 1) * 1 + r->got;

		ck_assert_int_eq(diam_msg_parse(&m, r->rx.data, len, NULL), 0);
		ck_assert_int_eq(diam_msg_result(&m, &r->results[i], &exp, &v),
				 0);
		r->eflag[i] = m.flags & DIAM_FLAG_E;
		if (diam_msg_find(&m, DIAM_AVP_FAILED_AVP, 0, &f) == 0 &&
		    diam_iter_next(
			    &(struct diam_iter){ (const uint8_t *)f.data.p,
						 (const uint8_t *)f.data.p +
							 f.data.len,
						 m.raw },
			    &c))
			r->failed[i] = c.code;
		buf_consume(&r->rx, len);
		r->got++;
		raw_send(r);
	}
}

static void raw_connected(uv_connect_t *req, int status)
{
	struct raw *r = req->data;

	ck_assert_int_eq(status, 0);
	uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
	raw_send(r);
}

static void raw_connect(struct raw *r)
{
	buf_reset(&r->rx);
	uv_tcp_init(&r->t->loop, &r->tcp);
	r->tcp.data = r;
	r->creq.data = r;
	ck_assert_int_eq(uv_tcp_connect(&r->creq, &r->tcp,
					(struct sockaddr *)&r->t->addr,
					raw_connected),
			 0);
}

static void idle_tick(uv_timer_t *h)
{
	UNUSED(h);
}

START_TEST(test_peer_malformed)
{
	static const uint32_t want[] = { 3010, 2001, 5014, 5005, 3007, 5011 };
	static const uint32_t want_failed[] = { 0, 0, 624, 601, 0, 0 };
	struct ptest t;
	struct raw r;

	ptest_init(&t, idle_tick);
	memset(&r, 0, sizeof(r));
	r.t = &t;
	r.conn = 1;
	buf_init(&r.rx);
	raw_connect(&r);
	ptest_run(&t);
	buf_close(&r.rx);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		ck_assert_uint_eq(r.results[i], want[i]);
		ck_assert_uint_eq(r.failed[i], want_failed[i]);
		ck_assert_int_eq(r.eflag[i], want[i] / 1000 == 3);
	}
	ck_assert(r.eof);
	ck_assert_int_eq(t.srv_reqs, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diam");
	TCase *tc = tcase_create("codec");
	TCase *tp = tcase_create("peer");
	SRunner *sr;
	int failed;

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
	tcase_set_timeout(tp, 10);
	tcase_add_test(tp, test_peer_loopback);
	tcase_add_test(tp, test_peer_reconnect);
	tcase_add_test(tp, test_peer_malformed);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
