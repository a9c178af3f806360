/*
 * wsf.h - the WebRTC Signalling Function (TR 23.701 §6.X; the WebSocket
 * half of TS 24.371's eP-CSCF): SIP over WebSocket (RFC 7118) from web
 * clients on one side, SIP over UDP or TCP to the P-CSCF on the other.
 *
 * Client side: an HTTPS server (wss_port) and a plain HTTP one (ws_port)
 * that take WebSocket upgrades with the `sip` subprotocol (RFC 7118 §4:
 * required) from allowed Origins. Each WebSocket connection is a SIP flow;
 * each WebSocket message one SIP message (text or binary frames); CRLF
 * keep-alives (RFC 5626 §4.4.1) get a CRLF back.
 *
 * It is a stateful proxy (RFC 3261 §16). A REGISTER from a client goes to
 * the P-CSCF with a Path naming the connection by a flow token
 * (`<sip:TOKEN@listen:sip_port;transport=udp;lr;ob>`, RFC 5626 §5.2,
 * RFC 3327); the client's Via (WS/WSS, `.invalid` host) stays below ours
 * with received/rport, and its Contact is never rewritten. A request from
 * the IMS side whose top Route (or Request-URI) carries a flow token goes
 * back over that connection: 403 if the token's HMAC is wrong, 430 Flow
 * Failed if the connection is gone (RFC 5626 §5.3).
 *
 * Flow tokens: 16 hex digits of connection id, then 16 hex digits of
 * HMAC-SHA-256(flow_secret, id) cut to 8 bytes. flow_secret "" = 32 random
 * bytes drawn at start (from the seeded rng).
 *
 * challenge = forward (TR 23.701 NOTE 4): the 401 goes to the client.
 * challenge = terminate (NOTE 3): a client on WSS hands its IMS password in
 * `X-IMS-Credential: impi="...", password="..."` (removed before
 * forwarding, kept on that flow only); on a 401 the wsf answers the Digest
 * challenge itself and the client sees only the final answer. CSeq
 * mapping: the wsf's answered REGISTER carries the client's CSeq + 1; from
 * then on every request of that Call-ID on that flow is forwarded with
 * CSeq + k (k = REGISTERs the wsf added) and each response is given back
 * the client's own CSeq, so the client's numbering never collides with the
 * registrar's (RFC 3261 §10.3 item 7). In forward mode the header is
 * removed and ignored.
 *
 * Tokens (TR 23.701 Figure 6.X.2.1.2.1-1, tokencheck.c): a REGISTER whose
 * Authorization is Bearer (`Bearer <jwt>`, RFC 6750 §2.1 / RFC 8898, or TS
 * 24.371's `Bearer access_token="<jwt>"`) is the token flow; with Digest
 * (or none) it is the IMS-credential flow above. token_check picks how:
 * - introspect (steps 6-7): HTTPS POST <iss>/introspect (RFC 7662, form
 *   token=..., HTTP Basic introspect_client) to the WWS named by the
 *   token's iss among trusted_wws, without blocking the loop and bounded
 *   by introspect_timeout_ms; IMPU/IMPI from its answer;
 * - local (the "encryption method"): signature, alg, iss, aud, exp, nbf
 *   checked with the WWS's JWK Set (<iss>/.well-known/jwks.json: fetched
 *   at start, cached per issuer, fetched again after jwks_refresh_s or for
 *   an unknown kid); IMPU/IMPI from the claims (NOTE 2 claims required);
 * - off: Bearer REGISTERs go to IMS untouched (it will not accept them).
 * ims_from_claims (NOTE 2): with introspect too, IMPU/IMPI come from the
 * token's claims (once the WWS said active), not from the WWS's lookup.
 * The To IMPU must equal the token's IMPU. Then the REGISTER goes to the
 * P-CSCF as trusted node authentication (TS 24.229 §5.4.1.2.2, TS 33.203
 * Annex U; steps 8-9): Authorization: Digest username="<IMPI>",
 * realm="<home domain>", uri="sip:<home domain>", nonce="", response="",
 * integrity-protected="auth-done" (home domain: the IMPI's realm). The
 * Editor's Note (protected REGISTER without a WSF-S-CSCF key exchange) is
 * answered that way: TNA over the trusted path, no key exchange.
 * Refusals (nothing reaches IMS):
 *   400 Malformed Bearer credentials   no token in the Bearer value
 *   401 Invalid token, with WWW-Authenticate: Bearer realm="<R-URI host>",
 *       error="invalid_token", error_description="<why>" (RFC 6750 §3.1,
 *       RFC 8898 §2.2): malformed or truncated, bad signature, alg none or
 *       not the key's, unknown kid, expired, not yet valid, wrong aud or
 *       iss, or the WWS answered active:false
 *   403 Unknown token issuer            iss not in trusted_wws
 *   403 token not valid for this IMPU   To IMPU != the token's IMPU
 *   403 token carries no IMS identity   no (valid) IMPU/IMPI to use
 *   503 Token service unavailable, Retry-After: 5: the WWS cannot be
 *       reached, timed out, or answered other than 200 JSON (introspection
 *       or the JWK Set); nothing cached to check with
 * Logs show a token only by its jti (or its first 8 characters).
 *
 * IMPU ranges (TR 23.701 §6.X.2.1.3, range.c). enterprise_wws lists the
 * enterprise WWSs as ORIGIN=ISSUER: the Origin their WebSocket (and their
 * web users' pages) come from and the iss of their tokens; both are added
 * to allowed_origins and trusted_wws.
 * - Figure 6.X.2.1.3.2-1: a REGISTER with `Require: gin` (RFC 6140) from
 *   a flow whose Origin is an enterprise WWS registers a block: To = a
 *   TS 23.003 wildcarded IMPU, percent-escaped where a SIP URI user part
 *   cannot hold it (`sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com`;
 *   lib/ims undoes the escapes), a Contact with `bnc` and no user part,
 *   the IMS Digest credentials of the block's IMPI (see wws/wws.h).
 *   range_mode = static: steps 2-5 are skipped; the wsf challenges it
 *   itself (401, WWW-Authenticate Digest realm="<the IMPI's realm>" with
 *   its own nonce, SHA-256 then MD5, qop=auth), verifies the answer
 *   against static_ranges (step 12) and answers 200 with the Contact and
 *   its expires, `P-Associated-URI: <the escaped wildcard>` and
 *   `Supported: gin`. Nothing reaches IMS.
 *   range_mode = registration: the REGISTER goes to the P-CSCF like any
 *   other (Require/Proxy-Require gin kept, our Path with the flow token;
 *   steps 2-3, 8-9); IMS's 401 and 200 are relayed (4-6, 10-12). A 200
 *   that lists the bnc Contact records the block for its expires.
 *   Either way the block then belongs to that WWS until it expires or is
 *   de-registered (expires=0 or Contact: *): that ends every web user's
 *   registration taken from it, and later non-REGISTER requests on their
 *   flows get 403 "Registration ended: block de-registered".
 *   Refusals: 403 "GIN registration only from an enterprise WWS" (other
 *   Origin), 403 "GIN needs a wildcarded IMPU"; static mode also 403
 *   "Block not provisioned for this WWS" (not in static_ranges with that
 *   WWS's Origin), 403 "Wrong credentials" (wrong IMPI or response), 400
 *   "GIN Contact without bnc".
 * - Figure 6.X.2.1.3.3-1: a token whose iss is an enterprise WWS, once
 *   checked (steps 6-7 or local, as above, To = the token's IMPU), is
 *   answered by the wsf itself (step 8) with no IMS registration: 200
 *   with the Contact(s) and expires and `P-Associated-URI: <IMPU>` if the
 *   IMPU is inside a block registered by THAT WWS (ims_wildcard_match);
 *   403 "IMPU outside the block of <iss>" if that WWS has blocks but none
 *   holds it (an IMPU of another WWS's block included); 403 "block not
 *   registered" if that WWS has none registered now. Expires 0 ends it.
 *   A token of any other WWS (the operator's too) for an IMPU inside a
 *   registered block: 403 "IMPU belongs to the block of <its WWS>".
 *   Two registrations of one IMPU (two tokens for it): the later replaces
 *   the earlier (the WWS gives each web user a distinct IMPU, so this
 *   only happens with a re-used or shared token). Closing the flow ends
 *   its registrations.
 * All of it is kept in memory and expires lazily (checked at each GIN
 * REGISTER or web user registration).
 */
