/*
 * check_http_io.c - lib/http server and client on a real loop, over
 * 127.0.0.1 with OS-chosen ports, plain TCP and TLS (a self-signed pair in
 * a temporary directory). Every test is bounded by a guard timer and ends
 * with uv_loop_close() == 0 (no leaked handle).
 *
 * Raw peers (struct stream written by hand) send what a well-behaved
 * client never would: garbage, half requests, pipelined bursts, upgrades.
 * After each raw exchange a normal client must still be served.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"

#define GUARD_MS 5000

struct fx {
	uv_loop_t loop;
	uv_timer_t guard;
	uv_timer_t later; /* answers /later from the loop */
	struct http_server *srv;
	struct tls_ctx *sctx, *cctx;
	uint16_t port;
	char dir[64];
	/* what the server saw */
	struct http_conn *conns[4];
	int nreq;
	struct http_conn *held; /* /later or /never, with a reference */
	struct stream *up;	/* upgraded stream, with a reference */
	struct buf up_in;
	int trace_recv, trace_sent, ctrace;
	bool saw_tls;
	/* what the client got */
	int cerr;
	int cstatus;
	struct buf cbody;
	int ncb;
	bool stopped;
};

static struct fx F;

/* ---- server side --------------------------------------------------------- */

static void later_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	struct http_conn *c = f->held;

	f->held = NULL;
	ck_assert_int_eq(http_respond(c, 200, "text/plain", "later", 5, NULL),
			 0);
	/* answering twice is refused */
	ck_assert_int_eq(http_respond(c, 200, NULL, NULL, 0, NULL), -EPROTO);
	obj_unref(c);
}

static void up_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct fx *f = arg;

	buf_append(&f->up_in, p, n);
	if (f->up_in.len >= 4 && !memcmp(f->up_in.data, "ping", 4)) {
		stream_write(s, "pong", 4);
		stream_close(s);
	}
}

static void up_close(struct stream *s, int err, void *arg)
{
	struct fx *f = arg;

	UNUSED(err);
	ck_assert_ptr_eq(s, f->up);
	f->up = obj_unref(f->up);
}

static void do_upgrade(struct fx *f, struct http_conn *c)
{
	struct stream_cbs cbs = { NULL, up_read, up_close, f };
	struct buf left;
	static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Upgrade: test\r\nConnection: Upgrade\r\n\r\n";

	buf_init(&left);
	ck_assert_int_eq(http_conn_upgrade(c, &f->up, &left), 0);
	stream_set_cbs(f->up, &cbs);
	stream_write(f->up, ok, sizeof(ok) - 1);
	stream_write(f->up, "left=", 5);
	stream_write(f->up, left.data, left.len);
	stream_resume(f->up);
	buf_close(&left);
}

static void handler(struct http_conn *c, const struct http_req *req, void *arg)
{
	struct fx *f = arg;
	json_t *j;
	char why[80];

	if (f->nreq < (int)ARRAY_SIZE(f->conns))
		f->conns[f->nreq] = c;
	f->nreq++;
	f->saw_tls = stream_is_tls(http_conn_stream(c));
	if (sv_eq_cstr(req->path, "/")) {
		http_respond(c, 200, "text/html", "hello", 5, NULL);
	} else if (sv_eq_cstr(req->path, "/json")) {
		if (!http_is_json(&req->hdrs)) {
			http_respond_error(c, 415, "invalid_request", NULL);
		} else if (http_json_parse(req->body, 0, &j, why,
					   sizeof(why))) {
			http_respond_error(c, 400, "invalid_request", why);
		} else {
			http_respond_json(c, 200, json_pack("{s:o}", "got", j),
					  NULL);
		}
	} else if (sv_eq_cstr(req->path, "/later")) {
		f->held = obj_ref(c);
		uv_timer_start(&f->later, later_cb, 20, 0);
	} else if (sv_eq_cstr(req->path, "/never")) {
		f->held = obj_ref(c);
	} else if (sv_eq_cstr(req->path, "/big")) {
		char *big = xcalloc(1, 5000);

		memset(big, 'b', 4999);
		http_respond(c, 200, "text/plain", big, 4999, NULL);
		free(big);
	} else if (sv_eq_cstr(req->path, "/upgrade") && req->upgrade) {
		do_upgrade(f, c);
	} else {
		http_respond_error(c, 404, "not_found", "no such page");
	}
}

