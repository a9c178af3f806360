/*
 * client_int.h - what client.c (the role, commands, events), ua.c (the
 * per-UA registration state machine), wsflow.c (SIP over a WebSocket as a
 * sipt flow) and web.c (HTTP to the WWS, URLs, TLS) share. Private to
 * client-sim.
 */
#ifndef IMSTB_CLIENT_INT_H
#define IMSTB_CLIENT_INT_H

#include "base/hmap.h"
#include "client.h"
#include "sipt/sipt.h"
#include "tls/stream.h"

struct client_wsflow;
struct http_client;
struct tls_ctx;

/* An absolute URL as the testbed uses them: http, https, ws or wss, a
 * numeric host (no DNS: "localhost" is taken as 127.0.0.1). */
struct client_url {
	char scheme[8];
	bool tls;	    /* https, wss */
	char host[64];	    /* numeric, without brackets */
	uint16_t port;	    /* default 80 / 443 */
	char authority[80]; /* "host:port" ("[v6]:port") for Host, Origin */
	char path[1024];    /* path and query; "/" if none */
};

enum ua_op {
	UA_OP_NONE = 0,
	UA_OP_REGISTER,
	UA_OP_REFRESH,
	UA_OP_DEREGISTER,
};

struct client_ua {
	struct hmap_node node; /* in client.uas, keyed by name */
	struct client *c;      /* borrowed */
	char *name, *impu, *impi, *password; /* owned */
	char *contact_uri;     /* owned: sip:user@host:port;transport=t */
	struct sipt_dest dest; /* the P-CSCF (or the WSF), over this UA's
				  transport */
	int tr;                /* enum client_tr */
	/* WebRTC mode (tr ws or wss) */
	struct client_url wsf; /* where the WebSocket goes */
	char *origin;          /* owned: its Origin header, "" = none */
	char *via_host;        /* owned: <random>.invalid (RFC 7118 §5.2) */
	bool terminate;        /* send X-IMS-Credential (NOTE 3) */
	bool bearer;           /* Authorization: Bearer */
	char *token;           /* owned, bearer only */
	bool token_web;        /* no token= given: each REGISTER carries
				  the token of the last `web NAME login` */
	struct client_wsflow *flow; /* owned reference; NULL: none yet */
	bool wait_flow;        /* the next REGISTER waits for the flow */
	long expires_req;      /* what we propose */
	char call_id[64];
	char from_tag[SIPT_TAG_MAX];
	char instance[48];     /* urn:uuid:... (RFC 5626 §4.1) */
	uint32_t cseq;

	enum ua_op op;         /* in flight, or NONE */
	bool registered;
	bool answered;   /* the last request answered a 401 of this op */
	bool stale_used; /* a stale=true challenge was answered in this op */
	bool min_exp_used;
	char *chal;      /* owned: the WWW-Authenticate value we answer */
	uint32_t nc;     /* last nonce-count sent for chal */

	long expires;          /* granted by the last 200 */
	json_t *service_route; /* owned: array of URIs */
	json_t *assoc_uris;    /* owned: array of URIs */
	char *route_set;       /* owned: Service-Route values joined, the
				  preloaded Route of later requests */
	struct sipt_ctrans *ct; /* borrowed while op != NONE */
	uv_timer_t timer;       /* refresh; ua freed in its close cb */
};

struct client {
	const struct client_conf *conf; /* borrowed */
	uv_loop_t *loop;                /* borrowed */
	struct trace *trace;            /* borrowed */
	struct rng *rng;                /* borrowed */
	struct sipt *sipt;
	char ruri[300]; /* sip:<home_domain> */
	struct hmap uas;
	struct hmap webs;      /* struct client_web by name */
	struct tls_ctx *tls;   /* owned; client context, made on first use */
	size_t busy; /* UAs with an operation in flight */
	unsigned nhandles; /* sipt + UA timers + WebSockets still open */
	bool closing;
	bool draining;
	client_drained_cb *drained_cb;
	void *drained_arg;
	client_event_cb *event_cb;
	void *event_arg;
};

/* client.c */
/* Hands ev to the event callback, then drops it (takes ownership). */
void client__emit(struct client *c, json_t *ev);
/* A UA's operation ended: runs the drain callback when it was the last. */
void client__op_done(struct client *c);
void client__handle_closed(struct client *c);
/* A JSON string of s (new reference, never NULL): s itself when it is
 * valid UTF-8 without NUL, else a copy with each byte outside printable
 * ASCII replaced by '?' (jansson refuses invalid UTF-8). */
json_t *client__jstr(struct sv s);

/* ua.c */
struct client_ua *client__ua_new(struct client *c,
				 const struct client_reg_args *a, int *err);
/* Starts op on an idle UA; its outcome comes as an event (a send failure
 * too, at once, as `failed`). */
void client__ua_start(struct client_ua *ua, enum ua_op op);
/* Abandons any transaction, unlinks from the map, closes the timer; the
 * memory goes in the close callback. */
void client__ua_drop(struct client_ua *ua);
/* The UA's WebSocket is open (err 0: a REGISTER waiting for it goes), or
 * could not open / closed (err < 0: the op in flight fails). */
void client__ua_flow_event(struct client_ua *ua, int err);

/* wsflow.c */
/* Opens a WebSocket to ua->wsf for ua and links it to the sipt stack when
 * open (then client__ua_flow_event(ua, 0)); ua->flow gets the reference.
 * A failure to connect at once is returned (no event). */
int client__wsflow_open(struct client_ua *ua);
/* Detaches from the UA, closes the WebSocket (code 1000) and drops the
 * UA's reference. */
void client__wsflow_close(struct client_wsflow *f);
/* Is the flow's WebSocket open and linked to the stack? */
bool client__wsflow_ready(const struct client_wsflow *f);
struct sipt_flow *client__wsflow_sipt(struct client_wsflow *f);

/* web.c */
/* Parses an absolute URL, or one starting with '/' relative to base
 * (NULL: none allowed). -EINVAL with the reason in *why. */
int client__url_parse(struct client_url *u, const char *url,
		      const char *base, const char **why);
/* The shared client TLS context (conf.ca_file, conf.keylog_file), made
 * on first use; NULL (logged) if it cannot be. */
struct tls_ctx *client__tls(struct client *c);
/* Trace hook of lib/http (proto "http"). */
void client__http_trace(struct stream *s, bool sent, struct sv start_line,
			const char *raw, size_t len, void *arg);
/* The token of the last successful `web NAME login`, or NULL. */
const char *client__web_token(struct client *c, const char *name);
/* Cancels NAME's web request in flight (no event) and frees its session;
 * false if it has none. */
bool client__web_forget(struct client *c, const char *name);
/* Cancels every web request (client_close) and frees the sessions. */
void client__web_close(struct client *c);

#endif
