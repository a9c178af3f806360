/* check_diam_peer.c - lib/diam: the peer and server on loopback. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/base.h"
#include "diam/diam.h"
#include "diam/diam_cx.h"
#include "diam/diam_peer.h"

#include "diam_helpers.h"

/* ---- peer on loopback ---------------------------------------------------- */

enum { SRV = 0, CLI = 1 };

struct ptest {
	uv_loop_t loop;
	uv_timer_t guard, tick;
	struct diam_server *srv;
	struct diam_peer *cli;
	struct diam_conf sconf, cconf;
	struct sockaddr_storage addr;
	int step;
	uint64_t when;
	int opens, closes, srv_reqs;
	int maa_status, timeout_status;
	uint32_t maa_result;
	char ha1[40];
	/* [side][dir][cmd: CE DW DP MA other][request?] */
	int cnt[2][2][5][2];
};

static int cmd_index(uint32_t cmd)
{
	static const uint32_t cmds[] = { 257, 280, 282, 303 };

	for (int i = 0; i < 4; i++)
		if (cmds[i] == cmd)
			return i;
	return 4;
}

static void count(struct ptest *t, int side, enum diam_dir dir, const void *raw,
		  size_t len)
{
	const uint8_t *b = raw;

	if (len < 20)
		return;
	t->cnt[side][dir][cmd_index(be32(b + 4) & 0xffffff)]
	      [!!(b[4] & DIAM_FLAG_R)]++;
}

static void srv_trace(void *arg, enum diam_dir dir, const struct sockaddr *l,
		      const struct sockaddr *r, const void *raw, size_t len)
{
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(r);
	count(arg, SRV, dir, raw, len);
}

static void cli_trace(void *arg, enum diam_dir dir, const struct sockaddr *l,
		      const struct sockaddr *r, const void *raw, size_t len)
{
	UNUSED(l);
	UNUSED(r);
	count(arg, CLI, dir, raw, len);
}

static void srv_request(struct diam_peer *p, const struct diam_msg *req,
			const struct diam_cx *cx, void *arg)
{
	struct ptest *t = arg;
	struct diam_cx a;

	UNUSED(req);
	t->srv_reqs++;
	ck_assert_uint_eq(cx->cmd, DIAM_CMD_MA);
	ck_assert(sv_eq(diam_peer_host(p), SV("scscf.ims.test")));
	if (sv_eq(cx->user_name, SV("silent")))
		return; /* never answered: the client must time out */
	diam_cx_answer_init(&a, cx);
	a.result = DIAM_SUCCESS;
	a.user_name = cx->user_name;
	a.public_identity = cx->public_identity;
	a.has_num_auth_items = true;
	a.num_auth_items = 1;
	a.n_auth = 1;
	a.auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	a.auth[0].realm = SV("ims.test");
	a.auth[0].algorithm = SV("MD5");
	a.auth[0].qop = SV("auth");
	a.auth[0].ha1 = SV("8d7b0f7a27e2ce1d2a0a1c2f3e4d5c6b");
	ck_assert_int_eq(diam_peer_send_answer_cx(p, &a), 0);
}

static void cli_state(struct diam_peer *p, bool open, void *arg)
{
	struct ptest *t = arg;

	UNUSED(p);
	if (open)
		t->opens++;
	else
		t->closes++;
}

static void on_maa(struct diam_peer *p, int status, const struct diam_msg *m,
		   const struct diam_cx *cx, void *arg)
{
	struct ptest *t = arg;

	UNUSED(p);
	t->maa_status = status;
	if (status == 0) {
		ck_assert_ptr_nonnull(m);
		t->maa_result = cx->result;
		ck_assert_uint_eq(cx->n_auth, 1);
		sv_copy(cx->auth[0].ha1, t->ha1, sizeof(t->ha1));
	}
	t->step++;
}

static void on_silent(struct diam_peer *p, int status, const struct diam_msg *m,
		      const struct diam_cx *cx, void *arg)
{
	struct ptest *t = arg;

	UNUSED(p);
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(cx);
	t->timeout_status = status;
	t->step++;
}

