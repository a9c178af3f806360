/*
 * uri.c - SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966) and
 * their comparison (RFC 3261 §19.1.4). Views into the input, no copies.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <string.h>

static bool is_host_char(char c)
{
	/* hostname = *(domainlabel ".") toplabel; IPv4 is digits and dots.
	 * '_' is not in the grammar, but container names use it. */
	return sip__is_alpha(c) || sip__is_digit(c) || c == '-' || c == '.' ||
	       c == '_';
}

int sip__hostport_parse(struct sv s, bool lws, struct sv *host, bool *v6,
			uint16_t *port, size_t *bad, const char **why)
{
	size_t i = 0;
	uint64_t v;
	struct sv rest;
	int err = -EBADMSG;

	*host = SV_NULL;
	*v6 = false;
	*port = 0;
	*why = "Bad host";
	if (s.len && s.p[0] == '[') {
		/* IPv6reference = "[" IPv6address "]" (RFC 3261 §25.1) */
		bool colon = false;

		for (i = 1; i < s.len && s.p[i] != ']'; i++) {
			if (s.p[i] == ':')
				colon = true;
			else if (!sip__is_hex(s.p[i]) && s.p[i] != '.')
				goto out;
		}
		if (i == s.len || !colon)
			goto out;
		*host = (struct sv){ s.p + 1, i - 1 };
		*v6 = true;
		i++;
	} else {
		while (i < s.len && is_host_char(s.p[i]))
			i++;
		if (i == 0)
			goto out;
		*host = (struct sv){ s.p, i };
	}
	rest = sip__from(s, i);
	while (lws && rest.len && sip__is_wsp(rest.p[0]))
		rest = sip__from(rest, 1);
	if (!rest.len) {
		err = 0;
		goto out;
	}
	if (rest.p[0] != ':')
		goto out;
	rest = sip__from(rest, 1);
	while (lws && rest.len && sip__is_wsp(rest.p[0]))
		rest = sip__from(rest, 1);
	i = (size_t)(rest.p - s.p);
	*why = "Bad port";
	if (sv_to_u64(rest, 65535, &v) || v == 0)
		goto out;
	*port = (uint16_t)v;
	err = 0;
out:
	*bad = i;
	return err;
}

/* RFC 3261 §25.1 user / password. Beyond the grammar we accept every other
 * visible character but the delimiters: wildcarded IMPUs (TS 23.003 §13.4A)
 * carry a regular expression there, and UAs send '#' unescaped. */
static bool is_user_char(char c)
{
	return sip__is_vchar(c) && c != '<' && c != '>' && c != '"' &&
	       c != '@' && c != ':';
}

/* uri-parameters and headers: paramchar / hnv-unreserved, loosely. */
static bool is_param_char(char c)
{
	return sip__is_vchar(c) && c != '<' && c != '>' && c != '"';
}

/* RFC 3966 telephone-subscriber digits and visual separators, plus the
 * wildcard characters of a wildcarded IMPU. */
static bool is_tel_char(char c)
{
	return is_param_char(c) && c != ';' && c != '?' && c != '@';
}

/* Every char passes ok() and every '%' starts an escape (%HH). */
static int chars_check(struct sv s, bool (*ok)(char), size_t *bad)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '%') {
			if (i + 2 >= s.len || !sip__is_hex(s.p[i + 1]) ||
			    !sip__is_hex(s.p[i + 2])) {
				*bad = i;
				return -EBADMSG;
			}
			i += 2;
		} else if (!ok(s.p[i])) {
			*bad = i;
			return -EBADMSG;
		}
	}
	return 0;
}

/* uri-parameters and headers of a sip/sips/tel URI; p is their start. */
static int uri_tail_parse(struct sip_uri *u, struct sv s, size_t *bad,
			  const char **why)
{
	const char *start = s.p, *q;
	int err;

	if (s.len && s.p[0] == ';') {
		q = sv_chr(s, '?');
		u->params = (struct sv){ s.p + 1,
					 (q ? (size_t)(q - s.p) : s.len) - 1 };
		*why = "Bad URI parameter";
		err = chars_check(u->params, is_param_char, bad);
		/* pname = 1*paramchar (§25.1): no "=value" without a name */
		for (size_t i = 0; !err && i < u->params.len; i++) {
			if (u->params.p[i] == '=' &&
			    (i == 0 || u->params.p[i - 1] == ';')) {
				*bad = i;
				err = -EBADMSG;
			}
		}
		if (err) {
			*bad += 1;
			return err;
		}
		s = sip__from(s, u->params.len + 1);
	}
	if (s.len && s.p[0] == '?') {
		u->headers = sip__from(s, 1);
		*why = "Bad URI header";
		err = chars_check(u->headers, is_param_char, bad);
		if (err) {
			*bad += (size_t)(u->headers.p - start);
			return err;
		}
	}
	return 0;
}

