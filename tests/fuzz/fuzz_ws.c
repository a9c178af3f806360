/*
 * fuzz_ws.c - libFuzzer target for lib/ws (WebSocket framing) with SIP
 * inside, as the WSF runs it.
 *
 * The input is what a browser sends after the 101. A real server-side
 * connection is made over loopback (lib/tls stream, once per input) and
 * handed to ws_conn_accept with the input as the bytes that followed the
 * upgrade request, so the scanner, wslay and the close logic run exactly
 * as in the WSF, in one deterministic piece. Every text or binary message
 * reassembled is treated as wsf/flow.c does: CRLF keep-alives answered,
 * else parsed as one SIP message (RFC 7118 §5: Content-Length optional)
 * and walked, or answered with the quick error response. The frame
 * scanner is also run on its own, fed in 1..16-byte pieces, and must agree
 * with one pass over the whole input. The input is also offered to the
 * handshake parsers (request and 101).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "ws/ws_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct stream_listener *lsn;
static uint16_t port;
static struct stream *srv;  /* accepted, one at a time */
static bool cli_open, cli_closed, srv_closed, ws_closed;
static unsigned nmsg;

static void on_read_discard(struct stream *s, const char *p, size_t n,
			    void *arg)
{
	UNUSED(s), UNUSED(p), UNUSED(n), UNUSED(arg);
}

static void on_cli_open(struct stream *s, int err, void *arg)
{
	UNUSED(s), UNUSED(arg);
	cli_open = !err;
}

static void on_cli_close(struct stream *s, int err, void *arg)
{
	UNUSED(s), UNUSED(err), UNUSED(arg);
	cli_closed = true;
}

static void on_srv_close(struct stream *s, int err, void *arg)
{
	UNUSED(s), UNUSED(err), UNUSED(arg);
	srv_closed = true;
}

static void on_accept(struct stream_listener *l, struct stream *s, void *arg)
{
	struct stream_cbs cbs = { NULL, on_read_discard, on_srv_close, NULL };

	UNUSED(l), UNUSED(arg);
	if (srv) {
		stream_abort(s);
		return;
	}
	stream_set_cbs(s, &cbs);
	srv = obj_ref(s);
}

/* wsf/flow.c on_ws_msg: one SIP message per WebSocket message. */
static void on_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct sip_msg *m;
	struct perr e = { 0 };
	struct buf b;
	size_t skip = 0;
	char *copy;

	UNUSED(op), UNUSED(arg);
	nmsg++;
	while (skip < n && (p[skip] == '\r' || p[skip] == '\n'))
		skip++;
	if (skip == n) {
		if (n >= 4)
			(void)ws_conn_send(c, WS_OP_TEXT, "\r\n", 2);
		return;
	}
	copy = xmemdup(p + skip, n - skip);
	m = xmalloc(sizeof(*m));
	buf_init(&b);
	if (!sip_msg_parse(m, copy, n - skip, false, &e)) {
		if (m->is_request && m->method != SIP_METHOD_ACK)
			sip_print_response(&b, m, 100, NULL, NULL);
	} else {
		memcpy(copy, p + skip, n - skip);
		if (!sip_print_error_for_raw(&b, copy, n - skip, &e))
			(void)ws_conn_send(c, WS_OP_TEXT, b.data, b.len);
	}
	buf_close(&b);
	free(m);
	free(copy);
}

static void on_close(struct ws_conn *c, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	UNUSED(c), UNUSED(code), UNUSED(reason), UNUSED(err), UNUSED(arg);
	ws_closed = true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	UNUSED(argc), UNUSED(argv);
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR);
	if (uv_loop_init(&loop) ||
	    stream_listen(&lsn, &loop, "127.0.0.1", 0, NULL, NULL, on_accept,
			  NULL))
		abort();
	port = stream_listener_port(lsn);
	return 0;
}

static void run_until(bool *flag, unsigned max)
{
	for (unsigned i = 0; i < max && !*flag; i++)
		uv_run(&loop, UV_RUN_ONCE);
}

static void scan_check(const uint8_t *data, size_t size, bool server)
{
	struct ws__scan whole = { .max = 1024, .server = server };
	struct ws__scan part = whole;
	uint16_t cw = 0, cp = 0;
	size_t nw, np = 0, hi = 0;

	nw = ws__scan(&whole, data, size, &cw);
	/* Bytes arrive in pieces of 1..16; what was not passed on (a partial
	 * header) is offered again with the next piece. */
	while (hi < size && !cp) {
		hi += (size_t)(data[hi] & 15) + 1;
		if (hi > size)
			hi = size;
		np += ws__scan(&part, data + np, hi - np, &cp);
		if (np > hi)
			abort();
	}
	if (nw > size || np != nw || cp != cw)
		abort(); /* the scanner depends on how bytes arrive */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_cbs ccbs = { on_cli_open, on_read_discard, on_cli_close,
				   NULL };
	struct ws_conf conf = { .max_msg = 1024, .close_timeout_ms = 50 };
	struct ws_cbs cbs = { NULL, on_msg, on_close, NULL, NULL };
	struct stream *cli = NULL;
	struct ws_conn *wc = NULL;
	struct ws_hs_req req;
	struct ws_hs_resp resp;
	static const char *const protos[] = { "sip", NULL };
	size_t head;
	bool accepted;

	/* Handshake parsers, on the raw bytes. */
	struct sv raw = { (const char *)data, size };

	(void)ws_handshake_request_parse(raw, &req, &head, NULL);
	(void)ws_handshake_response_parse(raw, "dGhlIHNhbXBsZSBub25jZQ==",
					  protos, &resp, NULL);
	scan_check(data, size, true);
	scan_check(data, size, false);

	cli_open = cli_closed = srv_closed = ws_closed = false;
	nmsg = 0;
	if (stream_connect(&cli, &loop, "127.0.0.1", port, NULL, NULL, NULL,
			   &ccbs))
		abort();
	for (unsigned i = 0; i < 1000 && !(cli_open && srv); i++)
		uv_run(&loop, UV_RUN_ONCE);
	if (!srv)
		abort(); /* loopback accept failed: not the input's fault */
	if (ws_conn_accept(&wc, &loop, srv, NULL,
			   (struct sv){ (const char *)data, size }, &conf,
			   &cbs))
		abort();
	/* The leftover is pumped from the next iteration on. */
	for (unsigned i = 0; i < 4 && !ws_closed; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	accepted = ws_conn_is_open(wc);
	if (getenv("FUZZ_WS_DEBUG"))
		fprintf(stderr, "ws: %u messages, open %d\n", nmsg, accepted);
	UNUSED(accepted);
	ws_conn_abort(wc);
	wc = obj_unref(wc);
	stream_abort(cli);
	cli = obj_unref(cli);
	run_until(&ws_closed, 1000);
	run_until(&cli_closed, 1000);
	srv = obj_unref(srv);
	if (!ws_closed || !cli_closed)
		abort(); /* a connection that never ends */
	return 0;
}
