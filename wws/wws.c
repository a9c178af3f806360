/* wws.c - the WWS process object: configuration, start-up (TLS pair,
 * signing key, database, demo user), the HTTPS server and shutdown. */
#include "wws_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ims/ims.h"
#include "wsflow/wsflow.h"

static const char *const algs[] = { "ES256", "RS256", "HS256", NULL };

/* clang-format off */
#define K(name, type, field, def, help, lo, hi, choices) \
	{ name, type, offsetof(struct wws_conf, field), def, help, lo, hi, \
	  choices }
/* clang-format on */

const struct conf_key wws_conf_keys[] = {
	APP_COMMON_KEYS(struct wws_conf, "wws"),
	K("listen", CONF_STR, listen, "127.0.0.1",
	  "address for HTTPS (numeric)", 0, 0, NULL),
	K("port", CONF_INT, port, "8443", "HTTPS port (0: OS-chosen)", 0, 65535,
	  NULL),
	K("cert", CONF_STR, cert, "var/wws/cert.pem",
	  "TLS certificate (PEM); with key, made self-signed (localhost, "
	  "127.0.0.1) on first start if missing",
	  0, 0, NULL),
	K("key", CONF_STR, key, "var/wws/key.pem", "its private key (PEM)", 0,
	  0, NULL),
	K("keylog_file", CONF_STR, keylog_file, "",
	  "append TLS secrets here (SSLKEYLOGFILE format, for Wireshark; "
	  "empty: off)",
	  0, 0, NULL),
	K("db", CONF_STR, db, "var/wws/wws.db",
	  "SQLite file of web users and issued tokens (created if missing)", 0,
	  0, NULL),
	K("provision_demo", CONF_BOOL, provision_demo, "true",
	  "a new db gets the demo user alice@<domain> / alice-web -> "
	  "sip:alice@<ims_domain>, alice@<ims_domain>",
	  0, 0, NULL),
	K("domain", CONF_STR, domain, "web.example.com",
	  "the web domain of the WWS's own web ids", 0, 0, NULL),
	K("ims_domain", CONF_STR, ims_domain, "ims.example.com",
	  "IMS home domain: sip:/tel: URIs and user@<ims_domain> are IMS "
	  "identities, answered ims_auth_required",
	  0, 0, NULL),
	K("issuer", CONF_STR, issuer, "https://127.0.0.1:8443",
	  "token iss claim", 0, 0, NULL),
	K("audience", CONF_STR, audience, "wsf", "token aud claim", 0, 0, NULL),
	K("token_alg", CONF_CHOICE, token_alg, "ES256",
	  "token signature: ES256 (P-256), RS256 (RSA 2048) or HS256 "
	  "(hs256_secret)",
	  0, 0, algs),
	K("signing_key", CONF_STR, signing_key, "",
	  "PEM private key for ES256/RS256, generated on first start if "
	  "missing (empty: var/wws/signing-<alg>.pem)",
	  0, 0, NULL),
	K("hs256_secret", CONF_STR, hs256_secret, "",
	  "shared secret for HS256, at least 32 bytes (required then)", 0, 0,
	  NULL),
	K("token_kid", CONF_STR, token_kid, "",
	  "kid of the signing key (empty: its RFC 7638 thumbprint; HS256: "
	  "hs256)",
	  0, 0, NULL),
	K("token_ttl_s", CONF_INT, token_ttl_s, "300",
	  "token lifetime (exp - iat), seconds", 1, 86400, NULL),
	K("token_ims_claims", CONF_BOOL, token_ims_claims, "false",
	  "TR 23.701 NOTE 2: tokens also carry impu and impi claims", 0, 0,
	  NULL),
	K("introspect_clients", CONF_STR, introspect_clients, "wsf:wsf-secret",
	  "client_id:secret,... allowed to POST /introspect with HTTP Basic "
	  "(RFC 7662 2.1; empty: nobody)",
	  0, 0, NULL),
	K("pbkdf2_iterations", CONF_INT, pbkdf2_iterations, "100000",
	  "PBKDF2-HMAC-SHA256 iterations for new passwords (each user keeps "
	  "its own count; tests may lower it)",
	  1, 10000000, NULL),
	K("max_body", CONF_INT, max_body, "65536",
	  "largest request body, bytes (else 413)", 64, 16777216, NULL),
	K("max_conns_per_ip", CONF_INT, max_conns_per_ip, "256",
	  "open HTTPS connections from one IP address (more: 503 with "
	  "Retry-After: 5, then close); 0 = no limit",
	  0, 1000000, NULL),
	K("request_timeout_ms", CONF_INT, request_timeout_ms, "10000",
	  "a request (and a TLS handshake) must be complete within this, "
	  "else 408 and close",
	  50, 600000, NULL),
	K("wsf_url", CONF_STR, wsf_url, "wss://127.0.0.1:7443",
	  "the WSF the page connects to (served in /config.json); in "
	  "enterprise mode also where the block registers",
	  0, 0, NULL),
	K("enterprise", CONF_BOOL, enterprise, "false",
	  "enterprise WWS (TR 23.701 6.X.2.1.3): web users take IMPUs from "
	  "impu_range; the demo user is carol@<domain> / carol-web",
	  0, 0, NULL),
	K("impu_range", CONF_STR, impu_range,
	  "sip:+15551230![0-9]{3}!@ims.example.com",
	  "the block of IMPUs, a TS 23.003 wildcarded IMPU (the part between "
	  "the '!' is a POSIX ERE)",
	  0, 0, NULL),
	K("range_impi", CONF_STR, range_impi, "enterprise@ims.example.com",
	  "IMPI of the block's IMS Digest credentials (also the impi of its "
	  "web users)",
	  0, 0, NULL),
	K("range_password", CONF_STR, range_password, "enterprise-pass",
	  "password of range_impi", 0, 0, NULL),
	K("register_range", CONF_BOOL, register_range, "false",
	  "enterprise: register the block with the WSF at start (one "
	  "GIN-shaped REGISTER, RFC 6140), refresh it, de-register it at "
	  "shutdown; outcome at /range.json",
	  0, 0, NULL),
	K("range_expires", CONF_INT, range_expires, "3600",
	  "expires asked for the block's registration, seconds", 60, 604800,
	  NULL),
	K("range_retry_s", CONF_INT, range_retry_s, "10",
	  "after a transport failure, 408 or 5xx, register again after this "
	  "(0: never)",
	  0, 86400, NULL),
	K("wsf_ca_file", CONF_STR, wsf_ca_file, "",
	  "CA (PEM) to check the WSF's certificate with (empty: not checked, "
	  "the testbed's self-signed one)",
	  0, 0, NULL),
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* Splits "id:secret,id:secret" into w->clients (w NULL: only checks). */
static int clients_parse(const char *list, struct wws *w)
{
	struct sv rest = sv_from_cstr(list), item, id;
	size_t n = 0;

	while (rest.len) {
		rest = sv_split(rest, ',', &item);
		item = sv_trim(item);
		if (!item.len)
			continue;
		item = sv_split(item, ':', &id);
		if (!id.len || !item.len || id.len >= WWS_ID_MAX ||
		    item.len >= WWS_ID_MAX)
			return -EINVAL;
		if (w) {
			w->clients = xrealloc(w->clients,
					      (n + 1) * sizeof(*w->clients));
			w->clients[n].id = sv_dup(id);
			w->clients[n].secret = sv_dup(item);
			w->nclients = n + 1;
		}
		n++;
	}
	return 0;
}

/* [range]: what enterprise mode needs. */
static int enterprise_check(const struct wws_conf *c, char *err, size_t n)
{
	struct ims_wildcard *w = NULL;
	struct wsflow_url u;
	const char *why = "";
	struct buf b;
	int rc = -EINVAL;

	buf_init(&b);
	if (ims_impu_normalize(sv_from_cstr(c->impu_range), &b) ||
	    ims_wildcard_parse((struct sv){ b.data, b.len }, &w, NULL))
		snprintf(err, n,
			 "impu_range: '%s' is not a wildcarded IMPU "
			 "(sip:prefix!ERE!suffix@domain)",
			 c->impu_range);
	else if (ims_impi_check(sv_from_cstr(c->range_impi), NULL))
		snprintf(err, n, "range_impi: '%s' is not an IMPI (user@realm)",
			 c->range_impi);
	else if (!c->range_password[0])
		snprintf(err, n, "range_password: must not be empty");
	else if (c->register_range && wsflow_url_parse(&u, c->wsf_url, &why))
		snprintf(err, n, "wsf_url: '%s': %s", c->wsf_url, why);
	else
		rc = 0;
	ims_wildcard_free(w);
	buf_close(&b);
	return rc;
}

int wws_conf_check(const struct wws_conf *c, char *err, size_t n)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int rc = -EINVAL;

	if (uv_ip4_addr(c->listen, 0, &s4) && uv_ip6_addr(c->listen, 0, &s6))
		snprintf(err, n, "listen: '%s' is not a numeric address",
			 c->listen);
	else if (c->token_alg == TOKEN_HS256 && strlen(c->hs256_secret) < 32)
		snprintf(err, n,
			 "hs256_secret: HS256 needs a secret of at "
			 "least 32 bytes (RFC 7518 3.2)");
	else if (!c->issuer[0] || !c->audience[0])
		snprintf(err, n, "%s: must not be empty",
			 c->issuer[0] ? "audience" : "issuer");
	else if (!c->ims_domain[0] || !c->domain[0])
		snprintf(err, n, "%s: must not be empty",
			 c->domain[0] ? "ims_domain" : "domain");
	else if (clients_parse(c->introspect_clients, NULL))
		snprintf(err, n,
			 "introspect_clients: expected "
			 "client_id:secret[,client_id:secret...]");
	else if (!c->db[0] || !c->cert[0] || !c->key[0])
		snprintf(err, n, "db, cert and key: must not be empty");
	else if (c->enterprise)
		rc = enterprise_check(c, err, n);
	else
		rc = 0;
	return rc;
}

