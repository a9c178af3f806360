/*
 * handshake.c - the WebSocket opening handshake (RFC 6455 §4), without
 * I/O: request checks and the 101 for the server, the upgrade request and
 * the checks of the 101 for the client, RFC 7118 §4 subprotocol rules.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ws/ws_int.h"

/* RFC 6455 §1.3 */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- helpers ------------------------------------------------------------- */

/* true if the comma list holds tok (ASCII case-insensitive, OWS trimmed):
 * "keep-alive, Upgrade" holds "upgrade" (RFC 9110 §5.6.1). */
static bool list_has(struct sv list, const char *tok)
{
	while (list.len) {
		struct sv item;

		list = sv_split(list, ',', &item);
		if (sv_casecmp_cstr(sv_trim(item), tok))
			return true;
	}
	return false;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* §4.1 item 7: "a randomly selected 16-byte value that has been base64-
 * encoded": 22 base64 digits then "==". */
static bool key_valid(struct sv key)
{
	if (key.len != WS_KEY_LEN || key.p[22] != '=' || key.p[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (b64_val(key.p[i]) < 0)
			return false;
	return true;
}

int ws_accept_make(struct sv key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[WS_KEY_LEN + sizeof(ws_guid)];
	int err = 0;

	key = sv_trim(key);
	if (!key_valid(key)) {
		err = -EINVAL;
		goto out;
	}
	/* §4.2.2 item 5.4: base64(SHA-1(key || GUID)) */
	memcpy(in, key.p, key.len);
	memcpy(in + key.len, ws_guid, sizeof(ws_guid) - 1);
	if (!EVP_Digest(in, key.len + sizeof(ws_guid) - 1, md, &mdlen,
			EVP_sha1(), NULL)) {
		err = -EINVAL;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
out:
	return err;
}

void ws_key_make(struct rng *r, char out[WS_KEY_LEN + 1])
{
	unsigned char raw[16];

	rng_fill(r, raw, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
}

/* ---- server -------------------------------------------------------------- */

static int refuse(struct ws_hs_result *res, int status, int err,
		  const char *why, const char *what)
{
	res->status = status;
	snprintf(res->reason, sizeof(res->reason), "%s%s", what ? what : "",
		 why);
	return err;
}

/* The first protocol of ours the client offered (§4.2.2 item 5.5: "the
 * server's selected subprotocol ... MUST be one of the values the client
 * offered"). */
static const char *protocol_pick(struct sv offered, const char *const *ours)
{
	for (; ours && *ours; ours++)
		if (list_has(offered, *ours))
			return *ours;
	return NULL;
}

static bool origin_allowed(struct sv origin, const char *const *allowed)
{
	origin = sv_trim(origin);
	for (; *allowed; allowed++)
		if (sv_casecmp_cstr(origin, *allowed))
			return true;
	return false;
}

int ws_handshake_check(const struct ws_hs_req *r, const struct ws_hs_policy *p,
		       struct ws_hs_result *res)
{
	int err = 0;

	memset(res, 0, sizeof(*res));
	/* §4.2.1 items 1-6, in the order a reader of the request meets
	 * them; a failure is "an appropriate error code (such as 400)". */
	if (!sv_eq_cstr(r->method, "GET")) {
		err = refuse(res, 400, -EBADMSG, "method must be GET", NULL);
		goto out;
	}
	if (!sv_trim(r->host).len) {
		err = refuse(res, 400, -EBADMSG, "Host missing", NULL);
		goto out;
	}
	if (!list_has(r->upgrade, "websocket")) {
		err = refuse(res, 400, -EBADMSG, "Upgrade: websocket missing",
			     NULL);
		goto out;
	}
	if (!list_has(r->connection, "upgrade")) {
		err = refuse(res, 400, -EBADMSG, "Connection: Upgrade missing",
			     NULL);
		goto out;
	}
	/* §4.2.2 item 4: a version we do not speak gets 426 and the
	 * versions we do. */
	if (!sv_eq_cstr(sv_trim(r->version), "13")) {
		err = refuse(res, 426, -EPROTO,
			     "Sec-WebSocket-Version must be 13", NULL);
		res->extra = "Sec-WebSocket-Version: 13\r\n";
		goto out;
	}
	if (ws_accept_make(r->key, res->accept)) {
		err = refuse(res, 400, -EBADMSG, "bad Sec-WebSocket-Key", NULL);
		goto out;
	}
	/* §10.2: the Origin check is the server's protection against
	 * pages it did not serve; 403 per §4.2.2 item 4 wording. */
	if (p->origins && !origin_allowed(r->origin, p->origins)) {
		err = refuse(res, 403, -EACCES, "Origin not allowed", NULL);
		goto out;
	}
	res->protocol = protocol_pick(r->protocol, p->protocols);
	/* RFC 7118 §4: the SIP WebSocket server refuses a handshake that
	 * does not offer "sip". */
	if (!res->protocol && p->protocol_required) {
		err = refuse(res, 400, -EBADMSG, " subprotocol required",
			     p->protocols && *p->protocols ? *p->protocols
							   : "a");
		goto out;
	}
	res->status = 101;
	snprintf(res->reason, sizeof(res->reason), "Switching Protocols");
out:
	return err;
}

static const char *status_phrase(int status)
{
	static const struct {
		int status;
		const char *phrase;
	} tab[] = {
		{ 101, "Switching Protocols" },
		{ 400, "Bad Request" },
		{ 403, "Forbidden" },
		{ 426, "Upgrade Required" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (tab[i].status == status)
			return tab[i].phrase;
	return "Error";
}

void ws_handshake_print(const struct ws_hs_result *res, struct buf *out)
{
	buf_printf(out, "HTTP/1.1 %d %s\r\n", res->status,
		   status_phrase(res->status));
	if (res->status == 101) {
		buf_printf(out,
			   "Upgrade: websocket\r\n"
			   "Connection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: %s\r\n",
			   res->accept);
		if (res->protocol)
			buf_printf(out, "Sec-WebSocket-Protocol: %s\r\n",
				   res->protocol);
		buf_puts(out, "\r\n");
		return;
	}
	if (res->extra)
		buf_puts(out, res->extra);
	buf_printf(out,
		   "Content-Type: text/plain\r\n"
		   "Content-Length: %zu\r\n"
		   "Connection: close\r\n\r\n%s\n",
		   strlen(res->reason) + 1, res->reason);
}

/* ---- head parsing -------------------------------------------------------- */

/* Finds the end of the head; -EAGAIN until "\r\n\r\n" is in. */
static int head_find(struct sv raw, size_t *head_len, struct perr *e)
{
	const char *end = memmem(raw.p, raw.len, "\r\n\r\n", 4);
	int err = 0;

	if (end && (size_t)(end - raw.p) + 4 <= WS_HEAD_MAX) {
		*head_len = (size_t)(end - raw.p) + 4;
		goto out;
	}
	if (end || raw.len >= WS_HEAD_MAX)
		err = perr_set(e, WS_HEAD_MAX, "handshake head too large", 431);
	else
		err = -EAGAIN;
out:
	return err;
}

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Next header line of the head (after the start line). 1 with *name and
 * *value set, 0 at the empty line, -EBADMSG (RFC 9112 §5). */
static int head_next(struct sv *rest, const char *base, struct sv *name,
		     struct sv *value, struct perr *e)
{
	const char *crlf = memmem(rest->p, rest->len, "\r\n", 2);
	struct sv line = { rest->p, (size_t)(crlf - rest->p) };
	const char *colon;
	int ret = 0;

	rest->p = crlf + 2;
	rest->len -= line.len + 2;
	if (!line.len)
		goto out;
	colon = sv_chr(line, ':');
	if (!colon || colon == line.p) {
		ret = perr_set(e, (size_t)(line.p - base),
			       "header without :", 400);
		goto out;
	}
	*name = (struct sv){ line.p, (size_t)(colon - line.p) };
	for (size_t i = 0; i < name->len; i++)
		if (!tchar(name->p[i])) {
			ret = perr_set(e, (size_t)(line.p - base) + i,
				       "bad header name", 400);
			goto out;
		}
	*value = sv_trim((struct sv){ colon + 1, line.len - name->len - 1 });
	for (size_t i = 0; i < value->len; i++)
		if ((unsigned char)value->p[i] < 0x20 && value->p[i] != '\t') {
			ret = perr_set(e, (size_t)(value->p + i - base),
				       "control character in header", 400);
			goto out;
		}
	ret = 1;
out:
	return ret;
}

/* Where each handshake header goes in struct ws_hs_req. */
static struct sv *req_field(struct ws_hs_req *r, struct sv name)
{
	static const struct {
		const char *name;
		size_t off;
	} tab[] = {
		{ "Host", offsetof(struct ws_hs_req, host) },
		{ "Upgrade", offsetof(struct ws_hs_req, upgrade) },
		{ "Connection", offsetof(struct ws_hs_req, connection) },
		{ "Sec-WebSocket-Key", offsetof(struct ws_hs_req, key) },
		{ "Sec-WebSocket-Version",
		  offsetof(struct ws_hs_req, version) },
		{ "Sec-WebSocket-Protocol",
		  offsetof(struct ws_hs_req, protocol) },
		{ "Origin", offsetof(struct ws_hs_req, origin) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (sv_casecmp_cstr(name, tab[i].name))
			return (struct sv *)((char *)r + tab[i].off);
	return NULL;
}

int ws_handshake_request_parse(struct sv raw, struct ws_hs_req *out,
			       size_t *head_len, struct perr *e)
{
	struct sv rest, line, name, value, tok;
	int err;

	memset(out, 0, sizeof(*out));
	err = head_find(raw, head_len, e);
	if (err)
		goto out;
	/* request-line = method SP request-target SP HTTP-version */
	rest = sv_split((struct sv){ raw.p, *head_len }, '\n', &line);
	if (line.len < 2 || line.p[line.len - 1] != '\r') {
		err = perr_set(e, 0, "bad request line", 400);
		goto out;
	}
	line.len--; /* the CR */
	tok = sv_split(line, ' ', &out->method);
	tok = sv_split(tok, ' ', &out->target);
	if (!out->method.len || !out->target.len ||
	    !sv_starts_with(tok, "HTTP/1.") || tok.len != 8 || tok.p[7] < '1' ||
	    tok.p[7] > '9') {
		/* §4.1 item 1: "HTTP/1.1 or higher" */
		err = perr_set(e, 0, "bad request line", 400);
		goto out;
	}
	while ((err = head_next(&rest, raw.p, &name, &value, e)) > 0) {
		struct sv *f = req_field(out, name);

		if (f && !f->p)
			*f = value; /* first occurrence wins */
	}
out:
	return err;
}

/* ---- client -------------------------------------------------------------- */

void ws_handshake_request_print(const struct ws_client_req *r, const char *key,
				struct buf *out)
{
	/* §4.1 client requirements 1-10 */
	buf_printf(out,
		   "GET %s HTTP/1.1\r\n"
		   "Host: %s\r\n"
		   "Upgrade: websocket\r\n"
		   "Connection: Upgrade\r\n"
		   "Sec-WebSocket-Key: %s\r\n"
		   "Sec-WebSocket-Version: 13\r\n",
		   r->target ? r->target : "/", r->host, key);
	if (r->origin)
		buf_printf(out, "Origin: %s\r\n", r->origin);
	if (r->protocols && *r->protocols) {
		buf_puts(out, "Sec-WebSocket-Protocol: ");
		for (const char *const *p = r->protocols; *p; p++)
			buf_printf(out, "%s%s", p == r->protocols ? "" : ", ",
				   *p);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "\r\n");
}

static bool offered(struct sv proto, const char *const *protocols)
{
	for (; protocols && *protocols; protocols++)
		if (sv_eq_cstr(proto, *protocols))
			return true;
	return false;
}

/* A well-formed answer that fails a check: -EPROTO (-EBADMSG is for
 * malformed bytes). */
static int refused(struct perr *e, size_t off, const char *why)
{
	perr_set(e, off, why, 0);
	return -EPROTO;
}

int ws_handshake_response_parse(struct sv raw, const char *key,
				const char *const *protocols,
				struct ws_hs_resp *out, struct perr *e)
{
	struct sv rest, line, name, value;
	struct sv upgrade = SV_NULL, connection = SV_NULL, accept = SV_NULL;
	char want[WS_ACCEPT_LEN + 1];
	bool want_proto = protocols && *protocols;
	uint64_t status;
	int err;

	memset(out, 0, sizeof(*out));
	err = head_find(raw, &out->head_len, e);
	if (err)
		goto out;
	/* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
	rest = sv_split((struct sv){ raw.p, out->head_len }, '\n', &line);
	if (!sv_starts_with(line, "HTTP/1.") || line.len < 13 ||
	    line.p[8] != ' ' || (line.p[12] != ' ' && line.p[12] != '\r') ||
	    sv_to_u64((struct sv){ line.p + 9, 3 }, 999, &status)) {
		err = perr_set(e, 0, "bad status line", 0);
		goto out;
	}
	out->status = (int)status;
	while ((err = head_next(&rest, raw.p, &name, &value, e)) > 0) {
		if (sv_casecmp_cstr(name, "Upgrade"))
			upgrade = value;
		else if (sv_casecmp_cstr(name, "Connection"))
			connection = value;
		else if (sv_casecmp_cstr(name, "Sec-WebSocket-Accept"))
			accept = value;
		else if (sv_casecmp_cstr(name, "Sec-WebSocket-Protocol"))
			out->protocol = value;
	}
	if (err)
		goto out;
	/* §4.1 "the client MUST validate the server's response", items: */
	if (out->status != 101) { /* 1 */
		err = refused(e, 9, "status is not 101");
		goto out;
	}
	if (!list_has(upgrade, "websocket") ||	/* 2 */
	    !list_has(connection, "upgrade")) { /* 3 */
		err = refused(e, 0, "Upgrade or Connection missing");
		goto out;
	}
	if (ws_accept_make(sv_from_cstr(key), want) ||
	    !sv_eq_cstr(accept, want)) { /* 4 */
		err = refused(e, 0, "wrong Sec-WebSocket-Accept");
		goto out;
	}
	if (out->protocol.len && !offered(out->protocol, protocols)) { /* 6 */
		err = refused(e, 0, "subprotocol not among those offered");
		goto out;
	}
	/* RFC 7118 §4: a SIP client that gets no "sip" back MUST close. */
	if (!out->protocol.len && want_proto) {
		err = refused(e, 0, "no subprotocol chosen");
		goto out;
	}
out:
	return err;
}
