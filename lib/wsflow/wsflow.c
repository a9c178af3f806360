/*
 * wsflow.c - a client WebSocket as a sipt flow (RFC 7118), see wsflow.h.
 *
 * References on struct wsflow: the caller's (until wsflow_close), the
 * WebSocket callbacks' (until the close callback), and the stack's while
 * the flow is linked (sipt_flow_add takes it).
 */
#include "wsflow/wsflow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws/ws.h"

#define WSFLOW_CLOSE_MS 1000

struct wsflow {
	struct sipt_flow flow; /* FIRST: sipt.h plugs flows in this way */
	struct sipt *sipt;     /* borrowed */
	struct trace *trace;   /* borrowed, may be NULL */
	struct ws_conn *ws;    /* owned reference; NULL after close */
	enum sipt_proto proto;
	wsflow_event_cb *cb;   /* NULL once the caller let go */
	void *arg;
	void (*done)(void *arg); /* wsflow_close_then */
	void *done_arg;
	bool ready;  /* open and linked */
	bool ending; /* our close handshake has begun */
	bool told;   /* the failure event was given */
};

/* ---- URL ----------------------------------------------------------------- */

int wsflow_url_parse(struct wsflow_url *u, const char *url, const char **why)
{
	struct sv rest = sv_from_cstr(url), auth, host, port = SV_NULL;
	unsigned char addr[16];
	const char *w = "not ws://host:port/path or wss://host:port/path";
	uint64_t n;
	size_t i;
	int rc = -EINVAL;

	memset(u, 0, sizeof(*u));
	if (sv_case_starts_with(rest, "wss://")) {
		u->tls = true;
		u->port = 443;
		rest = (struct sv){ rest.p + 6, rest.len - 6 };
	} else if (sv_case_starts_with(rest, "ws://")) {
		u->port = 80;
		rest = (struct sv){ rest.p + 5, rest.len - 5 };
	} else {
		goto out;
	}
	for (i = 0; i < rest.len && rest.p[i] != '/' && rest.p[i] != '?'; i++)
		;
	auth = (struct sv){ rest.p, i };
	rest = (struct sv){ rest.p + i, rest.len - i };
	if (auth.len && auth.p[0] == '[') {
		const char *rb = sv_chr(auth, ']');

		if (!rb)
			goto out;
		host = (struct sv){ auth.p + 1, (size_t)(rb - auth.p - 1) };
		auth = (struct sv){ rb + 1,
				    (size_t)(auth.p + auth.len - rb - 1) };
		if (auth.len && auth.p[0] != ':')
			goto out;
		if (auth.len)
			port = (struct sv){ auth.p + 1, auth.len - 1 };
	} else {
		port = sv_split(auth, ':', &host);
		if (host.len == auth.len)
			port = SV_NULL;
	}
	if (port.p) {
		if (sv_to_u64(port, 65535, &n) || !n)
			goto out;
		u->port = (uint16_t)n;
	}
	if (sv_casecmp_cstr(host, "localhost"))
		host = SV("127.0.0.1");
	w = "the host must be a numeric address (no DNS in the testbed)";
	if (sv_copy(host, u->host, sizeof(u->host)) ||
	    (inet_pton(AF_INET, u->host, addr) != 1 &&
	     inet_pton(AF_INET6, u->host, addr) != 1))
		goto out;
	snprintf(u->authority, sizeof(u->authority), "%s%s%s:%u",
		 strchr(u->host, ':') ? "[" : "", u->host,
		 strchr(u->host, ':') ? "]" : "", u->port);
	w = "path too long";
	if (!rest.len)
		rest = SV("/");
	if (sv_copy(rest, u->path, sizeof(u->path)))
		goto out;
	rc = 0;
out:
	if (rc && why)
		*why = w;
	return rc;
}

/* ---- the flow ------------------------------------------------------------ */

