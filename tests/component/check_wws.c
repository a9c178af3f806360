/* check_wws.c - the WWS in-process on 127.0.0.1 (port 0, a temporary db,
 * few PBKDF2 iterations), driven over HTTPS by lib/http's client: the
 * page, the JWKS, POST /login (tokens checked with lib/token against the
 * published JWKS), POST /introspect (RFC 7662), the provisioning commands,
 * the traces, and a clean loop close every time. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../wws/wws_int.h"

#define WEBID	 "alice@web.example.com"
#define LOGIN_OK "{\"id\":\"" WEBID "\",\"password\":\"alice-web\"}"
#define BASIC_OK "Authorization: Basic d3NmOndzZi1zZWNyZXQ=\r\n" /* wsf: */
#define SECRET	 "an-hs256-secret-of-32-bytes-or-more"
#define JSON	 "application/json"
#define FORM	 "application/x-www-form-urlencoded"

struct env {
	uv_loop_t loop;
	struct wws_conf conf;
	struct wws *w;
	struct trace trace;
	struct rng rng;
	struct tls_ctx *tls;
	struct http_client *hc;
	char dir[64];
	/* the last answer */
	bool done;
	int err, status;
	struct buf body;
	char ctype[128], allow[64], www_auth[128], cache[64];
};

