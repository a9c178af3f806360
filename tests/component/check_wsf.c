/* check_wsf.c - the wsf in-process on 127.0.0.1 (OS-chosen ports). A raw
 * UDP socket is the mock P-CSCF; clients are lib/ws connections over the
 * plain WS port and over WSS (lib/tls, no verification), or raw TCP
 * sockets for the handshake and timeout cases. Checked against RFC 6455,
 * RFC 7118, RFC 5626 §5 and TR 23.701 Figure 6.X.2.1.2.2-1 NOTE 3/4. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../wsf/wsf.h"
#include "digest/digest.h"
#include "sip/sip.h"
#include "ws/ws.h"

#define DOMAIN "ims.example.com"
#define IMPI "alice@" DOMAIN
#define PASSWORD "alice-secret"
#define ORIGIN "https://127.0.0.1:8443"
#define CONTACT                                                                \
	"<sip:k3v9@x.invalid;transport=ws>;reg-id=1;+sip.instance="           \
	"\"<urn:uuid:00000000-0000-4000-8000-000000000001>\""
#define CRED                                                                   \
	"X-IMS-Credential: impi=\"" IMPI "\", password=\"" PASSWORD "\"\r\n"
#define MAXQ 16

/* A WebSocket client on lib/ws; received messages queue up. */
struct cli {
	struct env *e;
	struct ws_conn *c;
	bool secure, opened, closed;
	uint16_t close_code;
	char *q[MAXQ];
	size_t qlen[MAXQ];
	unsigned nq, rd, branch;
	char buf[8192]; /* the message popped last, parsed into m */
	struct sip_msg m;
};

struct env {
	uv_loop_t loop;
	struct wsf_conf conf;
	struct wsf *w;
	struct trace trace;
	struct rng rng;
	struct tls_ctx *ctls;
	char dir[64], path[4][96]; /* cert, key, trace, keylog */
	int mk, mt; /* the mock P-CSCF: UDP and TCP */
	uint16_t mk_port;
	struct sockaddr_storage mk_from;
	char mbuf[8192];
	struct sip_msg mm;
	struct cli *cli[4];
};

static uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

/* Runs the loop until cond holds (evaluated once per turn), 5 s at most;
 * fails the test if it never does. */