static void on_trace(struct stream *s, bool sent, struct sv start_line,
		     const char *raw, size_t len, void *arg)
{
	struct wws *w = arg;

	app_trace_http(w->trace, sent, stream_transport(s), stream_local(s),
		       stream_peer(s), start_line, raw, len);
}

static void wws_free(struct wws *w)
{
	for (size_t i = 0; i < w->nclients; i++) {
		free(w->clients[i].id);
		free(w->clients[i].secret);
	}
	free(w->clients);
	token_signer_free(w->signer);
	token_verifier_free(w->verifier);
	wws_users_close(w->users);
	ims_wildcard_free(w->block);
	tls_ctx_free(w->tls);
	buf_close(&w->jwks);
	buf_close(&w->config);
	free(w);
}

void wws__maybe_free(struct wws *w)
{
	if (w->closing && !w->logins && !w->range)
		wws_free(w);
}

static int tls_setup(struct wws *w, char *err, size_t errlen)
{
	const struct wws_conf *c = w->conf;
	bool created = false;
	int rc;

	app_mkdir_parent(c->cert);
	app_mkdir_parent(c->key);
	rc = tls_selfsigned_make(c->cert, c->key, "wws", "localhost,127.0.0.1",
				 &created, err, errlen);
	if (rc)
		return rc;
	log_info("TLS certificate %s, key %s%s", c->cert, c->key,
		 created ? " (new, self-signed for localhost, 127.0.0.1)" : "");
	rc = tls_ctx_server_new(&w->tls, c->cert, c->key, err, errlen);
	if (!rc && c->keylog_file[0]) {
		app_mkdir_parent(c->keylog_file);
		rc = tls_ctx_keylog(w->tls, c->keylog_file);
		if (rc)
			snprintf(err, errlen, "keylog_file %s: %s",
				 c->keylog_file, strerror(-rc));
	}
	return rc;
}

