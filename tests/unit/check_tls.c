/* check_tls.c - lib/tls: streams over loopback (plain and TLS), timeouts,
 * failures, verification, the key log and the self-signed pair. Every
 * test ends with all handles closed and uv_loop_close() == 0. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls/stream.h"

static char g_dir[64], g_cert[128], g_key[128], g_cert2[128], g_key2[128];

#define OK(e)	ck_assert_int_eq((e), 0)
#define BULK	(1024 * 1024)
#define MAX_EP	4
#define PIECE	65536
#define SIN_LEN sizeof(struct sockaddr_in)

static char g_pat[BULK]; /* what the bulk writers send */

struct ep { /* what one end of a stream saw */
	struct stream *s;
	int opened, open_err, closed, close_err;
	struct buf rx, tr_in, tr_out;
	bool echo, pause_on_read;
	const char *answer; /* written on the first read, then close */
	size_t reply_after; /* then sends reply bytes back */
	size_t reply;
	/* writer: w_total bytes of a known pattern, PIECE at a time, waiting
	 * for the drain callback after each -ENOBUFS */
	size_t w_total, w_sent;
	int enobufs;
	uint64_t t_closed; /* ms */
};

struct fx {
	uv_loop_t loop;
	uv_timer_t guard; /* wakes UV_RUN_ONCE so waits stay bounded */
	struct stream_listener *l;
	struct tls_ctx *sctx, *cctx, *extra;
	struct ep srv[MAX_EP], cli[MAX_EP];
	int nsrv;
	struct ep proto; /* what each accepted end starts as */
};

static void writer_pump(struct ep *ep)
{
	while (ep->w_sent < ep->w_total) {
		size_t n = ep->w_total - ep->w_sent;
		int err;

		n = n < PIECE ? n : PIECE;
		err = stream_write(ep->s, g_pat + ep->w_sent, n);
		if (err == -ENOBUFS) {
			ep->enobufs++;
			return;
		}
		OK(err);
		ep->w_sent += n;
	}
}

static void ep_open(struct stream *s, int err, void *arg)
{
	struct ep *ep = arg;

	ck_assert_ptr_eq(s, ep->s);
	ep->opened++;
	ep->open_err = err;
	if (!err && ep->w_total)
		writer_pump(ep);
}

static void ep_read(struct stream *s, const char *p, size_t n, void *arg)
{
	struct ep *ep = arg;

	ck_assert_int_eq(ep->closed, 0);
	buf_append(&ep->rx, p, n);
	if (ep->echo)
		OK(stream_write(s, p, n));
	if (ep->pause_on_read)
		stream_pause(s);
	if (ep->answer) {
		OK(stream_write(s, ep->answer, strlen(ep->answer)));
		stream_close(s);
		ep->answer = NULL;
	}
	if (ep->reply_after && ep->rx.len == ep->reply_after) {
		ep->w_total = ep->reply;
		writer_pump(ep);
	}
}

static void ep_close(struct stream *s, int err, void *arg)
{
	struct ep *ep = arg;

	UNUSED(s);
	ep->closed++;
	ep->close_err = err;
	ep->t_closed = time_now_us() / 1000;
}

static void ep_trace(struct stream *s, bool sent, const char *p, size_t n,
		     void *arg)
{
	struct ep *ep = arg;

	UNUSED(s);
	buf_append(sent ? &ep->tr_out : &ep->tr_in, p, n);
}

static void ep_drain(struct stream *s, void *arg)
{
	UNUSED(s);
	writer_pump(arg);
}

static void on_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	struct fx *f = arg;
	struct ep *ep;

	UNUSED(l);
	ck_assert_int_lt(f->nsrv, MAX_EP);
	ep = &f->srv[f->nsrv++];
	*ep = f->proto;
	ep->s = s;
	stream_set_cbs(s,
		       &(struct stream_cbs){ ep_open, ep_read, ep_close, ep });
	stream_set_trace(s, ep_trace, ep);
	stream_set_drain(s, ep_drain, ep);
}

