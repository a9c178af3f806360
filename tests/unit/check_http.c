/*
 * check_http.c - unit tests for lib/http's codec side: the llhttp wrapper
 * (every vector fed whole and one byte at a time), header and parameter
 * lookups, JSON bodies and base64url. The loopback tests are in
 * check_http_io.c.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

/* ---- request parser table ------------------------------------------------ */

#define GET_H "GET / HTTP/1.1\r\nHost: h\r\n"

static const struct {
	const char *name;
	const char *in;
	size_t pad;	 /* > 0: an X-Pad header of this many bytes is added
			    before the final CRLF of `in` */
	size_t nhdrs;	 /* > 0: this many X-N headers likewise */
	size_t max_body; /* 0 = default */
	int nmsg;	 /* complete requests expected */
	int status;	 /* 0: then -EAGAIN; else -EBADMSG with this */
	const char *method, *path, *query, *body; /* of the first request */
	bool keep_alive;
	const char *hdr, *val; /* a header of the first request */
} pvec[] = {
	{ "get",
	  "GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: example.com\r\n"
	  "Accept:  */*  \r\n\r\n",
	  0, 0, 0, 1, 0, "GET", "/a/b", "x=1&y=%20z", "", true, "accept",
	  "*/*" },
	{ "post-length",
	  "POST /login HTTP/1.1\r\nHost: h\r\n"
	  "Content-Type: application/json\r\n"
	  "Content-Length: 14\r\n\r\n{\"id\":\"alice\"}",
	  0, 0, 0, 1, 0, "POST", "/login", "", "{\"id\":\"alice\"}", true,
	  "content-length", "14" },
	{ "post-chunked",
	  "POST /p HTTP/1.1\r\nHost: h\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"
	  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
	  0, 0, 0, 1, 0, "POST", "/p", "", "hello world", true,
	  "transfer-encoding", "chunked" },
	{ "pipelined", GET_H "\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n", 0, 0,
	  0, 2, 0, "GET", "/", "", "", true, "host", "h" },
	{ "pipelined-then-garbage", GET_H "\r\nBLAH\x01\r\n\r\n", 0, 0, 0, 1,
	  400, "GET", "/", "", "", true, NULL, NULL },
	{ "leading-crlf", "\r\n" GET_H "\r\n", 0, 0, 0, 1, 0, "GET", "/", "",
	  "", true, NULL, NULL },
	{ "http10-close", "GET /x HTTP/1.0\r\n\r\n", 0, 0, 0, 1, 0, "GET", "/x",
	  "", "", false, NULL, NULL },
	{ "http10-keepalive",
	  "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n"
	  "\r\n",
	  0, 0, 0, 1, 0, "GET", "/x", "", "", true, NULL, NULL },
	{ "connection-close", GET_H "Connection: close\r\n\r\n", 0, 0, 0, 1, 0,
	  "GET", "/", "", "", false, NULL, NULL },
	{ "empty-value", GET_H "X-E:\r\n\r\n", 0, 0, 0, 1, 0, "GET", "/", "",
	  "", true, "x-e", "" },
	{ "head", "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", 0, 0, 0, 1, 0, "HEAD",
	  "/", "", "", true, NULL, NULL },
	{ "64-headers", GET_H "\r\n", 0, 63, 0, 1, 0, "GET", "/", "", "", true,
	  "x-n", "v" },
	{ "bad-start-line", "GET\r\n\r\n", 0, 0, 0, 0, 400, NULL, NULL, NULL,
	  NULL, false, NULL, NULL },
	{ "bad-target", "GET  HTTP/1.1\r\n\r\n", 0, 0, 0, 0, 400, NULL, NULL,
	  NULL, NULL, false, NULL, NULL },
	{ "unknown-method", "FOO / HTTP/1.1\r\n\r\n", 0, 0, 0, 0, 400, NULL,
	  NULL, NULL, NULL, false, NULL, NULL },
	{ "not-served-method", "TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", 0, 0, 0,
	  0, 501, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "bad-header-name", GET_H "Bad Name: x\r\n\r\n", 0, 0, 0, 0, 400, NULL,
	  NULL, NULL, NULL, false, NULL, NULL },
	{ "ctl-in-value",
	  GET_H "X: a\x01"
		"b\r\n\r\n",
	  0, 0, 0, 0, 400, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "space-before-colon", GET_H "Name : x\r\n\r\n", 0, 0, 0, 0, 400, NULL,
	  NULL, NULL, NULL, false, NULL, NULL },
	{ "no-colon", GET_H "NoColon\r\n\r\n", 0, 0, 0, 0, 400, NULL, NULL,
	  NULL, NULL, false, NULL, NULL },
	{ "header-too-big", GET_H "\r\n", 17000, 0, 0, 0, 431, NULL, NULL, NULL,
	  NULL, false, NULL, NULL },
	{ "too-many-headers", GET_H "\r\n", 0, 64, 0, 0, 431, NULL, NULL, NULL,
	  NULL, false, NULL, NULL },
	{ "body-too-big",
	  "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n"
	  "hello world",
	  0, 0, 10, 0, 413, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "body-at-limit",
	  "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
	  "helloworld",
	  0, 0, 10, 1, 0, "POST", "/", "", "helloworld", true, NULL, NULL },
	{ "chunked-too-big",
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
	  0, 0, 10, 0, 413, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "bad-content-length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
	  0, 0, 0, 0, 400, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "two-content-lengths",
	  "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	  "Content-Length: 2\r\n\r\nab",
	  0, 0, 0, 0, 400, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "te-and-cl",
	  "POST / HTTP/1.1\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	  0, 0, 0, 0, 400, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "bad-chunk-size",
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	  "\r\nzz\r\n",
	  0, 0, 0, 0, 400, NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "http2-preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, 0, 0, 0, 505,
	  NULL, NULL, NULL, NULL, false, NULL, NULL },
	{ "http2-get", "GET / HTTP/2.0\r\n\r\n", 0, 0, 0, 0, 505, NULL, NULL,
	  NULL, NULL, false, NULL, NULL },
	{ "http12", "GET / HTTP/1.2\r\n\r\n", 0, 0, 0, 0, 505, NULL, NULL, NULL,
	  NULL, false, NULL, NULL },
	{ "incomplete", GET_H, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, false,
	  NULL, NULL },
};

