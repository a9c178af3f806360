/*
 * check_wws_range.c - [range] the enterprise WWS in-process on 127.0.0.1:
 * - the registration of its block (TR 23.701 Figure 6.X.2.1.3.2-1 step 1)
 *   against a mock WSS registrar (lib/ws over TLS, standing in for the WSF
 *   until it speaks GIN): the WebSocket handshake (Origin, subprotocol
 *   sip), the GIN REGISTER's every header (RFC 6140), the 401 answered
 *   with the block's Digest credentials, the refresh before expiry, the
 *   de-registration at shutdown, a refusal, and /range.json;
 * - the IMPUs of the block handed to web users at login (Figure
 *   6.X.2.1.3.3-1): one each, kept across logins, never two users on one,
 *   in the token's claims and in /introspect; a full block refused.
 * Every test ends with uv_loop_close() == 0.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../wws/wws_int.h"
#include "digest/digest.h"
#include "ims/ims.h"
#include "sip/sip.h"
#include "ws/ws.h"

#define DOM "ims.example.com"
#define ENT "enterprise@" DOM
#define RANGE "sip:+15551230![0-9]{3}!@" DOM
#define AOR "sip:+15551230!%5B0-9%5D%7B3%7D!@" DOM
#define ORIGIN "https://127.0.0.1:9443"
#define NONCE "6e6f6e63652d6f662d7468652d6d6f636b"
#define PAU "<sip:enterprise@" DOM ">, <" AOR ">"
#define JSON "application/json"
#define BASIC "Authorization: Basic d3NmOndzZi1zZWNyZXQ=\r\n"
#define CAROL "{\"id\":\"carol@enterprise.example.org\",\"password\":" \
	      "\"carol-web\"}"
#define MAX_REGS 8

/* ---- the mock registrar -------------------------------------------------- */

struct mock {
	struct stream_listener *l;
	struct tls_ctx *tls;
	struct ws_conn *ws; /* the one connection (a reference) */
	bool listening;
	char origin[128], protocol[16];
	char regs[MAX_REGS][2048]; /* every REGISTER received, as text */
	int nregs, n200;
	long grant; /* expires granted in a 200 (0: as asked) */
	bool closed;
};

struct env {
	uv_loop_t loop;
	uv_timer_t guard;
	bool timed_out;
	struct wws_conf conf;
	struct wws *w;
	struct trace trace;
	struct rng rng;
	struct tls_ctx *tls; /* HTTPS client */
	struct http_client *hc;
	struct mock mk;
	char dir[64], path[128];
	bool done;
	int err, status;
	struct buf body;
};

static struct env E;

static void mk_reply(struct ws_conn *c, struct sip_msg *m, int status,
		     const char *extra)
{
	struct buf b;

	buf_init(&b);
	sip_print_response_start(&b, m, status, NULL, "mocktag");
	if (extra)
		buf_puts(&b, extra);
	sip_print_end(&b, NULL, NULL, 0);
	ck_assert_int_eq(ws_conn_send(c, WS_OP_TEXT, b.data, b.len), 0);
	buf_close(&b);
}

/* 401 to the initial form; the answer checked against the block's HA1
 * (200, or 403); the contact's expires granted (mk.grant overrides). */
