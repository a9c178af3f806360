/*
 * client.h - the client-sim role: an IMS UE registering over SIP UDP or
 * TCP through the P-CSCF (TS 24.229 §5.1.1) with SIP Digest (TS 33.203
 * Annex N, RFC 7616/8760); or, in WebRTC mode (TR 23.701 Figure
 * 6.X.2.1.2.2-1), a WebRTC client: HTTPS to the WWS (page, login: steps
 * 1-3) and SIP over a secure WebSocket (RFC 7118) to the WSF (steps 4-14).
 *
 * One struct client holds any number of user agents (UAs), each named by
 * the caller and found by name in a hash map, all sharing one sipt stack
 * (one UDP socket and one TCP listener; TCP connections to the P-CSCF are
 * reused). There is no thread and no blocking call: a load test can run
 * thousands of UAs on one loop.
 *
 * Per UA (24.229 §5.1.1.2, RFC 3261 §10.2, RFC 3327, RFC 3608):
 * - the initial REGISTER carries the IMS initial Authorization (empty
 *   nonce and response), Supported: path, and a Contact with expires and
 *   +sip.instance (RFC 5626 §4.1); Call-ID and From tag last the UA's life;
 * - a 401 is answered once with the first challenge it supports (MD5 or
 *   SHA-256, qop=auth); another 401 after that answer fails the operation
 *   ("Wrong credentials") unless it says stale=true (answered once more);
 * - a 200 yields the granted expires (our Contact's, else Expires), the
 *   Service-Route list (kept as the preloaded route of later requests) and
 *   the P-Associated-URI list;
 * - re-registration runs by itself 600 s before expiry when expires >
 *   1200 s, else at half the expires (24.229 §5.1.1.4), reusing the last
 *   nonce with the next nonce-count and answering a new challenge;
 * - de-registration is a REGISTER with Expires: 0 and the same Contact
 *   (expires=0), 24.229 §5.1.1.6.
 * A failed refresh leaves the UA unregistered; a failed de-registration
 * leaves it registered.
 *
 * WebRTC mode (register via=ws|wss, RFC 7118, as JsSIP and SIP.js do):
 * each UA opens its own WebSocket to the WSF (protocol "sip", Origin the
 * WWS origin) before its first REGISTER and keeps it for refreshes and
 * de-registration; Via is `SIP/2.0/WSS <random>.invalid`, the Contact
 * `<sip:<random>@<random>.invalid;transport=ws>` with +sip.instance and
 * reg-id=1 (RFC 5626). With credential=terminate (NOTE 3) every REGISTER
 * also carries `X-IMS-Credential: impi="..", password=".."` (over WSS
 * only) for the WSF to answer the 401 itself; with auth=bearer it carries
 * `Authorization: Bearer <token>` (RFC 8898) instead of Digest: the token=
 * given, else the token of the last `web NAME login` at the time of each
 * REGISTER (so a refresh after a new login carries the fresh token).
 * The `web` commands speak HTTP(S) to the WWS: `get` downloads a page and
 * the scripts it names, `login` posts {"id","password"} (wws JSON API).
 *
 * Outcomes are reported as JSON objects (jansson) through the event
 * callback: registered, refreshed, deregistered, page, login, failed,
 * error.
 */
#ifndef IMSTB_CLIENT_H
#define IMSTB_CLIENT_H

#include <jansson.h>
#include <uv.h>

#include "app/app.h"

/* Longest command line accepted (bytes, without the newline). */
#define CLIENT_LINE_MAX 4096

struct client_conf {
	struct app_common common;
	char *pcscf_host;
	long pcscf_port;
	int transport; /* CLIENT_TR_*: the default of `register` */
	char *listen;
	long port;
	char *home_domain;
	long expires; /* what a UE proposes (24.229 §5.1.1.2.1) */
	char *user_agent;
	long t1_ms, t2_ms, t4_ms, tcp_idle_ms;
	long max_conns, max_trans;
	/* WebRTC mode */
	char *wsf_url;	   /* the WSF: a wss or ws URL with ip:port */
	char *wws_url;	   /* https://ip:port of the WWS (origin, web) */
	char *ca_file;	   /* "" = do not verify TLS peers (testbed) */
	char *keylog_file; /* "" = off; else NSS key log for Wireshark */
	long http_timeout_ms;
	long ws_ping_ms;
};

/* Transports of `register` (conf `transport`, option via=/transport=). */
enum client_tr {
	CLIENT_TR_UDP = 0,
	CLIENT_TR_TCP,
	CLIENT_TR_WS,  /* SIP over WebSocket (RFC 7118), plain */
	CLIENT_TR_WSS, /* ... over TLS */
};

extern const struct conf_key client_conf_keys[];

struct client;

