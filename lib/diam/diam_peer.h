/*
 * diam_peer.h - a Diameter peer connection over TCP on libuv (RFC 6733 §2.1,
 * §5; watchdog per RFC 3539 §3.4), for the Cx application only.
 *
 * struct diam_peer is one TCP connection, either side:
 *  - client (diam_peer_connect, scscf-sim): connects, sends CER, waits for
 *    CEA; on loss of the connection reconnects with exponential backoff
 *    (reconnect_min_ms doubling up to reconnect_max_ms) until freed.
 *  - server (accepted by struct diam_server, hss-sim): waits for CER and
 *    answers CEA with its identity. A first message that is not a CER is
 *    refused with 3010 DIAMETER_UNKNOWN_PEER and the connection closed
 *    (RFC 6733 §5.3: no other message before the CER/CEA exchange); a CER
 *    without Cx gets 5010 DIAMETER_NO_COMMON_APPLICATION and is closed.
 * Once open: DWR after watchdog_ms without traffic; no answer within one
 * more interval drops the connection. DWR/DWA and DPR/DPA are handled
 * inside; incoming Cx requests are parsed (diam_cx_parse) and delivered to
 * the request callback; malformed requests are answered here with the
 * right Result-Code (diam_error_build) and never reach the application.
 * When framing is lost the connection is closed after the error answer.
 *
 * Ownership: struct diam_peer is an obj (base.h). diam_peer_connect()
 * returns a reference owned by the caller, dropped by diam_peer_free().
 * Server-side peers are owned by their server; to answer after the request
 * callback returns, take obj_ref(peer) and obj_unref() it when done. The
 * memory goes away when the last reference is dropped and every uv handle
 * is closed; the loop can then end.
 *
 * Callback guarantees: an answer callback runs exactly once for every
 * successful diam_peer_send_*request*: with the answer (status 0), or
 * ans == NULL and status -ETIMEDOUT (no answer in request_timeout_ms),
 * -ECONNRESET (connection lost or peer freed before the answer), or a
 * non-NULL ans with status -EBADMSG when the answer did not parse as Cx
 * (cx is NULL then). Message views are valid only during a callback. If a
 * call that takes a callback fails, the callback never runs.
 */
#ifndef IMSTB_DIAM_PEER_H
#define IMSTB_DIAM_PEER_H

#include <uv.h>

#include "diam/diam.h"
#include "diam/diam_cx.h"

struct diam_peer;
struct diam_server;

struct diam_conf {
	struct diam_local local;     /* our identity (strings borrowed) */
	uint64_t watchdog_ms;	     /* Tw; 0: 30000 (RFC 3539 §3.4.1) */
	uint64_t request_timeout_ms; /* per request (also CEA/DPA); 0: 5000 */
	uint64_t reconnect_min_ms;   /* client backoff; 0: 100 */
	uint64_t reconnect_max_ms;   /* 0: 10000 */
};

enum diam_dir { DIAM_RECV = 0, DIAM_SEND }; /* same order as trace_dir */

/* Every message sent or received on the wire (before parsing / as
 * written). local and remote may be NULL if unknown. */
typedef void(diam_trace_cb)(void *arg, enum diam_dir dir,
			    const struct sockaddr *local,
			    const struct sockaddr *remote, const void *raw,
			    size_t len);
/* Asked before a message is written, for fault injection (lib/trace): 0
 * write it, < 0 drop it (never written nor traced as sent), N > 0 write
 * it N ms later on the connection then open, if any (traced then). */
typedef int(diam_filter_cb)(void *arg, const struct sockaddr *local,
			    const struct sockaddr *remote, const void *raw,
			    size_t len);
/* An incoming Cx request, already validated. Answer with
 * diam_peer_send_answer[_cx]() now or later. */
typedef void(diam_request_cb)(struct diam_peer *p, const struct diam_msg *req,
			      const struct diam_cx *cx, void *arg);
/* The answer to one of our requests, or a failure (see above). */
typedef void(diam_answer_cb)(struct diam_peer *p, int status,
			     const struct diam_msg *ans,
			     const struct diam_cx *cx, void *arg);
/* The peer became open (CER/CEA done) or stopped being open. */
typedef void(diam_state_cb)(struct diam_peer *p, bool open, void *arg);

struct diam_handlers {
	diam_request_cb *request; /* NULL: requests get 3001 */
	diam_state_cb *state;	  /* may be NULL */
	diam_trace_cb *trace;	  /* may be NULL */
	void *arg;
	diam_filter_cb *filter;	  /* NULL: off (no cost) */
	void *filter_arg;
};

/* Client side: starts connecting to remote. conf and h are copied (conf's
 * strings stay borrowed). */
int diam_peer_connect(struct diam_peer **out, uv_loop_t *loop,
		      const struct diam_conf *conf,
		      const struct diam_handlers *h,
		      const struct sockaddr *remote);
/* Graceful stop: DPR (cause REBOOTING) when open, waits for DPA (bounded
 * by request_timeout_ms) and closes; no reconnect. Pending requests fail
 * with -ECONNRESET before this returns; after it, no request, state or
 * answer callback runs, but the trace callback still sees the DPR/DPA.
 * Drops the caller's reference. NULL is ok. */
void diam_peer_free(struct diam_peer *p);

bool diam_peer_is_open(const struct diam_peer *p);
/* Origin-Host learnt from the CER/CEA (empty view until open). */
struct sv diam_peer_host(const struct diam_peer *p);
const struct diam_local *diam_peer_local(const struct diam_peer *p);

/* Sends a request built with any hop-by-hop/end-to-end ids: the peer
 * overwrites them (bytes 12..19) with its own. The bytes are copied. If the
 * client is not open yet, the request waits (its timeout running) and goes
 * out once CEA arrives. -ENOTCONN if the peer is shutting down, -EINVAL if
 * the message is not a request. *hbh (may be NULL) gets the id used. */
int diam_peer_send_request(struct diam_peer *p, const void *msg, size_t len,
			   diam_answer_cb *cb, void *arg, uint32_t *hbh);
/* Builds and sends a Cx request: origin host/realm from the local identity
 * when empty, Session-Id "<host>;<hi>;<lo>" (RFC 6733 §8.8) when empty. */
int diam_peer_send_request_cx(struct diam_peer *p, const struct diam_cx *req,
			      diam_answer_cb *cb, void *arg);
/* Sends an answer (bytes copied). -ENOTCONN if the connection is gone. */
int diam_peer_send_answer(struct diam_peer *p, const void *msg, size_t len);
/* Builds (origin host/realm from the local identity when empty) and sends
 * a Cx answer; ans->hbh/e2e must be the request's (diam_cx_answer_init). */
int diam_peer_send_answer_cx(struct diam_peer *p, const struct diam_cx *ans);

/* Server: listens on bind (port 0 = OS-chosen; see diam_server_addr). */
int diam_server_new(struct diam_server **out, uv_loop_t *loop,
		    const struct diam_conf *conf, const struct diam_handlers *h,
		    const struct sockaddr *bind);
/* The bound address (with the actual port). */
int diam_server_addr(const struct diam_server *s, struct sockaddr_storage *ss);
/* Stops listening and frees every peer like diam_peer_free (DPR first). */
void diam_server_free(struct diam_server *s);

#endif
