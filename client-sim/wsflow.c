/*
 * wsflow.c - a UA's WebSocket to the WSF as a sipt flow (RFC 7118): the
 * connection (lib/ws over lib/tls) with the "sip" subprotocol and the
 * WWS's Origin (TR 23.701 Figure 6.X.2.1.2.2-1 step 4), each SIP message
 * one WebSocket message both ways (§5), so the UA's transactions run on
 * lib/sipt as over UDP or TCP.
 *
 * Lifetime: the flow is an obj. The UA holds one reference (ua->flow),
 * the WebSocket callbacks another (dropped in the close callback), the
 * sipt stack a third while linked. The client counts each flow among its
 * open handles until the WebSocket's close callback.
 */
#include "client_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws/ws.h"

/* The WebSocket's close handshake may not hold up a shutdown for long. */
#define WSFLOW_CLOSE_MS 1000

struct client_wsflow {
	struct sipt_flow flow; /* FIRST: sipt.h plugs flows in this way */
	struct client *c;      /* borrowed */
	struct client_ua *ua;  /* borrowed; NULL once detached */
	struct ws_conn *ws;    /* owned reference; NULL after close */
	bool ready;	       /* open and linked to the stack */
	bool ending;	       /* our close handshake has begun */
};

static int flow_send(struct sipt_flow *sf, const char *p, size_t len)
{
	struct client_wsflow *f = (struct client_wsflow *)sf;
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
static void ws_end(struct client_wsflow *f)
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
	struct client_wsflow *f = (struct client_wsflow *)sf;

	f->ready = false;
	ws_end(f);
}

static void flow_describe(const struct sipt_flow *sf, char *out, size_t n)
{
	const struct client_wsflow *f = (const struct client_wsflow *)sf;
	char l[SIPT_ADDR_MAX], r[SIPT_ADDR_MAX];

	sipt_addr_print((const struct sockaddr *)&sf->local, l);
	sipt_addr_print((const struct sockaddr *)&sf->peer, r);
	snprintf(out, n, "%s %s->%s (%s)", sipt_proto_name(sf->proto), l, r,
		 f->ua ? f->ua->name : "-");
}

static const struct sipt_flow_ops flow_ops = {
	flow_send,
	flow_close,
	flow_describe,
};

/* ---- WebSocket callbacks ---------------------------------------------- */

static void on_open(struct ws_conn *ws, int err, void *arg)
{
	struct client_wsflow *f = arg;
	struct stream *s = ws_conn_stream(ws);
	int rc;

	if (err)
		return; /* the close callback follows with err */
	rc = sipt_flow_add(f->c->sipt, &f->flow, &flow_ops,
			   f->ua && f->ua->tr == CLIENT_TR_WS ? SIPT_WS
							       : SIPT_WSS,
			   stream_local(s), stream_peer(s));
	if (rc) {
		ws_end(f);
		return;
	}
	f->ready = true;
	log_debug("WebSocket to %s open (%s)",
		  f->ua ? f->ua->wsf.authority : "-", ws_conn_protocol(ws));
	if (f->ua)
		client__ua_flow_event(f->ua, 0);
}

/* RFC 7118 §5: one SIP message per WebSocket message, text or binary. */
static void on_msg(struct ws_conn *ws, enum ws_opcode op, const char *p,
		   size_t n, void *arg)
{
	struct client_wsflow *f = arg;
	char *copy;

	UNUSED(ws);
	UNUSED(op);
	if (!f->ready || !f->flow.linked)
		return;
	copy = xmalloc(n + 1); /* sipt_recv may write (folding) */
	memcpy(copy, p, n);
	sipt_recv(f->c->sipt, &f->flow, copy, n);
	free(copy);
}

static void on_close(struct ws_conn *ws, uint16_t code, struct sv reason,
		     int err, void *arg)
{
	struct client_wsflow *f = arg;
	struct client *c = f->c;

	UNUSED(ws);
	log_debug("WebSocket closed: %u %.*s (%s)", code, SV_ARG(reason),
		  err ? strerror(-err) : "clean");
	f->ready = false;
	obj_ref(f);
	/* Fails the transactions still waiting on it (local 503); their
	 * events may drop the UA or close the client. */
	sipt_flow_remove(&f->flow);
	if (f->ua && f->ua->flow == f)
		client__ua_flow_event(f->ua, err ? err : -ECONNRESET);
	f->ws = obj_unref(f->ws);
	obj_unref(f);
	obj_unref(f); /* the callbacks' reference */
	client__handle_closed(c);
}

/* The handshake as proto "http" (the upgrade request and its 101), close
 * frames as proto "ws" ("CLOSE <code> <reason>", as the wsf traces them).
 * The SIP messages themselves are traced by the stack (proto "sip"). */
static void on_trace(struct ws_conn *ws, bool sent, enum ws_opcode op,
		     const char *p, size_t n, void *arg)
{
	struct client_wsflow *f = arg;
	struct stream *s = ws_conn_stream(ws);
	char sum[160];
	const char *eol;
	struct sv rs = SV_NULL;

	if (op == WS_OP_HTTP) {
		eol = memchr(p, '\r', n);
		app_trace_http(f->c->trace, sent, stream_transport(s),
			       stream_local(s), stream_peer(s),
			       (struct sv){ p, eol ? (size_t)(eol - p) : n },
			       p, n);
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
	trace_emit(f->c->trace,
		   &(struct trace_event){
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

int client__wsflow_open(struct client_ua *ua)
{
	static const char *const protocols[] = { "sip", NULL };
	struct client *c = ua->c;
	struct client_wsflow *f;
	struct tls_ctx *tls = NULL;
	struct ws_cbs cbs = { on_open, on_msg, on_close, on_trace, NULL };
	struct ws_conf wc = { 0 };
	struct ws_client_req req = {
		.host = ua->wsf.authority,
		.target = ua->wsf.path,
		.origin = ua->origin[0] ? ua->origin : NULL,
		.protocols = protocols,
		.sni = NULL,
	};
	int rc;

	if (ua->wsf.tls && !(tls = client__tls(c)))
		return -EPROTO;
	f = obj_new(sizeof(*f), NULL);
	f->c = c;
	f->ua = ua;
	cbs.arg = f;
	wc.ping_ms = (uint64_t)c->conf->ws_ping_ms;
	wc.close_timeout_ms = WSFLOW_CLOSE_MS;
	rc = ws_conn_connect(&f->ws, c->loop, ua->wsf.host, ua->wsf.port, tls,
			     NULL, &req, c->rng, &wc, &cbs);
	if (rc) {
		obj_unref(f);
		return rc;
	}
	obj_ref(f); /* the callbacks' */
	c->nhandles++;
	ua->flow = f;
	return 0;
}

void client__wsflow_close(struct client_wsflow *f)
{
	if (!f)
		return;
	f->ua = NULL;
	ws_end(f);
	obj_unref(f);
}

bool client__wsflow_ready(const struct client_wsflow *f)
{
	return f && f->ready && f->flow.linked;
}

struct sipt_flow *client__wsflow_sipt(struct client_wsflow *f)
{
	return &f->flow;
}
