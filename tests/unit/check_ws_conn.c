/* check_ws_conn.c - lib/ws connections over loopback plain streams: our
 * client against our server (messages both ways, the 1 MiB limit, pings,
 * the close handshake from either side, refused handshakes), and a raw
 * TCP client sending hand-made bad frames, each answered with its RFC 6455
 * close code while the server keeps serving a good client. Every test
 * ends with all handles closed and uv_loop_close() == 0. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ws/ws.h"

#define MIB (1024 * 1024)
#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define ORG "https://web.example"

static const char *const sip_only[] = { "sip", NULL };
static const char *const origins[] = { ORG, NULL };
static const struct stream_limits lim = { 4 * MIB, 0, 0 };

struct fx;

struct cli { /* what a ws client saw */
	struct fx *fx;
	struct ws_conn *c; /* creator's reference */
	int opened, open_err, closed, close_err;
	uint16_t code;
	char reason[64];
	int step, pings, pongs, http_sent, http_recv;
	uv_timer_t t; /* for the keep-alive test */
};

struct raw { /* a raw TCP client: writes tx, reads rx to the end */
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	struct buf tx, rx;
	bool started, done;
};

struct fx {
	uv_loop_t loop;
	uv_timer_t guard;
	bool timed_out, listening;
	struct stream_listener *l;
	struct ws_conf sconf;
	struct tls_ctx *sctx, *cctx; /* wss tests */
	char dir[32], cert[64], key[64];
	bool mute; /* the server never answers the upgrade */
	int srv_traced_http, srv_traced_close;
	uint16_t srv_traced_code;
	int refused, srv_closed, srv_msgs;
	uint16_t srv_code;
	int srv_err;
	char srv_reason[64];
	struct cli cli;
	struct raw raw;
	int want_srv_closes; /* then the listener closes */
};

static struct fx g;

/* ---- server: minimal upgrade reader, then ws_conn_accept ----------------- */

struct pend {
	struct stream *s;
	struct buf in;
};

static void srv_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		    size_t n, void *arg)
{
	UNUSED(arg);
	g.srv_msgs++;
	if (op == WS_OP_TEXT && n == 5 && !memcmp(p, "close", 5)) {
		/* from inside the callback: the close must follow "last" */
		ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, "last", 4), 0);
		ck_assert_int_eq(ws_conn_close(c, 1000, "bye"), 0);
	} else
		ck_assert_int_eq(ws_conn_send(c, op, p, n), 0); /* echo */
}

static void fx_check_done(void)
{
	if (g.listening && g.srv_closed >= g.want_srv_closes &&
	    (!g.cli.c || g.cli.closed) && (!g.raw.started || g.raw.done)) {
		g.listening = false;
		stream_listener_close(g.l);
	}
}

static void srv_close(struct ws_conn *c, uint16_t code, struct sv reason,
		      int err, void *arg)
{
	UNUSED(c);
	UNUSED(arg);
	/* the first connection's end is the one the tests look at */
	if (!g.srv_closed++) {
		g.srv_code = code;
		g.srv_err = err;
		sv_copy(reason, g.srv_reason, sizeof(g.srv_reason));
	}
	fx_check_done();
}

static void srv_trace(struct ws_conn *c, bool sent, enum ws_opcode op,
		      const char *p, size_t n, void *arg)
{
	UNUSED(c);
	UNUSED(arg);
	if (sent && op == WS_OP_HTTP) {
		g.srv_traced_http++;
		ck_assert(!strncmp(p, "HTTP/1.1 101 ", 13));
	}
	if (sent && op == WS_OP_CLOSE && !g.srv_traced_close++ && n >= 2)
		g.srv_traced_code =
			(uint16_t)((uint8_t)p[0] << 8 | (uint8_t)p[1]);
}

static const struct ws_cbs srv_cbs = { NULL, srv_msg, srv_close, srv_trace,
				       NULL };

static void pend_free(struct pend *pd)
{
	buf_close(&pd->in);
	free(pd);
}

static void pend_close(struct stream *s, int err, void *arg)
{
	UNUSED(s);
	UNUSED(err);
	pend_free(arg);
}

