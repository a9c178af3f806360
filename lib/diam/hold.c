/*
 * hold.c - the fault filter of the Diameter sending path (h.filter): a
 * message it drops is never written; one it delays waits on a timer of
 * its own, holding a reference to the peer, and is written (and traced)
 * when due if a connection is open then. Off unless a filter is set.
 */
#include "diam/peer_int.h"

#include <stdlib.h>
#include <string.h>

struct held {
	uv_timer_t timer;
	struct diam_peer *p; /* owned reference */
	size_t len;
	char data[];
};

static void held_closed(uv_handle_t *h)
{
	struct held *d = h->data;

	obj_unref(d->p);
	free(d);
}

/* A delayed message keeps the loop alive until it is due: a process
 * stopped meanwhile exits that much later (runner delays are short). */
static void held_fire(uv_timer_t *t)
{
	struct held *d = t->data;

	if (d->p->tcp_active && d->p->state != PS_DEAD)
		diam__conn_write(d->p, d->data, d->len);
	uv_close((uv_handle_t *)t, held_closed);
}

int diam__write(struct diam_peer *p, const void *msg, size_t len)
{
	struct held *d;
	int v;

	if (!p->tcp_active || !p->h.filter)
		return diam__conn_write(p, msg, len);
	v = p->h.filter(p->h.filter_arg, (const struct sockaddr *)&p->local,
			(const struct sockaddr *)&p->remote, msg, len);
	if (v == 0)
		return diam__conn_write(p, msg, len);
	if (v < 0)
		return 0;
	d = xmalloc(sizeof(*d) + len);
	d->p = obj_ref(p);
	d->len = len;
	memcpy(d->data, msg, len);
	uv_timer_init(p->loop, &d->timer);
	d->timer.data = d;
	uv_timer_start(&d->timer, held_fire, (uint64_t)v, 0);
	return 0;
}