static void srv_trace(struct stream *s, bool sent, struct sv line,
		      const char *raw, size_t len, void *arg)
{
	struct fx *f = arg;

	ck_assert_ptr_nonnull(stream_peer(s));
	ck_assert_uint_ge(len, line.len);
	ck_assert_int_eq(memcmp(raw, line.p, line.len), 0);
	if (sent) {
		ck_assert(sv_starts_with(line, "HTTP/1.1 "));
		f->trace_sent++;
	} else {
		f->trace_recv++;
	}
}

/* ---- fixture ------------------------------------------------------------- */

static void guard_cb(uv_timer_t *t)
{
	UNUSED(t);
	ck_abort_msg("guard timer: the test did not finish");
}

static void fx_stop(struct fx *f)
{
	if (f->stopped)
		return;
	f->stopped = true;
	if (f->held) { /* refused if the peer is already gone */
		int rc = http_respond(f->held, 200, NULL, NULL, 0, NULL);

		ck_assert(rc == 0 || rc == -ECANCELED);
		f->held = obj_unref(f->held);
	}
	http_server_free(f->srv);
	f->srv = NULL;
	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_close((uv_handle_t *)&f->later, NULL);
}

static void fx_setup(bool tls)
{
	struct fx *f = &F;
	struct http_limits lim = { 0 };
	char cert[256], key[256], err[256];
	bool created;

	memset(f, 0, sizeof(*f));
	buf_init(&f->up_in);
	buf_init(&f->cbody);
	ck_assert_int_eq(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->guard);
	uv_timer_start(&f->guard, guard_cb, GUARD_MS, 0);
	uv_timer_init(&f->loop, &f->later);
	f->later.data = f;
	if (tls) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/check_http.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(f->dir));
		snprintf(cert, sizeof(cert), "%s/cert.pem", f->dir);
		snprintf(key, sizeof(key), "%s/key.pem", f->dir);
		ck_assert_int_eq(tls_selfsigned_make(cert, key, "wws.test",
						     "localhost,127.0.0.1",
						     &created, err,
						     sizeof(err)),
				 0);
		ck_assert_int_eq(tls_ctx_server_new(&f->sctx, cert, key, err,
						    sizeof(err)),
				 0);
		ck_assert_int_eq(
			tls_ctx_client_new(&f->cctx, cert, err, sizeof(err)),
			0);
		unlink(cert);
		unlink(key);
		rmdir(f->dir);
	}
	lim.request_timeout_ms = 300;
	lim.keepalive_ms = 300;
	lim.max_body = 4096;
	ck_assert_int_eq(http_server_new(&f->srv, &f->loop, "127.0.0.1", 0,
					 f->sctx, &lim, handler, f),
			 0);
	http_server_set_trace(f->srv, srv_trace, f);
	f->port = http_server_port(f->srv);
	ck_assert_uint_gt(f->port, 0);
}

