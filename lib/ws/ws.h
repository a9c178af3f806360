/*
 * ws.h - WebSocket (RFC 6455) over struct stream (tls/stream.h), framing
 * by wslay, for SIP over WebSocket (RFC 7118).
 *
 * Two layers:
 * - the handshake (handshake.c, no I/O): checks an upgrade request and
 *   builds the 101 or the refusal (server), builds the upgrade request and
 *   checks the 101 (client);
 * - the connection (conn.c): a wslay event context pumped by the stream's
 *   callbacks (h2o lib/websocket.c pattern), whole messages out, pings,
 *   timeouts, the close handshake.
 *
 * Our names are ws_* / WS_*: wslay_* and WSLAY_* belong to wslay.
 *
 * Errors: 0 or a negative errno. -EINVAL bad argument, -EBADMSG malformed
 * input, -EAGAIN more bytes needed, -EPROTO protocol or state violation,
 * -ETIMEDOUT, -ECANCELED closed, -ENOBUFS stream send queue full.
 */
#ifndef IMSTB_WS_H
#define IMSTB_WS_H

#include <uv.h>

#include "base/base.h"
#include "tls/stream.h"

/* Frame opcodes (RFC 6455 §5.2). WS_OP_HTTP is not on the wire: the trace
 * hook uses it for the client's upgrade request and the 101 it reads. */
enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
	WS_OP_HTTP = 0x100,
};

/* Close codes (RFC 6455 §7.4.1). 1005 and 1006 are never sent. */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,
	WS_CLOSE_ABNORMAL = 1006,
	WS_CLOSE_BAD_DATA = 1007, /* e.g. invalid UTF-8 in a text message */
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
	WS_CLOSE_TRY_AGAIN = 1013, /* IANA registry: Try Again Later */
};

#define WS_KEY_LEN    24   /* base64 of 16 bytes (RFC 6455 §4.1) */
#define WS_ACCEPT_LEN 28   /* base64 of a SHA-1 (§4.2.2) */
#define WS_HEAD_MAX   8192 /* larger handshake heads are refused */

/* ---- handshake (no I/O) -------------------------------------------------- */

/* The upgrade request's relevant parts, as views (SV_NULL when absent).
 * The wsf fills it from lib/http's parsed request; ws_handshake_request_
 * parse fills it from raw bytes. protocol is the Sec-WebSocket-Protocol
 * comma list (if the header appears several times, join the values with
 * ", " or pass the first). */
struct ws_hs_req {
	struct sv method; /* "GET" */
	struct sv target; /* "/" */
	struct sv host;
	struct sv upgrade;    /* must hold the token "websocket" */
	struct sv connection; /* must hold the token "Upgrade" */
	struct sv key;	      /* Sec-WebSocket-Key */
	struct sv version;    /* Sec-WebSocket-Version: must be "13" */
	struct sv protocol;   /* Sec-WebSocket-Protocol */
	struct sv origin;     /* Origin (RFC 6454) */
};

/* What the server accepts. Lists are NULL-terminated arrays of C strings,
 * borrowed for the call. */
struct ws_hs_policy {
	/* Subprotocols we speak, in our order of preference ("sip"). The
	 * first of ours the client offered is chosen. */
	const char *const *protocols;
	/* Refuse (400) when the client offered none of ours: RFC 7118 §4
	 * makes "sip" mandatory for SIP over WebSocket. */
	bool protocol_required;
	/* Allowed Origin values, compared case-insensitively; NULL = any
	 * (and Origin may be absent). A mismatch or absence is 403 (RFC 6455
	 * §4.2.2 item 4, §10.2). */
	const char *const *origins;
};

/* The server's verdict: status 101 with accept and protocol, or a refusal
 * (400, 403, 426) with a reason phrase for the answer. */
struct ws_hs_result {
	int status;
	char reason[64];
	char accept[WS_ACCEPT_LEN + 1]; /* Sec-WebSocket-Accept (101) */
	const char *protocol; /* chosen, from the policy list; NULL if none */
	const char *extra;    /* header lines the refusal must carry (426:
				 "Sec-WebSocket-Version: 13\r\n"); or NULL */
};

/* Checks an upgrade request (RFC 6455 §4.2.1) against a policy and fills
 * *res. 0 if accepted (status 101); else -EBADMSG with status 400
 * (method, Host, Upgrade, Connection, key, no common subprotocol),
 * -EPROTO with 426 (version other than 13), -EACCES with 403 (Origin). */