static void pend_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct pend *pd = arg;
	struct ws_hs_policy pol = { sip_only, true, origins };
	struct ws_hs_result res;
	struct ws_hs_req req;
	struct ws_conn *c;
	struct buf out;
	size_t head;
	int err;

	if (g.mute)
		return;
	buf_append(&pd->in, p, n);
	err = ws_handshake_request_parse((struct sv){ pd->in.data, pd->in.len },
					 &req, &head, NULL);
	if (err == -EAGAIN)
		return;
	ck_assert_int_eq(err, 0);
	buf_init(&out);
	if (ws_handshake_check(&req, &pol, &res)) {
		g.refused = res.status;
		ws_handshake_print(&res, &out);
		stream_write(s, out.data, out.len);
		stream_close(s);
		buf_close(&out);
		return;
	}
	buf_close(&out);
	err = ws_conn_accept(
		&c, &g.loop, s, &res,
		(struct sv){ pd->in.data + head, pd->in.len - head }, &g.sconf,
		&srv_cbs);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(ws_conn_protocol(c), "sip");
	ck_assert_str_eq(ws_conn_transport(c), g.sctx ? "wss" : "ws");
	obj_unref(c); /* the stack keeps it until its close callback */
	pend_free(pd);
}

static void srv_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	struct pend *pd = xcalloc(1, sizeof(*pd));
	struct stream_cbs cbs = { NULL, pend_read, pend_close, pd };

	UNUSED(l);
	UNUSED(arg);
	pd->s = s;
	buf_init(&pd->in);
	stream_set_cbs(s, &cbs);
}

/* ---- fixture ------------------------------------------------------------- */

static void guard_cb(uv_timer_t *t)
{
	UNUSED(t);
	g.timed_out = true;
	if (g.cli.c)
		ws_conn_abort(g.cli.c);
	if (g.raw.started && !uv_is_closing((uv_handle_t *)&g.raw.tcp))
		uv_close((uv_handle_t *)&g.raw.tcp, NULL);
	g.raw.done = true;
	if (g.listening) {
		g.listening = false;
		stream_listener_close(g.l);
	}
}

static void fx_tls(void)
{
	char err[256];
	bool created;

	snprintf(g.dir, sizeof(g.dir), "/tmp/check_ws.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g.dir));
	snprintf(g.cert, sizeof(g.cert), "%s/cert.pem", g.dir);
	snprintf(g.key, sizeof(g.key), "%s/key.pem", g.dir);
	ck_assert_int_eq(tls_selfsigned_make(g.cert, g.key, "wsf.test",
					     "localhost,127.0.0.1", &created,
					     err, sizeof(err)),
			 0);
	ck_assert_int_eq(
		tls_ctx_server_new(&g.sctx, g.cert, g.key, err, sizeof(err)),
		0);
	ck_assert_int_eq(tls_ctx_client_new(&g.cctx, g.cert, err, sizeof(err)),
			 0);
}

static void fx_init(const struct ws_conf *sconf, int want_srv_closes, bool tls)
{
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(uv_loop_init(&g.loop), 0);
	if (tls)
		fx_tls();
	if (sconf)
		g.sconf = *sconf;
	g.want_srv_closes = want_srv_closes;
	ck_assert_int_eq(stream_listen(&g.l, &g.loop, "127.0.0.1", 0, g.sctx,
				       &lim, srv_accept, NULL),
			 0);
	g.listening = true;
	uv_timer_init(&g.loop, &g.guard);
	uv_timer_start(&g.guard, guard_cb, 8000, 0);
	uv_unref((uv_handle_t *)&g.guard);
	buf_init(&g.raw.tx);
	buf_init(&g.raw.rx);
}

static void fx_run_and_close(void)
{
	uv_run(&g.loop, UV_RUN_DEFAULT);
	ck_assert_msg(!g.timed_out, "timed out");
	uv_close((uv_handle_t *)&g.guard, NULL);
	if (g.cli.fx)
		uv_close((uv_handle_t *)&g.cli.t, NULL);
	uv_run(&g.loop, UV_RUN_DEFAULT);
	g.cli.c = obj_unref(g.cli.c);
	buf_close(&g.raw.tx);
	ck_assert_int_eq(uv_loop_close(&g.loop), 0);
	if (g.sctx) {
		tls_ctx_free(g.sctx);
		tls_ctx_free(g.cctx);
		unlink(g.cert);
		unlink(g.key);
		rmdir(g.dir);
	}
}

/* ---- our client ---------------------------------------------------------- */

typedef void(script_cb)(struct cli *k, enum ws_opcode op, const char *p,
			size_t n);
static script_cb *g_script;

static void cli_open(struct ws_conn *c, int err, void *arg)
{
	struct cli *k = arg;

	k->opened++;
	k->open_err = err;
	if (!err) {
		ck_assert(ws_conn_is_open(c));
		ck_assert_str_eq(ws_conn_protocol(c), "sip");
		g_script(k, WS_OP_CONT, NULL, 0); /* step 0 */
	}
}

static void cli_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		    size_t n, void *arg)
{
	UNUSED(c);
	g_script(arg, op, p, n);
}

