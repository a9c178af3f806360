/*
 * http.h - HTTP/1.1 (RFC 9110, RFC 9112) server and client over struct
 * stream (tls/stream.h: plain TCP or TLS), parsed with llhttp.
 *
 * Three layers:
 * - the parser (parse.c, no I/O): bytes in, complete requests or responses
 *   out, as views (struct sv) into the parser's receive buffer;
 * - the server (server.c): one request at a time per connection (reading is
 *   paused until the handler has answered, so pipelining is safe),
 *   keep-alive, limits and timeouts, WebSocket handover;
 * - the client (client.c): one request per connection (Connection: close).
 *
 * Our macros are HTTP1_*: HTTP_* and HPE_* belong to llhttp (STYLE rule 3).
 *
 * Errors: 0 or a negative errno. -EBADMSG malformed input (a struct perr,
 * when given, names the byte, the rule and the status to answer: 400, 413,
 * 431, 505, 501), -EAGAIN more bytes needed, -ETIMEDOUT, -ECANCELED the
 * connection is gone, -EMSGSIZE over a size limit, -ENOENT not found.
 */
#ifndef IMSTB_HTTP_H
#define IMSTB_HTTP_H

#include <jansson.h>
#include <uv.h>

#include "base/base.h"
#include "tls/stream.h"

#define HTTP1_MAX_HEADERS      64	     /* more: 431 (RFC 6585 §5) */
#define HTTP1_MAX_HEADER_BYTES (16 * 1024)   /* start line + headers: 431 */
#define HTTP1_MAX_BODY	       (1024 * 1024) /* default body limit: 413 */

struct http_limits {		     /* 0 = default */
	size_t max_header_bytes;     /* HTTP1_MAX_HEADER_BYTES */
	size_t max_body;	     /* HTTP1_MAX_BODY (decoded body) */
	uint64_t request_timeout_ms; /* 10000: first byte to full request,
					else 408 and close (slow loris) */
	uint64_t keepalive_ms;	     /* 30000: idle between requests, then
					close without an answer */
	size_t max_pending;	     /* stream_limits.max_pending */
	uint64_t handshake_ms;	     /* stream_limits.handshake_ms */
	unsigned max_conns_per_ip;   /* 0: none; beyond: 503 with Retry-After
					and close, after the TLS handshake */
	unsigned retry_after_s;	     /* 5 */
};

/* ---- parsed messages ----------------------------------------------------
 * Every view points into the parser's (or connection's) buffers and stays
 * valid until the message is consumed: http_parser_consume, or for a server
 * request until the handler has answered (http_respond*, http_conn_upgrade,
 * http_conn_close). Copy what must live longer. */

struct http_hdr {
	struct sv name;	 /* as received (compare case-insensitively) */
	struct sv value; /* OWS stripped */
};

struct http_hdrs {
	struct http_hdr v[HTTP1_MAX_HEADERS];
	size_t n;
};

struct http_req {
	struct sv method;      /* "GET" */
	struct sv target;      /* request-target as sent: "/a/b?x=1" */
	struct sv path;	       /* target before '?' (not decoded) */
	struct sv query;       /* after '?' (without it); empty if none */
	unsigned major, minor; /* 1.1, 1.0 */
	struct http_hdrs hdrs;
	struct sv body;	      /* decoded (de-chunked) body, may be empty */
	bool keep_alive;      /* the connection may carry another request */
	bool upgrade;	      /* Connection: upgrade with an Upgrade header */
	bool head;	      /* HEAD: the answer carries no body */
	struct sv start_line; /* without CRLF (trace summary) */
	struct sv raw;	      /* the exact bytes received (chunks framed) */
};

struct http_resp {
	int status;	  /* 200 */
	struct sv reason; /* "OK" */
	unsigned major, minor;
	struct http_hdrs hdrs;
	struct sv body;
	bool keep_alive;
	struct sv start_line;
	struct sv raw;
};

/* ---- parser (no I/O) ----------------------------------------------------
 * Feed bytes with http_parser_push (copied), then ask for the next message.
 * One message at a time: after a 0 return, the message stays in place until
 * http_parser_consume; what follows it (pipelined requests, WebSocket
 * frames after a 101) is kept and parsed next. */

struct http_parser;

struct http_parser *http_parser_new(bool response,
				    const struct http_limits *lim);
void http_parser_free(struct http_parser *p);
void http_parser_push(struct http_parser *p, const void *data, size_t n);
/* 0: *req filled; -EAGAIN: need more bytes; -EBADMSG: e->status is the
 * answer (400 malformed, 431 headers, 413 body, 505 version, 501 method
 * recognised but not served). After -EBADMSG the parser is dead. */
