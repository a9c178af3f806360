/*
 * wsflow.h - a SIP flow over a client WebSocket (RFC 7118): the connection
 * (lib/ws over lib/tls, subprotocol "sip", an Origin) plugged into a lib/sipt
 * stack as a struct sipt_flow, so that client transactions run over it as
 * over UDP or TCP: each SIP message is one WebSocket message both ways
 * (RFC 7118 §5), text when it is UTF-8, binary otherwise.
 *
 * For any program that talks SIP to the WSF from the browser's side of
 * things and owns its own sipt stack (the enterprise WWS registering its
 * IMPU range; a UA). The stack may have no listener at all: a sipt with
 * udp_addr = tcp_addr = NULL and via_host = "<random>.invalid" (RFC 7118
 * §5.2) sends only over flows.
 *
 * Lifetime: struct wsflow is an obj (base.h). wsflow_open() returns the
 * caller's reference; wsflow_close() starts the close handshake (bounded by
 * close_timeout_ms), stops every callback to the caller and drops that
 * reference. The connection keeps its own until its handles are closed, so
 * the loop runs until then; nothing of the caller's (but the trace sink,
 * the sipt stack and the TLS context, all borrowed) is touched afterwards:
 * free the TLS context only after wsflow_close_then's callback.
 *
 * Events (the event callback, never after wsflow_close):
 *   ev(f, 0)    once: the WebSocket is open, the flow is linked to the
 *               stack; wsflow_sipt(f) is usable as a sipt_dest.flow.
 *   ev(f, err)  once, err < 0: the connect, TLS, handshake (-EPROTO: refused
 *               or TLS failure) failed, or the open connection went away
 *               (its error, or -ECONNRESET). The stack has already failed
 *               the transactions that were waiting on the flow (local 503).
 * Tracing: the upgrade request and its 101 as proto "http", close frames as
 * proto "ws" ("CLOSE <code> <reason>"); the SIP messages are the stack's to
 * trace (its trace_cb, transport "ws"/"wss").
 *
 * Errors: 0 or a negative errno (-EINVAL bad URL or argument; libuv's from
 * the connect).
 */
#ifndef IMSTB_WSFLOW_H
#define IMSTB_WSFLOW_H

#include <uv.h>

#include "base/base.h"
#include "sipt/sipt.h"
#include "tls/stream.h"
#include "trace/trace.h"

/* A "ws" or "wss" URL with a numeric host (there is no DNS in the
 * testbed; "localhost" is taken as 127.0.0.1). */
struct wsflow_url {
	bool tls;	    /* wss */
	char host[64];	    /* numeric, without brackets */
	uint16_t port;	    /* default 80 (ws), 443 (wss) */
	char authority[80]; /* "host:port" ("[v6]:port"): the Host header */
	char path[512];	    /* path and query; "/" if none */
};

/* Parses url into *u. -EINVAL (why, if not NULL, gets a static reason). */
int wsflow_url_parse(struct wsflow_url *u, const char *url, const char **why);

/* How to connect. Strings are borrowed for the call; tls and trace for the
 * flow's life. */
struct wsflow_conf {
	const struct wsflow_url *url;
	struct tls_ctx *tls; /* a client context; required for wss */
	const char *origin;  /* Origin header (RFC 6454); NULL: none */
	uint64_t ping_ms;    /* 0: no pings */
	uint64_t close_timeout_ms; /* 0: 1000 */
	struct trace *trace; /* may be NULL */
};

struct wsflow;

typedef void(wsflow_event_cb)(struct wsflow *f, int err, void *arg);

/* Starts connecting; the flow is linked to sipt once open. */
int wsflow_open(struct wsflow **out, uv_loop_t *loop, struct sipt *sipt,
		const struct wsflow_conf *conf, struct rng *rng,
		wsflow_event_cb *cb, void *arg);
/* Close handshake (or abort when it cannot be done), no more events, and
 * the caller's reference dropped. NULL is accepted. */
void wsflow_close(struct wsflow *f);
/* The same, then done(arg) once the connection is closed for good (its
 * TLS context may go then): from the loop, or at once when it already
 * is. */
void wsflow_close_then(struct wsflow *f, void (*done)(void *arg), void *arg);
/* Open and linked to the stack. */
bool wsflow_ready(const struct wsflow *f);
/* The flow for sipt_dest.flow (borrowed, valid while f is). */
struct sipt_flow *wsflow_sipt(struct wsflow *f);
/* SIPT_WS or SIPT_WSS, for sipt_dest.proto and the Via. */
enum sipt_proto wsflow_proto(const struct wsflow *f);

#endif
