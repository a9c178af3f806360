/*
 * check_sip.c - unit tests for lib/sip, the SIP codec.
 *
 * Table-driven (vectors in tests/unit/vectors/sip/). Every parser vector is
 * parsed as a datagram and also fed to sip_msg_frame one prefix at a time,
 * which must answer -EAGAIN until the message is complete (picohttpparser
 * style), then the framed message is parsed again as stream input.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sip/sip.h"

#include "vectors/sip/parse.inc"
#include "vectors/sip/elems.inc"

#define SV_IS(v, s, ...) \
	ck_assert_msg(sv_eq_cstr((v), (s)), __VA_ARGS__)

/* ---- input building ----------------------------------------------------- */

static void gen_std(struct buf *b, size_t clen)
{
	buf_puts(b, RL_REG H_VIA H_FROM H_TO H_CID H_CSEQ H_MF);
	buf_printf(b, "Content-Length: %zu\r\n", clen);
}

static char *gen_input(const struct pv *v, size_t *len)
{
	struct buf b;

	if (v->gen == GEN_NONE) {
		char *p = xmalloc(v->len + 1);

		memcpy(p, v->in, v->len);
		p[v->len] = '\0'; /* for strstr() on .at */
		*len = v->len;
		return p;
	}
	buf_init(&b);
	switch (v->gen) {
	case GEN_HDRS_MAX:
	case GEN_HDRS_OVER:
		gen_std(&b, 0);
		for (int i = 7; i < SIP_MAX_HEADERS + (v->gen == GEN_HDRS_OVER);
		     i++)
			buf_printf(&b, "X-Pad: %d\r\n", i);
		buf_puts(&b, "\r\n");
		break;
	case GEN_LINE_MAX:
	case GEN_LINE_OVER:
		gen_std(&b, 0);
		buf_puts(&b, "Subject: ");
		for (int i = 9; i < SIP_MAX_LINE + (v->gen == GEN_LINE_OVER);
		     i++)
			buf_puts(&b, "x");
		buf_puts(&b, "\r\n\r\n");
		break;
	case GEN_BIG_UDP:
		gen_std(&b, 70000);
		buf_puts(&b, "\r\n");
		for (int i = 0; i < 70000; i++)
			buf_puts(&b, "x");
		break;
	default: /* GEN_BIG_HEAD */
		gen_std(&b, 0);
		for (int i = 0; i < 9; i++) {
			buf_printf(&b, "X-Big-%d: ", i);
			for (int k = 0; k < 8000; k++)
				buf_puts(&b, "x");
			buf_puts(&b, "\r\n");
		}
		buf_puts(&b, "\r\n");
		break;
	}
	return buf_steal(&b, len);
}

/* ---- expectations -------------------------------------------------------- */

static size_t list_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_list_iter it = { 0 };
	struct sv el;
	size_t n = 0;

	while (sip_list_iter_next(m, id, &it, &el))
		n++;
	return n;
}

static long num(const char *s)
{
	return strtol(s, NULL, 10);
}

static void expect_one(const char *vn, const struct sip_msg *m,
		       const char *k, const char *val)
{
	const struct sip_hdr *h;
	struct sip_addr a;

#define IS(key) (strcmp(k, (key)) == 0)
#define SVEQ(v) SV_IS((v), val, "%s: %s='%.*s', want '%s'", vn, k, \
		      SV_ARG(v), val)