int http_parser_next_req(struct http_parser *p, struct http_req *req,
			 struct perr *e);
/* Same for responses. A response to HEAD (or any 1xx/204/304) has no body:
 * say so before its bytes are parsed. A 101 completes at the end of its
 * headers (the rest is the upgraded protocol's: http_parser_leftover). */
int http_parser_next_resp(struct http_parser *p, struct http_resp *resp,
			  struct perr *e);
void http_parser_expect_no_body(struct http_parser *p, bool no_body);
/* The peer closed: completes a response whose body runs to the end of the
 * connection (0), else -EBADMSG (truncated) or -EAGAIN (nothing started). */
int http_parser_eof(struct http_parser *p, struct http_resp *resp,
		    struct perr *e);
/* Drops the current message (views become invalid). */
void http_parser_consume(struct http_parser *p);
/* Bytes received after the current message: valid until the next push. */
struct sv http_parser_leftover(const struct http_parser *p);
/* Every byte held (e.g. to trace what a peer sent before an error). */
struct sv http_parser_held(const struct http_parser *p);
/* Bytes held that belong to a message not yet complete (0: idle). */
size_t http_parser_pending(const struct http_parser *p);

/* ---- header and parameter helpers --------------------------------------- */

/* First header named `name` (ASCII case-insensitive), or NULL. */
const struct http_hdr *http_hdr_find(const struct http_hdrs *h,
				     const char *name);
/* The next header after prev with the same name, or NULL. */
const struct http_hdr *http_hdr_next(const struct http_hdrs *h,
				     const struct http_hdr *prev);
/* true if any `name` header holds `token` as one element of its comma list
 * (case-insensitive, OWS trimmed): Connection: keep-alive, Upgrade. */
bool http_hdr_has_token(const struct http_hdrs *h, const char *name,
			const char *token);
/* Value of `name` in an application/x-www-form-urlencoded string (a query
 * or a form body: RFC 7662 `token=...`), percent- and '+'-decoded, appended
 * to out (buf_reset first if needed). -ENOENT absent, -EBADMSG bad %xx. */
int http_param_get(struct sv urlenc, const char *name, struct buf *out);
/* Appends s percent-encoded for a form body or query (unreserved kept). */
void http_urlenc_put(struct buf *b, struct sv s);
/* Cookie `name` from the Cookie headers (RFC 6265 §5.4), as a view. */
int http_cookie_get(const struct http_hdrs *h, const char *name,
		    struct sv *out);
/* true if Content-Type is application/json (parameters ignored). */
bool http_is_json(const struct http_hdrs *h);

/* Reason phrase of a status code ("Not Found"); "Unknown" if none. */
const char *http_status_reason(int status);

/* ---- JSON (jansson) and base64url ---------------------------------------- */

/* Parses body into *out (a new reference). -EMSGSIZE over max (0 = the
 * default body limit), -EBADMSG not JSON (why, if given, gets the jansson
 * message, NUL-terminated). */
int http_json_parse(struct sv body, size_t max, json_t **out, char *why,
		    size_t whylen);
/* RFC 4648 §5, no padding. */
void http_b64url_encode(struct buf *b, const void *p, size_t n);
/* Decodes (padding accepted, whitespace not) and appends; -EBADMSG. */
int http_b64url_decode(struct sv s, struct buf *out);

/* ---- trace hook ----------------------------------------------------------
 * Called for every request and response that crosses the wire (and, on the
 * server, for the bytes of a request refused as malformed, too large or too
 * slow, before the error answer), with the stream (for stream_peer,
 * stream_local, stream_transport), the direction (sent: we wrote it), the
 * start line and the raw bytes: for lib/trace, proto "http". */
typedef void(http_trace_cb)(struct stream *s, bool sent, struct sv start_line,
			    const char *raw, size_t len, void *arg);

/* ---- server -------------------------------------------------------------- */

struct http_server;
struct http_conn; /* an obj: obj_ref it to answer after the handler returns */

/* A complete request. Answer now or later with http_respond* exactly once
 * (or hand the connection over with http_conn_upgrade). To answer later,
 * obj_ref(c) now and obj_unref it after answering; req stays valid until
 * the answer. Not called again on c before that. */
typedef void(http_handler_cb)(struct http_conn *c, const struct http_req *req,
			      void *arg);

