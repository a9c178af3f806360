/*
 * fuzz_http.c - libFuzzer target for lib/http's parser (llhttp inside) as
 * the WWS and the WSF use it.
 *
 * The input is what a client sends on one connection. It is pushed in
 * pieces (sizes taken from the input's own bytes, so a run is
 * deterministic) and every request is taken out as the server does
 * (http_parser_next_req until -EAGAIN or a refusal), pipelined ones
 * included. Each request is walked like the routes do: headers, tokens,
 * cookies, query and form parameters, the JSON body, base64url, and for
 * an upgrade the WebSocket handshake check and answer (wsf.c). The same
 * bytes are also read as responses (the client side: token introspection,
 * the enterprise WWS's calls), ending with the peer's EOF.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "ws/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sv hdr(const struct http_hdrs *h, const char *name)
{
	const struct http_hdr *x = http_hdr_find(h, name);

	return x ? x->value : SV_NULL;
}

static void walk_hdrs(const struct http_hdrs *h, struct sv body)
{
	static const char *const names[] = { "token", "v", "user", "impu",
					     "grant_type", "client_id" };
	struct buf b;
	struct sv v;
	json_t *j = NULL;
	unsigned n = 0;

	if (h->n > HTTP1_MAX_HEADERS)
		abort();
	for (const struct http_hdr *x = http_hdr_find(h, "Cookie");
	     x && n < HTTP1_MAX_HEADERS; x = http_hdr_next(h, x))
		n++;
	(void)http_hdr_has_token(h, "Connection", "keep-alive");
	(void)http_hdr_has_token(h, "Connection", "upgrade");
	(void)http_hdr_has_token(h, "Upgrade", "websocket");
	(void)http_cookie_get(h, "session", &v);
	(void)http_cookie_get(h, "imstb", &v);
	if (http_is_json(h) &&
	    !http_json_parse(body, 0, &j, NULL, 0))
		json_decref(j);
	buf_init(&b);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		buf_reset(&b);
		(void)http_param_get(body, names[i], &b);
	}
	buf_reset(&b);
	(void)http_b64url_decode(body, &b);
	buf_reset(&b);
	http_urlenc_put(&b, body);
	buf_close(&b);
}

static void walk_req(const struct http_req *r)
{
	static const char *const protos[] = { "sip", NULL };
	static const char *const origins[] = { "https://wws.fuzz.test", NULL };
	struct buf b;

	if (r->body.len > HTTP1_MAX_BODY || r->raw.len < r->start_line.len)
		abort();
	walk_hdrs(&r->hdrs, r->body);
	buf_init(&b);
	(void)http_param_get(r->query, "token", &b);
	if (r->upgrade) {
		/* wsf.c: the upgrade request handed to the handshake. */
		struct ws_hs_req hs = {
			.method = r->method,
			.target = r->target,
			.host = hdr(&r->hdrs, "Host"),
			.upgrade = hdr(&r->hdrs, "Upgrade"),
			.connection = hdr(&r->hdrs, "Connection"),
			.key = hdr(&r->hdrs, "Sec-WebSocket-Key"),
			.version = hdr(&r->hdrs, "Sec-WebSocket-Version"),
			.protocol = hdr(&r->hdrs, "Sec-WebSocket-Protocol"),
			.origin = hdr(&r->hdrs, "Origin"),
		};
		struct ws_hs_policy pol = { protos, true, NULL };
		struct ws_hs_result res;

		(void)ws_handshake_check(&hs, &pol, &res);
		ws_handshake_print(&res, &b);
		pol.origins = origins;
		pol.protocol_required = false;
		(void)ws_handshake_check(&hs, &pol, &res);
		ws_handshake_print(&res, &b);
	}
	buf_close(&b);
}

/* Piece sizes from the input's bytes: 1..64, or the rest. */
static size_t piece(const uint8_t *data, size_t size, size_t off,
		    unsigned i)
{
	size_t n = (size_t)(data[(off + i * 7) % size] & 0x3f) + 1;

	if (i % 4 == 3)
		n = size - off; /* now and then the whole rest at once */
	return n < size - off ? n : size - off;
}

static void as_requests(const uint8_t *data, size_t size)
{
	struct http_limits lim = { .max_body = 4096, .max_header_bytes = 2048 };
	struct http_parser *p = http_parser_new(false, size & 1 ? &lim : NULL);
	struct http_req req;
	struct perr e;
	size_t off = 0;
	bool dead = false;

	for (unsigned i = 0; off < size && !dead && i < 4096; i++) {
		size_t n = piece(data, size, off, i);

		http_parser_push(p, data + off, n);
		off += n;
		for (unsigned k = 0; k < 256; k++) {
			int err;

			memset(&e, 0, sizeof(e));
			err = http_parser_next_req(p, &req, &e);
			if (err == -EAGAIN)
				break;
			if (err) {
				/* a refusal names its status */
				if (err != -EBADMSG || !e.status)
					abort();
				(void)http_parser_held(p);
				dead = true;
				break;
			}
			walk_req(&req);
			(void)http_parser_leftover(p);
			if (req.upgrade) {
				dead = true; /* the rest is WebSocket's */
				break;
			}
			http_parser_consume(p);
		}
		(void)http_parser_pending(p);
	}
	http_parser_free(p);
}

static void as_responses(const uint8_t *data, size_t size)
{
	struct http_parser *p = http_parser_new(true, NULL);
	struct http_resp resp;
	struct perr e = { 0 };
	int err = -EAGAIN;

	http_parser_push(p, data, size);
	for (unsigned k = 0; k < 64; k++) {
		http_parser_expect_no_body(p, k & 1);
		err = http_parser_next_resp(p, &resp, &e);
		if (err)
			break;
		walk_hdrs(&resp.hdrs, resp.body);
		(void)http_status_reason(resp.status);
		if (resp.status == 101)
			break;
		http_parser_consume(p);
	}
	if (err == -EAGAIN && !http_parser_eof(p, &resp, &e))
		walk_hdrs(&resp.hdrs, resp.body);
	http_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	as_requests(data, size);
	as_responses(data, size);
	return 0;
}
