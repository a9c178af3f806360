/* check_wsf_range.c - the wsf's half of TR 23.701 §6.X.2.1.3 in-process
 * (127.0.0.1, OS-chosen ports): GIN REGISTERs (RFC 6140) of IMPU blocks,
 * static and registration mode (Figure 6.X.2.1.3.2-1), and web users'
 * tokens for IMPUs of them (6.X.2.1.3.3-1, nothing to IMS). Two mock WWSs
 * (TLS; JWK Set, /introspect), a UDP mock P-CSCF, lib/ws clients. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../wsf/wsf.h"
#include "digest/digest.h"
#include "http/http.h"
#include "sip/sip.h"
#include "tls/stream.h"
#include "token/token.h"
#include "ws/ws.h"

#define DOMAIN	"ims.example.com"
#define BLOCK_A "sip:+15551230![0-9]{3}!@" DOMAIN
#define AOR_A	"sip:+15551230!%5B0-9%5D%7B3%7D!@" DOMAIN
#define BLOCK_B "sip:+15559990![0-9]{2}!@" DOMAIN
#define AOR_B	"sip:+15559990!%5B0-9%5D%7B2%7D!@" DOMAIN
#define IMPI_A	"enterprise@" DOMAIN
#define IMPI_B	"b@" DOMAIN
#define PASS_A	"enterprise-pass"
#define PASS_B	"b-pass"
#define ORIG_A	"https://127.0.0.1:9443"
#define ORIG_B	"https://127.0.0.1:9444"
#define ORIG_OP "https://127.0.0.1:8443" /* the operator's WWS: no blocks */
#define IN_A	"sip:+15551230007@" DOMAIN
#define IN_A2	"sip:+15551230042@" DOMAIN
#define IN_B	"sip:+1555999001@" DOMAIN
#define BNC	"<sip:ent.invalid;transport=ws;bnc>"
#define MAXQ	8
#define NCLI	4

struct env;

struct cli {
	struct env *e;
	struct ws_conn *c;
	bool closed;
	char *q[MAXQ];
	size_t qlen[MAXQ];
	unsigned nq, rd, cseq;
	char buf[8192];
	struct sip_msg m;
};

struct mws { /* a mock enterprise WWS */
	struct http_server *hs;
	struct token_signer *sg;
	char iss[64];
	unsigned n_jwks, n_intro;
};

struct env {
	uv_loop_t loop;
	struct wsf_conf conf;
	struct wsf *w;
	struct trace trace;
	struct rng rng;
	struct tls_ctx *ctls, *stls;
	char dir[64], path[7][96];
	struct mws ws[2];
	int mk;
	char mbuf[8192];
	struct sip_msg mm;
	struct cli cl[NCLI];
	bool local;
};

enum { P_CERT, P_KEY, P_WCERT, P_WKEY, P_SA, P_SB, P_TRACE };
enum { STATIC, REGISTRATION };

static uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

static void spin(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		usleep(500);
	}
}

