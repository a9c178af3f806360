/*
 * check_sipt.c - lib/sipt over real loopback sockets (127.0.0.1, port 0)
 * with shrunk timers. Raw peers are plain non-blocking BSD sockets; every
 * wait is bounded. Each test ends in finish(): the stacks close and
 * uv_loop_close() must return 0 (no leaked handle).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sipt/sipt.h"

static uv_loop_t loop;       /* Check forks each test: all per test */
static struct buf B, Out;   /* messages being built */
static struct sip_msg *Msg; /* scratch parse target */

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static void step(void)
{
	struct timespec ts = { 0, 200000 };

	uv_run(&loop, UV_RUN_NOWAIT);
	nanosleep(&ts, NULL);
}

/* Runs the loop until cond holds, which must happen within ms. */
#define WAIT(cond, ms) \
	do { \
		uint64_t t0_ = now_ms(); \
		while (!(cond) && now_ms() - t0_ < (ms)) \
			step(); \
		ck_assert_msg((cond), "timed out waiting for " #cond); \
	} while (0)

static void pump(unsigned ms)
{
	for (uint64_t t0 = now_ms(); now_ms() - t0 < ms;)
		step();
}

/* ---- stacks with recording callbacks ------------------------------------ */

struct node {
	struct sipt *s;
	struct rng rng;
	int reply;                /* status to answer at once; 0 = hold */
	int nreq, nack;
	struct sipt_strans *held; /* our reference */
	char received[64];        /* from the stamped top Via */
	unsigned rport;
	int ntrace[2];
	int nresp, status[8], err[8]; /* slot 7 keeps the last ones */
	bool opened, closed;
};

static struct node N, M;

static void on_request(struct sipt *s, struct sipt_strans *st,
		       const struct sip_msg *req, void *arg)
{
	struct node *n = arg;

	UNUSED(s);
	if (!st) {
		n->nack++;
		return;
	}
	n->nreq++;
	sv_copy(req->via.received, n->received, sizeof(n->received));
	n->rport = req->via.rport;
	if (n->reply)
		ck_assert_int_eq(sipt_strans_reply_status(st, n->reply, NULL,
							  "t1"), 0);
	else if (!n->held)
		n->held = obj_ref(st);
}

static void on_trace(struct sipt *s, enum sipt_dir dir, const char *tr,
		     const struct sockaddr *l, const struct sockaddr *p,
		     const char *bytes, size_t len, void *arg)
{
	UNUSED(s);
	ck_assert(!strcmp(tr, "udp") || !strcmp(tr, "tcp") ||
		  !strcmp(tr, "ws"));
	ck_assert(l->sa_family && p->sa_family && bytes && len);
	((struct node *)arg)->ntrace[dir]++;
}

static void on_resp(struct sipt *s, struct sipt_ctrans *ct,
		    const struct sip_msg *resp, int err, void *arg)
{
	struct node *n = arg;
	int i = n->nresp < 8 ? n->nresp : 7;

	UNUSED(s);
	UNUSED(ct);
	n->status[i] = resp->status;
	n->err[i] = err;
	n->nresp++;
}

static const char *const aliases[] = { "pcscf.alias", NULL };

static void node_open(struct node *n, bool udp, bool tcp, unsigned t1,
		      unsigned max_trans)
{
	struct sipt_conf c = {
		.udp_addr = udp ? "127.0.0.1" : NULL,
		.tcp_addr = tcp ? "127.0.0.1" : NULL,
		.aliases = aliases,
		.timers = { t1, 4 * t1, 5 * t1, 50 * t1 }, /* tcp_idle */
		.limits.max_trans = max_trans,
		.rng = &n->rng, .arg = n,
		.request_cb = on_request, .trace_cb = on_trace,
	};

	memset(n, 0, sizeof(*n));
	rng_init(&n->rng, 42);
	n->reply = 200;
	ck_assert_int_eq(sipt_new(&n->s, &loop, &c), 0);
	n->opened = true;
}

static void closed_cb(void *arg)
{
	((struct node *)arg)->closed = true;
}

static void node_close(struct node *n)
{
	if (!n->s)
		return;
	sipt_close(n->s, closed_cb, n);
	n->s = NULL;
	n->held = obj_unref(n->held);
}

/* Closes the stacks; the loop must then close cleanly. */
static void finish(void)
{
	node_close(&N);
	node_close(&M);
	ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ck_assert(N.closed == N.opened && M.closed == M.opened);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

/* ---- raw peers ---------------------------------------------------------- */

struct raw {
	int fd;
	uint16_t port; /* ours */
	uint16_t from; /* source port of the last UDP datagram */
	bool stream;
	size_t len;
	char buf[70000];
	char msg[8192]; /* the last message received, NUL-terminated */
};

static struct raw R;

static void raw_open(struct raw *r, bool stream, uint16_t connect_to)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(r, 0, sizeof(*r));
	r->stream = stream;
	r->fd = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
	uv_ip4_addr("127.0.0.1", 0, &a);
	ck_assert_int_eq(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (stream) {
		uv_ip4_addr("127.0.0.1", connect_to, &a);
		ck_assert_int_eq(connect(r->fd, (struct sockaddr *)&a,
					 sizeof(a)), 0);
	}
	getsockname(r->fd, (struct sockaddr *)&a, &alen);
	r->port = ntohs(a.sin_port);
	ck_assert_int_eq(fcntl(r->fd, F_SETFL, O_NONBLOCK), 0);
}

static void raw_send(struct raw *r, uint16_t port, const char *p, size_t n)
{
	struct sockaddr_in a;

	uv_ip4_addr("127.0.0.1", port, &a);
	if (r->stream)
		ck_assert_int_eq(send(r->fd, p, n, 0), (ssize_t)n);
	else
		ck_assert_int_eq(sendto(r->fd, p, n, 0, (struct sockaddr *)&a,
					sizeof(a)), (ssize_t)n);
}

/* Next whole message into r->msg: its length, 0 on timeout, -1 on EOF. */
static ssize_t raw_recv(struct raw *r, unsigned ms)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	uint64_t t0 = now_ms();
	size_t skip = 0, mlen = r->len;
	ssize_t got;

	for (;;) {
		if (r->len && (!r->stream ||
			       !sip_msg_frame(r->buf, r->len, &skip, &mlen,
					      NULL))) {
			ck_assert_uint_lt(mlen, sizeof(r->msg));
			memcpy(r->msg, r->buf + skip, mlen);
			r->msg[mlen] = '\0';
			r->len -= skip + mlen;
			memmove(r->buf, r->buf + skip + mlen, r->len);
			return (ssize_t)mlen;
		}
		got = recvfrom(r->fd, r->buf + r->len, sizeof(r->buf) - r->len,
			       0, (struct sockaddr *)&a, &alen);
		if (got == 0 && r->stream)
			return -1;
		if (got > 0) {
			r->len += (size_t)got;
			mlen = r->len; /* a datagram is one message */
			r->from = ntohs(a.sin_port);
		} else if (now_ms() - t0 > ms) {
			return 0;
		} else {
			step();
		}
	}
}

/* The next message must be a response with this status (and text). */
static void raw_expect(struct raw *r, int status, const char *text)
{
	uint64_t v = 0;

	ck_assert_msg(raw_recv(r, 1000) > 0, "no %d came", status);
	ck_assert_msg(!strncmp(r->msg, "SIP/2.0 ", 8), "not a response");
	ck_assert_int_eq(sv_to_u64((struct sv){ r->msg + 8, 3 }, 699, &v), 0);
	ck_assert_int_eq((int)v, status);
	if (text)
		ck_assert_msg(strstr(r->msg, text), "no %s in\n%s", text,
			      r->msg);
}

/* Appends a request; the branch doubles as the Call-ID. */
static void mkreq(const char *method, const char *tr, const char *via_host,
		  unsigned via_port, const char *branch)
{
	buf_printf(&B,
		   "%s sip:ims.example.com SIP/2.0\r\n"
		   "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:alice@x>;tag=a1\r\n"
		   "To: <sip:alice@x>\r\nCall-ID: %s@test\r\nCSeq: 1 %s\r\n"
		   "Content-Length: 0\r\n\r\n",
		   method, tr, via_host, via_port, branch, branch, method);
}

/* A request whose top Via is the stack's own (client transactions). */
static void mkreq_stack(struct node *n, const char *method, enum sipt_proto p)
{
	char br[SIPT_BRANCH_MAX];

	buf_reset(&B);
	sipt_branch_new(n->s, br);
	buf_printf(&B, "%s sip:peer@127.0.0.1 SIP/2.0\r\n", method);
	sipt_via_print(n->s, &B, p, br);
	buf_printf(&B,
		   "Max-Forwards: 70\r\nFrom: <sip:p@x>;tag=p1\r\n"
		   "To: <sip:s@x>\r\nCall-ID: %s@stack\r\nCSeq: 7 %s\r\n"
		   "Content-Length: 0\r\n\r\n", br, method);
}

static void parse_ok(struct sip_msg *m, char *p, size_t len)
{
	struct perr e = { 0 };
	int err = sip_msg_parse(m, p, len, true, &e);

	ck_assert_msg(err == 0, "parse: %s at %zu in\n%s", e.why, e.offset,
		      p);
}

static int ctrans_send(struct node *n, enum sipt_proto p, uint16_t port)
{
	struct sipt_dest d;

	ck_assert_int_eq(sipt_dest_set(&d, p, "127.0.0.1", port), 0);
	return sipt_ctrans_send(n->s, &d, B.data, B.len, on_resp, n, NULL);
}

/* ---- server transactions over UDP --------------------------------------- */

/* A request answered later (as after a Diameter round-trip), with its
 * retransmissions absorbed in every state (§17.2.2). */
START_TEST(test_udp_server_transaction)
{
	char first[8192];
	uint16_t port;

	node_open(&N, true, false, 20, 0);
	N.reply = 0;
	port = sipt_port(N.s, SIPT_UDP);
	raw_open(&R, false, 0);
	mkreq("REGISTER", "UDP", "10.0.0.1", 5070, "z9hG4bKr1");
	raw_send(&R, port, B.data, B.len);
	WAIT(N.held, 1000);
	/* RFC 3581: received (even if equal) and rport = source port. */
	ck_assert_str_eq(N.received, "127.0.0.1");
	ck_assert_uint_eq(N.rport, R.port);
	/* Trying: a retransmission is absorbed silently. */
	raw_send(&R, port, B.data, B.len);
	ck_assert_int_eq(raw_recv(&R, 100), 0);
	ck_assert_int_eq(sipt_strans_reply_status(N.held, 100, NULL, NULL), 0);
	raw_expect(&R, 100, NULL);
	/* Proceeding: the provisional is sent again. */
	raw_send(&R, port, B.data, B.len);
	raw_expect(&R, 100, NULL);
	sipt_print_response_start(&Out, N.held, 200, NULL, "x9");
	sip_print_hdr(&Out, "Expires", SV("600"));
	sip_print_end(&Out, NULL, NULL, 0);
	ck_assert_int_eq(sipt_strans_reply(N.held, Out.data, Out.len), 0);
	raw_expect(&R, 200, "Expires: 600\r\n");
	ck_assert_uint_eq(R.from, port);
	memcpy(first, R.msg, sizeof(first));
	parse_ok(Msg, R.msg, strlen(R.msg));
	ck_assert(sv_eq_cstr(Msg->via.received, "127.0.0.1"));
	ck_assert_uint_eq(Msg->via.rport, R.port);
	ck_assert(sv_eq_cstr(Msg->to_tag, "x9"));
	/* Completed: the same final, byte for byte. */
	raw_send(&R, port, B.data, B.len);
	raw_expect(&R, 200, NULL);
	ck_assert_str_eq(R.msg, first);
	ck_assert_int_eq(sipt_strans_reply(N.held, Out.data, Out.len),
			 -EPROTO);
	ck_assert_int_eq(N.nreq, 1);
	/* An ACK without a transaction reaches the TU raw. */
	buf_reset(&B);
	mkreq("ACK", "UDP", "127.0.0.1", R.port, "z9hG4bKa1");
	raw_send(&R, port, B.data, B.len);
	WAIT(N.nack == 1, 1000);
	ck_assert_int_eq(N.ntrace[SIPT_RECV], 5);
	ck_assert_int_eq(N.ntrace[SIPT_SEND], 4);
	/* Timer J = 64*T1 ends it. */
	ck_assert_uint_eq(sipt_trans_count(N.s), 1);
	WAIT(sipt_trans_count(N.s) == 0, 3000);
	finish();
}
END_TEST

/* ---- client transactions over UDP --------------------------------------- */

/* The raw peer answers the request in R.msg. */
static void raw_answer(int status)
{
	char req[sizeof(R.msg)];

	memcpy(req, R.msg, sizeof(req));
	parse_ok(Msg, req, strlen(req));
	buf_reset(&Out);
	sip_print_response(&Out, Msg, status, NULL, "srv");
	raw_send(&R, R.from, Out.data, Out.len);
}

START_TEST(test_udp_ctrans_retransmit)
{
	int got = 0;

	node_open(&N, true, false, 20, 0);
	raw_open(&R, false, 0);
	mkreq_stack(&N, "OPTIONS", SIPT_UDP);
	ck_assert_int_eq(ctrans_send(&N, SIPT_UDP, R.port), 0);
	/* Timer E: copies at 0, T1, 3*T1...; a 100 after the 2nd copy, the
	 * 200 after the 3rd. */
	while (got < 3 && raw_recv(&R, 1000) > 0) {
		ck_assert_str_eq(R.msg, B.data);
		if (++got == 2)
			raw_answer(100);
	}
	ck_assert_int_eq(got, 3);
	raw_answer(200);
	WAIT(N.nresp == 2, 1000);
	ck_assert_int_eq(N.status[0], 100);
	ck_assert_int_eq(N.status[1], 200);
	ck_assert_int_eq(N.err[1], 0);
	/* In Timer K the branch is still taken. */
	ck_assert_int_eq(ctrans_send(&N, SIPT_UDP, R.port), -EEXIST);
	/* Answered: no more copies; a retransmitted 200 is absorbed. */
	raw_answer(200);
	ck_assert_int_eq(raw_recv(&R, 300), 0);
	ck_assert_int_eq(N.nresp, 2);
	WAIT(sipt_trans_count(N.s) == 0, 1000);
	finish();
}
END_TEST

START_TEST(test_udp_ctrans_timeout)
{
	uint64_t t0 = now_ms();
	int got = 0;

	node_open(&N, true, false, 10, 0); /* Timer F = 640 ms */
	raw_open(&R, false, 0);
	mkreq_stack(&N, "REGISTER", SIPT_UDP);
	ck_assert_int_eq(ctrans_send(&N, SIPT_UDP, R.port), 0);
	while (N.nresp == 0 && now_ms() - t0 < 3000)
		if (raw_recv(&R, 20) > 0)
			got++;
	ck_assert_int_eq(N.nresp, 1);
	ck_assert_int_eq(N.status[0], 408);
	ck_assert_int_eq(N.err[0], -ETIMEDOUT);
	ck_assert_uint_ge(now_ms() - t0, 600);
	/* Sent at 0, 10, 30, 70, then every T2 = 40 ms up to 640. */
	ck_assert_int_ge(got, 10);
	ck_assert_uint_eq(sipt_trans_count(N.s), 0);
	finish();
}
END_TEST

/* ---- TCP ---------------------------------------------------------------- */

START_TEST(test_tcp_framing)
{
	node_open(&N, false, true, 20, 0);
	raw_open(&R, true, sipt_port(N.s, SIPT_TCP));
	/* Two messages in one write. */
	mkreq("OPTIONS", "TCP", "10.0.0.1", 5070, "z9hG4bKt1");
	mkreq("OPTIONS", "TCP", "10.0.0.1", 5070, "z9hG4bKt2");
	raw_send(&R, 0, B.data, B.len);
	raw_expect(&R, 200, "branch=z9hG4bKt1;received=127.0.0.1;rport=");
	raw_expect(&R, 200, "branch=z9hG4bKt2;received=127.0.0.1;rport=");
	/* A keep-alive, then one message in 7-byte pieces. */
	buf_reset(&B);
	buf_puts(&B, "\r\n\r\n");
	mkreq("OPTIONS", "TCP", "10.0.0.1", 5070, "z9hG4bKt3");
	for (size_t i = 0; i < B.len; i += 7) {
		raw_send(&R, 0, B.data + i, B.len - i < 7 ? B.len - i : 7);
		pump(1);
	}
	raw_expect(&R, 200, "z9hG4bKt3");
	ck_assert_int_eq(N.nreq, 3);
	ck_assert_uint_eq(sipt_trans_count(N.s), 0); /* Timer J = 0 */
	ck_assert_uint_eq(sipt_conn_count(N.s), 1);
	WAIT(sipt_conn_count(N.s) == 0, 3000); /* the idle timeout */
	ck_assert_int_eq(raw_recv(&R, 100), -1);
	finish();
}
END_TEST

/* N's requests to M share one connection; M reaches N over it too. */
START_TEST(test_tcp_reuse)
{
	struct sipt_flow *f;
	struct sockaddr_in a;

	node_open(&N, false, true, 20, 0);
	node_open(&M, false, true, 20, 0);
	for (int k = 0; k < 2; k++) {
		mkreq_stack(&N, "OPTIONS", SIPT_TCP);
		ck_assert_int_eq(ctrans_send(&N, SIPT_TCP,
					     sipt_port(M.s, SIPT_TCP)), 0);
		WAIT(N.nresp == k + 1, 1000);
		ck_assert_int_eq(N.status[k], 200);
	}
	uv_ip4_addr("127.0.0.1", sipt_port(M.s, SIPT_TCP), &a);
	f = sipt_flow_find(N.s, SIPT_TCP, (struct sockaddr *)&a);
	ck_assert_ptr_nonnull(f);
	/* M sends to N's ephemeral port: the connection N opened. */
	mkreq_stack(&M, "NOTIFY", SIPT_TCP);
	ck_assert_int_eq(ctrans_send(&M, SIPT_TCP, ntohs(((struct sockaddr_in
		*)(void *)&f->local)->sin_port)), 0);
	WAIT(M.nresp == 1, 1000);
	ck_assert_int_eq(M.status[0], 200);
	ck_assert_int_eq(N.nreq, 1);
	ck_assert_uint_eq(sipt_conn_count(N.s), 1);
	ck_assert_uint_eq(sipt_conn_count(M.s), 1);
	/* Nobody listens: a local 503 carrying the connect error. */
	raw_open(&R, false, 0);
	mkreq_stack(&N, "OPTIONS", SIPT_TCP);
	ck_assert_int_eq(ctrans_send(&N, SIPT_TCP, R.port), 0);
	WAIT(N.nresp == 3, 1000);
	ck_assert_int_eq(N.status[2], 503);
	ck_assert_int_eq(N.err[2], -ECONNREFUSED);
	ck_assert_uint_eq(sipt_trans_count(N.s), 0);
	finish();
}
END_TEST

/* ---- malformed input ---------------------------------------------------- */

#define GOOD_HDRS \
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKm1\r\n" \
	"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: m1\r\n"

static const struct {
	const char *in;
	int status; /* 0: dropped */
} bad_vec[] = {
	{ "OPTIONS sip:x SIP/2.0\r\n" GOOD_HDRS "CSeq: x OPTIONS\r\n"
	  "Content-Length: 0\r\n\r\n", 400 },
	{ "OPTIONS sip:x SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 OPTIONS\r\n"
	  "Max-Forwards: 300\r\nContent-Length: 0\r\n\r\n", 400 },
	{ "hello world\r\n\r\n", 0 },
	{ "SIP/2.0 2x0 OK\r\n" GOOD_HDRS "\r\n", 0 },
};

START_TEST(test_udp_malformed)
{
	char *in = xstrdup(bad_vec[_i].in);
	struct perr e = { 0 };
	uint16_t port;

	node_open(&N, true, false, 20, 0);
	port = sipt_port(N.s, SIPT_UDP);
	raw_open(&R, false, 0);
	raw_send(&R, port, in, strlen(in));
	if (bad_vec[_i].status) {
		raw_expect(&R, bad_vec[_i].status, NULL);
		/* The reason phrase is the parser's why. */
		ck_assert_int_eq(sip_msg_parse(Msg, in, strlen(in), false, &e),
				 -EBADMSG);
		ck_assert(!strncmp(R.msg + 12, e.why, strlen(e.why)));
	} else {
		ck_assert_int_eq(raw_recv(&R, 150), 0);
	}
	/* The stack keeps serving. */
	mkreq("OPTIONS", "UDP", "127.0.0.1", R.port, "z9hG4bKok");
	raw_send(&R, port, B.data, B.len);
	raw_expect(&R, 200, NULL);
	ck_assert_int_eq(N.nreq, 1);
	free(in);
	finish();
}
END_TEST

START_TEST(test_tcp_malformed)
{
	node_open(&N, false, true, 20, 0);
	raw_open(&R, true, sipt_port(N.s, SIPT_TCP));
	/* Framed but invalid: 400, the connection stays. */
	raw_send(&R, 0, bad_vec[0].in, strlen(bad_vec[0].in));
	raw_expect(&R, 400, NULL);
	mkreq("OPTIONS", "TCP", "127.0.0.1", R.port, "z9hG4bKok");
	raw_send(&R, 0, B.data, B.len);
	raw_expect(&R, 200, NULL);
	/* No Content-Length on a stream: framing lost, 400, then closed. */
	buf_reset(&B);
	buf_puts(&B, "OPTIONS sip:x SIP/2.0\r\n" GOOD_HDRS
		     "CSeq: 2 OPTIONS\r\n\r\n");
	raw_send(&R, 0, B.data, B.len);
	raw_expect(&R, 400, NULL);
	ck_assert_int_eq(raw_recv(&R, 1000), -1);
	WAIT(sipt_conn_count(N.s) == 0, 1000);
	ck_assert_int_eq(N.nreq, 1);
	finish();
}
END_TEST

START_TEST(test_trans_limit)
{
	struct sipt_strans *st;

	node_open(&N, true, false, 20, 1);
	N.reply = 0;
	raw_open(&R, false, 0);
	mkreq("REGISTER", "UDP", "127.0.0.1", R.port, "z9hG4bKl1");
	raw_send(&R, sipt_port(N.s, SIPT_UDP), B.data, B.len);
	WAIT(N.held, 1000);
	buf_reset(&B);
	mkreq("REGISTER", "UDP", "127.0.0.1", R.port, "z9hG4bKl2");
	raw_send(&R, sipt_port(N.s, SIPT_UDP), B.data, B.len);
	raw_expect(&R, 503, "z9hG4bKl2");
	ck_assert_int_eq(N.nreq, 1);
	ck_assert_uint_eq(sipt_trans_count(N.s), 1);
	/* Closing detaches a transaction the TU still holds. */
	st = obj_ref(N.held);
	node_close(&N);
	ck_assert_int_eq(sipt_strans_reply_status(st, 200, NULL, NULL),
			 -ECANCELED);
	obj_unref(st);
	finish();
}
END_TEST

static int plug_send(struct sipt_flow *f, const char *p, size_t len)
{
	UNUSED(f);
	buf_append(&Out, p, len);
	return 0;
}

static const struct sipt_flow_ops plug_ops = { .send = plug_send };

/* A WebSocket-like flow owned outside the stack. */
START_TEST(test_plugin_flow)
{
	struct sipt_flow *f = obj_new(sizeof(*f), NULL);
	struct sockaddr_in l, p;

	node_open(&N, true, false, 20, 0);
	uv_ip4_addr("127.0.0.1", 443, &l);
	uv_ip4_addr("127.0.0.1", 40000, &p);
	ck_assert_int_eq(sipt_flow_add(N.s, f, &plug_ops, SIPT_WS,
				       (struct sockaddr *)&l,
				       (struct sockaddr *)&p), 0);
	ck_assert_ptr_eq(sipt_flow_find(N.s, SIPT_WS, (struct sockaddr *)&p),
			 f);
	mkreq("REGISTER", "WS", "df7jal23ls0d.invalid", 5060, "z9hG4bKw");
	ck_assert_int_eq(sipt_recv(N.s, f, B.data, B.len), 0);
	ck_assert(!strncmp(Out.data, "SIP/2.0 200 ", 12));
	ck_assert_ptr_nonnull(strstr(Out.data, "received=127.0.0.1"));
	ck_assert_int_eq(N.ntrace[SIPT_SEND], 1);
	sipt_flow_remove(f);
	ck_assert_ptr_null(sipt_flow_find(N.s, SIPT_WS,
					  (struct sockaddr *)&p));
	obj_unref(f);
	finish();
}
END_TEST

/* ---- proxy helpers (RFC 3261 §16) --------------------------------------- */

static const struct {
	const char *route; /* %u = our port */
	const char *mf;    /* Max-Forwards line or "" */
	const char *ruri;  /* new Request-URI or NULL */
	const char *top;   /* expected first Route element, NULL = none */
	int mf_out;
	int check; /* sipt_proxy_check status when the result comes back */
} fwd_vec[] = {
	{ "Route: <sip:127.0.0.1:%u;lr>, <sip:10.9.9.9;lr>\r\n",
	  "Max-Forwards: 10\r\n", NULL, "<sip:10.9.9.9;lr>", 9, 482 },
	{ "Route: <sip:10.9.9.9;lr>\r\n", "", NULL, "<sip:10.9.9.9;lr>", 70,
	  482 },
	{ "Route: <sip:127.0.0.1:%u;lr>\r\nRoute: <sip:10.9.9.9:5062;lr>\r\n",
	  "Max-Forwards: 1\r\n", "sip:s@10.1.1.1", "<sip:10.9.9.9:5062;lr>",
	  0, 483 },
	/* A new Request-URI: coming back is a spiral, not a loop. */
	{ "Route: <sip:pcscf.alias;lr>\r\n", "Max-Forwards: 70\r\n",
	  "sip:scscf@10.1.1.1:5070", NULL, 69, 0 },
};

static const struct sipt_hdr_edit fwd_edits[] = {
	{ SIPT_HDR_TOP, "Path", SV("<sip:term@127.0.0.1;lr>") },
	{ SIPT_HDR_REPLACE, "P-Visited-Network-ID", SV("\"vnet\"") },
	{ SIPT_HDR_REMOVE, "P-Charging-Vector", SV_NULL },
};

static void fwd_input(unsigned i)
{
	buf_printf(&B, "REGISTER sip:ims.example.com SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKup\r\n"
		       "%s", fwd_vec[i].mf);
	buf_printf(&B, fwd_vec[i].route, sipt_port(N.s, SIPT_UDP));
	buf_puts(&B, "From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\n"
		     "Call-ID: f1\r\nCSeq: 3 REGISTER\r\n"
		     "Path: <sip:old@10.0.0.9;lr>\r\n"
		     "P-Charging-Vector: icid-value=1\r\n"
		     "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
		     "hello");
}

START_TEST(test_proxy_fwd)
{
	struct sip_msg *in = xmalloc(sizeof(*in)), *m = Msg;
	struct sipt_fwd f = { SV_NULL, SIPT_UDP, fwd_edits, 3 };
	const char *ruri = fwd_vec[_i].ruri;
	char br[SIPT_BRANCH_MAX];
	const struct sip_hdr *h;
	int st;

	node_open(&N, true, false, 20, 0);
	fwd_input((unsigned)_i);
	parse_ok(in, B.data, B.len);
	if (ruri)
		f.ruri = sv_from_cstr(ruri);
	ck_assert_int_eq(sipt_proxy_fwd_print(N.s, in, &f, &Out, br), 0);
	parse_ok(m, Out.data, Out.len);
	ck_assert(sv_eq_cstr(m->ruri_str, ruri ? ruri : "sip:ims.example.com"));
	/* Our Via on top, the received one below. */
	ck_assert(sv_eq_cstr(m->via.host, "127.0.0.1"));
	ck_assert_uint_eq(m->via.port, sipt_port(N.s, SIPT_UDP));
	ck_assert(sv_eq_cstr(m->via.branch, br));
	ck_assert(strstr(Out.data, "\r\nVia: SIP/2.0/UDP 10.0.0.1:5070;"
			 "branch=z9hG4bKup\r\n"));
	ck_assert_int_eq(m->max_forwards, fwd_vec[_i].mf_out);
	h = sip_hdr_find(m, SIP_HDR_ROUTE);
	ck_assert(fwd_vec[_i].top ? h && sv_eq_cstr(h->value, fwd_vec[_i].top)
				  : !h);
	ck_assert(strstr(Out.data, "\r\nPath: <sip:term@127.0.0.1;lr>\r\n"
			 "Path: <sip:old@10.0.0.9;lr>\r\n"));
	ck_assert(strstr(Out.data, "\r\nP-Visited-Network-ID: \"vnet\"\r\n"));
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_P_CHARGING_VECTOR));
	ck_assert_int_eq(m->content_length, 5);
	ck_assert(sv_eq_cstr(m->body, "hello"));
	/* Fed back to us (§16.3 items 3 and 4). */
	ck_assert_int_eq(sipt_proxy_check(N.s, m, &st),
			 fwd_vec[_i].check ? -ELOOP : 0);
	ck_assert_int_eq(st, fwd_vec[_i].check);
	ck_assert_int_eq(sipt_proxy_check(N.s, in, &st), 0);
	free(in);
	finish();
}
END_TEST

