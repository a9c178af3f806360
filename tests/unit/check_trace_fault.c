/* check_trace_fault.c - the fault rules of lib/trace (fault.c): which
 * message a rule drops or delays, count=, to=, reload on SIGUSR1. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/trace.h"

static const char reg[] = "REGISTER sip:ims.example.com SIP/2.0\r\n\r\n";
static const char ok200[] = "SIP/2.0 200 OK\r\n\r\n";
static const char r408[] = "SIP/2.0 408 Request Timeout\r\n\r\n";

static void rules_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct sockaddr_in to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A Diameter header: version 1, flags, command code. */
static void diam_hdr(unsigned char m[20], bool req, unsigned code)
{
	memset(m, 0, 20);
	m[0] = 1;
	m[3] = 20;
	m[4] = req ? 0x80 : 0;
	m[5] = (unsigned char)(code >> 16);
	m[6] = (unsigned char)(code >> 8);
	m[7] = (unsigned char)code;
}

START_TEST(test_off_without_file)
{
	struct trace t;
	struct sockaddr_in a = to(6060);

	ck_assert_int_eq(trace_open(&t, NULL, "x"), 0);
	ck_assert_int_eq(trace_fault_open(&t, ""), 0);
	ck_assert_ptr_null(t.fault);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&a, reg,
					   sizeof(reg) - 1),
			 0);
	trace_close(&t);
}
END_TEST

START_TEST(test_rules)
{
	char path[] = "/tmp/check_trace_fault_XXXXXX";
	int fd = mkstemp(path);
	struct trace t;
	struct sockaddr_in scscf = to(6060), other = to(7070);
	unsigned char maa[20], mar[20];

	close(fd);
	rules_write(path, "# comment\n"
			  "3 drop sip REGISTER to=127.0.0.1:6060 count=1\n"
			  "4 delay diameter MAA 1500\n"
			  "5 drop sip 4xx\n"
			  "6 bogus line\n");
	ck_assert_int_eq(trace_open(&t, NULL, "x"), 0);
	ck_assert_int_eq(trace_fault_open(&t, path), 0);
	/* to= and count=1: the first REGISTER to 6060 only. */
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&other, reg,
					   sizeof(reg) - 1),
			 0);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&scscf, reg,
					   sizeof(reg) - 1),
			 -1);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&scscf, reg,
					   sizeof(reg) - 1),
			 0);
	/* A status class; another status passes. */
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&other, r408,
					   sizeof(r408) - 1),
			 -1);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&other, ok200,
					   sizeof(ok200) - 1),
			 0);
	/* Diameter: the answer (R bit clear) is delayed, the request not. */
	diam_hdr(maa, false, 303);
	diam_hdr(mar, true, 303);
	ck_assert_int_eq(trace_fault_check(&t, "diameter", (void *)&other,
					   maa, sizeof(maa)),
			 1500);
	ck_assert_int_eq(trace_fault_check(&t, "diameter", (void *)&other,
					   mar, sizeof(mar)),
			 0);
	/* Reload on SIGUSR1: rule 3 keeps its spent count, rule 7 is new. */
	rules_write(path, "3 drop sip REGISTER to=127.0.0.1:6060 count=1\n"
			  "7 drop sip 200\n");
	raise(SIGUSR1);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&scscf, reg,
					   sizeof(reg) - 1),
			 0);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&other, ok200,
					   sizeof(ok200) - 1),
			 -1);
	ck_assert_int_eq(trace_fault_check(&t, "diameter", (void *)&other,
					   maa, sizeof(maa)),
			 0);
	/* A missing file: no rule at all. */
	unlink(path);
	raise(SIGUSR1);
	ck_assert_int_eq(trace_fault_check(&t, "sip", (void *)&other, ok200,
					   sizeof(ok200) - 1),
			 0);
	trace_close(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace_fault");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_off_without_file);
	tcase_add_test(tc, test_rules);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
