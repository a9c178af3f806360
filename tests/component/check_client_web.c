/*
 * check_client_web.c - client-sim's WebRTC mode in-process (issue
 * [webrtc]) against two scripted peers on 127.0.0.1 (port 0):
 * - a WWS: HTTPS (lib/http + lib/tls, self-signed) serving a page that
 *   names a script, the script, and POST /login per the wws JSON API;
 * - a WSF + registrar: HTTPS/HTTP upgrades checked with lib/ws (protocol
 *   "sip" required, one allowed Origin), each WebSocket a flow of a sipt
 *   stack whose UAS answers REGISTER as its script says (401 then 200,
 *   the answer checked with digest_resp_verify; 200 at once for
 *   X-IMS-Credential or a Bearer token).
 * Every wait is bounded; each test ends with uv_loop_close() == 0.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../client-sim/client.h"
#include "digest/digest.h"
#include "http/http.h"
#include "sipt/sipt.h"
#include "ws/ws.h"

#define REALM "ims.example.com"
#define IMPU "sip:alice@ims.example.com"
#define IMPI "alice@ims.example.com"
#define PASS "alice-pass"
#define ORIGIN "https://127.0.0.1:8443"
#define TOKEN "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
#define PAGE "<html><script src=\"/app.js\"></script><body>hi</body></html>"
#define SCRIPT "console.log('imstb');"
#define MAXREQ 16
#define MAXEV 16
#define MAXFLOW 4

static uv_loop_t loop;

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

#define WAIT(cond, ms) \
	do { \
		uint64_t t0_ = now_ms(); \
		while (!(cond) && now_ms() - t0_ < (ms)) \
			step(); \
	} while (0)

/* ---- the peers ----------------------------------------------------------- */

struct mflow {
	struct sipt_flow flow; /* FIRST */
	struct ws_conn *ws;    /* owned */
	bool closed;
};

struct peers {
	char dir[64], cert[96], key[96];
	struct tls_ctx *tls;
	struct http_server *wws, *wsf, *wsf_plain;
	struct sipt *s;
	struct rng rng;
	struct digest_nonce_key nkey;
	struct digest_nctrack *nct;
	struct mflow *flows[MAXFLOW];
	int nflows;
	int upgrades;
	char origin[128], protocol[32]; /* of the last upgrade */
	struct sip_msg *req[MAXREQ];
	int verify[MAXREQ];
	size_t nreq;
	bool silent; /* the registrar does not answer */
};

static struct peers P;

static int mflow_send(struct sipt_flow *f, const char *p, size_t n)
{
	struct mflow *m = (struct mflow *)f;

	return ws_conn_send(m->ws, WS_OP_TEXT, p, n);
}

static const struct sipt_flow_ops mflow_ops = { mflow_send, NULL, NULL };

static void m_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		  size_t n, void *arg)
{
	struct mflow *m = arg;
	char *copy = xmalloc(n + 1);

	UNUSED(c);
	UNUSED(op);
	memcpy(copy, p, n);
	if (m->flow.linked)
		sipt_recv(P.s, &m->flow, copy, n);
	free(copy);
}

static void m_close(struct ws_conn *c, uint16_t code, struct sv reason,
		    int err, void *arg)
{
	struct mflow *m = arg;

	UNUSED(c);
	UNUSED(code);
	UNUSED(reason);
	UNUSED(err);
	m->closed = true;
	sipt_flow_remove(&m->flow);
}

static struct sv hv(const struct http_req *r, const char *name)
{
	const struct http_hdr *h = http_hdr_find(&r->hdrs, name);

	return h ? h->value : SV_NULL;
}

