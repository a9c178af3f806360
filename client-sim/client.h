/*
 * client.h - the client-sim role, first mode: a plain IMS UE registering
 * over SIP UDP or TCP through the P-CSCF (TS 24.229 §5.1.1) with SIP
 * Digest (TS 33.203 Annex N, RFC 7616/8760).
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
 * Outcomes are reported as JSON objects (jansson) through the event
 * callback: registered, refreshed, deregistered, failed, error.
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
	int transport; /* 0 udp, 1 tcp: the default of `register` */
	char *listen;
	long port;
	char *home_domain;
	long expires; /* what a UE proposes (24.229 §5.1.1.2.1) */
	char *user_agent;
	long t1_ms, t2_ms, t4_ms, tcp_idle_ms;
	long max_conns, max_trans;
};

extern const struct conf_key client_conf_keys[];

struct client;

/*
 * One outcome. ev is borrowed (valid during the call). Fields:
 *   {"event":"registered"|"refreshed","ua":N,"status":200,"expires":S,
 *    "service_route":[uri...],"associated_uris":[uri...],"contacts":K}
 *   {"event":"deregistered","ua":N,"status":200,"contacts":K}
 *   {"event":"failed","ua":N,"op":"register"|"refresh"|"deregister",
 *    "status":S,"reason":R}   (status 408 for Timer F, 0 for local errors)
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
	int transport; /* -1 conf, 0 udp, 1 tcp */
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

/*
 * Runs one command line (no newline needed; a trailing CR is ignored):
 *   register NAME IMPU IMPI PASSWORD [expires=N] [transport=udp|tcp]
 *   refresh NAME | deregister NAME | quit
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

uint16_t client_port(const struct client *c); /* bound UDP (= TCP) port */
size_t client_ua_count(const struct client *c);
bool client_ua_registered(const struct client *c, const char *name);
size_t client_busy_count(const struct client *c); /* ops in flight */

#endif