#ifndef IMSTB_WSF_H
#define IMSTB_WSF_H

#include <uv.h>

#include "app/app.h"

enum wsf_challenge { WSF_CHAL_FORWARD = 0, WSF_CHAL_TERMINATE };
enum wsf_token_check { WSF_TOK_OFF = 0, WSF_TOK_INTROSPECT, WSF_TOK_LOCAL };
enum wsf_range_mode { WSF_RANGE_STATIC = 0, WSF_RANGE_REGISTRATION };

struct wsf_conf {
	struct app_common common;
	char *listen;
	long wss_port;  /* 0: OS-chosen */
	long ws_port;   /* 0: off; -1: OS-chosen (tests) */
	long sip_port;  /* UDP and TCP; 0: OS-chosen */
	char *pcscf_host;
	long pcscf_port;
	int pcscf_transport; /* 0 udp, 1 tcp */
	char *cert, *key;    /* PEM files; both missing: self-signed made */
	char *keylog_file;
	char *allowed_origins; /* comma list; "*" = any (Origin optional) */
	int challenge;         /* enum wsf_challenge */
	long ping_ms, idle_ms, handshake_ms;
	long max_msg, max_conns;
	long max_conns_per_ip, max_pending_per_ip; /* issue 9 */
	long t1_ms, t2_ms, t4_ms, tcp_idle_ms, max_trans;
	char *flow_secret;
	/* tokens (see above) */
	int token_check;       /* enum wsf_token_check */
	bool ims_from_claims;  /* NOTE 2 */
	bool token_origin;     /* a token only from its issuer's Origin */
	char *trusted_wws;     /* comma list of issuer URLs = WWS base URLs */
	char *introspect_client; /* "client_id:secret" (HTTP Basic) */
	char *token_audience;
	char *wws_ca_file;     /* "": the WWS certificate is not verified */
	long token_leeway_s, jwks_refresh_s, introspect_timeout_ms;
	/* IMPU ranges (see above) */
	int range_mode;	      /* enum wsf_range_mode */
	char *enterprise_wws; /* comma list of ORIGIN=ISSUER */
	char *static_ranges;  /* WILDCARD|IMPI|PASSWORD|ORIGIN;... */
};