static void wsf_handler(struct http_conn *hc, const struct http_req *req,
			void *arg)
{
	static const char *const protos[] = { "sip", NULL };
	const char *origins[] = { ORIGIN, NULL };
	struct ws_hs_policy pol = { protos, true, origins };
	struct ws_hs_req r = { req->method, req->target, hv(req, "Host"),
			       hv(req, "Upgrade"), hv(req, "Connection"),
			       hv(req, "Sec-WebSocket-Key"),
			       hv(req, "Sec-WebSocket-Version"),
			       hv(req, "Sec-WebSocket-Protocol"),
			       hv(req, "Origin") };
	struct ws_cbs cbs = { NULL, m_msg, m_close, NULL, NULL };
	struct ws_hs_result res;
	struct stream *s;
	struct mflow *m;
	struct buf left;

	UNUSED(arg);
	sv_copy(r.origin, P.origin, sizeof(P.origin));
	sv_copy(r.protocol, P.protocol, sizeof(P.protocol));
	if (ws_handshake_check(&r, &pol, &res)) {
		http_conn_close_after(hc);
		http_respond(hc, res.status, "text/plain", res.reason,
			     strlen(res.reason), res.extra);
		return;
	}
	ck_assert_int_lt(P.nflows, MAXFLOW);
	P.upgrades++;
	buf_init(&left);
	ck_assert_int_eq(http_conn_upgrade(hc, &s, &left), 0);
	m = obj_new(sizeof(*m), NULL);
	cbs.arg = m;
	ck_assert_int_eq(ws_conn_accept(&m->ws, &loop, s, &res,
					(struct sv){ left.data, left.len },
					NULL, &cbs), 0);
	ck_assert_int_eq(sipt_flow_add(P.s, &m->flow, &mflow_ops,
				       stream_is_tls(s) ? SIPT_WSS : SIPT_WS,
				       stream_local(s), stream_peer(s)), 0);
	P.flows[P.nflows++] = m;
	obj_unref(s);
	buf_close(&left);
}

static void wws_handler(struct http_conn *hc, const struct http_req *req,
			void *arg)
{
	const char *id, *pw;
	json_t *j = NULL;

	UNUSED(arg);
	if (sv_eq_cstr(req->method, "GET") && sv_eq_cstr(req->path, "/")) {
		http_respond(hc, 200, "text/html", PAGE, strlen(PAGE), NULL);
		return;
	}
	if (sv_eq_cstr(req->method, "GET") &&
	    sv_eq_cstr(req->path, "/app.js")) {
		http_respond(hc, 200, "text/javascript", SCRIPT,
			     strlen(SCRIPT), NULL);
		return;
	}
	if (!sv_eq_cstr(req->path, "/login")) {
		http_respond_error(hc, 404, "not_found", NULL);
		return;
	}
	if (http_json_parse(req->body, 0, &j, NULL, 0) ||
	    !(id = json_string_value(json_object_get(j, "id"))) ||
	    !(pw = json_string_value(json_object_get(j, "password")))) {
		json_decref(j);
		http_respond_error(hc, 400, "invalid_request", "bad JSON");
		return;
	}
	if (!strncmp(id, "sip:", 4) || strstr(id, "@ims.example.com"))
		http_respond_json(hc, 200, json_pack(
			"{s:s,s:s,s:s,s:s,s:s}", "result",
			"ims_auth_required", "id", id, "impu", IMPU, "impi",
			IMPI, "error_description",
			"authentication must be done in the IMS core"), NULL);
	else if (!strcmp(id, "alice@web.example.com") &&
		 !strcmp(pw, "alice-web"))
		http_respond_json(hc, 200, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "result", "ok", "id",
			id, "impu", IMPU, "impi", IMPI, "token", TOKEN,
			"token_type", "Bearer", "expires_in", 300), NULL);
	else
		http_respond_error(hc, 401, "invalid_credentials",
				   "unknown web id or wrong password");
	json_decref(j);
}

static int check_answer(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	char ha1[DIGEST_HEX_MAX];
	struct digest_cred c;

	if (!h || digest_cred_parse(&c, h->value, NULL))
		return -EBADMSG;
	if (digest_ha1_calc(ha1, c.alg, c.username, SV(REALM), SV(PASS)))
		return -ENOTSUP;
	return digest_resp_verify(&c, &(struct digest_verify){
					      .method = SV("REGISTER"),
					      .ha1 = sv_from_cstr(ha1),
					      .key = &P.nkey,
					      .bound = SV(REALM),
					      .nct = P.nct,
					      .now = (uint64_t)time(NULL),
				      });
}