#define NUMEQ(x) ck_assert_msg((long)(x) == num(val), \
			       "%s: %s=%ld, want %s", vn, k, (long)(x), val)
	if (IS("method")) {
		ck_assert(m->is_request);
		SVEQ(m->method_str);
		ck_assert_str_eq(sip_method_name(m->method), val);
	} else if (IS("other")) {
		ck_assert(m->is_request);
		SVEQ(m->method_str);
		ck_assert_int_eq(m->method, SIP_METHOD_OTHER);
	} else if (IS("status")) {
		ck_assert(!m->is_request);
		NUMEQ(m->status);
	} else if (IS("reason")) {
		SVEQ(m->reason);
	} else if (IS("ruri")) {
		SVEQ(m->ruri.host);
	} else if (IS("ruser")) {
		SVEQ(m->ruri.user);
	} else if (IS("ruport")) {
		NUMEQ(m->ruri.port);
	} else if (IS("rscheme")) {
		ck_assert_int_eq(m->ruri.scheme,
				 strcmp(val, "tel") == 0	? SIP_URI_TEL
				 : strcmp(val, "sips") == 0 ? SIP_URI_SIPS
							    : SIP_URI_SIP);
	} else if (IS("cid")) {
		SVEQ(m->call_id);
	} else if (IS("branch")) {
		SVEQ(m->via.branch);
	} else if (IS("transport")) {
		SVEQ(m->via.transport);
	} else if (IS("vhost")) {
		SVEQ(m->via.host);
	} else if (IS("vport")) {
		NUMEQ(m->via.port);
	} else if (IS("received")) {
		SVEQ(m->via.received);
	} else if (IS("rport")) {
		ck_assert(m->via.has_rport);
		NUMEQ(m->via.rport);
	} else if (IS("ftag")) {
		SVEQ(m->from_tag);
	} else if (IS("ttag")) {
		SVEQ(m->to_tag);
	} else if (IS("fdisp")) {
		SVEQ(m->from.display);
	} else if (IS("tdisp")) {
		SVEQ(m->to.display);
	} else if (IS("mf")) {
		NUMEQ(m->max_forwards);
	} else if (IS("cseq")) {
		NUMEQ(m->cseq);
	} else if (IS("cmeth")) {
		SVEQ(m->cseq_method);
	} else if (IS("clen")) {
		NUMEQ(m->content_length);
	} else if (IS("blen")) {
		NUMEQ(m->body.len);
	} else if (IS("body")) {
		SVEQ(m->body);
	} else if (IS("nhdrs")) {
		NUMEQ(m->nhdrs);
	} else if (IS("vias")) {
		NUMEQ(list_count(m, SIP_HDR_VIA));
	} else if (IS("contacts")) {
		NUMEQ(list_count(m, SIP_HDR_CONTACT));
	} else if (IS("pau")) {
		NUMEQ(list_count(m, SIP_HDR_P_ASSOCIATED_URI));
	} else if (IS("path")) {
		NUMEQ(list_count(m, SIP_HDR_PATH));
	} else if (IS("service-route")) {
		NUMEQ(list_count(m, SIP_HDR_SERVICE_ROUTE));
	} else if (IS("star")) {
		struct sip_list_iter it = { 0 };
		struct sv el;

		ck_assert(sip_list_iter_next(m, SIP_HDR_CONTACT, &it, &el));
		ck_assert_int_eq(sip_addr_parse(&a, el, NULL), 0);
		NUMEQ(a.star);
	} else if (IS("supported")) {
		ck_assert(sip_msg_has_option(m, SIP_HDR_SUPPORTED, val));
	} else if (IS("require")) {
		ck_assert(sip_msg_has_option(m, SIP_HDR_REQUIRE, val));
	} else if (IS("proxy-require")) {
		ck_assert(sip_msg_has_option(m, SIP_HDR_PROXY_REQUIRE, val));
	} else if (IS("hdr")) {
		ck_assert_msg(sip_hdr_find_name(m, val), "%s: no %s", vn, val);
	} else if (IS("subject")) {
		h = sip_hdr_find_name(m, "Subject");
		ck_assert_ptr_nonnull(h);
		SVEQ(h->value);
	} else {
		ck_abort_msg("%s: unknown expectation key %s", vn, k);
	}
#undef IS
#undef SVEQ
#undef NUMEQ
}

static void expect_all(const char *vn, const struct sip_msg *m,
		       const char *exp)
{
	while (exp && *exp) {
		const char *bar = strchr(exp, '|');
		size_t n = bar ? (size_t)(bar - exp) : strlen(exp);
		const char *eq = memchr(exp, '=', n);
		char key[32], val[256];

		ck_assert_msg(eq && (size_t)(eq - exp) < sizeof(key) &&
				      n < sizeof(val),
			      "%s: bad expectation", vn);
		memcpy(key, exp, (size_t)(eq - exp));
		key[eq - exp] = '\0';
		memcpy(val, eq + 1, n - (size_t)(eq - exp) - 1);
		val[n - (size_t)(eq - exp) - 1] = '\0';
		expect_one(vn, m, key, val);
		exp = bar ? bar + 1 : NULL;
	}
}