static const char resp2[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKme, "
	"SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKup\r\n"
	"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKue\r\n"
	"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: f1\r\n"
	"CSeq: 3 REGISTER\r\nContent-Length: 2\r\n\r\nok";

START_TEST(test_proxy_check_and_resp)
{
	struct sipt_fwd f = { SV_NULL, SIPT_UDP, NULL, 0 };
	struct sip_msg *m = Msg;
	char br[SIPT_BRANCH_MAX];
	int st;

	node_open(&N, true, false, 20, 0);
	buf_puts(&B, "OPTIONS sip:x SIP/2.0\r\n" GOOD_HDRS
		     "CSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n"
		     "Content-Length: 0\r\n\r\n");
	parse_ok(m, B.data, B.len);
	ck_assert_int_eq(sipt_proxy_check(N.s, m, &st), -ELOOP);
	ck_assert_int_eq(st, 483);
	ck_assert_int_eq(sipt_proxy_fwd_print(N.s, m, &f, &Out, br), -EINVAL);
	/* Relaying a response: our Via value goes, the rest stays. */
	buf_reset(&B);
	buf_puts(&B, resp2);
	parse_ok(m, B.data, B.len);
	ck_assert_int_eq(sipt_proxy_resp_print(m, NULL, 0, &Out), 0);
	parse_ok(m, Out.data, Out.len);
	ck_assert(sv_eq_cstr(m->via.branch, "z9hG4bKup"));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_VIA), 2);
	ck_assert(sv_eq_cstr(m->body, "ok"));
	/* A response with a single Via has nowhere to go. */
	buf_reset(&B);
	buf_puts(&B, "SIP/2.0 200 OK\r\n" GOOD_HDRS
		     "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	parse_ok(m, B.data, B.len);
	ck_assert_int_eq(sipt_proxy_resp_print(m, NULL, 0, &Out), -EBADMSG);
	/* A wildcard listen address needs an explicit sent-by. */
	ck_assert_int_eq(sipt_new(&M.s, &loop, &(struct sipt_conf){
		.udp_addr = "0.0.0.0" }), -EINVAL);
	finish();
}
END_TEST

static void setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	N = M = (struct node){ 0 }; /* for CK_FORK=no runs */
	buf_init(&B);
	buf_init(&Out);
	Msg = xmalloc(sizeof(*Msg));
}

static void teardown(void)
{
	buf_close(&B);
	buf_close(&Out);
	free(Msg);
}

int main(void)
{
	Suite *s = suite_create("sipt");
	TCase *tc = tcase_create("sipt");
	SRunner *sr;
	int failed, nbad = (int)ARRAY_SIZE(bad_vec);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_udp_server_transaction);
	tcase_add_test(tc, test_udp_ctrans_retransmit);
	tcase_add_test(tc, test_udp_ctrans_timeout);
	tcase_add_test(tc, test_tcp_framing);
	tcase_add_test(tc, test_tcp_reuse);
	tcase_add_loop_test(tc, test_udp_malformed, 0, nbad);
	tcase_add_test(tc, test_tcp_malformed);
	tcase_add_test(tc, test_trans_limit);
	tcase_add_test(tc, test_plugin_flow);
	tcase_add_loop_test(tc, test_proxy_fwd, 0, (int)ARRAY_SIZE(fwd_vec));
	tcase_add_test(tc, test_proxy_check_and_resp);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