#define WAIT(e, cond)                                                          \
	do {                                                                   \
		uint64_t end_ = ms_now() + 5000;                               \
		bool ok_;                                                      \
		while (!(ok_ = (cond)) && ms_now() < end_)                     \
			spin(e, 1);                                            \
		ck_assert_msg(ok_, "timed out waiting for " #cond);            \
	} while (0)

static void set(struct env *e, const char *kv)
{
	char err[CONF_ERR_LEN];

	ck_assert_msg(conf_set(wsf_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

static void spin(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		usleep(500);
	}
}

static struct env *env_new(const char *const *overrides)
{
	static const char *const files[][2] = {
		{ "cert", "cert.pem" }, { "key", "key.pem" },
		{ "trace_file", "trace.jsonl" }, { "keylog_file", "keys.log" }
	};
	struct env *e = xcalloc(1, sizeof(*e));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char kv[160], err[256];

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_wsf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	conf_defaults(wsf_conf_keys, &e->conf);
	for (size_t i = 0; i < 4; i++) {
		snprintf(e->path[i], sizeof(e->path[i]), "%s/%s", e->dir,
			 files[i][1]);
		snprintf(kv, sizeof(kv), "%s=%s", files[i][0], e->path[i]);
		set(e, kv);
	}
	e->mk = socket(AF_INET, SOCK_DGRAM, 0);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(e->mk, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(getsockname(e->mk, (struct sockaddr *)&sin, &sl), 0);
	e->mk_port = ntohs(sin.sin_port);
	e->mt = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = 0;
	ck_assert_int_eq(bind(e->mt, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(listen(e->mt, 4), 0);
	fcntl(e->mt, F_SETFL, O_NONBLOCK);
	snprintf(kv, sizeof(kv), "pcscf_port=%u", e->mk_port);
	set(e, kv);
	set(e, "wss_port=0");
	set(e, "ws_port=-1");
	set(e, "sip_port=0");
	set(e, "log_level=error");
	for (size_t i = 0; overrides && overrides[i]; i++)
		set(e, overrides[i]);
	if (e->conf.pcscf_transport) { /* tcp: the TCP mock */
		ck_assert_int_eq(getsockname(e->mt, (struct sockaddr *)&sin,
					     &sl), 0);
		snprintf(kv, sizeof(kv), "pcscf_port=%u", ntohs(sin.sin_port));
		set(e, kv);
	}
	ck_assert_int_eq(wsf_conf_check(&e->conf, err, sizeof(err)), 0);
	log_set_level(e->conf.common.log_level);
	rng_init(&e->rng, 7);
	ck_assert_int_eq(trace_open(&e->trace, e->path[2], "wsf"), 0);
	ck_assert_int_eq(tls_ctx_client_new(&e->ctls, NULL, err, sizeof(err)),
			 0);
	ck_assert_msg(wsf_new(&e->w, &e->loop, &e->conf, &e->trace, &e->rng,
			      err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_ne(wsf_ws_port(e->w), 0);
	return e;
}

static void env_free(struct env *e)
{
	uint64_t end = ms_now() + 5000;

	if (e->w)
		wsf_close(e->w);
	for (size_t i = 0; i < ARRAY_SIZE(e->cli); i++)
		if (e->cli[i] && !e->cli[i]->closed)
			ws_conn_abort(e->cli[i]->c);
	while (uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end)
		usleep(500);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	for (size_t i = 0; i < ARRAY_SIZE(e->cli) && e->cli[i]; i++) {
		obj_unref(e->cli[i]->c);
		for (unsigned k = 0; k < e->cli[i]->nq; k++)
			free(e->cli[i]->q[k]);
		free(e->cli[i]);
	}
	tls_ctx_free(e->ctls);
	trace_close(&e->trace);
	for (size_t i = 0; i < 4; i++)
		unlink(e->path[i]);
	rmdir(e->dir);
	close(e->mk);
	close(e->mt);
	conf_free(wsf_conf_keys, &e->conf);
	free(e);
}

/* ---- the WebSocket client --------------------------------------------- */

static void on_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct cli *cl = arg;

	UNUSED(c);
	UNUSED(op);
	ck_assert_uint_lt(cl->nq, MAXQ);
	cl->q[cl->nq] = xmemdup(p, n);
	cl->qlen[cl->nq++] = n;
}

static void on_close(struct ws_conn *c, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	struct cli *cl = arg;

	UNUSED(c);
	UNUSED(reason);
	UNUSED(err);
	cl->closed = true;
	cl->close_code = code;
}

/* Connects (origin NULL: none); waits for open or refusal. */
static struct cli *cli_new(struct env *e, bool secure, const char *origin,
			   const char *proto)
{
	const char *protos[] = { proto, NULL };
	struct ws_cbs cbs = { NULL, on_msg, on_close, NULL, NULL };
	struct cli *cl = xcalloc(1, sizeof(*cl));
	size_t i = 0;

	while (e->cli[i])
		i++;
	e->cli[i] = cl;
	cl->e = e;
	cl->secure = secure;
	cbs.arg = cl;
	ck_assert_int_eq(
		ws_conn_connect(&cl->c, &e->loop, "127.0.0.1",
				secure ? wsf_wss_port(e->w) : wsf_ws_port(e->w),
				secure ? e->ctls : NULL, NULL,
				&(struct ws_client_req){ .host = "127.0.0.1",
							 .origin = origin,
							 .protocols = protos },
				&e->rng, NULL, &cbs),
		0);
	WAIT(e, ws_conn_is_open(cl->c) || cl->closed);
	cl->opened = ws_conn_is_open(cl->c);
	return cl;
}

static void cli_send(struct cli *cl, const char *text)
{
	ck_assert_int_eq(ws_conn_send(cl->c, WS_OP_TEXT, text, strlen(text)),
			 0);
}

/* The next message (bounded wait) into cl->buf, NUL-terminated. */
static const char *cli_recv_raw(struct cli *cl)
{
	size_t n;

	WAIT(cl->e, cl->rd < cl->nq);
	n = cl->qlen[cl->rd];
	ck_assert_uint_lt(n, sizeof(cl->buf));
	memcpy(cl->buf, cl->q[cl->rd++], n);
	cl->buf[n] = '\0';
	return cl->buf;
}

/* The same, parsed as SIP into cl->m. */
static const struct sip_msg *cli_recv(struct cli *cl)
{
	size_t n = strlen(cli_recv_raw(cl));

	ck_assert_msg(!sip_msg_parse(&cl->m, cl->buf, n, false, NULL),
		      "client got: %s", cl->buf);
	return &cl->m;
}

/* A REGISTER as JsSIP sends it: WS(S) Via with a .invalid host. */
static void cli_register(struct cli *cl, unsigned cseq, const char *extra)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		   "Via: SIP/2.0/%s x.invalid;branch=z9hG4bKc%u;rport\r\n"
		   "Max-Forwards: 70\r\nTo: <sip:" IMPI ">\r\n"
		   "From: <sip:" IMPI ">;tag=c1\r\nCall-ID: ws-reg-1\r\n"
		   "CSeq: %u REGISTER\r\nContact: " CONTACT ";expires=600\r\n"
		   "%sContent-Length: 0\r\n\r\n",
		   cl->secure ? "WSS" : "WS", ++cl->branch, cseq,
		   extra ? extra : "");
	cli_send(cl, b.data);
	buf_close(&b);
}

/* ---- the mock P-CSCF -------------------------------------------------- */

/* The next message the wsf sends the mock (bounded wait), parsed. */
static const struct sip_msg *mock_recv(struct env *e)
{
	socklen_t sl = sizeof(e->mk_from);
	ssize_t n = -1;

	WAIT(e, (n = recvfrom(e->mk, e->mbuf, sizeof(e->mbuf) - 1,
			      MSG_DONTWAIT, (struct sockaddr *)&e->mk_from,
			      &sl)) > 0);
	e->mbuf[n] = '\0';
	ck_assert_msg(sip_msg_parse(&e->mm, e->mbuf, (size_t)n, false, NULL) ==
			      0,
		      "mock got: %s", e->mbuf);
	return &e->mm;
}

/* Sends b to the wsf's SIP port and frees it. */
static void mock_send(struct env *e, struct buf *b)
{
	struct sockaddr_in to;

	uv_ip4_addr("127.0.0.1", wsf_sip_port(e->w), &to);
	ck_assert_int_eq(sendto(e->mk, b->data, b->len, 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)b->len);
	buf_close(b);
}

static void mock_reply(struct env *e, int status, const char *extra)
{
	struct buf b;

	buf_init(&b);
	sip_print_response_start(&b, &e->mm, status, NULL, "mocktag");
	if (extra)
		buf_puts(&b, extra);
	sip_print_end(&b, NULL, NULL, 0);
	mock_send(e, &b);
}

/* A request from IMS towards a client, routed by route (NULL: none). */
static void mock_request(struct env *e, const char *route, unsigned n)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "MESSAGE sip:k3v9@x.invalid;transport=ws SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKm%u;rport\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:bob@" DOMAIN ">;tag=m1\r\n"
		   "To: <sip:" IMPI ">\r\nCall-ID: m%u\r\nCSeq: 1 MESSAGE\r\n",
		   e->mk_port, n, n);
	if (route)
		buf_printf(&b, "Route: %s\r\n", route);
	buf_puts(&b, "Content-Length: 2\r\n\r\nhi");
	mock_send(e, &b);
}

/* ---- raw TCP ---------------------------------------------------------- */

static int raw_connect(uint16_t port)
{
	struct sockaddr_in to;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	uv_ip4_addr("127.0.0.1", port, &to);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Reads into buf until `until` shows up or EOF (bounded); *eof set. */
static size_t raw_read(struct env *e, int fd, char *buf, size_t cap,
		       const char *until, bool *eof, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	size_t len = 0;
	ssize_t n;

	*eof = false;
	buf[0] = '\0';
	while (ms_now() < end && !*eof && !(until && strstr(buf, until))) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			*eof = true;
		buf[len] = '\0';
		usleep(500);
	}
	return len;
}

/* ---- tests ------------------------------------------------------------ */

#define UPG(extra)                                                             \
	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"          \
	"Connection: Upgrade\r\n"                                              \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" extra "\r\n"
#define V13 "Sec-WebSocket-Version: 13\r\n"
#define SIPP "Sec-WebSocket-Protocol: sip\r\n"
#define ORG "Origin: " ORIGIN "\r\n"

#define END "\r\n\r\n"

/* RFC 6455 §4.2.2 / RFC 7118 §4: sip required (400), Origin (403),
 * version (426); anything else over HTTP gets a note or 404/405. */
static const struct {
	const char *req;
	const char *status;
	const char *hdr; /* must appear in the answer */
} hs_vec[] = {
	{ UPG(V13 SIPP ORG), "101", SIPP },
	{ UPG(V13 "Sec-WebSocket-Protocol: chat, sip\r\n" ORG), "101", SIPP },
	{ UPG(V13 ORG), "400", "sip subprotocol" },
	{ UPG(V13 "Sec-WebSocket-Protocol: chat\r\n" ORG), "400", END },
	{ UPG(V13 SIPP "Origin: https://evil.example\r\n"), "403", END },
	{ UPG(V13 SIPP), "403", END },
	{ UPG("Sec-WebSocket-Version: 8\r\n" SIPP ORG), "426", "Version: 13" },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "200", "SIP over WebSocket" },
	{ "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", "404", END },
	{ "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", "405", END },
};

START_TEST(test_handshake)
{
	struct env *e = env_new(NULL);
	char buf[4096];
	bool eof;
	int fd = raw_connect(wsf_ws_port(e->w));

	ck_assert_int_eq(send(fd, hs_vec[_i].req, strlen(hs_vec[_i].req), 0),
			 (ssize_t)strlen(hs_vec[_i].req));
	raw_read(e, fd, buf, sizeof(buf), hs_vec[_i].hdr, &eof, 3000);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 ", 9) &&
			      !strncmp(buf + 9, hs_vec[_i].status, 3),
		      "got: %s", buf);
	ck_assert_msg(strstr(buf, hs_vec[_i].hdr), "got: %s", buf);
	ck_assert_uint_eq(wsf_flow_count(e->w), hs_vec[_i].status[0] == '1');
	close(fd);
	env_free(e);
}
END_TEST

/* Contact exactly as the client sent it (RFC 7118 clients need that). */
#define CONTACT_IS(m)                                                          \
	(sip_hdr_find(m, SIP_HDR_CONTACT) &&                                   \
	 sv_eq_cstr(sip_hdr_find(m, SIP_HDR_CONTACT)->value,                   \
		    CONTACT ";expires=600"))

/* The forwarded REGISTER: our Via on top, the client's below it with
 * received/rport, Path with a flow token and ;ob, no X-IMS-Credential, the
 * Contact untouched. The token goes to token (33 bytes). */
static void check_fwd(struct env *e, struct cli *cl, unsigned cseq,
		      char *token)
{
	const struct sip_msg *m = &e->mm;
	struct sip_list_iter it = { 0 };
	const struct sockaddr *cs = stream_local(ws_conn_stream(cl->c));
	const struct sip_hdr *h;
	struct sip_addr a;
	struct sip_via v;
	struct sv el;

	ck_assert_int_eq(m->method, SIP_METHOD_REGISTER);
	ck_assert_uint_eq(m->cseq, cseq);
	ck_assert(sv_eq_cstr(m->via.transport, "UDP"));
	ck_assert(sv_eq_cstr(m->via.host, "127.0.0.1"));
	ck_assert_uint_eq(m->via.port, wsf_sip_port(e->w));
	ck_assert(sip_list_iter_next(m, SIP_HDR_VIA, &it, &el));
	ck_assert(sip_list_iter_next(m, SIP_HDR_VIA, &it, &el));
	ck_assert_int_eq(sip_via_parse(&v, el, NULL), 0);
	ck_assert(sv_eq_cstr(v.transport, cl->secure ? "WSS" : "WS"));
	ck_assert(sv_eq_cstr(v.host, "x.invalid"));
	ck_assert(sv_eq_cstr(v.received, "127.0.0.1"));
	ck_assert_uint_eq(v.rport, ntohs(((const struct sockaddr_in *)
						  (const void *)cs)->sin_port));
	ck_assert(!sip_list_iter_next(m, SIP_HDR_VIA, &it, &el));
	ck_assert_int_eq(m->max_forwards, 69);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_PATH), 1);
	h = sip_hdr_find(m, SIP_HDR_PATH);
	ck_assert_int_eq(sip_addr_parse(&a, h->value, NULL), 0);
	ck_assert_uint_eq(a.uri.user.len, 32);
	ck_assert(sv_eq_cstr(a.uri.host, "127.0.0.1"));
	ck_assert_uint_eq(a.uri.port, wsf_sip_port(e->w));
	ck_assert(sip_param_has(a.uri.params, "lr") &&
		  sip_param_has(a.uri.params, "ob"));
	ck_assert_int_eq(sip_param_get(a.uri.params, "transport", &el), 0);
	ck_assert(sv_eq_cstr(el, "udp"));
	ck_assert_ptr_null(sip_hdr_find_name(m, "X-IMS-Credential"));
	ck_assert(!memmem(m->raw.p, m->raw.len, PASSWORD, 12));
	ck_assert(CONTACT_IS(m));
	if (token[0])
		ck_assert(sv_eq_cstr(a.uri.user, token));
	sv_copy(a.uri.user, token, 33);
}