/* The vector's bytes, with its generated padding headers. */
static char *vec_input(int i, size_t *len)
{
	struct buf b;
	size_t n = strlen(pvec[i].in);

	buf_init(&b);
	if (pvec[i].pad || pvec[i].nhdrs) {
		/* insert before the final CRLF */
		buf_append(&b, pvec[i].in, n - 2);
		if (pvec[i].pad) {
			buf_puts(&b, "X-Pad: ");
			for (size_t k = 0; k < pvec[i].pad; k++)
				buf_puts(&b, "p");
			buf_puts(&b, "\r\n");
		}
		for (size_t k = 0; k < pvec[i].nhdrs; k++)
			buf_puts(&b, "X-N: v\r\n");
		buf_puts(&b, "\r\n");
	} else {
		buf_append(&b, pvec[i].in, n);
	}
	return buf_steal(&b, len);
}

struct got {
	int nmsg;
	int err;
	struct perr e;
	char method[16], path[64], query[64], body[64], val[64];
	bool keep_alive;
	bool has_hdr;
};

static void got_msg(struct got *g, int i, const struct http_req *r)
{
	const struct http_hdr *h;

	if (g->nmsg++)
		return;
	ck_assert_int_eq(sv_copy(r->method, g->method, sizeof(g->method)), 0);
	ck_assert_int_eq(sv_copy(r->path, g->path, sizeof(g->path)), 0);
	ck_assert_int_eq(sv_copy(r->query, g->query, sizeof(g->query)), 0);
	ck_assert_int_eq(sv_copy(r->body, g->body, sizeof(g->body)), 0);
	g->keep_alive = r->keep_alive;
	ck_assert(sv_starts_with(r->raw, "GET") ||
		  sv_starts_with(r->raw, "POST") ||
		  sv_starts_with(r->raw, "HEAD"));
	/* the start line is the first line of the raw bytes */
	ck_assert_ptr_eq(r->start_line.p, r->raw.p);
	ck_assert_uint_lt(r->start_line.len, r->raw.len);
	ck_assert_ptr_null(sv_chr(r->start_line, '\r'));
	ck_assert_int_eq(r->raw.p[r->start_line.len], '\r');
	if (pvec[i].hdr && (h = http_hdr_find(&r->hdrs, pvec[i].hdr))) {
		g->has_hdr = true;
		ck_assert_int_eq(sv_copy(h->value, g->val, sizeof(g->val)), 0);
	}
}

