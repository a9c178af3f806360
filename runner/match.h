/*
 * match.h - from the trace of a run to the verdict of every step.
 *
 * 1. rn_trace_read (run.c) reads the JSON lines every node appended to the
 *    run's trace file (README "The trace") into raw events.
 * 2. mt_events_build puts names on both ends of each event (the ports the
 *    runner gave the nodes, plus every `local` address a node traced, so
 *    ephemeral ports are known too), keeps ONE event per message (the
 *    receiver's, or the sender's when the receiver is not ours), orders
 *    them in time and flags retransmissions.
 * 3. mt_match checks the scenario's steps against the events (STYLE rule
 *    10): numbered steps in file order, each searching forward from the
 *    previous match; require/forbid/allow anywhere; never in its place.
 *
 * Field access (field.c) decodes each event at most once, with lib/sip
 * and lib/diam, so checks are semantic rather than byte diffs.
 */
#ifndef IMSTB_RUNNER_MATCH_H
#define IMSTB_RUNNER_MATCH_H

#include <jansson.h>

#include "base/base.h"
#include "run.h"
#include "scn.h"

/* ---- events ---------------------------------------------------------- */

/* Reads a trace file into *ev (owned: free each with rn_event_close and
 * the array with free()). Lines that do not parse (a process killed in
 * the middle of a write) are skipped and counted in *bad. -errno if the
 * file cannot be read; a missing file is an empty trace. */
int rn_trace_read(const char *path, struct rn_event **ev, size_t *n,
		  size_t *bad);
void rn_event_close(struct rn_event *e);
/* One trace line (NUL-terminated, a trailing newline allowed) into *e
 * (owned: rn_event_close). -EBADMSG if a field is missing or malformed;
 * then *e holds nothing. For readers that tail a growing trace. */
int rn_trace_line_parse(const char *line, struct rn_event *e);
/* "127.0.0.1:5060" / "[::1]:5060" into a sockaddr; -EINVAL. */
int rn_addr_parse(const char *s, struct sockaddr_storage *ss);

/* An address the runner knows the owner of (port it assigned). */
struct mt_name {
	struct sockaddr_storage addr;
	char name[32];
};

/* Takes ownership of the n raw events in ev (and of the array): names,
 * pairs, orders and stores the result in r->events. */
void mt_events_build(struct rn_run *r, struct rn_event *ev, size_t n,
		     const struct mt_name *names, size_t nnames);

/* Fills r->steps from s and r->events, sets r->passed to whether every
 * step holds (it does not look at r->error), marks matched events with
 * their step label and forbidden ones. */
void mt_match(struct rn_run *r, const struct scn *s);

/* ---- fields (field.c) --------------------------------------------------- */

struct mt_dec; /* one decoded event, opaque */

struct mt_ctx {
	struct rn_run *r;     /* borrowed */
	struct mt_dec *dec;   /* owned: one per event, decoded on demand */
};

void mt_ctx_init(struct mt_ctx *c, struct rn_run *r);
void mt_ctx_close(struct mt_ctx *c);

/* Does event i carry the message a step names (protocol and selector)? */
bool mt_sel_match(struct mt_ctx *c, size_t i, enum scn_proto proto,
		  const char *sel);

/* Reads field f of event i into out (reset first). 0; -ENOENT if it is
 * absent (never for `count`); -EBADMSG if the message does not decode,
 * with why in out. */
int mt_field_get(struct mt_ctx *c, size_t i, const struct scn_field *f,
		 struct buf *out);

/* The member at a dotted path of a JSON value (the [N]-th element of an
 * array there when idx > 0), appended to out: a string as is, another
 * value as compact JSON. -ENOENT if absent. */
int mt__json_path(json_t *root, const char *path, unsigned idx,
		  struct buf *out);
/* `jwt claim NAME` / `jwt header NAME` of event i (jwt.c): the JWT in its
 * Authorization: Bearer header (either form of RFC 6750 and TS 24.371),
 * else (HTTP) the `token` member of a JSON body or of a form body. Only
 * decoded (RFC 7515 §7.1 compact form), never verified: the scenario
 * shows what was sent. -ENOENT no token or no such member; -EBADMSG a
 * token that does not decode, why in out. */
int mt__jwt_field(struct mt_ctx *c, size_t i, const struct scn_field *f,
		  struct buf *out);

/* Appends what a reader needs to see of event i for step st: its start
 * line and the headers or AVPs st's checks name, one per line, each
 * prefixed with `indent`. */
void mt_excerpt(struct mt_ctx *c, size_t i, const struct scn_step *st,
		const char *indent, struct buf *out);

#endif
