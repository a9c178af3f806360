/*
 * sipt.h - SIP transports (UDP, TCP; pluggable WS) on libuv, RFC 3261 §17
 * non-INVITE transactions, and stateful-proxy helpers (§16).
 *
 * One struct sipt per process, on one uv_loop_t; no threads, no globals.
 * Errors: 0 or a negative errno. A call that takes a callback and fails
 * never runs that callback (libuv's rule).
 *
 * Received requests: each new one gets a server transaction (§17.2.2) and
 * goes to conf.request_cb as a copy with its top Via stamped (RFC 3581,
 * §18.2.1: received=, rport=), which responses and forwarded requests
 * carry. Retransmissions are absorbed (the last response re-sent). INVITE
 * gets non-INVITE behaviour (no 100, no Timer G/H/I): enough for a final
 * 501. ACK is absorbed if it matches an INVITE transaction, else given
 * unstamped with st == NULL. Malformed messages get 400/413/513 (reason =
 * perr.why) when a response can be built, else are dropped. Every
 * callback may call sipt_close.
 *
 * Limits (struct sipt_limits): TCP connections (beyond: refused), bytes
 * buffered per connection (receive: 513 + close; send: -ENOBUFS), live
 * transactions (503; sipt_ctrans_send: -EBUSY); per source IP: accepted
 * TCP connections (closed at once), unanswered requests (503 with
 * Retry-After). Destinations are numeric addresses: no DNS.
 */
#ifndef IMSTB_SIPT_H
#define IMSTB_SIPT_H

#include <sys/socket.h>
#include <uv.h>

#include "base/base.h"
#include "sip/sip.h"

struct sipt;
struct sipt_strans;
struct sipt_ctrans;

enum sipt_proto { SIPT_UDP = 1, SIPT_TCP, SIPT_TLS, SIPT_WS, SIPT_WSS };
enum sipt_dir { SIPT_RECV = 0, SIPT_SEND };

#define SIPT_BRANCH_MAX 64 /* buffer size for a branch we make, with NUL */
#define SIPT_TAG_MAX 24
#define SIPT_ADDR_MAX 64   /* "[v6]:port" + NUL */

/* "UDP", "TCP", "TLS", "WS", "WSS" (the Via transport token). */
const char *sipt_proto_name(enum sipt_proto p);
/* Prints "ip:port" ("[v6]:port") into out; "-" for NULL/unknown. */
void sipt_addr_print(const struct sockaddr *sa, char out[SIPT_ADDR_MAX]);

/* ---- flows: one connection, or one UDP peer ------------------------------
 * Built-in UDP/TCP use these too. A WebSocket (or TLS) module plugs in by
 * embedding struct sipt_flow FIRST in an obj_new()'d object, calling
 * sipt_flow_add, feeding each whole SIP message to sipt_recv, and calling
 * sipt_flow_remove when its connection is gone. */
struct sipt_flow;
struct sipt_flow_ops {
	/* Sends one whole message; bytes are only valid during the call. */
	int (*send)(struct sipt_flow *f, const char *p, size_t len);
	/* Optional. Asks the owner to close (sipt_close). The stack has
	 * already unlinked the flow (as by sipt_flow_remove) when called. */
	void (*close)(struct sipt_flow *f);
	/* Optional human text, e.g. "WS 1.2.3.4:5->6.7.8.9:10". */
	void (*describe)(const struct sipt_flow *f, char *out, size_t n);
};

struct sipt_flow {
	const struct sipt_flow_ops *ops; /* borrowed */
	struct sipt *sipt;  /* borrowed; NULL once removed or sipt closed */
	enum sipt_proto proto;
	bool stream;        /* reliable transport: Timer E/J/K skipped */
	bool linked;        /* in the stack's flow table */
	struct sockaddr_storage local, peer;
	struct sipt_flow *prev, *next; /* table links (stack-private) */
	unsigned waiting; /* its client transactions not yet answered (ditto) */
};

/* Links an external flow (the stack takes a reference); stream = proto is
 * not UDP. local/peer are copied. -EINVAL for a bad proto or an already
 * linked flow, -EPROTO if sipt is closing. */
