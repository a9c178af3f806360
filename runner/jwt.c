/*
 * jwt.c - `jwt claim NAME` and `jwt header NAME`: what a scenario reads of
 * a JSON Web Token a message carries (TR 23.701 Figure 6.X.2.1.2.1-1: the
 * token of the login answer at step 3, of the REGISTER at step 5, of the
 * introspection request at step 6). The token is only decoded (RFC 7515
 * §7.1: BASE64URL(header) "." BASE64URL(payload) "." signature), never
 * verified: a scenario shows what was sent, forged tokens included.
 */
#include "match.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"

/* RFC 4648 §5 without padding (RFC 7515 §2); -EBADMSG on another byte
 * or a length no encoding has (4k + 1). */
static int b64url_decode(struct sv in, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;

	if (in.len % 4 == 1)
		return -EBADMSG;
	for (size_t i = 0; i < in.len; i++) {
		char ch = in.p[i];
		int v = ch >= 'A' && ch <= 'Z'	 ? ch - 'A'
			: ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
			: ch >= '0' && ch <= '9' ? ch - '0' + 52
			: ch == '-'		 ? 62
			: ch == '_'		 ? 63
						 : -1;

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			char byte = (char)((acc >> (bits - 8)) & 0xff);

			bits -= 8;
			buf_append(out, &byte, 1);
		}
	}
	return 0;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9'	? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					: -1;
}

/* The `token` member of an application/x-www-form-urlencoded body (RFC
 * 7662 §2.1), percent-decoded. */
static int form_token(struct sv body, struct buf *tok)
{
	struct sv rest = sv_trim(body), pair, key;

	while (rest.len) {
		struct sv val;

		rest = sv_split(rest, '&', &pair);
		val = sv_split(pair, '=', &key);
		if (!sv_eq_cstr(key, "token"))
			continue;
		for (size_t k = 0; k < val.len; k++) {
			char ch = val.p[k];

			if (ch == '+') {
				ch = ' ';
			} else if (ch == '%' && k + 2 < val.len &&
				   hexval(val.p[k + 1]) >= 0 &&
				   hexval(val.p[k + 2]) >= 0) {
				ch = (char)(hexval(val.p[k + 1]) * 16 +
					    hexval(val.p[k + 2]));
				k += 2;
			}
			buf_append(tok, &ch, 1);
		}
		return 0;
	}
	return -ENOENT;
}

/* The token event i carries, into tok. */
static int token_of(struct mt_ctx *c, size_t i, struct buf *tok)
{
	char auth[] = "Authorization", token[] = "token";
	struct scn_field f = { .kind = SCN_F_HEADER, .name = auth };
	const struct rn_event *e = &c->r->events[i];
	bool http = !strcmp(e->proto, "http");
	struct sv t;
	int rc = -ENOENT;

	/* Authorization: each line, the first Bearer one (RFC 6750 §2.1;
	 * TS 24.371's `Bearer access_token="..."` too). */
	for (f.idx = 1; f.idx < 16 && !mt_field_get(c, i, &f, tok); f.idx++) {
		if (!digest_bearer_parse(&t, (struct sv){ tok->data, tok->len },
					 NULL)) {
			memmove(tok->data, t.p, t.len);
			tok->len = t.len;
			tok->data[t.len] = '\0';
			return 0;
		}
	}
	buf_reset(tok);
	if (!http)
		return -ENOENT;
	/* The login answer (wws JSON) or the introspection request. */
	f = (struct scn_field){ .kind = SCN_F_JSON, .name = token };
	if (!mt_field_get(c, i, &f, tok) && tok->len)
		return 0;
	f = (struct scn_field){ .kind = SCN_F_BODY };
	buf_reset(tok);
	if (!mt_field_get(c, i, &f, tok)) {
		struct buf form;

		buf_init(&form);
		rc = form_token((struct sv){ tok->data, tok->len }, &form);
		buf_reset(tok);
		buf_putsv(tok, (struct sv){ form.data, form.len });
		buf_puts(tok, "");
		buf_close(&form);
	}
	return rc;
}

int mt__jwt_field(struct mt_ctx *c, size_t i, const struct scn_field *f,
		  struct buf *out)
{
	bool header = !strcmp(f->name, "header");
	struct buf tok, json;
	struct sv part, rest;
	json_error_t jerr;
	json_t *root = NULL;
	int rc;

	buf_init(&tok);
	buf_init(&json);
	rc = token_of(c, i, &tok);
	if (rc)
		goto out;
	rest = sv_split((struct sv){ tok.data, tok.len }, '.', &part);
	if (!header)
		sv_split(rest, '.', &part);
	if ((!header && !sv_chr((struct sv){ tok.data, tok.len }, '.')) ||
	    b64url_decode(part, &json)) {
		buf_printf(out, "not a JWT (RFC 7515 7.1): its %s is not "
				"base64url",
			   header ? "header" : "payload");
		rc = -EBADMSG;
		goto out;
	}
	root = json_loadb(json.len ? json.data : "", json.len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		buf_printf(out, "not a JWT: its %s is not a JSON object%s%s",
			   header ? "header" : "payload", root ? "" : ": ",
			   root ? "" : jerr.text);
		rc = -EBADMSG;
		goto out;
	}
	rc = mt__json_path(root, f->sub, 0, out);
out:
	json_decref(root);
	buf_close(&tok);
	buf_close(&json);
	return rc;
}