static uint64_t now_ms(struct fx *f)
{
	uv_update_time(&f->loop);
	return uv_now(&f->loop);
}

#define RUN_UNTIL(f, cond, ms)                                                 \
	do {                                                                   \
		uint64_t end_ = now_ms(f) + (ms);                              \
		while (!(cond) && now_ms(f) < end_)                            \
			uv_run(&(f)->loop, UV_RUN_ONCE);                       \
		ck_assert_msg((cond), "timed out waiting for %s", #cond);      \
	} while (0)

/* What one end saw: open calls and error, close calls and error. */
#define EP_CHECK(ep, nopen, oerr, nclose, cerr)                                \
	do {                                                                   \
		ck_assert_int_eq((ep)->opened, (nopen));                       \
		ck_assert_int_eq((ep)->open_err, (oerr));                      \
		ck_assert_int_eq((ep)->closed, (nclose));                      \
		ck_assert_int_eq((ep)->close_err, (cerr));                     \
	} while (0)

static void guard_cb(uv_timer_t *t)
{
	UNUSED(t);
}

static void fx_init(struct fx *f, bool tls, const struct stream_limits *lim)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	OK(uv_loop_init(&f->loop));
	uv_timer_init(&f->loop, &f->guard);
	uv_timer_start(&f->guard, guard_cb, 5, 5);
	if (tls) {
		OK(tls_ctx_server_new(&f->sctx, g_cert, g_key, err,
				      sizeof(err)));
		OK(tls_ctx_client_new(&f->cctx, NULL, err, sizeof(err)));
	}
	OK(stream_listen(&f->l, &f->loop, "127.0.0.1", 0, f->sctx, lim,
			 on_accept, f));
	ck_assert_uint_gt(stream_listener_port(f->l), 0);
}

static void cli_connect(struct fx *f, int i, struct tls_ctx *tls,
			const char *sni, const struct stream_limits *lim)
{
	struct ep *ep = &f->cli[i];
	struct stream_cbs cbs = { ep_open, ep_read, ep_close, ep };

	OK(stream_connect(&ep->s, &f->loop, "127.0.0.1",
			  stream_listener_port(f->l), tls, sni, lim, &cbs));
	stream_set_trace(ep->s, ep_trace, ep);
	stream_set_drain(ep->s, ep_drain, ep);
}

static bool all_closed(const struct fx *f)
{
	for (int i = 0; i < MAX_EP; i++)
		if ((f->cli[i].s && !f->cli[i].closed) ||
		    (i < f->nsrv && !f->srv[i].closed))
			return false;
	return true;
}

static void ep_free(struct ep *ep)
{
	buf_close(&ep->rx);
	buf_close(&ep->tr_in);
	buf_close(&ep->tr_out);
}

