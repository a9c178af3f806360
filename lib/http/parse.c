/*
 * parse.c - HTTP/1.1 message parser: llhttp, wrapped without I/O.
 *
 * Received bytes go into one buffer (p->in); the message being parsed
 * always starts near offset 0 because each finished message is consumed
 * before the next is parsed. llhttp hands us spans of the bytes we fed
 * it; since those bytes sit contiguously in p->in, a span split over two
 * pushes is one span: we keep offsets (the buffer may move when it grows)
 * and turn them into views only when the message is complete. The body is
 * the exception: chunked framing (RFC 9112 §7.1) interleaves it with chunk
 * headers, so the decoded body is collected in p->body.
 *
 * on_message_complete pauses llhttp, so exactly one message is parsed at a
 * time and pipelined bytes wait in p->in (RFC 9112 §9.3.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "http/http.h"

struct span {
	size_t off;
	size_t len;
};

enum cur {
	CUR_NONE = 0,
	CUR_METHOD,
	CUR_URL,
	CUR_VERSION,
	CUR_STATUS,
	CUR_FIELD,
	CUR_VALUE
};

struct http_parser {
	llhttp_t ll;
	llhttp_settings_t settings;
	struct http_limits lim;
	bool response;
	bool no_body; /* the response answers HEAD (or must have no body) */
	bool dead;    /* an error was returned: only free remains */
	struct perr err;
	struct buf in;	 /* owned: received bytes */
	size_t pos;	 /* bytes of `in` given to llhttp */
	struct buf body; /* owned: the decoded body of the current message */

	/* the current message, as offsets into `in` */
	enum cur cur;
	bool started, headers_done, complete, keep_alive;
	size_t start, end;
	struct span method, url, version, status;
	struct span name[HTTP1_MAX_HEADERS], value[HTTP1_MAX_HEADERS];
	size_t nh;
};

/* Methods we serve; llhttp knows many more (WebDAV, RTSP...) and those get
 * 501 (RFC 9110 §15.6.2: method recognised but not implemented). */
static const char *const served_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
};

static int fail(struct http_parser *p, size_t off, const char *why, int status)
{
	if (!p->err.why) {
		p->err.offset = off;
		p->err.why = why;
		p->err.status = status;
	}
	return -1;
}

/* Starts or extends span s of kind k with llhttp's (at, len). */
static int span_add(struct http_parser *p, enum cur k, struct span *s,
		    const char *at, size_t len)
{
	size_t off = (size_t)(at - p->in.data);

	if (p->cur != k) {
		p->cur = k;
		s->off = off;
	}
	s->len = off + len - s->off;
	/* RFC 6585 §5: the start line and headers are bounded. */
	if (!p->headers_done && off + len - p->start > p->lim.max_header_bytes)
		return fail(p, off, "header section too large", 431);
	return 0;
}

static struct http_parser *of(llhttp_t *ll)
{
	return ll->data;
}

/* The previous message was consumed, so this one starts at offset 0, after
 * the empty lines RFC 9112 §2.2 lets a peer send first. */
static int on_message_begin(llhttp_t *ll)
{
	struct http_parser *p = of(ll);

	p->started = true;
	p->start = 0;
	while (p->start < p->in.len &&
	       (p->in.data[p->start] == '\r' || p->in.data[p->start] == '\n'))
		p->start++;
	return 0;
}

static int on_method(llhttp_t *ll, const char *at, size_t len)
{
	return span_add(of(ll), CUR_METHOD, &of(ll)->method, at, len);
}

static int on_url(llhttp_t *ll, const char *at, size_t len)
{
	return span_add(of(ll), CUR_URL, &of(ll)->url, at, len);
}

static int on_version(llhttp_t *ll, const char *at, size_t len)
{
	return span_add(of(ll), CUR_VERSION, &of(ll)->version, at, len);
}

static int on_status(llhttp_t *ll, const char *at, size_t len)
{
	return span_add(of(ll), CUR_STATUS, &of(ll)->status, at, len);
}

static int on_field(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parser *p = of(ll);

	if (p->cur != CUR_FIELD) {
		if (p->nh == HTTP1_MAX_HEADERS)
			return fail(p, (size_t)(at - p->in.data),
				    "too many header fields", 431);
		p->nh++;
		p->value[p->nh - 1] = (struct span){ 0, 0 };
	}
	return span_add(p, CUR_FIELD, &p->name[p->nh - 1], at, len);
}

static int on_value(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parser *p = of(ll);

	if (!p->nh)
		return fail(p, (size_t)(at - p->in.data), "value without name",
			    400);
	return span_add(p, CUR_VALUE, &p->value[p->nh - 1], at, len);
}

static int on_span_done(llhttp_t *ll)
{
	of(ll)->cur = CUR_NONE;
	return 0;
}