/* Pushes in pieces of `step` bytes, draining every complete request. */
static void run(int i, size_t step, struct got *g)
{
	size_t len;
	char *in = vec_input(i, &len);
	struct http_limits lim = { 0 };
	struct http_parser *p;
	struct http_req r;

	lim.max_body = pvec[i].max_body;
	p = http_parser_new(false, &lim);
	memset(g, 0, sizeof(*g));
	g->err = -EAGAIN;
	for (size_t off = 0; off < len && g->err == -EAGAIN; off += step) {
		http_parser_push(p, in + off,
				 len - off < step ? len - off : step);
		while ((g->err = http_parser_next_req(p, &r, &g->e)) == 0) {
			got_msg(g, i, &r);
			http_parser_consume(p);
		}
	}
	http_parser_free(p);
	free(in);
}

static void check_got(int i, const struct got *g)
{
	ck_assert_msg(g->nmsg == pvec[i].nmsg, "%s: %d messages", pvec[i].name,
		      g->nmsg);
	if (pvec[i].status) {
		ck_assert_msg(g->err == -EBADMSG, "%s: err %d", pvec[i].name,
			      g->err);
		ck_assert_msg(g->e.status == pvec[i].status,
			      "%s: status %d (%s)", pvec[i].name, g->e.status,
			      g->e.why ? g->e.why : "");
		ck_assert_ptr_nonnull(g->e.why);
	} else {
		ck_assert_msg(g->err == -EAGAIN, "%s: err %d (%s)",
			      pvec[i].name, g->err, g->e.why ? g->e.why : "");
	}
	if (!pvec[i].method)
		return;
	ck_assert_str_eq(g->method, pvec[i].method);
	ck_assert_str_eq(g->path, pvec[i].path);
	ck_assert_str_eq(g->query, pvec[i].query);
	ck_assert_str_eq(g->body, pvec[i].body);
	ck_assert_int_eq(g->keep_alive, pvec[i].keep_alive);
	if (pvec[i].hdr) {
		ck_assert_msg(g->has_hdr, "%s: no %s", pvec[i].name,
			      pvec[i].hdr);
		ck_assert_str_eq(g->val, pvec[i].val);
	}
}

START_TEST(test_parse_whole)
{
	struct got g;

	run(_i, SIZE_MAX / 2, &g);
	check_got(_i, &g);
}
END_TEST

START_TEST(test_parse_bytewise)
{
	struct got g;

	run(_i, 1, &g);
	check_got(_i, &g);
}
END_TEST

/* The request's views survive a push of the next request's bytes (the
 * buffer may move: views are made when the message completes, and the
 * caller reads them before pushing more; here we check the leftover). */
START_TEST(test_parse_leftover)
{
	static const char in[] = "GET /ws HTTP/1.1\r\nHost: h\r\n"
				 "Connection: Upgrade\r\nUpgrade: websocket\r\n"
				 "\r\n\x81\x05hello";
	struct http_parser *p = http_parser_new(false, NULL);
	struct http_req r;
	struct sv rest;

	http_parser_push(p, in, sizeof(in) - 1);
	ck_assert_int_eq(http_parser_next_req(p, &r, NULL), 0);
	ck_assert(r.upgrade);
	ck_assert(http_hdr_has_token(&r.hdrs, "connection", "upgrade"));
	rest = http_parser_leftover(p);
	ck_assert_uint_eq(rest.len, 7);
	ck_assert_int_eq(memcmp(rest.p, "\x81\x05hello", 7), 0);
	ck_assert_uint_eq(http_parser_pending(p), 7);
	http_parser_free(p);
}
END_TEST

/* ---- responses ----------------------------------------------------------- */

static const struct {
	const char *name;
	const char *in;
	bool no_body; /* answers HEAD */
	bool eof;     /* then the peer closes */
	int err;
	int status;
	const char *body;
	size_t leftover;
} rvec[] = {
	{ "length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false,
	  false, 0, 200, "ok", 0 },
	{ "chunked",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
	  false, false, 0, 200, "abc", 0 },
	{ "to-eof", "HTTP/1.1 404 Not Found\r\n\r\nnot here", false, true, 0,
	  404, "not here", 0 },
	{ "head", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, false,
	  0, 200, "", 0 },
	{ "no-content", "HTTP/1.1 204 No Content\r\n\r\n", false, false, 0, 204,
	  "", 0 },
	{ "switching",
	  "HTTP/1.1 101 Switching Protocols\r\n"
	  "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	  "\x81\x02hi",
	  false, false, 0, 101, "", 4 },
	{ "truncated", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false,
	  true, -EBADMSG, 0, NULL, 0 },
	{ "bad-status", "HTTP/1.1 2x0 OK\r\n\r\n", false, false, -EBADMSG, 0,
	  NULL, 0 },
	{ "not-http", "SIP/2.0 200 OK\r\n\r\n", false, false, -EBADMSG, 0, NULL,
	  0 },
};