/* Closes everything and checks that no handle is left on the loop. */
static void fx_close(struct fx *f)
{
	for (int i = 0; i < MAX_EP; i++)
		if (f->cli[i].s && !f->cli[i].closed)
			stream_close(f->cli[i].s);
	if (f->l)
		stream_listener_close(f->l);
	RUN_UNTIL(f, all_closed(f), 3000);
	for (int i = 0; i < MAX_EP; i++) {
		if (f->cli[i].s)
			ck_assert_int_eq(f->cli[i].closed, 1);
		if (i < f->nsrv)
			ck_assert_int_eq(f->srv[i].closed, 1);
		f->cli[i].s = obj_unref(f->cli[i].s);
		ep_free(&f->cli[i]);
		ep_free(&f->srv[i]);
	}
	uv_close((uv_handle_t *)&f->guard, NULL);
	for (int i = 0; i < 100 && uv_loop_alive(&f->loop); i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	OK(uv_loop_close(&f->loop));
	tls_ctx_free(f->sctx);
	tls_ctx_free(f->cctx);
	tls_ctx_free(f->extra);
}

/* Another client context (ca NULL: no verification), freed by fx_close. */
static struct tls_ctx *fx_client_ctx(struct fx *f, const char *ca)
{
	char err[256];

	OK(tls_ctx_client_new(&f->extra, ca, err, sizeof(err)));
	return f->extra;
}

/* ---- self-signed pair and contexts --------------------------------------- */

static X509 *cert_load(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	ck_assert_ptr_nonnull(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ck_assert_ptr_nonnull(x);
	return x;
}

START_TEST(test_selfsigned)
{
	char cert[160], key[160], err[256];
	struct stat st;
	bool created = false;
	X509 *x, *x2;
	int days, secs;

	snprintf(cert, sizeof(cert), "%s/ss/a/b/cert.pem", g_dir);
	snprintf(key, sizeof(key), "%s/ss/k/key.pem", g_dir);
	OK(tls_selfsigned_make(cert, key, "wsf.test",
			       "localhost, 127.0.0.1,::1", &created, err,
			       sizeof(err)));
	ck_assert(created);
	OK(stat(key, &st));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Second start: the pair is kept as it is. */
	OK(tls_selfsigned_make(cert, key, "wsf.test", "localhost", &created,
			       err, sizeof(err)));
	ck_assert(!created);

	x = cert_load(cert);
	ck_assert_int_eq(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	ck_assert_int_eq(X509_check_ip_asc(x, "::1", 0), 1);
	ck_assert_int_eq(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	ck_assert_int_ne(X509_check_ip_asc(x, "10.0.0.1", 0), 1);
	ck_assert_int_ne(X509_check_host(x, "other.test", 0, 0, NULL), 1);
	ck_assert_int_eq(
		ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)), 1);
	ck_assert_int_ge(days, 3650);
	ck_assert_int_eq(X509_check_issued(x, x), X509_V_OK);
	ck_assert_int_eq(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 256);
	/* Serials are random: the fixture's pair has another one. */
	x2 = cert_load(g_cert);
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
					  X509_get0_serialNumber(x2)),
			 0);
	X509_free(x);
	X509_free(x2);
}
END_TEST

static const struct {
	const char *cn, *sans;
	int err;
} ss_vec[] = {
	{ "a", "", -EINVAL },	      { "a", "x,,y", -EINVAL },
	{ "a", "bad name", -EINVAL }, { "a", "x:y", -EINVAL },
	{ "", "localhost", -EINVAL }, { NULL, "localhost", -EINVAL },
	{ "a", "h.example,::1", 0 },
};

START_TEST(test_selfsigned_args)
{
	char cert[160], key[160], err[256] = "";
	bool created = true;
	int rc;

	snprintf(cert, sizeof(cert), "%s/v%d/cert.pem", g_dir, _i);
	snprintf(key, sizeof(key), "%s/v%d/key.pem", g_dir, _i);
	rc = tls_selfsigned_make(cert, key, ss_vec[_i].cn, ss_vec[_i].sans,
				 &created, err, sizeof(err));
	ck_assert_int_eq(rc, ss_vec[_i].err);
	ck_assert(created == (rc == 0));
	ck_assert(rc == 0 || err[0]);
	ck_assert_int_eq(access(cert, F_OK) == 0, rc == 0);
}
END_TEST

enum { CERT, KEY, CERT2, KEY2, MISSING };

static const char *fixture_path(int which)
{
	const char *p[] = { g_cert, g_key, g_cert2, g_key2, "/nonexistent/x" };

	return p[which];
}

