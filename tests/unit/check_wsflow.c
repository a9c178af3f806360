/* check_wsflow.c - lib/wsflow: ws/wss URLs, and a sipt stack without any
 * listener sending OPTIONS over a client WebSocket to a loopback server
 * (plain and TLS) that answers 200 over the same connection; refused
 * handshakes and a server that ends the connection give the failure event.
 * Every test ends with uv_loop_close() == 0. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sip/sip.h"
#include "ws/ws.h"
#include "wsflow/wsflow.h"

#define ORG "https://127.0.0.1:9443"

/* ---- URLs --------------------------------------------------------------- */

static const struct {
	const char *url;
	int err;
	bool tls;
	uint16_t port;
	const char *authority, *path;
} url_vec[] = {
	{ "wss://127.0.0.1:7443", 0, true, 7443, "127.0.0.1:7443", "/" },
	{ "WS://localhost/x?y=1", 0, false, 80, "127.0.0.1:80", "/x?y=1" },
	{ "wss://[::1]:9/sip", 0, true, 9, "[::1]:9", "/sip" },
	{ "wss://10.0.0.1", 0, true, 443, "10.0.0.1:443", "/" },
	{ "https://127.0.0.1", -EINVAL, false, 0, NULL, NULL },
	{ "wss://wsf.example.com", -EINVAL, false, 0, NULL, NULL },
	{ "ws://1.2.3.4:0", -EINVAL, false, 0, NULL, NULL },
	{ "ws://1.2.3.4:70000", -EINVAL, false, 0, NULL, NULL },
	{ "ws://[::1", -EINVAL, false, 0, NULL, NULL },
	{ "ws://[::1]x", -EINVAL, false, 0, NULL, NULL },
	{ "", -EINVAL, false, 0, NULL, NULL },
};

START_TEST(test_url)
{
	struct wsflow_url u;
	const char *why = NULL;
	int err = wsflow_url_parse(&u, url_vec[_i].url, &why);

	ck_assert_int_eq(err, url_vec[_i].err);
	if (err) {
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert(u.tls == url_vec[_i].tls);
	ck_assert_uint_eq(u.port, url_vec[_i].port);
	ck_assert_str_eq(u.authority, url_vec[_i].authority);
	ck_assert_str_eq(u.path, url_vec[_i].path);
}
END_TEST

/* ---- loopback ------------------------------------------------------------ */

static const struct {
	const char *name;
	bool tls;
	const char *origin; /* what the client sends */
	bool srv_ends;	    /* the server closes after its answer */
	int status;	    /* the answer the client gets, 0 none */
	int err;	    /* its failure event, 0 none */
} io_vec[] = {
	{ "ws", false, ORG, false, 200, 0 },
	{ "wss", true, ORG, false, 200, 0 },
	{ "server ends", false, ORG, true, 200, -ECONNRESET },
	{ "foreign origin", false, "https://evil.example", false, 0, -EPROTO },
	{ "no origin", true, NULL, false, 0, -EPROTO },
};

struct fx {
	uv_loop_t loop;
	uv_timer_t guard;
	bool timed_out, listening;
	struct stream_listener *l;
	struct tls_ctx *sctx, *cctx;
	char dir[40], cert[64], key[64];
	struct sipt *sipt;
	struct wsflow *f;
	struct ws_conn *srv_ws; /* to close later */
	uv_timer_t later;
	struct rng rng;
	int vi;
	int opened, failed, fail_err, status, srv_msgs, srv_closed, gone;
	char via[16];
	bool done;
};

static struct fx g;

static void on_gone(void *arg)
{
	ck_assert_ptr_eq(arg, &g);
	g.gone++;
}

static void fx_end(void)
{
	if (g.done)
		return;
	g.done = true;
	wsflow_close_then(g.f, on_gone, &g); /* then the TLS context may go */
	g.f = NULL;
	sipt_close(g.sipt, NULL, NULL);
	g.sipt = NULL;
	if (!g.opened || g.srv_closed) {
		g.listening = false;
		stream_listener_close(g.l);
	}
}

static void later_cb(uv_timer_t *t)
{
	UNUSED(t);
	ck_assert_int_eq(ws_conn_close(g.srv_ws, 1001, "going"), 0);
	g.srv_ws = obj_unref(g.srv_ws);
}

/* The server: answers every request 200 over the same connection. */
static void srv_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		    size_t n, void *arg)
{
	struct sip_msg *m = xmalloc(sizeof(*m));
	char *copy = xmemdup(p, n);
	struct buf out;

	UNUSED(op);
	UNUSED(arg);
	g.srv_msgs++;
	buf_init(&out);
	ck_assert_int_eq(sip_msg_parse(m, copy, n, true, NULL), 0);
	ck_assert(m->is_request);
	sv_copy(m->via.transport, g.via, sizeof(g.via));
	sip_print_response(&out, m, 200, NULL, "srvtag");
	ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, out.data, out.len), 0);
	if (io_vec[g.vi].srv_ends) { /* once the answer is on its way */
		g.srv_ws = obj_ref(c);
		uv_timer_start(&g.later, later_cb, 50, 0);
	}
	buf_close(&out);
	free(copy);
	free(m);
}