int sipt_flow_add(struct sipt *s, struct sipt_flow *f,
		  const struct sipt_flow_ops *ops, enum sipt_proto proto,
		  const struct sockaddr *local, const struct sockaddr *peer);
/* The flow is gone: unlinks it, drops the stack's reference, and fails the
 * client transactions still waiting on it (503). Idempotent. */
void sipt_flow_remove(struct sipt_flow *f);
/* Open flow of this proto whose peer address is sa, or NULL (borrowed). */
struct sipt_flow *sipt_flow_find(struct sipt *s, enum sipt_proto proto,
				 const struct sockaddr *sa);
/* One complete message received on flow f (p may be modified; it need not
 * outlive the call). 0 when handled (a malformed one answered 400 counts),
 * -EBADMSG if malformed and dropped unanswered, -EPROTO if f is not linked
 * to s or s is closing. */
int sipt_recv(struct sipt *s, struct sipt_flow *f, char *p, size_t len);
/* Writes "TCP 127.0.0.1:5060->127.0.0.1:40000" style text. */
void sipt_flow_describe(const struct sipt_flow *f, char *out, size_t n);

/* ---- configuration ---------------------------------------------------- */

struct sipt_timers {      /* ms; 0 = default. RFC 3261 §17.1.1.1 */
	unsigned t1;       /* RTT estimate, 500 */
	unsigned t2;       /* max non-INVITE retransmit interval, 4000 */
	unsigned t4;       /* max time a message stays in the net, 5000 */
	unsigned tcp_idle; /* idle TCP connection closed after, 120000 */
};

struct sipt_limits {       /* 0 = default */
	unsigned max_conns;    /* open TCP connections, 256 */
	size_t max_stream_buf; /* bytes of one unframed TCP message, 65536 */
	size_t max_pending;    /* unsent bytes queued per connection, 1 MiB */
	unsigned max_trans;    /* live transactions (server + client), 4096 */
	/* per source IP, 0 = none (see the top of this file) */
	unsigned max_conns_per_ip;
	unsigned max_pending_per_ip;
	unsigned retry_after_s; /* of the 503 at max_pending_per_ip, 5 */
	unsigned msg_timeout_ms; /* a TCP message begun, ms: 10000 (closed) */
};

typedef void sipt_request_cb(struct sipt *s, struct sipt_strans *st,
			     const struct sip_msg *req, void *arg);
typedef void sipt_stray_cb(struct sipt *s, struct sipt_flow *f,
			   const struct sip_msg *resp, void *arg);
typedef void sipt_trace_cb(struct sipt *s, enum sipt_dir dir,
			   const char *transport, const struct sockaddr *local,
			   const struct sockaddr *peer, const char *bytes,
			   size_t len, void *arg);
/* Asked before a message leaves, for fault injection (lib/trace): 0 send
 * it, < 0 drop it (never sent nor traced as sent), N > 0 send it N ms
 * later (traced then; dropped if the stack closes first). transport is
 * sipt_proto_name's. */
typedef int sipt_filter_cb(struct sipt *s, const char *transport,
			   const struct sockaddr *local,
			   const struct sockaddr *peer, const char *bytes,
			   size_t len, void *arg);
typedef void sipt_close_cb(void *arg);

struct sipt_conf {
	/* Listening: a NULL address disables that transport. Port 0 lets the
	 * OS choose; if tcp_port is 0 and UDP is on the same address, the UDP
	 * port is tried first so both share one port. */
	const char *udp_addr;
	uint16_t udp_port;
	const char *tcp_addr;
	uint16_t tcp_port;
	/* Our sent-by for Via (§18.1.1). NULL: the listen address (which must
	 * then not be a wildcard); port 0: the bound port of the transport. */
	const char *via_host;
	uint16_t via_port;
	/* Other host names that mean "us" in a Route (NULL-terminated). */
	const char *const *aliases;
	struct sipt_timers timers;
	struct sipt_limits limits;
	struct rng *rng; /* borrowed; branches and tags */
	sipt_request_cb *request_cb;
	sipt_stray_cb *stray_cb; /* responses matching no transaction */
	sipt_trace_cb *trace_cb; /* every message crossing a socket;
				    transport is lowercase ("udp", "tcp") */
	void *arg;               /* passed to all three callbacks */
	sipt_filter_cb *filter_cb; /* NULL: off (no cost) */
	void *filter_arg;
};