static void fx_run(void)
{
	struct fx *f = &F;

	ck_assert_int_eq(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	ck_assert(f->stopped);
	ck_assert_int_eq(uv_loop_close(&f->loop), 0);
	tls_ctx_free(f->sctx);
	tls_ctx_free(f->cctx);
}

/* After the checks: what the test looked at. */
static void fx_teardown(void)
{
	buf_close(&F.up_in);
	buf_close(&F.cbody);
}

/* ---- client helper ------------------------------------------------------- */

typedef void(next_cb)(struct fx *f);

struct creq {
	next_cb *next; /* after the answer; NULL = stop */
};

static void cli_trace(struct stream *s, bool sent, struct sv line,
		      const char *raw, size_t len, void *arg)
{
	struct fx *f = arg;

	UNUSED(raw);
	UNUSED(len);
	ck_assert_str_eq(stream_transport(s), f->cctx ? "tls" : "tcp");
	if (!sent)
		ck_assert(sv_starts_with(line, "HTTP/1.1"));
	f->ctrace++;
}

static void cli_done(int err, const struct http_resp *r, void *arg)
{
	struct fx *f = &F;
	next_cb *next = (next_cb *)(uintptr_t)arg;

	f->ncb++;
	f->cerr = err;
	f->cstatus = r ? r->status : 0;
	buf_reset(&f->cbody);
	if (r) {
		ck_assert_int_eq(err, 0);
		buf_putsv(&f->cbody, r->body);
		ck_assert_ptr_nonnull(http_hdr_find(&r->hdrs, "Date"));
	} else {
		ck_assert_int_lt(err, 0);
	}
	if (next)
		next(f);
	else
		fx_stop(f);
}

static void cli_send(struct fx *f, const char *method, const char *target,
		     const char *ctype, const char *body, uint64_t timeout,
		     size_t max_body, next_cb *next)
{
	struct http_client_req r = { 0 };

	r.ip = "127.0.0.1";
	r.port = f->port;
	r.tls = f->cctx;
	r.sni = f->cctx ? "localhost" : NULL;
	r.method = method;
	r.target = target;
	r.content_type = ctype;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	r.timeout_ms = timeout;
	r.max_body = max_body;
	r.trace = cli_trace;
	r.trace_arg = f;
	ck_assert_int_eq(http_client_request(NULL, &f->loop, &r, cli_done,
					     (void *)(uintptr_t)next),
			 0);
}

/* ---- client tests -------------------------------------------------------- */

static const struct {
	const char *name;
	bool tls;
	const char *method, *target, *ctype, *body;
	uint64_t timeout;
	size_t max_body;
	int err, status;
	const char *expect; /* substring of the answer's body */
} cvec[] = {
	{ "get", false, "GET", "/", NULL, NULL, 0, 0, 0, 200, "hello" },
	{ "get-tls", true, "GET", "/", NULL, NULL, 0, 0, 0, 200, "hello" },
	{ "post-json", false, "POST", "/json", "application/json",
	  "{\"a\":[1,2]}", 0, 0, 0, 200, "{\"got\":{\"a\":[1,2]}}" },
	{ "post-json-tls", true, "POST", "/json",
	  "application/json; charset=utf-8", "{\"a\":1}", 0, 0, 0, 200,
	  "{\"got\":{\"a\":1}}" },
	{ "post-bad-json", false, "POST", "/json", "application/json", "{\"a\"",
	  0, 0, 0, 400, "\"error\":\"invalid_request\"" },
	{ "post-not-json", false, "POST", "/json", "text/plain", "x", 0, 0, 0,
	  415, "invalid_request" },
	{ "post-too-big", false, "POST", "/json", "application/json",
	  "{\"a\":\"" /* padded below */, 0, 0, 0, 413, "invalid_request" },
	{ "not-found", false, "GET", "/nope?x=1", NULL, NULL, 0, 0, 0, 404,
	  "\"error\":\"not_found\"" },
	{ "later", false, "GET", "/later", NULL, NULL, 0, 0, 0, 200, "later" },
	{ "head", false, "HEAD", "/", NULL, NULL, 0, 0, 0, 200, "" },
	{ "timeout", false, "GET", "/never", NULL, NULL, 200, 0, -ETIMEDOUT, 0,
	  NULL },
	{ "too-big-answer", false, "GET", "/big", NULL, NULL, 0, 1000,
	  -EMSGSIZE, 0, NULL },
	{ "big-answer", true, "GET", "/big", NULL, NULL, 0, 0, 0, 200, "bbbb" },
};

START_TEST(test_client)
{
	struct fx *f = &F;
	struct buf body;

	fx_setup(cvec[_i].tls);
	buf_init(&body);
	if (cvec[_i].body) {
		buf_puts(&body, cvec[_i].body);
		if (!strcmp(cvec[_i].name, "post-too-big")) {
			for (int k = 0; k < 5000; k++)
				buf_puts(&body, "x");
			buf_puts(&body, "\"}");
		}
	}
	cli_send(f, cvec[_i].method, cvec[_i].target, cvec[_i].ctype,
		 cvec[_i].body ? body.data : NULL, cvec[_i].timeout,
		 cvec[_i].max_body, NULL);
	fx_run();
	buf_close(&body);
	ck_assert_int_eq(f->ncb, 1);
	ck_assert_msg(f->cerr == cvec[_i].err, "%s: err %d", cvec[_i].name,
		      f->cerr);
	ck_assert_int_eq(f->cstatus, cvec[_i].status);
	if (cvec[_i].expect)
		ck_assert_msg(f->cbody.len >= strlen(cvec[_i].expect) &&
				      memmem(f->cbody.data, f->cbody.len,
					     cvec[_i].expect,
					     strlen(cvec[_i].expect)),
			      "%s: body %.*s", cvec[_i].name, (int)f->cbody.len,
			      f->cbody.data);
	ck_assert_int_eq(f->saw_tls, cvec[_i].tls && f->nreq);
	if (!cvec[_i].err) {
		ck_assert_int_eq(f->ctrace, 2);
		ck_assert_int_eq(f->trace_recv, 1);
		ck_assert_int_eq(f->trace_sent, 1);
	}
	fx_teardown();
}
END_TEST

static void no_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	UNUSED(l);
	UNUSED(s);
	UNUSED(arg);
}

