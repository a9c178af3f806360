/* check_ws.c - lib/ws without I/O: the opening handshake (RFC 6455 §4,
 * RFC 7118 §4), the frame-header scanner and UTF-8. The connection over
 * loopback is in check_ws_conn.c. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws/ws_int.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ==" /* RFC 6455 §1.3 */
#define ACC "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define ORG "https://www.example.com"

static const char *const sip_only[] = { "sip", NULL };
static const char *const origins[] = { ORG, "https://other.example", NULL };

/* ---- server checks ------------------------------------------------------- */

static const struct {
	const char *name;
	const char *method, *host, *upgrade, *connection, *key, *version,
		*protocol, *origin;
	bool check_origin;
	int err, status;
	const char *chosen, *reason;
} chk_vec[] = {
	{ "valid", "GET", "a.example", "websocket", "Upgrade", KEY, "13", "sip",
	  ORG, true, 0, 101, "sip", NULL },
	{ "case and lists", "GET", "a", "WebSocket", "keep-alive, upgrade", KEY,
	  " 13 ", "foo, sip", "HTTPS://WWW.EXAMPLE.COM", true, 0, 101, "sip",
	  NULL },
	{ "several offered", "GET", "a", "websocket", "Upgrade", KEY, "13",
	  "foo,bar , sip", NULL, false, 0, 101, "sip", NULL },
	{ "missing key", "GET", "a", "websocket", "Upgrade", NULL, "13", "sip",
	  ORG, true, -EBADMSG, 400, NULL, "bad Sec-WebSocket-Key" },
	{ "short key", "GET", "a", "websocket", "Upgrade", "dGhlIHNhbXBsZQ==",
	  "13", "sip", ORG, true, -EBADMSG, 400, NULL, NULL },
	{ "key not base64", "GET", "a", "websocket", "Upgrade",
	  "dGhlIHNhbXBsZ*Bub25jZQ==", "13", "sip", ORG, true, -EBADMSG, 400,
	  NULL, NULL },
	{ "bad version", "GET", "a", "websocket", "Upgrade", KEY, "8", "sip",
	  ORG, true, -EPROTO, 426, NULL, NULL },
	{ "no version", "GET", "a", "websocket", "Upgrade", KEY, NULL, "sip",
	  ORG, true, -EPROTO, 426, NULL, NULL },
	{ "no sip", "GET", "a", "websocket", "Upgrade", KEY, "13", "foo", ORG,
	  true, -EBADMSG, 400, NULL, "sip subprotocol required" },
	{ "no protocol", "GET", "a", "websocket", "Upgrade", KEY, "13", NULL,
	  ORG, true, -EBADMSG, 400, NULL, "sip subprotocol required" },
	{ "sips is not sip", "GET", "a", "websocket", "Upgrade", KEY, "13",
	  "sips", ORG, true, -EBADMSG, 400, NULL, NULL },
	{ "wrong origin", "GET", "a", "websocket", "Upgrade", KEY, "13", "sip",
	  "https://evil.example", true, -EACCES, 403, NULL, NULL },
	{ "no origin", "GET", "a", "websocket", "Upgrade", KEY, "13", "sip",
	  NULL, true, -EACCES, 403, NULL, NULL },
	{ "POST", "POST", "a", "websocket", "Upgrade", KEY, "13", "sip", ORG,
	  true, -EBADMSG, 400, NULL, NULL },
	{ "no host", "GET", NULL, "websocket", "Upgrade", KEY, "13", "sip", ORG,
	  true, -EBADMSG, 400, NULL, NULL },
	{ "no upgrade", "GET", "a", "h2c", "Upgrade", KEY, "13", "sip", ORG,
	  true, -EBADMSG, 400, NULL, NULL },
	{ "no connection", "GET", "a", "websocket", "keep-alive", KEY, "13",
	  "sip", ORG, true, -EBADMSG, 400, NULL, NULL },
};

static struct sv opt(const char *s)
{
	return s ? sv_from_cstr(s) : SV_NULL;
}

