/* wsf.c - the WSF process: configuration, life cycle and the HTTP side
 * (the WebSocket upgrade of RFC 6455 §4.2 with RFC 7118 §4's `sip`). */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "app/app_sip.h"
#include "wsf_int.h"

static const char *const transports[] = { "udp", "tcp", NULL };
static const char *const challenges[] = { "forward", "terminate", NULL };
static const char *const token_checks[] = { "off", "introspect", "local",
					    NULL };
static const char *const range_modes[] = { "static", "registration", NULL };

/* clang-format off */
#define K(name, type, field, def, help, lo, hi, choices) \
	{ name, type, offsetof(struct wsf_conf, field), def, help, lo, hi, \
	  choices }
/* clang-format on */

const struct conf_key wsf_conf_keys[] = {
	APP_COMMON_KEYS(struct wsf_conf, "wsf"),
	K("listen", CONF_STR, listen, "127.0.0.1",
	  "address for WSS, WS and SIP (numeric)", 0, 0, NULL),
	K("wss_port", CONF_INT, wss_port, "7443",
	  "SIP over secure WebSocket (HTTPS upgrade); 0 = OS-chosen", 0,
	  65535, NULL),
	K("ws_port", CONF_INT, ws_port, "7080",
	  "SIP over plain WebSocket (debugging, teaching); 0 = off, "
	  "-1 = OS-chosen",
	  -1, 65535, NULL),
	K("sip_port", CONF_INT, sip_port, "5070",
	  "SIP towards IMS (UDP and TCP); 0 = OS-chosen", 0, 65535, NULL),
	K("pcscf_host", CONF_STR, pcscf_host, "127.0.0.1",
	  "the P-CSCF (numeric address)", 0, 0, NULL),
	K("pcscf_port", CONF_INT, pcscf_port, "5060", "its SIP port", 1,
	  65535, NULL),
	K("pcscf_transport", CONF_CHOICE, pcscf_transport, "udp",
	  "udp or tcp towards the P-CSCF (and in the Path we add)", 0, 0,
	  transports),
	K("cert", CONF_STR, cert, "var/wsf/cert.pem",
	  "TLS certificate (PEM); made self-signed for localhost,127.0.0.1 "
	  "when it and key are both missing",
	  0, 0, NULL),
	K("key", CONF_STR, key, "var/wsf/key.pem", "its private key (PEM)", 0,
	  0, NULL),
	K("keylog_file", CONF_STR, keylog_file, "",
	  "append TLS secrets here (SSLKEYLOGFILE format, for Wireshark); "
	  "empty: off",
	  0, 0, NULL),
	K("allowed_origins", CONF_STR, allowed_origins,
	  "https://127.0.0.1:8443,https://localhost:8443",
	  "Origins allowed to upgrade (comma list, the WWS pages); * = any, "
	  "Origin optional",
	  0, 0, NULL),
	K("challenge", CONF_CHOICE, challenge, "forward",
	  "401 from IMS: forward (to the client, TR 23.701 NOTE 4) or "
	  "terminate (answered by the wsf with the client's "
	  "X-IMS-Credential, NOTE 3)",
	  0, 0, challenges),
	K("ping_ms", CONF_INT, ping_ms, "30000",
	  "WebSocket ping interval (0 = none)", 0, 86400000, NULL),
	K("idle_ms", CONF_INT, idle_ms, "120000",
	  "close a WebSocket that received nothing for this long (pongs "
	  "count; 0 = never)",
	  0, 86400000, NULL),
	K("handshake_ms", CONF_INT, handshake_ms, "10000",
	  "TLS handshake and upgrade request must be done within this", 1,
	  600000, NULL),
	K("max_msg", CONF_INT, max_msg, "65535",
	  "largest WebSocket message (bigger: close 1009)", 128, 16777216,
	  NULL),
	K("max_conns", CONF_INT, max_conns, "1024",
	  "open WebSocket connections (more: upgrade refused with 503)", 1,
	  1000000, NULL),
	K("max_conns_per_ip", CONF_INT, max_conns_per_ip, "256",
	  "from one IP address: WebSockets (more: closed with 1013 Try Again "
	  "Later), connections not yet upgraded (more: 503 with "
	  "Retry-After: 5) and SIP TCP connections (more: closed); 0 = no "
	  "limit",
	  0, 1000000, NULL),
	K("max_pending_per_ip", CONF_INT, max_pending_per_ip, "4096",
	  "SIP requests from one IP address not yet answered (more: 503 "
	  "with Retry-After: 5); 0 = no limit",
	  0, 10000000, NULL),
	K("t1_ms", CONF_INT, t1_ms, "500", "SIP timer T1", 1, 60000, NULL),
	K("t2_ms", CONF_INT, t2_ms, "4000", "SIP timer T2", 1, 600000, NULL),
	K("t4_ms", CONF_INT, t4_ms, "5000", "SIP timer T4", 1, 600000, NULL),
	K("tcp_idle_ms", CONF_INT, tcp_idle_ms, "120000",
	  "idle SIP TCP connections are closed after this", 100, 86400000,
	  NULL),
	K("max_trans", CONF_INT, max_trans, "16384", "live SIP transactions",
	  1, 10000000, NULL),
	K("flow_secret", CONF_STR, flow_secret, "",
	  "HMAC key of the flow tokens in Path (empty: random at start)", 0,
	  0, NULL),
	K("token_check", CONF_CHOICE, token_check, "introspect",
	  "REGISTER with Authorization: Bearer (TR 23.701 6.X.2.1.2.1): "
	  "introspect (RFC 7662 at the WWS, steps 6-7), local (signature and "
	  "claims with the WWS's JWK Set) or off (forwarded untouched)",
	  0, 0, token_checks),
	K("ims_from_claims", CONF_BOOL, ims_from_claims, "false",
	  "NOTE 2: IMPU and IMPI from the token's impu/impi claims, not from "
	  "the WWS's lookup (local always uses the claims)",
	  0, 0, NULL),
	K("token_origin", CONF_BOOL, token_origin, "true",
	  "a token is bound to its issuer's Origin: over a WebSocket whose "
	  "Origin is another page's (not the iss URL's, or the ORIGIN of its "
	  "enterprise_wws entry) it is refused 403",
	  0, 0, NULL),
	K("trusted_wws", CONF_STR, trusted_wws, "https://127.0.0.1:8443",
	  "token issuers accepted (comma list of iss URLs, each the WWS base "
	  "URL: <iss>/introspect, <iss>/.well-known/jwks.json; numeric host)",
	  0, 0, NULL),
	K("introspect_client", CONF_STR, introspect_client, "wsf:wsf-secret",
	  "client_id:secret the wsf gives the WWS's /introspect (HTTP Basic, "
	  "RFC 7662 2.1)",
	  0, 0, NULL),
	K("token_audience", CONF_STR, token_audience, "wsf",
	  "aud a token must carry", 0, 0, NULL),
	K("token_leeway_s", CONF_INT, token_leeway_s, "30",
	  "clock skew allowed on exp, nbf and iat, seconds", 0, 3600, NULL),
	K("jwks_refresh_s", CONF_INT, jwks_refresh_s, "300",
	  "a cached JWK Set is fetched again after this (and for an unknown "
	  "kid), seconds",
	  1, 86400, NULL),
	K("wws_ca_file", CONF_STR, wws_ca_file, "",
	  "CA (PEM) to verify the WWS's certificate with; empty: not verified "
	  "(testbed default, self-signed WWS)",
	  0, 0, NULL),
	K("introspect_timeout_ms", CONF_INT, introspect_timeout_ms, "2000",
	  "an HTTPS request to a WWS (introspection, JWK Set) must be "
	  "answered within this, else 503 with Retry-After",
	  10, 600000, NULL),
	K("range_mode", CONF_CHOICE, range_mode, "registration",
	  "a block registration (GIN REGISTER, RFC 6140) from an enterprise "
	  "WWS (TR 23.701 6.X.2.1.3.2): static (challenged and verified by "
	  "the wsf against static_ranges, nothing to IMS) or registration "
	  "(registered in IMS through the P-CSCF)",
	  0, 0, range_modes),
	K("enterprise_wws", CONF_STR, enterprise_wws,
	  "https://127.0.0.1:9443=https://127.0.0.1:9443",
	  "enterprise WWSs: comma list of ORIGIN=ISSUER (the Origin of its "
	  "WebSocket and pages, the iss of its tokens; both added to "
	  "allowed_origins and trusted_wws); empty: none",
	  0, 0, NULL),
	K("static_ranges", CONF_STR, static_ranges,
	  "sip:+15551230![0-9]{3}!@ims.example.com|enterprise@ims.example.com"
	  "|enterprise-pass|https://127.0.0.1:9443",
	  "range_mode=static: the provisioned blocks, ';'-separated "
	  "WILDCARD|IMPI|PASSWORD|ORIGIN (TS 23.003 wildcarded IMPU, its IMS "
	  "Digest credentials, the Origin of its enterprise_wws entry)",
	  0, 0, NULL),
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static bool is_numeric_ip(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

int wsf_conf_check(const struct wsf_conf *c, char *err, size_t n)
{
	/* imstb has no DNS: every address in its config is numeric. */
	if (!is_numeric_ip(c->listen)) {
		snprintf(err, n, "listen: '%s' is not a numeric address",
			 c->listen);
		return -EINVAL;
	}
	if (!is_numeric_ip(c->pcscf_host)) {
		snprintf(err, n, "pcscf_host: '%s' is not a numeric address",
			 c->pcscf_host);
		return -EINVAL;
	}
	if (!sv_trim(sv_from_cstr(c->allowed_origins)).len) {
		snprintf(err, n, "allowed_origins: empty (use * for any)");
		return -EINVAL;
	}
	if (!c->cert[0] || !c->key[0]) {
		snprintf(err, n, "%s: a file name is needed",
			 c->cert[0] ? "key" : "cert");
		return -EINVAL;
	}
	if (strlen(c->flow_secret) > WSF_SECRET_MAX) {
		snprintf(err, n, "flow_secret: at most %d bytes",
			 WSF_SECRET_MAX);
		return -EINVAL;
	}
	if (wsf__range_conf_check(c, err, n))
		return -EINVAL;
	return wsf__token_conf_check(c, err, n);
}

/* ---- traces ----------------------------------------------------------- */

static void on_sip_trace(struct sipt *s, enum sipt_dir dir,
			 const char *transport, const struct sockaddr *local,
			 const struct sockaddr *peer, const char *bytes,
			 size_t len, void *arg)
{
	struct wsf *w = arg;

	UNUSED(s);
	app_trace_sip(w->trace, dir == SIPT_SEND, transport, local, peer,
		      bytes, len);
}

void wsf__http_trace(struct stream *s, bool sent, struct sv start_line,
		     const char *raw, size_t len, void *arg)
{
	struct wsf *w = arg;

	app_trace_http(w->trace, sent, stream_transport(s), stream_local(s),
		       stream_peer(s), start_line, raw, len);
}

/* ---- HTTP: the upgrade, and a note for anything else ------------------ */

static struct sv hdr(const struct http_req *r, const char *name)
{
	const struct http_hdr *h = http_hdr_find(&r->hdrs, name);

	return h ? h->value : SV_NULL;
}

static void refuse(struct http_conn *c, int status, const char *why,
		   const char *extra)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s\n", why);
	http_respond(c, status, "text/plain; charset=utf-8", b.data, b.len,
		     extra);
	buf_close(&b);
}

static void upgrade(struct wsf *w, struct http_conn *c,
		    const struct http_req *req)
{
	static const char *const protocols[] = { "sip", NULL };
	struct stream *s = http_conn_stream(c);
	const struct http_hdr *h;
	struct ws_hs_policy pol = { protocols, true, w->origins };
	struct ws_hs_result res;
	struct stream *up = NULL;
	char peer[SIPT_ADDR_MAX];
	struct buf proto, left;
	int err;

	buf_init(&proto);
	buf_init(&left);
	/* Several Sec-WebSocket-Protocol headers are one list (§4.1). */
	h = http_hdr_find(&req->hdrs, "Sec-WebSocket-Protocol");
	for (; h; h = http_hdr_next(&req->hdrs, h)) {
		if (proto.len)
			buf_puts(&proto, ", ");
		buf_putsv(&proto, h->value);
	}
	err = ws_handshake_check(
		&(struct ws_hs_req){
			.method = req->method,
			.target = req->target,
			.host = hdr(req, "Host"),
			.upgrade = hdr(req, "Upgrade"),
			.connection = hdr(req, "Connection"),
			.key = hdr(req, "Sec-WebSocket-Key"),
			.version = hdr(req, "Sec-WebSocket-Version"),
			.protocol = (struct sv){ proto.data, proto.len },
			.origin = hdr(req, "Origin"),
		},
		&pol, &res);
	sipt_addr_print(stream_peer(s), peer);
	if (err) {
		log_info("upgrade from %s refused: %d %s", peer, res.status,
			 res.reason);
		refuse(c, res.status, res.reason, res.extra);
		goto out;
	}
	if (w->flows.count >= (size_t)w->conf->max_conns) {
		log_warn("upgrade from %s refused: max_conns (%ld) reached",
			 peer, w->conf->max_conns);
		refuse(c, 503, "too many connections", "Retry-After: 5\r\n");
		goto out;
	}
	err = http_conn_upgrade(c, &up, &left);
	if (!err)
		err = wsf__flow_accept(w, up, &res,
				       (struct sv){ left.data, left.len },
				       sv_trim(hdr(req, "Origin")));
	if (err) {
		log_info("upgrade from %s failed: %s", peer, uv_strerror(err));
		if (up) /* detached from HTTP: nobody else would close it */
			stream_abort(up);
	}
out:
	obj_unref(up);
	buf_close(&proto);
	buf_close(&left);
}

static void on_http(struct http_conn *c, const struct http_req *req,
		    void *arg)
{
	static const char note[] =
		"imstb wsf: SIP over WebSocket endpoint (RFC 7118).\n"
		"Open a WebSocket here with Sec-WebSocket-Protocol: sip.\n";
	struct wsf *w = arg;
	bool get = sv_eq_cstr(req->method, "GET") ||
		   sv_eq_cstr(req->method, "HEAD");

	if (req->upgrade || http_hdr_find(&req->hdrs, "Upgrade") ||
	    http_hdr_find(&req->hdrs, "Sec-WebSocket-Key")) {
		upgrade(w, c, req);
		return;
	}
	if (get && sv_eq_cstr(req->path, "/"))
		http_respond(c, 200, "text/plain; charset=utf-8", note,
			     sizeof(note) - 1, NULL);
	else if (get)
		refuse(c, 404, "not found", NULL);
	else
		refuse(c, 405, "only GET (and the WebSocket upgrade)",
		       "Allow: GET, HEAD\r\n");
}

/* ---- life cycle ------------------------------------------------------- */

/* allowed_origins and the enterprise WWSs' Origins into a NULL-terminated
 * array ("*": NULL = any). */
static void origins_split(struct wsf *w, const char *list)
{
	size_t n = 1, k = 0;
	struct buf all;
	char *p;

	if (sv_eq_cstr(sv_trim(sv_from_cstr(list)), "*"))
		return;
	buf_init(&all);
	buf_puts(&all, list);
	for (size_t i = 0; i < wsf__range_ent_count(w); i++)
		buf_printf(&all, ",%s", wsf__range_ent_origin(w, i));
	w->origins_buf = buf_steal(&all, NULL);
	for (p = w->origins_buf; *p; p++)
		n += *p == ',';
	w->origins = xcalloc(n + 1, sizeof(*w->origins));
	for (p = w->origins_buf; p;) {
		char *e = strchr(p, ',');
		struct sv v;

		if (e)
			*e++ = '\0';
		v = sv_trim(sv_from_cstr(p));
		((char *)v.p)[v.len] = '\0';
		if (v.len)
			w->origins[k++] = v.p;
		p = e;
	}
}

static int tls_setup(struct wsf *w, char *err, size_t errlen)
{
	const struct wsf_conf *c = w->conf;
	bool created = false;
	int rc = 0;

	if (access(c->cert, F_OK) && access(c->key, F_OK)) {
		app_mkdir_parent(c->cert);
		app_mkdir_parent(c->key);
		rc = tls_selfsigned_make(c->cert, c->key, "imstb wsf",
					 "localhost,127.0.0.1", &created, err,
					 errlen);
		if (rc)
			goto out;
		log_info("self-signed certificate for localhost,127.0.0.1 "
			 "written to %s (key %s)",
			 c->cert, c->key);
	}
	rc = tls_ctx_server_new(&w->tls, c->cert, c->key, err, errlen);
	if (rc)
		goto out;
	if (c->keylog_file[0]) {
		app_mkdir_parent(c->keylog_file);
		rc = tls_ctx_keylog(w->tls, c->keylog_file);
		if (rc)
			snprintf(err, errlen, "keylog_file: %s: %s",
				 c->keylog_file, strerror(-rc));
	}
out:
	return rc;
}

static int http_setup(struct wsf *w, char *err, size_t errlen)
{
	const struct wsf_conf *c = w->conf;
	/* A client gets handshake_ms for TLS and for its upgrade request
	 * (slow or half-open connections are dropped). */
	struct http_limits lim = {
		.request_timeout_ms = (uint64_t)c->handshake_ms,
		.keepalive_ms = (uint64_t)c->handshake_ms,
		.handshake_ms = (uint64_t)c->handshake_ms,
		.max_conns_per_ip = (unsigned)c->max_conns_per_ip,
	};
	int rc;

	rc = http_server_new(&w->wss, w->loop, c->listen, (uint16_t)c->wss_port,
			     w->tls, &lim, on_http, w);
	if (rc) {
		snprintf(err, errlen, "wss_port %s:%ld: %s", c->listen,
			 c->wss_port, uv_strerror(rc));
		goto out;
	}
	http_server_set_name(w->wss, "imstb-wsf");
	http_server_set_trace(w->wss, wsf__http_trace, w);
	if (!c->ws_port)
		goto out;
	rc = http_server_new(&w->ws, w->loop, c->listen,
			     c->ws_port < 0 ? 0 : (uint16_t)c->ws_port, NULL,
			     &lim, on_http, w);
	if (rc) {
		snprintf(err, errlen, "ws_port %s:%ld: %s", c->listen,
			 c->ws_port, uv_strerror(rc));
		goto out;
	}
	http_server_set_name(w->ws, "imstb-wsf");
	http_server_set_trace(w->ws, wsf__http_trace, w);
out:
	return rc;
}

static int sip_setup(struct wsf *w, char *err, size_t errlen)
{
	const struct wsf_conf *c = w->conf;
	struct sipt_conf sc = { 0 };
	int rc;

	rc = sipt_dest_set(&w->pcscf, c->pcscf_transport ? SIPT_TCP : SIPT_UDP,
			   c->pcscf_host, (uint16_t)c->pcscf_port);
	if (rc) {
		snprintf(err, errlen, "pcscf_host: '%s' is not numeric",
			 c->pcscf_host);
		goto out;
	}
	w->pcscf_tp = c->pcscf_transport ? "tcp" : "udp";
	sc.udp_addr = sc.tcp_addr = c->listen;
	sc.udp_port = sc.tcp_port = (uint16_t)c->sip_port;
	sc.timers = (struct sipt_timers){ (unsigned)c->t1_ms,
					  (unsigned)c->t2_ms,
					  (unsigned)c->t4_ms,
					  (unsigned)c->tcp_idle_ms };
	sc.limits.max_conns = (unsigned)c->max_conns;
	sc.limits.max_trans = (unsigned)c->max_trans;
	sc.limits.max_conns_per_ip = (unsigned)c->max_conns_per_ip;
	sc.limits.max_pending_per_ip = (unsigned)c->max_pending_per_ip;
	sc.rng = w->rng;
	sc.request_cb = wsf__on_request;
	sc.trace_cb = on_sip_trace;
	sc.arg = w;
	app_sipt_fault(&sc, w->trace);
	rc = sipt_new(&w->sipt, w->loop, &sc);
	if (rc) {
		w->sipt = NULL;
		snprintf(err, errlen, "sip_port %s:%ld: %s", c->listen,
			 c->sip_port, uv_strerror(rc));
		goto out;
	}
	w->sip_port = sipt_port(w->sipt, SIPT_UDP);
	snprintf(w->host, sizeof(w->host), strchr(c->listen, ':') ? "[%s]" :
								    "%s",
		 c->listen);
out:
	return rc;
}

int wsf_new(struct wsf **out, uv_loop_t *loop, const struct wsf_conf *conf,
	    struct trace *trace, struct rng *rng, char *err, size_t errlen)
{
	struct wsf *w = xcalloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	w->conf = conf;
	w->loop = loop;
	w->trace = trace;
	w->rng = rng;
	hmap_init(&w->flows);
	ipcount_init(&w->ws_ips);
	rc = wsf__range_setup(w, err, errlen);
	if (rc) {
		wsf_close(w);
		goto out;
	}
	origins_split(w, conf->allowed_origins);
	/* RFC 5626 §5.2: tokens only we can make. */
	w->secret_len = strlen(conf->flow_secret);
	if (w->secret_len) {
		memcpy(w->secret, conf->flow_secret, w->secret_len);
	} else {
		w->secret_len = 32;
		rng_fill(rng, w->secret, w->secret_len);
	}
	w->next_id = rng_u64(rng);
	rc = tls_setup(w, err, errlen);
	if (!rc)
		rc = wsf__token_setup(w, err, errlen);
	if (!rc)
		rc = sip_setup(w, err, errlen);
	if (!rc)
		rc = http_setup(w, err, errlen);
	if (rc) {
		wsf_close(w);
		goto out;
	}
	log_info("WSS certificate %s", conf->cert);
	*out = w;
out:
	return rc;
}

void wsf_close(struct wsf *w)
{
	/* sipt_close asks every WebSocket flow to close (1001 going away,
	 * RFC 6455 §7.4.1) before the servers close their streams, so the
	 * close frames leave first. */
	if (w->sipt)
		sipt_close(w->sipt, NULL, NULL);
	wsf__proxy_close(w);
	wsf__token_close(w);
	wsf__range_close(w);
	wsf__flows_detach(w);
	http_server_free(w->wss);
	http_server_free(w->ws);
	if (w->tls)
		tls_ctx_free(w->tls);
	hmap_close(&w->flows);
	ipcount_close(&w->ws_ips);
	free(w->origins);
	free(w->origins_buf);
	OPENSSL_cleanse(w->secret, sizeof(w->secret));
	free(w);
}

uint16_t wsf_wss_port(const struct wsf *w)
{
	return http_server_port(w->wss);
}

uint16_t wsf_ws_port(const struct wsf *w)
{
	return w->ws ? http_server_port(w->ws) : 0;
}

uint16_t wsf_sip_port(const struct wsf *w)
{
	return w->sip_port;
}

size_t wsf_flow_count(const struct wsf *w)
{
	return w->flows.count;
}
