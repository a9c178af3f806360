/*
 * flow.c - WebSocket connections as SIP flows (RFC 7118 §5, RFC 5626 §5).
 *
 * Each accepted WebSocket is linked to sipt as a WS or WSS flow: every
 * WebSocket message is one SIP message handed to sipt_recv (malformed ones
 * are answered 400 by sipt over the same socket), and whatever sipt sends
 * on the flow leaves as one text message (binary if it is not UTF-8).
 * A message made only of CRLFs is a keep-alive, not SIP: "\r\n\r\n" gets
 * "\r\n" back (RFC 5626 §4.4.1).
 *
 * The flow token names the connection in the Path we insert, so a request
 * coming back from IMS finds the socket: id in hex, then an HMAC of it
 * (RFC 5626 §5.2 recommends making tokens unforgeable this way).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wsf_int.h"

#define MAX_CSEQS 16 /* Call-IDs with a CSeq offset kept per flow */

static void flow_dtor(void *o)
{
	struct wsf_flow *f = o;
	struct wsf__cseq *c;

	obj_unref(f->wc);
	free(f->origin);
	free(f->impi);
	if (f->password) {
		OPENSSL_cleanse(f->password, strlen(f->password));
		free(f->password);
	}
	while ((c = f->cseqs)) {
		f->cseqs = c->next;
		free(c->call_id);
		free(c);
	}
}

/* ---- tokens ----------------------------------------------------------- */

static void token_mac(const struct wsf *w, const char id[WSF_ID_HEX + 1],
		      char out[WSF_ID_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), w->secret, (int)w->secret_len,
	     (const unsigned char *)id, WSF_ID_HEX, md, &mdlen);
	hex_encode(md, WSF_ID_HEX / 2, out);
}

static bool is_hex(struct sv v)
{
	for (size_t i = 0; i < v.len; i++)
		if (!strchr("0123456789abcdefABCDEF", v.p[i]) || !v.p[i])
			return false;
	return true;
}

int wsf__flow_by_token(struct wsf *w, struct sv token, struct wsf_flow **out)
{
	char tok[WSF_TOKEN_LEN + 1], mac[WSF_ID_HEX + 1];
	struct hmap_node *n;
	int err = 0;

	*out = NULL;
	if (token.len != WSF_TOKEN_LEN || !is_hex(token)) {
		err = -EACCES;
		goto out;
	}
	for (size_t i = 0; i < WSF_TOKEN_LEN; i++)
		tok[i] = (char)(token.p[i] | 0x20); /* lowercase hex */
	tok[WSF_TOKEN_LEN] = '\0';
	token_mac(w, tok, mac);
	if (CRYPTO_memcmp(mac, tok + WSF_ID_HEX, WSF_ID_HEX)) {
		err = -EACCES;
		goto out;
	}
	n = hmap_find(&w->flows, (struct sv){ tok, WSF_ID_HEX });
	if (!n) {
		err = -ENOENT;
		goto out;
	}
	*out = hmap_entry(n, struct wsf_flow, node);
out:
	return err;
}

/* ---- flow state ------------------------------------------------------- */

void wsf__flow_cred_set(struct wsf_flow *f, struct sv impi,
			struct sv password)
{
	free(f->impi);
	if (f->password) {
		OPENSSL_cleanse(f->password, strlen(f->password));
		free(f->password);
	}
	f->impi = sv_dup(impi);
	f->password = sv_dup(password);
}

uint32_t wsf__flow_cseq_off(const struct wsf_flow *f, struct sv call_id)
{
	for (const struct wsf__cseq *c = f->cseqs; c; c = c->next)
		if (sv_eq_cstr(call_id, c->call_id))
			return c->off;
	return 0;
}

void wsf__flow_cseq_set(struct wsf_flow *f, struct sv call_id, uint32_t off)
{
	struct wsf__cseq *c, **pp;

	for (c = f->cseqs; c; c = c->next) {
		if (sv_eq_cstr(call_id, c->call_id)) {
			c->off = off;
			return;
		}
	}
	if (f->ncseqs == MAX_CSEQS) {
		/* Bounded: forget the oldest Call-ID (the list's tail). */
		for (pp = &f->cseqs; (*pp)->next; pp = &(*pp)->next)
			;
		free((*pp)->call_id);
		free(*pp);
		*pp = NULL;
		f->ncseqs--;
	}
	c = xcalloc(1, sizeof(*c));
	c->call_id = sv_dup(call_id);
	c->off = off;
	c->next = f->cseqs;
	f->cseqs = c;
	f->ncseqs++;
}