static int signer_setup(struct wws *w, char *err, size_t errlen)
{
	const struct wws_conf *c = w->conf;
	enum token_alg alg = (enum token_alg)c->token_alg;
	char path[512];
	bool created = false;
	int rc;

	if (alg == TOKEN_HS256) {
		rc = token_signer_new(&w->signer, alg, c->hs256_secret,
				      c->token_kid, err, errlen);
		goto out;
	}
	if (c->signing_key[0])
		snprintf(path, sizeof(path), "%s", c->signing_key);
	else
		snprintf(path, sizeof(path), "var/wws/signing-%s.pem",
			 alg == TOKEN_ES256 ? "es256" : "rs256");
	app_mkdir_parent(path);
	rc = token_key_make(alg, path, &created, err, errlen);
	if (!rc)
		rc = token_signer_new(&w->signer, alg, path, c->token_kid, err,
				      errlen);
	if (!rc)
		log_info("token signing key %s%s", path,
			 created ? " (new)" : "");
out:
	if (rc)
		return rc;
	token_verifier_new_from_signer(&w->verifier, w->signer);
	token_jwks_print(w->signer, &w->jwks);
	log_info("tokens: %s, kid %s, iss %s, aud %s, ttl %lds%s",
		 token_alg_name(alg), token_signer_kid(w->signer), c->issuer,
		 c->audience, c->token_ttl_s,
		 c->token_ims_claims ? ", with impu/impi claims (NOTE 2)" : "");
	return 0;
}