/* One trace line with all of these. */
static bool traced(struct env *e, const char *a, const char *b)
{
	FILE *f = fopen(e->path[2], "r");
	char line[16384];
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, a) && strstr(line, b);
	fclose(f);
	return found;
}

/* Forward mode (NOTE 4): 401 and 200 come back over the same WebSocket. */
START_TEST(test_register)
{
	struct env *e = env_new(NULL);
	struct cli *cl = cli_new(e, _i, ORIGIN, "sip");
	const struct sip_msg *m;
	char token[33] = "", tp[64];
	struct stat st;

	ck_assert_str_eq(ws_conn_protocol(cl->c), "sip");
	ck_assert_str_eq(ws_conn_transport(cl->c), _i ? "wss" : "ws");
	cli_register(cl, 1, CRED);
	mock_recv(e);
	check_fwd(e, cl, 1, token);
	mock_reply(e, 401, "WWW-Authenticate: Digest realm=\"" DOMAIN "\", "
			   "nonce=\"abc\", algorithm=MD5, qop=\"auth\"\r\n");
	m = cli_recv(cl);
	ck_assert_int_eq(m->status, 401);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_VIA), 1);
	ck_assert(sv_eq_cstr(m->via.host, "x.invalid"));
	ck_assert(m->cseq == 1 && sip_hdr_find(m, SIP_HDR_WWW_AUTHENTICATE));
	cli_register(cl, 2, "Authorization: Digest username=\"" IMPI "\"\r\n");
	mock_recv(e);
	check_fwd(e, cl, 2, token);
	ck_assert(sip_hdr_find(&e->mm, SIP_HDR_AUTHORIZATION));
	mock_reply(e, 200, "Contact: " CONTACT ";expires=600\r\n"
			   "Service-Route: <sip:orig@127.0.0.1:6060;lr>\r\n");
	m = cli_recv(cl);
	ck_assert_int_eq(m->status, 200);
	ck_assert(CONTACT_IS(m));
	ck_assert_uint_eq(cl->nq, 2);
	/* The trace: upgrade and 101 as http, SIP as sip over ws/wss. */
	snprintf(tp, sizeof(tp), "\"transport\":\"%s\"", _i ? "tls" : "tcp");
	ck_assert(traced(e, "\"recv\",\"proto\":\"http\"", "GET / HTTP/1.1"));
	ck_assert(traced(e, "\"summary\":\"HTTP/1.1 101 Switching", tp));
	snprintf(tp, sizeof(tp), "\"proto\":\"sip\",\"transport\":\"%s\"",
		 _i ? "wss" : "ws");
	ck_assert(traced(e, tp, "\"summary\":\"REGISTER sip:" DOMAIN));
	ck_assert(traced(e, tp, "\"summary\":\"SIP/2.0 401 "));
	ck_assert(traced(e, "\"transport\":\"udp\"", "SIP/2.0 200 OK"));
	/* keylog_file: TLS secrets for Wireshark (only TLS writes them) */
	ck_assert_int_eq(stat(e->path[3], &st), 0);
	ck_assert_int_eq(st.st_size > 0, _i);
	env_free(e);
}
END_TEST

