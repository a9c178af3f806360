/* wsf_token_env.c - see wsf_token_env.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "digest/digest.h"
#include "http/http.h"
#include "token/token.h"
#include "wsf_token_env.h"

uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

void spin(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		usleep(500);
	}
}


static void set(struct env *e, const char *kv)
{
	char err[CONF_ERR_LEN];

	ck_assert_msg(conf_set(wsf_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

/* ---- the mock WWS ----------------------------------------------------- */

/* The WWS's user table: web id -> IMPU/IMPI ("mallory" has none). */
static const char *lookup(const char *sub, bool impi)
{
	if (!strcmp(sub, "alice@web.example.com"))
		return impi ? ALICE : "sip:" ALICE;
	if (!strcmp(sub, "bob@web.example.com"))
		return impi ? BOB : "sip:" BOB;
	return NULL;
}

/* RFC 7662: active if signed by sg[0] for our iss and not expired (aud is
 * left to the wsf) and its jti is not "revoked". */
static json_t *introspect(struct env *e, struct sv tok)
{
	struct token_verifier *v = NULL;
	struct token_claims cl;
	json_t *j;

	ck_assert_int_eq(token_verifier_new_from_signer(&v, e->sg[0]), 0);
	if (token_verify(v, tok.p, tok.len, e->iss, NULL, time(NULL), 0, &cl,
			 NULL) ||
	    !strcmp(cl.jti, "revoked")) {
		token_verifier_free(v);
		return json_pack("{s:b}", "active", 0);
	}
	token_verifier_free(v);
	j = json_pack("{s:b,s:s,s:s,s:s,s:I,s:s}", "active", 1, "sub", cl.sub,
		      "aud", cl.aud, "iss", cl.iss, "exp", (json_int_t)cl.exp,
		      "jti", cl.jti);
	if (lookup(cl.sub, false)) {
		json_object_set_new(j, "impu", json_string(lookup(cl.sub, 0)));
		json_object_set_new(j, "impi", json_string(lookup(cl.sub, 1)));
	}
	return j;
}

static void on_wws(struct http_conn *c, const struct http_req *req,
		   void *arg)
{
	struct env *e = arg;
	const struct http_hdr *h = http_hdr_find(&req->hdrs, "Authorization");
	struct buf b;

	buf_init(&b);
	if (sv_eq_cstr(req->path, "/.well-known/jwks.json")) {
		e->n_jwks++;
		token_jwks_print(e->sg[e->jwks_key], &b);
		http_respond(c, 200, "application/json", b.data, b.len, NULL);
	} else if (!sv_eq_cstr(req->path, "/introspect") ||
		   !sv_eq_cstr(req->method, "POST")) {
		http_respond(c, 404, NULL, NULL, 0, NULL);
	} else if (!h || !sv_eq_cstr(h->value, BASIC)) {
		e->n_unauth++;
		http_respond_error(c, 401, "invalid_client", NULL);
	} else {
		e->n_introspect++;
		ck_assert_int_eq(http_param_get(req->body, "token", &b), 0);
		http_respond_json(c, 200,
				  introspect(e, (struct sv){ b.data, b.len }),
				  NULL);
	}
	buf_close(&b);
}

/* ---- environment ------------------------------------------------------ */

static const char *const fnames[F_N] = { "cert.pem", "key.pem", "wc.pem",
					 "wk.pem", "s1.pem", "s2.pem",
					 "s3.pem", "trace.jsonl" };

/* The mock WWS and the signers; wws_port 0: none started. */
static void wws_start(struct env *e, bool up)
{
	char err[256];

	ck_assert_int_eq(tls_selfsigned_make(e->path[F_WCERT], e->path[F_WKEY],
					     "wws", "127.0.0.1", NULL, err,
					     sizeof(err)), 0);
	ck_assert_int_eq(tls_ctx_server_new(&e->stls, e->path[F_WCERT],
					    e->path[F_WKEY], err, sizeof(err)),
			 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(token_key_make(TOKEN_ES256,
						e->path[F_SIGN + i], NULL, err,
						sizeof(err)), 0);
		ck_assert_int_eq(token_signer_new(&e->sg[i], TOKEN_ES256,
						  e->path[F_SIGN + i], NULL,
						  err, sizeof(err)), 0);
	}
	ck_assert_int_eq(http_server_new(&e->wws, &e->loop, "127.0.0.1", 0,
					 e->stls, NULL, on_wws, e), 0);
	snprintf(e->iss, sizeof(e->iss), "https://127.0.0.1:%u",
		 http_server_port(e->wws));
	if (!up) { /* down: its port, closed */
		http_server_free(e->wws);
		e->wws = NULL;
	}
}