static const struct {
	bool server;
	int a, b; /* server: cert, key; client: CA */
	int err;
	const char *why; /* in the error text */
} ctx_vec[] = {
	{ true, CERT, KEY, 0, NULL },
	{ true, MISSING, KEY, -ENOENT, "/nonexistent/x" },
	{ true, CERT, MISSING, -ENOENT, "/nonexistent/x" },
	{ true, CERT, KEY2, -EINVAL, "key values mismatch" },
	{ true, KEY, KEY, -EINVAL, "no start line" },
	{ false, CERT, 0, 0, NULL },
	{ false, MISSING, 0, -ENOENT, "No such file" },
	{ false, KEY, 0, -EINVAL, g_key },
};

START_TEST(test_ctx_errors)
{
	struct tls_ctx *c = (struct tls_ctx *)1;
	char err[256] = "";
	int rc;

	if (ctx_vec[_i].server)
		rc = tls_ctx_server_new(&c, fixture_path(ctx_vec[_i].a),
					fixture_path(ctx_vec[_i].b), err,
					sizeof(err));
	else
		rc = tls_ctx_client_new(&c, fixture_path(ctx_vec[_i].a), err,
					sizeof(err));
	ck_assert_int_eq(rc, ctx_vec[_i].err);
	if (rc) {
		ck_assert_ptr_null(c);
		ck_assert_msg(strstr(err, ctx_vec[_i].why), "err: %s", err);
		return;
	}
	ck_assert_int_eq(tls_ctx_versions(c, "1.1", NULL), -EINVAL);
	ck_assert_int_eq(tls_ctx_versions(c, "1.3", "1.2"), -EINVAL);
	OK(tls_ctx_versions(c, "1.2", "1.3"));
	ck_assert_int_eq(tls_ctx_keylog(c, "/nonexistent/dir/k"), -ENOENT);
	OK(tls_ctx_keylog(c, ""));
	tls_ctx_free(c);
}
END_TEST

/* ---- echo (and key log), bulk ------------------------------------------ */

static const struct {
	bool tls;
	const char *min, *max; /* client context */
	const char *version;
	const char *keylog; /* a line the client's key log must have */
} echo_vec[] = {
	{ false, NULL, NULL, "", NULL },
	{ true, NULL, NULL, "TLSv1.3", "CLIENT_HANDSHAKE_TRAFFIC_SECRET " },
	{ true, NULL, "1.2", "TLSv1.2", "CLIENT_RANDOM " },
	{ true, "1.3", "1.3", "TLSv1.3", "CLIENT_TRAFFIC_SECRET_0 " },
};

static void keylog_check(const char *path, const char *line)
{
	char text[4096] = "";
	struct stat st;
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	ck_assert_msg(strstr(text, line), "keylog: %s", text);
	ck_assert(n > 0 && text[n - 1] == '\n');
	OK(stat(path, &st));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}

START_TEST(test_echo)
{
	char keylog[160];
	struct fx f;
	struct ep *c = &f.cli[0], *s = &f.srv[0];

	snprintf(keylog, sizeof(keylog), "%s/keylog-%d.txt", g_dir, _i);
	fx_init(&f, echo_vec[_i].tls, NULL);
	if (f.cctx) {
		OK(tls_ctx_versions(f.cctx, echo_vec[_i].min,
				    echo_vec[_i].max));
		OK(tls_ctx_keylog(f.cctx, keylog));
	}
	f.proto.echo = true;
	cli_connect(&f, 0, f.cctx, NULL, NULL);
	/* Written before open: held, then sent. */
	OK(stream_write(c->s, "hello", 5));
	ck_assert_uint_eq(stream_pending(c->s), 5);
	RUN_UNTIL(&f, c->rx.len >= 5, 2000);
	ck_assert_str_eq(c->rx.data, "hello");
	EP_CHECK(c, 1, 0, 0, 0);
	EP_CHECK(s, 1, 0, 0, 0);
	ck_assert_str_eq(stream_tls_version(c->s), echo_vec[_i].version);
	ck_assert_str_eq(stream_tls_version(s->s), echo_vec[_i].version);
	if (echo_vec[_i].keylog)
		keylog_check(keylog, echo_vec[_i].keylog);
	ck_assert(stream_is_tls(c->s) == echo_vec[_i].tls);
	ck_assert_str_eq(stream_transport(s->s),
			 echo_vec[_i].tls ? "tls" : "tcp");
	/* The trace hook sees plaintext, both ways, at both ends. */
	ck_assert_str_eq(c->tr_out.data, "hello");
	ck_assert_str_eq(c->tr_in.data, "hello");
	ck_assert_str_eq(s->tr_in.data, "hello");
	ck_assert_str_eq(s->tr_out.data, "hello");
	ck_assert(!memcmp(stream_peer(c->s), stream_local(s->s), SIN_LEN));
	ck_assert(!memcmp(stream_peer(s->s), stream_local(c->s), SIN_LEN));
	stream_close(c->s);
	ck_assert_int_eq(stream_write(c->s, "x", 1), -ECANCELED);
	RUN_UNTIL(&f, c->closed && s->closed, 2000);
	EP_CHECK(c, 1, 0, 1, 0);
	EP_CHECK(s, 1, 0, 1, 0);
	fx_close(&f);
}
END_TEST