/* Listens on ip:port (0: OS-chosen); tls NULL = plain HTTP. tls is borrowed
 * and must outlive the server. lim NULL = defaults. */
int http_server_new(struct http_server **out, uv_loop_t *loop, const char *ip,
		    uint16_t port, struct tls_ctx *tls,
		    const struct http_limits *lim, http_handler_cb *cb,
		    void *arg);
uint16_t http_server_port(const struct http_server *srv);
/* Server header value (default "imstb"); copied. */
void http_server_set_name(struct http_server *srv, const char *name);
void http_server_set_trace(struct http_server *srv, http_trace_cb *cb,
			   void *arg);
/* Stops listening and closes every connection; the handler is not called
 * again. The listener (lib/tls) also closes the streams it accepted that
 * were upgraded away, so free the WebSocket side first if it must close
 * them itself. Memory goes when the loop has run the close callbacks. */
void http_server_free(struct http_server *srv);

/* Sends the response: status line, Date, Server, Content-Type (if
 * content_type), Content-Length, Connection: close when the connection
 * closes after it, extra (NULL or complete "Name: value\r\n" lines), then
 * body (none for HEAD, 1xx, 204, 304). -ECANCELED if the connection is
 * gone, -EPROTO if already answered, -EINVAL bad status. */
int http_respond(struct http_conn *c, int status, const char *content_type,
		 const void *body, size_t len, const char *extra);
/* application/json answer; takes ownership of j (decref'd, also on error;
 * NULL gives {}). */
int http_respond_json(struct http_conn *c, int status, json_t *j,
		      const char *extra);
/* RFC 6749 §5.2 style error: {"error":error,"error_description":desc}
 * (desc may be NULL), with Cache-Control: no-store. */
int http_respond_error(struct http_conn *c, int status, const char *error,
		       const char *desc);
/* Close after the answer (Connection: close), even if keep-alive. */
void http_conn_close_after(struct http_conn *c);
/* Closes now (no answer; queued bytes are still flushed). */
void http_conn_close(struct http_conn *c);
/* The stream under c (borrowed), e.g. for stream_peer or stream_is_tls. */
struct stream *http_conn_stream(const struct http_conn *c);

/* WebSocket handover (RFC 6455 §4.2): call from the handler of an upgrade
 * request instead of answering. Detaches the stream from HTTP and gives it
 * to the caller with its own reference (*s, obj_unref when done) and with
 * reading paused: set its callbacks (stream_set_cbs), write the 101, then
 * stream_resume. Bytes that already arrived after the request are appended
 * to leftover (feed them to the new protocol first). The request views die
 * on return: read Sec-WebSocket-Key and the rest before. -EPROTO if c was
 * already answered, -ECANCELED if gone. */
int http_conn_upgrade(struct http_conn *c, struct stream **s,
		      struct buf *leftover);

/* ---- client -------------------------------------------------------------- */

struct http_client;

struct http_client_req {
	const char *ip; /* numeric */
	uint16_t port;
	struct tls_ctx *tls; /* NULL = plain; borrowed, outlives the request */
	const char *sni;     /* TLS server name; NULL = none */
	const char *host;    /* Host header; NULL = sni or ip (":port" unless
				80/443) */
	const char *method;  /* "GET" */
	const char *target;  /* "/login" */
	const char *headers; /* NULL or "Name: value\r\n" lines */
	const char *content_type; /* for body; NULL = none */
	const void *body;
	size_t body_len;
	uint64_t timeout_ms;  /* whole exchange; 0 = 10000 */
	size_t max_body;      /* response body limit; 0 = HTTP1_MAX_BODY */
	http_trace_cb *trace; /* NULL = none */
	void *trace_arg;
};

/* Exactly once: err 0 with the response (valid only during the call), or
 * err < 0 and resp NULL (-ETIMEDOUT, -ECONNREFUSED, -EPROTO TLS, -EBADMSG
 * malformed answer, -EMSGSIZE too big, -ECONNRESET closed early). */
typedef void(http_client_cb)(int err, const struct http_resp *resp, void *arg);

/* Sends one request (Connection: close) on a new connection. *out (may be
 * NULL) is a handle for http_client_cancel, valid until cb runs. All
 * strings are copied. -EINVAL missing fields; then cb never runs. */
int http_client_request(struct http_client **out, uv_loop_t *loop,
			const struct http_client_req *r, http_client_cb *cb,
			void *arg);
/* Abandons the request: cb never runs; handles close on the loop. */
void http_client_cancel(struct http_client *c);

#endif