static void cli_close(struct ws_conn *c, uint16_t code, struct sv reason,
		      int err, void *arg)
{
	struct cli *k = arg;

	UNUSED(c);
	k->closed++;
	k->code = code;
	k->close_err = err;
	sv_copy(reason, k->reason, sizeof(k->reason));
	ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, "x", 1), -ECANCELED);
	if (uv_is_active((uv_handle_t *)&k->t))
		uv_timer_stop(&k->t);
	fx_check_done();
}

static void cli_trace(struct ws_conn *c, bool sent, enum ws_opcode op,
		      const char *p, size_t n, void *arg)
{
	struct cli *k = arg;

	UNUSED(c);
	UNUSED(p);
	UNUSED(n);
	if (op == WS_OP_HTTP)
		sent ? k->http_sent++ : k->http_recv++;
	if (!sent && op == WS_OP_PING)
		k->pings++;
	if (!sent && op == WS_OP_PONG) {
		k->pongs++;
		g_script(k, op, p, n);
	}
}

static void cli_start(const char *const *protos, const char *origin,
		      const struct ws_conf *conf)
{
	struct ws_client_req req = { "localhost", "/", origin, protos,
				     "localhost" };
	struct ws_cbs cbs = { cli_open, cli_msg, cli_close, cli_trace, &g.cli };
	struct rng r;

	rng_init(&r, 7);
	g.cli.fx = &g;
	uv_timer_init(&g.loop, &g.cli.t);
	ck_assert_int_eq(ws_conn_connect(&g.cli.c, &g.loop, "127.0.0.1",
					 stream_listener_port(g.l), g.cctx,
					 &lim, &req, &r, conf, &cbs),
			 0);
}

/* text, binary, 1 MiB, ping/pong, a CRLF keep-alive, then close 1000 */
static char *g_big;

static void echo_script(struct cli *k, enum ws_opcode op, const char *p,
			size_t n)
{
	static const char bin[] = { 0, 1, 2, (char)0xff };
	struct ws_conn *c = k->c;

	switch (k->step++) {
	case 0:
		ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, "hello", 5), 0);
		break;
	case 1:
		ck_assert(op == WS_OP_TEXT && n == 5 && !memcmp(p, "hello", 5));
		ck_assert_int_eq(ws_conn_send(c, WS_OP_BINARY, bin, 4), 0);
		break;
	case 2:
		ck_assert(op == WS_OP_BINARY && n == 4 && !memcmp(p, bin, 4));
		g_big = xmalloc(MIB);
		for (size_t i = 0; i < MIB; i++)
			g_big[i] = (char)(i * 31 + i / 977);
		ck_assert_int_eq(ws_conn_send(c, WS_OP_BINARY, g_big, MIB), 0);
		break;
	case 3:
		ck_assert(op == WS_OP_BINARY && n == MIB &&
			  !memcmp(p, g_big, MIB));
		free(g_big);
		ck_assert_int_eq(ws_conn_send(c, WS_OP_PING, "p1", 2), 0);
		break;
	case 4:
		ck_assert(op == WS_OP_PONG && n == 2 && !memcmp(p, "p1", 2));
		/* RFC 5626 CRLF keep-alive: just a message to us */
		ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, "\r\n\r\n", 4), 0);
		break;
	case 5:
		ck_assert(op == WS_OP_TEXT && n == 4);
		ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, "\xc3\x28", 2),
				 -EINVAL);
		ck_assert_int_eq(ws_conn_send(c, WS_OP_CLOSE, "", 0), -EINVAL);
		ck_assert_int_eq(ws_conn_close(c, 1005, NULL), -EINVAL);
		ck_assert_int_eq(ws_conn_close(c, 1000, "done"), 0);
		ck_assert(!ws_conn_is_open(c));
		ck_assert_int_eq(ws_conn_close(c, 1000, "again"), -EPROTO);
		ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, "x", 1), -EPROTO);
		break;
	default:
		ck_abort_msg("unexpected message, step %d", k->step);
	}
}