struct env *env_new(const char *const *overrides, bool wws_up)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char kv[160], err[256];

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_wsf_token.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	for (int i = 0; i < F_N; i++)
		snprintf(e->path[i], sizeof(e->path[i]), "%s/%s", e->dir,
			 fnames[i]);
	rng_init(&e->rng, 7);
	wws_start(e, wws_up);
	conf_defaults(wsf_conf_keys, &e->conf);
	snprintf(kv, sizeof(kv), "cert=%s", e->path[F_CERT]);
	set(e, kv);
	snprintf(kv, sizeof(kv), "key=%s", e->path[F_KEY]);
	set(e, kv);
	snprintf(kv, sizeof(kv), "trace_file=%s", e->path[F_TRACE]);
	set(e, kv);
	snprintf(kv, sizeof(kv), "trusted_wws=https://127.0.0.2:1,%s/", e->iss);
	set(e, kv);
	e->mk = socket(AF_INET, SOCK_DGRAM, 0);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(e->mk, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(getsockname(e->mk, (struct sockaddr *)&sin, &sl), 0);
	snprintf(kv, sizeof(kv), "pcscf_port=%u", ntohs(sin.sin_port));
	set(e, kv);
	/* the Origin binding of tokens is tested in check_wsf_ident */
	set(e, "token_origin=false");
	set(e, "wss_port=0");
	set(e, "ws_port=-1");
	set(e, "sip_port=0");
	set(e, getenv("WSF_LOG") ? getenv("WSF_LOG") : "log_level=error");
	for (size_t i = 0; overrides && overrides[i]; i++)
		set(e, overrides[i]);
	ck_assert_int_eq(wsf_conf_check(&e->conf, err, sizeof(err)), 0);
	log_set_level(e->conf.common.log_level);
	ck_assert_int_eq(trace_open(&e->trace, e->path[F_TRACE], "wsf"), 0);
	ck_assert_int_eq(tls_ctx_client_new(&e->ctls, NULL, err, sizeof(err)),
			 0);
	ck_assert_msg(wsf_new(&e->w, &e->loop, &e->conf, &e->trace, &e->rng,
			      err, sizeof(err)) == 0,
		      "%s", err);
	return e;
}

void env_free(struct env *e)
{
	uint64_t end = ms_now() + 5000;

	if (e->w)
		wsf_close(e->w);
	if (e->c && !e->closed)
		ws_conn_abort(e->c);
	http_server_free(e->wws);
	while (uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end)
		usleep(500);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	obj_unref(e->c);
	for (unsigned k = 0; k < e->nq; k++)
		free(e->q[k]);
	for (int i = 0; i < 3; i++)
		token_signer_free(e->sg[i]);
	tls_ctx_free(e->ctls);
	tls_ctx_free(e->stls);
	trace_close(&e->trace);
	for (int i = 0; i < F_N; i++)
		unlink(e->path[i]);
	rmdir(e->dir);
	close(e->mk);
	conf_free(wsf_conf_keys, &e->conf);
	free(e);
}

/* ---- the client ------------------------------------------------------- */

static void on_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct env *e = arg;

	UNUSED(c);
	UNUSED(op);
	ck_assert_uint_lt(e->nq, MAXQ);
	e->q[e->nq] = xmemdup(p, n);
	e->qlen[e->nq++] = n;
}

static void on_close(struct ws_conn *c, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	struct env *e = arg;

	UNUSED(c);
	UNUSED(code);
	UNUSED(reason);
	UNUSED(err);
	e->closed = true;
}

void cli_open(struct env *e, bool secure)
{
	static const char *const protos[] = { "sip", NULL };
	struct ws_cbs cbs = { NULL, on_msg, on_close, NULL, e };

	e->secure = secure;
	ck_assert_int_eq(
		ws_conn_connect(&e->c, &e->loop, "127.0.0.1",
				secure ? wsf_wss_port(e->w) : wsf_ws_port(e->w),
				secure ? e->ctls : NULL, NULL,
				&(struct ws_client_req){ .host = "127.0.0.1",
							 .origin = ORIGIN,
							 .protocols = protos },
				&e->rng, NULL, &cbs),
		0);
	WAIT(e, ws_conn_is_open(e->c) || e->closed);
	ck_assert(!e->closed);
}

