/* linein.c - bounded line reader on the loop (see linein.h). */
#include "linein.h"

#include <errno.h>
#include <stdlib.h>

static void deliver(struct linein *li)
{
	size_t len = li->len;

	li->len = 0;
	if (len && li->line[len - 1] == '\r')
		len--;
	if (len > li->max) {
		li->cb(li, NULL, 0, -EMSGSIZE, li->arg);
		return;
	}
	li->line[len] = '\0';
	li->cb(li, li->line, len, 0, li->arg);
}

static void feed(struct linein *li, const char *p, size_t n)
{
	for (size_t i = 0; i < n && li->open; i++) {
		if (p[i] == '\n') {
			if (li->skipping)
				li->skipping = false;
			else
				deliver(li);
			li->len = 0;
			continue;
		}
		if (li->skipping)
			continue;
		/* Room for max bytes and a CR; one more is too long. */
		if (li->len == li->max + 1) {
			li->skipping = true;
			li->len = 0;
			li->cb(li, NULL, 0, -EMSGSIZE, li->arg);
			continue;
		}
		li->line[li->len++] = p[i];
	}
}

/* End of input or a read error: the last unterminated line, then err. */
static void finish(struct linein *li, int err)
{
	if (!li->open || li->done)
		return;
	if (err == UV_EOF && li->len && !li->skipping)
		deliver(li);
	if (!li->open)
		return;
	li->done = true;
	if (li->kind != UV_FILE)
		uv_read_stop(&li->h.stream);
	li->cb(li, NULL, 0, err, li->arg);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct linein *li = h->data;

	UNUSED(hint);
	*b = uv_buf_init(li->rd, sizeof(li->rd));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct linein *li = s->data;

	if (n > 0)
		feed(li, b->base, (size_t)n);
	else if (n < 0)
		finish(li, (int)n);
}

static void fs_cb(uv_fs_t *req);

static void fs_next(struct linein *li)
{
	uv_buf_t b = uv_buf_init(li->rd, sizeof(li->rd));
	int rc;

	li->reading_fs = true;
	rc = uv_fs_read(li->loop, &li->fsreq, li->fd, &b, 1, -1, fs_cb);
	if (rc) {
		li->reading_fs = false;
		finish(li, rc);
	}
}

static void fs_cb(uv_fs_t *req)
{
	struct linein *li = (struct linein *)(void *)((char *)req -
			    offsetof(struct linein, fsreq));
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	li->reading_fs = false;
	if (!li->open)
		return;
	if (n > 0) {
		feed(li, li->rd, (size_t)n);
		if (li->open && !li->done)
			fs_next(li);
	} else {
		finish(li, n == 0 ? UV_EOF : (int)n);
	}
}

int linein_start(struct linein *li, uv_loop_t *loop, int fd, size_t max,
		 linein_cb *cb, void *arg)
{
	int rc = 0;

	*li = (struct linein){ .loop = loop, .fd = fd, .max = max, .cb = cb,
			       .arg = arg };
	li->kind = uv_guess_handle(fd);
	switch (li->kind) {
	case UV_FILE:
		break;
	case UV_TTY:
		rc = uv_tty_init(loop, &li->h.tty, fd, 1);
		if (rc)
			return rc;
		break;
	case UV_NAMED_PIPE:
		uv_pipe_init(loop, &li->h.pipe, 0);
		rc = uv_pipe_open(&li->h.pipe, fd);
		break;
	case UV_TCP:
		uv_tcp_init(loop, &li->h.tcp);
		rc = uv_tcp_open(&li->h.tcp, fd);
		break;
	default:
		return -ENOTSUP;
	}
	if (li->kind != UV_FILE) {
		li->h.handle.data = li;
		if (!rc)
			rc = uv_read_start(&li->h.stream, alloc_cb, read_cb);
		if (rc) {
			uv_close(&li->h.handle, NULL);
			return rc;
		}
	}
	li->line = xmalloc(max + 2);
	li->open = true;
	if (li->kind == UV_FILE)
		fs_next(li);
	return 0;
}

void linein_close(struct linein *li)
{
	if (!li->open)
		return;
	li->open = false;
	free(li->line);
	li->line = NULL;
	/* A pending uv_fs_read cannot be withdrawn: fs_cb ignores its
	 * result. A stream handle closes now. */
	if (li->kind != UV_FILE)
		uv_close(&li->h.handle, NULL);
}
