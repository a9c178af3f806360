/*
 * wildcard.c - wildcarded IMPU/PSI (TS 23.003 §13.4A, §13.5).
 *
 * "sip:+15551230![0-9]{3}!@ims.example.com" is compiled once into the
 * anchored POSIX ERE  ^sip:\+15551230([0-9]{3})@ims[.]example[.]com$
 * (the fixed parts escaped, the wildcard part kept as written and grouped so
 * an alternation inside it cannot leak out). When the wildcard part is a
 * plain sequence of literals and bracket expressions with fixed repeat
 * counts, it is also kept as a list of "atoms" so the range can be counted
 * and its members enumerated.
 */
#include "ims/ims.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One position class repeated rep times: chars[] sorted ascending. */
struct atom {
	unsigned char chars[256];
	unsigned nchars;
	unsigned rep;
};

struct ims_wildcard {
	char *text;   /* owned; normalized "prefix!ere!suffix" */
	char *prefix; /* owned; normalized fixed part before the first '!' */
	char *suffix; /* owned; normalized fixed part after the last '!' */
	regex_t rx;
	struct atom *atoms; /* owned; NULL when not enumerable */
	size_t natoms;
	int enum_err; /* 0, -ENOTSUP or -ERANGE for count/nth */
	uint64_t count;
};

/* POSIX character class names usable inside brackets (IEEE 1003.1 §9.3.5),
 * the ones that make sense in a URI. */
static const struct {
	const char *name;
	int (*is)(int c);
} classes[] = {
	{ "digit", isdigit }, { "alpha", isalpha }, { "alnum", isalnum },
	{ "upper", isupper }, { "lower", islower }, { "xdigit", isxdigit },
	{ "punct", ispunct }, { "graph", isgraph },
};

struct scan {
	const char *p;
	size_t len;
	bool plain; /* still enumerable */
	struct atom *atoms;
	size_t natoms;
};

static struct atom *atom_push(struct scan *s)
{
	struct atom *a;

	s->atoms = xrealloc(s->atoms, (s->natoms + 1) * sizeof(*s->atoms));
	a = &s->atoms[s->natoms++];
	memset(a, 0, sizeof(*a));
	a->rep = 1;
	return a;
}

static void atom_set(struct atom *a, const bool set[256])
{
	a->nchars = 0;
	for (unsigned c = 1; c < 256; c++)
		if (set[c])
			a->chars[a->nchars++] = (unsigned char)c;
}

/* "[:name:]" at p[j] (p[j] == '['); fills set, returns the index after it. */
static int bracket_class(struct scan *s, size_t j, bool set[256], size_t *next)
{
	char delim = s->p[j + 1];
	size_t k = j + 2;
	int err = -EBADMSG;

	while (k + 1 < s->len && !(s->p[k] == delim && s->p[k + 1] == ']'))
		k++;
	if (k + 1 >= s->len)
		goto out;
	*next = k + 2;
	if (delim != ':') {
		s->plain = false; /* collating symbols / equivalence classes */
		err = 0;
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		if (strlen(classes[i].name) != k - j - 2 ||
		    memcmp(classes[i].name, s->p + j + 2, k - j - 2))
			continue;
		for (int c = 1; c < 256; c++)
			if (c < 128 && classes[i].is(c))
				set[c] = true;
		err = 0;
		goto out;
	}
	s->plain = false; /* unknown here; regcomp decides */
	err = 0;
out:
	return err;
}

/* Bracket expression starting at p[i] == '['; sets *next after its ']'.
 * IEEE 1003.1 §9.3.5: a ']' first is literal, '-' first or last is
 * literal, backslash is literal. */