/* challenge=terminate (NOTE 3): secure, credential given, answered here */
static const struct {
	bool secure, cred, answered;
} term_vec[] = {
	{ true, true, true },
	{ true, false, false },  /* no credential: the 401 is relayed */
	{ false, true, false },  /* never over plain ws */
};

START_TEST(test_terminate)
{
	static const char *const cf[] = { "challenge=terminate", NULL };
	struct env *e = env_new(cf);
	struct cli *cl = cli_new(e, term_vec[_i].secure, ORIGIN, "sip");
	struct digest_nonce_key key;
	struct digest_cred *cred = xmalloc(sizeof(*cred));
	char token[33] = "", nonce[DIGEST_NONCE_LEN + 1], ha1[DIGEST_HEX_MAX];
	const struct sip_msg *m;
	struct buf b;

	cli_register(cl, 1, term_vec[_i].cred ? CRED : NULL);
	mock_recv(e);
	check_fwd(e, cl, 1, token);
	digest_nonce_key_init(&key, &e->rng, 60);
	digest_nonce_make(nonce, &key, &e->rng, 1000, SV(DOMAIN));
	buf_init(&b);
	digest_chal_print_list(&b, "WWW-Authenticate",
			       &(struct digest_offer){
				       .realm = SV(DOMAIN),
				       .nonce = sv_from_cstr(nonce) },
			       (enum digest_alg[]){ DIGEST_ALG_MD5 }, 1);
	mock_reply(e, 401, b.data);
	if (!term_vec[_i].answered) {
		ck_assert_int_eq(cli_recv(cl)->status, 401);
		goto out;
	}
	/* The wsf's own answer: CSeq + 1, Digest right for the password. */
	mock_recv(e);
	check_fwd(e, cl, 2, token);
	ck_assert_int_eq(digest_cred_parse(cred, sip_hdr_find(&e->mm,
					   SIP_HDR_AUTHORIZATION)->value, NULL),
			 0);
	ck_assert(sv_eq_cstr(cred->username, IMPI) &&
		  sv_eq_cstr(cred->uri, "sip:" DOMAIN));
	digest_ha1_calc(ha1, DIGEST_ALG_MD5, SV(IMPI), SV(DOMAIN),
			SV(PASSWORD));
	ck_assert_int_eq(digest_resp_verify(cred, &(struct digest_verify){
				     .method = SV("REGISTER"),
				     .ha1 = sv_from_cstr(ha1),
				     .key = &key, .bound = SV(DOMAIN),
				     .now = 1001 }),
			 0);
	mock_reply(e, 200, "Contact: " CONTACT ";expires=600\r\n");
	m = cli_recv(cl);
	ck_assert_int_eq(m->status, 200); /* the 401 never reached it */
	ck_assert_uint_eq(m->cseq, 1);
	ck_assert(CONTACT_IS(m));
	/* The client's next CSeq is mapped above the wsf's, and back. */
	cli_register(cl, 2, NULL);
	mock_recv(e);
	check_fwd(e, cl, 3, token);
	mock_reply(e, 200, "Contact: " CONTACT ";expires=600\r\n");
	m = cli_recv(cl);
	ck_assert_int_eq(m->status, 200);
	ck_assert_uint_eq(m->cseq, 2);
out:
	ck_assert_uint_eq(cl->nq, term_vec[_i].answered ? 2 : 1);
	buf_close(&b);
	free(cred);
	env_free(e);
}
END_TEST