int ws_handshake_check(const struct ws_hs_req *r, const struct ws_hs_policy *p,
		       struct ws_hs_result *res);
/* Appends the answer to out: the 101 (Upgrade, Connection, Sec-WebSocket-
 * Accept, Sec-WebSocket-Protocol) or the refusal, with its extra lines,
 * a text body naming the reason, and Connection: close. */
void ws_handshake_print(const struct ws_hs_result *res, struct buf *out);

/* Sec-WebSocket-Accept of a key: base64(SHA-1(key GUID)) (§4.2.2 item 5.4),
 * NUL-terminated. -EINVAL if key is not the base64 of 16 bytes. */
int ws_accept_make(struct sv key, char out[WS_ACCEPT_LEN + 1]);
/* A fresh client key: base64 of 16 random bytes, NUL-terminated. */
void ws_key_make(struct rng *r, char out[WS_KEY_LEN + 1]);

/* Parses a request head (start line and headers up to the empty line):
 * enough for the upgrade when there is no lib/http (tests, tools). The
 * views point into raw. *head_len gets the bytes the head took (what
 * follows is WebSocket data). -EAGAIN incomplete, -EBADMSG malformed or
 * over WS_HEAD_MAX. */
int ws_handshake_request_parse(struct sv raw, struct ws_hs_req *out,
			       size_t *head_len, struct perr *e);

/* The client side. Strings are borrowed for the call. */
struct ws_client_req {
	const char *host;	      /* Host header, "example.com:7443" */
	const char *target;	      /* "/" if NULL */
	const char *origin;	      /* NULL = no Origin header */
	const char *const *protocols; /* offered, NULL-terminated; {"sip"} */
	const char *sni; /* TLS server name (ws_conn_connect); NULL none */
};

/* Appends the GET upgrade request carrying key (from ws_key_make). */
void ws_handshake_request_print(const struct ws_client_req *r, const char *key,
				struct buf *out);

/* The server's answer as the client checks it. */
struct ws_hs_resp {
	int status;	    /* 101 if accepted */
	struct sv protocol; /* the server's choice; empty if none */
	size_t head_len;    /* bytes of the head; WebSocket data follows */
};

/* Parses and checks the answer to a request sent with key and offered
 * protocols (RFC 6455 §4.1, client requirements 1-6): status 101,
 * Upgrade: websocket, Connection: Upgrade, the accept value, and a
 * protocol among those offered (and one at all if some were offered:
 * RFC 7118 §4). 0 accepted; -EAGAIN incomplete; -EBADMSG malformed;
 * -EPROTO well-formed but refused or wrong (out->status tells). e, when
 * given, names the fault. */
int ws_handshake_response_parse(struct sv raw, const char *key,
				const char *const *protocols,
				struct ws_hs_resp *out, struct perr *e);

/* ---- connection ----------------------------------------------------------
 * struct ws_conn is an obj (base.h). The stack holds one reference from
 * creation until after the close callback; the creator's reference (*out)
 * is its own to drop with obj_unref, at any time.
 *
 * Callbacks, per connection, in this order:
 *   open(c, 0)     client only, once the 101 is checked; open(c, err<0)
 *                  instead if the connect, TLS or handshake failed (then
 *                  close follows with code 1006 and the same err)
 *   msg(c, op, p, n)  0..N times: one whole text or binary message per
 *                  call (RFC 7118 §5: one SIP message per WebSocket
 *                  message, SIP CRLF keep-alives included); p valid only
 *                  during the call. Control frames are not delivered
 *                  (pings are answered here); see the trace hook.
 *   close(c, code, reason, err)  exactly once:
 *                  err 0: the close handshake completed (either side
 *                    began it); code/reason are the peer's (1005: none);
 *                  -EPROTO: the peer broke RFC 6455; code is what we sent
 *                    (1002 bad frame, 1007 invalid UTF-8, 1009 too big);
 *                  -ETIMEDOUT: no pong, idle, or no answer to our close;
 *                    code is what we sent (1001) or 1006;
 *                  else the stream's error, or -ECONNRESET when the stream
 *                    ended without a close frame; code 1006.
 * After close no callback runs and ws_conn_send returns -ECANCELED.
 * A callback may call ws_conn_send, ws_conn_close, obj_unref freely.
 */

struct ws_conn;

typedef void(ws_open_cb)(struct ws_conn *c, int err, void *arg);
typedef void(ws_msg_cb)(struct ws_conn *c, enum ws_opcode op, const char *p,
			size_t n, void *arg);