static int bracket_scan(struct scan *s, size_t i, size_t *next)
{
	bool set[256] = { false };
	size_t j = i + 1;
	bool first = true;
	int err = 0;

	if (j < s->len && s->p[j] == '^') {
		s->plain = false; /* a complement is too large to enumerate */
		j++;
	}
	while (j < s->len) {
		unsigned char c = (unsigned char)s->p[j];

		if (c == ']' && !first) {
			atom_set(atom_push(s), set);
			*next = j + 1;
			goto out;
		}
		first = false;
		if (c == '[' && j + 1 < s->len && strchr(":=.", s->p[j + 1])) {
			err = bracket_class(s, j, set, &j);
			if (err)
				goto out;
			continue;
		}
		if (j + 2 < s->len && s->p[j + 1] == '-' &&
		    s->p[j + 2] != ']') {
			unsigned char hi = (unsigned char)s->p[j + 2];

			for (unsigned x = c; x <= hi; x++)
				set[x] = true;
			if (hi < c)
				s->plain = false; /* regcomp refuses it */
			j += 3;
			continue;
		}
		set[c] = true;
		j++;
	}
	err = -EBADMSG; /* no closing ']' */
out:
	return err;
}

/* "{n}" / "{n,}" / "{n,m}" at p[i]; a fixed count repeats the last atom. */
static void interval_scan(struct scan *s, size_t i, size_t *next,
			  bool after_atom)
{
	size_t j = i + 1;
	uint64_t n = 0;
	struct sv num = { s->p + j, 0 };

	while (j < s->len && isdigit((unsigned char)s->p[j]))
		j++, num.len++;
	*next = j;
	if (j >= s->len || s->p[j] != '}' || !after_atom ||
	    sv_to_u64(num, 255, &n)) {
		s->plain = false; /* ranges {n,m}, or left to regcomp */
		return;
	}
	*next = j + 1;
	s->atoms[s->natoms - 1].rep = (unsigned)n;
}

/* One pass over the wildcard ERE: finds where brackets end (so '(' ')'
 * inside them are not counted), checks the parentheses balance and, while
 * the ERE stays plain, records its atoms. */
static int ere_scan(struct scan *s, struct perr *e, size_t off)
{
	int depth = 0, err = 0;
	bool after_atom = false;
	size_t i = 0;

	while (i < s->len) {
		char c = s->p[i];
		size_t next = i + 1;

		if (c == '\\') {
			if (i + 1 == s->len) {
				err = perr_set(e, off + i, "trailing '\\'", 0);
				goto out;
			}
			atom_push(s)->chars[0] = (unsigned char)s->p[i + 1];
			s->atoms[s->natoms - 1].nchars = 1;
			next = i + 2;
		} else if (c == '[') {
			err = bracket_scan(s, i, &next);
			if (err) {
				err = perr_set(e, off + i, "unclosed '['", 0);
				goto out;
			}
		} else if (c == '{') {
			interval_scan(s, i, &next, after_atom);
			after_atom = false;
			i = next;
			continue;
		} else if (c == '(' || c == ')') {
			depth += c == '(' ? 1 : -1;
			if (depth < 0) {
				err = perr_set(e, off + i, "unbalanced ')'", 0);
				goto out;
			}
			s->plain = false;
		} else if (strchr(".*+?|^$", c)) {
			s->plain = false;
		} else {
			atom_push(s)->chars[0] = (unsigned char)c;
			s->atoms[s->natoms - 1].nchars = 1;
		}
		after_atom = c != '(' && c != ')' && !strchr(".*+?|^$", c);
		i = next;
	}
	if (depth != 0)
		err = perr_set(e, off + s->len, "unbalanced '('", 0);
out:
	return err;
}

/* Matches a fixed part literally: specials of IEEE 1003.1 §9.4.3 are
 * backslash-escaped; ']' and '}' (special only after '[' / '{') go in
 * brackets, where POSIX defines them, rather than after an undefined '\'. */
static void ere_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ']' || *s == '}')
			buf_printf(b, "[%c]", *s);
		else if (strchr(".[\\()*+?{|^$", *s))
			buf_printf(b, "\\%c", *s);
		else
			buf_append(b, s, 1);
	}
}

