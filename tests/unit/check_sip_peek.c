/* check_sip_peek.c - unit tests for sip_msg_peek_request (check_sip.c has
 * the codec's vectors). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "sip/sip.h"

/* The client transaction's peek: method and top Via only. */
START_TEST(test_peek_request)
{
	static const char req[] =
		"REGISTER sip:ims.test SIP/2.0\r\n"
		"Max-Forwards: 70\r\n"
		"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtop;rport, "
		"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKnext\r\n"
		"Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKlast\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char resp[] = "SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\r\n";
	static const char novia[] = "OPTIONS sip:a SIP/2.0\r\n"
				    "To: <sip:a>\r\n\r\n";
	static const char badvia[] = "OPTIONS sip:a SIP/2.0\r\n"
				     "Via: SIP/2.0/UDP ;branch=x\r\n\r\n";
	struct sip_via v;
	struct sv m;

	ck_assert_int_eq(sip_msg_peek_request(req, sizeof(req) - 1, &m, &v), 0);
	ck_assert(sv_eq_cstr(m, "REGISTER"));
	ck_assert(sv_eq_cstr(v.branch, "z9hG4bKtop"));
	ck_assert(sv_eq_cstr(v.host, "10.0.0.1"));
	ck_assert(v.has_rport);
	ck_assert_int_eq(sip_msg_peek_request(resp, sizeof(resp) - 1, &m, &v),
			 -EBADMSG);
	ck_assert_int_eq(sip_msg_peek_request(novia, sizeof(novia) - 1, &m,
					      &v),
			 -EBADMSG);
	ck_assert_int_eq(sip_msg_peek_request(badvia, sizeof(badvia) - 1, &m,
					      &v),
			 -EBADMSG);
	ck_assert_int_eq(sip_msg_peek_request(req, 20, &m, &v), -EBADMSG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_peek");
	TCase *tc = tcase_create("sip_peek");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_peek_request);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
