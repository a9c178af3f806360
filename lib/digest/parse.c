/*
 * parse.c - lexing of auth values (RFC 7235 §2.1, RFC 3261 §25.1) and the
 * Digest credentials / challenge / Bearer parsers on top of it.
 */
#include "digest/digest_int.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* ---- lexer --------------------------------------------------------------- */

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* tchar (RFC 7230 §3.2.6), a superset of the RFC 3261 §25.1 token. */
static bool is_tchar(char c)
{
	unsigned char u = (unsigned char)c;

	if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
	    (u >= '0' && u <= '9'))
		return true;
	return u && strchr("!#$%&'*+-.^_`|~", u) != NULL;
}

/* b64token (RFC 6750 §2.1) without its trailing "=" run. */
static bool is_b64char(char c)
{
	unsigned char u = (unsigned char)c;

	if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
	    (u >= '0' && u <= '9'))
		return true;
	return u && strchr("-._~+/", u) != NULL;
}

/* Inside a quoted-string: CR and LF are refused too, since lib/sip unfolds
 * continuation lines before we see them (RFC 3261 §7.3.1). */
static bool is_ctl(char c)
{
	unsigned char u = (unsigned char)c;

	return (u < 0x20 && u != '\t') || u == 0x7f;
}

static size_t skip_lws(struct sv in, size_t i)
{
	while (i < in.len && is_lws(in.p[i]))
		i++;
	return i;
}

int digest__scheme(struct sv value, struct sv *scheme, size_t *pos,
		   struct perr *e)
{
	size_t i = skip_lws(value, 0);
	size_t start = i;

	while (i < value.len && is_tchar(value.p[i]))
		i++;
	if (i == start)
		return perr_set(e, i, "expected auth-scheme", 400);
	if (i < value.len && !is_lws(value.p[i]))
		return perr_set(e, i, "expected LWS after auth-scheme", 400);
	*scheme = (struct sv){ value.p + start, i - start };
	*pos = i;
	return 0;
}

/* quoted-string (RFC 3261 §25.1): *pos is at the opening quote; on
 * success it is moved past the closing one. */
static int lex_quoted(struct sv in, size_t *pos, struct digest__param *p,
		      struct perr *e)
{
	size_t open = *pos, i = open + 1;

	p->quoted = true;
	p->escaped = false;
	while (i < in.len && in.p[i] != '"') {
		if (in.p[i] == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F):
			 * we also refuse the control characters. */
			if (i + 1 < in.len && is_ctl(in.p[i + 1]))
				return perr_set(e, i + 1,
						"control char in quoted-pair",
						400);
			p->escaped = true;
			i++;
		} else if (is_ctl(in.p[i])) {
			return perr_set(e, i,
					"control character in quoted-string",
					400);
		}
		if (i < in.len)
			i++;
	}
	if (i >= in.len)
		return perr_set(e, open, "unterminated quoted-string", 400);
	p->val = (struct sv){ in.p + open + 1, i - open - 1 };
	*pos = i + 1;
	return 0;
}

int digest__param_next(struct sv in, size_t *pos, struct digest__param *p,
		       struct perr *e)
{
	size_t i = *pos, start, vs;
	int err;

	while (i < in.len && (is_lws(in.p[i]) || in.p[i] == ','))
		i++;
	if (i == in.len) {
		*pos = i;
		return 0;
	}
	start = i;
	while (i < in.len && is_tchar(in.p[i]))
		i++;
	if (i == start)
		return perr_set(e, i, "expected auth-param name", 400);
	p->name = (struct sv){ in.p + start, i - start };
	i = skip_lws(in, i);
	if (i == in.len || in.p[i] != '=')
		return perr_set(e, i, "expected '=' after auth-param name",
				400);
	i = skip_lws(in, i + 1);
	if (i < in.len && in.p[i] == '"') {
		err = lex_quoted(in, &i, p, e);
		if (err)
			return err;
	} else {
		vs = i;
		while (i < in.len && is_tchar(in.p[i]))
			i++;
		if (i == vs)
			return perr_set(e, i, "expected token or quoted-string",
					400);
		p->val = (struct sv){ in.p + vs, i - vs };
		p->quoted = false;
		p->escaped = false;
	}
	p->raw = (struct sv){ in.p + start, i - start };
	i = skip_lws(in, i);
	if (i < in.len && in.p[i] != ',')
		return perr_set(e, i, "expected ',' between auth-params", 400);
	*pos = i;
	return 1;
}