START_TEST(test_client_refused)
{
	struct fx *f = &F;
	struct stream_listener *l;
	uint16_t port;

	fx_setup(false);
	/* a port that was just free: nothing listens there now */
	ck_assert_int_eq(stream_listen(&l, &f->loop, "127.0.0.1", 0, NULL, NULL,
				       no_accept, NULL),
			 0);
	port = stream_listener_port(l);
	stream_listener_close(l);
	f->port = port;
	cli_send(f, "GET", "/", NULL, NULL, 0, 0, NULL);
	fx_run();
	ck_assert_int_eq(f->ncb, 1);
	ck_assert_int_eq(f->cerr, -ECONNREFUSED);
	fx_teardown();
}
END_TEST

static void never_cb(int err, const struct http_resp *r, void *arg)
{
	UNUSED(err);
	UNUSED(r);
	UNUSED(arg);
	ck_abort_msg("cancelled request called back");
}

static void stop_soon(uv_timer_t *t)
{
	fx_stop(t->data);
}

START_TEST(test_client_cancel)
{
	struct fx *f = &F;
	struct http_client *c = NULL;
	struct http_client_req r = { 0 };

	fx_setup(false);
	r.ip = "127.0.0.1";
	r.port = f->port;
	r.method = "GET";
	r.target = "/";
	ck_assert_int_eq(http_client_request(&c, &f->loop, &r, never_cb, NULL),
			 0);
	ck_assert_ptr_nonnull(c);
	http_client_cancel(c);
	/* bad arguments never call back either */
	r.target = "/a b";
	ck_assert_int_eq(
		http_client_request(NULL, &f->loop, &r, never_cb, NULL),
		-EINVAL);
	r.target = "/\r\nX: injected";
	ck_assert_int_eq(
		http_client_request(NULL, &f->loop, &r, never_cb, NULL),
		-EINVAL);
	f->later.data = f;
	uv_timer_start(&f->later, stop_soon, 50, 0);
	fx_run();
	fx_teardown();
}
END_TEST

/* ---- raw peers ----------------------------------------------------------- */

struct raw {
	struct stream *s;
	struct buf in;
	const char *send2; /* sent once the first answer is complete */
	const char *mark;  /* ... which is recognised by this substring */
	bool sent2;
};

static struct raw R;

static void after_raw(struct fx *f)
{
	/* the server keeps serving after whatever the raw peer did */
	cli_send(f, "GET", "/", NULL, NULL, 0, 0, NULL);
}

static void raw_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct raw *r = arg;

	buf_append(&r->in, p, n);
	if (r->send2 && !r->sent2 &&
	    memmem(r->in.data, r->in.len, r->mark, strlen(r->mark))) {
		r->sent2 = true;
		stream_write(s, r->send2, strlen(r->send2));
	}
}

static void raw_close(struct stream *s, int err, void *arg)
{
	UNUSED(s);
	UNUSED(err);
	UNUSED(arg);
	after_raw(&F);
}

static void raw_start(struct fx *f, const char *send, size_t len)
{
	struct stream_cbs cbs = { NULL, raw_read, raw_close, &R };

	ck_assert_int_eq(stream_connect(&R.s, &f->loop, "127.0.0.1", f->port,
					NULL, NULL, NULL, &cbs),
			 0);
	if (len)
		ck_assert_int_eq(stream_write(R.s, send, len), 0);
}

#define REQ(m, t, extra) m " " t " HTTP/1.1\r\nHost: h\r\n" extra "\r\n"
#define UPG		 "Connection: Upgrade\r\nUpgrade: test\r\n"