START_TEST(test_bulk)
{
	struct stream_limits lim = { .max_pending = 4 * PIECE };
	static char big[4 * PIECE + 1];
	struct fx f;
	struct ep *c = &f.cli[0], *s = &f.srv[0];

	fx_init(&f, _i == 1, &lim);
	f.proto.reply_after = BULK;
	f.proto.reply = BULK;
	cli_connect(&f, 0, f.cctx, NULL, &lim);
	ck_assert_int_eq(stream_write(c->s, big, sizeof(big)), -ENOBUFS);
	c->w_total = BULK; /* starts at open */
	RUN_UNTIL(&f, s->rx.len == BULK && c->rx.len == BULK, 3000);
	ck_assert(!memcmp(s->rx.data, g_pat, BULK));
	ck_assert(!memcmp(c->rx.data, g_pat, BULK));
	/* Both writers ran into max_pending and went on after a drain. */
	ck_assert_int_gt(c->enobufs, 0);
	ck_assert_int_gt(s->enobufs, 0);
	ck_assert_uint_eq(s->tr_in.len, BULK);
	ck_assert_uint_eq(s->tr_out.len, BULK);
	fx_close(&f);
}
END_TEST

/* ---- failures ------------------------------------------------------------ */

static const struct {
	const char *name;
	const char *raw; /* sent by a plain client; NULL: an old TLS client */
	size_t len;
} bad_vec[] = {
	{ "http to tls", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27 },
	{ "app data first", "\x17\x03\x03\x00\x05hello", 10 },
	{ "huge record", "\x16\x03\x01\xff\xff\x01\x00\x00", 8 },
	{ "tls 1.2 client, 1.3-only server", NULL, 0 },
};

START_TEST(test_bad_peer)
{
	struct fx f;

	fx_init(&f, true, NULL);
	f.proto.echo = true;
	if (bad_vec[_i].raw) {
		cli_connect(&f, 0, NULL, NULL, NULL);
		stream_write(f.cli[0].s, bad_vec[_i].raw, bad_vec[_i].len);
	} else {
		OK(tls_ctx_versions(f.sctx, "1.3", NULL));
		OK(tls_ctx_versions(f.cctx, NULL, "1.2"));
		cli_connect(&f, 0, f.cctx, NULL, NULL);
	}
	RUN_UNTIL(&f, f.srv[0].closed && f.cli[0].closed, 2000);
	EP_CHECK(&f.srv[0], 1, -EPROTO, 1, -EPROTO);
	ck_assert_uint_eq(f.srv[0].rx.len, 0);
	if (!bad_vec[_i].raw)
		EP_CHECK(&f.cli[0], 1, -EPROTO, 1, -EPROTO);
	/* The listener still serves a well-behaved client. */
	cli_connect(&f, 1, fx_client_ctx(&f, NULL), NULL, NULL);
	stream_write(f.cli[1].s, "ok", 2);
	RUN_UNTIL(&f, f.cli[1].rx.len == 2, 2000);
	ck_assert_int_eq(f.srv[1].open_err, 0);
	fx_close(&f);
}
END_TEST

