/*
 * timer.c - the protocol timers of one stack (RFC 3261 §17 E, F, K, J and
 * the TCP idle timeout) multiplexed on a single uv_timer_t.
 *
 * Why not one uv_timer_t per transaction: a uv handle must be closed
 * asynchronously before its memory goes, which would make every
 * transaction's life end in a callback. Here a timer is a plain list node
 * embedded in its owner; stopping it is synchronous.
 */
#include "sipt/sipt_int.h"

static void tmr_unlink(struct sipt *s, struct sipt__tmr *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		s->tmr_head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = false;
}

void sipt__tmr_schedule(struct sipt *s)
{
	uint64_t now, wait;

	if (s->closing)
		return;
	if (!s->tmr_head) {
		uv_timer_stop(&s->timer);
		return;
	}
	now = uv_now(s->loop);
	wait = s->tmr_head->due > now ? s->tmr_head->due - now : 0;
	uv_timer_start(&s->timer, sipt__tmr_fire_cb, wait, 0);
}

void sipt__tmr_start(struct sipt *s, struct sipt__tmr *t, uint64_t ms,
		     sipt__tmr_cb *cb, void *arg)
{
	struct sipt__tmr *at, *prev = NULL;

	if (t->armed)
		tmr_unlink(s, t);
	t->due = uv_now(s->loop) + ms;
	t->cb = cb;
	t->arg = arg;
	/* Keep the list sorted; equal deadlines fire in start order. */
	for (at = s->tmr_head; at && at->due <= t->due; at = at->next)
		prev = at;
	t->prev = prev;
	t->next = at;
	if (prev)
		prev->next = t;
	else
		s->tmr_head = t;
	if (at)
		at->prev = t;
	t->armed = true;
	if (s->tmr_head == t)
		sipt__tmr_schedule(s);
}

void sipt__tmr_stop(struct sipt *s, struct sipt__tmr *t)
{
	bool was_head = s->tmr_head == t;

	if (!t->armed)
		return;
	tmr_unlink(s, t);
	if (was_head)
		sipt__tmr_schedule(s);
}

void sipt__tmr_fire_cb(uv_timer_t *h)
{
	struct sipt *s = h->data;
	uint64_t now = uv_now(s->loop);
	struct sipt__tmr *t;

	/* Pop before calling: the callback may free the owner or restart t. */
	while (!s->closing && (t = s->tmr_head) && t->due <= now) {
		tmr_unlink(s, t);
		t->cb(t->arg);
	}
	sipt__tmr_schedule(s);
}