static const struct {
	const char *name;
	const char *send;
	const char *send2, *mark; /* second write after `mark` arrived */
	const char *expect[4];	  /* in this order in what came back */
	const char *absent;
	int nreq; /* requests the handler saw */
	bool bad; /* refused by the parser: traced, then answered */
} rvec[] = {
	{ "garbage",
	  "\x16\x03\x01\x02\x00garbage\r\n\r\n",
	  NULL,
	  NULL,
	  { "HTTP/1.1 400 Bad Request\r\n", "Connection: close\r\n",
	    "\"error\":\"invalid_request\"" },
	  NULL,
	  0,
	  true },
	{ "slow",
	  "GET / HTTP/1.1\r\nHo",
	  NULL,
	  NULL,
	  { "HTTP/1.1 408 Request Timeout\r\n", "Connection: close" },
	  NULL,
	  0,
	  true },
	{ "idle", "", NULL, NULL, { NULL }, "HTTP", 0, false },
	{ "head",
	  REQ("HEAD", "/", "Connection: close\r\n"),
	  NULL,
	  NULL,
	  { "HTTP/1.1 200 OK\r\n", "Content-Length: 5\r\n" },
	  "hello",
	  1,
	  false },
	{ "pipelined",
	  REQ("GET", "/later", "") REQ("GET", "/nope", "")
		  REQ("GET", "/", "Connection: close\r\n"),
	  NULL,
	  NULL,
	  { "later", "not_found", "hello" },
	  NULL,
	  3,
	  false },
	{ "keepalive",
	  REQ("GET", "/", ""),
	  REQ("GET", "/later", "Connection: close\r\n"),
	  "hello",
	  { "HTTP/1.1 200 OK", "hello", "Connection: close", "later" },
	  NULL,
	  2,
	  false },
	{ "http10",
	  "GET / HTTP/1.0\r\n\r\n",
	  NULL,
	  NULL,
	  { "HTTP/1.1 200 OK\r\n", "Connection: close\r\n", "hello" },
	  NULL,
	  1,
	  false },
	{ "http2",
	  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	  NULL,
	  NULL,
	  { "HTTP/1.1 505 " },
	  NULL,
	  0,
	  true },
	{ "too-big-body",
	  REQ("POST", "/json", "Content-Length: 2000000\r\n"),
	  NULL,
	  NULL,
	  { "HTTP/1.1 413 " },
	  NULL,
	  0,
	  true },
	{ "te-cl",
	  REQ("POST", "/json",
	      "Content-Length: 3\r\n"
	      "Transfer-Encoding: chunked\r\n"),
	  NULL,
	  NULL,
	  { "HTTP/1.1 400 " },
	  NULL,
	  0,
	  true },
	{ "refused-upgrade",
	  REQ("GET", "/nope", UPG),
	  NULL,
	  NULL,
	  { "HTTP/1.1 404 ", "Connection: close" },
	  NULL,
	  1,
	  false },
	{ "upgrade",
	  REQ("GET", "/upgrade", UPG) "LEFTOVER",
	  "ping",
	  "LEFTOVER",
	  { "HTTP/1.1 101 ", "left=LEFTOVER", "pong" },
	  NULL,
	  1,
	  false },
};

START_TEST(test_raw)
{
	struct fx *f = &F;
	const char *at;
	size_t rest;

	fx_setup(false);
	memset(&R, 0, sizeof(R));
	buf_init(&R.in);
	R.send2 = rvec[_i].send2;
	R.mark = rvec[_i].mark;
	raw_start(f, rvec[_i].send, strlen(rvec[_i].send));
	fx_run();
	R.s = obj_unref(R.s);
	/* +1: the normal client served afterwards */
	ck_assert_msg(f->nreq == rvec[_i].nreq + 1, "%s: %d requests",
		      rvec[_i].name, f->nreq);
	ck_assert_int_eq(f->cstatus, 200);
	at = R.in.data ? R.in.data : "";
	rest = R.in.len;
	for (size_t k = 0; k < ARRAY_SIZE(rvec[_i].expect); k++) {
		const char *e = rvec[_i].expect[k];
		const char *hit;

		if (!e)
			break;
		hit = memmem(at, rest, e, strlen(e));
		ck_assert_msg(hit, "%s: no '%s' in order in: %.*s",
			      rvec[_i].name, e, (int)R.in.len,
			      R.in.data ? R.in.data : "");
		rest -= (size_t)(hit - at) + strlen(e);
		at = hit + strlen(e);
	}
	if (rvec[_i].absent)
		ck_assert(!R.in.len ||
			  !memmem(R.in.data, R.in.len, rvec[_i].absent,
				  strlen(rvec[_i].absent)));
	/* every request is traced, refused ones too; +1 the normal client */
	ck_assert_int_eq(f->trace_recv, rvec[_i].nreq + rvec[_i].bad + 1);
	ck_assert_int_eq(f->trace_sent,
			 f->trace_recv - !strcmp(rvec[_i].name, "upgrade"));
	if (rvec[_i].nreq >= 2 && rvec[_i].send2)
		ck_assert_ptr_eq(f->conns[0], f->conns[1]); /* keep-alive */
	if (!strcmp(rvec[_i].name, "upgrade"))
		ck_assert(f->up_in.len == 4 &&
			  !memcmp(f->up_in.data, "ping", 4));
	buf_close(&R.in);
	fx_teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_io");
	TCase *tc = tcase_create("http_io");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_client, 0, (int)ARRAY_SIZE(cvec));
	tcase_add_test(tc, test_client_refused);
	tcase_add_test(tc, test_client_cancel);
	tcase_add_loop_test(tc, test_raw, 0, (int)ARRAY_SIZE(rvec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