static const struct {
	const char *name;
	bool tls, cli_tls, send_first;
	uint64_t hs_ms, idle_ms;
	int srv_open_err;
} to_vec[] = {
	{ "tls handshake", true, false, false, 100, 0, -ETIMEDOUT },
	{ "plain first byte", false, false, false, 100, 0, 0 },
	{ "plain idle", false, false, true, 0, 150, 0 },
	{ "tls idle", true, true, true, 0, 150, 0 },
};

START_TEST(test_timeouts)
{
	struct stream_limits lim = { .handshake_ms = to_vec[_i].hs_ms,
				     .idle_ms = to_vec[_i].idle_ms };
	struct fx f;
	struct ep *c = &f.cli[0], *s = &f.srv[0];
	uint64_t t0, limit = to_vec[_i].hs_ms + to_vec[_i].idle_ms;

	fx_init(&f, to_vec[_i].tls, &lim);
	f.proto.echo = true;
	cli_connect(&f, 0, to_vec[_i].cli_tls ? f.cctx : NULL, NULL, NULL);
	t0 = time_now_us() / 1000;
	if (to_vec[_i].send_first) {
		stream_write(c->s, "x", 1);
		RUN_UNTIL(&f, c->rx.len == 1, 2000);
		t0 = time_now_us() / 1000;
	}
	RUN_UNTIL(&f, s->closed && c->closed, 2000);
	EP_CHECK(s, 1, to_vec[_i].srv_open_err, 1, -ETIMEDOUT);
	ck_assert_uint_ge(s->t_closed - t0, limit - 10);
	ck_assert_uint_lt(s->t_closed - t0, limit + 1000);
	if (to_vec[_i].idle_ms) /* an orderly close (FIN, close_notify) */
		ck_assert_int_eq(c->close_err, 0);
	fx_close(&f);
}
END_TEST

static const struct {
	int ca; /* CERT: the server's own; CERT2: another CA */
	const char *sni;
	int err;
} verify_vec[] = {
	{ CERT, NULL, 0 },	  { CERT, "localhost", 0 },
	{ CERT, "127.0.0.1", 0 }, { CERT, "wrong.example", -EPROTO },
	{ CERT2, NULL, -EPROTO }, { CERT2, "localhost", -EPROTO },
};

START_TEST(test_verify)
{
	struct fx f;
	struct ep *c = &f.cli[0], *s = &f.srv[0];

	fx_init(&f, true, NULL);
	cli_connect(&f, 0, fx_client_ctx(&f, fixture_path(verify_vec[_i].ca)),
		    verify_vec[_i].sni, NULL);
	RUN_UNTIL(&f, c->opened && s->opened, 2000);
	if (verify_vec[_i].err) /* open(err), then close(err) */
		RUN_UNTIL(&f, c->closed && s->closed, 2000);
	EP_CHECK(c, 1, verify_vec[_i].err, !!verify_vec[_i].err,
		 verify_vec[_i].err);
	ck_assert_int_eq(s->open_err, verify_vec[_i].err);
	fx_close(&f);
}
END_TEST

/* ---- lifecycle ----------------------------------------------------------- */

enum { BY_LISTENER, BY_SERVER_MID_UPLOAD, BY_ABORT };