/* RFC 5626 §5.3: requests from IMS by flow token; forged 403; gone 430. */
START_TEST(test_terminating)
{
	struct env *e = env_new(NULL);
	struct cli *cl = cli_new(e, _i, ORIGIN, "sip");
	char token[33] = "", route[160], bad[160];
	const struct sip_msg *m;
	struct buf b;

	cli_register(cl, 1, NULL);
	mock_recv(e);
	check_fwd(e, cl, 1, token);
	mock_reply(e, 200, "Contact: " CONTACT "\r\n");
	cli_recv(cl);
	snprintf(route, sizeof(route), "<sip:%s@127.0.0.1:%u;transport=udp;"
		 "lr;ob>", token, wsf_sip_port(e->w));
	mock_request(e, route, 1);
	m = cli_recv(cl);
	ck_assert(m->is_request && m->method == SIP_METHOD_MESSAGE);
	ck_assert(sv_eq_cstr(m->via.transport, _i ? "WSS" : "WS"));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_VIA), 2);
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_ROUTE));
	ck_assert(sv_eq_cstr(m->ruri_str, "sip:k3v9@x.invalid;transport=ws"));
	ck_assert(sv_eq_cstr(m->body, "hi"));
	buf_init(&b);
	sip_print_response(&b, m, 200, NULL, "cli");
	cli_send(cl, b.data);
	buf_close(&b);
	m = mock_recv(e);
	ck_assert_int_eq(m->status, 200);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_VIA), 1);
	/* A token we did not issue (one MAC digit changed; no MAC at all) */
	snprintf(bad, sizeof(bad), "%s", route);
	bad[36] = bad[36] == '0' ? '1' : '0';
	mock_request(e, bad, 2);
	ck_assert_int_eq(mock_recv(e)->status, 403);
	mock_request(e, "<sip:abc@127.0.0.1;lr>", 3);
	ck_assert_int_eq(mock_recv(e)->status, 403);
	mock_request(e, NULL, 4); /* no token at all */
	ck_assert_int_eq(mock_recv(e)->status, 404);
	/* The client goes: its flow fails. */
	ws_conn_close(cl->c, 1000, NULL);
	WAIT(e, cl->closed);
	WAIT(e, wsf_flow_count(e->w) == 0);
	mock_request(e, route, 5);
	m = mock_recv(e);
	ck_assert_int_eq(m->status, 430);
	ck_assert(sv_eq_cstr(m->reason, "Flow Failed"));
	env_free(e);
}
END_TEST

