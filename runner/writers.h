/*
 * writers.h - helpers the four writers (ladder.c, junit.c, pcap.c,
 * html.c) share. Private to runner/: the public contract is run.h.
 */
#ifndef IMSTB_RUNNER_WRITERS_H
#define IMSTB_RUNNER_WRITERS_H

#include "base/base.h"
#include "run.h"

/* How an event came out of the match. */
enum rn_ev_state {
	RN_EV_PLAIN = 0, /* matched no step (unrelated message) */
	RN_EV_OK,	 /* the message of a step that passed */
	RN_EV_FAILED,	 /* the message of a failed step */
	RN_EV_FORBIDDEN, /* matched a `forbid` line */
};

/* Short printable ASCII label of an event, NUL-terminated in dst (n > 0):
 * SIP "REGISTER" or "401 Unauthorized", HTTP "GET /path" or "200 OK",
 * Diameter "MAR" or "MAA 2001" ("MAA exp 5001" for an Experimental-
 * Result). Control and non-ASCII bytes become '?', so the label is safe
 * to print on a terminal. (ladder.c) */
void rn__event_brief(const struct rn_event *e, char *dst, size_t n);

/* What happened to event i of r. (ladder.c) */
enum rn_ev_state rn__event_state(const struct rn_run *r, size_t i);
/* The step label to show on event i: its own (rn_event.step), else that
 * of a failed step whose verdict points at it (the message seen instead),
 * else "". (ladder.c) */
const char *rn__event_label(const struct rn_run *r, size_t i);

/* Appends s (n bytes, untrusted) to b escaped for XML/HTML text and
 * attribute values: & < > " ' as entities; invalid UTF-8, NUL and the C0
 * controls XML 1.0 forbids become U+FFFD; with attr, TAB CR LF become
 * character references so attribute values keep them. (junit.c) */
void rn__xml_escape(struct buf *b, const char *s, size_t n, bool attr);
/* The same for a C string; NULL appends nothing. */
void rn__xml_escape_cstr(struct buf *b, const char *s, bool attr);

/* The page's shared parts (html.c), also served by the live ladder of
 * `imstb up` (hub.c): the CSS of the ladder (SVG classes .ev .arrow .hit
 * .stp, the .msg panel, the steps table) and the script that shows the
 * whole message of a clicked (or Enter-ed) g.ev from its data-raw,
 * data-bin, data-head and data-dec attributes, inside its section.run. */
extern const char rn__html_css[];
extern const char rn__html_js[];
/* Text of a Diameter message: header fields, then every AVP (RFC 6733
 * §4), decoded with lib/diam; a line saying why if it does not parse. */
void rn__diam_decode(struct buf *o, const uint8_t *raw, size_t len);
/* Binary payloads (Diameter, or bytes no text has) get a hex dump. */
bool rn__event_is_binary(const struct rn_event *e);
/* The head line of the message panel for event k of r: step, both ends
 * with addresses, protocol, size, time since the first event. */
void rn__event_head(struct buf *b, const struct rn_run *r, size_t k);

/* Writes (p, n) to path (created or truncated); 0 or -errno. (junit.c) */
int rn__file_write(const char *path, const void *p, size_t n);

#endif