static void check_parse_result(const struct pv *v, const struct sip_msg *m,
			       const char *in, int err, const struct perr *e,
			       const char *mode)
{
	ck_assert_msg(err == v->err, "%s (%s): err %d (%s at %zu), want %d",
		      v->name, mode, err, err ? e->why : "-", e->offset,
		      v->err);
	if (err) {
		ck_assert_str_eq(e->why, v->why);
		ck_assert_int_eq(e->status, v->status);
		if (v->at) {
			const char *at = strstr(in, v->at);

			ck_assert_ptr_nonnull(at);
			ck_assert_msg(e->offset == (size_t)(at - in),
				      "%s: offset %zu, want %td", v->name,
				      e->offset, at - in);
		}
		return;
	}
	ck_assert_msg(v->expect != NULL, "%s: no expectations", v->name);
	expect_all(v->name, m, v->expect);
}

/* ---- the parser vectors -------------------------------------------------- */

START_TEST(test_parse_vec)
{
	const struct pv *v = &pvec[_i];
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct perr e = { 0 }, fe = { 0 };
	size_t len, end, skip = 0, ml = 0, step, first_done = 0;
	/* Exactly sized copies, so ASan sees any read past the input. */
	char *in = gen_input(v, &len), *copy = xmemdup(in, len);
	bool done = false;
	int err;

	err = sip_msg_parse(m, copy, len, false, &e);
	check_parse_result(v, m, in, err, &e, "datagram");

	/* Every prefix: -EAGAIN until complete; once an answer is given,
	 * every longer prefix gives the same one. */
	end = v->frame_end ? v->frame_end : len;
	step = len > 4096 ? len / 61 + 1 : 1;
	for (size_t k = 0;; k = k + step < len ? k + step : len) {
		char *pre = xmemdup(in, k);
		int r = sip_msg_frame(pre, k, &skip, &ml, &fe);

		free(pre);
		if (r == -EAGAIN) {
			ck_assert_msg(!done, "%s: -EAGAIN at %zu after an "
				      "answer at %zu", v->name, k, first_done);
		} else {
			if (!done) {
				done = true;
				first_done = k;
			}
			ck_assert_msg(r == v->frame,
				      "%s: frame %d at %zu, want %d", v->name,
				      r, k, v->frame);
		}
		if (r == 0) {
			ck_assert_uint_eq(skip + ml, end);
			ck_assert_uint_ge(k, end);
		} else if (r == -EBADMSG) {
			ck_assert_str_eq(fe.why, v->fwhy);
			ck_assert_int_eq(fe.status,
					 v->fstatus ? v->fstatus : 400);
		}
		if (k == len)
			break;
	}
	if (v->frame == -EAGAIN)
		ck_assert_msg(!done, "%s: framed, want -EAGAIN", v->name);
	else
		ck_assert_msg(done, "%s: never framed", v->name);
	if (v->frame == 0 && step == 1)
		ck_assert_uint_eq(first_done, end); /* not one byte later */

	if (v->frame == 0) {
		free(copy);
		copy = xmemdup(in + skip, ml);
		err = sip_msg_parse(m, copy, ml, true, &e);
		check_parse_result(v, m, in + skip, err, &e, "stream");
	}
	free(copy);
	free(in);
	free(m);
}
END_TEST

/* Two messages back to back, with RFC 5626 keep-alives around them, fed
 * in one go and then one byte at a time. */
#define MSG_A RL_REG H_VIA H_FROM H_TO "Call-ID: msg-a\r\n" H_CSEQ \
	"Content-Length: 5\r\n\r\nhello"
#define MSG_B "SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO "Call-ID: msg-b\r\n" \
	H_CSEQ "l: 0\r\n\r\n"
static const char stream_in[] = "\r\n\r\n" MSG_A "\r\n" MSG_B "\r\n\r\n";

