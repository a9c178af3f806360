/*
 * hub.h - the live ladder of `imstb up` (issue [browser]): a small HTTP
 * server on 127.0.0.1 that tails the testbed's trace file and streams
 * every message, as the runner names it, to browsers.
 *
 *   GET  /          the ladder page (self-contained HTML, CSS and script;
 *                   its ladder and message panel are those of `imstb run
 *                   --html`, runner/html.c)
 *   GET  /events    server-sent events (WHATWG HTML §9.2): `hello` (the
 *                   columns, the selected figure, its steps, the links),
 *                   then `ev` per message, `label` when a message gets or
 *                   changes its step, `steps` (each expected step and
 *                   whether it was seen), `reset` when the ladder starts
 *                   over, `status` (what a selection is doing)
 *   GET  /figures   the scenarios: path, figure id, title, variant (their
 *                   `config` lines), tags, whether every node runs
 *   POST /select    {"scenario": PATH} (null or "": none): which
 *                   scenario's steps label the arrows, and its config
 *   POST /clear     the ladder starts over from now
 *
 * Messages are named as `imstb run` names them (mt_events_build: the
 * nodes' ports, then every local address a node traced; one event per
 * message); an end that is none of ours is the browser: `client`, the
 * name the scenarios give the WebRTC client. With a scenario selected,
 * mt_match labels each message with the step it matches.
 *
 * The hub runs its own libuv loop, driven by hub_run from the caller's
 * loop (imstb up's supervision loop); it never blocks on it: the trace is
 * read with uv_fs_read on the thread pool, polled every HUB_TICK_MS.
 * A POST /select is not applied by the hub: the caller sees it with
 * hub_select_pending, restarts what it must (outside the loop), and
 * answers with hub_select_done.
 *
 * POSTs change the testbed, so they take only application/json and, when
 * the browser sends an Origin, only the hub's own: a page of another
 * origin can neither send them as a simple request nor read an answer.
 *
 * Errors: 0 or a negative errno.
 */
#ifndef IMSTB_RUNNER_HUB_H
#define IMSTB_RUNNER_HUB_H

#include <stdbool.h>
#include <stdint.h>

#include "match.h"
#include "scn.h"

#define HUB_DEFAULT_PORT 8090
#define HUB_TICK_MS	 100

struct hub;

/* A page the ladder links to (the WebRTC client of each WWS). */
struct hub_link {
	const char *name;
	const char *url;
};

struct hub_conf {
	uint16_t port;		     /* on 127.0.0.1; 0: OS-chosen */
	const char *trace;	     /* the trace file the nodes append to */
	const char *scn_dir;	     /* the scenarios (figures), recursively */
	const struct mt_name *names; /* the nodes' listening addresses */
	size_t nnames;
	const char *const *nodes; /* the nodes that run, ladder order */
	size_t nnodes;
	const struct hub_link *links;
	size_t nlinks;
};

/* Listens and starts tailing conf->trace (created empty if missing);
 * everything in conf is copied. -EADDRINUSE etc., with why in err. */
int hub_new(struct hub **out, const struct hub_conf *conf, char *err,
	    size_t errlen);
uint16_t hub_port(const struct hub *h);
/* Serves for about ms, returning early when a selection comes (one that
 * was already waiting does not shorten it). */
void hub_run(struct hub *h, int ms);
/* A POST /select waiting to be applied: true, with *s the scenario to
 * apply (borrowed, valid until hub_select_done) or NULL for "none" (every
 * node back to its plain settings). */
bool hub_select_pending(const struct hub *h, const struct scn **s);
/* The caller applied it (err 0) or could not (err < 0): answers the POST
 * with why (e.g. the nodes restarted) and, on success, labels the arrows
 * with the new scenario's steps. The ladder starts over: from since
 * (seconds since the epoch) if > 0, when what the restarted nodes send at
 * their start belongs to the figure (an enterprise WWS registering its
 * block); else once the trace has been quiet for half a second (at most
 * 3 s), and the POST is answered then. */
void hub_select_done(struct hub *h, int err, const char *why, double since);
/* Closes every connection and the loop. NULL is accepted. */
void hub_free(struct hub *h);

#endif