static const struct {
	bool tls;
	int how;
	int cli_err, srv_err; /* close errors */
} end_vec[] = {
	{ false, BY_LISTENER, 0, 0 },
	{ true, BY_LISTENER, 0, 0 },
	/* The server answers and closes while the client is still sending:
	 * the answer must arrive (no RST from unread bytes). */
	{ false, BY_SERVER_MID_UPLOAD, 0, 0 },
	{ true, BY_SERVER_MID_UPLOAD, 0, 0 },
	{ false, BY_ABORT, -ECONNABORTED, -ECONNRESET },
	{ true, BY_ABORT, -ECONNABORTED, -ECONNRESET },
};

START_TEST(test_endings)
{
	struct stream_limits lim = { .max_pending = 16 * PIECE };
	static char big[PIECE];
	int n = end_vec[_i].how == BY_LISTENER ? 3 : 1;
	struct fx f;

	fx_init(&f, end_vec[_i].tls, NULL);
	f.proto.echo = end_vec[_i].how == BY_LISTENER;
	if (end_vec[_i].how == BY_SERVER_MID_UPLOAD)
		f.proto.answer = "400 go away";
	for (int i = 0; i < n; i++)
		cli_connect(&f, i, f.cctx, NULL, &lim);
	RUN_UNTIL(&f, f.nsrv == n && f.srv[n - 1].opened && f.cli[n - 1].opened,
		  2000);
	if (end_vec[_i].how == BY_LISTENER) {
		stream_listener_close(f.l);
		f.l = NULL;
	} else if (end_vec[_i].how == BY_ABORT) {
		stream_abort(f.cli[0].s);
		ck_assert_int_eq(stream_write(f.cli[0].s, "x", 1), -ECANCELED);
	} else {
		for (int i = 0; i < 8; i++)
			OK(stream_write(f.cli[0].s, big, PIECE));
	}
	RUN_UNTIL(&f, all_closed(&f), 3000);
	for (int i = 0; i < n; i++) {
		EP_CHECK(&f.cli[i], 1, 0, 1, end_vec[_i].cli_err);
		EP_CHECK(&f.srv[i], 1, 0, 1, end_vec[_i].srv_err);
	}
	if (end_vec[_i].how == BY_SERVER_MID_UPLOAD)
		ck_assert_str_eq(f.cli[0].rx.data, "400 go away");
	fx_close(&f);
}
END_TEST

