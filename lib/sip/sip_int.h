/*
 * sip_int.h - private helpers shared by the lib/sip sources. Not part of
 * the public API: include only from the lib/sip sources.
 */
#ifndef IMSTB_SIP_INT_H
#define IMSTB_SIP_INT_H

#include "sip/sip.h"

/* RFC 3261 §25.1: SP / HTAB (the WSP of LWS and SWS). */
static inline bool sip__is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool sip__is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool sip__is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool sip__is_hex(char c)
{
	return sip__is_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" /
 * "_" / "+" / "`" / "'" / "~"). */
static inline bool sip__is_token(char c)
{
	if (sip__is_alpha(c) || sip__is_digit(c))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return true;
	default:
		return false;
	}
}

/* Visible ASCII (VCHAR, 0x21-0x7e). */
static inline bool sip__is_vchar(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

/* A view of s from offset i on (i <= s.len). */
static inline struct sv sip__from(struct sv s, size_t i)
{
	return (struct sv){ s.p + i, s.len - i };
}

/* Full name for a one-letter compact form (RFC 3261 §7.3.3 and later RFCs),
 * also for those without an id ("s" -> "Subject"); NULL if unknown. */
const char *sip__compact_expand(char c);

/* Drops SP/HTAB at both ends (not CR/LF, unlike sv_trim). */
struct sv sip__trim_wsp(struct sv s);

/*
 * Given s.p[i] == '"', returns the index just past the closing quote of
 * the quoted-string (RFC 3261 §25.1, quoted-pair escapes honoured), or 0 if
 * it is unterminated.
 */
size_t sip__quoted_end(struct sv s, size_t i);

/*
 * Next ';'-separated generic-param of a parameter list, honouring quoted
 * values. *name and *value are trimmed; *value has quotes stripped and is
 * empty for a flag. Returns false when none is left.
 */
bool sip__param_next(struct sv *rest, struct sv *name, struct sv *value,
		     bool *has_value);

/*
 * Checks header params after a URI or sent-by (RFC 3261 §25.1 generic-param
 * with SEMI/EQUAL white space): `name [= token/host/quoted-string]` joined
 * by ';'. Returns 0 or -EBADMSG with *bad set to the faulty offset.
 */
int sip__params_check(struct sv s, size_t *bad);

/*
 * host [":" port] (RFC 3261 §25.1 hostport), IPv6 references in brackets.
 * `lws` allows white space around the colon (Via sent-by). Returns 0 or
 * -EBADMSG with *bad set and *why naming the part.
 */
int sip__hostport_parse(struct sv s, bool lws, struct sv *host, bool *v6,
			uint16_t *port, size_t *bad, const char **why);

#endif