static void mk_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct mock *mk = &E.mk;
	struct sip_msg *m = xmalloc(sizeof(*m));
	struct digest_cred *cr = xmalloc(sizeof(*cr));
	char ha1[DIGEST_HEX_MAX], *copy = xmemdup(p, n), extra[512];
	const struct sip_hdr *ah;
	struct sip_addr a;
	struct sv v;

	UNUSED(op);
	UNUSED(arg);
	ck_assert_int_lt(mk->nregs, MAX_REGS);
	snprintf(mk->regs[mk->nregs++], sizeof(mk->regs[0]), "%.*s", (int)n,
		 p);
	ck_assert_int_eq(sip_msg_parse(m, copy, n, true, NULL), 0);
	ah = sip_hdr_find(m, SIP_HDR_AUTHORIZATION);
	ck_assert_ptr_nonnull(ah);
	ck_assert_int_eq(digest_cred_parse(cr, ah->value, NULL), 0);
	if (digest_cred_is_initial(cr)) {
		mk_reply(c, m, 401,
			 "WWW-Authenticate: Digest realm=\"" DOM "\", nonce=\""
			 NONCE "\", algorithm=MD5, qop=\"auth\"\r\n");
		goto out;
	}
	digest_ha1_calc(ha1, DIGEST_ALG_MD5, SV(ENT), SV(DOM),
			SV("enterprise-pass"));
	if (digest_resp_verify(cr, &(struct digest_verify){
					   .method = SV("REGISTER"),
					   .ha1 = sv_from_cstr(ha1) })) {
		mk_reply(c, m, 403, NULL);
		goto out;
	}
	ck_assert_int_eq(sip_addr_parse(&a, sip_hdr_find(m, SIP_HDR_CONTACT)
						    ->value,
					NULL),
			 0);
	ck_assert_int_eq(sip_param_get(a.params, "expires", &v), 0);
	mk->n200++;
	if (sv_eq_cstr(v, "0"))
		snprintf(extra, sizeof(extra), "Supported: path, gin\r\n");
	else if (mk->grant)
		snprintf(extra, sizeof(extra),
			 "Contact: <%.*s>;expires=%ld\r\nP-Associated-URI: "
			 "%s\r\nSupported: path, gin\r\n",
			 SV_ARG(a.uri_str), mk->grant, PAU);
	else
		snprintf(extra, sizeof(extra),
			 "Contact: <%.*s>;expires=%.*s\r\nP-Associated-URI: "
			 "%s\r\nSupported: path, gin\r\n",
			 SV_ARG(a.uri_str), SV_ARG(v), PAU);
	mk_reply(c, m, 200, extra);
out:
	free(copy);
	free(cr);
	free(m);
}

static void mk_close(struct ws_conn *c, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	UNUSED(c);
	UNUSED(code);
	UNUSED(reason);
	UNUSED(err);
	UNUSED(arg);
	E.mk.closed = true;
	E.mk.ws = obj_unref(E.mk.ws);
	if (E.mk.listening && !E.w) {
		E.mk.listening = false;
		stream_listener_close(E.mk.l);
	}
}

static const struct ws_cbs mk_cbs = { NULL, mk_msg, mk_close, NULL, NULL };

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
	static const char *const origins[] = { ORIGIN, NULL };
	struct ws_hs_policy pol = { protos, true, origins };
	struct pend *pd = arg;
	struct ws_hs_result res;
	struct ws_hs_req req;
	size_t head;
	int err;

	buf_append(&pd->in, p, n);
	err = ws_handshake_request_parse((struct sv){ pd->in.data, pd->in.len },
					 &req, &head, NULL);
	if (err == -EAGAIN)
		return;
	ck_assert_int_eq(err, 0);
	sv_copy(req.origin, E.mk.origin, sizeof(E.mk.origin));
	sv_copy(req.protocol, E.mk.protocol, sizeof(E.mk.protocol));
	ck_assert_int_eq(ws_handshake_check(&req, &pol, &res), 0);
	ck_assert_ptr_null(E.mk.ws);
	ck_assert_int_eq(ws_conn_accept(&E.mk.ws, &E.loop, s, &res,
					(struct sv){ pd->in.data + head,
						     pd->in.len - head },
					NULL, &mk_cbs),
			 0);
	buf_close(&pd->in);
	free(pd);
}

static void mk_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	struct pend *pd = xcalloc(1, sizeof(*pd));
	struct stream_cbs cbs = { NULL, pend_read, pend_close, pd };

	UNUSED(l);
	UNUSED(arg);
	buf_init(&pd->in);
	stream_set_cbs(s, &cbs);
}

/* ---- the environment ----------------------------------------------------- */

static void set(const char *fmt, const char *arg)
{
	char kv[512], err[CONF_ERR_LEN];

	snprintf(kv, sizeof(kv), fmt, arg);
	ck_assert_msg(conf_set(wws_conf_keys, &E.conf, kv, err) == 0, "%s",
		      err);
}

static void guard_cb(uv_timer_t *t)
{
	UNUSED(t);
	E.timed_out = true;
	uv_stop(&E.loop);
}