static void srv_close(struct ws_conn *c, uint16_t code, struct sv reason,
		      int err, void *arg)
{
	UNUSED(c);
	UNUSED(code);
	UNUSED(reason);
	UNUSED(err);
	UNUSED(arg);
	g.srv_closed++;
	if (g.done && g.listening) {
		g.listening = false;
		stream_listener_close(g.l);
	}
}

static const struct ws_cbs srv_cbs = { NULL, srv_msg, srv_close, NULL, NULL };

struct pend {
	struct buf in;
};

static void pend_close(struct stream *s, int err, void *arg)
{
	struct pend *pd = arg;

	UNUSED(s);
	UNUSED(err);
	buf_close(&pd->in);
	free(pd);
}

static void pend_read(struct stream *s, const char *p, size_t n, void *arg)
{
	static const char *const protos[] = { "sip", NULL };
	static const char *const origins[] = { ORG, NULL };
	struct ws_hs_policy pol = { protos, true, origins };
	struct pend *pd = arg;
	struct ws_hs_result res;
	struct ws_hs_req req;
	struct ws_conn *c;
	struct buf out;
	size_t head;
	int err;

	buf_append(&pd->in, p, n);
	err = ws_handshake_request_parse((struct sv){ pd->in.data, pd->in.len },
					 &req, &head, NULL);
	if (err == -EAGAIN)
		return;
	ck_assert_int_eq(err, 0);
	if (ws_handshake_check(&req, &pol, &res)) {
		buf_init(&out);
		ws_handshake_print(&res, &out);
		stream_write(s, out.data, out.len);
		stream_close(s);
		buf_close(&out);
		return;
	}
	ck_assert_int_eq(ws_conn_accept(&c, &g.loop, s, &res,
					(struct sv){ pd->in.data + head,
						     pd->in.len - head },
					NULL, &srv_cbs),
			 0);
	obj_unref(c);
	buf_close(&pd->in);
	free(pd);
}

static void srv_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	struct pend *pd = xcalloc(1, sizeof(*pd));
	struct stream_cbs cbs = { NULL, pend_read, pend_close, pd };

	UNUSED(l);
	UNUSED(arg);
	buf_init(&pd->in);
	stream_set_cbs(s, &cbs);
}

/* The client. */
static void on_resp(struct sipt *s, struct sipt_ctrans *ct,
		    const struct sip_msg *resp, int err, void *arg)
{
	UNUSED(s);
	UNUSED(ct);
	UNUSED(arg);
	ck_assert_msg(err == 0, "err %d status %d", err, resp->status);
	g.status = resp->status;
	if (!io_vec[g.vi].srv_ends)
		fx_end();
}

static void send_options(struct wsflow *f)
{
	struct sipt_dest d = { .proto = wsflow_proto(f),
			       .flow = wsflow_sipt(f) };
	char branch[SIPT_BRANCH_MAX];
	struct buf b;

	buf_init(&b);
	sip_print_request_line(&b, "OPTIONS", SV("sip:ims.example.com"));
	sipt_branch_new(g.sipt, branch);
	/* RFC 7118 §5.2: a .invalid sent-by, no port (sipt_via_print would
	 * add our listener's, and there is none) */
	sip_print_hdrf(&b, "Via", "SIP/2.0/%s abc.invalid;branch=%s;rport",
		       sipt_proto_name(d.proto), branch);
	sip_print_hdrf(&b, "Max-Forwards", "70");
	sip_print_hdrf(&b, "From", "<sip:a@ims.example.com>;tag=1");
	sip_print_hdrf(&b, "To", "<sip:ims.example.com>");
	sip_print_hdrf(&b, "Call-ID", "c1@abc.invalid");
	sip_print_hdrf(&b, "CSeq", "1 OPTIONS");
	sip_print_end(&b, NULL, NULL, 0);
	ck_assert_int_eq(sipt_ctrans_send(g.sipt, &d, b.data, b.len, on_resp,
					  NULL, NULL),
			 0);
	buf_close(&b);
}