static void send_mar(struct ptest *t, const char *user, diam_answer_cb *cb)
{
	struct diam_cx c;

	memset(&c, 0, sizeof(c));
	c.cmd = DIAM_CMD_MA;
	c.dest_realm = SV("ims.test");
	c.user_name = sv_from_cstr(user);
	c.public_identity = SV("sip:alice@ims.test");
	c.server_name = SV("sip:scscf.ims.test");
	c.num_auth_items = 1;
	c.n_auth = 1;
	c.auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	ck_assert_int_eq(diam_peer_send_request_cx(t->cli, &c, cb, t), 0);
}

static void on_guard(uv_timer_t *g)
{
	struct ptest *t = g->data;

	ck_abort_msg("peer test stuck at step %d", t->step);
}

static void ptest_init(struct ptest *t, uv_timer_cb tick)
{
	struct sockaddr_in sin;
	struct diam_handlers sh = { .request = srv_request, .trace = srv_trace,
				     .arg = t };

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->guard);
	uv_timer_init(&t->loop, &t->tick);
	t->guard.data = t->tick.data = t;
	uv_timer_start(&t->guard, on_guard, 5000, 0);
	uv_timer_start(&t->tick, tick, 5, 5);
	t->sconf.local = test_local;
	t->cconf.local = test_local;
	t->cconf.local.host = "scscf.ims.test";
	t->cconf.watchdog_ms = 40;
	t->cconf.request_timeout_ms = 150;
	t->cconf.reconnect_min_ms = 10;
	t->cconf.reconnect_max_ms = 40;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(diam_server_new(&t->srv, &t->loop, &t->sconf, &sh,
					 (struct sockaddr *)&sin),
			 0);
	ck_assert_int_eq(diam_server_addr(t->srv, &t->addr), 0);
}

static void ptest_end(struct ptest *t)
{
	diam_server_free(t->srv);
	t->srv = NULL;
	uv_close((uv_handle_t *)&t->tick, NULL);
	uv_close((uv_handle_t *)&t->guard, NULL);
}

static void ptest_run(struct ptest *t)
{
	ck_assert_int_eq(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
	/* Every handle is closed: nothing leaked (libuv's own check). */
	ck_assert_int_eq(uv_loop_close(&t->loop), 0);
}

static void client_start(struct ptest *t)
{
	struct diam_handlers ch = { .state = cli_state, .trace = cli_trace,
				     .arg = t };

	ck_assert_int_eq(diam_peer_connect(&t->cli, &t->loop, &t->cconf, &ch,
					   (struct sockaddr *)&t->addr),
			 0);
}

static void loopback_tick(uv_timer_t *h)
{
	struct ptest *t = h->data;

	switch (t->step) {
	case 0:
		if (!diam_peer_is_open(t->cli))
			return;
		t->step = 1;
		send_mar(t, "alice@ims.test", on_maa);
		break;
	case 2: /* MAA in */
		t->step = 3;
		send_mar(t, "silent", on_silent);
		break;
	case 4: /* timed out; now wait for one DWR/DWA round */
		if (!t->cnt[CLI][DIAM_SEND][1][1] ||
		    !t->cnt[CLI][DIAM_RECV][1][0])
			return;
		t->step = 5;
		diam_peer_free(t->cli); /* DPR */
		t->cli = NULL;
		break;
	case 5:
		if (!t->cnt[CLI][DIAM_RECV][2][0])
			return;
		t->step = 6;
		ptest_end(t);
		break;
	default:
		break;
	}
}

START_TEST(test_peer_loopback)
{
	struct ptest t;

	ptest_init(&t, loopback_tick);
	client_start(&t);
	ptest_run(&t);
	ck_assert_int_eq(t.opens, 1);
	ck_assert_int_eq(t.maa_status, 0);
	ck_assert_uint_eq(t.maa_result, DIAM_SUCCESS);
	ck_assert_str_eq(t.ha1, "8d7b0f7a27e2ce1d2a0a1c2f3e4d5c6b");
	ck_assert_int_eq(t.timeout_status, -ETIMEDOUT);
	ck_assert_int_eq(t.srv_reqs, 2);
	/* CER out, CEA in; server saw the same from its side */
	ck_assert_int_eq(t.cnt[CLI][DIAM_SEND][0][1], 1);
	ck_assert_int_eq(t.cnt[CLI][DIAM_RECV][0][0], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_RECV][0][1], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_SEND][0][0], 1);
	/* DWR answered by DWA */
	ck_assert_int_ge(t.cnt[SRV][DIAM_SEND][1][0], 1);
	/* DPR/DPA on close */
	ck_assert_int_eq(t.cnt[CLI][DIAM_SEND][2][1], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_RECV][2][1], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_SEND][2][0], 1);
	ck_assert_int_eq(t.cnt[SRV][DIAM_RECV][3][1], 2);
	ck_assert_int_eq(t.cnt[SRV][DIAM_SEND][3][0], 1);
}
END_TEST

