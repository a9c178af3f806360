/*
 * fuzz_diam.c - libFuzzer target for lib/diam (the Diameter codec, Cx).
 *
 * The input is a byte stream as a Diameter peer reads it: messages are
 * framed one after another (diam_msg_frame), each is parsed and validated
 * (diam_msg_parse), then walked as the peers and the HSS/S-CSCF do: every
 * AVP, Grouped AVPs recursively, the typed readers, lookups, Result-Code,
 * CER/CEA and the Cx accessors. A request gets the answers the peer would
 * build (CEA, DWA, DPA, the error answer with Failed-AVP); a parsed Cx
 * message is rebuilt with diam_cx_build, and what we build must parse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diam/diam.h"
#include "diam/diam_cx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct diam_local local = {
	.host = "hss.fuzz.test", .realm = "fuzz.test", .vendor_id = 10415,
};

static unsigned walk(const struct diam_msg *m, struct diam_iter *it,
		     unsigned depth)
{
	struct diam_avp a;
	struct sockaddr_storage ss;
	unsigned n = 0;

	while (n < 4096 && diam_iter_next(it, &a)) {
		const struct diam_avp_def *def;
		uint32_t u32;
		int32_t i32;
		uint64_t u64;

		n++;
		if ((size_t)a.off + a.len > m->len || a.data.len + 8 > a.len)
			abort(); /* a view outside the message */
		(void)diam_avp_u32(&a, &u32);
		(void)diam_avp_i32(&a, &i32);
		(void)diam_avp_u64(&a, &u64);
		(void)diam_avp_addr(&a, &ss);
		(void)diam_avp_name(a.code, a.vendor);
		def = diam_avp_def_find(a.code, a.vendor);
		/* Grouped AVPs the dictionary knows, and any other payload
		 * tried as one: the cursor must stop cleanly on bytes that
		 * are not AVPs. */
		if (depth < DIAM_MAX_DEPTH + 2 &&
		    (def ? def->type == DIAM_TYPE_GROUPED : a.data.len >= 8)) {
			struct diam_iter g;
			struct diam_avp c;

			diam_iter_group(&g, &a, m);
			n += walk(m, &g, depth + 1);
			(void)diam_avp_find(m, &a, DIAM_AVP_VENDOR_ID, 0, &c);
			(void)diam_avp_find(m, &a, a.code, a.vendor, &c);
		}
	}
	return n;
}

static void answer(const struct diam_msg *m)
{
	struct buf b;

	buf_init(&b);
	switch (m->cmd) {
	case DIAM_CMD_CE:
		(void)diam_cea_build(&b, m, &local, DIAM_SUCCESS);
		break;
	case DIAM_CMD_DW:
		(void)diam_dwa_build(&b, m, &local, DIAM_SUCCESS);
		break;
	case DIAM_CMD_DP:
		(void)diam_dpa_build(&b, m, &local, DIAM_SUCCESS);
		break;
	default:
		break;
	}
	buf_close(&b);
}

static void cx_roundtrip(const struct diam_msg *m)
{
	struct diam_cx cx, again;
	struct diam_err e = { 0 };
	struct diam_msg m2;
	struct buf b;

	if (diam_cx_parse(m, &cx, &e))
		return;
	buf_init(&b);
	if (!diam_cx_build(&b, &cx, cx.hbh, cx.e2e)) {
		/* What we build from what we accepted must parse again. */
		if (diam_msg_parse(&m2, b.data, b.len, &e) ||
		    m2.len != b.len || diam_cx_parse(&m2, &again, &e))
			abort();
	}
	if (cx.request) {
		struct diam_cx ans;

		diam_cx_answer_init(&ans, &cx);
		ans.origin_host = SV("hss.fuzz.test");
		ans.origin_realm = SV("fuzz.test");
		ans.result = DIAM_SUCCESS;
		buf_reset(&b);
		(void)diam_cx_build(&b, &ans, cx.hbh, cx.e2e);
	}
	buf_close(&b);
}

static void one(const uint8_t *p, size_t n)
{
	uint8_t *copy = xmemdup(p, n ? n : 1);
	struct diam_err e = { 0 };
	struct diam_msg m;
	struct diam_iter it;
	struct diam_ce ce;
	struct diam_avp a;
	uint32_t res, vendor;
	bool exp;
	int err;

	err = diam_msg_parse(&m, copy, n, &e);
	if (err) {
		struct buf b;

		if (err != -EBADMSG && err != -EAGAIN)
			abort();
		/* The peer answers a bad request (RFC 6733 §7.2). */
		buf_init(&b);
		if (err == -EBADMSG && n >= DIAM_HDR_LEN)
			(void)diam_error_build(&b, copy, n, &local, &e);
		buf_close(&b);
		goto out;
	}
	if (m.len > n || m.len < DIAM_HDR_LEN)
		abort();
	diam_iter_msg(&it, &m);
	walk(&m, &it, 0);
	(void)diam_msg_find(&m, DIAM_AVP_SESSION_ID, 0, &a);
	(void)diam_msg_result(&m, &res, &exp, &vendor);
	(void)diam_cmd_name(m.cmd, m.flags & DIAM_FLAG_R);
	memset(&e, 0, sizeof(e));
	if (m.cmd == DIAM_CMD_CE)
		(void)diam_ce_parse(&m, &ce, &e);
	if (m.flags & DIAM_FLAG_R)
		answer(&m);
	cx_roundtrip(&m);
out:
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (unsigned i = 0; i < 32 && off < size; i++) {
		struct diam_err e = { 0 };
		size_t len = 0;
		int err = diam_msg_frame(data + off, size - off, &len, &e);

		if (err) {
			if (err != -EAGAIN && err != -EBADMSG)
				abort();
			/* The rest, as it is, still goes to the parser. */
			one(data + off, size - off);
			break;
		}
		if (!len || len > size - off)
			abort();
		one(data + off, len);
		off += len;
	}
	return 0;
}
