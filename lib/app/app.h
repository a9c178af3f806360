/*
 * app.h - what every imstb process main() shares: SIGINT/SIGTERM turned
 * into an orderly stop on the loop, and the common settings (log level,
 * trace sink, seed) every config table includes.
 *
 * Shutdown contract: on the first SIGINT/SIGTERM, stop_cb runs on the loop;
 * the role closes its handles; uv_run returns when nothing is left; main
 * exits 0. A second signal while stopping exits at once with status 1, so a
 * wedged process can still be killed from the keyboard.
 */
#ifndef IMSTB_APP_H
#define IMSTB_APP_H

#include <stddef.h>
#include <uv.h>

#include "base/base.h"
#include "conf/conf.h"
#include "trace/trace.h"

/* Settings every process has; embed as a member named `common`. */
struct app_common {
	enum log_level log_level;
	char *trace_file; /* owned */
	char *trace_node; /* owned */
	long seed;
	char *fault_file; /* owned; "" = no fault injection */
	bool trace_secrets; /* passwords, HA1s, tokens left in the trace */
};

/* Their conf_key rows, for a config struct T with a `common` member. */
#define APP_COMMON_KEYS(T, node) \
	{ "log_level", CONF_LEVEL, offsetof(T, common.log_level), "info", \
	  "error, warn, info, debug or trace", 0, 0, NULL }, \
	{ "trace_file", CONF_STR, offsetof(T, common.trace_file), "", \
	  "append every message sent or received to this file, as JSON " \
	  "lines (empty: off)", 0, 0, NULL }, \
	{ "trace_node", CONF_STR, offsetof(T, common.trace_node), node, \
	  "this process's name in the trace", 0, 0, NULL }, \
	{ "trace_secrets", CONF_BOOL, offsetof(T, common.trace_secrets), \
	  "false", "true: passwords, HA1s, tokens and JWT signatures stay " \
	  "in the trace (else redacted, same length)", 0, 0, NULL }, \
	{ "seed", CONF_INT, offsetof(T, common.seed), "0", \
	  "random seed: 0 = from the OS, N = reproducible tags, branches, " \
	  "nonces and icids", 0, 0, NULL }, \
	{ "fault_file", CONF_STR, offsetof(T, common.fault_file), "", \
	  "fault rules (drop or delay messages), re-read on SIGUSR1; the " \
	  "scenario runner's `fault` actions write it (empty: off)", 0, 0, \
	  NULL }

/*
 * The usual start of a main(): parses the command line into conf (see
 * conf_parse_cli), sets the log level and ident, opens the trace and seeds
 * rng. Returns 0 to go on, 1 when --help/--print-config was served (exit
 * 0), -1 after printing a one-line reason (exit 2).
 */
int app_init(const struct conf_cli *cli, const struct conf_key *keys,
	     void *conf, const struct app_common *common, int argc,
	     char **argv, int *argi, struct trace *trace, struct rng *rng);

/* Trace event for a SIP message (summary = its start line). */
void app_trace_sip(struct trace *t, bool sent, const char *transport,
		   const struct sockaddr *local, const struct sockaddr *peer,
		   const char *bytes, size_t len);

/* Trace event for an HTTP request or response (proto "http"; transport
 * "tcp" or "tls", as stream_transport() says; summary = start_line; raw =
 * the plaintext bytes, also over TLS). The WebSocket upgrade and its 101
 * go here too. */
void app_trace_http(struct trace *t, bool sent, const char *transport,
		    const struct sockaddr *local, const struct sockaddr *peer,
		    struct sv start_line, const void *raw, size_t len);

typedef void(app_stop_cb)(void *arg);

struct app {
	uv_loop_t *loop;  /* borrowed */
	uv_signal_t sigint;
	uv_signal_t sigterm;
	app_stop_cb *stop_cb;
	void *arg;
	bool stopping;
};

/* Installs the handlers. 0 or a negative libuv error. */
int app_signals_start(struct app *a, uv_loop_t *loop, app_stop_cb *cb,
		      void *arg);
/* Closes the signal handles (call from the stop path). */
void app_signals_close(struct app *a);

/*
 * Runs the loop to completion, then closes it. If handles are still open
 * after the role's stop (a bug), it lists them on stderr and returns -EBUSY.
 */
int app_run(uv_loop_t *loop);

/* Trace event for a Diameter message (summary: command, User-Name or
 * result). In lib/app/app_diam.c: link module `appdiam` (needs diam). */
void app_trace_diam(struct trace *t, bool sent, const struct sockaddr *local,
		    const struct sockaddr *peer, const void *raw, size_t len);
/* The fault filter of a Diameter peer (diam_filter_cb; arg: the struct
 * trace): trace_fault_check, and a dropped message traced as "drop". */
int app_fault_diam(void *arg, const struct sockaddr *local,
		   const struct sockaddr *peer, const void *raw, size_t len);
struct diam_handlers;
/* Sets h's filter to app_fault_diam when t has fault rules, else nothing. */
void app_diam_fault(struct diam_handlers *h, struct trace *t);

/* Makes sure the parent directory of `path` exists (mkdir -p). */
int app_mkdir_parent(const char *path);

#endif