START_TEST(test_echo_and_client_close)
{
	fx_init(NULL, 1, false);
	g_script = echo_script;
	cli_start(sip_only, ORG, NULL);
	fx_run_and_close();
	ck_assert_int_eq(g.cli.step, 6);
	ck_assert_int_eq(g.cli.closed, 1);
	ck_assert_int_eq(g.cli.close_err, 0);
	ck_assert_uint_eq(g.cli.code, 1000); /* the server's echo */
	ck_assert_str_eq(g.cli.reason, "done");
	ck_assert_int_eq(g.srv_err, 0);
	ck_assert_uint_eq(g.srv_code, 1000);
	ck_assert_str_eq(g.srv_reason, "done");
	ck_assert_int_eq(g.srv_msgs, 4); /* pings are no messages */
	ck_assert_int_eq(g.cli.http_sent, 1);
	ck_assert_int_eq(g.cli.http_recv, 1);
	ck_assert_int_eq(g.srv_traced_http, 1);
	ck_assert_int_eq(g.srv_traced_close, 1);
	ck_assert_uint_eq(g.srv_traced_code, 1000);
}
END_TEST

static void server_close_script(struct cli *k, enum ws_opcode op, const char *p,
				size_t n)
{
	if (k->step++ == 0)
		ck_assert_int_eq(ws_conn_send(k->c, WS_OP_TEXT, "close", 5), 0);
	else if (k->step != 2 || op != WS_OP_TEXT || n != 4 ||
		 memcmp(p, "last", 4))
		ck_abort_msg("unexpected message, step %d", k->step);
}

START_TEST(test_server_close)
{
	fx_init(NULL, 1, false);
	g_script = server_close_script;
	cli_start(sip_only, ORG, NULL);
	fx_run_and_close();
	ck_assert_int_eq(g.cli.step, 2); /* "last" came before the close */
	ck_assert_int_eq(g.cli.close_err, 0);
	ck_assert_uint_eq(g.cli.code, 1000);
	ck_assert_str_eq(g.cli.reason, "bye");
	ck_assert_int_eq(g.srv_err, 0);
	ck_assert_uint_eq(g.srv_code, 1000); /* our echo */
	ck_assert_str_eq(g.srv_reason, "bye");
}
END_TEST

static void too_big_script(struct cli *k, enum ws_opcode op, const char *p,
			   size_t n)
{
	UNUSED(op);
	UNUSED(p);
	UNUSED(n);
	if (k->step++ == 0) {
		char *big = xcalloc(1, MIB + 1);

		ck_assert_int_eq(ws_conn_send(k->c, WS_OP_BINARY, big, MIB + 1),
				 0);
		free(big);
	} else {
		ck_abort_msg("unexpected message");
	}
}

START_TEST(test_too_big)
{
	fx_init(NULL, 1, false);
	g_script = too_big_script;
	cli_start(sip_only, ORG, NULL);
	fx_run_and_close();
	ck_assert_int_eq(g.srv_err, -EPROTO);
	ck_assert_uint_eq(g.srv_code, 1009);
	ck_assert_int_eq(g.cli.closed, 1);
	ck_assert_int_eq(g.cli.close_err, 0);
	ck_assert_uint_eq(g.cli.code, 1009);
}
END_TEST

