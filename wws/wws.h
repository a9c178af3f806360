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
 *
 * Enterprise mode ([range], TR 23.701 §6.X.2.1.3; `enterprise = true`, see
 * wws/enterprise.conf: port 9443, domain enterprise.example.org, node
 * "wws-ent"). The WWS holds a block of IMS identities, a TS 23.003 §13.4A
 * wildcarded IMPU (impu_range, default
 * sip:+15551230![0-9]{3}!@ims.example.com: 1000 numbers), and the IMS
 * Digest credentials of the block (range_impi, range_password).
 * - IMPUs for web users (Figure 6.X.2.1.3.3-1): at a successful login the
 *   web user gets one IMPU of the block, kept in SQLite (table range_impus:
 *   impu PRIMARY KEY, webid UNIQUE), so it keeps it across logins and no
 *   IMPU is ever held by two web users. A user provisioned with a specific
 *   IMPU of the block gets that one if it is free; if another web user
 *   holds it, or the user was provisioned with anything else (the block
 *   text), it gets the lowest free one (ims_wildcard_nth). `user remove`
 *   frees it. The /login answer, the token's impu/impi claims (with
 *   token_ims_claims) and /introspect carry that IMPU and impi =
 *   range_impi. A full block answers 503 {"error":
 *   "temporarily_unavailable"}.
 * - Registration of the block (Figure 6.X.2.1.3.2-1 step 1), with
 *   register_range = true, at start: over WSS to wsf_url like a browser
 *   (Origin = the scheme, host and port of issuer, subprotocol sip), one
 *   GIN-shaped REGISTER (RFC 6140):
 *     REGISTER sip:<ims_domain> SIP/2.0
 *     Via: SIP/2.0/WSS <random>.invalid;branch=z9hG4bK...;rport
 *     From: <sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com>;tag=...
 *     To: <sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com>
 *     Contact: <sip:<random>.invalid;transport=ws;bnc>;expires=<range_expires>
 *     Require: gin
 *     Proxy-Require: gin
 *     Supported: path, gin
 *     Authorization: Digest username="<range_impi>", realm="<ims_domain>",
 *       uri="sip:<ims_domain>", nonce="", response=""
 *   From/To carry the wildcarded IMPU with what a SIP URI user part cannot
 *   hold percent-escaped (ims_impu_escape; lib/ims normalizes it back).
 *   The 401 is answered with range_impi/range_password (MD5 or SHA-256,
 *   qop=auth); the registration is refreshed before expiry (TS 24.229
 *   §5.1.1.4: 600 s before when longer than 1200 s, else at half time) and
 *   removed (expires=0) at shutdown, waiting at most 2 s for the answer.
 *   A transport failure, 408 or 5xx is retried after range_retry_s; any
 *   other refusal is final. The outcome is logged and served at
 *   GET /range.json: {"wildcard":"<TS 23.003 text>","aor":"<escaped URI>",
 *   "impi","state":"registered"|"failed"|"pending","status":<last SIP
 *   status, 0 none>,"expires":<s, when registered>,"register_range":bool};
 *   404 when not in enterprise mode.
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
	long max_conns_per_ip; /* issue 9 */
	long request_timeout_ms;
	char *wsf_url; /* what the page connects to (/config.json); also
			  where the block registers */
	/* [range] enterprise mode */
	bool enterprise;
	char *impu_range;     /* TS 23.003 wildcarded IMPU */
	char *range_impi;     /* the block's IMS credentials */
	char *range_password;
	bool register_range;  /* GIN REGISTER at start */
	long range_expires;
	long range_retry_s;   /* 0: never */
	char *wsf_ca_file;    /* empty: the WSF's certificate is not checked */
};

extern const struct conf_key wws_conf_keys[];
extern const char wws_cli_usage[];

struct wws;

/* Checks what the key table cannot: numeric listen address, the HS256
 * secret, the introspect_clients list; in enterprise mode impu_range (a
 * wildcarded IMPU), range_impi (an IMPI), range_password, and wsf_url (a
 * ws or wss URL with a numeric host) when register_range. 0 or
 * -EINVAL with a one-line reason naming the key in err. */
int wws_conf_check(const struct wws_conf *c, char *err, size_t n);

/* Makes what is missing (the self-signed TLS pair, the signing key, the
 * database with the demo user), then listens. trace and rng are borrowed
 * and must outlive w. On failure err says why (-errno returned). */
int wws_new(struct wws **out, uv_loop_t *loop, const struct wws_conf *conf,
	    struct trace *trace, struct rng *rng, char *err, size_t errlen);
/* Stops listening, closes connections and abandons logins in flight;
 * de-registers the block (bounded wait); w is freed once the loop has run
 * what was pending. */
void wws_close(struct wws *w);
uint16_t wws_port(const struct wws *w);

/* The provisioning commands (wws_cli_usage): `user add WEBID PASSWORD
 * IMPU IMPI`, `user list`, `user remove WEBID`, `range list` (who holds
 * which IMPU of the block). Returns the exit status: 0 done, 1 refused, 2
 * bad usage. */
int wws_cli_run(const struct wws_conf *c, int argc, char **argv, FILE *out,
		FILE *err);

#endif