/* The client starts before the server exists: it must retry with backoff,
 * keep the request queued and send it once the CER/CEA exchange is done. */
static void reconnect_tick(uv_timer_t *h)
{
	struct ptest *t = h->data;
	struct diam_handlers sh = { .request = srv_request, .trace = srv_trace,
				     .arg = t };

	switch (t->step) {
	case 0:
		if (uv_now(&t->loop) < t->when)
			return;
		ck_assert_int_eq(diam_server_new(&t->srv, &t->loop, &t->sconf,
						 &sh,
						 (struct sockaddr *)&t->addr),
				 0);
		t->step = 1; /* on_maa moves to 2 */
		break;
	case 2:
		t->step = 3;
		diam_peer_free(t->cli);
		t->cli = NULL;
		break;
	case 3:
		if (!t->cnt[SRV][DIAM_RECV][2][1])
			return;
		t->step = 4;
		ptest_end(t);
		break;
	default:
		break;
	}
}

START_TEST(test_peer_reconnect)
{
	struct ptest t;

	ptest_init(&t, reconnect_tick);
	/* Free the port, and come back to it 150 ms later. */
	diam_server_free(t.srv);
	t.srv = NULL;
	t.cconf.request_timeout_ms = 2000;
	client_start(&t);
	send_mar(&t, "alice@ims.test", on_maa);
	t.when = uv_now(&t.loop) + 150;
	ptest_run(&t);
	ck_assert_int_eq(t.maa_status, 0);
	ck_assert_int_eq(t.opens, 1);
	ck_assert_int_eq(t.cnt[CLI][DIAM_SEND][0][1], 1);
	ck_assert_int_eq(t.srv_reqs, 1);
}
END_TEST

/* A raw TCP client that sends hand-made messages, one per answer. */
struct raw {
	struct ptest *t;
	uv_tcp_t tcp;
	uv_connect_t creq;
	struct buf rx;
	char rbuf[4096];
	int conn; /* 1: no CER first; 2: CER then broken requests */
	int got;  /* answers received on this connection */
	uint32_t results[8];
	uint32_t failed[8]; /* code in Failed-AVP, 0 if none */
	bool eflag[8];
	bool eof;
};

static void raw_send(struct raw *r)
{
	struct buf b;
	uv_buf_t ub;

	buf_init(&b);
	if (r->conn == 1) {
		if (r->got) {
			buf_close(&b);
			return;
		}
		cx_raw(&b, DIAM_CMD_SA, true, 0); /* not a CER */
	} else if (r->got == 0) {
		ck_assert_int_eq(diam_cer_build(&b, &test_local, 5, 5), 0);
	} else if (r->got == 1) {
		cx_raw(&b, DIAM_CMD_SA, true, 0);
		/* the last AVP (624, 16 bytes) claims 127 */
		b.data[b.len - 16 + 7] = 0x7f;
	} else if (r->got == 2) {
		cx_raw(&b, DIAM_CMD_MA, true, 0); /* no Public-Identity */
	} else if (r->got == 3) {
		cx_raw(&b, DIAM_CMD_SA, true, 0);
		b.data[11] = 4; /* application 16777220 */
	} else if (r->got == 4) {
		cx_raw(&b, DIAM_CMD_SA, true, 0);
		b.data[0] = 2; /* version 2: framing is lost */
	} else {
		buf_close(&b);
		return;
	}
	ub = uv_buf_init(b.data, (unsigned)b.len);
	ck_assert_int_eq(uv_try_write((uv_stream_t *)&r->tcp, &ub, 1),
			 (int)b.len);
	buf_close(&b);
}