/* sip:/sips: after the scheme (RFC 3261 §25.1 SIP-URI). */
static int uri_sip_parse(struct sip_uri *u, struct sv r, size_t *bad,
			 const char **why)
{
	const char *at = sv_chr(r, '@');
	size_t hp = 0, end, off = 0;
	struct sv rest;
	int err;

	if (at) {
		struct sv ui = { r.p, (size_t)(at - r.p) }, user;
		const char *colon = sv_chr(ui, ':');

		user = colon ? (struct sv){ ui.p, (size_t)(colon - ui.p) } : ui;
		*why = "Bad URI user";
		*bad = 0;
		if (!user.len)
			return -EBADMSG;
		err = chars_check(user, is_user_char, bad);
		if (err)
			return err;
		u->user = user;
		if (colon) {
			u->password = sip__from(ui, user.len + 1);
			err = chars_check(u->password, is_user_char, &off);
			if (err) {
				*bad = user.len + 1 + off;
				return err;
			}
		}
		hp = ui.len + 1;
	}
	rest = sip__from(r, hp);
	for (end = 0; end < rest.len; end++)
		if (rest.p[end] == ';' || rest.p[end] == '?')
			break;
	err = sip__hostport_parse((struct sv){ rest.p, end }, false, &u->host,
				  &u->host_is_v6, &u->port, &off, why);
	if (err) {
		*bad = hp + off;
		return err;
	}
	err = uri_tail_parse(u, sip__from(rest, end), &off, why);
	*bad = hp + end + off;
	return err;
}

/* tel: after the scheme (RFC 3966 §3): the number, then ;params. */
static int uri_tel_parse(struct sip_uri *u, struct sv r, size_t *bad,
			 const char **why)
{
	const char *semi = sv_chr(r, ';');
	size_t off = 0;
	int err;

	u->user = semi ? (struct sv){ r.p, (size_t)(semi - r.p) } : r;
	*why = "Bad tel number";
	*bad = 0;
	if (!u->user.len)
		return -EBADMSG;
	err = chars_check(u->user, is_tel_char, bad);
	if (err)
		return err;
	err = uri_tail_parse(u, sip__from(r, u->user.len), &off, why);
	*bad = u->user.len + off;
	return err;
}

int sip_uri_parse(struct sip_uri *u, struct sv s, struct perr *e)
{
	const char *colon = sv_chr(s, ':');
	const char *why = "Bad URI";
	struct sv scheme = SV_NULL;
	size_t bad = 0;
	int err = -EBADMSG, status = 400;

	memset(u, 0, sizeof(*u));
	if (!colon || colon == s.p || !sip__is_alpha(s.p[0]))
		goto out;
	scheme = (struct sv){ s.p, (size_t)(colon - s.p) };
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	for (; bad < scheme.len; bad++) {
		char c = scheme.p[bad];

		if (!sip__is_alpha(c) && !sip__is_digit(c) && c != '+' &&
		    c != '-' && c != '.')
			goto out;
	}
	bad = 0;
	if (sv_casecmp_cstr(scheme, "sip") || sv_casecmp_cstr(scheme, "sips")) {
		u->scheme = scheme.len == 3 ? SIP_URI_SIP : SIP_URI_SIPS;
		err = uri_sip_parse(u, sip__from(s, scheme.len + 1), &bad,
				    &why);
	} else if (sv_casecmp_cstr(scheme, "tel")) {
		u->scheme = SIP_URI_TEL;
		err = uri_tel_parse(u, sip__from(s, scheme.len + 1), &bad,
				    &why);
	} else {
		/* RFC 3261 §8.2.2.1: 416 for a scheme we do not serve. */
		why = "Unsupported URI scheme";
		status = 416;
		goto out;
	}
	if (err)
		bad += scheme.len + 1;
out:
	if (err)
		perr_set(e, bad, why, status);
	return err;
}

/* ---- comparison (RFC 3261 §19.1.4) --------------------------------------- */

