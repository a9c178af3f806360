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

/* Redaction (issue 9): what goes, what stays, lengths kept. */
#define JWT_HP "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0"
static const struct {
	const char *proto, *in, *out;
} redact_vec[] = {
	{ "sip",
	  "REGISTER sip:x SIP/2.0\r\nAuthorization: Bearer " JWT_HP
	  ".c2lnbmF0dXJl\r\n\r\n",
	  "REGISTER sip:x SIP/2.0\r\nAuthorization: Bearer " JWT_HP
	  ".REDACTEDREDA\r\n\r\n" },
	{ "sip", "X-IMS-Credential: impi=\"a@b\", password=\"alice-pass\"\r\n",
	  "X-IMS-Credential: impi=\"a@b\", password=\"**********\"\r\n" },
	{ "http", "POST /login HTTP/1.1\r\n\r\n{\"id\":\"a\",\"password\": "
		  "\"alice\\\"web\"}",
	  "POST /login HTTP/1.1\r\n\r\n{\"id\":\"a\",\"password\": "
	  "\"**********\"}" },
	{ "http",
	  "POST /i HTTP/1.1\r\nAuthorization: Basic d3NmOnNlY3JldA==\r\n"
	  "\r\ntoken=" JWT_HP ".c2ln&x=1",
	  "POST /i HTTP/1.1\r\nAuthorization: Basic REDACTEDREDACTED\r\n"
	  "\r\ntoken=" JWT_HP ".REDA&x=1" },
	{ "http", "HTTP/1.1 200 OK\r\n\r\n{\"token\":\"" JWT_HP ".c2ln\"}",
	  "HTTP/1.1 200 OK\r\n\r\n{\"token\":\"" JWT_HP ".REDA\"}" },
	{ "sip", "Authorization: Bearer opaque123, x\r\n",
	  "Authorization: Bearer REDACTEDR, x\r\n" },
	{ "sip", "Authorization: Digest username=\"a\", response=\"ab\"\r\n",
	  "Authorization: Digest username=\"a\", response=\"ab\"\r\n" },
	{ "http", "{\"password\": null, \"passwords\":\"x\"}",
	  "{\"password\": null, \"passwords\":\"x\"}" },
	{ "ws", "form: user=a&password=s3cret&b=2",
	  "form: user=a&password=******&b=2" },
};

START_TEST(test_redact_text)
{
	const char *in = redact_vec[_i].in, *want = redact_vec[_i].out;
	size_t n = strlen(in);
	char *p = strdup(in);

	ck_assert_uint_eq(n, strlen(want));
	trace_redact(redact_vec[_i].proto, p, n);
	ck_assert_str_eq(p, want);
	free(p);
}
END_TEST

/* A MAA-like message: SIP-Auth-Data-Item { SIP-Digest-Authenticate {
 * Digest-Realm, Digest-HA1 } }, and a Digest-HA1 at top level. */
START_TEST(test_redact_diameter)
{
	static const char ha1[] = "0123456789abcdef0123456789abcdef";
	unsigned char m[256] = { 1 };
	size_t n = 20, g1, g2, in1;

#define AVP(code, vend, len)                                                   \
	do {                                                                   \
		m[n] = 0, m[n + 1] = 0, m[n + 2] = (code) >> 8,                \
		m[n + 3] = (code) & 255;                                       \
		m[n + 4] = (vend) ? 0xc0 : 0x40;                               \
		m[n + 5] = 0, m[n + 6] = 0, m[n + 7] = (unsigned char)(len);   \
		n += 8;                                                        \
		if (vend) {                                                    \
			m[n] = 0, m[n + 1] = 0, m[n + 2] = 0x28,               \
			m[n + 3] = 0xaf;                                       \
			n += 4;                                                \
		}                                                              \
	} while (0)
	g1 = n;
	AVP(612, 1, 0);
	g2 = n;
	AVP(635, 1, 0);
	AVP(104, 0, 8 + 3);
	memcpy(m + n, "abc", 3), n += 4;
	AVP(121, 0, 8 + 32);
	in1 = n;
	memcpy(m + n, ha1, 32), n += 32;
	m[g2 + 7] = (unsigned char)(n - g2);
	m[g1 + 7] = (unsigned char)(n - g1);
	m[3] = (unsigned char)(n + 40);
	AVP(121, 0, 8 + 32);
	memcpy(m + n, ha1, 32), n += 32;
	trace_redact("diameter", (char *)m, n);
	ck_assert(memmem(m, n, ha1, 32) == NULL);
	ck_assert(memmem(m, n, "abc", 3) != NULL);
	ck_assert(memmem(m, n, "<redacted 32 bytes>*************", 32));
	ck_assert(memcmp(m + n - 32, "<redacted 32 bytes>", 19) == 0);
	ck_assert(memcmp(m + in1, "<redacted 32 bytes>", 19) == 0);
#undef AVP
}
END_TEST

/* trace_emit redacts unless t->secrets. */
START_TEST(test_trace_emit_redacts_unless_asked)
{
	char path[] = "/tmp/check_trace_XXXXXX";
	int fd = mkstemp(path);
	const char raw[] = "X-IMS-Credential: password=\"alice-pass\"\r\n";
	struct trace_event ev = { TRACE_RECV, "sip", "udp", NULL, NULL,
				  SV("x"), raw, sizeof(raw) - 1 };
	struct trace t;
	struct buf b64;
	char line[4096];
	FILE *f;

	close(fd);
	ck_assert_int_eq(trace_open(&t, path, "wsf"), 0);
	trace_emit(&t, &ev);
	t.secrets = true;
	trace_emit(&t, &ev);
	trace_close(&t);
	buf_init(&b64);
	trace_base64(&b64, raw, sizeof(raw) - 1);
	buf_append(&b64, "", 1);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_ptr_null(strstr(line, b64.data));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_ptr_nonnull(strstr(line, b64.data));
	fclose(f);
	buf_close(&b64);
	unlink(path);
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
	tcase_add_loop_test(tc, test_redact_text, 0,
			    sizeof(redact_vec) / sizeof(redact_vec[0]));
	tcase_add_test(tc, test_redact_diameter);
	tcase_add_test(tc, test_trace_emit_redacts_unless_asked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