/* Creates the stack and binds the listeners. On failure (-EADDRINUSE,
 * -EINVAL...) any handle opened is already closing: run the loop once
 * before uv_loop_close. conf is copied (its strings are borrowed). */
int sipt_new(struct sipt **out, uv_loop_t *loop, const struct sipt_conf *conf);
/* Closes every handle and connection, drops every transaction (no more
 * callbacks of any kind), frees s when the last handle is closed, then calls
 * cb(arg) (cb may be NULL). Objects still referenced by the caller stay
 * valid memory but are detached (their calls return -ECANCELED). */
void sipt_close(struct sipt *s, sipt_close_cb *cb, void *arg);
void sipt_free(struct sipt *s); /* sipt_close(s, NULL, NULL) */
/* Bound port of a listener, 0 if that transport is off. */
uint16_t sipt_port(const struct sipt *s, enum sipt_proto p);
const struct sipt_timers *sipt_timers(const struct sipt *s);
size_t sipt_trans_count(const struct sipt *s);
size_t sipt_conn_count(const struct sipt *s);
/* ---- identifiers and Via ----------------------------------------------- */

/* "z9hG4bK" + 24 hex digits from conf.rng (§8.1.1.7). */
void sipt_branch_new(struct sipt *s, char out[SIPT_BRANCH_MAX]);
void sipt_tag_new(struct sipt *s, char out[SIPT_TAG_MAX]); /* 16 hex */
/* Appends "Via: SIP/2.0/<proto> <sent-by>;branch=<branch>;rport\r\n". */
void sipt_via_print(struct sipt *s, struct buf *b, enum sipt_proto proto,
		    const char *branch);

/* ---- destinations and stateless sending ---------------------------------- */

struct sipt_dest {
	enum sipt_proto proto;
	struct sockaddr_storage addr;
	struct sipt_flow *flow; /* borrowed, optional: use it while open */
};

/* Numeric ip (v4 or v6) + port. -EINVAL if not numeric. */
int sipt_dest_set(struct sipt_dest *d, enum sipt_proto proto, const char *ip,
		  uint16_t port);
/* From a SIP URI (Route, Request-URI): host must be numeric; port defaults
 * to 5060; ;transport= picks the proto (default dflt). */
int sipt_dest_from_uri(struct sipt_dest *d, const struct sip_uri *u,
		       enum sipt_proto dflt);
/* Sends bytes outside any transaction (ACK, stateless relay). TCP connects
 * on demand. -ENOTCONN, -ENOBUFS, -EPROTO (closing), uv errors. */
int sipt_send(struct sipt *s, const struct sipt_dest *d, const char *p,
	      size_t len);

/* ---- server transactions (§17.2.2) --------------------------------------
 * The stack keeps one reference until the transaction terminates (Timer J
 * after the final response: 64*T1 on UDP, 0 on streams). request_cb may
 * answer later (e.g. after a Diameter round-trip): it must then take its own
 * reference (obj_ref) and drop it (obj_unref) when done. Every request must
 * eventually get a final response, else the transaction lives until
 * sipt_close. */

/* Sends a response (bytes are copied). 1xx: Proceeding; >= 200: Completed.
 * Routing per §18.2.2: the same connection if still open, else a new one
 * to received/sent-by; UDP to received:rport (or the sent-by port).
 * -EPROTO if a final response was already sent, -ECANCELED if detached. */
int sipt_strans_reply(struct sipt_strans *st, const char *p, size_t len);
/* Builds (sip_print_response) and sends a response without extra headers;
 * reason NULL = default phrase; to_tag NULL = none added. */
int sipt_strans_reply_status(struct sipt_strans *st, int status,
			     const char *reason, const char *to_tag);
/* The stamped request: valid until the final response is sent (a
 * Completed transaction keeps only what retransmissions need), then NULL. */
