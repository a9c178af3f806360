/* check_sipt_rebase.c - the parse carried over to an edited copy
 * (lib/sipt/rebase.c) equals a full parse of that copy, view by view. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sipt/sipt_int.h"

static const char *const reqs[] = {
	"REGISTER sip:ims.test SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport\r\n"
	"Max-Forwards: 70\r\nFrom: \"A\" <sip:a@ims.test>;tag=1\r\n"
	"To: <sip:a@ims.test>\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\n"
	"Contact: <sip:a@10.0.0.1:5060>\r\nContent-Length: 4\r\n\r\nbody",
	/* two values in the top Via header, a received to replace */
	"OPTIONS sip:b@ims.test;lr?x=y SIP/2.0\r\n"
	"v: SIP/2.0/TCP h.example;received=1.2.3.4;branch=z9hG4bK2;rport"
	" , SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK3\r\n"
	"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK4\r\n"
	"f: <sip:u:pw@ims.test:5061;transport=tcp>;tag=9\r\n"
	"t: sip:b@ims.test\r\ni: c2@h\r\nCSeq: 7 OPTIONS\r\n"
	"l: 0\r\n\r\n",
	/* a folded line before the Via, the Via header last */
	"MESSAGE sip:c@ims.test SIP/2.0\r\nSubject: a\r\n b\r\n"
	"From: <sip:c@ims.test>;tag=3\r\nTo: <sip:c@ims.test>\r\n"
	"Call-ID: c3\r\nCSeq: 2 MESSAGE\r\n"
	"Via: SIP/2.0/WS x.invalid;branch=z9hG4bK5;rport\r\n\r\n",
};

static const char *const new_vias[] = {
	"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=127.0.0.1;"
	"rport=40000",
	"SIP/2.0/TCP h",
	"SIP/2.0/WS x.invalid;branch=z9hG4bK5;received=192.168.100.200;"
	"rport=65535;x=\"long quoted, with comma\"",
};

/* A view as (offset from base, length), or (-1, 0) for none. */
static void where(struct sv v, const char *base, long *off, size_t *len)
{
	*off = v.p ? (long)(v.p - base) : -1;
	*len = v.p ? v.len : 0;
}

#define SAME(field)                                                      \
	do {                                                             \
		long o1, o2;                                             \
		size_t l1, l2;                                           \
		where(got->field, base, &o1, &l1);                      \
		where(want.field, copy, &o2, &l2);                      \
		ck_assert_msg(o1 == o2 && l1 == l2,                      \
			      "%s: %ld+%zu != %ld+%zu", #field, o1, l1, o2, \
			      l2);                                       \
	} while (0)

static void check_same(const struct sip_msg *got, const char *base,
		       char *copy, size_t len)
{
	struct sip_msg want;

	ck_assert_int_eq(sip_msg_parse(&want, copy, len, false, NULL), 0);
	SAME(method_str);
	SAME(ruri_str);
	SAME(ruri.user);
	SAME(ruri.password);
	SAME(ruri.host);
	SAME(ruri.params);
	SAME(ruri.headers);
	SAME(raw);
	SAME(body);
	ck_assert_uint_eq(got->nhdrs, want.nhdrs);
	for (size_t i = 0; i < want.nhdrs; i++) {
		SAME(hdrs[i].name);
		SAME(hdrs[i].value);
		ck_assert_int_eq(got->hdrs[i].id, want.hdrs[i].id);
	}
	SAME(via.transport);
	SAME(via.host);
	SAME(via.params);
	SAME(via.branch);
	SAME(via.received);
	ck_assert_int_eq(got->via.port, want.via.port);
	ck_assert_int_eq(got->via.has_rport, want.via.has_rport);
	ck_assert_int_eq(got->via.rport, want.via.rport);
	SAME(call_id);
	SAME(cseq_method);
	SAME(from_tag);
	SAME(to_tag);
	SAME(from.display);
	SAME(from.uri_str);
	SAME(from.uri.host);
	SAME(from.uri.params);
	SAME(from.params);
	SAME(to.uri_str);
	SAME(to.uri.user);
	ck_assert_int_eq(got->cseq, want.cseq);
	ck_assert_int_eq(got->max_forwards, want.max_forwards);
	ck_assert_int_eq(got->content_length, want.content_length);
}

START_TEST(test_rebase)
{
	size_t n = strlen(reqs[_i]);
	char *orig = strdup(reqs[_i]);
	struct sip_msg *m = malloc(sizeof(*m)), *got = malloc(sizeof(*got));
	const struct sip_hdr *h;
	struct sv rest, el;
	struct sipt__edit ed;
	size_t nv = strlen(new_vias[_i]), clen;
	char *copy, *copy2;

	ck_assert_int_eq(sip_msg_parse(m, orig, n, false, NULL), 0);
	h = sip_hdr_find(m, SIP_HDR_VIA);
	rest = h->value;
	ck_assert(sip_list_next(&rest, &el));
	ed.start = (size_t)(el.p - m->raw.p);
	ed.old_end = ed.start + el.len;
	ed.new_end = ed.start + nv;
	clen = m->raw.len - el.len + nv;
	copy = malloc((clen > m->raw.len ? clen : m->raw.len) + 1);
	memcpy(copy, m->raw.p, ed.start);
	memcpy(copy + ed.start, new_vias[_i], nv);
	memcpy(copy + ed.new_end, m->raw.p + ed.old_end,
	       m->raw.len - ed.old_end);
	copy[clen] = '\0';
	copy2 = strdup(copy); /* parsed apart: folding rewrites bytes */
	ck_assert_int_eq(sipt__msg_rebase(got, m, copy, &ed), 0);
	check_same(got, copy, copy2, clen);
	/* no edit at all: a plain copy */
	ed = (struct sipt__edit){ 0 };
	memcpy(copy, m->raw.p, m->raw.len);
	ck_assert_int_eq(sipt__msg_rebase(got, m, copy, &ed), 0);
	ck_assert(got->raw.p == copy && got->raw.len == m->raw.len);
	ck_assert(sv_eq(got->via.branch, m->via.branch));
	ck_assert(got->via.branch.p >= copy &&
		  got->via.branch.p < copy + m->raw.len);
	free(copy);
	free(copy2);
	free(orig);
	free(m);
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sipt_rebase");
	TCase *tc = tcase_create("sipt_rebase");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rebase, 0, (int)ARRAY_SIZE(reqs));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