/* RFC 9110 §5.6.2 tchar. llhttp, outside its strict mode, lets a space
 * into a field name ("Bad Name:", "Name :"), which RFC 9112 §5.1 says a
 * server must answer with 400. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int on_field_done(llhttp_t *ll)
{
	struct http_parser *p = of(ll);
	struct span n = p->name[p->nh - 1];

	p->cur = CUR_NONE;
	for (size_t i = 0; i < n.len; i++)
		if (!is_tchar((unsigned char)p->in.data[n.off + i]))
			return fail(p, n.off + i, "bad header name", 400);
	return 0;
}

static bool method_served(struct sv m)
{
	for (size_t i = 0; i < ARRAY_SIZE(served_methods); i++)
		if (sv_eq_cstr(m, served_methods[i]))
			return true;
	return false;
}

static int on_headers_complete(llhttp_t *ll)
{
	struct http_parser *p = of(ll);
	size_t at = p->pos;

	p->cur = CUR_NONE;
	p->headers_done = true;
	if (!p->response) {
		struct sv m = { p->in.data + p->method.off, p->method.len };

		/* RFC 9110 §15.6.6: we speak HTTP/1.0 and 1.1 only. */
		if (ll->http_major != 1 || ll->http_minor > 1)
			return fail(p, p->version.off, "HTTP version", 505);
		if (!method_served(m))
			return fail(p, p->method.off, "method not served", 501);
	} else if (ll->http_major != 1) {
		return fail(p, p->version.off, "HTTP version", 400);
	}
	/* Refuse early, before the body arrives (RFC 9110 §15.5.14). */
	if ((ll->flags & F_CONTENT_LENGTH) &&
	    ll->content_length > p->lim.max_body)
		return fail(p, at, "body too large", 413);
	if (p->response && p->no_body)
		return 1;
	return 0;
}

static int on_body(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parser *p = of(ll);

	if (p->body.len + len > p->lim.max_body)
		return fail(p, (size_t)(at - p->in.data), "body too large",
			    413);
	buf_append(&p->body, at, len);
	return 0;
}

static int on_message_complete(llhttp_t *ll)
{
	struct http_parser *p = of(ll);

	p->complete = true;
	p->keep_alive = llhttp_should_keep_alive(ll);
	/* one message at a time: the caller consumes it before the next */
	return HPE_PAUSED;
}

struct http_parser *http_parser_new(bool response,
				    const struct http_limits *lim)
{
	struct http_parser *p = xcalloc(1, sizeof(*p));

	if (lim)
		p->lim = *lim;
	if (!p->lim.max_header_bytes)
		p->lim.max_header_bytes = HTTP1_MAX_HEADER_BYTES;
	if (!p->lim.max_body)
		p->lim.max_body = HTTP1_MAX_BODY;
	p->response = response;
	buf_init(&p->in);
	buf_init(&p->body);
	llhttp_settings_init(&p->settings);
	p->settings.on_message_begin = on_message_begin;
	p->settings.on_method = on_method;
	p->settings.on_url = on_url;
	p->settings.on_version = on_version;
	p->settings.on_status = on_status;
	p->settings.on_header_field = on_field;
	p->settings.on_header_value = on_value;
	p->settings.on_method_complete = on_span_done;
	p->settings.on_url_complete = on_span_done;
	p->settings.on_version_complete = on_span_done;
	p->settings.on_status_complete = on_span_done;
	p->settings.on_header_field_complete = on_field_done;
	p->settings.on_header_value_complete = on_span_done;
	p->settings.on_headers_complete = on_headers_complete;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	llhttp_init(&p->ll, response ? HTTP_RESPONSE : HTTP_REQUEST,
		    &p->settings);
	p->ll.data = p;
	return p;
}

void http_parser_free(struct http_parser *p)
{
	if (!p)
		return;
	buf_close(&p->in);
	buf_close(&p->body);
	free(p);
}

void http_parser_push(struct http_parser *p, const void *data, size_t n)
{
	buf_append(&p->in, data, n);
}

void http_parser_expect_no_body(struct http_parser *p, bool no_body)
{
	p->no_body = no_body;
}

/* llhttp's errors that mean "the peer broke a rule": 400, except the
 * version, which is 505 for a request (RFC 9110 §15.6.6). */
static int map_error(struct http_parser *p, llhttp_errno_t rc)
{
	const char *why = llhttp_get_error_reason(&p->ll);

	if (!why)
		why = llhttp_errno_name(rc);
	if (rc == HPE_INVALID_VERSION && !p->response)
		return fail(p, p->pos, "HTTP version", 505);
	/* PRI * HTTP/2.0: an HTTP/2 connection preface (RFC 9113 §3.4). */
	if (rc == HPE_PAUSED_H2_UPGRADE)
		return fail(p, p->pos, "HTTP/2 preface", 505);
	return fail(p, p->pos, why, 400);
}

/* Runs llhttp over the bytes not yet parsed. 0 complete, -EAGAIN, or
 * -EBADMSG with p->err. */