/* 401 to the initial form; 200 to an answer, an X-IMS-Credential (as a
 * WSF that terminated the challenge would) or a Bearer token. */
static void reg_request(struct sipt *s, struct sipt_strans *st,
			const struct sip_msg *req, void *arg)
{
	const struct sip_hdr *au = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	const struct sip_hdr *ct = sip_hdr_find(req, SIP_HDR_CONTACT);
	const struct sip_hdr *ex = sip_hdr_find(req, SIP_HDR_EXPIRES);
	bool direct = sip_hdr_find_name(req, "X-IMS-Credential") ||
		      (au && digest_scheme_of(au->value) ==
				     DIGEST_SCHEME_BEARER);
	char nonce[DIGEST_NONCE_LEN + 1];
	struct buf b;

	UNUSED(s);
	UNUSED(arg);
	ck_assert_uint_lt(P.nreq, MAXREQ);
	P.req[P.nreq] = sip_msg_dup(req);
	P.verify[P.nreq] = 1;
	P.nreq++;
	if (P.silent)
		return;
	buf_init(&b);
	if (!direct && au && strstr(au->value.p, "response=\"\"")) {
		digest_nonce_make(nonce, &P.nkey, &P.rng, (uint64_t)time(NULL),
				  SV(REALM));
		sipt_print_response_start(&b, st, 401, NULL, "ptag");
		ck_assert_int_eq(digest_chal_print_list(&b, "WWW-Authenticate",
			&(struct digest_offer){ .realm = SV(REALM),
						.nonce = sv_from_cstr(nonce) },
			(enum digest_alg[]){ DIGEST_ALG_MD5 }, 1), 0);
	} else {
		if (!direct)
			P.verify[P.nreq - 1] = check_answer(req);
		sipt_print_response_start(&b, st, 200, NULL, "ptag");
		/* RFC 7118: the client's own Contact comes back unchanged */
		if (!(ex && sv_eq_cstr(ex->value, "0")))
			sip_print_hdrf(&b, "Contact", "%.*s",
				       SV_ARG(ct->value));
		sip_print_hdrf(&b, "Service-Route", "<sip:orig@127.0.0.1:6060;"
			       "lr>");
		sip_print_hdrf(&b, "P-Associated-URI", "<%s>", IMPU);
	}
	sip_print_end(&b, NULL, NULL, 0);
	ck_assert_int_eq(sipt_strans_reply(st, b.data, b.len), 0);
	buf_close(&b);
}

