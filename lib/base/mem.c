/* mem.c - allocation that aborts on OOM, growable buffers, refcounts. */
#include "base/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "imstb: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

void *xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n);

	if (n)
		memcpy(q, p, n);
	return q;
}

/* ---- buf ---------------------------------------------------------------- */

void buf_init(struct buf *b)
{
	*b = (struct buf){ 0 };
}

void buf_close(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putsv(struct buf *b, struct sv s)
{
	buf_append(b, s.p, s.len);
}

void buf_put_u(struct buf *b, unsigned long n, int width)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
		width--;
	} while ((n || width > 0) && i > 0);
	buf_append(b, tmp + i, sizeof(tmp) - i);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	int n;

	/* One pass when the text fits the room left (the usual case), a
	 * second one after growing when it did not. */
	va_copy(ap2, ap);
	n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		if (b->data)
			b->data[b->len] = '\0';
		return;
	}
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return;
	}
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

/* ---- perr --------------------------------------------------------------- */

int perr_set(struct perr *e, size_t offset, const char *why, int status)
{
	if (e) {
		e->offset = offset;
		e->why = why;
		e->status = status;
	}
	return -EBADMSG;
}

/* ---- obj ---------------------------------------------------------------- */

struct obj_hdr {
	unsigned refs;
	obj_dtor_cb *dtor;
	max_align_t align[]; /* the object follows, suitably aligned */
};

static struct obj_hdr *obj_hdr(const void *obj)
{
	return (struct obj_hdr *)((char *)(uintptr_t)obj -
				  offsetof(struct obj_hdr, align));
}

void *obj_new(size_t size, obj_dtor_cb *dtor)
{
	struct obj_hdr *h = xcalloc(1, sizeof(*h) + size);

	h->refs = 1;
	h->dtor = dtor;
	return h->align;
}

void *obj_ref(void *obj)
{
	if (obj)
		obj_hdr(obj)->refs++;
	return obj;
}

void *obj_unref(void *obj)
{
	struct obj_hdr *h;

	if (!obj)
		return NULL;
	h = obj_hdr(obj);
	if (--h->refs > 0)
		return NULL;
	if (h->dtor)
		h->dtor(obj);
	free(h);
	return NULL;
}

unsigned obj_refs(const void *obj)
{
	return obj ? obj_hdr(obj)->refs : 0;
}
