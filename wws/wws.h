/*
 * wws.h - the WebRTC Web Server (WWS/WWSF with the WAF co-located, TR
 * 23.701 §6.X, TS 24.371 §5): an HTTPS server that
 * - serves the web client page and its script (Figure 6.X.2.1.2.2-1 and
 *   6.X.2.1.2.1-1 step 1);
 * - logs web users in: POST /login with {"id","password"} (step 2-3). A
 *   web id of its own user table is checked against a PBKDF2-HMAC-SHA256
 *   hash (run off the loop) and answered with a signed JWT (lib/token)
 *   and the IMPU/IMPI the web id maps to; an IMS identity (a sip:/sips:/
 *   tel: URI, or an NAI of ims_domain) is answered "ims_auth_required":
 *   the WWS cannot authenticate it, the IMS core must (Figure
 *   6.X.2.1.2.2-1 step 3);
 * - publishes its token signing key(s) as a JWK Set (RFC 7517) at
 *   /.well-known/jwks.json, for a WSF that checks tokens locally;
 * - answers token introspection (RFC 7662) at POST /introspect, only to
 *   a client that authenticates with HTTP Basic (RFC 7662 §2.1 with RFC
 *   6749 §2.3.1: client_id:secret pairs from introspect_clients; the WSF's
 *   steps 6-7); the IMPU/IMPI come from the user table.
 *
 * JSON answers of /login (the shared contract with client-sim and wsf):
 *   200 {"result":"ok","id","impu","impi","token","token_type":"Bearer",
 *        "expires_in"}
 *   200 {"result":"ims_auth_required","id","impu","impi" (null when not
 *        derivable),"error_description"}
 *   401 {"error":"invalid_credentials","error_description"}
 *   400 {"error":"invalid_request","error_description"}  (bad JSON, no id,
 *        no password for a web id); 415 when not application/json.
 * /introspect: 200 {"active":true,"sub","username","impu","impi","iat",
 *   "exp","iss","aud","jti","token_type":"Bearer"} or {"active":false};
 *   401 {"error":"invalid_client"} with WWW-Authenticate: Basic realm="wws".
 *
 * Tokens: claims iss, sub (the web id), aud, iat, exp, jti, and impu/impi
 * with token_ims_claims (TR 23.701 NOTE 2). Each jti issued is kept in the
 * database with its web id, so introspection answers active only for a
 * token this WWS issued (and did not revoke) to a user still provisioned.
 */
#ifndef IMSTB_WWS_H
#define IMSTB_WWS_H

#include <stdio.h>
#include <uv.h>

#include "app/app.h"

struct wws_conf {
	struct app_common common;
	char *listen;
	long port;
	char *cert, *key;
	char *keylog_file;
	char *db;
	bool provision_demo;
	char *domain;	   /* the web domain of web ids */
	char *ims_domain;  /* identities of this domain are IMS ones */
	char *issuer;	   /* iss */
	char *audience;	   /* aud */
	int token_alg;	   /* enum token_alg */
	char *signing_key; /* empty: var/wws/signing-<alg>.pem */
	char *hs256_secret;
	char *token_kid; /* empty: RFC 7638 thumbprint */
	long token_ttl_s;
	bool token_ims_claims;
	char *introspect_clients; /* "id:secret,id:secret" */
	long pbkdf2_iterations;
	long max_body;
	long request_timeout_ms;
	char *wsf_url; /* what the page connects to (/config.json) */
};

extern const struct conf_key wws_conf_keys[];
extern const char wws_cli_usage[];

struct wws;

/* Checks what the key table cannot: numeric listen address, the HS256
 * secret, the introspect_clients list. 0 or -EINVAL with a one-line
 * reason naming the key in err. */
int wws_conf_check(const struct wws_conf *c, char *err, size_t n);

/* Makes what is missing (the self-signed TLS pair, the signing key, the
 * database with the demo user), then listens. trace and rng are borrowed
 * and must outlive w. On failure err says why (-errno returned). */
int wws_new(struct wws **out, uv_loop_t *loop, const struct wws_conf *conf,
	    struct trace *trace, struct rng *rng, char *err, size_t errlen);
/* Stops listening, closes connections and abandons logins in flight;
 * w is freed once the loop has run what was pending. */
void wws_close(struct wws *w);
uint16_t wws_port(const struct wws *w);

/* The provisioning commands (wws_cli_usage): `user add WEBID PASSWORD
 * IMPU IMPI`, `user list`, `user remove WEBID`. Returns the exit status:
 * 0 done, 1 refused, 2 bad usage. */
int wws_cli_run(const struct wws_conf *c, int argc, char **argv, FILE *out,
		FILE *err);

#endif
