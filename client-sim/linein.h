/*
 * linein.h - bounded lines from a file descriptor (stdin) on the loop.
 *
 * What the descriptor is decides how it is read: a TTY through uv_tty_t, a
 * pipe or socket through uv_pipe_t, a regular file or a character device
 * such as /dev/null through uv_fs_read (epoll cannot poll those). A line
 * ends at LF; a CR before it is dropped. A line longer than max bytes is
 * reported once as -EMSGSIZE and skipped up to its LF. At end of input an
 * unterminated last line is delivered, then UV_EOF.
 */
#ifndef IMSTB_CLIENT_LINEIN_H
#define IMSTB_CLIENT_LINEIN_H

#include <uv.h>

#include "base/base.h"

struct linein;

/* err 0: one line in line[0..len) (NUL-terminated, valid during the call);
 * -EMSGSIZE: a line over the limit was dropped; UV_EOF: end of input;
 * another negative: read error (no more calls). The callback may call
 * linein_close. */
typedef void linein_cb(struct linein *li, const char *line, size_t len,
		       int err, void *arg);

struct linein {
	uv_loop_t *loop; /* borrowed */
	int kind;        /* uv_handle_type of the descriptor */
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
		uv_tty_t tty;
	} h;
	uv_fs_t fsreq;
	uv_file fd;
	bool reading_fs; /* fsreq in flight */
	bool open;       /* handle or fs reading set up, not yet closed */
	bool done;       /* EOF or error reported */
	bool skipping;   /* inside an over-long line */
	size_t max;
	char *line;      /* owned: max + 2 bytes (line, CR, NUL) */
	size_t len;
	char rd[4096];
	linein_cb *cb;
	void *arg;
};

/* Starts reading fd. max is the longest line (bytes, without LF). As with
 * libuv, closing a stream (pipe, socket, TTY) closes its fd if above 2; a
 * file read with uv_fs_read stays open. 0, -ENOTSUP (descriptor of no
 * usable type) or a libuv error; on error a handle may be closing: run the
 * loop before uv_loop_close. */
int linein_start(struct linein *li, uv_loop_t *loop, int fd, size_t max,
		 linein_cb *cb, void *arg);
/* Stops: no callback after this. Memory of li must stay valid until the
 * loop has run (a handle close or an fs read may still be pending). */
void linein_close(struct linein *li);

#endif