static int flow_send(struct sipt_flow *sf, const char *p, size_t len)
{
	struct wsflow *f = (struct wsflow *)sf;
	int rc;

	if (!f->ws)
		return -ECANCELED;
	/* RFC 7118 §5.1: text frames for UTF-8 SIP, binary otherwise. */
	rc = ws_conn_send(f->ws, WS_OP_TEXT, p, len);
	if (rc == -EINVAL)
		rc = ws_conn_send(f->ws, WS_OP_BINARY, p, len);
	return rc;
}

/* RFC 6455 §7.1.2: the close handshake (once); a connection that cannot
 * take it (the peer's close or a fault is under way) is dropped. */
static void ws_end(struct wsflow *f)
{
	if (!f->ws || f->ending)
		return;
	f->ending = true;
	if (ws_conn_close(f->ws, WS_CLOSE_NORMAL, NULL) == -EPROTO)
		ws_conn_abort(f->ws);
}

/* The stack is closing and has unlinked us. */
static void flow_close(struct sipt_flow *sf)
{
	struct wsflow *f = (struct wsflow *)sf;

	f->ready = false;
	ws_end(f);
}

static void flow_describe(const struct sipt_flow *sf, char *out, size_t n)
{
	char l[SIPT_ADDR_MAX], r[SIPT_ADDR_MAX];

	sipt_addr_print((const struct sockaddr *)&sf->local, l);
	sipt_addr_print((const struct sockaddr *)&sf->peer, r);
	snprintf(out, n, "%s %s->%s", sipt_proto_name(sf->proto), l, r);
}

static const struct sipt_flow_ops flow_ops = {
	flow_send,
	flow_close,
	flow_describe,
};

static void tell(struct wsflow *f, int err)
{
	if (!f->cb || f->told)
		return;
	f->told = err != 0;
	f->cb(f, err, f->arg);
}

/* ---- WebSocket callbacks --------------------------------------------------
 */

static void on_open(struct ws_conn *ws, int err, void *arg)
{
	struct wsflow *f = arg;
	struct stream *s = ws_conn_stream(ws);
	int rc;

	if (err)
		return; /* the close callback follows with err */
	if (!f->cb) { /* the caller let go while we connected */
		ws_end(f);
		return;
	}
	rc = sipt_flow_add(f->sipt, &f->flow, &flow_ops, f->proto,
			   stream_local(s), stream_peer(s));
	if (rc) {
		ws_end(f);
		return;
	}
	f->ready = true;
	tell(f, 0);
}

/* RFC 7118 §5: one SIP message per WebSocket message, text or binary. */
static void on_msg(struct ws_conn *ws, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct wsflow *f = arg;
	char *copy;

	UNUSED(ws);
	UNUSED(op);
	if (!f->ready || !f->flow.linked)
		return;
	copy = xmalloc(n + 1); /* sipt_recv may write (folding) */
	memcpy(copy, p, n);
	sipt_recv(f->sipt, &f->flow, copy, n);
	free(copy);
}

static void on_close(struct ws_conn *ws, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	struct wsflow *f = arg;

	UNUSED(ws);
	log_debug("WebSocket closed: %u %.*s (%s)", code, SV_ARG(reason),
		  err ? strerror(-err) : "clean");
	f->ready = false;
	obj_ref(f);
	/* Fails the transactions still waiting on it (local 503). */
	sipt_flow_remove(&f->flow);
	tell(f, err ? err : -ECONNRESET);
	f->ws = obj_unref(f->ws);
	if (f->done)
		f->done(f->done_arg);
	f->done = NULL;
	obj_unref(f);
	obj_unref(f); /* the callbacks' reference */
}