/* Malformed SIP -> 400 over the socket; CRLF keep-alive; RFC 7118 §5: no
 * Content-Length needed in a WebSocket message. */
START_TEST(test_frames)
{
	struct env *e = env_new(NULL);
	struct cli *cl = cli_new(e, _i, ORIGIN, "sip");

	cli_send(cl, "OPTIONS sip:" DOMAIN " SIP/2.0\r\n"
		     "Via: SIP/2.0/WS x.invalid;branch=z9hG4bKbad\r\n"
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		     "Call-ID: bad\r\nCSeq: x OPTIONS\r\n\r\n");
	/* the 400 echoes the broken CSeq: looked at as text */
	ck_assert(!strncmp(cli_recv_raw(cl), "SIP/2.0 400 Bad CSeq\r\n", 22));
	ck_assert(strstr(cl->buf, "\r\nCall-ID: bad\r\n"));
	cli_send(cl, "\r\n\r\n");
	ck_assert_str_eq(cli_recv_raw(cl), "\r\n");
	cli_send(cl, "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		     "Via: SIP/2.0/WSS x.invalid;branch=z9hG4bKnocl\r\n"
		     "From: <sip:" IMPI ">;tag=1\r\nTo: <sip:" IMPI ">\r\n"
		     "Call-ID: nocl\r\nCSeq: 1 REGISTER\r\n"
		     "Contact: " CONTACT "\r\n\r\n");
	ck_assert(sv_eq_cstr(mock_recv(e)->call_id, "nocl"));
	ck_assert(cl->opened && !cl->closed);
	env_free(e);
}
END_TEST