START_TEST(test_frame_back_to_back)
{
	static const char *const ids[] = { "msg-a", "msg-b" };
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct buf b;
	size_t skip, ml, got = 0;
	struct perr e;
	int r;

	buf_init(&b);
	/* _i == 0: all at once; _i == 1: one byte at a time. */
	for (size_t fed = 0; fed < sizeof(stream_in) - 1;) {
		size_t n = _i ? 1 : sizeof(stream_in) - 1;

		buf_append(&b, stream_in + fed, n);
		fed += n;
		while ((r = sip_msg_frame(b.data, b.len, &skip, &ml, &e)) ==
		       0) {
			ck_assert_uint_lt(got, 2);
			if (!_i) /* else consumed while waiting */
				ck_assert_uint_eq(skip, got ? 2 : 4);
			ck_assert_int_eq(sip_msg_parse(m, b.data + skip, ml,
						       true, &e), 0);
			SV_IS(m->call_id, ids[got], "call-id");
			ck_assert_uint_eq(m->raw.len, ml);
			got++;
			buf_consume(&b, skip + ml);
		}
		ck_assert_int_eq(r, -EAGAIN);
		buf_consume(&b, skip); /* keep-alives need no message */
	}
	ck_assert_uint_eq(got, 2);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(sip_msg_frame("\r\n\r\n", 4, &skip, &ml, &e), -EAGAIN);
	ck_assert_uint_eq(skip, 4);
	buf_close(&b);
	free(m);
}
END_TEST

START_TEST(test_stream_needs_content_length)
{
	char in[] = RL_REG H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n";
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct perr e = { 0 };

	ck_assert_int_eq(sip_msg_parse(m, in, sizeof(in) - 1, true, &e),
			 -EBADMSG);
	ck_assert_str_eq(e.why, "Missing Content-Length");
	ck_assert_int_eq(sip_msg_parse(m, in, sizeof(in) - 1, false, &e), 0);
	ck_assert_int_eq(sip_msg_parse(NULL, in, 1, false, &e), -EINVAL);
	free(m);
}
END_TEST

/* ---- element parsers ----------------------------------------------------- */

START_TEST(test_uri_vec)
{
	const struct uv *v = &uvec[_i];
	struct sip_uri u;
	struct perr e = { 0 };
	int err = sip_uri_parse(&u, sv_from_cstr(v->in), &e);

	ck_assert_msg(err == v->err, "%s: %d (%s)", v->in, err, e.why);
	if (err) {
		ck_assert_int_eq(e.status, v->status);
		ck_assert_uint_le(e.offset, strlen(v->in));
		return;
	}
	ck_assert_int_eq(u.scheme, v->scheme);
	SV_IS(u.user, v->user, "%s user", v->in);
	SV_IS(u.password, v->password, "%s password", v->in);
	SV_IS(u.host, v->host, "%s host", v->in);
	ck_assert_int_eq(u.host_is_v6, v->v6);
	ck_assert_uint_eq(u.port, v->port);
	SV_IS(u.params, v->params, "%s params", v->in);
	SV_IS(u.headers, v->headers, "%s headers", v->in);
}
END_TEST

START_TEST(test_addr_vec)
{
	const struct av *v = &avec[_i];
	struct sip_addr a;
	struct perr e = { 0 };
	int err = sip_addr_parse(&a, sv_from_cstr(v->in), &e);

	ck_assert_msg(err == v->err, "%s: %d (%s)", v->in, err, e.why);
	if (err) {
		ck_assert_ptr_nonnull(e.why);
		return;
	}
	ck_assert_int_eq(a.star, v->star);
	SV_IS(a.display, v->display, "%s display", v->in);
	SV_IS(a.uri_str, v->uri_str, "%s uri", v->in);
	SV_IS(a.params, v->params, "%s params", v->in);
	if (!v->star) {
		SV_IS(a.uri.host, v->host, "%s host", v->in);
		SV_IS(a.uri.params, v->uparams, "%s uri params", v->in);
	}
}
END_TEST

START_TEST(test_via_vec)
{
	const struct vv *v = &vvec[_i];
	struct sip_via via;
	struct perr e = { 0 };
	int err = sip_via_parse(&via, sv_from_cstr(v->in), &e);

	ck_assert_msg(err == v->err, "%s: %d (%s)", v->in, err, e.why);
	if (err)
		return;
	SV_IS(via.transport, v->transport, "%s transport", v->in);
	SV_IS(via.host, v->host, "%s host", v->in);
	ck_assert_uint_eq(via.port, v->port);
	SV_IS(via.branch, v->branch, "%s branch", v->in);
	SV_IS(via.received, v->received, "%s received", v->in);
	ck_assert_int_eq(via.has_rport, v->has_rport);
	ck_assert_uint_eq(via.rport, v->rport);
}
END_TEST