START_TEST(test_handshake_check)
{
	struct ws_hs_req r = {
		opt(chk_vec[_i].method),     SV("/"),
		opt(chk_vec[_i].host),	     opt(chk_vec[_i].upgrade),
		opt(chk_vec[_i].connection), opt(chk_vec[_i].key),
		opt(chk_vec[_i].version),    opt(chk_vec[_i].protocol),
		opt(chk_vec[_i].origin),
	};
	struct ws_hs_policy p = { sip_only, true,
				  chk_vec[_i].check_origin ? origins : NULL };
	struct ws_hs_result res;
	struct buf b;
	int err = ws_handshake_check(&r, &p, &res);

	buf_init(&b);
	ck_assert_msg(err == chk_vec[_i].err, "%s: err %d", chk_vec[_i].name,
		      err);
	ck_assert_int_eq(res.status, chk_vec[_i].status);
	if (chk_vec[_i].chosen)
		ck_assert_str_eq(res.protocol, chk_vec[_i].chosen);
	if (chk_vec[_i].reason)
		ck_assert_str_eq(res.reason, chk_vec[_i].reason);
	ws_handshake_print(&res, &b);
	if (!err) {
		ck_assert_str_eq(res.accept, ACC);
		ck_assert_str_eq(b.data, "HTTP/1.1 101 Switching Protocols\r\n"
					 "Upgrade: websocket\r\n"
					 "Connection: Upgrade\r\n"
					 "Sec-WebSocket-Accept: " ACC "\r\n"
					 "Sec-WebSocket-Protocol: sip\r\n\r\n");
	} else {
		char line[64];

		snprintf(line, sizeof(line), "HTTP/1.1 %d ", res.status);
		ck_assert(!strncmp(b.data, line, strlen(line)));
		ck_assert_ptr_nonnull(strstr(b.data, "Connection: close\r\n"));
		ck_assert_ptr_nonnull(strstr(b.data, res.reason));
		/* RFC 6455 §4.4: 426 names the versions we speak */
		ck_assert(
			(res.status == 426) ==
			(strstr(b.data, "\r\nSec-WebSocket-Version: 13\r\n") !=
			 NULL));
	}
	buf_close(&b);
}
END_TEST

START_TEST(test_accept_and_key)
{
	char acc[WS_ACCEPT_LEN + 1], key[WS_KEY_LEN + 1], key2[WS_KEY_LEN + 1];
	struct rng r;

	ck_assert_int_eq(ws_accept_make(SV(KEY), acc), 0);
	ck_assert_str_eq(acc, ACC); /* RFC 6455 §1.3 */
	ck_assert_int_eq(ws_accept_make(SV("abc"), acc), -EINVAL);
	rng_init(&r, 42);
	ws_key_make(&r, key);
	ws_key_make(&r, key2);
	ck_assert_uint_eq(strlen(key), WS_KEY_LEN);
	ck_assert_str_ne(key, key2);
	ck_assert_int_eq(ws_accept_make(sv_from_cstr(key), acc), 0);
}
END_TEST

/* ---- request parsing (tests and tools without lib/http) ------------------ */

#define REQ                                                                    \
	"GET /ws?x=1 HTTP/1.1\r\n"                                             \
	"Host: wsf.example:7443\r\n"                                           \
	"Upgrade: websocket\r\n"                                               \
	"Connection: Upgrade\r\n"                                              \
	"Sec-WebSocket-Key: " KEY "\r\n"                                       \
	"Origin: " ORG "\r\n"                                                  \
	"Sec-WebSocket-Protocol: sip\r\n"                                      \
	"Sec-WebSocket-Protocol: other\r\n"                                    \
	"Sec-WebSocket-Version: 13\r\n"                                        \
	"X-Other:\tv\r\n\r\n"