static void on_event(struct wsflow *f, int err, void *arg)
{
	UNUSED(arg);
	ck_assert_ptr_eq(f, g.f);
	if (!err) {
		ck_assert(wsflow_ready(f));
		g.opened++;
		send_options(f);
		return;
	}
	ck_assert(!wsflow_ready(f));
	g.failed++;
	g.fail_err = err;
	fx_end();
}

static void guard_cb(uv_timer_t *t)
{
	UNUSED(t);
	g.timed_out = true;
	fx_end();
	if (g.listening) {
		g.listening = false;
		stream_listener_close(g.l);
	}
}

static void fx_tls(void)
{
	char err[256];
	bool created;

	snprintf(g.dir, sizeof(g.dir), "/tmp/check_wsflow.XXXXXX");
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

START_TEST(test_io)
{
	struct sipt_conf sc = { 0 };
	struct wsflow_url u;
	char url[64];

	memset(&g, 0, sizeof(g));
	g.vi = _i;
	ck_assert_int_eq(uv_loop_init(&g.loop), 0);
	rng_init(&g.rng, 7);
	if (io_vec[_i].tls)
		fx_tls();
	ck_assert_int_eq(stream_listen(&g.l, &g.loop, "127.0.0.1", 0, g.sctx,
				       NULL, srv_accept, NULL),
			 0);
	g.listening = true;
	sc.via_host = "abc.invalid"; /* no listener: flows only */
	sc.rng = &g.rng;
	ck_assert_int_eq(sipt_new(&g.sipt, &g.loop, &sc), 0);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u/",
		 io_vec[_i].tls ? "wss" : "ws", stream_listener_port(g.l));
	ck_assert_int_eq(wsflow_url_parse(&u, url, NULL), 0);
	/* wss without a TLS context cannot be */
	ck_assert_int_eq(wsflow_open(&g.f, &g.loop, g.sipt,
				     &(struct wsflow_conf){ .url = &u },
				     &g.rng, on_event, NULL),
			 io_vec[_i].tls ? -EINVAL : 0);
	wsflow_close(g.f);
	ck_assert_int_eq(wsflow_open(&g.f, &g.loop, g.sipt,
				     &(struct wsflow_conf){
					     .url = &u,
					     .tls = g.cctx,
					     .origin = io_vec[_i].origin },
				     &g.rng, on_event, NULL),
			 0);
	uv_timer_init(&g.loop, &g.guard);
	uv_timer_start(&g.guard, guard_cb, 5000, 0);
	uv_unref((uv_handle_t *)&g.guard);
	uv_timer_init(&g.loop, &g.later);
	uv_unref((uv_handle_t *)&g.later);
	uv_run(&g.loop, UV_RUN_DEFAULT);
	ck_assert_msg(!g.timed_out, "timed out");
	uv_close((uv_handle_t *)&g.guard, NULL);
	uv_close((uv_handle_t *)&g.later, NULL);
	uv_run(&g.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&g.loop), 0);
	ck_assert_int_eq(g.gone, 1);
	ck_assert_int_eq(g.status, io_vec[_i].status);
	ck_assert_int_eq(g.fail_err, io_vec[_i].err);
	ck_assert_int_eq(g.failed, io_vec[_i].err ? 1 : 0);
	ck_assert_int_eq(g.opened, io_vec[_i].status ? 1 : 0);
	ck_assert_int_eq(g.srv_msgs, io_vec[_i].status ? 1 : 0);
	if (io_vec[_i].status)
		ck_assert_str_eq(g.via, io_vec[_i].tls ? "WSS" : "WS");
	if (g.sctx) {
		tls_ctx_free(g.sctx);
		tls_ctx_free(g.cctx);
		unlink(g.cert);
		unlink(g.key);
		rmdir(g.dir);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wsflow");
	TCase *tc = tcase_create("wsflow");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_url, 0, (int)ARRAY_SIZE(url_vec));
	tcase_add_loop_test(tc, test_io, 0, (int)ARRAY_SIZE(io_vec));
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
