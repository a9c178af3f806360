/* check_trace.c - unit tests for lib/trace. */
#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/trace.h"

START_TEST(test_trace_line_is_json_with_raw_bytes)
{
	char path[] = "/tmp/check_trace_XXXXXX";
	int fd = mkstemp(path);
	struct trace t;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(5060) };
	const char raw[] = "REGISTER sip:x SIP/2.0\r\n\"q\"\x01\r\n\r\n";
	struct trace_event ev = { TRACE_RECV, "sip",
				  "udp",      (struct sockaddr *)&a,
				  NULL,	      SV("REGISTER \"sip:x\""),
				  raw,	      sizeof(raw) - 1 };
	json_error_t jerr;
	json_t *j;
	FILE *f;
	char line[4096];

	close(fd);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(trace_open(&t, path, "pcscf"), 0);
	trace_emit(&t, &ev);
	ev.dir = TRACE_SEND;
	trace_emit(&t, &ev);
	trace_close(&t);

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	j = json_loads(line, 0, &jerr);
	ck_assert_msg(j != NULL, "not JSON: %s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "node")),
			 "pcscf");
	ck_assert_str_eq(json_string_value(json_object_get(j, "dir")), "recv");
	ck_assert_str_eq(json_string_value(json_object_get(j, "local")),
			 "127.0.0.1:5060");
	ck_assert_str_eq(json_string_value(json_object_get(j, "peer")), "-");
	ck_assert_str_eq(json_string_value(json_object_get(j, "summary")),
			 "REGISTER \"sip:x\"");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "len")),
			 sizeof(raw) - 1);
	json_decref(j);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_ptr_nonnull(strstr(line, "\"dir\":\"send\""));
	ck_assert_ptr_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
}
END_TEST

static const struct {
	const char *in, *b64;
} b64_vec[] = {
	/* RFC 4648 §10 */
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_base64_rfc4648)
{
	struct buf b;

	buf_init(&b);
	trace_base64(&b, b64_vec[_i].in, strlen(b64_vec[_i].in));
	ck_assert_str_eq(b.len ? b.data : "", b64_vec[_i].b64);
	buf_close(&b);
}
END_TEST

START_TEST(test_trace_off_is_silent)
{
	struct trace t;

	ck_assert_int_eq(trace_open(&t, "", "x"), 0);
	ck_assert(!trace_on(&t));
	trace_close(&t);
	ck_assert_int_lt(trace_open(&t, "/nonexistent/dir/f", "x"), 0);
	trace_close(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_trace_line_is_json_with_raw_bytes);
	tcase_add_loop_test(tc, test_base64_rfc4648, 0,
			    (int)ARRAY_SIZE(b64_vec));
	tcase_add_test(tc, test_trace_off_is_silent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