START_TEST(test_request_parse)
{
	static const char raw[] = REQ "\x81\x80";
	struct ws_hs_req r;
	size_t head = 0;

	ck_assert_int_eq(ws_handshake_request_parse(SV(raw), &r, &head, NULL),
			 0);
	ck_assert_uint_eq(head, sizeof(REQ) - 1);
	ck_assert(sv_eq_cstr(r.method, "GET"));
	ck_assert(sv_eq_cstr(r.target, "/ws?x=1"));
	ck_assert(sv_eq_cstr(r.host, "wsf.example:7443"));
	ck_assert(sv_eq_cstr(r.key, KEY));
	ck_assert(sv_eq_cstr(r.version, "13"));
	ck_assert(sv_eq_cstr(r.protocol, "sip")); /* the first one */
	ck_assert(sv_eq_cstr(r.origin, ORG));
	/* every strict prefix of the head is incomplete (picohttpparser) */
	for (size_t n = 0; n < sizeof(REQ) - 1; n++)
		ck_assert_int_eq(
			ws_handshake_request_parse((struct sv){ raw, n }, &r,
						   &head, NULL),
			-EAGAIN);
}
END_TEST

static const struct {
	const char *raw;
	size_t off;
} bad_req_vec[] = {
	{ "GET / HTTP/1.0\r\nHost: a\r\n\r\n", 0 },
	{ "GET /\r\nHost: a\r\n\r\n", 0 },
	{ "\r\n\r\n", 0 },
	{ "GET / HTTP/1.1\nHost: a\r\n\r\n", 0 },
	{ "GET / HTTP/1.1\r\nHost a\r\n\r\n", 16 },
	{ "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 16 },
	{ "GET / HTTP/1.1\r\nHost: a\nb\r\n\r\n", 23 },
	{ "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 18 },
};

START_TEST(test_request_parse_bad)
{
	struct ws_hs_req r;
	struct perr e = { 0 };
	size_t head;

	ck_assert_int_eq(
		ws_handshake_request_parse(sv_from_cstr(bad_req_vec[_i].raw),
					   &r, &head, &e),
		-EBADMSG);
	ck_assert_uint_eq(e.offset, bad_req_vec[_i].off);
	ck_assert_ptr_nonnull(e.why);
}
END_TEST

START_TEST(test_request_too_big)
{
	struct buf b;
	struct ws_hs_req r;
	size_t head;

	buf_init(&b);
	buf_puts(&b, "GET / HTTP/1.1\r\n");
	while (b.len < WS_HEAD_MAX)
		buf_puts(&b, "X-Pad: 0123456789\r\n");
	ck_assert_int_eq(ws_handshake_request_parse(
				 (struct sv){ b.data, b.len }, &r, &head, NULL),
			 -EBADMSG);
	buf_close(&b);
}
END_TEST

/* ---- client side --------------------------------------------------------- */

START_TEST(test_request_print)
{
	static const char *const protos[] = { "sip", "foo", NULL };
	struct ws_client_req r = { "wsf.example:7443", NULL, ORG, protos,
				   NULL };
	struct ws_hs_req pr;
	struct ws_hs_policy p = { sip_only, true, origins };
	struct ws_hs_result res;
	struct buf b;
	size_t head;

	buf_init(&b);
	ws_handshake_request_print(&r, KEY, &b);
	ck_assert_str_eq(b.data, "GET / HTTP/1.1\r\n"
				 "Host: wsf.example:7443\r\n"
				 "Upgrade: websocket\r\n"
				 "Connection: Upgrade\r\n"
				 "Sec-WebSocket-Key: " KEY "\r\n"
				 "Sec-WebSocket-Version: 13\r\n"
				 "Origin: " ORG "\r\n"
				 "Sec-WebSocket-Protocol: sip, foo\r\n\r\n");
	/* and our server side accepts it */
	ck_assert_int_eq(
		ws_handshake_request_parse((struct sv){ b.data, b.len }, &pr,
					   &head, NULL),
		0);
	ck_assert_int_eq(ws_handshake_check(&pr, &p, &res), 0);
	buf_close(&b);
}
END_TEST

#define R101 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
static const struct {
	const char *name, *raw;
	bool offer_sip;
	int err, status;
} resp_vec[] = {
	{ "good",
	  R101 "Connection: Upgrade\r\nSec-WebSocket-Accept: " ACC
	       "\r\nSec-WebSocket-Protocol: sip\r\n\r\n",
	  true, 0, 101 },
	{ "good, no protocol asked",
	  R101 "Connection: upgrade\r\n"
	       "Sec-WebSocket-Accept: " ACC "\r\n\r\n",
	  false, 0, 101 },
	{ "no sip back",
	  R101 "Connection: Upgrade\r\nSec-WebSocket-Accept: " ACC "\r\n\r\n",
	  true, -EPROTO, 101 },
	{ "protocol not offered",
	  R101 "Connection: Upgrade\r\nSec-WebSocket-Accept: " ACC
	       "\r\nSec-WebSocket-Protocol: foo\r\n\r\n",
	  true, -EPROTO, 101 },
	{ "wrong accept",
	  R101 "Connection: Upgrade\r\nSec-WebSocket-Accept: "
	       "s3pPLMBiTxaQ9kYGzzhZRbK+xOX=\r\n"
	       "Sec-WebSocket-Protocol: sip\r\n\r\n",
	  true, -EPROTO, 101 },
	{ "no accept",
	  R101 "Connection: Upgrade\r\n"
	       "Sec-WebSocket-Protocol: sip\r\n\r\n",
	  true, -EPROTO, 101 },
	{ "no connection",
	  R101 "Sec-WebSocket-Accept: " ACC
	       "\r\nSec-WebSocket-Protocol: sip\r\n\r\n",
	  true, -EPROTO, 101 },
	{ "refused", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
	  true, -EPROTO, 400 },
	{ "bad status line", "HTTP/1.1 1x1 Switching\r\n\r\n", true, -EBADMSG,
	  0 },
	{ "not http", "SIP/2.0 101 Hm\r\n\r\n", true, -EBADMSG, 0 },
};

START_TEST(test_response_parse)
{
	const char *const *protos = resp_vec[_i].offer_sip ? sip_only : NULL;
	struct sv raw = sv_from_cstr(resp_vec[_i].raw);
	struct ws_hs_resp out;
	struct perr e = { 0 };
	int err = ws_handshake_response_parse(raw, KEY, protos, &out, &e);

	ck_assert_msg(err == resp_vec[_i].err, "%s: %d", resp_vec[_i].name,
		      err);
	ck_assert_int_eq(out.status, resp_vec[_i].status);
	if (err)
		ck_assert_ptr_nonnull(e.why);
	else
		ck_assert_uint_eq(out.head_len, raw.len);
	if (!err && protos)
		ck_assert(sv_eq_cstr(out.protocol, "sip"));
	for (size_t n = 0; n < raw.len; n++)
		ck_assert_int_eq(
			ws_handshake_response_parse((struct sv){ raw.p, n },
						    KEY, protos, &out, NULL),
			-EAGAIN);
}
END_TEST

/* ---- frame scanner ------------------------------------------------------- */

static const struct {
	const char *name;
	const char *in; /* hex */
	bool server;
	size_t pass;
	uint16_t code;
} scan_vec[] = {
	{ "masked text", "8182000000006869", true, 8, 0 },
	{ "two frames", "8180000000008a8000000000", true, 12, 0 },
	{ "partial header", "81", true, 0, 0 },
	{ "partial mask key", "818200", true, 0, 0 },
	{ "unmasked from client", "8102", true, 0, 1002 },
	{ "masked from server", "8182", false, 0, 1002 },
	{ "unmasked from server", "81026869", false, 4, 0 },
	{ "rsv1", "c18200000000", true, 0, 1002 },
	{ "rsv3", "918200000000", true, 0, 1002 },
	{ "opcode 3", "838200000000", true, 0, 1002 },
	{ "opcode 0xb", "8b8200000000", true, 0, 1002 },
	{ "fragmented ping", "098200000000", true, 0, 1002 },
	{ "fragmented close", "088200000000", true, 0, 1002 },
	{ "126-byte ping", "89fe007e00000000", true, 0, 1002 },
	{ "125-byte ping", "89fd00000000", true, 6, 0 },
	{ "good then bad", "8180000000000380", true, 6, 1002 },
	{ "16-bit length too small", "82fe007d00000000", true, 0, 1002 },
	{ "64-bit length too small", "82ff000000000000ffff00000000", true, 0,
	  1002 },
	{ "64-bit length msb", "82ff800000000000000000000000", true, 0, 1002 },
	{ "over the limit", "82ff000000000010000100000000", true, 0, 1009 },
	{ "at the limit", "82ff000000000010000000000000", true, 14, 0 },
	{ "fragment start", "018200000000", true, 6, 0 },
	{ "continuation", "808200000000", true, 6, 0 },
};

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	for (; h[0] && h[1] && sscanf(h, "%2x", &v) == 1; h += 2)
		out[n++] = (uint8_t)v;
	return n;
}

START_TEST(test_scan)
{
	struct ws__scan s = { 0, 1024 * 1024, scan_vec[_i].server };
	struct ws__scan s1 = s;
	uint8_t in[64];
	size_t n = unhex(scan_vec[_i].in, in), pass = 0;
	uint16_t code = 0, code1 = 0;

	ck_assert_uint_eq(ws__scan(&s, in, n, &code), scan_vec[_i].pass);
	ck_assert_msg(code == scan_vec[_i].code, "%s: %u", scan_vec[_i].name,
		      code);
	/* byte by byte: the same bytes pass, the same fault is found */
	for (size_t i = 0; i < n && !code1; i++) {
		pass += ws__scan(&s1, in + pass, i + 1 - pass, &code1);
		ck_assert_uint_le(pass, i + 1);
	}
	ck_assert_uint_eq(pass, scan_vec[_i].pass);
	ck_assert_uint_eq(code1, scan_vec[_i].code);
}
END_TEST

static const struct {
	const char *hex;
	bool ok;
} utf8_vec[] = {
	{ "", true },	       { "7f", true },	  { "c3a9", true }, /* é */
	{ "e282ac", true },					    /* € */
	{ "f09f9880", true },			  /* U+1F600 */
	{ "f48fbfbf", true },			  /* U+10FFFF */
	{ "c328", false },			  /* bad continuation */
	{ "c0af", false },			  /* overlong / */
	{ "e080af", false },			  /* overlong */
	{ "eda080", false },			  /* surrogate U+D800 */
	{ "f4908080", false },			  /* U+110000 */
	{ "f5808080", false }, { "e282", false }, /* truncated */
	{ "80", false },			  /* lone continuation */
	{ "ff", false },
};

START_TEST(test_utf8)
{
	uint8_t in[16];
	size_t n = unhex(utf8_vec[_i].hex, in);

	ck_assert_msg(ws__utf8_valid(in, n) == utf8_vec[_i].ok, "%s",
		      utf8_vec[_i].hex);
}
END_TEST

/* Found by clang's UBSan (tests/fuzz): ws_conn_close(c, code, NULL) checks
 * a NULL reason of length 0, and NULL + 0 is undefined in C. */
START_TEST(test_utf8_null_empty)
{
	ck_assert(ws__utf8_valid(NULL, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("handshake");
	TCase *tf = tcase_create("frame");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_handshake_check, 0, ARRAY_SIZE(chk_vec));
	tcase_add_test(tc, test_accept_and_key);
	tcase_add_test(tc, test_request_parse);
	tcase_add_loop_test(tc, test_request_parse_bad, 0,
			    ARRAY_SIZE(bad_req_vec));
	tcase_add_test(tc, test_request_too_big);
	tcase_add_test(tc, test_request_print);
	tcase_add_loop_test(tc, test_response_parse, 0, ARRAY_SIZE(resp_vec));
	tcase_add_loop_test(tf, test_scan, 0, ARRAY_SIZE(scan_vec));
	tcase_add_loop_test(tf, test_utf8, 0, ARRAY_SIZE(utf8_vec));
	tcase_add_test(tf, test_utf8_null_empty);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