/* ---- params into structs (STYLE rule 12: a table, not an if chain) ------- */

struct pdesc {
	const char *name;
	unsigned bit;
	size_t off; /* offsetof the struct sv field */
};

#define CRED(n, b, f) { n, b, offsetof(struct digest_cred, f) }
static const struct pdesc cred_params[] = {
	CRED("username", DIGEST_P_USERNAME, username),
	CRED("realm", DIGEST_P_REALM, realm),
	CRED("nonce", DIGEST_P_NONCE, nonce),
	CRED("uri", DIGEST_P_URI, uri),
	CRED("response", DIGEST_P_RESPONSE, response),
	CRED("algorithm", DIGEST_P_ALGORITHM, algorithm),
	CRED("cnonce", DIGEST_P_CNONCE, cnonce),
	CRED("opaque", DIGEST_P_OPAQUE, opaque),
	CRED("qop", DIGEST_P_QOP, qop),
	CRED("nc", DIGEST_P_NC, nc),
	CRED("integrity-protected", DIGEST_P_INTEGRITY, integrity_protected),
	CRED("auts", DIGEST_P_AUTS, auts),
};
#undef CRED

/* stale is decoded separately, into a bool. */
#define CHAL(n, b, f) { n, b, offsetof(struct digest_chal, f) }
static const struct pdesc chal_params[] = {
	CHAL("realm", DIGEST_P_REALM, realm),
	CHAL("nonce", DIGEST_P_NONCE, nonce),
	CHAL("opaque", DIGEST_P_OPAQUE, opaque),
	CHAL("algorithm", DIGEST_P_ALGORITHM, algorithm),
	CHAL("qop", DIGEST_P_QOP, qop),
	CHAL("domain", DIGEST_P_DOMAIN, domain),
	{ "stale", DIGEST_P_STALE, 0 },
};
#undef CHAL

/* Copies raw minus its quoted-pair backslashes into the struct's store. */
static int unescape(struct sv raw, char *store, size_t *used,
		    struct sv *out)
{
	size_t start = *used;

	for (size_t i = 0; i < raw.len; i++) {
		if (raw.p[i] == '\\' && i + 1 < raw.len)
			i++;
		if (*used >= DIGEST_UNQ_MAX)
			return -ENOSPC;
		store[(*used)++] = raw.p[i];
	}
	*out = (struct sv){ store + start, *used - start };
	return 0;
}

/* Parses `Digest <auth-params>` into obj through tab. *stale_val gets the
 * stale param's value (challenges only).
 * RFC 7616 §3.3-§3.4 fix which params are quoted (algorithm, nc, stale and
 * the credentials' qop are tokens, the rest quoted-strings). Deployed
 * clients get this wrong both ways (qop="auth", unquoted username), and a
 * simulator gains nothing by refusing them, so either form is accepted;
 * what matters for the hash is the unquoted value. */
static int params_parse(struct sv value, const struct pdesc *tab, size_t n,
			void *obj, unsigned *present, char *store,
			size_t *used, struct sv *stale_val, struct perr *e)
{
	struct digest__param p;
	struct sv scheme, *dst;
	size_t pos;
	int err, r;

	err = digest__scheme(value, &scheme, &pos, e);
	if (err)
		goto out;
	if (!sv_casecmp_cstr(scheme, "Digest")) {
		err = perr_set(e, (size_t)(scheme.p - value.p),
			       "auth-scheme is not Digest", 400);
		goto out;
	}
	while ((r = digest__param_next(value, &pos, &p, e)) > 0) {
		size_t k;

		for (k = 0; k < n && !sv_casecmp_cstr(p.name, tab[k].name); k++)
			;
		if (k == n)
			continue; /* unknown params are ignored */
		if (*present & tab[k].bit) {
			/* RFC 7235 §2.1: each name only once */
			err = perr_set(e, (size_t)(p.name.p - value.p),
				       "duplicate auth-param", 400);
			goto out;
		}
		*present |= tab[k].bit;
		dst = tab[k].bit == DIGEST_P_STALE
			      ? stale_val
			      : (struct sv *)((char *)obj + tab[k].off);
		if (!p.escaped) {
			*dst = p.val;
		} else if (unescape(p.val, store, used, dst)) {
			err = perr_set(e, (size_t)(p.val.p - value.p),
				       "escaped values too long", 400);
			goto out;
		}
	}
	err = r;
out:
	return err;
}