typedef void(ws_close_cb)(struct ws_conn *c, uint16_t code, struct sv reason,
			  int err, void *arg);
/* Every message that crosses the wire, whole: data and control frames
 * (op, payload; a close's payload is the 2-byte code and the reason), and
 * on the client the handshake bytes (WS_OP_HTTP). For lib/trace proto "ws"
 * (or "sip" for the payload), transport ws_conn_transport(c). */
typedef void(ws_trace_cb)(struct ws_conn *c, bool sent, enum ws_opcode op,
			  const char *p, size_t n, void *arg);

struct ws_cbs {
	ws_open_cb *open; /* client; may be NULL */
	ws_msg_cb *msg;
	ws_close_cb *close;
	ws_trace_cb *trace; /* may be NULL; given here so that the 101 (or
			       the upgrade request) is traced too */
	void *arg;
};

/* 0 = default unless said otherwise */
struct ws_conf {
	uint64_t max_msg;	   /* 1 MiB: a bigger message gets 1009 */
	uint64_t ping_ms;	   /* 0 = no pings; else a ping every ping_ms */
	uint64_t pong_timeout_ms;  /* 10000: no pong by then: 1001, close */
	uint64_t idle_ms;	   /* 0 = none: no message received for that
				      long (pongs count): 1001, close */
	uint64_t close_timeout_ms; /* 5000: wait for the peer's close */
	uint64_t handshake_ms;	   /* client: 10000 from connect to 101 */
};

/* Server side: takes over s (an upgraded stream, e.g. from
 * http_conn_upgrade; takes its own reference and sets its callbacks),
 * writes the 101 built from hs (hs NULL: the caller already sent it),
 * resumes reading, and feeds leftover (bytes that followed the request;
 * copied) before anything read later. No open callback: the connection
 * is open on return; messages arrive from the next loop iteration on.
 * -EINVAL (hs not a 101, cbs incomplete), -ECANCELED (stream closed). */
int ws_conn_accept(struct ws_conn **out, uv_loop_t *loop, struct stream *s,
		   const struct ws_hs_result *hs, struct sv leftover,
		   const struct ws_conf *conf, const struct ws_cbs *cbs);

/* Client side: connects to ip:port (tls NULL = ws, else wss with req->sni),
 * sends the upgrade request (key from rng), checks the 101, then calls
 * open. Frames it sends are masked with keys from its own generator,
 * seeded from rng. Errors of stream_connect pass through; then no callback
 * runs. */
int ws_conn_connect(struct ws_conn **out, uv_loop_t *loop, const char *ip,
		    uint16_t port, struct tls_ctx *tls,
		    const struct stream_limits *lim,
		    const struct ws_client_req *req, struct rng *rng,
		    const struct ws_conf *conf, const struct ws_cbs *cbs);

/* Queues one message, unfragmented: WS_OP_TEXT (must be valid UTF-8),
 * WS_OP_BINARY, or WS_OP_PING/PONG (at most 125 bytes). Copied. -EINVAL
 * bad opcode, size or UTF-8; -EPROTO closing or not open yet; -ECANCELED
 * closed; -ENOBUFS the stream's send queue is full (the connection is
 * then aborted). */
int ws_conn_send(struct ws_conn *c, enum ws_opcode op, const void *p, size_t n);
/* Starts the close handshake (RFC 6455 §7.1.2): sends code (0 = 1000) and
 * reason (at most 123 bytes of UTF-8), waits for the peer's close up to
 * close_timeout_ms, then closes the stream. Before the client's open:
 * aborts (close gets -ECANCELED). 0, -EINVAL bad code or reason, -EPROTO
 * already closing, -ECANCELED closed. */
int ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason);
/* Drops the connection now without a close frame (err -ECANCELED). */
void ws_conn_abort(struct ws_conn *c);

void ws_conn_set_cbs(struct ws_conn *c, const struct ws_cbs *cbs);
/* The stream under c (borrowed): stream_peer, stream_local. */
struct stream *ws_conn_stream(const struct ws_conn *c);
/* "ws" or "wss". */
const char *ws_conn_transport(const struct ws_conn *c);
/* The negotiated subprotocol ("sip"), "" if none. */
const char *ws_conn_protocol(const struct ws_conn *c);
/* true between open (accept) and the start of the close handshake. */
bool ws_conn_is_open(const struct ws_conn *c);

#endif