/* pings every 30 ms, answered by our client; idle never fires because
 * pongs count; the client closes after 400 ms. */
static void keepalive_close(uv_timer_t *t)
{
	ck_assert_int_eq(ws_conn_close(g.cli.c, 1000, NULL), 0);
	UNUSED(t);
}

static void keepalive_script(struct cli *k, enum ws_opcode op, const char *p,
			     size_t n)
{
	UNUSED(p);
	UNUSED(n);
	if (op == WS_OP_CONT)
		uv_timer_start(&k->t, keepalive_close, 400, 0);
}

START_TEST(test_keepalive)
{
	struct ws_conf sconf = { 0, 30, 100, 150, 0, 0 };
	struct ws_conf cconf = { 0, 40, 100, 0, 0, 0 };

	fx_init(&sconf, 1, false);
	g_script = keepalive_script;
	cli_start(sip_only, ORG, &cconf);
	fx_run_and_close();
	ck_assert_int_ge(g.cli.pings, 5);
	ck_assert_int_ge(g.cli.pongs, 3); /* to the client's own pings */
	ck_assert_int_eq(g.cli.close_err, 0);
	ck_assert_int_eq(g.srv_err, 0);
	ck_assert_uint_eq(g.srv_code, 1000);
	ck_assert_uint_eq(g.cli.code, 1000);
}
END_TEST

static const struct {
	const char *const *protos;
	const char *origin;
	int refused;
} refuse_vec[] = {
	{ (const char *const[]){ "foo", NULL }, ORG, 400 },
	{ NULL, ORG, 400 },
	{ sip_only, "https://evil.example", 403 },
	{ sip_only, NULL, 403 },
};

static void never_script(struct cli *k, enum ws_opcode op, const char *p,
			 size_t n)
{
	UNUSED(k);
	UNUSED(op);
	UNUSED(p);
	UNUSED(n);
	ck_abort_msg("opened");
}

START_TEST(test_refused)
{
	fx_init(NULL, 0, false);
	g_script = never_script;
	cli_start(refuse_vec[_i].protos, refuse_vec[_i].origin, NULL);
	fx_run_and_close();
	ck_assert_int_eq(g.refused, refuse_vec[_i].refused);
	ck_assert_int_eq(g.cli.opened, 1);
	ck_assert_int_eq(g.cli.open_err, -EPROTO);
	ck_assert_int_eq(g.cli.closed, 1);
	ck_assert_int_eq(g.cli.close_err, -EPROTO);
	ck_assert_uint_eq(g.cli.code, 1006);
}
END_TEST

START_TEST(test_wss_echo)
{
	fx_init(NULL, 1, true);
	g_script = echo_script;
	cli_start(sip_only, ORG, NULL);
	ck_assert_str_eq(ws_conn_transport(g.cli.c), "wss");
	fx_run_and_close();
	ck_assert_int_eq(g.cli.step, 6);
	ck_assert_int_eq(g.cli.close_err, 0);
	ck_assert_uint_eq(g.cli.code, 1000);
	ck_assert_int_eq(g.srv_err, 0);
}
END_TEST

START_TEST(test_handshake_timeout)
{
	struct ws_conf cconf = { .handshake_ms = 100 };

	fx_init(NULL, 0, false);
	g.mute = true;
	g_script = never_script;
	cli_start(sip_only, ORG, &cconf);
	fx_run_and_close();
	ck_assert_int_eq(g.cli.opened, 1);
	ck_assert_int_eq(g.cli.open_err, -ETIMEDOUT);
	ck_assert_int_eq(g.cli.close_err, -ETIMEDOUT);
	ck_assert_uint_eq(g.cli.code, 1006);
}
END_TEST

/* ---- raw client: hand-made frames ---------------------------------------- */