/* Names the first bit of need missing from have, or NULL. */
static const char *missing(unsigned have, unsigned need)
{
	static const struct {
		unsigned bit;
		const char *why;
	} names[] = {
		{ DIGEST_P_USERNAME, "missing username" },
		{ DIGEST_P_REALM, "missing realm" },
		{ DIGEST_P_NONCE, "missing nonce" },
		{ DIGEST_P_URI, "missing uri" },
		{ DIGEST_P_RESPONSE, "missing response" },
		{ DIGEST_P_CNONCE, "qop without cnonce" },
		{ DIGEST_P_NC, "qop without nc" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if ((need & names[i].bit) && !(have & names[i].bit))
			return names[i].why;
	return NULL;
}

static enum digest_qop qop_of(struct sv v)
{
	if (sv_casecmp_cstr(v, "auth"))
		return DIGEST_QOP_AUTH;
	if (sv_casecmp_cstr(v, "auth-int"))
		return DIGEST_QOP_AUTH_INT;
	return DIGEST_QOP_UNKNOWN;
}

static uint32_t hex_u32(struct sv v)
{
	uint32_t x = 0;

	for (size_t i = 0; i < v.len; i++)
		x = x << 4 | digest__hexval(v.p[i]);
	return x;
}

/* The views stay valid as long as value (and c, for unescaped ones). */
int digest_cred_parse(struct digest_cred *c, struct sv value, struct perr *e)
{
	unsigned need = DIGEST_P_USERNAME | DIGEST_P_REALM | DIGEST_P_NONCE |
			DIGEST_P_URI | DIGEST_P_RESPONSE;
	const char *why;
	int err;

	memset(c, 0, offsetof(struct digest_cred, unq));
	err = params_parse(value, cred_params, ARRAY_SIZE(cred_params), c,
			   &c->present, c->unq, &c->unq_len, NULL, e);
	if (err)
		goto out;
	/* RFC 7616 §3.4: cnonce and nc MUST come with qop */
	if (c->present & DIGEST_P_QOP) {
		need |= DIGEST_P_CNONCE | DIGEST_P_NC;
		c->qop_val = qop_of(c->qop);
	}
	why = missing(c->present, need);
	if (why) {
		err = perr_set(e, value.len, why, 400);
		goto out;
	}
	if (c->present & DIGEST_P_NC) {
		/* RFC 3261 §25.1: nonce-count = "nc" EQUAL 8LHEX. Upper case
		 * is tolerated: the hash uses nc as sent, so it still has to
		 * match what the client hashed. */
		if (!digest__is_hex(c->nc, 8)) {
			err = perr_set(e, (size_t)(c->nc.p - value.p),
				       "nc is not 8 hex digits", 400);
			goto out;
		}
		c->nc_val = hex_u32(c->nc);
	}
	digest_alg_parse(&c->alg, c->algorithm);
out:
	return err;
}

bool digest_cred_is_initial(const struct digest_cred *c)
{
	return c->nonce.len == 0 && c->response.len == 0;
}

int digest_chal_parse(struct digest_chal *ch, struct sv value, struct perr *e)
{
	struct sv stale = SV_NULL, rest, item;
	const char *why;
	int err;

	memset(ch, 0, offsetof(struct digest_chal, unq));
	err = params_parse(value, chal_params, ARRAY_SIZE(chal_params), ch,
			   &ch->present, ch->unq, &ch->unq_len, &stale, e);
	if (err)
		goto out;
	/* RFC 7616 §3.3: realm and nonce are required */
	why = missing(ch->present, DIGEST_P_REALM | DIGEST_P_NONCE);
	if (why) {
		err = perr_set(e, value.len, why, 400);
		goto out;
	}
	/* RFC 7616 §3.3: anything but "true" (any case) means false */
	ch->stale = sv_casecmp_cstr(stale, "true");
	/* qop-options is a quoted, comma-separated list of tokens */
	rest = ch->qop;
	while (rest.len) {
		rest = sv_split(rest, ',', &item);
		switch (qop_of(sv_trim(item))) {
		case DIGEST_QOP_AUTH:
			ch->qop_auth = true;
			break;
		case DIGEST_QOP_AUTH_INT:
			ch->qop_auth_int = true;
			break;
		default:
			break;
		}
	}
	digest_alg_parse(&ch->alg, ch->algorithm);
out:
	return err;
}

/* ---- schemes and Bearer -------------------------------------------------- */

enum digest_scheme digest_scheme_of(struct sv value)
{
	struct sv scheme;
	size_t pos;

	if (digest__scheme(value, &scheme, &pos, NULL))
		return DIGEST_SCHEME_NONE;
	if (sv_casecmp_cstr(scheme, "Digest"))
		return DIGEST_SCHEME_DIGEST;
	if (sv_casecmp_cstr(scheme, "Bearer"))
		return DIGEST_SCHEME_BEARER;
	return DIGEST_SCHEME_OTHER;
}

/* Length of the b64token at the start of v (RFC 6750 §2.1), 0 if none. */
static size_t b64token_len(struct sv v)
{
	size_t i = 0;

	while (i < v.len && is_b64char(v.p[i]))
		i++;
	if (i == 0)
		return 0;
	while (i < v.len && v.p[i] == '=')
		i++;
	return i;
}

int digest_bearer_parse(struct sv *token, struct sv value, struct perr *e)
{
	struct digest__param p;
	struct sv scheme, rest;
	size_t pos, n;
	bool found = false;
	int err, r;

	err = digest__scheme(value, &scheme, &pos, e);
	if (err)
		goto out;
	if (!sv_casecmp_cstr(scheme, "Bearer")) {
		err = perr_set(e, (size_t)(scheme.p - value.p),
			       "auth-scheme is not Bearer", 400);
		goto out;
	}
	/* RFC 8898, RFC 6750 §2.1: "Bearer" 1*SP b64token */
	rest = sv_trim((struct sv){ value.p + pos, value.len - pos });
	n = b64token_len(rest);
	/* `access_token="x"` also starts with b64 chars and '=': it is a
	 * token68 only if nothing follows the '=' run. */
	if (n && n == rest.len) {
		*token = rest;
		goto out;
	}
	/* TS 24.371 form: Bearer access_token="<token>" */
	while ((r = digest__param_next(value, &pos, &p, e)) > 0) {
		if (!sv_casecmp_cstr(p.name, "access_token"))
			continue;
		if (found) {
			err = perr_set(e, (size_t)(p.name.p - value.p),
				       "duplicate access_token", 400);
			goto out;
		}
		if (p.escaped || !p.val.len ||
		    b64token_len(p.val) != p.val.len) {
			err = perr_set(e, (size_t)(p.val.p - value.p),
				       "access_token is not a b64token", 400);
			goto out;
		}
		*token = p.val;
		found = true;
	}
	err = r;
	if (!err && !found)
		err = perr_set(e, value.len, "missing bearer token", 400);
out:
	return err;
}

/* ---- editing ------------------------------------------------------------- */

int digest_param_replace(struct buf *out, struct sv value, const char *name,
			 struct sv val)
{
	size_t mark = out->len, pos;
	struct digest__param p;
	struct sv scheme;
	bool first = true;
	int err, r;

	err = digest__scheme(value, &scheme, &pos, NULL);
	if (err)
		goto out;
	buf_putsv(out, scheme);
	/* Params are copied as they came (raw), so the hash inputs of the
	 * credentials stay byte for byte what the UE sent. */
	while ((r = digest__param_next(value, &pos, &p, NULL)) > 0) {
		if (sv_casecmp_cstr(p.name, name))
			continue;
		buf_puts(out, first ? " " : ", ");
		buf_putsv(out, p.raw);
		first = false;
	}
	err = r;
	if (err)
		goto out;
	if (val.p) {
		buf_puts(out, first ? " " : ", ");
		buf_puts(out, name);
		buf_puts(out, "=");
		digest__put_quoted(out, val);
	}
out:
	if (err && out->data) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	return err;
}
