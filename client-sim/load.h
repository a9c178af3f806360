/*
 * load.h - client-sim's load mode ([bench], issue 8): N WebRTC clients on
 * one loop, started at a fixed rate, each registering over its own secure
 * WebSocket to the WSF and holding the registration, then leaving.
 *
 * Users are those of `hss-sim bulk N` (IMPI <prefix>NNNNN@<home_domain>,
 * IMPU sip:<IMPI>, password pass-NNNNN) and, in web mode, of `wws user
 * bulk N` (web id <prefix>NNNNN@<web_domain>, the same password).
 *   mode wss: WSS -> REGISTER -> 401 (forwarded by the wsf, NOTE 4) ->
 *             REGISTER with Digest -> 200 (TR 23.701 6.X.2.1.2.2);
 *   mode web: HTTPS POST /login at the WWS -> token -> WSS -> REGISTER
 *             with Authorization: Bearer -> 200 (Figure 6.X.2.1.2.1-1).
 * Time-to-registered runs from a client's start (login or WebSocket) to
 * its 200. Once every client has registered or failed the hold begins
 * (refreshes run by themselves when expires is short); then each
 * registered client de-registers, at the same rate, and closes.
 *
 * Stdout: a JSON line {"event":"holding",...} when the hold begins (a
 * benchmark samples memory then), then the final JSON line (load_report).
 * Stderr: a progress line per second. Bounded: each client has
 * timeout_ms to register, the whole run deadline_s.
 */
#ifndef IMSTB_CLIENT_LOAD_H
#define IMSTB_CLIENT_LOAD_H

#include "client.h"

struct load_opts {
	long clients;	  /* N */
	long rate;	  /* client starts (and de-registrations) per second */
	bool web;	  /* mode web, else wss */
	long hold_s;	  /* holding time once all are in */
	long expires;	  /* proposed expires (short: refreshes) */
	long timeout_ms;  /* per client, start to registered */
	long deadline_s;  /* whole run; 0 = ramp + hold + 60 s */
	long first;	  /* number of the first user */
	long leave_rate;  /* de-registrations per second; 0: close at once */
	const char *prefix;	/* user name prefix */
	const char *web_domain; /* web ids' domain */
	const char *login_path; /* on conf.wws_url */
};

/* Parses the words after `load`. -EINVAL with the reason in err. */
int load_opts_parse(struct load_opts *o, int argc, char **argv, char *err,
		    size_t errlen);

/* Runs the whole load on a loop of its own; returns the exit status: 0
 * ran to the end (failures are in the report), 1 deadline passed or the
 * client could not start, 2 bad options. */
int load_run(const struct client_conf *conf, const struct load_opts *o,
	     struct trace *trace, struct rng *rng);

/* `client-sim [options] load ARGS`: parses ARGS (--help: the usage),
 * runs, returns the exit status (2: bad options). */
int load_main(const struct client_conf *conf, int argc, char **argv,
	      struct trace *trace, struct rng *rng);

#endif
