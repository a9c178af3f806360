/*
 * timer.c - the protocol timers of one stack (RFC 3261 §17 E, F, K, J and
 * the TCP idle timeout) multiplexed on a single uv_timer_t.
 *
 * Why not one uv_timer_t per transaction: a uv handle must be closed
 * asynchronously before its memory goes, which would make every
 * transaction's life end in a callback. Here a timer is a plain node
 * embedded in its owner, kept in a binary min-heap ordered by (due, seq);
 * stopping it is synchronous and O(log n).
 */
#include "sipt/sipt_int.h"

static bool tmr_before(const struct sipt__tmr *a, const struct sipt__tmr *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(struct sipt *s, size_t i, struct sipt__tmr *t)
{
	s->tmr_heap[i] = t;
	t->idx = i;
}

static void sift_up(struct sipt *s, size_t i)
{
	struct sipt__tmr *t = s->tmr_heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!tmr_before(t, s->tmr_heap[parent]))
			break;
		heap_set(s, i, s->tmr_heap[parent]);
		i = parent;
	}
	heap_set(s, i, t);
}

static void sift_down(struct sipt *s, size_t i)
{
	struct sipt__tmr *t = s->tmr_heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= s->tmr_n)
			break;
		if (child + 1 < s->tmr_n &&
		    tmr_before(s->tmr_heap[child + 1], s->tmr_heap[child]))
			child++;
		if (!tmr_before(s->tmr_heap[child], t))
			break;
		heap_set(s, i, s->tmr_heap[child]);
		i = child;
	}
	heap_set(s, i, t);
}

static void tmr_unlink(struct sipt *s, struct sipt__tmr *t)
{
	size_t i = t->idx;
	struct sipt__tmr *last = s->tmr_heap[--s->tmr_n];

	t->armed = false;
	if (last == t)
		return;
	/* The last timer fills the hole, then moves to where it belongs. */
	heap_set(s, i, last);
	if (i > 0 && tmr_before(last, s->tmr_heap[(i - 1) / 2]))
		sift_up(s, i);
	else
		sift_down(s, i);
}

void sipt__tmr_schedule(struct sipt *s)
{
	uint64_t now, wait, due;

	if (s->closing)
		return;
	if (!s->tmr_n) {
		uv_timer_stop(&s->timer);
		return;
	}
	now = uv_now(s->loop);
	due = s->tmr_heap[0]->due;
	wait = due > now ? due - now : 0;
	uv_timer_start(&s->timer, sipt__tmr_fire_cb, wait, 0);
}

void sipt__tmr_start(struct sipt *s, struct sipt__tmr *t, uint64_t ms,
		     sipt__tmr_cb *cb, void *arg)
{
	struct sipt__tmr *head;

	if (t->armed)
		tmr_unlink(s, t);
	head = s->tmr_n ? s->tmr_heap[0] : NULL;
	t->due = uv_now(s->loop) + ms;
	t->seq = s->tmr_seq++;
	t->cb = cb;
	t->arg = arg;
	if (s->tmr_n == s->tmr_cap) {
		s->tmr_cap = s->tmr_cap ? 2 * s->tmr_cap : 64;
		s->tmr_heap = xrealloc(s->tmr_heap,
				       s->tmr_cap * sizeof(*s->tmr_heap));
	}
	heap_set(s, s->tmr_n++, t);
	sift_up(s, t->idx);
	t->armed = true;
	/* Re-arm the uv timer only when the earliest deadline changed (a
	 * restarted head that moved down changes it too: head != heap[0]). */
	if (s->tmr_heap[0] != head)
		sipt__tmr_schedule(s);
}

void sipt__tmr_stop(struct sipt *s, struct sipt__tmr *t)
{
	bool was_head;

	if (!t->armed)
		return;
	was_head = s->tmr_heap[0] == t;
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
	while (!s->closing && s->tmr_n && (t = s->tmr_heap[0])->due <= now) {
		tmr_unlink(s, t);
		t->cb(t->arg);
	}
	sipt__tmr_schedule(s);
}