START_TEST(test_param_vec)
{
	struct sv val = SV_NULL;
	int err = sip_param_get(sv_from_cstr(parvec[_i].params),
				parvec[_i].name, &val);

	ck_assert_int_eq(err, parvec[_i].err);
	ck_assert_int_eq(sip_param_has(sv_from_cstr(parvec[_i].params),
				       parvec[_i].name), err == 0);
	if (!err)
		SV_IS(val, parvec[_i].value, "%s", parvec[_i].name);
}
END_TEST

START_TEST(test_list_vec)
{
	struct sv rest = sv_from_cstr(lvec[_i].in), el;
	struct buf b;

	buf_init(&b);
	while (sip_list_next(&rest, &el)) {
		if (b.len)
			buf_puts(&b, "|");
		buf_putsv(&b, el);
	}
	ck_assert_str_eq(b.len ? b.data : "", lvec[_i].out);
	buf_close(&b);
}
END_TEST

START_TEST(test_uri_eq_vec)
{
	struct sip_uri a, b;

	ck_assert_int_eq(sip_uri_parse(&a, sv_from_cstr(eqvec[_i].a), NULL), 0);
	ck_assert_int_eq(sip_uri_parse(&b, sv_from_cstr(eqvec[_i].b), NULL), 0);
	ck_assert_msg(sip_uri_eq(&a, &b) == eqvec[_i].eq, "%s vs %s",
		      eqvec[_i].a, eqvec[_i].b);
	ck_assert_msg(sip_uri_eq(&b, &a) == eqvec[_i].eq, "%s vs %s",
		      eqvec[_i].b, eqvec[_i].a);
	ck_assert(sip_uri_eq(&a, &a));
}
END_TEST

/* ---- tables and lookups -------------------------------------------------- */

START_TEST(test_tables)
{
	static const struct {
		const char *name;
		enum sip_hdr_id id;
	} compact[] = {
		{ "i", SIP_HDR_CALL_ID }, { "M", SIP_HDR_CONTACT },
		{ "e", SIP_HDR_CONTENT_ENCODING },
		{ "l", SIP_HDR_CONTENT_LENGTH },
		{ "c", SIP_HDR_CONTENT_TYPE }, { "o", SIP_HDR_EVENT },
		{ "f", SIP_HDR_FROM }, { "k", SIP_HDR_SUPPORTED },
		{ "t", SIP_HDR_TO }, { "V", SIP_HDR_VIA },
		{ "s", SIP_HDR_OTHER }, { "x", SIP_HDR_OTHER },
		{ "X-Foo", SIP_HDR_OTHER }, { "Vias", SIP_HDR_OTHER },
		{ "Toe", SIP_HDR_OTHER }, { "", SIP_HDR_OTHER },
		{ "Call-IDs", SIP_HDR_OTHER },
		{ "Content-Lengt", SIP_HDR_OTHER },
	};
	char up[64];

	for (int id = 1; id < SIP_HDR__COUNT; id++) {
		const char *n = sip_hdr_name((enum sip_hdr_id)id);
		size_t i;

		ck_assert_msg((int)sip_hdr_id_of(sv_from_cstr(n)) == id, "%s",
			      n);
		for (i = 0; n[i] && i < sizeof(up) - 1; i++)
			up[i] = (char)(n[i] ^ ((n[i] >= 'A') ? 0x20 : 0));
		up[i] = '\0';
		ck_assert_msg((int)sip_hdr_id_of(sv_from_cstr(up)) == id, "%s",
			      up);
	}
	for (size_t i = 0; i < ARRAY_SIZE(compact); i++)
		ck_assert_msg(sip_hdr_id_of(sv_from_cstr(compact[i].name)) ==
				      compact[i].id, "%s", compact[i].name);
	ck_assert_str_eq(sip_hdr_name(SIP_HDR_CALL_ID), "Call-ID");
	ck_assert_str_eq(sip_hdr_name(SIP_HDR__COUNT), "");
	for (int mt = 1; mt <= SIP_METHOD_UPDATE; mt++) {
		const char *n = sip_method_name((enum sip_method)mt);

		ck_assert_int_eq(sip_method_of(sv_from_cstr(n)), mt);
	}
	ck_assert_int_eq(sip_method_of(SV("register")), SIP_METHOD_OTHER);
	ck_assert_int_eq(sip_method_of(SV("REGISTERS")), SIP_METHOD_OTHER);
	ck_assert_str_eq(sip_reason_phrase(100), "Trying");
	ck_assert_str_eq(sip_reason_phrase(200), "OK");
	ck_assert_str_eq(sip_reason_phrase(401), "Unauthorized");
	ck_assert_str_eq(sip_reason_phrase(423), "Interval Too Brief");
	ck_assert_str_eq(sip_reason_phrase(513), "Message Too Large");
	ck_assert_str_eq(sip_reason_phrase(608), "Rejected");
	ck_assert_str_eq(sip_reason_phrase(299), "Unknown");
	ck_assert_str_eq(sip_reason_phrase(-1), "Unknown");
}
END_TEST