#define WAIT(e, cond)                                                          \
	do {                                                                   \
		uint64_t end_ = ms_now() + 5000;                               \
		bool ok_;                                                      \
		while (!(ok_ = (cond)) && ms_now() < end_)                     \
			spin(e, 1);                                            \
		ck_assert_msg(ok_, "timed out waiting for " #cond);            \
	} while (0)

/* ---- the mock WWSs ---------------------------------------------------- */

/* JWK Set of its signer; /introspect: active with the claims (RFC 7662
 * §2.2) when its own signer signed the token. */
static void on_wws(struct http_conn *c, const struct http_req *req,
		   void *arg)
{
	struct mws *m = arg;
	struct token_verifier *v = NULL;
	struct token_claims cl;
	struct buf b;

	buf_init(&b);
	if (sv_eq_cstr(req->path, "/.well-known/jwks.json")) {
		m->n_jwks++;
		token_jwks_print(m->sg, &b);
		http_respond(c, 200, "application/json", b.data, b.len, NULL);
		goto out;
	}
	m->n_intro++;
	ck_assert(sv_eq_cstr(req->path, "/introspect"));
	ck_assert_int_eq(http_param_get(req->body, "token", &b), 0);
	ck_assert_int_eq(token_verifier_new_from_signer(&v, m->sg), 0);
	if (token_verify(v, b.data, b.len, m->iss, NULL, time(NULL), 0, &cl,
			 NULL))
		http_respond_json(c, 200, json_pack("{s:b}", "active", 0),
				  NULL);
	else
		http_respond_json(c, 200,
				  json_pack("{s:b,s:s,s:s,s:s,s:s,s:s}",
					    "active", 1, "sub", cl.sub, "aud",
					    cl.aud, "iss", cl.iss, "impu",
					    cl.impu, "impi", cl.impi),
				  NULL);
	token_verifier_free(v);
out:
	buf_close(&b);
}

static void mws_start(struct env *e, struct mws *m, const char *sign)
{
	char err[256];

	ck_assert_int_eq(token_key_make(TOKEN_ES256, sign, NULL, err,
					sizeof(err)), 0);
	ck_assert_int_eq(token_signer_new(&m->sg, TOKEN_ES256, sign, NULL, err,
					  sizeof(err)), 0);
	ck_assert_int_eq(http_server_new(&m->hs, &e->loop, "127.0.0.1", 0,
					 e->stls, NULL, on_wws, m), 0);
	snprintf(m->iss, sizeof(m->iss), "https://127.0.0.1:%u",
		 http_server_port(m->hs));
}

/* A token of WWS m for impu (claims impu/impi: NOTE 2 and local). */
static char *token_for(struct env *e, struct mws *m, const char *impu)
{
	struct token_claims c = { .iat = time(NULL) };
	char *jwt = NULL;

	c.exp = c.iat + 300;
	snprintf(c.iss, sizeof(c.iss), "%s", m->iss);
	snprintf(c.sub, sizeof(c.sub), "carol@enterprise.example.org");
	snprintf(c.aud, sizeof(c.aud), "wsf");
	snprintf(c.impu, sizeof(c.impu), "%s", impu);
	snprintf(c.impi, sizeof(c.impi), "%s", IMPI_A);
	ck_assert_int_eq(token_issue(m->sg, &c, &e->rng, &jwt), 0);
	return jwt;
}

/* ---- environment ------------------------------------------------------ */

static void set(struct env *e, const char *kv)
{
	char err[CONF_ERR_LEN];

	ck_assert_msg(conf_set(wsf_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

/* plain_b: WWS B is trusted but no enterprise WWS (the operator's). */
static struct env *env_new(int mode, const char *check, bool plain_b)
{
	static const char *const fn[] = { "cert.pem", "key.pem", "wc.pem",
					  "wk.pem", "sa.pem", "sb.pem",
					  "trace.jsonl" };
	struct env *e = xcalloc(1, sizeof(*e));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char kv[512], err[256];

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_wsf_range.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	for (size_t i = 0; i < ARRAY_SIZE(fn); i++)
		snprintf(e->path[i], sizeof(e->path[i]), "%s/%s", e->dir,
			 fn[i]);
	rng_init(&e->rng, 11);
	ck_assert_int_eq(tls_selfsigned_make(e->path[P_WCERT], e->path[P_WKEY],
					     "wws", "127.0.0.1", NULL, err,
					     sizeof(err)), 0);
	ck_assert_int_eq(tls_ctx_server_new(&e->stls, e->path[P_WCERT],
					    e->path[P_WKEY], err, sizeof(err)),
			 0);
	ck_assert_int_eq(tls_ctx_client_new(&e->ctls, NULL, err, sizeof(err)),
			 0);
	mws_start(e, &e->ws[0], e->path[P_SA]);
	mws_start(e, &e->ws[1], e->path[P_SB]);
	e->mk = socket(AF_INET, SOCK_DGRAM, 0);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(e->mk, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(getsockname(e->mk, (struct sockaddr *)&sin, &sl), 0);
	conf_defaults(wsf_conf_keys, &e->conf);
	snprintf(kv, sizeof(kv), "pcscf_port=%u", ntohs(sin.sin_port));
	set(e, kv);
	snprintf(kv, sizeof(kv), "cert=%s", e->path[P_CERT]);
	set(e, kv);
	snprintf(kv, sizeof(kv), "key=%s", e->path[P_KEY]);
	set(e, kv);
	snprintf(kv, sizeof(kv), "trace_file=%s", e->path[P_TRACE]);
	set(e, kv);
	/* Enterprise WWSs must be trusted on their own. */
	snprintf(kv, sizeof(kv), "trusted_wws=%s", plain_b ? e->ws[1].iss : "");
	set(e, kv);
	snprintf(kv, sizeof(kv), "enterprise_wws=" ORIG_A "=%s," ORIG_B "=%s/",
		 e->ws[0].iss, plain_b ? "https://127.0.0.9:1" : e->ws[1].iss);
	set(e, kv);
	set(e, "static_ranges=" BLOCK_A "|" IMPI_A "|" PASS_A "|" ORIG_A
	       ";" BLOCK_B "|" IMPI_B "|" PASS_B "|" ORIG_B "/");
	set(e, mode == STATIC ? "range_mode=static"
			      : "range_mode=registration");
	set(e, check);
	e->local = !strcmp(check, "token_check=local");
	set(e, "token_origin=false"); /* tested in check_wsf_ident */
	set(e, "wss_port=0");
	set(e, "ws_port=-1");
	set(e, "sip_port=0");
	set(e, getenv("WSF_LOG") ? getenv("WSF_LOG") : "log_level=error");
	ck_assert_int_eq(wsf_conf_check(&e->conf, err, sizeof(err)), 0);
	log_set_level(e->conf.common.log_level);
	ck_assert_int_eq(trace_open(&e->trace, e->path[P_TRACE], "wsf"), 0);
	ck_assert_msg(wsf_new(&e->w, &e->loop, &e->conf, &e->trace, &e->rng,
			      err, sizeof(err)) == 0,
		      "%s", err);
	if (e->local) /* the JWK Sets, fetched at start */
		WAIT(e, e->ws[0].n_jwks == 1 && e->ws[1].n_jwks == 1);
	return e;
}

static void env_free(struct env *e)
{
	uint64_t end = ms_now() + 5000;

	wsf_close(e->w);
	for (int i = 0; i < NCLI; i++)
		if (e->cl[i].c && !e->cl[i].closed)
			ws_conn_abort(e->cl[i].c);
	for (int i = 0; i < 2; i++)
		http_server_free(e->ws[i].hs);
	while (uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end)
		usleep(500);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	for (int i = 0; i < NCLI; i++) {
		obj_unref(e->cl[i].c);
		for (unsigned k = 0; k < e->cl[i].nq; k++)
			free(e->cl[i].q[k]);
	}
	for (int i = 0; i < 2; i++)
		token_signer_free(e->ws[i].sg);
	tls_ctx_free(e->ctls);
	tls_ctx_free(e->stls);
	trace_close(&e->trace);
	for (size_t i = 0; i < ARRAY_SIZE(e->path); i++)
		unlink(e->path[i]);
	rmdir(e->dir);
	close(e->mk);
	conf_free(wsf_conf_keys, &e->conf);
	free(e);
}

/* ---- clients ---------------------------------------------------------- */
static void on_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct cli *k = arg;

	UNUSED(c);
	UNUSED(op);
	ck_assert_uint_lt(k->nq, MAXQ);
	k->q[k->nq] = xmemdup(p, n);
	k->qlen[k->nq++] = n;
}

static void on_close(struct ws_conn *c, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	UNUSED(c);
	UNUSED(code);
	UNUSED(reason);
	UNUSED(err);
	((struct cli *)arg)->closed = true;
}

/* Client i over WSS from a page of origin. */
static struct cli *cli_open(struct env *e, int i, const char *origin)
{
	static const char *const protos[] = { "sip", NULL };
	struct cli *k = &e->cl[i];
	struct ws_cbs cbs = { NULL, on_msg, on_close, NULL, k };

	k->e = e;
	ck_assert_int_eq(
		ws_conn_connect(&k->c, &e->loop, "127.0.0.1",
				wsf_wss_port(e->w), e->ctls, NULL,
				&(struct ws_client_req){ .host = "127.0.0.1",
							 .origin = origin,
							 .protocols = protos },
				&e->rng, NULL, &cbs),
		0);
	WAIT(e, ws_conn_is_open(k->c) || k->closed);
	ck_assert(!k->closed);
	return k;
}

/* A request of client k: method to <to>, Contact and extra header lines. */
static void cli_send(struct cli *k, const char *method, const char *to,
		     const char *contact, const char *extra)
{
	struct buf b;

	k->cseq++;
	buf_init(&b);
	buf_printf(&b,
		   "%s sip:" DOMAIN " SIP/2.0\r\n"
		   "Via: SIP/2.0/WSS x.invalid;branch=z9hG4bKr%p%u;rport\r\n"
		   "Max-Forwards: 70\r\nTo: <%s>\r\nFrom: <%s>;tag=c1\r\n"
		   "Call-ID: %p\r\nCSeq: %u %s\r\n",
		   method, (void *)k, k->cseq, to, to, (void *)k, k->cseq,
		   method);
	if (contact)
		buf_printf(&b, "Contact: %s\r\n", contact);
	buf_printf(&b, "%sContent-Length: 0\r\n\r\n", extra ? extra : "");
	ck_assert_int_eq(ws_conn_send(k->c, WS_OP_TEXT, b.data, b.len), 0);
	buf_close(&b);
}

static const struct sip_msg *cli_recv(struct cli *k)
{
	size_t n;

	WAIT(k->e, k->rd < k->nq);
	n = k->qlen[k->rd];
	ck_assert_uint_lt(n, sizeof(k->buf));
	memcpy(k->buf, k->q[k->rd++], n);
	k->buf[n] = '\0';
	ck_assert_int_eq(sip_msg_parse(&k->m, k->buf, n, false, NULL), 0);
	return &k->m;
}

/* ---- the mock P-CSCF -------------------------------------------------- */
static ssize_t mock_poll(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	ssize_t n;

	while ((n = recv(e->mk, e->mbuf, sizeof(e->mbuf) - 1, MSG_DONTWAIT)) <
		       0 &&
	       ms_now() < end)
		spin(e, 1);
	return n;
}

static const struct sip_msg *mock_recv(struct env *e)
{
	ssize_t n = mock_poll(e, 5000);

	ck_assert_int_gt(n, 0);
	e->mbuf[n] = '\0';
	ck_assert_int_eq(sip_msg_parse(&e->mm, e->mbuf, (size_t)n, false, NULL),
			 0);
	return &e->mm;
}

static void mock_reply(struct env *e, int status, const char *extra)
{
	struct sockaddr_in to;
	struct buf b;

	buf_init(&b);
	sip_print_response_start(&b, &e->mm, status, NULL, "mocktag");
	if (extra)
		buf_puts(&b, extra);
	sip_print_end(&b, NULL, NULL, 0);
	uv_ip4_addr("127.0.0.1", wsf_sip_port(e->w), &to);
	ck_assert_int_eq(sendto(e->mk, b.data, b.len, 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)b.len);
	buf_close(&b);
}

/* ---- the block's registration ------------------------------------------ */

/* "Authorization: Digest ..." answering the 401 k just got. */
static char *answer(struct cli *k, const char *impi, const char *pw)
{
	const struct sip_msg *m = &k->m;
	struct digest_chal *ch = xmalloc(sizeof(*ch));
	struct digest_answer a = { .method = SV("REGISTER"),
				   .uri = SV("sip:" DOMAIN) };
	struct sv vals[4];
	const struct sip_hdr *h;
	size_t n = 0;
	struct buf b;

	for (h = sip_hdr_find(m, SIP_HDR_WWW_AUTHENTICATE); h && n < 4;
	     h = sip_hdr_next(m, h))
		vals[n++] = h->value;
	ck_assert_int_eq(digest_chal_select(ch, NULL, vals, n, 0), 0);
	ck_assert(sv_eq_cstr(ch->realm, DOMAIN));
	buf_init(&b);
	buf_puts(&b, "Authorization: ");
	a.username = sv_from_cstr(impi);
	a.password = sv_from_cstr(pw);
	ck_assert_int_eq(digest_auth_print(&b, ch, &a, &k->e->rng), 0);
	buf_puts(&b, "\r\n");
	free(ch);
	return buf_steal(&b, NULL);
}

/* GIN REGISTER (step 1, or 7 with auth) of aor with this expires. */
static void gin_send(struct cli *k, const char *aor, const char *impi,
		     unsigned expires, const char *auth)
{
	char contact[96], extra[1024], init[256];

	/* step 1: the IMS initial form (TS 24.229 5.1.1.2.2); 7: answered */
	snprintf(init, sizeof(init),
		 "Authorization: Digest username=\"%s\", realm=\"" DOMAIN
		 "\", uri=\"sip:" DOMAIN "\", nonce=\"\", response=\"\"\r\n",
		 impi);
	snprintf(contact, sizeof(contact), BNC ";expires=%u", expires);
	snprintf(extra, sizeof(extra), "Require: gin\r\nProxy-Require: gin"
		 "\r\nSupported: path, gin\r\n%s", auth ? auth : init);
	cli_send(k, "REGISTER", aor, contact, extra);
}

/* The whole registration (or de-registration, expires 0) of a block in
 * either mode; returns the final status the WWS got. */
static int block_register(struct env *e, struct cli *k, const char *aor,
			  const char *impi, const char *pw, unsigned expires)
{
	int reg = e->conf.range_mode == WSF_RANGE_REGISTRATION;
	const struct sip_msg *m;
	char *auth, pau[256];

	gin_send(k, aor, impi, expires, NULL);
	if (reg) { /* steps 2-6 */
		mock_recv(e);
		mock_reply(e, 401, "WWW-Authenticate: Digest realm=\"" DOMAIN
				   "\", nonce=\"n0nce\", algorithm=MD5, "
				   "qop=\"auth\"\r\n");
	}
	m = cli_recv(k);
	if (m->status != 401)
		return m->status;
	auth = answer(k, impi, pw);
	gin_send(k, aor, impi, expires, auth); /* step 7 */
	free(auth);
	if (reg) { /* steps 8-11 */
		mock_recv(e);
		ck_assert_ptr_nonnull(strstr(e->mbuf, "response=\""));
		snprintf(pau, sizeof(pau),
			 "%sP-Associated-URI: <sip:enterprise@" DOMAIN ">, "
			 "<%s>\r\n",
			 expires ? "Contact: " BNC ";expires=600\r\n" : "",
			 aor);
		mock_reply(e, 200, pau);
	}
	return cli_recv(k)->status;
}

/* Figure 6.X.2.1.3.2-1, static mode: the wsf challenges and verifies the
 * WWS itself; nothing reaches IMS (steps 2-5, 8-11 never happen). */
static const struct {
	const char *origin, *aor, *impi, *pw;
	int status;
	const char *reason;
	bool challenged;
} st_vec[] = {
	{ ORIG_A, AOR_A, IMPI_A, PASS_A, 200, "OK", true },
	{ ORIG_A, BLOCK_A, IMPI_A, PASS_A, 200, "OK", true }, /* unescaped */
	{ ORIG_A, AOR_A, IMPI_A, "wrong", 403, "Wrong credentials", true },
	{ ORIG_A, AOR_A, IMPI_B, PASS_B, 403, "Wrong credentials", true },
	{ ORIG_B, AOR_B, IMPI_B, PASS_B, 200, "OK", true },
	{ ORIG_B, AOR_A, IMPI_A, PASS_A, 403,
	  "Block not provisioned for this WWS", false },
	{ ORIG_OP, AOR_A, IMPI_A, PASS_A, 403,
	  "GIN registration only from an enterprise WWS", false },
	{ ORIG_A, IN_A, IMPI_A, PASS_A, 403, "GIN needs a wildcarded IMPU",
	  false },
};

START_TEST(test_static)
{
	struct env *e = env_new(STATIC, "token_check=local", false);
	struct cli *k = cli_open(e, 0, st_vec[_i].origin);
	const struct sip_msg *m;
	int status;

	status = block_register(e, k, st_vec[_i].aor, st_vec[_i].impi,
				st_vec[_i].pw, 600);
	m = &k->m;
	ck_assert_int_eq(status, st_vec[_i].status);
	ck_assert_msg(sv_eq_cstr(m->reason, st_vec[_i].reason), "got: %s",
		      k->buf);
	ck_assert_uint_eq(k->rd, st_vec[_i].challenged ? 2 : 1);
	ck_assert_uint_gt(m->to_tag.len, 0);
	if (status == 200) {
		ck_assert_ptr_nonnull(strstr(k->buf, "\r\nContact: " BNC
					     ";expires=600\r\n"));
		/* the wildcard, as a valid SIP URI */
		ck_assert_ptr_nonnull(strstr(k->buf, "\r\nP-Associated-URI: <"
					     "sip:+1555"));
		ck_assert_ptr_nonnull(strstr(k->buf, "!%5B0-9%5D%7B"));
	}
	ck_assert_uint_eq(wsf_range_block_count(e->w), status == 200);
	ck_assert_int_lt(mock_poll(e, 100), 0); /* nothing to the P-CSCF */
	env_free(e);
}
END_TEST

/* Registration mode: the GIN REGISTER and its answer go through IMS
 * (steps 2-11) unchanged but for our Via and Path; the 200 from IMS is
 * relayed (PAU: the wildcard, not top-most) and records the block. */
START_TEST(test_registration)
{
	struct env *e = env_new(REGISTRATION, "token_check=local", false);
	struct cli *k = cli_open(e, 0, ORIG_A);
	const struct sip_msg *m;
	char *auth;

	gin_send(k, AOR_A, IMPI_A, 600, NULL);
	m = mock_recv(e);
	ck_assert(sip_msg_has_option(m, SIP_HDR_REQUIRE, "gin"));
	ck_assert(sip_msg_has_option(m, SIP_HDR_PROXY_REQUIRE, "gin"));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_PATH), 1);
	ck_assert_ptr_nonnull(strstr(e->mbuf, ";lr;ob>"));
	ck_assert(sv_eq_cstr(m->to.uri_str, AOR_A));
	ck_assert_ptr_nonnull(strstr(e->mbuf, "\r\nContact: " BNC));
	mock_reply(e, 401, "WWW-Authenticate: Digest realm=\"" DOMAIN "\", "
			   "nonce=\"n0nce\", algorithm=MD5, qop=\"auth\"\r\n");
	ck_assert_int_eq(cli_recv(k)->status, 401);
	ck_assert_uint_eq(wsf_range_block_count(e->w), 0);
	auth = answer(k, IMPI_A, PASS_A);
	gin_send(k, AOR_A, IMPI_A, 600, auth);
	free(auth);
	mock_recv(e);
	ck_assert_ptr_nonnull(strstr(e->mbuf, "nonce=\"n0nce\""));
	mock_reply(e, 200, "Contact: " BNC ";expires=600\r\n"
			   "P-Associated-URI: <sip:enterprise@" DOMAIN ">, <"
			   AOR_A ">\r\n");
	m = cli_recv(k);
	ck_assert_int_eq(m->status, 200);
	ck_assert_ptr_nonnull(strstr(k->buf, "P-Associated-URI: <sip:"
					     "enterprise@" DOMAIN ">, <"
					     AOR_A ">"));
	ck_assert_uint_eq(wsf_range_block_count(e->w), 1);
	/* A 403 of a refresh changes nothing; an answer without our
	 * binding ends it. */
	gin_send(k, AOR_A, IMPI_A, 600, NULL);
	mock_recv(e);
	mock_reply(e, 403, NULL);
	ck_assert_int_eq(cli_recv(k)->status, 403);
	ck_assert_uint_eq(wsf_range_block_count(e->w), 1);
	gin_send(k, AOR_A, IMPI_A, 0, NULL);
	mock_recv(e);
	mock_reply(e, 200, NULL);
	ck_assert_int_eq(cli_recv(k)->status, 200);
	ck_assert_uint_eq(wsf_range_block_count(e->w), 0);
	env_free(e);
}
END_TEST

/* ---- Figure 6.X.2.1.3.3-1 --------------------------------------------- */

/* A web user's REGISTER with a token of WWS `wws` for impu. */
static void web_register(struct env *e, struct cli *k, int wws,
			 const char *impu, unsigned expires)
{
	char *jwt = token_for(e, &e->ws[wws], impu);
	char contact[128], *auth = xmalloc(strlen(jwt) + 64);

	snprintf(contact, sizeof(contact),
		 "<sip:k3v9@x.invalid;transport=ws>;expires=%u;"
		 "+sip.instance=\"<urn:uuid:1>\"",
		 expires);
	snprintf(auth, strlen(jwt) + 64, "Authorization: Bearer %s\r\n", jwt);
	cli_send(k, "REGISTER", impu, contact, auth);
	free(auth);
	free(jwt);
}

enum { BA = 1, BB = 2, PB = 4 }; /* PB: WWS B is plain (env_new) */
static const struct {
	int mode;
	const char *check;
	int blocks; /* registered first */
	int wws;    /* the token's issuer: 0 A, 1 B */
	const char *impu;
	int status;
	const char *reason; /* %s: the issuer (the block's with PB) */
} cl_vec[] = {
	{ STATIC, "token_check=local", BA, 0, IN_A, 200, "OK" },
	{ REGISTRATION, "token_check=local", BA, 0, IN_A, 200, "OK" },
	{ STATIC, "token_check=introspect", BA, 0, IN_A, 200, "OK" },
	{ REGISTRATION, "ims_from_claims=true", BA, 0, IN_A, 200, "OK" },
	{ STATIC, "token_check=local", BA | BB, 1, IN_B, 200, "OK" },
	{ STATIC, "token_check=local", BA, 0, IN_B, 403,
	  "IMPU outside the block of %s" },
	{ REGISTRATION, "token_check=local", BA, 0, "sip:+15551230@" DOMAIN,
	  403, "IMPU outside the block of %s" },
	{ STATIC, "token_check=local", BA | BB, 1, IN_A, 403,
	  "IMPU outside the block of %s" },
	{ STATIC, "token_check=local", BA, 1, IN_A, 403,
	  "block not registered" },
	{ STATIC, "token_check=local", 0, 0, IN_A, 403,
	  "block not registered" },
	{ REGISTRATION, "token_check=introspect", 0, 0, IN_A, 403,
	  "block not registered" },
	/* the operator's WWS hands out no IMPU of a registered block */
	{ STATIC, "token_check=local", BA | PB, 1, IN_A, 403,
	  "IMPU belongs to the block of %s" },
	{ REGISTRATION, "token_check=introspect", BA | PB, 1, IN_A, 403,
	  "IMPU belongs to the block of %s" },
};

START_TEST(test_client)
{
	bool pb = cl_vec[_i].blocks & PB;
	struct env *e = env_new(cl_vec[_i].mode, cl_vec[_i].check, pb);
	struct cli *k = cli_open(e, 2, ORIG_A);
	const struct sip_msg *m;
	char reason[160];

	if (cl_vec[_i].blocks & BA)
		ck_assert_int_eq(block_register(e, cli_open(e, 0, ORIG_A),
						AOR_A, IMPI_A, PASS_A, 600),
				 200);
	if (cl_vec[_i].blocks & BB)
		ck_assert_int_eq(block_register(e, cli_open(e, 1, ORIG_B),
						AOR_B, IMPI_B, PASS_B, 600),
				 200);
	web_register(e, k, cl_vec[_i].wws, cl_vec[_i].impu, 600);
	m = cli_recv(k);
	snprintf(reason, sizeof(reason), cl_vec[_i].reason,
		 e->ws[pb ? 0 : cl_vec[_i].wws].iss);
	ck_assert_int_eq(m->status, cl_vec[_i].status);
	ck_assert_msg(sv_eq_cstr(m->reason, reason), "got: %s", k->buf);
	ck_assert_uint_gt(m->to_tag.len, 0);
	if (m->status == 200) { /* its Contact back, its IMPU associated */
		ck_assert_ptr_nonnull(strstr(k->buf, "\r\nContact: <sip:k3v9@"
					     "x.invalid;transport=ws>;"
					     "+sip.instance=\"<urn:uuid:1>\";"
					     "expires=600\r\n"));
		ck_assert_ptr_nonnull(strstr(k->buf, "P-Associated-URI: <"));
	}
	ck_assert_uint_eq(wsf_range_client_count(e->w), m->status == 200);
	/* steps 6-7 at the token's WWS, or its keys */
	ck_assert_uint_eq(e->ws[cl_vec[_i].wws].n_intro, !e->local);
	/* step 8 comes from the wsf: no REGISTER beyond it */
	ck_assert_int_lt(mock_poll(e, 100), 0);
	env_free(e);
}
END_TEST

/* The block's de-registration ends its web users' registrations: their
 * later requests are refused, re-registering is refused. Two tokens for
 * one IMPU: the later registration replaces the earlier. A web user's
 * Expires 0 ends only its own. */
START_TEST(test_block_end)
{
	struct env *e = env_new(_i, "token_check=local", false);
	struct cli *ent = cli_open(e, 0, ORIG_A);
	struct cli *u1 = cli_open(e, 1, ORIG_A), *u2 = cli_open(e, 2, ORIG_A);
	struct cli *u3 = cli_open(e, 3, ORIG_A);

	ck_assert_int_eq(block_register(e, ent, AOR_A, IMPI_A, PASS_A, 600),
			 200);
	web_register(e, u1, 0, IN_A, 600);
	web_register(e, u2, 0, IN_A2, 600);
	ck_assert_int_eq(cli_recv(u1)->status, 200);
	ck_assert_int_eq(cli_recv(u2)->status, 200);
	ck_assert_uint_eq(wsf_range_client_count(e->w), 2);
	web_register(e, u3, 0, IN_A2, 600); /* replaces u2's */
	ck_assert_int_eq(cli_recv(u3)->status, 200);
	ck_assert_uint_eq(wsf_range_client_count(e->w), 2);
	web_register(e, u3, 0, IN_A2, 0);
	ck_assert_int_eq(cli_recv(u3)->status, 200);
	ck_assert_ptr_null(strstr(u3->buf, "\r\nContact:"));
	ck_assert_uint_eq(wsf_range_client_count(e->w), 1);
	ck_assert_int_lt(mock_poll(e, 50), 0);
	ck_assert_int_eq(block_register(e, ent, AOR_A, IMPI_A, PASS_A, 0),
			 200);
	ck_assert_uint_eq(wsf_range_block_count(e->w), 0);
	ck_assert_uint_eq(wsf_range_client_count(e->w), 0);
	cli_send(u1, "MESSAGE", IN_A2, NULL, NULL);
	ck_assert_int_eq(cli_recv(u1)->status, 403);
	ck_assert(sv_eq_cstr(u1->m.reason,
			     "Registration ended: block de-registered"));
	web_register(e, u1, 0, IN_A, 600);
	ck_assert_int_eq(cli_recv(u1)->status, 403);
	ck_assert(sv_eq_cstr(u1->m.reason, "block not registered"));
	ck_assert_int_lt(mock_poll(e, 50), 0);
	env_free(e);
}
END_TEST

/* A block that is not refreshed expires, and its web users with it. */
START_TEST(test_expiry)
{
	struct env *e = env_new(STATIC, "token_check=local", false);
	struct cli *ent = cli_open(e, 0, ORIG_A), *u = cli_open(e, 1, ORIG_A);

	ck_assert_int_eq(block_register(e, ent, AOR_A, IMPI_A, PASS_A, 1),
			 200);
	web_register(e, u, 0, IN_A, 600);
	ck_assert_int_eq(cli_recv(u)->status, 200);
	spin(e, 1100);
	ck_assert_uint_eq(wsf_range_block_count(e->w), 0);
	ck_assert_uint_eq(wsf_range_client_count(e->w), 0);
	web_register(e, u, 0, IN_A, 600);
	ck_assert_int_eq(cli_recv(u)->status, 403);
	env_free(e);
}
END_TEST

/* Config: enterprise_wws and static_ranges. */
static const struct {
	const char *kv[2];
	bool ok;
} conf_vec[] = {
#define SR "static_ranges=sip:+1![0-9]!@x.com|"
	{ { "enterprise_wws=https://e.example=https://127.0.0.1:1/" }, true },
	{ { "enterprise_wws=", "range_mode=registration" }, true },
	{ { "enterprise_wws=https://127.0.0.1:9443" }, false },
	{ { "enterprise_wws=https://a=https://wws.example.com" }, false },
	{ { "enterprise_wws=a.example=https://127.0.0.1:1" }, false },
	{ { "static_ranges=sip:+1!(1|2)!@x.com|a@x.com|pw|" ORIG_A
	    ";sip:+2![0-9]!@x.com|b@x.com|pw|" ORIG_A }, true },
	{ { "static_ranges=sip:+1@x.com|a@x.com|pw|" ORIG_A }, false },
	{ { SR "bad|pw|" ORIG_A }, false },
	{ { SR "a@x.com|" ORIG_A }, false },
	{ { SR "a@x.com||" ORIG_A }, false },
	{ { SR "a@x.com|pw|https://o:1", "range_mode=static" }, false },
	{ { SR "a@x.com|pw|https://o:1", "range_mode=registration" }, true },
};

START_TEST(test_conf)
{
	struct wsf_conf c = { 0 };
	char err[CONF_ERR_LEN];

	conf_defaults(wsf_conf_keys, &c);
	for (int i = 0; i < 2 && conf_vec[_i].kv[i]; i++)
		ck_assert_int_eq(conf_set(wsf_conf_keys, &c, conf_vec[_i].kv[i],
					  err), 0);
	ck_assert_int_eq(wsf_conf_check(&c, err, sizeof(err)) == 0,
			 conf_vec[_i].ok);
	if (!conf_vec[_i].ok)
		ck_assert_msg(!strncmp(err, conf_vec[_i].kv[0],
				       strcspn(conf_vec[_i].kv[0], "=")),
			      "%s", err);
	conf_free(wsf_conf_keys, &c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wsf_range");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_static, 0, (int)ARRAY_SIZE(st_vec));
	tcase_add_test(tc, test_registration);
	tcase_add_loop_test(tc, test_client, 0, (int)ARRAY_SIZE(cl_vec));
	tcase_add_loop_test(tc, test_block_end, 0, 2);
	tcase_add_test(tc, test_expiry);
	tcase_add_loop_test(tc, test_conf, 0, (int)ARRAY_SIZE(conf_vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