extern const struct conf_key wsf_conf_keys[];

struct wsf;

/* Checks what the key table cannot (numeric addresses, origins, the
 * trusted_wws URLs: https:// or http://, numeric host). 0, or
 * -EINVAL with a one-line reason naming the key in err. */
int wsf_conf_check(const struct wsf_conf *c, char *err, size_t n);

/* Makes the certificate if needed, binds the listeners (WSS, WS, SIP UDP
 * and TCP). On failure err names the cause: -EADDRINUSE and other libuv
 * errors, -ENOENT/-EINVAL for certificate files. trace, rng and conf are
 * borrowed and must outlive w. */
int wsf_new(struct wsf **out, uv_loop_t *loop, const struct wsf_conf *conf,
	    struct trace *trace, struct rng *rng, char *err, size_t errlen);
/* Closes every WebSocket connection (1001 going away), the listeners and
 * the SIP stack; frees w at once (handles finish closing on the loop). */
void wsf_close(struct wsf *w);

uint16_t wsf_wss_port(const struct wsf *w);
uint16_t wsf_ws_port(const struct wsf *w); /* 0 when off */
uint16_t wsf_sip_port(const struct wsf *w);
/* Open WebSocket flows. */
size_t wsf_flow_count(const struct wsf *w);
/* Blocks registered now, and web users' registrations taken from them
 * (what has expired is dropped first). */
size_t wsf_range_block_count(struct wsf *w);
size_t wsf_range_client_count(struct wsf *w);

#endif
