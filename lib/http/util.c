/*
 * util.c - lookups over parsed HTTP messages, status phrases, url-encoded
 * parameters, cookies, JSON bodies and base64url. No I/O.
 */
#include <errno.h>
#include <string.h>

#include "http/http.h"

const struct http_hdr *http_hdr_find(const struct http_hdrs *h,
				     const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (sv_casecmp_cstr(h->v[i].name, name))
			return &h->v[i];
	return NULL;
}

const struct http_hdr *http_hdr_next(const struct http_hdrs *h,
				     const struct http_hdr *prev)
{
	size_t i = (size_t)(prev - h->v) + 1;

	for (; i < h->n; i++)
		if (sv_caseeq(h->v[i].name, prev->name))
			return &h->v[i];
	return NULL;
}

/* RFC 9110 §5.6.1: a list is elements separated by commas with OWS; empty
 * elements are allowed and ignored. */
bool http_hdr_has_token(const struct http_hdrs *h, const char *name,
			const char *token)
{
	const struct http_hdr *f;
	struct sv rest, elem;

	for (f = http_hdr_find(h, name); f; f = http_hdr_next(h, f)) {
		rest = f->value;
		while (rest.len) {
			rest = sv_split(rest, ',', &elem);
			if (sv_casecmp_cstr(sv_trim(elem), token))
				return true;
		}
	}
	return false;
}

bool http_is_json(const struct http_hdrs *h)
{
	const struct http_hdr *f = http_hdr_find(h, "Content-Type");
	struct sv type;

	if (!f)
		return false;
	sv_split(f->value, ';', &type);
	return sv_casecmp_cstr(sv_trim(type), "application/json");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* application/x-www-form-urlencoded decoding (WHATWG URL §5.1): '+' is a
 * space, %XX a byte. */
static int urldecode(struct sv s, struct buf *out)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= s.len)
				return -EBADMSG;
			hi = hexval(s.p[i + 1]);
			lo = hexval(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -EBADMSG;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		buf_append(out, &c, 1);
	}
	return 0;
}

int http_param_get(struct sv urlenc, const char *name, struct buf *out)
{
	struct sv rest = urlenc, pair, key;
	struct buf k;
	int err = -ENOENT;

	buf_init(&k);
	while (rest.len) {
		rest = sv_split(rest, '&', &pair);
		if (!pair.len)
			continue;
		struct sv val = sv_split(pair, '=', &key);

		buf_reset(&k);
		if (urldecode(key, &k))
			continue;
		if (k.len != strlen(name) || memcmp(k.data, name, k.len))
			continue;
		err = urldecode(val, out);
		goto out;
	}
out:
	buf_close(&k);
	return err;
}

void http_urlenc_put(struct buf *b, struct sv s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };

		/* RFC 3986 §2.3 unreserved characters go as they are. */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_append(b, &c, 1);
		else
			buf_append(b, e, 3);
	}
}

/* RFC 6265 §5.4: Cookie: a=b; c=d */
int http_cookie_get(const struct http_hdrs *h, const char *name, struct sv *out)
{
	const struct http_hdr *f;
	struct sv rest, pair, key, val;

	for (f = http_hdr_find(h, "Cookie"); f; f = http_hdr_next(h, f)) {
		rest = f->value;
		while (rest.len) {
			rest = sv_split(rest, ';', &pair);
			val = sv_split(sv_trim(pair), '=', &key);
			if (sv_eq_cstr(sv_trim(key), name)) {
				*out = sv_trim(val);
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* RFC 9110 §15 (and RFC 6585 for 428/429/431). */
static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 426, "Upgrade Required" },
	{ 428, "Precondition Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_status_reason(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return "Unknown";
}

int http_json_parse(struct sv body, size_t max, json_t **out, char *why,
		    size_t whylen)
{
	json_error_t jerr;
	int err = 0;

	*out = NULL;
	if (!max)
		max = HTTP1_MAX_BODY;
	if (body.len > max) {
		err = -EMSGSIZE;
		if (why && whylen)
			sv_copy(SV("body too large"), why, whylen);
		goto out;
	}
	/* JSON_REJECT_DUPLICATES: {"id":"a","id":"b"} is ambiguous. */
	*out = json_loadb(body.p ? body.p : "", body.len,
			  JSON_REJECT_DUPLICATES, &jerr);
	if (!*out) {
		err = -EBADMSG;
		if (why && whylen)
			sv_copy(sv_from_cstr(jerr.text), why, whylen);
	}
out:
	return err;
}

static const char b64url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void http_b64url_encode(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t k = n - i >= 3 ? 3 : n - i;

		if (k > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (k > 2)
			v |= s[i + 2];
		q[0] = b64url_alpha[v >> 18 & 63];
		q[1] = b64url_alpha[v >> 12 & 63];
		q[2] = b64url_alpha[v >> 6 & 63];
		q[3] = b64url_alpha[v & 63];
		buf_append(b, q, k + 1); /* RFC 7515 §2: no padding */
	}
}

static int b64url_val(char c)
{
	const char *f = c ? strchr(b64url_alpha, c) : NULL;

	return f ? (int)(f - b64url_alpha) : -1;
}

int http_b64url_decode(struct sv s, struct buf *out)
{
	uint32_t acc = 0;
	size_t bits = 0, n = s.len;
	int err = -EBADMSG;

	while (n && s.p[n - 1] == '=')
		n--;
	if (s.len - n > 2 || n % 4 == 1 || (s.len != n && s.len % 4))
		goto out;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(s.p[i]);

		if (v < 0)
			goto out;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			unsigned char c = (unsigned char)(acc >> bits);

			buf_append(out, &c, 1);
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 §3.5: the unused low bits must be zero. */
	if (acc)
		goto out;
	err = 0;
out:
	return err;
}