/* The handshake as proto "http", close frames as proto "ws". */
static void on_trace(struct ws_conn *ws, bool sent, enum ws_opcode op,
		     const char *p, size_t n, void *arg)
{
	struct wsflow *f = arg;
	struct stream *s = ws_conn_stream(ws);
	char sum[160];
	const char *eol;
	struct sv rs = SV_NULL;

	if (!f->trace || !trace_on(f->trace))
		return;
	if (op == WS_OP_HTTP) {
		eol = memchr(p, '\r', n);
		struct sv line = { p, eol ? (size_t)(eol - p) : n };

		trace_emit(f->trace, &(struct trace_event){
					     .dir = sent ? TRACE_SEND
							 : TRACE_RECV,
					     .proto = "http",
					     .transport = stream_transport(s),
					     .local = stream_local(s),
					     .peer = stream_peer(s),
					     .summary = line,
					     .raw = p,
					     .len = n,
				     });
		return;
	}
	if (op != WS_OP_CLOSE)
		return;
	if (n >= 2)
		rs = (struct sv){ p + 2, n - 2 };
	snprintf(sum, sizeof(sum), "CLOSE %u %.*s",
		 n >= 2 ? ((unsigned)(unsigned char)p[0] << 8) |
				  (unsigned char)p[1]
			: WS_CLOSE_NO_STATUS,
		 (int)(rs.len > 100 ? 100 : rs.len), rs.p ? rs.p : "");
	trace_emit(f->trace, &(struct trace_event){
				     .dir = sent ? TRACE_SEND : TRACE_RECV,
				     .proto = "ws",
				     .transport = ws_conn_transport(ws),
				     .local = stream_local(s),
				     .peer = stream_peer(s),
				     .summary = sv_trim(sv_from_cstr(sum)),
				     .raw = p,
				     .len = n,
			     });
}

/* ---- API ----------------------------------------------------------------- */

int wsflow_open(struct wsflow **out, uv_loop_t *loop, struct sipt *sipt,
		const struct wsflow_conf *conf, struct rng *rng,
		wsflow_event_cb *cb, void *arg)
{
	static const char *const protocols[] = { "sip", NULL };
	const struct wsflow_url *u = conf->url;
	struct ws_cbs cbs = { on_open, on_msg, on_close, on_trace, NULL };
	struct ws_conf wc = { 0 };
	struct ws_client_req req = {
		.host = u->authority,
		.target = u->path,
		.origin = conf->origin,
		.protocols = protocols,
		.sni = NULL,
	};
	struct wsflow *f;
	int rc;

	*out = NULL;
	if (u->tls && !conf->tls)
		return -EINVAL;
	f = obj_new(sizeof(*f), NULL);
	f->sipt = sipt;
	f->trace = conf->trace;
	f->proto = u->tls ? SIPT_WSS : SIPT_WS;
	f->cb = cb;
	f->arg = arg;
	cbs.arg = f;
	wc.ping_ms = conf->ping_ms;
	wc.close_timeout_ms = conf->close_timeout_ms ? conf->close_timeout_ms
						     : WSFLOW_CLOSE_MS;
	rc = ws_conn_connect(&f->ws, loop, u->host, u->port,
			     u->tls ? conf->tls : NULL, NULL, &req, rng, &wc,
			     &cbs);
	if (rc) {
		obj_unref(f);
		return rc;
	}
	obj_ref(f); /* the callbacks' */
	*out = f;
	return 0;
}

void wsflow_close(struct wsflow *f)
{
	if (!f)
		return;
	f->cb = NULL;
	ws_end(f);
	obj_unref(f);
}

void wsflow_close_then(struct wsflow *f, void (*done)(void *arg), void *arg)
{
	if (!f->ws) {
		wsflow_close(f);
		done(arg);
		return;
	}
	f->done = done;
	f->done_arg = arg;
	wsflow_close(f);
}

bool wsflow_ready(const struct wsflow *f)
{
	return f && f->ready && f->flow.linked;
}

struct sipt_flow *wsflow_sipt(struct wsflow *f)
{
	return &f->flow;
}

enum sipt_proto wsflow_proto(const struct wsflow *f)
{
	return f->proto;
}
