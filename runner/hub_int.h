/*
 * hub_int.h - what hub.c (HTTP, server-sent events, figures, selection)
 * and hub_feed.c (the trace tail and the events it streams) share.
 * Private to runner/hub*.c.
 */
#ifndef IMSTB_RUNNER_HUB_INT_H
#define IMSTB_RUNNER_HUB_INT_H

#include <uv.h>

#include "hub.h"
#include "http/http.h"
#include "run.h"

#define HUB_READ_MAX	 (64 * 1024)	   /* one uv_fs_read */
#define HUB_LINE_MAX	 (4 * 1024 * 1024) /* a longer trace line: dropped */
#define HUB_RAW_MAX	 2000 /* trace lines kept; then the oldest half go */
#define HUB_PING_TICKS	 150  /* an SSE comment every 15 s keeps proxies */
#define HUB_SETTLE_TICKS 5    /* a quiet trace for 0.5 s: settled */
#define HUB_SETTLE_MS	 3000 /* or at most this after a restart */
#define HUB_SSE_HIGH	 (256 * 1024) /* queued for one browser: wait */

/* A browser on GET /events. */
struct hub_client {
	struct hub_client *prev, *next;
	struct hub *h;
	struct stream *s; /* a reference, dropped in its close callback */
	bool dead;	  /* closing: nothing more is written */
	/* A new browser gets the ladder so far at the pace it reads it
	 * (the stream's drain callback), not all at once. */
	bool replaying;
	size_t at; /* the next event it gets */
};

/* One scenario of the figure list. */
struct hub_fig {
	char *path;	 /* owned: relative to scn_dir, the id */
	struct scn *scn; /* owned */
	char *variant;	 /* owned: its config lines, "" if none */
	bool runnable;	 /* every node it names (but client) runs */
};

/* What a browser was sent about one event, to send only what changed. */
struct hub_sent {
	double t;
	size_t len;
	bool sent;
	char node[32];
	char step[16];
	int state;
};

struct hub {
	uv_loop_t loop;
	uv_timer_t tick; /* trace poll, rebuild, keep-alive */
	uv_timer_t wake; /* the end of one hub_run */
	bool woke;
	struct http_server *srv; /* owned */
	uint16_t port;
	struct hub_client *clients;
	struct buf page; /* GET /, assembled once */
	char *trace, *scn_dir;
	struct mt_name *names; /* owned copies */
	size_t nnames;
	char **nodes; /* owned: the nodes that run, ladder order */
	size_t nnodes;
	struct hub_link *links; /* owned strings */
	size_t nlinks;
	struct hub_fig *figs;
	size_t nfigs;
	const struct hub_fig *sel; /* borrowed from figs; NULL: none */
	/* a POST /select waiting for the caller */
	bool pending;
	const struct hub_fig *next;
	struct http_conn *pc; /* a reference */
	double pending_t;
	/* applied, waiting for the restarted nodes to go quiet */
	bool settling;
	int err;
	char *why; /* owned */
	uint64_t settle_end;
	int64_t settle_off;
	unsigned quiet;
	/* the tail (hub_feed.c) */
	uv_fs_t rd;
	bool reading;
	uv_file fd; /* -1 until open */
	int64_t off;
	char *rdbuf; /* owned, HUB_READ_MAX */
	struct buf line;
	bool skip_line;	      /* inside an over-long line */
	struct rn_event *raw; /* owned: the trace lines since cut_t */
	size_t nraw, capraw;
	size_t bad; /* lines that did not parse */
	double cut_t;
	bool dirty;
	struct rn_run *run; /* owned: the last build */
	char **cols;	    /* owned: the columns sent */
	size_t ncols;
	struct hub_sent *sent; /* owned: what the browsers have */
	size_t nsent;
	unsigned ticks;
	bool closing;
};

/* ---- hub.c --------------------------------------------------------------- */

/* Sends one server-sent event (a JSON object, taken: decref'd) to c, or
 * to every browser if c is NULL. */
void hub__send(struct hub *h, struct hub_client *c, const char *event,
	       json_t *data);
/* The same to the browsers that have event i of the ladder: every one not
 * replaying, and those replaying already past it (i = SIZE_MAX: only the
 * ones not replaying). */
void hub__send_upto(struct hub *h, size_t i, const char *event, json_t *data);
/* Event i (a new message) to the browsers not replaying; one with too
 * much queued (a burst) replays from i at its own pace instead. */
void hub__send_ev(struct hub *h, size_t i, json_t *data);
/* The `hello` a browser gets first: columns, figure, links. */
json_t *hub__hello(struct hub *h);

/* ---- hub_feed.c ---------------------------------------------------------- */

/* Opens the trace (creating it empty if missing); -errno. */
int hub__feed_open(struct hub *h);
/* Every tick: the next read if none is under way; a rebuild (and what
 * changed, to every browser) when lines came. */
void hub__feed_tick(struct hub *h);
/* The ladder starts over from time t (seconds since the epoch): older
 * lines are dropped, and the browsers are told. */
void hub__feed_cut(struct hub *h, double t);
/* Rebuilds now if lines came since the last build. */
void hub__feed_sync(struct hub *h);
/* Everything a new browser needs after `hello`: the columns, then the
 * events (paced by hub__feed_more) and the steps. */
void hub__feed_replay(struct hub *h, struct hub_client *c);
/* The next events of a replay, while the browser keeps up. */
void hub__feed_more(struct hub *h, struct hub_client *c);
/* The columns and the steps of the current build, as JSON. */
json_t *hub__feed_cols(const struct hub *h);
json_t *hub__feed_steps(const struct hub *h);
void hub__feed_close(struct hub *h);

#endif