START_TEST(test_lookups)
{
	char in[] = RL_REG STD "s: hello\r\nX-A: 1\r\nRoute: <sip:p1;lr>, "
		    "<sip:p2;lr>\r\nx-a: 2\r\nRoute: <sip:p3;lr>\r\n"
		    "Supported: path\r\nk: gruu, outbound\r\n\r\n";
	static const char *const routes[] = { "<sip:p1;lr>", "<sip:p2;lr>",
					      "<sip:p3;lr>" };
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct sip_list_iter it = { 0 };
	const struct sip_hdr *h;
	struct sv el;
	size_t n = 0;

	ck_assert_int_eq(sip_msg_parse(m, in, sizeof(in) - 1, false, NULL), 0);
	h = sip_hdr_find_name(m, "Subject");
	ck_assert_ptr_nonnull(h);
	SV_IS(h->value, "hello", "subject");
	ck_assert_ptr_eq(sip_hdr_find_name(m, "s"), h);
	h = sip_hdr_find_name(m, "x-A");
	ck_assert_ptr_nonnull(h);
	SV_IS(h->value, "1", "X-A");
	h = sip_hdr_next(m, h);
	ck_assert_ptr_nonnull(h);
	SV_IS(h->value, "2", "x-a");
	ck_assert_ptr_null(sip_hdr_next(m, h));
	ck_assert_ptr_null(sip_hdr_find_name(m, "X-B"));
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_OTHER));
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_PATH));
	ck_assert_ptr_eq(sip_hdr_find_name(m, "call-id"),
			 sip_hdr_find(m, SIP_HDR_CALL_ID));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_ROUTE), 2);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_PATH), 0);
	while (sip_list_iter_next(m, SIP_HDR_ROUTE, &it, &el)) {
		ck_assert_uint_lt(n, 3);
		SV_IS(el, routes[n], "route %zu", n);
		n++;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert(!sip_list_iter_next(m, SIP_HDR_ROUTE, &it, &el));
	ck_assert(sip_msg_has_option(m, SIP_HDR_SUPPORTED, "path"));
	ck_assert(sip_msg_has_option(m, SIP_HDR_SUPPORTED, "GRUU"));
	ck_assert(sip_msg_has_option(m, SIP_HDR_SUPPORTED, "outbound"));
	ck_assert(!sip_msg_has_option(m, SIP_HDR_SUPPORTED, "timer"));
	ck_assert(!sip_msg_has_option(m, SIP_HDR_REQUIRE, "path"));
	free(m);
}
END_TEST

/* ---- printing ------------------------------------------------------------ */