static int step(struct http_parser *p, struct perr *e)
{
	llhttp_errno_t rc;
	const char *ep;
	int err = -EAGAIN;

	if (p->dead)
		goto bad;
	if (p->complete)
		return 0;
	if (p->pos < p->in.len) {
		rc = llhttp_execute(&p->ll, p->in.data + p->pos,
				    p->in.len - p->pos);
		ep = llhttp_get_error_pos(&p->ll);
		if (rc == HPE_OK) {
			p->pos = p->in.len;
		} else {
			if (ep)
				p->pos = (size_t)(ep - p->in.data);
			if (!(rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE) ||
			    !p->complete) {
				if (!p->err.why)
					map_error(p, rc);
				goto bad;
			}
		}
	}
	if (p->complete) {
		p->end = p->pos;
		return 0;
	}
	if (p->pos - (p->started ? p->start : 0) > p->lim.max_header_bytes &&
	    !p->headers_done) {
		fail(p, p->pos, "header section too large", 431);
		goto bad;
	}
	return err;
bad:
	p->dead = true;
	if (e)
		*e = p->err;
	return -EBADMSG;
}

static struct sv view(const struct http_parser *p, struct span s)
{
	if (!s.len)
		return (struct sv){ "", 0 };
	return (struct sv){ p->in.data + s.off, s.len };
}

/* The parts both kinds share. */
static void fill_common(const struct http_parser *p, struct http_hdrs *h,
			struct sv *body, struct sv *start_line, struct sv *raw)
{
	struct sv line;

	h->n = p->nh;
	for (size_t i = 0; i < p->nh; i++) {
		h->v[i].name = view(p, p->name[i]);
		h->v[i].value = sv_trim(view(p, p->value[i]));
	}
	*body = p->body.len ? (struct sv){ p->body.data, p->body.len }
			    : (struct sv){ "", 0 };
	*raw = (struct sv){ p->in.data + p->start, p->end - p->start };
	line = *raw;
	for (size_t i = 0; i < line.len; i++) {
		if (line.p[i] == '\r' || line.p[i] == '\n') {
			line.len = i;
			break;
		}
	}
	*start_line = line;
}

int http_parser_next_req(struct http_parser *p, struct http_req *req,
			 struct perr *e)
{
	int err = step(p, e);

	if (err)
		return err;
	memset(req, 0, sizeof(*req));
	req->method = view(p, p->method);
	req->target = view(p, p->url);
	req->query = sv_split(req->target, '?', &req->path);
	req->major = p->ll.http_major;
	req->minor = p->ll.http_minor;
	req->keep_alive = p->keep_alive;
	req->upgrade = p->ll.upgrade;
	req->head = sv_eq_cstr(req->method, "HEAD");
	fill_common(p, &req->hdrs, &req->body, &req->start_line, &req->raw);
	return 0;
}

int http_parser_next_resp(struct http_parser *p, struct http_resp *resp,
			  struct perr *e)
{
	int err = step(p, e);

	if (err)
		return err;
	memset(resp, 0, sizeof(*resp));
	resp->status = p->ll.status_code;
	resp->reason = view(p, p->status);
	resp->major = p->ll.http_major;
	resp->minor = p->ll.http_minor;
	resp->keep_alive = p->keep_alive;
	fill_common(p, &resp->hdrs, &resp->body, &resp->start_line, &resp->raw);
	return 0;
}

int http_parser_eof(struct http_parser *p, struct http_resp *resp,
		    struct perr *e)
{
	int err = http_parser_next_resp(p, resp, e);

	if (err != -EAGAIN)
		return err;
	if (!p->started)
		return -EAGAIN;
	/* RFC 9112 §6.3 item 8: a body without length ends with the
	 * connection; anything else cut short is incomplete (§8). */
	if (llhttp_message_needs_eof(&p->ll) && p->headers_done) {
		llhttp_finish(&p->ll);
		if (p->complete) {
			p->end = p->in.len;
			p->pos = p->in.len;
			return http_parser_next_resp(p, resp, e);
		}
	}
	fail(p, p->in.len, "message truncated by EOF", 400);
	p->dead = true;
	if (e)
		*e = p->err;
	return -EBADMSG;
}

void http_parser_consume(struct http_parser *p)
{
	if (!p->complete)
		return;
	buf_consume(&p->in, p->end);
	p->pos -= p->end;
	buf_reset(&p->body);
	p->cur = CUR_NONE;
	p->started = p->headers_done = p->complete = p->keep_alive = false;
	p->start = p->end = 0;
	p->method = p->url = p->version = p->status = (struct span){ 0, 0 };
	p->nh = 0;
	llhttp_resume(&p->ll);
}

struct sv http_parser_leftover(const struct http_parser *p)
{
	if (!p->complete || p->end == p->in.len)
		return (struct sv){ "", 0 };
	return (struct sv){ p->in.data + p->end, p->in.len - p->end };
}

struct sv http_parser_held(const struct http_parser *p)
{
	return p->in.len ? (struct sv){ p->in.data, p->in.len }
			 : (struct sv){ "", 0 };
}

size_t http_parser_pending(const struct http_parser *p)
{
	return p->in.len - (p->complete ? p->end : 0);
}