static void peers_open(void)
{
	struct sipt_conf sc = { 0 };
	char err[256];
	bool created;

	memset(&P, 0, sizeof(P));
	snprintf(P.dir, sizeof(P.dir), "/tmp/check_client_web.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(P.dir));
	snprintf(P.cert, sizeof(P.cert), "%s/cert.pem", P.dir);
	snprintf(P.key, sizeof(P.key), "%s/key.pem", P.dir);
	ck_assert_int_eq(tls_selfsigned_make(P.cert, P.key, "localhost",
					     "localhost,127.0.0.1", &created,
					     err, sizeof(err)), 0);
	ck_assert_int_eq(tls_ctx_server_new(&P.tls, P.cert, P.key, err,
					    sizeof(err)), 0);
	ck_assert_int_eq(http_server_new(&P.wws, &loop, "127.0.0.1", 0, P.tls,
					 NULL, wws_handler, NULL), 0);
	ck_assert_int_eq(http_server_new(&P.wsf, &loop, "127.0.0.1", 0, P.tls,
					 NULL, wsf_handler, NULL), 0);
	ck_assert_int_eq(http_server_new(&P.wsf_plain, &loop, "127.0.0.1", 0,
					 NULL, NULL, wsf_handler, NULL), 0);
	rng_init(&P.rng, 5);
	digest_nonce_key_init(&P.nkey, &P.rng, 300);
	P.nct = digest_nctrack_new(64, 600);
	sc.via_host = "127.0.0.1";
	sc.rng = &P.rng;
	sc.request_cb = reg_request;
	ck_assert_int_eq(sipt_new(&P.s, &loop, &sc), 0);
}

static bool all_closed(void)
{
	for (int i = 0; i < P.nflows; i++)
		if (!P.flows[i]->closed)
			return false;
	return true;
}

static void peers_close(void)
{
	char path[128];

	for (int i = 0; i < P.nflows; i++) {
		if (!P.flows[i]->closed)
			ws_conn_abort(P.flows[i]->ws);
	}
	WAIT(all_closed(), 1000);
	if (P.s)
		sipt_close(P.s, NULL, NULL);
	http_server_free(P.wws);
	http_server_free(P.wsf);
	http_server_free(P.wsf_plain);
	WAIT(!uv_loop_alive(&loop), 2000);
	for (int i = 0; i < P.nflows; i++) {
		obj_unref(P.flows[i]->ws);
		obj_unref(P.flows[i]);
	}
	tls_ctx_free(P.tls);
	for (size_t i = 0; i < P.nreq; i++)
		sip_msg_free(P.req[i]);
	digest_nctrack_free(P.nct);
	snprintf(path, sizeof(path), "%s", P.cert);
	unlink(path);
	unlink(P.key);
	rmdir(P.dir);
}

/* ---- the client under test ----------------------------------------------- */

static struct client_conf CONF;
static struct client *C;
static struct trace TR;
static struct rng RNG;
static json_t *EV[MAXEV];
static int NEV;

static void on_event(const json_t *ev, void *arg)
{
	UNUSED(arg);
	ck_assert_int_lt(NEV, MAXEV);
	EV[NEV++] = json_deep_copy(ev);
}

static void client_open(const char *trace_path)
{
	char err[CONF_ERR_LEN], url[64];

	conf_defaults(client_conf_keys, &CONF);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u",
		 http_server_port(P.wws));
	ck_assert_int_eq(conf_set_kv(client_conf_keys, &CONF, "wws_url", url,
				     err), 0);
	snprintf(url, sizeof(url), "wss://127.0.0.1:%u",
		 http_server_port(P.wsf));
	ck_assert_int_eq(conf_set_kv(client_conf_keys, &CONF, "wsf_url", url,
				     err), 0);
	rng_init(&RNG, 11);
	ck_assert_int_eq(trace_open(&TR, trace_path, "client"), 0);
	ck_assert_int_eq(client_new(&C, &loop, &CONF, &TR, &RNG, on_event,
				    NULL), 0);
}

static void setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	log_set_level(LOG_ERROR);
	NEV = 0;
	C = NULL;
	peers_open();
}

static void teardown(void)
{
	if (C)
		client_close(C);
	WAIT(!C || all_closed(), 2000);
	peers_close();
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	trace_close(&TR);
	conf_free(client_conf_keys, &CONF);
	for (int i = 0; i < NEV; i++)
		json_decref(EV[i]);
}

static const char *ev_str(int i, const char *k)
{
	const char *s = json_string_value(json_object_get(EV[i], k));

	return s ? s : "";
}

static long ev_int(int i, const char *k)
{
	return (long)json_integer_value(json_object_get(EV[i], k));
}

static int cmd(const char *line)
{
	return client_command(C, line, strlen(line));
}

static struct sv hdr(size_t i, const char *name)
{
	const struct sip_hdr *h;

	ck_assert_uint_lt(i, P.nreq);
	h = sip_hdr_find_name(P.req[i], name);
	return h ? h->value : SV_NULL;
}

static bool has(struct sv v, const char *needle)
{
	return v.p && memmem(v.p, v.len, needle, strlen(needle)) != NULL;
}

/* ---- steps 1-3: the page and the login -------------------------------- */