START_TEST(test_print_response)
{
	char in[] = RL_REG RAW_VIAS H_FROM H_TO H_CID H_CSEQ H_MF H_CL0 "\r\n";
	char in2[] = RL_REG H_VIA H_FROM "To: <sip:alice@ims.example>;tag=old"
		     "\r\n" H_CID H_CSEQ H_CL0 "\r\n";
	static const char *const br[] = { "z9hG4bKp", "z9hG4bKu", "z9hG4bKw" };
	struct sip_msg *req = xmalloc(sizeof(*req));
	struct sip_msg *rsp = xmalloc(sizeof(*rsp));
	struct sip_list_iter it = { 0 };
	struct sip_via via;
	struct perr e = { 0 };
	struct buf b;
	struct sv el;
	size_t n = 0;

	buf_init(&b);
	ck_assert_int_eq(sip_msg_parse(req, in, sizeof(in) - 1, false, NULL),
			 0);
	sip_print_response(&b, req, 200, NULL, "tt1");
	ck_assert(strncmp(b.data, "SIP/2.0 200 OK\r\nVia: ", 21) == 0);
	ck_assert_int_eq(sip_msg_parse(rsp, b.data, b.len, true, NULL), 0);
	ck_assert_int_eq(rsp->status, 200);
	SV_IS(rsp->to_tag, "tt1", "to tag");
	SV_IS(rsp->from_tag, "f1", "from tag");
	SV_IS(rsp->call_id, "c1@10.0.0.1", "call-id");
	ck_assert_uint_eq(rsp->cseq, 1);
	ck_assert_int_eq(rsp->content_length, 0);
	while (sip_list_iter_next(rsp, SIP_HDR_VIA, &it, &el)) {
		ck_assert_uint_lt(n, 3);
		ck_assert_int_eq(sip_via_parse(&via, el, NULL), 0);
		SV_IS(via.branch, br[n], "via %zu", n);
		n++;
	}
	ck_assert_uint_eq(n, 3);

	/* A To tag already there is kept, not doubled; a 100 has none. */
	ck_assert_int_eq(sip_msg_parse(req, in2, sizeof(in2) - 1, false, NULL),
			 0);
	buf_reset(&b);
	sip_print_response_start(&b, req, 401, "Unauthorized\r\nX: y", "new");
	sip_print_hdrf(&b, "WWW-Authenticate", "Digest realm=\"%s\"", "h");
	sip_print_end(&b, "text/plain", "hi", 2);
	ck_assert_ptr_null(strstr(b.data, "tag=new"));
	ck_assert_int_eq(sip_msg_parse(rsp, b.data, b.len, true, NULL), 0);
	SV_IS(rsp->reason, "Unauthorized  X: y", "reason");
	SV_IS(rsp->to_tag, "old", "to tag");
	SV_IS(rsp->body, "hi", "body");
	SV_IS(sip_hdr_find(rsp, SIP_HDR_CONTENT_TYPE)->value, "text/plain",
	      "ct");
	SV_IS(sip_hdr_find(rsp, SIP_HDR_WWW_AUTHENTICATE)->value,
	      "Digest realm=\"h\"", "www-auth");

	/* A request built from pieces parses back, up to the CSeq check. */
	buf_reset(&b);
	sip_print_request_line(&b, "OPTIONS", SV("sip:b.example"));
	sip_print_hdr(&b, "Via", SV("SIP/2.0/UDP h;branch=z9hG4bKo"));
	for (size_t i = 1; i < req->nhdrs; i++)
		if (req->hdrs[i].id != SIP_HDR_CONTENT_LENGTH)
			sip_print_hdr_raw(&b, &req->hdrs[i]);
	sip_print_end(&b, NULL, NULL, 0);
	ck_assert_int_eq(sip_msg_parse(rsp, b.data, b.len, true, &e), -EBADMSG);
	ck_assert_str_eq(e.why, "CSeq method mismatch");
	ck_assert(rsp->is_request);
	SV_IS(rsp->method_str, "OPTIONS", "method");
	buf_close(&b);
	free(req);
	free(rsp);
}
END_TEST

