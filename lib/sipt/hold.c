/*
 * hold.c - the fault filter of the sending path (conf.filter_cb): a
 * message it drops never leaves; one it delays waits on the stack's timer
 * heap, holding a reference to its flow, and leaves (and is traced) when
 * due, if the flow can still send. Off unless a filter is configured.
 */
#include "sipt/sipt_int.h"

#include <stdlib.h>
#include <string.h>

struct sipt__held {
	struct sipt__tmr tmr;
	struct sipt *s;          /* borrowed */
	struct sipt__held *next; /* s->held */
	struct sipt_flow *f;     /* owned reference */
	size_t len;
	char data[];
};

static void held_unlink(struct sipt__held *h)
{
	struct sipt__held **pp = &h->s->held;

	while (*pp && *pp != h)
		pp = &(*pp)->next;
	if (*pp)
		*pp = h->next;
}

static void held_fire(void *arg)
{
	struct sipt__held *h = arg;

	held_unlink(h);
	if (h->f->sipt == h->s)
		sipt__flow_send_now(h->f, h->data, h->len);
	obj_unref(h->f);
	free(h);
}

int sipt__hold(struct sipt_flow *f, const char *p, size_t len)
{
	struct sipt *s = f->sipt;
	struct sipt__held *h;
	int v = s->conf.filter_cb(s, sipt_proto_name(f->proto),
				  (const struct sockaddr *)&f->local,
				  (const struct sockaddr *)&f->peer, p, len,
				  s->conf.filter_arg);

	if (v == 0)
		return 0;
	if (v < 0)
		return 1;
	h = xmalloc(sizeof(*h) + len);
	memset(h, 0, sizeof(*h));
	h->s = s;
	h->f = obj_ref(f);
	h->len = len;
	memcpy(h->data, p, len);
	h->next = s->held;
	s->held = h;
	sipt__tmr_start(s, &h->tmr, (uint64_t)v, held_fire, h);
	return 1;
}

void sipt__held_drop_all(struct sipt *s)
{
	struct sipt__held *h;

	while ((h = s->held)) {
		s->held = h->next;
		sipt__tmr_stop(s, &h->tmr);
		obj_unref(h->f);
		free(h);
	}
}