/* ---- sipt flow operations --------------------------------------------- */

static int op_send(struct sipt_flow *sf, const char *p, size_t len)
{
	struct wsf_flow *f = (struct wsf_flow *)sf;
	int err;

	/* RFC 7118 §5: text for UTF-8 SIP, binary otherwise (a 400 may quote
	 * bytes of what it refuses). */
	err = ws_conn_send(f->wc, WS_OP_TEXT, p, len);
	if (err == -EINVAL)
		err = ws_conn_send(f->wc, WS_OP_BINARY, p, len);
	return err;
}

/* sipt is closing (or wants the flow gone): RFC 6455 §7.4.1 1001. */
static void op_close(struct sipt_flow *sf)
{
	struct wsf_flow *f = (struct wsf_flow *)sf;

	ws_conn_close(f->wc, WS_CLOSE_GOING_AWAY, "going away");
}

static void op_describe(const struct sipt_flow *sf, char *out, size_t n)
{
	const struct wsf_flow *f = (const struct wsf_flow *)sf;
	char l[SIPT_ADDR_MAX], r[SIPT_ADDR_MAX];

	sipt_addr_print((const struct sockaddr *)&sf->local, l);
	sipt_addr_print((const struct sockaddr *)&sf->peer, r);
	snprintf(out, n, "%s %s->%s flow %s", sipt_proto_name(sf->proto), l,
		 r, f->id);
}

static const struct sipt_flow_ops flow_ops = {
	.send = op_send,
	.close = op_close,
	.describe = op_describe,
};

struct wsf_flow *wsf__flow_of(struct sipt_flow *f)
{
	return f && f->ops == &flow_ops ? (struct wsf_flow *)f : NULL;
}

/* ---- WebSocket callbacks ---------------------------------------------- */