static void frame_put(struct buf *b, uint8_t b0, bool mask, const char *p,
		      size_t n, uint64_t claim)
{
	static const uint8_t key[4] = { 0x11, 0x22, 0x33, 0x44 };
	uint64_t len = claim ? claim : n;
	uint8_t h[14] = { b0 };
	size_t hl = 2;

	if (len < 126) {
		h[1] = (uint8_t)len;
	} else if (len < 0x10000) {
		h[1] = 126;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		hl = 10;
	}
	if (mask) {
		h[1] |= 0x80;
		memcpy(h + hl, key, 4);
		hl += 4;
	}
	buf_append(b, h, hl);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(p ? p[i] : 'a') ^ (mask ? key[i % 4] : 0);

		buf_append(b, &c, 1);
	}
}

static const struct {
	const char *name;
	uint8_t b0;
	bool mask;
	const char *payload; /* NULL: n bytes of 'a' */
	size_t n;
	uint64_t claim; /* length in the header if not n */
	uint8_t b0b;	/* a second frame of n bytes if not 0 */
	uint64_t ping_ms, idle_ms, close_ms;
	uint16_t code;
	int srv_err;
} raw_vec[] = {
	{ "unmasked", 0x81, false, "hi", 2, 0, 0, 0, 0, 0, 1002, -EPROTO },
	{ "rsv1", 0xc1, true, "hi", 2, 0, 0, 0, 0, 0, 1002, -EPROTO },
	{ "opcode 3", 0x83, true, "hi", 2, 0, 0, 0, 0, 0, 1002, -EPROTO },
	{ "fragmented ping", 0x09, true, "hi", 2, 0, 0, 0, 0, 0, 1002,
	  -EPROTO },
	{ "126-byte ping", 0x89, true, NULL, 126, 0, 0, 0, 0, 0, 1002,
	  -EPROTO },
	{ "continuation first", 0x80, true, "hi", 2, 0, 0, 0, 0, 0, 1002,
	  -EPROTO },
	{ "close code 1005", 0x88, true, "\x03\xed", 2, 0, 0, 0, 0, 0, 1002,
	  -EPROTO },
	{ "invalid utf-8", 0x81, true, "ok\xc3\x28", 4, 0, 0, 0, 0, 0, 1007,
	  -EPROTO },
	{ "oversized", 0x82, true, "abc", 3, 2 * MIB, 0, 0, 0, 0, 1009,
	  -EPROTO },
	{ "oversized in fragments", 0x02, true, NULL, 600000, 0, 0x80, 0, 0, 0,
	  1009, -EPROTO },
	{ "no pong", 0, false, NULL, 0, 0, 0, 50, 0, 0, 1001, -ETIMEDOUT },
	{ "idle", 0, false, NULL, 0, 0, 0, 0, 100, 0, 1001, -ETIMEDOUT },
	{ "close unanswered", 0x81, true, "close", 5, 0, 0, 0, 0, 100, 1000,
	  -ETIMEDOUT },
	{ "client close", 0x88, true, "\x03\xe8", 2, 0, 0, 0, 0, 0, 1000, 0 },
};

static void hello_script(struct cli *k, enum ws_opcode op, const char *p,
			 size_t n)
{
	if (k->step++ == 0) {
		ck_assert_int_eq(ws_conn_send(k->c, WS_OP_TEXT, "hello", 5), 0);
		return;
	}
	ck_assert(op == WS_OP_TEXT && n == 5 && !memcmp(p, "hello", 5));
	ck_assert_int_eq(ws_conn_close(k->c, 0, NULL), 0);
}

static void raw_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char rx[65536];

	UNUSED(h);
	UNUSED(hint);
	*b = uv_buf_init(rx, sizeof(rx));
}

static void raw_closed(uv_handle_t *h)
{
	UNUSED(h);
	if (g.raw.done)
		return; /* the guard closed it */
	g.raw.done = true;
	g_script = hello_script; /* the server still serves a good client */
	cli_start(sip_only, ORG, NULL);
}

static void raw_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	if (nread > 0)
		buf_append(&g.raw.rx, b->base, (size_t)nread);
	else if (nread < 0 && !uv_is_closing((uv_handle_t *)h))
		uv_close((uv_handle_t *)h, raw_closed);
}

