/*
 * ident.c - IMPU normalization and IMPI checks (TS 23.003 §13.3, §13.4).
 *
 * The HSS, the S-CSCF and the WSF all key tables by IMPU, and the same
 * identity reaches them spelt differently (a host in capitals from one UA,
 * a tel URI with dashes from a web form). Normalizing once, with the
 * comparison rules of RFC 3261 §19.1.4 and RFC 3966 §4, lets every table
 * compare bytes.
 */
#include "ims/ims.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* RFC 7542 §2.2: an NAI is at most 253 octets. */
#define NAI_MAX 253

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

static char lower(char c)
{
	return (char)tolower((unsigned char)c);
}

static void put_lower(struct buf *b, struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = lower(s.p[i]);

		buf_append(b, &c, 1);
	}
}

/* Strips whitespace and one pair of enclosing angle brackets (name-addr). */
static struct sv impu_bare(struct sv s)
{
	s = sv_trim(s);
	if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>') {
		s.p++;
		s.len -= 2;
		s = sv_trim(s);
	}
	return s;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 3261 §19.1.4: in the userinfo, "characters other than those in the
 * reserved set are equivalent to their '%' HEX HEX encodings": such an
 * escape is decoded (so "+1555!%5B0-9%5D!" and "+1555![0-9]!" are one
 * identity), other escapes are kept with their hex in capitals. Printable
 * ASCII only; '%' itself, '<', '>' and '"' stay escaped so that the
 * canonical text never reads differently. */
static void put_userinfo(struct buf *b, struct sv u)
{
	static const char keep[] = ";/?:@&=+$,%<>\"";

	for (size_t i = 0; i < u.len; i++) {
		int hi = i + 2 < u.len ? hexval(u.p[i + 1]) : -1;
		int lo = i + 2 < u.len ? hexval(u.p[i + 2]) : -1;
		int c;

		if (u.p[i] != '%' || hi < 0 || lo < 0) {
			buf_append(b, &u.p[i], 1);
			continue;
		}
		c = hi * 16 + lo;
		if (c > 0x20 && c < 0x7f && !strchr(keep, c)) {
			char ch = (char)c;

			buf_append(b, &ch, 1);
		} else {
			buf_printf(b, "%%%02X", (unsigned)c);
		}
		i += 2;
	}
}

/* RFC 3261 §19.1.1: "sip:" [userinfo "@"] hostport [params] [headers].
 * userinfo holds no unescaped '@', so the first '@' ends it. */
static int sip_normalize(struct sv scheme, struct sv rest, struct buf *out)
{
	const char *at = sv_chr(rest, '@');
	size_t hs = at ? (size_t)(at - rest.p) + 1 : 0;
	size_t he = hs;
	int err = 0;

	if (at && hs == 1) {
		err = -EBADMSG; /* empty userinfo */
		goto out;
	}
	if (he < rest.len && rest.p[he] == '[') {
		/* IPv6reference (RFC 3261 §25.1) ends at ']' */
		while (he < rest.len && rest.p[he] != ']')
			he++;
		if (he == rest.len) {
			err = -EBADMSG;
			goto out;
		}
		he++;
	} else {
		while (he < rest.len && !strchr(":;?", rest.p[he]))
			he++;
	}
	if (he == hs) {
		err = -EBADMSG;
		goto out;
	}
	/* scheme and host compare case-insensitively, the user part not */
	put_lower(out, scheme);
	put_userinfo(out, (struct sv){ rest.p, hs });
	put_lower(out, (struct sv){ rest.p + hs, he - hs });
	buf_append(out, rest.p + he, rest.len - he);
out:
	return err;
}

/* RFC 3966 §3: telephone-subscriber = global-number / local-number, then
 * parameters. Visual separators carry no meaning (§5.1.1). */
static int tel_normalize(struct sv rest, struct buf *out)
{
	struct sv num;
	struct sv params = sv_split(rest, ';', &num);
	size_t digits = 0;
	int err = 0;

	buf_puts(out, "tel:");
	for (size_t i = 0; i < num.len; i++) {
		char c = num.p[i];

		if (strchr("-.()", c))
			continue;
		if (c == '+' && i == 0) {
			buf_append(out, &c, 1);
			continue;
		}
		if (!isxdigit((unsigned char)c) && c != '*' && c != '#') {
			err = -EBADMSG;
			goto out;
		}
		if (isdigit((unsigned char)c))
			digits++;
		c = lower(c);
		buf_append(out, &c, 1);
	}
	/* a global number needs a digit after '+' (RFC 3966 §3) */
	if (digits == 0) {
		err = -EBADMSG;
		goto out;
	}
	if (num.len < rest.len) {
		buf_puts(out, ";");
		put_lower(out, params);
	}
out:
	return err; /* the caller rolls out back on error */
}