START_TEST(test_error_for_raw_vec)
{
	struct perr why = { 0, evec[_i].why, evec[_i].status }, pe = { 0 };
	const char *raw = evec[_i].raw;
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct buf b;
	int err;

	buf_init(&b);
	err = sip_print_error_for_raw(&b, raw, strlen(raw),
				      evec[_i].why ? &why : NULL);
	ck_assert_msg(err == evec[_i].err, "%s: %d", evec[_i].name, err);
	if (err) {
		ck_assert_uint_eq(b.len, 0);
		goto out;
	}
	ck_assert_msg(strncmp(b.data, evec[_i].out_start,
			      strlen(evec[_i].out_start)) == 0,
		      "%s: got %s", evec[_i].name, b.data);
	for (const char *c = evec[_i].contains; c && *c;) {
		const char *bar = strchr(c, '|');
		char *want = bar ? sv_dup((struct sv){ c, (size_t)(bar - c) })
				 : xstrdup(c);

		ck_assert_msg(strstr(b.data, want), "%s: no '%s' in %s",
			      evec[_i].name, want, b.data);
		free(want);
		c = bar ? bar + 1 : NULL;
	}
	/* What we send must itself parse, with a To tag, unless it echoes the
	 * broken CSeq (§8.2.6.2 says copy it). */
	err = sip_msg_parse(m, b.data, b.len, true, &pe);
	if (err) {
		ck_assert_str_eq(pe.why, "Bad CSeq");
	} else {
		ck_assert_int_eq(m->status, evec[_i].status ? evec[_i].status
							    : 400);
		ck_assert_uint_gt(m->to_tag.len, 0);
	}
out:
	buf_close(&b);
	free(m);
}
END_TEST

START_TEST(test_msg_dup)
{
	char in[] = RL_REG "Via: SIP/2.0/UDP 10.0.0.1\r\n ;branch=z9hG4bKd\r\n"
		    H_FROM H_TO H_CID H_CSEQ
		    "Content-Length: 4\r\n\r\nbodyjunk";
	char udp[] = RL_REG H_VIA H_FROM H_TO H_CID H_CSEQ "\r\nrest";
	struct sip_msg *m = xmalloc(sizeof(*m)), *d;

	ck_assert_int_eq(sip_msg_parse(m, in, sizeof(in) - 1, false, NULL), 0);
	d = sip_msg_dup(m);
	ck_assert_ptr_nonnull(d);
	memset(in, 'Z', sizeof(in) - 1); /* the copy must not care */
	SV_IS(d->call_id, "c1@10.0.0.1", "call-id");
	SV_IS(d->via.branch, "z9hG4bKd", "branch");
	SV_IS(d->body, "body", "body");
	SV_IS(d->from_tag, "f1", "from tag");
	ck_assert_uint_eq(d->nhdrs, m->nhdrs);
	ck_assert_uint_eq(d->raw.len, m->raw.len);
	ck_assert_ptr_nonnull(sip_hdr_find(d, SIP_HDR_CSEQ));
	sip_msg_free(d);

	ck_assert_int_eq(sip_msg_parse(m, udp, sizeof(udp) - 1, false, NULL),
			 0);
	d = sip_msg_dup(m);
	ck_assert_ptr_nonnull(d);
	SV_IS(d->body, "rest", "udp body");
	ck_assert_int_eq(d->content_length, -1);
	sip_msg_free(d);
	ck_assert_ptr_null(sip_msg_dup(NULL));
	free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip");
	TCase *tc = tcase_create("sip");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parse_vec, 0, (int)ARRAY_SIZE(pvec));
	tcase_add_loop_test(tc, test_frame_back_to_back, 0, 2);
	tcase_add_test(tc, test_stream_needs_content_length);
	tcase_add_loop_test(tc, test_uri_vec, 0, (int)ARRAY_SIZE(uvec));
	tcase_add_loop_test(tc, test_addr_vec, 0, (int)ARRAY_SIZE(avec));
	tcase_add_loop_test(tc, test_via_vec, 0, (int)ARRAY_SIZE(vvec));
	tcase_add_loop_test(tc, test_param_vec, 0, (int)ARRAY_SIZE(parvec));
	tcase_add_loop_test(tc, test_list_vec, 0, (int)ARRAY_SIZE(lvec));
	tcase_add_loop_test(tc, test_uri_eq_vec, 0, (int)ARRAY_SIZE(eqvec));
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_lookups);
	tcase_add_test(tc, test_print_response);
	tcase_add_loop_test(tc, test_error_for_raw_vec, 0,
			    (int)ARRAY_SIZE(evec));
	tcase_add_test(tc, test_msg_dup);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