START_TEST(test_page)
{
	char line[128];

	client_open(NULL);
	snprintf(line, sizeof(line), "web alice get https://127.0.0.1:%u/",
		 http_server_port(P.wws));
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 3000);
	ck_assert_int_eq(NEV, 1);
	ck_assert_str_eq(ev_str(0, "event"), "page");
	ck_assert_str_eq(ev_str(0, "ua"), "alice");
	ck_assert_int_eq(ev_int(0, "status"), 200);
	ck_assert_int_eq(ev_int(0, "bytes"), (long)strlen(PAGE));
	ck_assert_int_eq(ev_int(0, "scripts"), 1);
	ck_assert_int_eq(ev_int(0, "script_bytes"), (long)strlen(SCRIPT));
	/* relative to wws_url; a 404 fails the op */
	ck_assert_int_eq(cmd("web alice get /nothing"), 0);
	WAIT(NEV == 2, 3000);
	ck_assert_int_eq(NEV, 2);
	ck_assert_str_eq(ev_str(1, "event"), "failed");
	ck_assert_str_eq(ev_str(1, "op"), "get");
	ck_assert_int_eq(ev_int(1, "status"), 404);
}
END_TEST

static const struct {
	const char *id, *pw;
	const char *event, *result; /* result or failed reason substring */
	int status;
} login_vec[] = {
	{ "alice@web.example.com", "alice-web", "login", "ok", 200 },
	{ "sip:alice@ims.example.com", "x", "login", "ims_auth_required",
	  200 },
	{ "alice@ims.example.com", "x", "login", "ims_auth_required", 200 },
	{ "alice@web.example.com", "wrong", "failed", "invalid_credentials",
	  401 },
};

START_TEST(test_login)
{
	char line[256];

	client_open(NULL);
	snprintf(line, sizeof(line), "web alice login /login %s %s",
		 login_vec[_i].id, login_vec[_i].pw);
	ck_assert_int_eq(cmd(line), 0);
	ck_assert_int_eq(cmd(line), -EBUSY); /* one at a time per name */
	WAIT(NEV == 2, 3000);
	ck_assert_int_eq(NEV, 2);
	ck_assert_str_eq(ev_str(0, "event"), "error");
	ck_assert_str_eq(ev_str(1, "event"), login_vec[_i].event);
	ck_assert_int_eq(ev_int(1, "status"), login_vec[_i].status);
	if (!strcmp(login_vec[_i].event, "failed")) {
		ck_assert_str_eq(ev_str(1, "op"), "login");
		ck_assert_ptr_nonnull(strstr(ev_str(1, "reason"),
					     login_vec[_i].result));
		return;
	}
	ck_assert_str_eq(ev_str(1, "result"), login_vec[_i].result);
	ck_assert_str_eq(ev_str(1, "impu"), IMPU);
	ck_assert_str_eq(ev_str(1, "impi"), IMPI);
	ck_assert_str_eq(ev_str(1, "id"), login_vec[_i].id);
	ck_assert_str_eq(ev_str(1, "token"), _i ? "" : TOKEN);
}
END_TEST

/* ---- steps 4-14: REGISTER over the WebSocket -------------------------- */

static const struct {
	bool plain;     /* via=ws on the plain port */
	bool terminate; /* credential=terminate */
	bool bearer;    /* auth=bearer after a login */
} reg_vec[] = {
	{ false, false, false },
	{ true, false, false },
	{ false, true, false },
	{ false, false, true },
};

