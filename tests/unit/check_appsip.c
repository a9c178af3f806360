/* check_appsip.c - lib/app's SIP helpers: the trusted-address lists. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_sip.h"

static const struct {
	const char *list;
	const char *ip;
	uint16_t port;
	bool match;
} list_vec[] = {
	{ "", "127.0.0.1", 5060, false },
	{ "*", "10.1.2.3", 1, true },
	{ "127.0.0.1", "127.0.0.1", 5070, true },
	{ "127.0.0.1:5070", "127.0.0.1", 5070, true },
	{ "127.0.0.1:5070", "127.0.0.1", 5071, false },
	{ "127.0.0.2, 127.0.0.1:5070", "127.0.0.1", 5070, true },
	{ "127.0.0.2,127.0.0.3", "127.0.0.1", 5070, false },
	{ "::1", "::1", 5060, true },
	{ "[::1]:5060", "::1", 5060, true },
	{ "[::1]:5060", "::1", 5061, false },
	{ "::1", "127.0.0.1", 5060, false },
	{ "not-an-ip,127.0.0.1", "127.0.0.1", 5060, true },
};

static void addr_make(struct sockaddr_storage *ss, const char *ip,
		      uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
}

START_TEST(test_addr_in_list)
{
	struct sockaddr_storage ss;

	addr_make(&ss, list_vec[_i].ip, list_vec[_i].port);
	ck_assert_int_eq(app_addr_in_list(list_vec[_i].list,
					  (struct sockaddr *)&ss),
			 list_vec[_i].match);
}
END_TEST

static const struct {
	const char *list;
	int rc;
} check_vec[] = {
	{ "", 0 },
	{ "*", 0 },
	{ "127.0.0.1, 127.0.0.1:5060, [::1]:7, ::1", 0 },
	{ "localhost", -EINVAL },
	{ "127.0.0.1:99999", -EINVAL },
	{ "[::1", -EINVAL },
	{ "127.0.0.1:", -EINVAL },
};

START_TEST(test_addr_list_check)
{
	char err[128] = "";

	ck_assert_int_eq(app_addr_list_check(check_vec[_i].list, err,
					     sizeof(err)),
			 check_vec[_i].rc);
	if (check_vec[_i].rc)
		ck_assert_ptr_nonnull(strstr(err, "is not ip"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("appsip");
	TCase *tc = tcase_create("lists");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_addr_in_list, 0,
			    (int)ARRAY_SIZE(list_vec));
	tcase_add_loop_test(tc, test_addr_list_check, 0,
			    (int)ARRAY_SIZE(check_vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