/* REGISTER for To <sip:to> with auth (a whole header line, or NULL). */
void cli_register(struct env *e, const char *to, unsigned cseq,
			 const char *auth, unsigned expires)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
		   "Via: SIP/2.0/%s x.invalid;branch=z9hG4bKt%u;rport\r\n"
		   "Max-Forwards: 70\r\nTo: <sip:%s>\r\n"
		   "From: <sip:%s>;tag=c1\r\nCall-ID: tok-1\r\n"
		   "CSeq: %u REGISTER\r\n"
		   "Contact: <sip:k3v9@x.invalid;transport=ws>;expires=%u\r\n"
		   "%sContent-Length: 0\r\n\r\n",
		   e->secure ? "WSS" : "WS", ++e->branch, to, to, cseq, expires,
		   auth ? auth : "");
	ck_assert_int_eq(ws_conn_send(e->c, WS_OP_TEXT, b.data, b.len), 0);
	buf_close(&b);
}

/* The next SIP message the client got (bounded wait), parsed. */
const struct sip_msg *cli_recv(struct env *e)
{
	size_t n;

	WAIT(e, e->rd < e->nq);
	n = e->qlen[e->rd];
	ck_assert_uint_lt(n, sizeof(e->buf));
	memcpy(e->buf, e->q[e->rd++], n);
	e->buf[n] = '\0';
	ck_assert_int_eq(sip_msg_parse(&e->m, e->buf, n, false, NULL), 0);
	return &e->m;
}

/* ---- the mock P-CSCF -------------------------------------------------- */

ssize_t mock_poll(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	ssize_t n = -1;

	while ((n = recv(e->mk, e->mbuf, sizeof(e->mbuf) - 1, MSG_DONTWAIT)) <
		       0 &&
	       ms_now() < end)
		spin(e, 1);
	return n;
}

const struct sip_msg *mock_recv(struct env *e)
{
	ssize_t n = mock_poll(e, 5000);

	ck_assert_int_gt(n, 0);
	e->mbuf[n] = '\0';
	ck_assert_int_eq(sip_msg_parse(&e->mm, e->mbuf, (size_t)n, false, NULL),
			 0);
	return &e->mm;
}

void mock_reply(struct env *e, int status)
{
	struct sockaddr_in to;
	struct buf b;

	buf_init(&b);
	sip_print_response_start(&b, &e->mm, status, NULL, "mocktag");
	sip_print_end(&b, NULL, NULL, 0);
	uv_ip4_addr("127.0.0.1", wsf_sip_port(e->w), &to);
	ck_assert_int_eq(sendto(e->mk, b.data, b.len, 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)b.len);
	buf_close(&b);
}

/* The REGISTER as TNA (TS 24.229 §5.4.1.2.2): one Authorization, Digest,
 * username = impi, the home domain, empty nonce and response, auth-done;
 * no Bearer left anywhere; our Path with the flow token. */
void check_tna(struct env *e, const char *impi)
{
	const struct sip_msg *m = &e->mm;
	struct digest_cred *c = xmalloc(sizeof(*c));

	ck_assert_int_eq(m->method, SIP_METHOD_REGISTER);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_AUTHORIZATION), 1);
	ck_assert_int_eq(digest_cred_parse(c, sip_hdr_find(m,
					   SIP_HDR_AUTHORIZATION)->value,
					   NULL), 0);
	ck_assert(sv_eq_cstr(c->username, impi));
	ck_assert(sv_eq_cstr(c->realm, DOMAIN));
	ck_assert(sv_eq_cstr(c->uri, "sip:" DOMAIN));
	ck_assert(digest_cred_is_initial(c));
	ck_assert(sv_eq_cstr(c->integrity_protected, "auth-done"));
	ck_assert_ptr_null(memmem(m->raw.p, m->raw.len, "Bearer", 6));
	ck_assert_ptr_null(memmem(m->raw.p, m->raw.len, "eyJ", 3));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_PATH), 1);
	free(c);
}

/* ---- tokens ----------------------------------------------------------- */


static json_t *claims_json(const struct token_claims *c)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "iss", c->iss,
			      "sub", c->sub, "aud", c->aud, "iat",
			      (json_int_t)c->iat, "exp", (json_int_t)c->exp,
			      "jti", c->jti);

	if (c->impu[0]) {
		json_object_set_new(j, "impu", json_string(c->impu));
		json_object_set_new(j, "impi", json_string(c->impi));
	}
	return j;
}