int wws__users_setup(const struct wws_conf *c, struct wws_users **out,
		     char *err, size_t errlen)
{
	struct buf id, impu, impi;
	const char *pw = c->enterprise ? "carol-web" : "alice-web";
	bool created = false;
	int rc;

	app_mkdir_parent(c->db);
	rc = wws_users_open(out, c->db, &created, err, errlen);
	if (rc || !created || !c->provision_demo)
		return rc;
	buf_init(&id);
	buf_init(&impu);
	buf_init(&impi);
	if (c->enterprise) {
		/* [range]: an IMPU of the block is assigned at login */
		buf_printf(&id, "carol@%s", c->domain);
		buf_puts(&impu, c->impu_range);
		buf_puts(&impi, c->range_impi);
	} else {
		buf_printf(&id, "alice@%s", c->domain);
		buf_printf(&impu, "sip:alice@%s", c->ims_domain);
		buf_printf(&impi, "alice@%s", c->ims_domain);
	}
	rc = wws_users_add(*out, id.data, pw, impu.data, impi.data,
			   c->pbkdf2_iterations);
	if (rc) {
		snprintf(err, errlen, "db %s: demo user %s: %s", c->db, id.data,
			 strerror(-rc));
		wws_users_close(*out);
		*out = NULL;
	} else {
		/* the password stays out of the log (issue 9) */
		log_info("new db %s: demo user %s -> %s, %s", c->db, id.data,
			 impu.data, impi.data);
	}
	buf_close(&id);
	buf_close(&impu);
	buf_close(&impi);
	return rc;
}

int wws_new(struct wws **out, uv_loop_t *loop, const struct wws_conf *conf,
	    struct trace *trace, struct rng *rng, char *err, size_t errlen)
{
	struct wws *w = xcalloc(1, sizeof(*w));
	struct http_limits lim = { 0 };
	json_t *j;
	char *txt;
	int rc;

	*out = NULL;
	w->conf = conf;
	w->loop = loop;
	w->trace = trace;
	w->rng = rng;
	buf_init(&w->jwks);
	buf_init(&w->config);
	rc = wws_conf_check(conf, err, errlen);
	if (!rc)
		rc = clients_parse(conf->introspect_clients, w);
	if (!rc)
		rc = tls_setup(w, err, errlen);
	if (!rc)
		rc = signer_setup(w, err, errlen);
	if (!rc)
		rc = wws__users_setup(conf, &w->users, err, errlen);
	if (rc)
		goto fail;
	rc = wws__block_setup(w, err, errlen);
	if (rc)
		goto fail;
	j = json_pack("{s:s,s:s,s:s}", "wsf_url", conf->wsf_url, "domain",
		      conf->domain, "ims_domain", conf->ims_domain);
	txt = json_dumps(j, JSON_COMPACT);
	buf_puts(&w->config, txt);
	free(txt);
	json_decref(j);
	lim.max_body = (size_t)conf->max_body;
	lim.request_timeout_ms = (uint64_t)conf->request_timeout_ms;
	lim.handshake_ms = (uint64_t)conf->request_timeout_ms;
	lim.max_conns_per_ip = (unsigned)conf->max_conns_per_ip;
	rc = http_server_new(&w->srv, loop, conf->listen, (uint16_t)conf->port,
			     w->tls, &lim, wws__handle, w);
	if (rc) {
		snprintf(err, errlen, "listen on %s:%ld: %s", conf->listen,
			 conf->port, uv_strerror(rc));
		goto fail;
	}
	http_server_set_name(w->srv, "imstb-wws");
	http_server_set_trace(w->srv, on_trace, w);
	if (conf->enterprise && conf->register_range) {
		rc = wws__range_start(w, err, errlen);
		if (rc) {
			http_server_free(w->srv);
			goto fail;
		}
	}
	*out = w;
	return 0;
fail:
	wws_free(w);
	return rc < 0 ? rc : -EINVAL;
}

void wws_close(struct wws *w)
{
	if (!w || w->closing)
		return;
	w->closing = true;
	http_server_free(w->srv);
	w->srv = NULL;
	if (w->range)
		wws__range_stop(w); /* frees w at the end, if last */
	if (wws__logins_cancel(w) && !w->range)
		wws_free(w);
}

uint16_t wws_port(const struct wws *w)
{
	return http_server_port(w->srv);
}