/*
 * One outcome. ev is borrowed (valid during the call). Fields:
 *   {"event":"registered"|"refreshed","ua":N,"status":200,"expires":S,
 *    "service_route":[uri...],"associated_uris":[uri...],"contacts":K}
 *   {"event":"deregistered","ua":N,"status":200,"contacts":K}
 *   {"event":"failed","ua":N,"op":"register"|"refresh"|"deregister"|
 *    "get"|"login","status":S,"reason":R}   (status 408 for Timer F, 0
 *    for local errors: no connection, TLS, WebSocket handshake refused)
 *   {"event":"page","ua":N,"status":200,"url":U,"bytes":B,"scripts":K,
 *    "script_bytes":SB}   a page and the K scripts it names, downloaded
 *   {"event":"login","ua":N,"status":200,"result":"ok"|
 *    "ims_auth_required","id":ID,"impu":..,"impi":..[,"token":JWT,
 *    "token_type":"Bearer","expires_in":S]}   the WWS's answer
 *   {"event":"forgotten","ua":N}   an idle UA dropped (`forget`)
 *   {"event":"error","reason":R[,"ua":N]}   a refused command
 * The callback may call client_close (then no other event follows).
 */
typedef void client_event_cb(const json_t *ev, void *arg);
typedef void client_drained_cb(void *arg);

/* Binds the SIP listeners (listen:port, UDP and TCP). conf, trace and rng
 * are borrowed and must outlive the role. -EINVAL (bad address), or a
 * libuv error such as -EADDRINUSE. */
int client_new(struct client **out, uv_loop_t *loop,
	       const struct client_conf *conf, struct trace *trace,
	       struct rng *rng, client_event_cb *cb, void *arg);
/* Closes every handle without de-registering; c is freed once they are
 * closed (run the loop). No callback runs afterwards. */
void client_close(struct client *c);

/* What `register` takes. expires 0 = conf.expires; transport -1 = conf. */
struct client_reg_args {
	const char *name, *impu, *impi, *password;
	long expires;
	int transport; /* -1 conf, else enum client_tr */
	/* WebRTC mode (transport ws or wss) */
	const char *url;    /* the WSF; NULL = conf.wsf_url */
	const char *origin; /* Origin; NULL = conf.wws_url's origin */
	bool terminate;	    /* X-IMS-Credential for the WSF (NOTE 3) */
	bool bearer;	    /* Authorization: Bearer token */
	const char *token;  /* NULL = the token of `web NAME login` */
};

/* Start an operation. 0: started; its outcome comes as an event (a local
 * failure to send is a `failed` event too). A refusal returns without an
 * event: -EINVAL bad argument, -ENOENT no such UA, -EBUSY an operation in
 * flight or (register) already registered, -EPROTO (refresh, deregister)
 * not registered, -ECANCELED closing or draining.
 * register on an existing idle (not registered) name replaces that UA. */
int client_register(struct client *c, const struct client_reg_args *a);
int client_refresh(struct client *c, const char *name);
int client_deregister(struct client *c, const char *name);
/* Drops an idle, unregistered UA: its state goes and its WebSocket closes
 * (a WebRTC client leaving, or a load test keeping memory bounded); the
 * `forgotten` event comes at once. -ENOENT, -EBUSY (an operation in flight
 * or still registered), -ECANCELED. */
int client_forget(struct client *c, const char *name);

/* Drops NAME whatever it is doing: abandons its operation in flight (no
 * event follows for it), closes its WebSocket without de-registering and
 * drops its web session (the load mode, after a de-registration or a
 * timeout). -ENOENT: neither a UA nor a web session of that name. */
int client_drop(struct client *c, const char *name);

/*
 * Runs one command line (no newline needed; a trailing CR is ignored):
 *   register NAME IMPU IMPI PASSWORD [expires=N] [via=udp|tcp|ws|wss]
 *            [url=WSF-URL] [origin=ORIGIN] [credential=terminate]
 *            [auth=digest|bearer] [token=JWT]   (transport= is via=)
 *   refresh NAME | deregister NAME | forget NAME | quit
 *   web NAME get URL | web NAME login URL ID PASSWORD
 * (a URL starting with '/' is relative to conf.wws_url)
 * Blank lines and lines starting with '#' are ignored. Returns 1 for quit
 * (the caller drains and closes), 0 otherwise; a malformed or refused
 * command produces an `error` event and returns a negative errno.
 */
int client_command(struct client *c, const char *line, size_t len);
/* The same with the words as separate strings (a one-shot command line). */
int client_command_argv(struct client *c, int argc, char *const *argv);
/* Emits {"event":"error","reason":reason} (e.g. an over-long line). */
void client_report_error(struct client *c, const char *reason);

/* Stops automatic refreshes and calls cb once no operation is in flight
 * (at once, from inside this call, if none is). Operations in flight still
 * report their outcome first; each is bounded by Timer F. */
void client_drain(struct client *c, client_drained_cb *cb, void *arg);

/* `web NAME get URL` and `web NAME login URL ID PASSWORD`: same rules as
 * client_register (-EINVAL bad URL, -EBUSY one in flight for NAME). */
int client_web_get(struct client *c, const char *name, const char *url);
int client_web_login(struct client *c, const char *name, const char *url,
		     const char *id, const char *password);

uint16_t client_port(const struct client *c); /* bound UDP (= TCP) port */
size_t client_ua_count(const struct client *c);
bool client_ua_registered(const struct client *c, const char *name);
size_t client_busy_count(const struct client *c); /* ops in flight */

#endif