/* The enterprise WWS's settings; mock: start the registrar too. */
static void env_conf(bool mock)
{
	char err[256], cert[96], key[96], url[64];
	bool created;

	memset(&E, 0, sizeof(E));
	snprintf(E.dir, sizeof(E.dir), "/tmp/check_wws_range.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(E.dir));
	ck_assert_int_eq(uv_loop_init(&E.loop), 0);
	uv_timer_init(&E.loop, &E.guard);
	uv_timer_start(&E.guard, guard_cb, 15000, 0);
	uv_unref((uv_handle_t *)&E.guard);
	conf_defaults(wws_conf_keys, &E.conf);
	set("port=0%s", "");
	set("log_level=error%s", "");
	set("pbkdf2_iterations=1000%s", "");
	set("cert=%s/cert.pem", E.dir);
	set("key=%s/key.pem", E.dir);
	set("db=%s/wws.db", E.dir);
	set("signing_key=%s/signing.pem", E.dir);
	set("trace_file=%s/trace.jsonl", E.dir);
	set("domain=%s", "enterprise.example.org");
	set("issuer=%s/", ORIGIN); /* the Origin drops the path */
	set("enterprise=%s", "true");
	set("range_expires=%s", "600");
	log_set_level(LOG_ERROR);
	buf_init(&E.body);
	if (!mock)
		return;
	snprintf(cert, sizeof(cert), "%s/wsf-cert.pem", E.dir);
	snprintf(key, sizeof(key), "%s/wsf-key.pem", E.dir);
	ck_assert_int_eq(tls_selfsigned_make(cert, key, "wsf",
					     "localhost,127.0.0.1", &created,
					     err, sizeof(err)),
			 0);
	ck_assert_int_eq(tls_ctx_server_new(&E.mk.tls, cert, key, err,
					    sizeof(err)),
			 0);
	ck_assert_int_eq(stream_listen(&E.mk.l, &E.loop, "127.0.0.1", 0,
				       E.mk.tls, NULL, mk_accept, NULL),
			 0);
	E.mk.listening = true;
	snprintf(url, sizeof(url), "wss://127.0.0.1:%u",
		 stream_listener_port(E.mk.l));
	set("register_range=%s", "true");
	set("wsf_url=%s", url);
	set("wsf_ca_file=%s", cert); /* and the WSF's name is checked */
}

static void env_start(void)
{
	char err[512] = "";

	ck_assert_int_eq(trace_open(&E.trace, E.conf.common.trace_file,
				    "wws-ent"),
			 0);
	rng_init(&E.rng, 9);
	ck_assert_msg(wws_new(&E.w, &E.loop, &E.conf, &E.trace, &E.rng, err,
			      sizeof(err)) == 0,
		      "wws_new: %s", err);
	ck_assert_int_eq(tls_ctx_client_new(&E.tls, NULL, err, sizeof(err)),
			 0);
}

static bool wait_for(const int *n, int want)
{
	while (*n < want && !E.timed_out)
		uv_run(&E.loop, UV_RUN_ONCE);
	return *n >= want;
}

static void env_close(void)
{
	static const char *const files[] = {
		"cert.pem",    "key.pem",     "wws.db",	     "wws.db-wal",
		"wws.db-shm",  "signing.pem", "trace.jsonl", "wsf-cert.pem",
		"wsf-key.pem",
	};
	char p[160];

	wws_close(E.w);
	E.w = NULL;
	if (E.mk.listening && (!E.mk.ws || E.mk.closed)) {
		E.mk.listening = false;
		stream_listener_close(E.mk.l);
	}
	uv_run(&E.loop, UV_RUN_DEFAULT);
	ck_assert_msg(!E.timed_out, "timed out");
	uv_close((uv_handle_t *)&E.guard, NULL);
	uv_run(&E.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&E.loop), 0);
	tls_ctx_free(E.tls);
	tls_ctx_free(E.mk.tls);
	trace_close(&E.trace);
	conf_free(wws_conf_keys, &E.conf);
	buf_close(&E.body);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", E.dir, files[i]);
		unlink(p);
	}
	rmdir(E.dir);
}

/* ---- HTTPS --------------------------------------------------------------- */

static void on_resp(int err, const struct http_resp *r, void *arg)
{
	UNUSED(arg);
	E.hc = NULL;
	E.done = true;
	E.err = err;
	E.status = r ? r->status : 0;
	buf_reset(&E.body);
	if (r)
		buf_putsv(&E.body, r->body);
	buf_puts(&E.body, "");
}