START_TEST(test_connect_errors)
{
	struct stream_listener *l2 = NULL;
	struct stream *s = (struct stream *)1;
	struct fx f;
	struct ep *c = &f.cli[0];
	struct stream_cbs cbs = { ep_open, ep_read, ep_close, c };
	uint16_t port;

	fx_init(&f, true, NULL);
	/* Failed calls: no stream, no callback. */
	ck_assert_int_eq(stream_connect(&s, &f.loop, "not-an-ip", 1, NULL, NULL,
					NULL, &cbs),
			 -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(stream_connect(&s, &f.loop, "127.0.0.1", 1, f.sctx,
					NULL, NULL, &cbs),
			 -EINVAL);
	ck_assert_int_eq(stream_listen(&l2, &f.loop, "1.2.3", 0, NULL, NULL,
				       on_accept, &f),
			 -EINVAL);
	ck_assert_int_eq(stream_listen(&l2, &f.loop, "127.0.0.1",
				       stream_listener_port(f.l), NULL, NULL,
				       on_accept, &f),
			 -EADDRINUSE);
	ck_assert_ptr_null(l2);
	/* Nobody listening: open(err), then close(err). */
	OK(stream_listen(&l2, &f.loop, "127.0.0.1", 0, NULL, NULL, on_accept,
			 &f));
	port = stream_listener_port(l2);
	stream_listener_close(l2);
	OK(stream_connect(&c->s, &f.loop, "127.0.0.1", port, f.cctx, NULL, NULL,
			  &cbs));
	RUN_UNTIL(&f, c->closed, 2000);
	EP_CHECK(c, 1, -ECONNREFUSED, 1, -ECONNREFUSED);
	/* Closed before open: close(0) only. */
	cli_connect(&f, 1, f.cctx, NULL, NULL);
	stream_close(f.cli[1].s);
	RUN_UNTIL(&f, f.cli[1].closed, 2000);
	EP_CHECK(&f.cli[1], 0, 0, 1, 0);
	fx_close(&f);
}
END_TEST

START_TEST(test_pause_resume)
{
	struct fx f;
	struct ep *c = &f.cli[0], *s = &f.srv[0];
	bool tls = _i == 1;

	fx_init(&f, tls, NULL);
	f.proto.pause_on_read = true;
	cli_connect(&f, 0, f.cctx, NULL, NULL);
	RUN_UNTIL(&f, c->opened, 2000);
	stream_write(c->s, "one", 3);
	/* TLS: a second record in the same flight; the server reads it
	 * into OpenSSL with the first and must hold it while paused. */
	if (tls)
		stream_write(c->s, "two", 3);
	RUN_UNTIL(&f, s->rx.len >= 3, 2000);
	if (!tls) /* plain: held in the kernel while paused */
		stream_write(c->s, "two", 3);
	for (uint64_t end = now_ms(&f) + 100; now_ms(&f) < end;)
		uv_run(&f.loop, UV_RUN_ONCE);
	ck_assert_str_eq(s->rx.data, "one");
	s->pause_on_read = false;
	stream_resume(s->s);
	RUN_UNTIL(&f, s->rx.len == 6, 2000);
	ck_assert_str_eq(s->rx.data, "onetwo");
	stream_write(c->s, "three", 5);
	RUN_UNTIL(&f, s->rx.len == 11, 2000);
	ck_assert_str_eq(s->rx.data, "onetwothree");
	fx_close(&f);
}
END_TEST

/* ---- main ---------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	UNUSED(st);
	UNUSED(flag);
	UNUSED(ftw);
	return remove(path);
}

static void fixture_make(void)
{
	char err[256];

	for (size_t i = 0; i < BULK; i++)
		g_pat[i] = (char)(i * 7 + i / 251);
	snprintf(g_dir, sizeof(g_dir), "/tmp/check_tls.XXXXXX");
	if (!mkdtemp(g_dir))
		abort();
	snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
	snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
	snprintf(g_cert2, sizeof(g_cert2), "%s/other/cert.pem", g_dir);
	snprintf(g_key2, sizeof(g_key2), "%s/other/key.pem", g_dir);
	if (tls_selfsigned_make(g_cert, g_key, "imstb test",
				"localhost,127.0.0.1", NULL, err,
				sizeof(err)) ||
	    tls_selfsigned_make(g_cert2, g_key2, "imstb other",
				"localhost,127.0.0.1", NULL, err,
				sizeof(err))) {
		fprintf(stderr, "fixture: %s\n", err);
		abort();
	}
}

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");
	SRunner *sr;
	int failed;

	/* A write to a peer that reset must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	fixture_make();
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_selfsigned);
	tcase_add_loop_test(tc, test_selfsigned_args, 0,
			    (int)ARRAY_SIZE(ss_vec));
	tcase_add_loop_test(tc, test_ctx_errors, 0, (int)ARRAY_SIZE(ctx_vec));
	tcase_add_loop_test(tc, test_echo, 0, (int)ARRAY_SIZE(echo_vec));
	tcase_add_loop_test(tc, test_bulk, 0, 2);
	tcase_add_loop_test(tc, test_bad_peer, 0, (int)ARRAY_SIZE(bad_vec));
	tcase_add_loop_test(tc, test_timeouts, 0, (int)ARRAY_SIZE(to_vec));
	tcase_add_loop_test(tc, test_verify, 0, (int)ARRAY_SIZE(verify_vec));
	tcase_add_loop_test(tc, test_endings, 0, (int)ARRAY_SIZE(end_vec));
	tcase_add_test(tc, test_connect_errors);
	tcase_add_loop_test(tc, test_pause_resume, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