static void set(struct env *e, const char *fmt, const char *arg)
{
	char kv[512], err[CONF_ERR_LEN];

	snprintf(kv, sizeof(kv), fmt, arg);
	ck_assert_msg(conf_set(wws_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

static void env_conf(struct env *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_wws.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	conf_defaults(wws_conf_keys, &e->conf);
	set(e, "port=0%s", "");
	set(e, "pbkdf2_iterations=1000%s", "");
	set(e, "cert=%s/cert.pem", e->dir);
	set(e, "key=%s/key.pem", e->dir);
	set(e, "db=%s/wws.db", e->dir);
	set(e, "signing_key=%s/signing.pem", e->dir);
	set(e, "trace_file=%s/trace.jsonl", e->dir);
	set(e, "hs256_secret=%s", SECRET);
	buf_init(&e->body);
}

static void env_start(struct env *e)
{
	char err[512] = "";

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	rng_init(&e->rng, 42);
	ck_assert_int_eq(
		trace_open(&e->trace, e->conf.common.trace_file, "wws"), 0);
	ck_assert_msg(wws_new(&e->w, &e->loop, &e->conf, &e->trace, &e->rng,
			      err, sizeof(err)) == 0,
		      "wws_new: %s", err);
	ck_assert_int_eq(tls_ctx_client_new(&e->tls, NULL, err, sizeof(err)),
			 0);
}

static void env_init(struct env *e)
{
	env_conf(e);
	env_start(e);
}

static void rm_dir(const char *dir)
{
	static const char *const files[] = { "cert.pem",   "key.pem",
					     "wws.db",	   "wws.db-wal",
					     "wws.db-shm", "signing.pem",
					     "trace.jsonl" };
	char p[128];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void env_close(struct env *e)
{
	if (e->hc)
		http_client_cancel(e->hc);
	wws_close(e->w);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	tls_ctx_free(e->tls);
	trace_close(&e->trace);
	conf_free(wws_conf_keys, &e->conf);
	buf_close(&e->body);
	rm_dir(e->dir);
}

static void hdr_copy(const struct http_resp *r, const char *name, char *dst,
		     size_t n)
{
	const struct http_hdr *h = http_hdr_find(&r->hdrs, name);

	dst[0] = '\0';
	if (h)
		sv_copy(h->value, dst, n);
}

static void on_resp(int err, const struct http_resp *r, void *arg)
{
	struct env *e = arg;

	e->hc = NULL;
	e->done = true;
	e->err = err;
	e->status = r ? r->status : 0;
	buf_reset(&e->body);
	if (!r)
		return;
	buf_putsv(&e->body, r->body);
	buf_puts(&e->body, "");
	hdr_copy(r, "Content-Type", e->ctype, sizeof(e->ctype));
	hdr_copy(r, "Allow", e->allow, sizeof(e->allow));
	hdr_copy(r, "WWW-Authenticate", e->www_auth, sizeof(e->www_auth));
	hdr_copy(r, "Cache-Control", e->cache, sizeof(e->cache));
}

static void send_req(struct env *e, const char *method, const char *target,
		     const char *headers, const char *ctype, const char *body)
{
	struct http_client_req r = {
		.ip = "127.0.0.1",
		.port = wws_port(e->w),
		.tls = e->tls,
		.sni = "localhost",
		.method = method,
		.target = target,
		.headers = headers,
		.content_type = ctype,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.timeout_ms = 5000,
	};

	e->done = false;
	ck_assert_int_eq(http_client_request(&e->hc, &e->loop, &r, on_resp, e),
			 0);
}

/* One exchange; the client's own timeout bounds the wait. */
static int req(struct env *e, const char *method, const char *target,
	       const char *headers, const char *ctype, const char *body)
{
	send_req(e, method, target, headers, ctype, body);
	while (!e->done)
		uv_run(&e->loop, UV_RUN_ONCE);
	ck_assert_int_eq(e->err, 0);
	return e->status;
}

static json_t *body_json(struct env *e)
{
	json_t *j = json_loadb(e->body.data, e->body.len, 0, NULL);

	ck_assert_msg(j != NULL, "not JSON: %s", e->body.data);
	return j;
}

static const char *jstr(const json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

/* Logs alice in; returns her token (heap). */
static char *login_alice(struct env *e)
{
	json_t *j;
	char *tok;

	ck_assert_int_eq(req(e, "POST", "/login", NULL, JSON, LOGIN_OK), 200);
	j = body_json(e);
	ck_assert_str_eq(jstr(j, "result"), "ok");
	tok = xstrdup(jstr(j, "token"));
	json_decref(j);
	return tok;
}

/* ---- the page and the method rules --------------------------------------- */

static const struct {
	const char *method, *target;
	int status;
	const char *ctype, *body_has, *allow;
} page_vec[] = {
	{ "GET", "/", 200, "text/html", "<script src=\"/app.js\">", "" },
	{ "GET", "/app.js", 200, "text/javascript", "new WebSocket(", "" },
	{ "HEAD", "/", 200, "text/html", "", "" },
	{ "POST", "/", 405, JSON, "invalid_request", "GET, HEAD" },
	{ "GET", "/login", 405, JSON, "", "POST" },
	{ "PUT", "/introspect", 405, JSON, "", "POST" },
	{ "DELETE", "/.well-known/jwks.json", 405, JSON, "", "GET, HEAD" },
	{ "GET", "/nothing", 404, JSON, "not_found", "" },
	{ "GET", "/app.js/", 404, JSON, "", "" },
	{ "GET", "/config.json", 200, JSON, "\"wsf_url\":\"wss://", "" },
};

START_TEST(test_page)
{
	struct env e;

	env_init(&e);
	ck_assert_int_eq(req(&e, page_vec[_i].method, page_vec[_i].target, NULL,
			     NULL, NULL),
			 page_vec[_i].status);
	ck_assert_msg(strncmp(e.ctype, page_vec[_i].ctype,
			      strlen(page_vec[_i].ctype)) == 0,
		      "Content-Type %s", e.ctype);
	ck_assert_msg(strstr(e.body.data ? e.body.data : "",
			     page_vec[_i].body_has) != NULL,
		      "body: %s", e.body.data);
	ck_assert_str_eq(e.allow, page_vec[_i].allow);
	if (strcmp(page_vec[_i].method, "HEAD") == 0)
		ck_assert_uint_eq(e.body.len, 0);
	env_close(&e);
}
END_TEST

/* ---- login: tokens checked against the published JWKS -------------------- */

static const struct {
	const char *alg;
	bool ims_claims;
	const char *ttl;
} tok_vec[] = {
	{ "ES256", false, "300" }, { "ES256", true, "60" },
	{ "RS256", false, "300" }, { "RS256", true, "300" },
	{ "HS256", true, "120" },
};

START_TEST(test_login_token)
{
	struct token_verifier *v = NULL;
	struct token_claims cl;
	struct perr pe = { 0, NULL, 0 };
	char err[256] = "";
	struct env e;
	json_t *j;
	const char *tok;

	env_conf(&e);
	set(&e, "token_alg=%s", tok_vec[_i].alg);
	set(&e, "token_ims_claims=%s", tok_vec[_i].ims_claims ? "yes" : "no");
	set(&e, "token_ttl_s=%s", tok_vec[_i].ttl);
	env_start(&e);
	ck_assert_int_eq(
		req(&e, "GET", "/.well-known/jwks.json", NULL, NULL, NULL),
		200);
	ck_assert_str_eq(e.ctype, JSON);
	if (strcmp(tok_vec[_i].alg, "HS256") == 0) {
		ck_assert_str_eq(e.body.data, "{\"keys\":[]}");
		ck_assert_int_eq(token_verifier_new_hs256(&v, SECRET, NULL, err,
							  sizeof(err)),
				 0);
	} else {
		ck_assert_int_eq(token_verifier_new_from_jwks(&v, e.body.data,
							      e.body.len, err,
							      sizeof(err)),
				 0);
	}
	ck_assert_int_eq(req(&e, "POST", "/login", NULL, JSON, LOGIN_OK), 200);
	ck_assert_str_eq(e.cache, "no-store");
	j = body_json(&e);
	ck_assert_str_eq(jstr(j, "result"), "ok");
	ck_assert_str_eq(jstr(j, "id"), WEBID);
	ck_assert_str_eq(jstr(j, "impu"), "sip:alice@ims.example.com");
	ck_assert_str_eq(jstr(j, "impi"), "alice@ims.example.com");
	ck_assert_str_eq(jstr(j, "token_type"), "Bearer");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "expires_in")),
			 strtol(tok_vec[_i].ttl, NULL, 10));
	tok = jstr(j, "token");
	ck_assert_msg(token_verify(v, tok, strlen(tok),
				   "https://127.0.0.1:8443", "wsf",
				   wws__now(e.w), 0, &cl, &pe) == 0,
		      "token refused: %s", pe.why ? pe.why : "-");
	ck_assert_str_eq(cl.sub, WEBID);
	ck_assert_str_eq(cl.iss, "https://127.0.0.1:8443");
	ck_assert_str_eq(cl.aud, "wsf");
	ck_assert_uint_eq(strlen(cl.jti), 32);
	ck_assert_int_eq(cl.exp - cl.iat, strtol(tok_vec[_i].ttl, NULL, 10));
	ck_assert_int_le(cl.iat, wws__now(e.w));
	/* NOTE 2: the IMS identities travel in the token only when asked. */
	ck_assert_str_eq(cl.impu, tok_vec[_i].ims_claims
					  ? "sip:alice@ims.example.com"
					  : "");
	ck_assert_str_eq(cl.impi,
			 tok_vec[_i].ims_claims ? "alice@ims.example.com" : "");
	json_decref(j);
	token_verifier_free(v);
	env_close(&e);
}
END_TEST

/* ---- login: refusals and IMS identities ---------------------------------- */

static const struct {
	const char *ctype, *body;
	int status;
	const char *key, *value; /* a member of the JSON answer */
	const char *impu, *impi; /* ims_auth_required: NULL = null */
} login_vec[] = {
	{ JSON, "{\"id\":\"" WEBID "\",\"password\":\"wrong\"}", 401, "error",
	  "invalid_credentials", NULL, NULL },
	{ JSON, "{\"id\":\"bob@web.example.com\",\"password\":\"x\"}", 401,
	  "error", "invalid_credentials", NULL, NULL },
	{ JSON, "{\"id\":\"ALICE@web.example.com\",\"password\":\"alice-web\"}",
	  200, "result", "ok", NULL, NULL },
	{ JSON, "{\"id\":\"sip:alice@ims.example.com\",\"password\":\"x\"}",
	  200, "result", "ims_auth_required", "sip:alice@ims.example.com",
	  "alice@ims.example.com" },
	{ JSON, "{\"id\":\"alice@ims.example.com\"}", 200, "result",
	  "ims_auth_required", "sip:alice@ims.example.com",
	  "alice@ims.example.com" },
	{ JSON, "{\"id\":\"tel:+1-555-0100\"}", 200, "result",
	  "ims_auth_required", "tel:+15550100", NULL },
	{ JSON, "{\"id\":\"sip:bob@other.example.net\"}", 200, "result",
	  "ims_auth_required", "sip:bob@other.example.net", NULL },
	{ JSON, "{\"id\":\"sip:\"}", 400, "error", "invalid_request", NULL,
	  NULL },
	{ JSON, "{\"id\":\"" WEBID "\"}", 400, "error", "invalid_request", NULL,
	  NULL },
	{ JSON, "{\"id\":\"" WEBID "\",\"password\":\"\"}", 400, "error",
	  "invalid_request", NULL, NULL },
	{ JSON, "{\"id\":7,\"password\":\"x\"}", 400, "error",
	  "invalid_request", NULL, NULL },
	{ JSON, "{\"password\":\"x\"}", 400, "error", "invalid_request", NULL,
	  NULL },
	{ JSON, "[\"" WEBID "\"]", 400, "error", "invalid_request", NULL,
	  NULL },
	{ JSON, "{\"id\":", 400, "error", "invalid_request", NULL, NULL },
	{ JSON, "", 400, "error", "invalid_request", NULL, NULL },
	{ JSON, "{\"id\":\"a\\u0000b\",\"password\":\"x\"}", 400, "error",
	  "invalid_request", NULL, NULL },
	{ "text/plain", LOGIN_OK, 415, "error", "invalid_request", NULL, NULL },
	{ NULL, LOGIN_OK, 415, "error", "invalid_request", NULL, NULL },
};

START_TEST(test_login_cases)
{
	struct env e;
	json_t *j;

	env_init(&e);
	ck_assert_int_eq(req(&e, "POST", "/login", NULL, login_vec[_i].ctype,
			     login_vec[_i].body),
			 login_vec[_i].status);
	j = body_json(&e);
	ck_assert_str_eq(jstr(j, login_vec[_i].key), login_vec[_i].value);
	if (login_vec[_i].status == 401) {
		ck_assert_str_eq(e.www_auth, "Bearer realm=\"wws\"");
		ck_assert_ptr_null(json_object_get(j, "token"));
	}
	if (strcmp(login_vec[_i].value, "ims_auth_required") == 0) {
		ck_assert_ptr_null(json_object_get(j, "token"));
		ck_assert_str_eq(jstr(j, "error_description"),
				 "authentication must be done in the IMS "
				 "core");
		ck_assert_str_eq(jstr(j, "impu"), login_vec[_i].impu);
		if (login_vec[_i].impi)
			ck_assert_str_eq(jstr(j, "impi"), login_vec[_i].impi);
		else
			ck_assert(json_is_null(json_object_get(j, "impi")));
	}
	json_decref(j);
	env_close(&e);
}
END_TEST

/* ---- introspection (RFC 7662) -------------------------------------------- */

enum intro_case {
	I_GOOD,
	I_NO_AUTH,
	I_BAD_SECRET,
	I_OTHER_SCHEME,
	I_TAMPERED,
	I_EXPIRED,
	I_USER_GONE,
	I_REVOKED,
	I_NOT_ISSUED, /* signed with our key, never issued */
	I_NO_TOKEN,
	I_NOT_FORM,
};

static const struct {
	enum intro_case c;
	int status;
	int active; /* -1: no "active" member (an error) */
} intro_vec[] = {
	{ I_GOOD, 200, 1 },	   { I_NO_AUTH, 401, -1 },
	{ I_BAD_SECRET, 401, -1 }, { I_OTHER_SCHEME, 401, -1 },
	{ I_TAMPERED, 200, 0 },	   { I_EXPIRED, 200, 0 },
	{ I_USER_GONE, 200, 0 },   { I_REVOKED, 200, 0 },
	{ I_NOT_ISSUED, 200, 0 },  { I_NO_TOKEN, 400, -1 },
	{ I_NOT_FORM, 400, -1 },
};

/* A token signed with the WWS's own key file, but never issued by it. */
static char *forge_unissued(struct env *e)
{
	struct token_signer *s = NULL;
	struct token_claims cl;
	char err[256], *jwt = NULL;

	ck_assert_int_eq(token_signer_new(&s, TOKEN_ES256, e->conf.signing_key,
					  NULL, err, sizeof(err)),
			 0);
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.iss, sizeof(cl.iss), "https://127.0.0.1:8443");
	snprintf(cl.sub, sizeof(cl.sub), WEBID);
	snprintf(cl.aud, sizeof(cl.aud), "wsf");
	cl.iat = wws__now(e->w);
	cl.exp = cl.iat + 100;
	ck_assert_int_eq(token_issue(s, &cl, &e->rng, &jwt), 0);
	token_signer_free(s);
	return jwt;
}

START_TEST(test_introspect)
{
	enum intro_case c = intro_vec[_i].c;
	const char *auth = BASIC_OK, *ctype = FORM;
	struct token_claims cl;
	struct buf form;
	struct env e;
	char *tok;
	json_t *j;

	env_init(&e);
	buf_init(&form);
	tok = c == I_NOT_ISSUED ? forge_unissued(&e) : login_alice(&e);
	if (c == I_TAMPERED)
		tok[strlen(tok) - 10] =
			tok[strlen(tok) - 10] == 'A' ? 'B' : 'A';
	if (c == I_NO_AUTH)
		auth = NULL;
	if (c == I_BAD_SECRET) /* wsf:wsf-secreT */
		auth = "Authorization: Basic d3NmOndzZi1zZWNyZVQ=\r\n";
	if (c == I_OTHER_SCHEME)
		auth = "Authorization: Bearer d3NmOndzZi1zZWNyZXQ=\r\n";
	if (c == I_EXPIRED)
		e.w->skew_s = 301;
	if (c == I_USER_GONE)
		ck_assert_int_eq(wws_users_remove(e.w->users, WEBID), 0);
	if (c == I_REVOKED) {
		ck_assert_int_eq(
			token_peek(tok, strlen(tok), &cl, NULL, NULL, NULL), 0);
		ck_assert_int_eq(wws_users_token_revoke(e.w->users, cl.jti), 0);
	}
	if (c == I_NOT_FORM)
		ctype = JSON;
	buf_puts(&form,
		 c == I_NO_TOKEN ? "token_type_hint=access_token" : "token=");
	if (c != I_NO_TOKEN)
		http_urlenc_put(&form, sv_from_cstr(tok));
	ck_assert_int_eq(req(&e, "POST", "/introspect", auth, ctype, form.data),
			 intro_vec[_i].status);
	j = body_json(&e);
	if (intro_vec[_i].status == 401) {
		ck_assert_str_eq(e.www_auth, "Basic realm=\"wws\"");
		ck_assert_str_eq(jstr(j, "error"), "invalid_client");
	}
	if (intro_vec[_i].active < 0) {
		ck_assert_ptr_null(json_object_get(j, "active"));
	} else if (!intro_vec[_i].active) {
		ck_assert(json_is_false(json_object_get(j, "active")));
		ck_assert_uint_eq(json_object_size(j), 1); /* nothing else */
	} else {
		ck_assert(json_is_true(json_object_get(j, "active")));
		ck_assert_str_eq(jstr(j, "sub"), WEBID);
		ck_assert_str_eq(jstr(j, "impu"), "sip:alice@ims.example.com");
		ck_assert_str_eq(jstr(j, "impi"), "alice@ims.example.com");
		ck_assert_str_eq(jstr(j, "iss"), "https://127.0.0.1:8443");
		ck_assert_str_eq(jstr(j, "aud"), "wsf");
		ck_assert_int_eq(
			json_integer_value(json_object_get(j, "exp")) -
				json_integer_value(json_object_get(j, "iat")),
			300);
		ck_assert_str_eq(e.cache, "no-store");
	}
	json_decref(j);
	free(tok);
	buf_close(&form);
	env_close(&e);
}
END_TEST

/* ---- traces, shutdown, classification, commands, config ------------------ */

START_TEST(test_trace)
{
	char path[128], line[65536]; /* the page is a few kB, in base64 */
	unsigned recv = 0, sent = 0;
	struct env e;
	FILE *f;

	env_init(&e);
	ck_assert_int_eq(req(&e, "GET", "/", NULL, NULL, NULL), 200);
	free(login_alice(&e));
	snprintf(path, sizeof(path), "%s/trace.jsonl", e.dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		ck_assert_ptr_nonnull(strstr(line, "\"node\":\"wws\""));
		ck_assert_ptr_nonnull(strstr(line, "\"proto\":\"http\""));
		ck_assert_ptr_nonnull(strstr(line, "\"transport\":\"tls\""));
		if (strstr(line, "\"dir\":\"recv\"")) {
			recv++;
			ck_assert(strstr(line,
					 "\"summary\":\"GET / HTTP/1.1\"") ||
				  strstr(line, "\"summary\":\"POST /login "
					       "HTTP/1.1\""));
		} else {
			sent++;
			ck_assert_ptr_nonnull(strstr(
				line, "\"summary\":\"HTTP/1.1 200 OK\""));
		}
	}
	fclose(f);
	ck_assert_uint_eq(recv, 2);
	ck_assert_uint_eq(sent, 2);
	env_close(&e);
}
END_TEST

/* Stopping while a PBKDF2 runs: nothing answers, nothing leaks, the loop
 * closes. */
START_TEST(test_close_during_login)
{
	struct env e;
	uint64_t t0;

	env_conf(&e);
	set(&e, "pbkdf2_iterations=%s", "3000000");
	env_start(&e);
	/* env_start hashed the demo user's password (3M rounds) without
	 * running the loop: its clock is that far behind (the request's
	 * own timeout would be due at once). */
	uv_update_time(&e.loop);
	send_req(&e, "POST", "/login", NULL, JSON,
		 "{\"id\":\"nobody@web.example.com\",\"password\":\"x\"}");
	t0 = uv_now(&e.loop);
	while (!e.w->logins && uv_now(&e.loop) - t0 < 5000)
		uv_run(&e.loop, UV_RUN_NOWAIT);
	ck_assert_ptr_nonnull(e.w->logins);
	env_close(&e);
	ck_assert(!e.done);
}
END_TEST

static const struct {
	const char *id;
	int err;
	enum wws_id_kind kind;
	const char *impu, *impi;
} id_vec[] = {
	{ "alice@web.example.com", 0, WWS_ID_WEB, "", "" },
	{ "alice", 0, WWS_ID_WEB, "", "" },
	{ "SIP:Alice@IMS.Example.com;transport=ws", 0, WWS_ID_IMPU,
	  "sip:Alice@ims.example.com;transport=ws", "Alice@ims.example.com" },
	{ "sips:bob@ims.example.com:5061", 0, WWS_ID_IMPU,
	  "sips:bob@ims.example.com:5061", "bob@ims.example.com" },
	{ "sip:ims.example.com", 0, WWS_ID_IMPU, "sip:ims.example.com", "" },
	{ "tel:+15550100", 0, WWS_ID_IMPU, "tel:+15550100", "" },
	{ "carol@IMS.example.com", 0, WWS_ID_IMPI, "sip:carol@IMS.example.com",
	  "carol@IMS.example.com" },
	{ "car ol@ims.example.com", -EBADMSG, WWS_ID_IMPI, "", "" },
	{ "tel:abc", -EBADMSG, WWS_ID_IMPU, "", "" },
};

START_TEST(test_classify)
{
	enum wws_id_kind k;
	struct buf impu, impi;

	buf_init(&impu);
	buf_init(&impi);
	ck_assert_int_eq(wws_id_classify(id_vec[_i].id, "ims.example.com", &k,
					 &impu, &impi),
			 id_vec[_i].err);
	ck_assert_int_eq(k, id_vec[_i].kind);
	if (!id_vec[_i].err) {
		ck_assert_str_eq(impu.len ? impu.data : "", id_vec[_i].impu);
		ck_assert_str_eq(impi.len ? impi.data : "", id_vec[_i].impi);
	}
	buf_close(&impu);
	buf_close(&impi);
}
END_TEST

static const struct {
	const char *args;
	int status;
	const char *out_has;
} cli_vec[] = {
	{ "user list", 0,
	  "alice@web.example.com sip:alice@ims.example.com "
	  "alice@ims.example.com" },
	{ "user add bob@web.example.com pw sip:bob@ims.example.com "
	  "bob@ims.example.com",
	  0, "added bob@web.example.com" },
	{ "user add alice@web.example.com pw sip:a@ims.example.com "
	  "a@ims.example.com",
	  1, "already provisioned" },
	{ "user add bob@ims.example.com pw sip:bob@ims.example.com "
	  "bob@ims.example.com",
	  1, "IMS identity" },
	{ "user add bob@web.example.com pw http://x bob@ims.example.com", 1,
	  "IMPU" },
	{ "user add bob@web.example.com pw sip:b@i.example bob", 1, "IMPI" },
	{ "user remove alice@web.example.com", 0, "removed" },
	{ "user remove nobody@web.example.com", 1, "not found" },
	{ "user add x", 2, "wrong arguments" },
	{ "group list", 2, "wrong arguments" },
};

START_TEST(test_cli)
{
	char *argv[16], *args = xstrdup(cli_vec[_i].args), *p, *save = NULL;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	FILE *err = open_memstream(&ebuf, &elen);
	struct wws_users *u = NULL;
	struct wws_user usr;
	struct env e;
	int argc = 0;

	env_conf(&e);
	for (p = strtok_r(args, " ", &save); p && argc < 15;
	     p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	ck_assert_int_eq(wws_cli_run(&e.conf, argc, argv, out, err),
			 cli_vec[_i].status);
	fclose(out);
	fclose(err);
	ck_assert_msg(strstr(obuf, cli_vec[_i].out_has) ||
			      strstr(ebuf, cli_vec[_i].out_has),
		      "out '%s' err '%s'", obuf, ebuf);
	/* What was added can log in: the stored hash is right. */
	if (cli_vec[_i].status == 0 && strstr(cli_vec[_i].args, "add")) {
		unsigned char h[WWS_HASH_LEN];
		char why[256];
		bool created;

		ck_assert_int_eq(wws_users_open(&u, e.conf.db, &created, why,
						sizeof(why)),
				 0);
		ck_assert_int_eq(wws_users_get(u, "BOB@web.example.com", &usr),
				 0);
		wws_pw_hash("pw", 2, usr.salt, usr.iterations, h);
		ck_assert_int_eq(memcmp(h, usr.hash, sizeof(h)), 0);
		ck_assert_int_eq(usr.iterations, 1000);
		wws_users_close(u);
	}
	free(obuf);
	free(ebuf);
	free(args);
	conf_free(wws_conf_keys, &e.conf);
	buf_close(&e.body);
	rm_dir(e.dir);
}
END_TEST

static const struct {
	const char *kv;
	bool ok;
} conf_vec[] = {
	{ "listen=127.0.0.1", true },
	{ "listen=localhost", false },
	{ "introspect_clients=", true },
	{ "introspect_clients=a:b, c:d", true },
	{ "introspect_clients=wsf", false },
	{ "introspect_clients=:secret", false },
	{ "issuer=", false },
	{ "token_alg=HS256", true }, /* the fixture sets a long secret */
};

START_TEST(test_conf)
{
	char err[CONF_ERR_LEN], why[256] = "";
	struct env e;

	env_conf(&e);
	ck_assert_int_eq(conf_set(wws_conf_keys, &e.conf, conf_vec[_i].kv, err),
			 0);
	ck_assert_int_eq(wws_conf_check(&e.conf, why, sizeof(why)) == 0,
			 conf_vec[_i].ok);
	if (!conf_vec[_i].ok)
		ck_assert(why[0]);
	/* HS256 without a secret of 32 bytes is refused. */
	conf_set(wws_conf_keys, &e.conf, "listen=127.0.0.1", err);
	conf_set(wws_conf_keys, &e.conf, "token_alg=HS256", err);
	conf_set(wws_conf_keys, &e.conf, "hs256_secret=short", err);
	ck_assert_int_eq(wws_conf_check(&e.conf, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "hs256_secret"));
	conf_free(wws_conf_keys, &e.conf);
	buf_close(&e.body);
	rm_dir(e.dir);
}
END_TEST

/* A port in use: wws_new fails with a reason, and nothing is left open. */
START_TEST(test_port_in_use)
{
	struct env e, f;
	char port[16], err[512] = "";

	env_init(&e);
	env_conf(&f);
	snprintf(port, sizeof(port), "%u", wws_port(e.w));
	set(&f, "port=%s", port);
	ck_assert_int_eq(uv_loop_init(&f.loop), 0);
	ck_assert_int_lt(wws_new(&f.w, &f.loop, &f.conf, &e.trace, &e.rng, err,
				 sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(err, "listen"));
	uv_run(&f.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&f.loop), 0);
	conf_free(wws_conf_keys, &f.conf);
	buf_close(&f.body);
	rm_dir(f.dir);
	env_close(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wws");
	TCase *tc = tcase_create("wws");
	SRunner *sr;
	int failed;

	log_set_level(LOG_WARN);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_page, 0, ARRAY_SIZE(page_vec));
	tcase_add_loop_test(tc, test_login_token, 0, ARRAY_SIZE(tok_vec));
	tcase_add_loop_test(tc, test_login_cases, 0, ARRAY_SIZE(login_vec));
	tcase_add_loop_test(tc, test_introspect, 0, ARRAY_SIZE(intro_vec));
	tcase_add_test(tc, test_trace);
	tcase_add_test(tc, test_close_during_login);
	tcase_add_loop_test(tc, test_classify, 0, ARRAY_SIZE(id_vec));
	tcase_add_loop_test(tc, test_cli, 0, ARRAY_SIZE(cli_vec));
	tcase_add_loop_test(tc, test_conf, 0, ARRAY_SIZE(conf_vec));
	tcase_add_test(tc, test_port_in_use);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