/* pcscf_transport=tcp: our Via and the Path say TCP (sipt itself routes
 * the answers back; check_sipt covers that). */
START_TEST(test_tcp)
{
	static const char *const cf[] = { "pcscf_transport=tcp", NULL };
	struct env *e = env_new(cf);
	struct cli *cl = cli_new(e, false, ORIGIN, "sip");
	char buf[8192], via[64];
	bool eof;
	int fd = -1;

	cli_register(cl, 1, NULL);
	WAIT(e, (fd = accept(e->mt, NULL, NULL)) >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	raw_read(e, fd, buf, sizeof(buf), "\r\n\r\n", &eof, 3000);
	snprintf(via, sizeof(via), "\r\nVia: SIP/2.0/TCP 127.0.0.1:%u;",
		 wsf_sip_port(e->w));
	ck_assert_msg(strstr(buf, via), "got: %s", buf);
	ck_assert(strstr(buf, ";transport=tcp;lr;ob>\r\n"));
	close(fd);
	env_free(e);
}
END_TEST

/* Limits and timers: 1009 over max_msg, 503 over max_conns, pings keep
 * a quiet client alive (half-open sockets: tests/proc/wsf_bad_input.sh). */
START_TEST(test_limits)
{
	static const char *const cf[] = { "max_msg=1024", "max_conns=2",
					  "idle_ms=300", "ping_ms=100", NULL };
	struct env *e = env_new(cf);
	struct cli *a = cli_new(e, true, ORIGIN, "sip");
	struct cli *b = cli_new(e, false, ORIGIN, "sip");
	struct cli *c = cli_new(e, false, ORIGIN, "sip");
	struct cli *d = cli_new(e, true, "https://evil.example", "sip");
	static char big[2000];

	ck_assert(a->opened && b->opened);
	ck_assert(!c->opened && c->closed); /* 503 */
	ck_assert(!d->opened && d->closed); /* 403 over TLS too */
	memset(big, 'a', sizeof(big) - 1);
	cli_send(b, big);
	WAIT(e, b->closed);
	ck_assert_uint_eq(b->close_code, 1009);
	/* a stays open past idle_ms: it answers the pings */
	spin(e, 700);
	ck_assert(!a->closed);
	env_free(e);
}
END_TEST

/* Without pings, a silent client is closed with 1001 after idle_ms; on
 * shutdown every client gets 1001 going away. Origin "*": any or none. */
START_TEST(test_idle_shutdown)
{
	static const char *const cf[] = { "idle_ms=200", "ping_ms=0",
					  "allowed_origins=*", NULL };
	struct env *e = env_new(cf);
	struct cli *a = cli_new(e, false, NULL, "sip");
	struct cli *b;
	uint64_t t0 = ms_now();

	ck_assert(a->opened);
	WAIT(e, a->closed);
	ck_assert_uint_ge(ms_now() - t0, 150);
	ck_assert_uint_eq(a->close_code, 1001);
	b = cli_new(e, true, ORIGIN, "sip");
	ck_assert(b->opened);
	wsf_close(e->w);
	e->w = NULL;
	WAIT(e, b->closed);
	ck_assert_uint_eq(b->close_code, 1001);
	env_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wsf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_handshake, 0, (int)ARRAY_SIZE(hs_vec));
	tcase_add_loop_test(tc, test_register, 0, 2);
	tcase_add_loop_test(tc, test_terminate, 0, (int)ARRAY_SIZE(term_vec));
	tcase_add_loop_test(tc, test_terminating, 0, 2);
	tcase_add_loop_test(tc, test_frames, 0, 2);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_idle_shutdown);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
