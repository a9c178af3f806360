/*
 * client_int.h - what client.c (the role, commands, events) and ua.c (the
 * per-UA registration state machine) share. Private to client-sim.
 */
#ifndef IMSTB_CLIENT_INT_H
#define IMSTB_CLIENT_INT_H

#include "base/hmap.h"
#include "client.h"
#include "sipt/sipt.h"

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
	struct sipt_dest dest; /* the P-CSCF, over this UA's transport */
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
	size_t busy; /* UAs with an operation in flight */
	unsigned nhandles; /* sipt + UA timers still open */
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

#endif