static bool crlf_only(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static void on_ws_msg(struct ws_conn *c, enum ws_opcode op, const char *p,
		      size_t n, void *arg)
{
	struct wsf_flow *f = arg;
	char *copy;
	int err;

	UNUSED(op); /* RFC 7118 §5: text and binary both carry SIP */
	if (!f->w || !f->sf.linked || !f->ip_counted)
		return;
	if (crlf_only(p, n)) {
		/* RFC 5626 §4.4.1: a double CRLF "ping" gets a CRLF "pong";
		 * a lone CRLF is a pong itself. */
		if (n >= 4)
			ws_conn_send(c, WS_OP_TEXT, "\r\n", 2);
		return;
	}
	copy = xmemdup(p, n); /* sipt_recv may rewrite folded lines */
	obj_ref(f);
	err = sipt_recv(f->w->sipt, &f->sf, copy, n);
	if (err == -EBADMSG)
		log_info("flow %s: unanswerable message dropped", f->id);
	obj_unref(f);
	free(copy);
}

static void on_ws_close(struct ws_conn *c, uint16_t code, struct sv reason,
			int err, void *arg)
{
	struct wsf_flow *f = arg;
	struct wsf *w = f->w;

	UNUSED(c);
	if (w) {
		log_info("flow %s (%s) closed: code %u %.*s%s%s", f->id,
			 f->secure ? "wss" : "ws", code, SV_ARG(reason),
			 err ? " - " : "", err ? uv_strerror(err) : "");
		wsf__range_flow_gone(w, f);
		hmap_remove(&w->flows, &f->node);
		if (f->ip_counted)
			ipcount_release(&w->ws_ips,
					(const struct sockaddr *)&f->sf.peer);
		f->w = NULL;
	}
	/* Transactions still waiting on the flow fail (503 upstream). */
	sipt_flow_remove(&f->sf);
	obj_unref(f); /* the connection's reference */
}

/* The 101 as proto "http"; close frames as proto "ws" (the SIP inside data
 * messages is traced by sipt as proto "sip", transport ws/wss). */
static void on_ws_trace(struct ws_conn *c, bool sent, enum ws_opcode op,
			const char *p, size_t n, void *arg)
{
	struct wsf_flow *f = arg;
	struct stream *s = ws_conn_stream(c);
	char sum[160];
	struct sv line = { p, n };

	if (!f->w || !trace_on(f->w->trace))
		return;
	if (op == WS_OP_HTTP) {
		sv_split(line, '\r', &line);
		app_trace_http(f->w->trace, sent, stream_transport(s),
			       stream_local(s), stream_peer(s), line, p, n);
		return;
	}
	if (op != WS_OP_CLOSE)
		return;
	if (n >= 2)
		snprintf(sum, sizeof(sum), "CLOSE %u %.*s",
			 ((unsigned char)p[0] << 8) | (unsigned char)p[1],
			 (int)(n - 2 > 120 ? 120 : n - 2), p + 2);
	else
		snprintf(sum, sizeof(sum), "CLOSE");
	trace_emit(f->w->trace,
		   &(struct trace_event){ .dir = sent ? TRACE_SEND : TRACE_RECV,
					  .proto = "ws",
					  .transport = ws_conn_transport(c),
					  .local = stream_local(s),
					  .peer = stream_peer(s),
					  .summary = sv_from_cstr(sum),
					  .raw = p,
					  .len = n });
}

/* ---- accept ----------------------------------------------------------- */

int wsf__flow_accept(struct wsf *w, struct stream *s,
		     const struct ws_hs_result *hs, struct sv leftover,
		     struct sv origin)
{
	const struct wsf_conf *cf = w->conf;
	struct ws_conf wc = {
		.max_msg = (uint64_t)cf->max_msg,
		.ping_ms = (uint64_t)cf->ping_ms,
		.idle_ms = (uint64_t)cf->idle_ms,
	};
	struct ws_cbs cbs = { NULL, on_ws_msg, on_ws_close, on_ws_trace, NULL };
	struct wsf_flow *f = obj_new(sizeof(*f), flow_dtor);
	char peer[SIPT_ADDR_MAX];
	unsigned char be[8];
	uint64_t id = w->next_id++;
	int err;

	f->w = w;
	f->secure = stream_is_tls(s);
	/* Which WWS's page (or enterprise WWS) this is (RFC 6454). */
	f->origin = origin.len ? sv_dup(origin) : NULL;
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)(id >> (56 - 8 * i));
	hex_encode(be, sizeof(be), f->id);
	memcpy(f->token, f->id, WSF_ID_HEX);
	token_mac(w, f->id, f->token + WSF_ID_HEX);
	cbs.arg = f;
	err = ws_conn_accept(&f->wc, w->loop, s, hs, leftover, &wc, &cbs);
	if (err) {
		obj_unref(f); /* no callback will come */
		goto out;
	}
	/* From here the close callback owns the creation reference. */
	err = sipt_flow_add(w->sipt, &f->sf, &flow_ops,
			    f->secure ? SIPT_WSS : SIPT_WS, stream_local(s),
			    stream_peer(s));
	if (err) {
		f->w = NULL;
		ws_conn_close(f->wc, WS_CLOSE_GOING_AWAY, "going away");
		goto out;
	}
	hmap_insert(&w->flows, &f->node, (struct sv){ f->id, WSF_ID_HEX });
	sipt_addr_print(stream_peer(s), peer);
	log_info("flow %s: %s connection from %s", f->id,
		 f->secure ? "WSS" : "WS", peer);
	/* Per source address (issue 9): RFC 6455 §7.4.1 1013 Try Again
	 * Later, right after the 101; nothing from it is read. */
	f->ip_counted = ipcount_take(&w->ws_ips, stream_peer(s),
				     (unsigned)cf->max_conns_per_ip);
	if (!f->ip_counted) {
		log_warn("flow %s: %ld WebSockets from %s already "
			 "(max_conns_per_ip): close 1013",
			 f->id, cf->max_conns_per_ip, peer);
		ws_conn_close(f->wc, WS_CLOSE_TRY_AGAIN,
			      "too many connections");
	}
out:
	return err;
}

void wsf__flows_detach(struct wsf *w)
{
	struct hmap_iter it = { 0 };
	struct hmap_node *n;

	while ((n = hmap_iter_next(&w->flows, &it))) {
		struct wsf_flow *f = hmap_entry(n, struct wsf_flow, node);

		hmap_remove(&w->flows, n);
		f->w = NULL;
	}
}