/* Next character of s at *i with %HH decoded; the escaped and plain forms
 * of a character are equivalent. */
static int unesc_next(struct sv s, size_t *i)
{
	unsigned char c = (unsigned char)s.p[*i];

	if (c == '%' && *i + 2 < s.len && sip__is_hex(s.p[*i + 1]) &&
	    sip__is_hex(s.p[*i + 2])) {
		char hex[3] = { s.p[*i + 1], s.p[*i + 2], 0 };
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char h = hex[k];

			v = v * 16 + (sip__is_digit(h) ? h - '0'
						       : (h | 0x20) - 'a' + 10);
		}
		*i += 3;
		return v;
	}
	(*i)++;
	return c;
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* `skip_visual`: RFC 3966 §5.1.1 visual separators do not count. */
static bool esc_eq(struct sv a, struct sv b, bool icase, bool skip_visual)
{
	size_t i = 0, j = 0;

	for (;;) {
		int ca = -1, cb = -1;

		while (i < a.len && ca < 0) {
			ca = unesc_next(a, &i);
			if (skip_visual && strchr("-.()", ca) && ca)
				ca = -1;
		}
		while (j < b.len && cb < 0) {
			cb = unesc_next(b, &j);
			if (skip_visual && strchr("-.()", cb) && cb)
				cb = -1;
		}
		if (ca < 0 || cb < 0)
			return ca == cb;
		if (icase) {
			ca = ascii_lower(ca);
			cb = ascii_lower(cb);
		}
		if (ca != cb)
			return false;
	}
}

static int param_find(struct sv params, struct sv name, struct sv *value)
{
	struct sv n, v;
	bool has;

	while (sip__param_next(&params, &n, &v, &has)) {
		if (sv_caseeq(n, name)) {
			*value = v;
			return 0;
		}
	}
	return -ENOENT;
}

/* §19.1.4: "user, ttl, method, maddr and transport" in only one URI make
 * them differ; other params count only if both URIs have them. */
static bool param_is_special(struct sv n)
{
	return sv_casecmp_cstr(n, "user") || sv_casecmp_cstr(n, "ttl") ||
	       sv_casecmp_cstr(n, "method") || sv_casecmp_cstr(n, "maddr") ||
	       sv_casecmp_cstr(n, "transport");
}

static bool params_subset(struct sv a, struct sv b, bool all_special)
{
	struct sv rest = a, n, v, bv;
	bool has;

	while (sip__param_next(&rest, &n, &v, &has)) {
		/* The first of repeated names counts, on both sides. */
		param_find(a, n, &v);
		if (param_find(b, n, &bv) == 0) {
			if (!esc_eq(v, bv, true, false))
				return false;
		} else if (all_special || param_is_special(n)) {
			return false;
		}
	}
	return true;
}

/* URI headers ("?a=b&c=d"): each present in both, same value. */
static bool uri_headers_subset(struct sv a, struct sv b)
{
	struct sv ha, rest = a;

	while (rest.len) {
		struct sv name, val, hb, rb = b;
		bool found = false;

		rest = sv_split(rest, '&', &ha);
		val = sv_split(ha, '=', &name);
		while (rb.len && !found) {
			struct sv bn, bvv;

			rb = sv_split(rb, '&', &hb);
			bvv = sv_split(hb, '=', &bn);
			found = esc_eq(name, bn, true, false) &&
				esc_eq(val, bvv, false, false);
		}
		if (!found)
			return false;
	}
	return true;
}

bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (!a || !b || a->scheme != b->scheme)
		return false;
	if (a->scheme == SIP_URI_TEL) {
		/* RFC 3966 §4: number without visual separators, and the same
		 * parameter set. */
		return esc_eq(a->user, b->user, true, true) &&
		       params_subset(a->params, b->params, true) &&
		       params_subset(b->params, a->params, true);
	}
	/* userinfo is case-sensitive, host is not; an absent port differs
	 * from an explicit default one. */
	return esc_eq(a->user, b->user, false, false) &&
	       esc_eq(a->password, b->password, false, false) &&
	       esc_eq(a->host, b->host, true, false) && a->port == b->port &&
	       params_subset(a->params, b->params, false) &&
	       params_subset(b->params, a->params, false) &&
	       uri_headers_subset(a->headers, b->headers) &&
	       uri_headers_subset(b->headers, a->headers);
}