const struct sip_msg *sipt_strans_req(const struct sipt_strans *st);
/* The flow the request came on (borrowed; may be closed). */
struct sipt_flow *sipt_strans_flow(const struct sipt_strans *st);
/* sip_print_response_start() on the stamped request. */
void sipt_print_response_start(struct buf *b, const struct sipt_strans *st,
			       int status, const char *reason,
			       const char *to_tag);

/* ---- client transactions (§17.1.2) --------------------------------------
 * The request's top Via branch (magic cookie required) and CSeq method
 * identify the transaction (§17.1.3). Retransmits on UDP (Timer E, T1
 * doubling up to T2), times out after Timer F = 64*T1, absorbs response
 * retransmissions for Timer K (T4 on UDP, 0 on streams).
 * The callback runs for every provisional and the final response; resp is
 * valid only during the call (sip_msg_dup to keep it). err is 0 for a
 * response from the wire, -ETIMEDOUT for a local 408 (Timer F), or the
 * transport error (e.g. -ECONNREFUSED, -ECONNRESET) for a local 503. */
typedef void sipt_resp_cb(struct sipt *s, struct sipt_ctrans *ct,
			  const struct sip_msg *resp, int err, void *arg);

/* Starts a transaction and sends req (copied). *out (optional) is borrowed:
 * valid until the final callback returns or sipt_ctrans_abandon. -EINVAL
 * (unparseable, not a request, no z9hG4bK branch, ACK), -EBUSY (limit),
 * -EEXIST (branch+method already in use), send errors. */
int sipt_ctrans_send(struct sipt *s, const struct sipt_dest *d,
		     const char *req, size_t len, sipt_resp_cb *cb, void *arg,
		     struct sipt_ctrans **out);
/* No more callbacks for ct; it is dropped (responses become stray). */
void sipt_ctrans_abandon(struct sipt_ctrans *ct);
/* The flow used (borrowed; NULL before a TCP connection exists). */
struct sipt_flow *sipt_ctrans_flow(const struct sipt_ctrans *ct);

/* ---- stateful proxy helpers (§16) ------------------------------------- */

enum sipt_hdr_op {
	SIPT_HDR_TOP = 0,  /* insert above existing ones of that name (Path,
			      Record-Route), or before Content-Length */
	SIPT_HDR_REPLACE,  /* drop existing ones of that name, then insert */
	SIPT_HDR_REMOVE,   /* only drop them (value ignored) */
};
struct sipt_hdr_edit {
	enum sipt_hdr_op op;
	const char *name; /* full name; matched against compact forms too */
	struct sv value;
};

/* §16.3 checks before forwarding: 0 if it may go on; else -ELOOP with
 * *status = 483 (Max-Forwards is 0, item 3) or 482 (a Via with our sent-by
 * and the branch loop part this request would get, item 4). */
int sipt_proxy_check(struct sipt *s, const struct sip_msg *req, int *status);

struct sipt_fwd {
	struct sv ruri;        /* new Request-URI; empty = keep (§16.6.2) */
	enum sipt_proto proto; /* next-hop transport, for our Via */
	const struct sipt_hdr_edit *edits;
	size_t nedits;
};

/* Appends the forwarded request to out (§16.6): our Via on top with branch
 * "z9hG4bK" + loop hash + "." + random (copied to branch_out), Max-Forwards
 * decremented (70 added if absent), top Route removed if it names us
 * (§16.4), edits applied, everything else copied verbatim, Content-Length
 * recomputed. -EINVAL if Max-Forwards is 0. */
int sipt_proxy_fwd_print(struct sipt *s, const struct sip_msg *req,
			 const struct sipt_fwd *f, struct buf *out,
			 char branch_out[SIPT_BRANCH_MAX]);
/* Appends resp with its top Via value removed (§16.7 item 3) and edits
 * applied. -EBADMSG if no Via would remain. */
int sipt_proxy_resp_print(const struct sip_msg *resp,
			  const struct sipt_hdr_edit *edits, size_t nedits,
			  struct buf *out);
/* Does this URI (e.g. a Route) name us: host = sent-by, a listen address
 * or an alias, and port (5060 if absent) = one of ours? */
bool sipt_uri_is_us(const struct sipt *s, const struct sip_uri *u);

#endif