int ims_impu_normalize(struct sv impu, struct buf *out)
{
	struct sv s = impu_bare(impu);
	size_t start = out->len;
	int err = -EBADMSG;

	if (sv_case_starts_with(s, "sip:")) {
		err = sip_normalize((struct sv){ s.p, 4 },
				   (struct sv){ s.p + 4, s.len - 4 }, out);
	} else if (sv_case_starts_with(s, "sips:")) {
		err = sip_normalize((struct sv){ s.p, 5 },
				   (struct sv){ s.p + 5, s.len - 5 }, out);
	} else if (sv_case_starts_with(s, "tel:")) {
		err = tel_normalize((struct sv){ s.p + 4, s.len - 4 }, out);
	}
	if (err && out->len != start) {
		out->len = start;
		out->data[start] = '\0';
	}
	return err;
}

/* RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ). */
static bool user_char_ok(char c)
{
	return is_alnum(c) || (c && strchr("-_.!~*'()&=+$,;?/", c));
}

int ims_impu_escape(struct sv impu, struct buf *out)
{
	struct sv s = impu_bare(impu);
	size_t skip = 0;
	const char *at;

	if (sv_case_starts_with(s, "sip:"))
		skip = 4;
	else if (sv_case_starts_with(s, "sips:"))
		skip = 5;
	else if (!sv_case_starts_with(s, "tel:"))
		return -EBADMSG;
	at = skip ? sv_chr(s, '@') : NULL;
	if (!at) {
		buf_putsv(out, s); /* no user part: nothing to escape */
		return 0;
	}
	buf_append(out, s.p, skip);
	for (const char *p = s.p + skip; p < at; p++) {
		bool esc = *p == '%' && at - p > 2 && hexval(p[1]) >= 0 &&
			   hexval(p[2]) >= 0;

		if (esc || user_char_ok(*p))
			buf_append(out, p, 1);
		else
			buf_printf(out, "%%%02X", (unsigned)(unsigned char)*p);
	}
	buf_append(out, at, (size_t)(s.p + s.len - at));
	return 0;
}

char *ims_impu_canon(const char *impu)
{
	struct buf b;

	buf_init(&b);
	if (!impu || ims_impu_normalize(sv_from_cstr(impu), &b)) {
		buf_close(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

bool ims_impu_eq(struct sv a, struct sv b)
{
	struct buf na, nb;
	bool eq = false;

	buf_init(&na);
	buf_init(&nb);
	if (ims_impu_normalize(a, &na) || ims_impu_normalize(b, &nb))
		goto out;
	eq = na.len == nb.len && memcmp(na.data, nb.data, na.len) == 0;
out:
	buf_close(&na);
	buf_close(&nb);
	return eq;
}

/* RFC 7542 §2.2 utf8-atext, ASCII part (non-ASCII usernames are refused:
 * IMPIs are built from the IMSI or provisioned ASCII, 23.003 §13.3). */
static bool is_atext(char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int user_check(struct sv u, struct perr *e)
{
	int err = 0;

	if (u.len == 0) {
		err = perr_set(e, 0, "IMPI: empty username", 0);
		goto out;
	}
	for (size_t i = 0; i < u.len; i++) {
		char c = u.p[i];

		if (c == '.' && i > 0 && i + 1 < u.len && u.p[i - 1] != '.')
			continue;
		if (!is_atext(c)) {
			err = perr_set(e, i, "IMPI: bad username character",
				       0);
			goto out;
		}
	}
out:
	return err;
}

/* RFC 7542 §2.2 realm = 1*( label "." ) label, labels LDH (RFC 1035). */
static int realm_check(struct sv r, size_t off, struct perr *e)
{
	size_t lab = 0;
	int err = 0;

	if (r.len == 0) {
		err = perr_set(e, off, "IMPI: empty realm", 0);
		goto out;
	}
	for (size_t i = 0; i <= r.len; i++) {
		char c = i < r.len ? r.p[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63 || r.p[i - 1] == '-') {
				err = perr_set(e, off + i, "IMPI: bad label",
					       0);
				goto out;
			}
			lab = 0;
			continue;
		}
		if (!is_alnum(c) && !(c == '-' && lab > 0)) {
			err = perr_set(e, off + i,
				       "IMPI: bad realm character", 0);
			goto out;
		}
		lab++;
	}
out:
	return err;
}

/* 23.003 §13.3: the IMPI takes the form of an NAI, username@realm. */
int ims_impi_check(struct sv impi, struct perr *e)
{
	struct sv user;
	struct sv realm = sv_split(impi, '@', &user);
	int err = 0;

	if (impi.len > NAI_MAX) {
		err = perr_set(e, NAI_MAX, "IMPI: longer than 253 octets", 0);
		goto out;
	}
	if (user.len == impi.len) {
		err = perr_set(e, 0, "IMPI: no '@'", 0);
		goto out;
	}
	/* RFC 7542 §2.2 allows one '@' only: no routed "a@b@c" forms */
	if (sv_chr(realm, '@')) {
		err = perr_set(e, (size_t)(sv_chr(realm, '@') - impi.p),
			       "IMPI: more than one '@'", 0);
		goto out;
	}
	err = user_check(user, e);
	if (err)
		goto out;
	err = realm_check(realm, user.len + 1, e);
out:
	return err;
}

int ims_impi_realm(struct sv impi, struct sv *realm)
{
	struct sv user;
	int err = ims_impi_check(impi, NULL);

	if (err)
		goto out;
	*realm = sv_split(impi, '@', &user);
out:
	return err;
}
