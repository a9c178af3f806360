/*
 * sipt_int.h - private declarations shared by the files of lib/sipt.
 * Included only inside the module.
 */
#ifndef IMSTB_SIPT_INT_H
#define IMSTB_SIPT_INT_H

#include "base/hmap.h"
#include "base/ipcount.h"
#include "sipt/sipt.h"

/* ---- timers (timer.c) ----------------------------------------------------
 * All protocol timers (E, F, K, J, TCP idle) hang off one uv_timer_t per
 * stack, so transactions and connections own no uv handle of their own and
 * can be freed synchronously. They sit in a binary min-heap: a load test
 * keeps tens of thousands armed (Timer J holds every UDP server
 * transaction for 64*T1), so start and stop must be O(log n). */
typedef void sipt__tmr_cb(void *arg);

struct sipt__tmr {
	size_t idx;   /* position in the heap while armed */
	uint64_t due; /* uv_now() ms */
	uint64_t seq; /* start order: equal deadlines fire first-come */
	sipt__tmr_cb *cb;
	void *arg;
	bool armed;
};

void sipt__tmr_start(struct sipt *s, struct sipt__tmr *t, uint64_t ms,
		     sipt__tmr_cb *cb, void *arg);
void sipt__tmr_stop(struct sipt *s, struct sipt__tmr *t);
void sipt__tmr_fire_cb(uv_timer_t *h);
void sipt__tmr_schedule(struct sipt *s);

/* ---- the stack ----------------------------------------------------------- */

struct sipt {
	uv_loop_t *loop; /* borrowed */
	struct sipt_conf conf; /* timers and limits resolved */
	char *via_host;        /* owned */
	struct rng own_rng;    /* used when conf.rng is NULL */

	uv_timer_t timer;
	struct sipt__tmr **tmr_heap; /* owned array of borrowed timers */
	size_t tmr_n, tmr_cap;
	uint64_t tmr_seq;

	bool udp_on;
	uv_udp_t udp;
	int tcp_fd; /* TCP socket bound with UDP's port, until tcp_open */
	struct sockaddr_storage udp_local;
	char *udp_rx; /* owned, SIP_MAX_MSG + 1 bytes */

	bool tcp_on;
	uv_tcp_t tcp;
	struct sockaddr_storage tcp_local;

	struct sipt_flow *flows; /* linked flows (each holds a ref) */
	struct sipt__conn *conns; /* every open TCP connection (borrowed) */
	unsigned nconns;         /* built-in TCP connections alive */

	struct hmap strans; /* struct sipt_strans by key; holds a ref each */
	struct ipcount conn_ips; /* accepted TCP connections per source IP */
	struct ipcount pend_ips; /* unanswered server transactions per IP */
	struct hmap ctrans; /* struct sipt_ctrans by key; holds a ref each */
	size_t ntrans;

	struct sipt__held *held; /* messages a fault rule delays (hold.c) */

	unsigned nhandles; /* open uv handles we wait for on close */
	bool closing;
	sipt_close_cb *close_cb;
	void *close_arg;
};

/* core.c */
void sipt__handle_closed(struct sipt *s);
void sipt__trace(struct sipt *s, enum sipt_dir dir, const struct sipt_flow *f,
		 const char *p, size_t len);
/* Traces and sends through f->ops (TCP traces itself when bytes leave). */
int sipt__flow_send(struct sipt_flow *f, const char *p, size_t len);
/* sipt__flow_send without the fault filter. */
int sipt__flow_send_now(struct sipt_flow *f, const char *p, size_t len);
/* Sends to d; *used (optional) gets a reference to the flow used. */
int sipt__send_dest(struct sipt *s, const struct sipt_dest *d, const char *p,
		    size_t len, struct sipt_flow **used);
/* Unlinks a flow from the table; fails its client transactions with err. */
void sipt__flow_unlink(struct sipt_flow *f, int err);
int sipt__addr_parse(struct sv host, uint16_t port,
		     struct sockaddr_storage *ss);
bool sipt__addr_eq(const struct sockaddr *a, const struct sockaddr *b);
/* Numeric text of a sockaddr's IP (no port, no brackets). */
void sipt__ip_print(const struct sockaddr *sa, char *out, size_t n);
uint16_t sipt__addr_port(const struct sockaddr *sa);

/* hold.c: 1 if conf.filter_cb dropped or delayed the message, else 0. */
int sipt__hold(struct sipt_flow *f, const char *p, size_t len);
/* Frees the delayed messages (the stack closes). */
void sipt__held_drop_all(struct sipt *s);

/* transp.c */
int sipt__udp_open(struct sipt *s);
int sipt__tcp_open(struct sipt *s);
void sipt__listeners_close(struct sipt *s);
/* Closes the TCP connections left (those draining after a framing loss). */
void sipt__conns_close(struct sipt *s);
/* A transient UDP flow to peer (new reference). */
struct sipt_flow *sipt__udp_flow_new(struct sipt *s,
				     const struct sockaddr *peer);
/* A TCP connection to peer, connecting now (new reference). */
int sipt__tcp_connect(struct sipt *s, const struct sockaddr *peer,
		      struct sipt_flow **out);
extern const struct sipt_flow_ops sipt__tcp_ops;

/* strans.c */
void sipt__strans_on_request(struct sipt *s, struct sipt_flow *f,
			     const struct sip_msg *m);
void sipt__strans_drop_all(struct sipt *s);

/* ctrans.c */
void sipt__ctrans_on_response(struct sipt *s, struct sipt_flow *f,
			      const struct sip_msg *m);
void sipt__ctrans_flow_failed(struct sipt *s, struct sipt_flow *f, int err);
void sipt__ctrans_drop_all(struct sipt *s);

/* ---- rebase.c ------------------------------------------------------------ */

/* A copy of a message whose bytes [start, old_end) (offsets from raw.p)
 * were replaced by [start, new_end) in the copy: all else is equal. */
struct sipt__edit {
	size_t start, old_end, new_end;
};

/* *dst = src's parse moved onto the copy `base` (views before the edit
 * keep their offset, views after it shift, views across it stretch) and
 * the top Via re-parsed from the edited element: the whole-message parse
 * is not redone. -EBADMSG if the edited Via does not parse. */
int sipt__msg_rebase(struct sip_msg *dst, const struct sip_msg *src,
		     char *base, const struct sipt__edit *ed);

#endif