static void lower_span(char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to && s[i]; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

/* Drops RFC 3966 visual separators from s[from..to) in place. */
static void drop_separators(char *s, size_t from, size_t to)
{
	size_t w = from;

	for (size_t r = from; s[r]; r++)
		if (r >= to || !strchr("-.()", s[r]))
			s[w++] = s[r];
	s[w] = '\0';
}

/* The fixed parts get what ims_impu_normalize does to a specific IMPU: the
 * scheme and (for SIP) the host lowercased; tel: is lowercased whole, and
 * its number loses its visual separators. */
static int fixed_normalize(char *pre, char *suf, struct perr *e)
{
	size_t plen = strlen(pre), slen = strlen(suf);
	size_t hs_pre = plen, sl = strcspn(suf, ";?");
	char *at;
	int err = 0;

	if (!strncasecmp(pre, "tel:", 4)) {
		lower_span(pre, 0, plen);
		lower_span(suf, 0, slen);
		drop_separators(pre, 4, plen);
		drop_separators(suf, 0, sl);
		goto out;
	}
	if (strncasecmp(pre, "sip:", 4) && strncasecmp(pre, "sips:", 5)) {
		err = perr_set(e, 0, "wildcard: not a sip/sips/tel URI", 0);
		goto out;
	}
	lower_span(pre, 0, (size_t)(strchr(pre, ':') - pre));
	at = strchr(suf, '@');
	if (at && (size_t)(at - suf) < sl) {
		lower_span(suf, (size_t)(at - suf), sl);
		goto out;
	}
	/* The ERE sits in the host (or the '@' is in the prefix). */
	at = strchr(pre, '@');
	hs_pre = at ? (size_t)(at - pre) : (size_t)(strchr(pre, ':') - pre);
	lower_span(pre, hs_pre, plen);
	lower_span(suf, 0, sl);
out:
	return err;
}

int ims_wildcard_parse(struct sv text, struct ims_wildcard **out,
		       struct perr *e)
{
	struct ims_wildcard *w = xcalloc(1, sizeof(*w));
	struct scan sc = { 0 };
	const char *f, *l;
	struct buf b;
	int err;

	buf_init(&b);
	text = sv_trim(text);
	f = text.len ? memchr(text.p, '!', text.len) : NULL;
	l = text.len ? memrchr(text.p, '!', text.len) : NULL;
	if (!f || f == l) {
		err = perr_set(e, f ? (size_t)(f - text.p) : 0,
			       "wildcard: needs a pair of '!'", 0);
		goto out;
	}
	if (l == f + 1 || memchr(text.p, '\0', text.len)) {
		err = perr_set(e, (size_t)(l - text.p),
			       "wildcard: empty wildcard part", 0);
		goto out;
	}
	w->prefix = sv_dup((struct sv){ text.p, (size_t)(f - text.p) });
	w->suffix = sv_dup((struct sv){ l + 1,
					text.len - (size_t)(l + 1 - text.p) });
	err = fixed_normalize(w->prefix, w->suffix, e);
	if (err)
		goto out;
	sc.p = f + 1;
	sc.len = (size_t)(l - f - 1);
	sc.plain = true;
	err = ere_scan(&sc, e, (size_t)(f + 1 - text.p));
	if (err)
		goto out;
	buf_putsv(&b, sv_from_cstr("^"));
	ere_escape(&b, w->prefix);
	buf_printf(&b, "(%.*s)", (int)sc.len, sc.p);
	ere_escape(&b, w->suffix);
	buf_puts(&b, "$");
	if (regcomp(&w->rx, b.data, REG_EXTENDED | REG_NOSUB)) {
		err = perr_set(e, (size_t)(f + 1 - text.p),
			       "wildcard: not a POSIX ERE", 0);
		goto out;
	}
	buf_reset(&b);
	buf_printf(&b, "%s!%.*s!%s", w->prefix, (int)sc.len, sc.p, w->suffix);
	w->text = buf_steal(&b, NULL);
	w->enum_err = -ENOTSUP;
	if (sc.plain) {
		w->atoms = sc.atoms;
		w->natoms = sc.natoms;
		sc.atoms = NULL;
		w->enum_err = 0;
		w->count = 1;
		for (size_t i = 0; i < w->natoms && !w->enum_err; i++) {
			for (unsigned r = 0; r < w->atoms[i].rep; r++) {
				w->count *= w->atoms[i].nchars;
				if (w->count > IMS_WILDCARD_COUNT_MAX) {
					w->enum_err = -ERANGE;
					break;
				}
			}
		}
	}
	*out = w;
	w = NULL;
out:
	free(sc.atoms);
	buf_close(&b);
	if (w) {
		free(w->prefix);
		free(w->suffix);
		free(w);
	}
	return err;
}

void ims_wildcard_free(struct ims_wildcard *w)
{
	if (!w)
		return;
	regfree(&w->rx);
	free(w->text);
	free(w->prefix);
	free(w->suffix);
	free(w->atoms);
	free(w);
}

const char *ims_wildcard_text(const struct ims_wildcard *w)
{
	return w->text;
}

/* impu normalized into b, NUL-terminated and free of inner NULs. */
static bool match_subject(struct sv impu, struct buf *b)
{
	return !ims_impu_normalize(impu, b) && !memchr(b->data, '\0', b->len);
}

bool ims_wildcard_match(const struct ims_wildcard *w, struct sv impu)
{
	struct buf b;
	bool ok;

	buf_init(&b);
	ok = match_subject(impu, &b) && !regexec(&w->rx, b.data, 0, NULL, 0);
	buf_close(&b);
	return ok;
}

/* ---- sets of ranges ------------------------------------------------- */

struct ims_wcset {
	struct ims_wildcard **w; /* owned */
	size_t *tag;
	size_t n;
};

struct ims_wcset *ims_wcset_new(void)
{
	return xcalloc(1, sizeof(struct ims_wcset));
}

void ims_wcset_free(struct ims_wcset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		ims_wildcard_free(s->w[i]);
	free(s->w);
	free(s->tag);
	free(s);
}

void ims_wcset_add(struct ims_wcset *s, struct ims_wildcard *w, size_t tag)
{
	s->w = xrealloc(s->w, (s->n + 1) * sizeof(*s->w));
	s->tag = xrealloc(s->tag, (s->n + 1) * sizeof(*s->tag));
	s->w[s->n] = w;
	s->tag[s->n++] = tag;
}

int ims_wcset_match(const struct ims_wcset *s, struct sv impu, size_t *tag)
{
	struct buf b;
	int err = -ENOENT;

	buf_init(&b);
	if (!match_subject(impu, &b))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (!regexec(&s->w[i]->rx, b.data, 0, NULL, 0)) {
			*tag = s->tag[i];
			err = 0;
			break;
		}
	}
out:
	buf_close(&b);
	return err;
}

int ims_wildcard_count(const struct ims_wildcard *w, uint64_t *n)
{
	int err = w->enum_err;

	if (!err)
		*n = w->count;
	return err;
}

/* Mixed-radix decomposition of idx, least significant at the last
 * position, so members come out in ascending order. */
int ims_wildcard_nth(const struct ims_wildcard *w, uint64_t idx,
		     struct buf *out)
{
	size_t npos = 0, k;
	unsigned char *pos = NULL;
	int err = w->enum_err;

	if (err)
		goto out;
	if (idx >= w->count) {
		err = -ERANGE;
		goto out;
	}
	for (size_t i = 0; i < w->natoms; i++)
		npos += w->atoms[i].rep;
	pos = xmalloc(npos + 1);
	k = npos;
	for (size_t i = w->natoms; i-- > 0;) {
		const struct atom *a = &w->atoms[i];

		for (unsigned r = 0; r < a->rep; r++) {
			pos[--k] = a->chars[idx % a->nchars];
			idx /= a->nchars;
		}
	}
	buf_puts(out, w->prefix);
	buf_append(out, pos, npos);
	buf_puts(out, w->suffix);
out:
	free(pos);
	return err;
}