START_TEST(test_parse_resp)
{
	struct http_parser *p = http_parser_new(true, NULL);
	struct http_resp r;
	char body[32];
	int err;

	http_parser_expect_no_body(p, rvec[_i].no_body);
	http_parser_push(p, rvec[_i].in, strlen(rvec[_i].in));
	err = http_parser_next_resp(p, &r, NULL);
	if (err == -EAGAIN && rvec[_i].eof)
		err = http_parser_eof(p, &r, NULL);
	ck_assert_msg(err == rvec[_i].err, "%s: %d", rvec[_i].name, err);
	if (!err) {
		ck_assert_int_eq(r.status, rvec[_i].status);
		ck_assert_int_eq(sv_copy(r.body, body, sizeof(body)), 0);
		ck_assert_str_eq(body, rvec[_i].body);
		ck_assert_uint_eq(http_parser_leftover(p).len,
				  rvec[_i].leftover);
		ck_assert(sv_starts_with(r.start_line, "HTTP/1.1 "));
		ck_assert_ptr_eq(r.start_line.p, r.raw.p);
		ck_assert_ptr_null(sv_chr(r.start_line, '\r'));
	}
	http_parser_free(p);
}
END_TEST

/* ---- helpers ------------------------------------------------------------- */

static const struct {
	const char *in, *name, *out;
	int err;
} param_vec[] = {
	{ "token=abc.def&x=1", "token", "abc.def", 0 },
	{ "a=1&token=a%2Bb+c%3d", "token", "a+b c=", 0 },
	{ "token=", "token", "", 0 },
	{ "tok%65n=v", "token", "v", 0 },
	{ "tokens=1&token2=2", "token", "", -ENOENT },
	{ "", "token", "", -ENOENT },
	{ "token=%4", "token", "", -EBADMSG },
	{ "token=%zz", "token", "", -EBADMSG },
	{ "&&token=x&", "token", "x", 0 },
};

START_TEST(test_param_get)
{
	struct buf b;
	int err;

	buf_init(&b);
	err = http_param_get(sv_from_cstr(param_vec[_i].in), param_vec[_i].name,
			     &b);
	ck_assert_int_eq(err, param_vec[_i].err);
	if (!err) {
		ck_assert_uint_eq(b.len, strlen(param_vec[_i].out));
		ck_assert(!b.len || !strcmp(b.data, param_vec[_i].out));
	}
	buf_close(&b);
}
END_TEST

START_TEST(test_urlenc_roundtrip)
{
	static const char raw[] = "a b+c&d=é~";
	struct buf enc, dec, form;

	buf_init(&enc);
	buf_init(&dec);
	buf_init(&form);
	http_urlenc_put(&enc, SV(raw));
	ck_assert_str_eq(enc.data, "a%20b%2Bc%26d%3D%C3%A9~");
	buf_puts(&form, "token=");
	buf_putsv(&form, (struct sv){ enc.data, enc.len });
	ck_assert_int_eq(http_param_get((struct sv){ form.data, form.len },
					"token", &dec),
			 0);
	ck_assert_str_eq(dec.data, raw);
	buf_close(&enc);
	buf_close(&dec);
	buf_close(&form);
}
END_TEST

START_TEST(test_headers)
{
	static const char in[] =
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade"
		"\r\nupgrade: websocket\r\nCookie: a=1; sid=xyz ;b=2\r\n"
		"X-List: one\r\nx-list: two,  three \r\n"
		"Content-Type: Application/JSON; charset=utf-8\r\n\r\n";
	struct http_parser *p = http_parser_new(false, NULL);
	const struct http_hdr *h;
	struct http_req r;
	struct sv v;

	http_parser_push(p, in, sizeof(in) - 1);
	ck_assert_int_eq(http_parser_next_req(p, &r, NULL), 0);
	ck_assert(r.upgrade);
	ck_assert(http_hdr_has_token(&r.hdrs, "Connection", "upgrade"));
	ck_assert(http_hdr_has_token(&r.hdrs, "connection", "Keep-Alive"));
	ck_assert(!http_hdr_has_token(&r.hdrs, "connection", "close"));
	ck_assert(http_hdr_has_token(&r.hdrs, "X-List", "three"));
	ck_assert(http_hdr_has_token(&r.hdrs, "X-List", "one"));
	ck_assert(!http_hdr_has_token(&r.hdrs, "X-List", "thr"));
	h = http_hdr_find(&r.hdrs, "x-list");
	ck_assert(sv_eq_cstr(h->value, "one"));
	h = http_hdr_next(&r.hdrs, h);
	ck_assert(sv_eq_cstr(h->value, "two,  three"));
	ck_assert_ptr_null(http_hdr_next(&r.hdrs, h));
	ck_assert_ptr_null(http_hdr_find(&r.hdrs, "x-lis"));
	ck_assert_int_eq(http_cookie_get(&r.hdrs, "sid", &v), 0);
	ck_assert(sv_eq_cstr(v, "xyz"));
	ck_assert_int_eq(http_cookie_get(&r.hdrs, "c", &v), -ENOENT);
	ck_assert(http_is_json(&r.hdrs));
	http_parser_free(p);
}
END_TEST