START_TEST(test_ws_register)
{
	char line[512], path[] = "/tmp/check_client_web.XXXXXX";
	bool direct = reg_vec[_i].terminate || reg_vec[_i].bearer;
	size_t n0 = direct ? 1 : 2;
	struct digest_cred c0;
	struct sip_via v;
	struct sip_addr a;
	FILE *f;
	int fd = mkstemp(path), ntr = 0, nhttp = 0;

	ck_assert_int_ge(fd, 0);
	close(fd);
	client_open(path);
	if (reg_vec[_i].bearer) {
		ck_assert_int_eq(cmd("web alice login /login "
				     "alice@web.example.com alice-web"), 0);
		WAIT(NEV == 1, 3000);
		ck_assert_str_eq(ev_str(0, "event"), "login");
		NEV = 0;
		json_decref(EV[0]);
	}
	snprintf(line, sizeof(line),
		 "register alice %s %s %s via=%s url=%s://127.0.0.1:%u "
		 "origin=%s expires=600%s%s", IMPU, IMPI, PASS,
		 reg_vec[_i].plain ? "ws" : "wss",
		 reg_vec[_i].plain ? "ws" : "wss",
		 http_server_port(reg_vec[_i].plain ? P.wsf_plain : P.wsf),
		 ORIGIN, reg_vec[_i].terminate ? " credential=terminate" : "",
		 reg_vec[_i].bearer ? " auth=bearer" : "");
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 5000);
	ck_assert_int_eq(NEV, 1);
	ck_assert_str_eq(ev_str(0, "event"), "registered");
	ck_assert_int_eq(ev_int(0, "expires"), 600);
	ck_assert_int_eq(P.upgrades, 1);
	ck_assert_str_eq(P.origin, ORIGIN);
	ck_assert_str_eq(P.protocol, "sip");
	ck_assert_uint_eq(P.nreq, n0);
	/* RFC 7118 §5.2: Via WS(S) with a .invalid host, rport */
	ck_assert_int_eq(sip_via_parse(&v, hdr(0, "Via"), NULL), 0);
	ck_assert(sv_eq_cstr(v.transport, reg_vec[_i].plain ? "WS" : "WSS"));
	ck_assert(sv_eq_cstr((struct sv){ v.host.p + v.host.len - 8, 8 },
			     ".invalid"));
	ck_assert(v.has_rport);
	/* RFC 5626: the flow's Contact */
	ck_assert_int_eq(sip_addr_parse(&a, hdr(0, "Contact"), NULL), 0);
	ck_assert(has(a.uri.host, ".invalid"));
	ck_assert(sip_param_has(a.uri.params, "transport"));
	ck_assert(has(a.params, "reg-id=1"));
	ck_assert(has(a.params, "+sip.instance=\"<urn:uuid:"));
	ck_assert(has(hdr(0, "Supported"), "outbound"));
	if (reg_vec[_i].bearer) {
		ck_assert(sv_eq_cstr(hdr(0, "Authorization"),
				     "Bearer " TOKEN));
	} else {
		ck_assert_int_eq(digest_cred_parse(&c0, hdr(0,
						   "Authorization"), NULL), 0);
		ck_assert(digest_cred_is_initial(&c0));
		ck_assert(sv_eq_cstr(c0.username, IMPI));
	}
	if (reg_vec[_i].terminate)
		ck_assert(sv_eq_cstr(hdr(0, "X-IMS-Credential"),
				     "impi=\"" IMPI "\", password=\"" PASS
				     "\""));
	else
		ck_assert_ptr_null(hdr(0, "X-IMS-Credential").p);
	if (!direct)
		ck_assert_int_eq(P.verify[1], 0);
	/* refresh and de-registration on the same WebSocket */
	ck_assert_int_eq(cmd("refresh alice"), 0);
	WAIT(NEV == 2, 5000);
	ck_assert_str_eq(ev_str(1, "event"), "refreshed");
	ck_assert_int_eq(cmd("deregister alice"), 0);
	WAIT(NEV == 3, 5000);
	ck_assert_int_eq(NEV, 3);
	ck_assert_str_eq(ev_str(2, "event"), "deregistered");
	ck_assert_int_eq(P.upgrades, 1);
	ck_assert(sv_eq(P.req[P.nreq - 1]->call_id, P.req[0]->call_id));
	ck_assert(sv_eq(hdr(P.nreq - 1, "Expires"), SV("0")));
	/* the trace: the upgrade and its 101 as http, SIP as ws(s) */
	client_close(C);
	C = NULL;
	WAIT(all_closed(), 2000);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		ntr += strstr(line, reg_vec[_i].plain ? "\"transport\":\"ws\""
						      : "\"transport\":\"wss\"")
			       != NULL;
		nhttp += strstr(line, "\"proto\":\"http\"") != NULL;
	}
	fclose(f);
	unlink(path);
	ck_assert_int_ge(ntr, (int)(2 * P.nreq));
	ck_assert_int_ge(nhttp, 2 + (reg_vec[_i].bearer ? 2 : 0));
}
END_TEST