static void raw_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	struct raw *r = h->data;

	UNUSED(n);
	*b = uv_buf_init(r->rbuf, sizeof(r->rbuf));
}

static void raw_closed(uv_handle_t *h)
{
	struct raw *r = h->data;

	ptest_end(r->t);
}

static void raw_connect(struct raw *r);

static void raw_reconnect(uv_handle_t *h)
{
	struct raw *r = h->data;

	r->conn = 2;
	r->got = 0;
	raw_connect(r);
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *ub)
{
	struct raw *r = s->data;
	struct diam_msg m;
	struct diam_avp f, c;
	size_t len;
	uint32_t v;
	bool exp;

	if (n < 0) { /* the server closed: next connection, or done */
		r->eof = true;
		if (r->conn == 1) {
			uv_close((uv_handle_t *)&r->tcp, raw_reconnect);
		} else {
			uv_close((uv_handle_t *)&r->tcp, raw_closed);
		}
		return;
	}
	buf_append(&r->rx, ub->base, (size_t)n);
	while (diam_msg_frame(r->rx.data, r->rx.len, &len, NULL) == 0) {
		int i = (r->conn - 1) * 1 + r->got;

		ck_assert_int_eq(diam_msg_parse(&m, r->rx.data, len, NULL), 0);
		ck_assert_int_eq(diam_msg_result(&m, &r->results[i], &exp, &v),
				 0);
		r->eflag[i] = m.flags & DIAM_FLAG_E;
		if (diam_msg_find(&m, DIAM_AVP_FAILED_AVP, 0, &f) == 0 &&
		    diam_iter_next(
			    &(struct diam_iter){ (const uint8_t *)f.data.p,
						 (const uint8_t *)f.data.p +
							 f.data.len,
						 m.raw },
			    &c))
			r->failed[i] = c.code;
		buf_consume(&r->rx, len);
		r->got++;
		raw_send(r);
	}
}

static void raw_connected(uv_connect_t *req, int status)
{
	struct raw *r = req->data;

	ck_assert_int_eq(status, 0);
	uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
	raw_send(r);
}

static void raw_connect(struct raw *r)
{
	buf_reset(&r->rx);
	uv_tcp_init(&r->t->loop, &r->tcp);
	r->tcp.data = r;
	r->creq.data = r;
	ck_assert_int_eq(uv_tcp_connect(&r->creq, &r->tcp,
					(struct sockaddr *)&r->t->addr,
					raw_connected),
			 0);
}

static void idle_tick(uv_timer_t *h)
{
	UNUSED(h);
}

START_TEST(test_peer_malformed)
{
	static const uint32_t want[] = { 3010, 2001, 5014, 5005, 3007, 5011 };
	static const uint32_t want_failed[] = { 0, 0, 624, 601, 0, 0 };
	struct ptest t;
	struct raw r;

	ptest_init(&t, idle_tick);
	memset(&r, 0, sizeof(r));
	r.t = &t;
	r.conn = 1;
	buf_init(&r.rx);
	raw_connect(&r);
	ptest_run(&t);
	buf_close(&r.rx);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		ck_assert_uint_eq(r.results[i], want[i]);
		ck_assert_uint_eq(r.failed[i], want_failed[i]);
		ck_assert_int_eq(r.eflag[i], want[i] / 1000 == 3);
	}
	ck_assert(r.eof);
	ck_assert_int_eq(t.srv_reqs, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diam_peer");
	SRunner *sr;
	int failed;
	TCase *tp = tcase_create("peer");

	tcase_set_timeout(tp, 10);
	tcase_add_test(tp, test_peer_loopback);
	tcase_add_test(tp, test_peer_reconnect);
	tcase_add_test(tp, test_peer_malformed);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