START_TEST(test_status_reason)
{
	ck_assert_str_eq(http_status_reason(200), "OK");
	ck_assert_str_eq(http_status_reason(431),
			 "Request Header Fields Too Large");
	ck_assert_str_eq(http_status_reason(505), "HTTP Version Not Supported");
	ck_assert_str_eq(http_status_reason(299), "Unknown");
}
END_TEST

static const struct {
	const char *in;
	size_t max;
	int err;
} json_vec[] = {
	{ "{\"id\":\"alice\",\"password\":\"x\"}", 0, 0 },
	{ "[1,2]", 0, 0 },
	{ "{\"id\":", 0, -EBADMSG },
	{ "", 0, -EBADMSG },
	{ "{\"id\":\"a\",\"id\":\"b\"}", 0, -EBADMSG },
	{ "{\"a\":1}", 4, -EMSGSIZE },
};

START_TEST(test_json_parse)
{
	json_t *j = (json_t *)1;
	char why[80] = "";
	int err = http_json_parse(sv_from_cstr(json_vec[_i].in),
				  json_vec[_i].max, &j, why, sizeof(why));

	ck_assert_int_eq(err, json_vec[_i].err);
	if (err) {
		ck_assert_ptr_null(j);
		ck_assert(why[0]);
	} else {
		ck_assert_ptr_nonnull(j);
	}
	json_decref(j);
}
END_TEST

/* RFC 4648 §10 vectors, in the URL alphabet without padding. */
static const struct {
	const char *raw, *enc;
} b64_vec[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
	{ "\xfb\xff", "-_8" },
};

START_TEST(test_b64url)
{
	struct buf e, d;
	size_t n = strlen(b64_vec[_i].raw);

	buf_init(&e);
	buf_init(&d);
	http_b64url_encode(&e, b64_vec[_i].raw, n);
	ck_assert_uint_eq(e.len, strlen(b64_vec[_i].enc));
	ck_assert(!e.len || !strcmp(e.data, b64_vec[_i].enc));
	ck_assert_int_eq(http_b64url_decode(sv_from_cstr(b64_vec[_i].enc), &d),
			 0);
	ck_assert_uint_eq(d.len, n);
	ck_assert(!n || !memcmp(d.data, b64_vec[_i].raw, n));
	buf_close(&e);
	buf_close(&d);
}
END_TEST

START_TEST(test_b64url_bad)
{
	static const char *const bad[] = { "Z",	 "Zm9v+",    "Zm/v",
					   "Zh", "Zm9vY===", "Z===" };
	struct buf d;

	buf_init(&d);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(http_b64url_decode(sv_from_cstr(bad[i]), &d) ==
				      -EBADMSG,
			      "%s", bad[i]);
	buf_reset(&d);
	ck_assert_int_eq(http_b64url_decode(SV("Zm8="), &d), 0);
	ck_assert_uint_eq(d.len, 2);
	buf_close(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse_whole, 0, (int)ARRAY_SIZE(pvec));
	tcase_add_loop_test(tc, test_parse_bytewise, 0, (int)ARRAY_SIZE(pvec));
	tcase_add_test(tc, test_parse_leftover);
	tcase_add_loop_test(tc, test_parse_resp, 0, (int)ARRAY_SIZE(rvec));
	tcase_add_loop_test(tc, test_param_get, 0, (int)ARRAY_SIZE(param_vec));
	tcase_add_test(tc, test_urlenc_roundtrip);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_status_reason);
	tcase_add_loop_test(tc, test_json_parse, 0, (int)ARRAY_SIZE(json_vec));
	tcase_add_loop_test(tc, test_b64url, 0, (int)ARRAY_SIZE(b64_vec));
	tcase_add_test(tc, test_b64url_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