/* header.claims.signature by hand, for the forgeries lib/token refuses to
 * make: alg none (empty signature) or HS256 with key. */
static char *forge(const char *alg, const char *kid, const char *claims,
		   const void *key, size_t keylen)
{
	json_t *h = json_pack("{s:s,s:s}", "alg", alg, "typ", "JWT");
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf b;
	char *hs;

	if (kid)
		json_object_set_new(h, "kid", json_string(kid));
	hs = json_dumps(h, JSON_COMPACT);
	buf_init(&b);
	http_b64url_encode(&b, hs, strlen(hs));
	buf_puts(&b, ".");
	http_b64url_encode(&b, claims, strlen(claims));
	if (key)
		HMAC(EVP_sha256(), key, (int)keylen,
		     (const unsigned char *)b.data, b.len, mac, &maclen);
	buf_puts(&b, ".");
	http_b64url_encode(&b, mac, maclen);
	free(hs);
	json_decref(h);
	return buf_steal(&b, NULL);
}

/* The public key of a signing key file, as PEM. */
static char *pub_pem(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pk = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *p, *out;

	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, pk), 1);
	*len = (size_t)BIO_get_mem_data(bio, &p);
	out = xmemdup(p, *len);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	fclose(f);
	return out;
}

/* A token of that kind; claims: the impu/impi claims (NOTE 2). */
char *token_make(struct env *e, enum kind k, bool claims)
{
	const char *sub = k == T_OTHER ? "bob@web.example.com"
			  : k == T_NOIMS ? "mallory@web.example.com"
			  : k == T_NOTE2 ? "bob@web.example.com"
					 : "alice@web.example.com";
	const char *ims = k == T_OTHER ? BOB : ALICE;
	struct token_claims c = { .iat = time(NULL) };
	unsigned s = k == T_ROTATED ? 1 : k == T_UNKNOWN ? 2 : 0;
	char *jwt = NULL, *cj, *pem;
	json_t *j;
	size_t len;

	snprintf(c.iss, sizeof(c.iss), "%s",
		 k == T_ISS ? "https://evil.example" : e->iss);
	snprintf(c.sub, sizeof(c.sub), "%s", sub);
	snprintf(c.aud, sizeof(c.aud), "%s", k == T_AUD ? "other" : "wsf");
	snprintf(c.jti, sizeof(c.jti), "%s", k == T_REVOKED ? "revoked" : "");
	c.exp = c.iat + 300;
	if (k == T_EXPIRED) {
		c.iat -= 7200;
		c.exp = c.iat + 3600;
	}
	if (k == T_NBF)
		c.nbf = c.iat + 3600;
	if ((claims || k == T_NOTE2) && k != T_NOIMS) {
		snprintf(c.impu, sizeof(c.impu), "sip:%s", ims);
		snprintf(c.impi, sizeof(c.impi), "%s", ims);
	}
	if (k == T_NONE || k == T_HSPUB) {
		snprintf(c.jti, sizeof(c.jti), "forged");
		j = claims_json(&c);
		cj = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		pem = k == T_HSPUB ? pub_pem(e->path[F_SIGN], &len) : NULL;
		jwt = forge(k == T_NONE ? "none" : "HS256",
			    token_signer_kid(e->sg[0]), cj, pem, pem ? len : 0);
		free(pem);
		free(cj);
		return jwt;
	}
	ck_assert_int_eq(token_issue(e->sg[s], &c, &e->rng, &jwt), 0);
	len = strlen(jwt);
	if (k == T_BADSIG) /* a character well inside the signature */
		jwt[len - 20] = jwt[len - 20] == 'A' ? 'B' : 'A';
	if (k == T_TRUNC)
		jwt[len - 10] = '\0';
	return jwt;
}

/* "Authorization: Bearer <jwt>" in either form (TS 24.371's: quoted). */
char *bearer(const char *jwt, bool ts24371)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   ts24371 ? "Authorization: Bearer access_token=\"%s\"\r\n"
			   : "Authorization: Bearer %s\r\n",
		   jwt);
	return buf_steal(&b, NULL);
}

/* A socket that listens and never accepts: no TLS answer ever comes.
 * *kv gets trusted_wws=https://127.0.0.1:<its port>. */
int hole_open(char *kv, size_t n)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(kv, n, "trusted_wws=https://127.0.0.1:%u",
		 ntohs(sin.sin_port));
	return fd;
}