static json_t *req(const char *method, const char *target,
		   const char *headers, const char *ctype, const char *body,
		   int want)
{
	struct http_client_req r = {
		.ip = "127.0.0.1",
		.port = wws_port(E.w),
		.tls = E.tls,
		.method = method,
		.target = target,
		.headers = headers,
		.content_type = ctype,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.timeout_ms = 5000,
	};
	json_t *j;

	E.done = false;
	ck_assert_int_eq(http_client_request(&E.hc, &E.loop, &r, on_resp, NULL),
			 0);
	while (!E.done)
		uv_run(&E.loop, UV_RUN_ONCE);
	ck_assert_int_eq(E.err, 0);
	ck_assert_msg(E.status == want, "%s %s: %d %s", method, target,
		      E.status, E.body.data);
	j = json_loadb(E.body.data, E.body.len, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %s", E.body.data);
	return j;
}

static const char *jstr(const json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

static long jint(const json_t *j, const char *k)
{
	return (long)json_integer_value(json_object_get(j, k));
}

/* ---- the GIN REGISTER ---------------------------------------------------- */

static const char *hdr(int i, const char *name, char *out, size_t n)
{
	char *copy = xstrdup(E.mk.regs[i]);
	struct sip_msg *m = xmalloc(sizeof(*m));
	const struct sip_hdr *h;

	out[0] = '\0';
	ck_assert_int_eq(sip_msg_parse(m, copy, strlen(copy), true, NULL), 0);
	h = sip_hdr_find_name(m, name);
	if (h)
		sv_copy(h->value, out, n);
	free(m);
	free(copy);
	return out;
}

/* Every header of REGISTER i but Authorization, CSeq and branch. */
static void assert_gin_shape(int i, const char *expires)
{
	char v[512], host[64], want[160];
	const char *reg = E.mk.regs[i];

	ck_assert_msg(!strncmp(reg, "REGISTER sip:" DOM " SIP/2.0\r\n", 35),
		      "%s", reg);
	hdr(i, "Via", v, sizeof(v));
	ck_assert_msg(!strncmp(v, "SIP/2.0/WSS ", 12) &&
			      strstr(v, ".invalid;branch=z9hG4bK"),
		      "Via: %s", v);
	sscanf(v + 12, "%63[^;]", host);
	ck_assert_str_eq(hdr(i, "To", v, sizeof(v)), "<" AOR ">");
	ck_assert_msg(!strncmp(hdr(i, "From", v, sizeof(v)), "<" AOR ">;tag=",
			       strlen("<" AOR ">;tag=")),
		      "From: %s", v);
	snprintf(want, sizeof(want), "<sip:%s;transport=ws;bnc>;expires=%s",
		 host, expires);
	ck_assert_str_eq(hdr(i, "Contact", v, sizeof(v)), want);
	ck_assert_str_eq(hdr(i, "Require", v, sizeof(v)), "gin");
	ck_assert_str_eq(hdr(i, "Proxy-Require", v, sizeof(v)), "gin");
	ck_assert_str_eq(hdr(i, "Supported", v, sizeof(v)), "path, gin");
	ck_assert_str_eq(hdr(i, "Max-Forwards", v, sizeof(v)), "70");
	hdr(i, "Call-ID", v, sizeof(v));
	ck_assert_msg(strstr(v, ".invalid"), "Call-ID: %s", v);
}

START_TEST(test_register_refresh_deregister)
{
	char v[512], first[512];
	json_t *j;

	env_conf(true);
	E.mk.grant = 2; /* a refresh at half time: after 1 s */
	env_start();
	ck_assert_msg(wait_for(&E.mk.n200, 1), "no registration");
	/* the WebSocket as a browser opens it (RFC 6455, RFC 7118) */
	ck_assert_str_eq(E.mk.origin, ORIGIN);
	ck_assert_str_eq(E.mk.protocol, "sip");
	ck_assert_int_eq(E.mk.nregs, 2);
	assert_gin_shape(0, "600");
	assert_gin_shape(1, "600");
	ck_assert_str_eq(hdr(0, "Authorization", v, sizeof(v)),
			 "Digest username=\"" ENT "\", realm=\"" DOM
			 "\", uri=\"sip:" DOM "\", nonce=\"\", response=\"\"");
	hdr(1, "Authorization", v, sizeof(v));
	ck_assert_msg(strstr(v, "username=\"" ENT "\"") &&
			      strstr(v, "nonce=\"" NONCE "\"") &&
			      strstr(v, "nc=00000001"),
		      "%s", v);
	ck_assert(strstr(hdr(0, "CSeq", v, sizeof(v)), "1 REGISTER"));
	ck_assert(strstr(hdr(1, "CSeq", v, sizeof(v)), "2 REGISTER"));
	hdr(0, "Call-ID", first, sizeof(first));
	ck_assert_str_eq(hdr(1, "Call-ID", v, sizeof(v)), first);
	j = req("GET", "/range.json", NULL, NULL, NULL, 200);
	ck_assert_str_eq(jstr(j, "state"), "registered");
	ck_assert_int_eq(jint(j, "status"), 200);
	ck_assert_int_eq(jint(j, "expires"), 2);
	ck_assert_str_eq(jstr(j, "wildcard"), RANGE);
	ck_assert_str_eq(jstr(j, "aor"), AOR);
	ck_assert_str_eq(jstr(j, "impi"), ENT);
	json_decref(j);
	/* the refresh: same Call-ID, next CSeq, the nonce with nc 2 */
	ck_assert_msg(wait_for(&E.mk.n200, 2), "no refresh");
	ck_assert_int_eq(E.mk.nregs, 3);
	assert_gin_shape(2, "600");
	ck_assert_str_eq(hdr(2, "Call-ID", v, sizeof(v)), first);
	ck_assert(strstr(hdr(2, "CSeq", v, sizeof(v)), "3 REGISTER"));
	ck_assert(strstr(hdr(2, "Authorization", v, sizeof(v)),
			 "nc=00000002"));
	/* shutdown: expires=0, answered, then the loop ends */
	wws_close(E.w);
	E.w = NULL;
	ck_assert_msg(wait_for(&E.mk.n200, 3), "no de-registration");
	ck_assert_int_eq(E.mk.nregs, 4);
	assert_gin_shape(3, "0");
	env_close();
}
END_TEST

/* Wrong credentials: refused, and no retry (a refusal is final). */
START_TEST(test_register_refused)
{
	json_t *j;

	env_conf(true);
	set("range_password=%s", "not-the-pass");
	set("range_retry_s=%s", "1");
	env_start();
	ck_assert(wait_for(&E.mk.nregs, 2));
	do {
		j = req("GET", "/range.json", NULL, NULL, NULL, 200);
		if (!strcmp(jstr(j, "state"), "failed"))
			break;
		json_decref(j);
		j = NULL;
	} while (!E.timed_out);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(jint(j, "status"), 403);
	ck_assert_ptr_null(json_object_get(j, "expires"));
	json_decref(j);
	/* 1.5 s later: still two REGISTERs */
	for (uint64_t end = time_now_us() + 1500000; time_now_us() < end;)
		uv_run(&E.loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(E.mk.nregs, 2);
	ck_assert_int_eq(E.mk.n200, 0);
	env_close();
}
END_TEST

/* ---- IMPUs for web users ------------------------------------------------- */

static void user_add(const char *webid, const char *impu)
{
	ck_assert_int_eq(wws_users_add(E.w->users, webid, "pw", impu, ENT,
				       1000),
			 0);
}

/* Logs webid in (password pw, or carol's), checks the IMPU it got, the
 * token's claims and what introspection says. */
static void login(const char *webid, const char *want_impu)
{
	struct token_claims cl;
	char body[256], form[9000];
	json_t *j;

	if (!strcmp(webid, "carol"))
		snprintf(body, sizeof(body), "%s", CAROL);
	else
		snprintf(body, sizeof(body),
			 "{\"id\":\"%s\",\"password\":\"pw\"}", webid);
	j = req("POST", "/login", NULL, JSON, body, 200);
	ck_assert_str_eq(jstr(j, "impu"), want_impu);
	ck_assert_str_eq(jstr(j, "impi"), ENT);
	ck_assert_int_eq(token_peek(jstr(j, "token"), strlen(jstr(j, "token")),
				    &cl, NULL, NULL, NULL),
			 0);
	/* NOTE 2 claims only with token_ims_claims */
	ck_assert_str_eq(cl.impu, E.conf.token_ims_claims ? want_impu : "");
	ck_assert_str_eq(cl.impi, E.conf.token_ims_claims ? ENT : "");
	snprintf(form, sizeof(form), "token=%s", jstr(j, "token"));
	json_decref(j);
	j = req("POST", "/introspect", BASIC,
		"application/x-www-form-urlencoded", form, 200);
	ck_assert(json_is_true(json_object_get(j, "active")));
	ck_assert_str_eq(jstr(j, "impu"), want_impu);
	ck_assert_str_eq(jstr(j, "impi"), ENT);
	json_decref(j);
}

START_TEST(test_impu_assignment)
{
	json_t *j;

	env_conf(false);
	set("token_ims_claims=%s", "true");
	env_start();
	login("carol", "sip:+15551230000@" DOM);
	login("carol", "sip:+15551230000@" DOM); /* kept across logins */
	user_add("dave@x.org", RANGE);
	login("dave@x.org", "sip:+15551230001@" DOM);
	/* pinned to an IMPU carol holds: never two users on one */
	user_add("erin@x.org", "sip:+15551230000@" DOM);
	login("erin@x.org", "sip:+15551230002@" DOM);
	/* pinned to a free one: that one, also with escapes */
	user_add("fred@x.org", "sip:+1555123%30500@" DOM);
	login("fred@x.org", "sip:+15551230500@" DOM);
	/* a removed user's IMPU is free again, lowest first */
	ck_assert_int_eq(wws_users_remove(E.w->users, "dave@x.org"), 0);
	user_add("gina@x.org", RANGE);
	login("gina@x.org", "sip:+15551230001@" DOM);
	user_add("hank@x.org", "sip:somebody@" DOM); /* not in the block */
	login("hank@x.org", "sip:+15551230003@" DOM);
	j = req("GET", "/range.json", NULL, NULL, NULL, 200);
	ck_assert_str_eq(jstr(j, "state"), "pending");
	ck_assert(json_is_false(json_object_get(j, "register_range")));
	json_decref(j);
	env_close();
}
END_TEST

/* A block of two: the third web user gets 503 and no token. */
START_TEST(test_block_full)
{
	json_t *j;

	env_conf(false);
	set("impu_range=%s", "sip:+1555![01]!@" DOM);
	env_start();
	login("carol", "sip:+15550@" DOM);
	user_add("dave@x.org", "sip:+1555![01]!@" DOM);
	login("dave@x.org", "sip:+15551@" DOM);
	user_add("erin@x.org", "sip:+1555![01]!@" DOM);
	j = req("POST", "/login", NULL, JSON,
		"{\"id\":\"erin@x.org\",\"password\":\"pw\"}", 503);
	ck_assert_str_eq(jstr(j, "error"), "temporarily_unavailable");
	ck_assert_ptr_null(json_object_get(j, "token"));
	json_decref(j);
	env_close();
}
END_TEST

START_TEST(test_not_enterprise)
{
	json_t *j;

	env_conf(false);
	set("enterprise=%s", "false");
	env_start();
	j = req("GET", "/range.json", NULL, NULL, NULL, 404);
	json_decref(j);
	env_close();
}
END_TEST

static const struct {
	const char *kv, *why;
} conf_vec[] = {
	{ "impu_range=sip:+15551230000@ims.example.com", "impu_range" },
	{ "impu_range=sip:+1555![0-9!@ims.example.com", "impu_range" },
	{ "range_impi=enterprise", "range_impi" },
	{ "range_password=", "range_password" },
	{ "wsf_url=https://127.0.0.1:7443", "wsf_url" },
	{ "wsf_url=wss://wsf.example.com", "wsf_url" },
};

START_TEST(test_conf_check)
{
	char err[256] = "";

	env_conf(false);
	set("register_range=%s", "true");
	ck_assert_int_eq(wws_conf_check(&E.conf, err, sizeof(err)), 0);
	set("%s", conf_vec[_i].kv);
	ck_assert_int_eq(wws_conf_check(&E.conf, err, sizeof(err)), -EINVAL);
	ck_assert_msg(!strncmp(err, conf_vec[_i].why, strlen(conf_vec[_i].why)),
		      "%s", err);
	uv_close((uv_handle_t *)&E.guard, NULL);
	uv_run(&E.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&E.loop), 0);
	conf_free(wws_conf_keys, &E.conf);
	buf_close(&E.body);
	rmdir(E.dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wws_range");
	TCase *reg = tcase_create("registration");
	TCase *ids = tcase_create("impus");
	SRunner *sr;
	int failed;

	tcase_add_test(reg, test_register_refresh_deregister);
	tcase_add_test(reg, test_register_refused);
	tcase_set_timeout(reg, 30);
	tcase_add_test(ids, test_impu_assignment);
	tcase_add_test(ids, test_block_full);
	tcase_add_test(ids, test_not_enterprise);
	tcase_add_loop_test(ids, test_conf_check, 0,
			    (int)ARRAY_SIZE(conf_vec));
	tcase_set_timeout(ids, 30);
	suite_add_tcase(s, reg);
	suite_add_tcase(s, ids);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