/* A refused upgrade (wrong Origin): the register fails, nothing sent. */
START_TEST(test_ws_refused)
{
	char line[512];

	client_open(NULL);
	snprintf(line, sizeof(line),
		 "register alice %s %s %s via=wss origin=https://evil.example",
		 IMPU, IMPI, PASS);
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 5000);
	ck_assert_int_eq(NEV, 1);
	ck_assert_str_eq(ev_str(0, "event"), "failed");
	ck_assert_str_eq(ev_str(0, "op"), "register");
	ck_assert_ptr_nonnull(strstr(ev_str(0, "reason"), "WebSocket"));
	ck_assert_uint_eq(P.nreq, 0);
	ck_assert_int_eq(P.upgrades, 0);
}
END_TEST

/* The WSF drops the WebSocket: the next refresh opens a new one. */
START_TEST(test_ws_reconnect)
{
	char line[512];

	client_open(NULL);
	snprintf(line, sizeof(line), "register alice %s %s %s via=wss "
		 "origin=" ORIGIN, IMPU, IMPI, PASS);
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 5000);
	ck_assert_str_eq(ev_str(0, "event"), "registered");
	ws_conn_close(P.flows[0]->ws, WS_CLOSE_GOING_AWAY, "bye");
	WAIT(P.flows[0]->closed, 2000);
	step();
	ck_assert_int_eq(cmd("refresh alice"), 0);
	WAIT(NEV == 2, 5000);
	ck_assert_int_eq(NEV, 2);
	ck_assert_str_eq(ev_str(1, "event"), "refreshed");
	ck_assert_int_eq(P.upgrades, 2);
	/* A silent registrar: the transaction fails when the flow goes. */
	P.silent = true;
	ck_assert_int_eq(cmd("refresh alice"), 0);
	WAIT(P.nreq == 5, 2000);
	ws_conn_abort(P.flows[1]->ws);
	WAIT(NEV == 3, 3000);
	ck_assert_int_eq(NEV, 3);
	ck_assert_str_eq(ev_str(2, "event"), "failed");
	ck_assert_str_eq(ev_str(2, "op"), "refresh");
}
END_TEST

static const struct {
	const char *line;
	const char *reason; /* substring of the error event */
} bad_vec[] = {
	{ "register a sip:a@x a@x p via=ws credential=terminate",
	  "needs via=wss" },
	{ "register a sip:a@x a@x p via=wss url=https://127.0.0.1:1",
	  "bad WebRTC options" },
	{ "register a sip:a@x a@x p via=wss url=wss://example.com:1",
	  "bad WebRTC options" },
	{ "register a sip:a@x a@x p url=wss://127.0.0.1:1",
	  "bad WebRTC options" },
	{ "register a sip:a@x a@x p via=wss auth=bearer", "no token" },
	{ "register a sip:a@x a@x p via=wss auth=basic", "auth:" },
	{ "register a sip:a@x a@x p via=sctp", "transport (via)" },
	{ "register a sip:a@x a@x p credential=x", "credential:" },
	{ "web a get ftp://127.0.0.1/", "or URL" },
	{ "web a get nothing", "or URL" },
	{ "web a login /login id", "usage: web" },
	{ "web a put /x", "usage: web" },
};

START_TEST(test_bad_commands)
{
	client_open(NULL);
	ck_assert_int_lt(cmd(bad_vec[_i].line), 0);
	ck_assert_int_eq(NEV, 1);
	ck_assert_str_eq(ev_str(0, "event"), "error");
	ck_assert_ptr_nonnull(strstr(ev_str(0, "reason"), bad_vec[_i].reason));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("client_web");
	TCase *tc = tcase_create("web");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_page);
	tcase_add_loop_test(tc, test_login, 0, ARRAY_SIZE(login_vec));
	tcase_add_loop_test(tc, test_ws_register, 0, ARRAY_SIZE(reg_vec));
	tcase_add_test(tc, test_ws_refused);
	tcase_add_test(tc, test_ws_reconnect);
	tcase_add_loop_test(tc, test_bad_commands, 0, ARRAY_SIZE(bad_vec));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	signal(SIGPIPE, SIG_IGN); /* lib/tls/stream.h */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