static void raw_connected(uv_connect_t *req, int status)
{
	uv_buf_t b = uv_buf_init(g.raw.tx.data, (unsigned)g.raw.tx.len);

	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(uv_write(&g.raw.wreq, req->handle, &b, 1, NULL), 0);
	ck_assert_int_eq(uv_read_start(req->handle, raw_alloc, raw_read), 0);
}

/* Walks the server's frames after the 101: counts pings, returns the
 * first close code (0 if none). */
static uint16_t raw_close_code(int *pings)
{
	const uint8_t *p = (const uint8_t *)g.raw.rx.data, *end;
	const char *head = strstr(g.raw.rx.data, "\r\n\r\n");

	ck_assert(!strncmp(g.raw.rx.data, "HTTP/1.1 101 ", 13));
	end = p + g.raw.rx.len;
	p = (const uint8_t *)head + 4;
	while (end - p >= 2) {
		size_t len = p[1] & 0x7f;

		ck_assert_msg(!(p[1] & 0x80), "server frames are not masked");
		ck_assert_uint_lt(len, 126); /* control frames only here */
		if ((p[0] & 0xf) == WS_OP_PING)
			(*pings)++;
		if ((p[0] & 0xf) == WS_OP_CLOSE && len >= 2)
			return (uint16_t)(p[2] << 8 | p[3]);
		p += 2 + len;
	}
	return 0;
}

START_TEST(test_raw_bad_frames)
{
	struct ws_conf sconf = { 0,
				 raw_vec[_i].ping_ms,
				 150,
				 raw_vec[_i].idle_ms,
				 raw_vec[_i].close_ms,
				 0 };
	struct ws_client_req req = { "127.0.0.1", "/", ORG, sip_only, NULL };
	struct sockaddr_in sa;
	int pings = 0;

	fx_init(&sconf, 2, false);
	/* the upgrade and the frames in one write: they reach the server
	 * as leftover of the handshake */
	ws_handshake_request_print(&req, KEY, &g.raw.tx);
	if (raw_vec[_i].b0)
		frame_put(&g.raw.tx, raw_vec[_i].b0, raw_vec[_i].mask,
			  raw_vec[_i].payload, raw_vec[_i].n,
			  raw_vec[_i].claim);
	if (raw_vec[_i].b0b)
		frame_put(&g.raw.tx, raw_vec[_i].b0b, true, NULL, raw_vec[_i].n,
			  0);
	uv_tcp_init(&g.loop, &g.raw.tcp);
	uv_ip4_addr("127.0.0.1", stream_listener_port(g.l), &sa);
	ck_assert_int_eq(uv_tcp_connect(&g.raw.creq, &g.raw.tcp,
					(const struct sockaddr *)&sa,
					raw_connected),
			 0);
	g.raw.started = true;
	fx_run_and_close();
	ck_assert_msg(raw_close_code(&pings) == raw_vec[_i].code, "%s: %u",
		      raw_vec[_i].name, raw_close_code(&pings));
	ck_assert_int_eq(g.srv_err, raw_vec[_i].srv_err);
	ck_assert_uint_eq(g.srv_code, raw_vec[_i].code);
	ck_assert_uint_eq(g.srv_traced_code, raw_vec[_i].code);
	if (raw_vec[_i].ping_ms)
		ck_assert_int_ge(pings, 1);
	/* and the good client after it */
	ck_assert_int_eq(g.cli.step, 2);
	ck_assert_int_eq(g.cli.close_err, 0);
	ck_assert_uint_eq(g.cli.code, 1000);
	ck_assert_int_eq(g.srv_closed, 2);
	buf_close(&g.raw.rx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ws_conn");
	TCase *tc = tcase_create("conn");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_echo_and_client_close);
	tcase_add_test(tc, test_server_close);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_keepalive);
	tcase_add_loop_test(tc, test_refused, 0, ARRAY_SIZE(refuse_vec));
	tcase_add_test(tc, test_wss_echo);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_loop_test(tc, test_raw_bad_frames, 0, ARRAY_SIZE(raw_vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
