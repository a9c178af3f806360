/* peer_int.h - what peer.c and server.c share (private to lib/diam). */
#ifndef IMSTB_DIAM_PEER_INT_H
#define IMSTB_DIAM_PEER_INT_H

#include "diam/diam_peer.h"

enum diam__pstate {
	PS_IDLE = 0,   /* client: waiting to (re)connect */
	PS_CONNECTING, /* client: TCP connect in progress */
	PS_WAIT_CEA,   /* client: CER sent */
	PS_WAIT_CER,   /* server: accepted, no CER yet */
	PS_OPEN,       /* CER/CEA done: R-Open / I-Open */
	PS_CLOSING,    /* DPR sent (we are going away), or flushing a close */
	PS_DEAD,       /* handles closing; no more traffic */
};

struct diam__pending {
	struct diam__pending *next;
	uint32_t hbh;
	uint64_t deadline; /* uv_now() ms */
	diam_answer_cb *cb;
	void *arg;
	char *raw; /* owned; the request while not yet written */
	size_t len;
};

struct diam_peer {
	uv_loop_t *loop;       /* borrowed */
	struct diam_conf conf; /* strings borrowed */
	struct diam_handlers h;
	struct diam_server *srv; /* borrowed: the owning server, or NULL */
	struct diam_peer *srv_next;
	bool client;
	bool freed; /* the owner let go: no callbacks but trace */
	enum diam__pstate state;

	uv_tcp_t tcp;
	bool tcp_active; /* initialised and not being closed */
	uv_connect_t creq;
	uv_shutdown_t sreq;
	uv_timer_t timer;  /* reconnect, CER/CEA/DPA wait, watchdog */
	uv_timer_t rtimer; /* request timeouts */
	bool timers_closed;
	int handles; /* uv handles not yet closed */

	struct sockaddr_storage remote, local;
	struct buf rx;
	char rbuf[16384];

	struct diam__pending *ph, *pt; /* by deadline (FIFO) */
	uint32_t next_hbh, next_e2e;
	uint64_t backoff;
	bool activity;	/* received something since the last watchdog tick */
	bool dwr_out;	/* our DWR awaits its DWA */
	char host[256]; /* the peer's Origin-Host */
	uint64_t sess_hi, sess_lo;
};

/* peer.c: writes (and traces) one message now, without the filter. */
int diam__conn_write(struct diam_peer *p, const void *msg, size_t len);
/* hold.c: diam__conn_write unless h.filter drops or delays it (then 0). */
int diam__write(struct diam_peer *p, const void *msg, size_t len);

/* server.c -> peer.c: a peer for an accepted connection (the server
 * holds the returned reference); NULL if accept failed. */
struct diam_peer *diam__peer_accept(struct diam_server *s, uv_loop_t *loop,
				    const struct diam_conf *conf,
				    const struct diam_handlers *h,
				    uv_stream_t *listener);
/* peer.c -> server.c: the connection is gone; drop it from the list and
 * release the server's reference. */
void diam__server_unlink(struct diam_server *s, struct diam_peer *p);

#endif
