/* sv.c - string views. */
#include "base/base.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

struct sv sv_from_cstr(const char *s)
{
	return (struct sv){ s, s ? strlen(s) : 0 };
}

bool sv_eq(struct sv a, struct sv b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool sv_eq_cstr(struct sv a, const char *s)
{
	return sv_eq(a, sv_from_cstr(s));
}

bool sv_caseeq(struct sv a, struct sv b)
{
	return a.len == b.len &&
	       (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

bool sv_casecmp_cstr(struct sv a, const char *s)
{
	return sv_caseeq(a, sv_from_cstr(s));
}

bool sv_starts_with(struct sv a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

bool sv_case_starts_with(struct sv a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.len >= n && strncasecmp(a.p, prefix, n) == 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct sv sv_trim(struct sv a)
{
	while (a.len && is_ws(a.p[0])) {
		a.p++;
		a.len--;
	}
	while (a.len && is_ws(a.p[a.len - 1]))
		a.len--;
	return a;
}

const char *sv_chr(struct sv a, char c)
{
	return a.len ? memchr(a.p, c, a.len) : NULL;
}

struct sv sv_split(struct sv a, char c, struct sv *head)
{
	const char *q = sv_chr(a, c);

	if (!q) {
		*head = a;
		return (struct sv){ a.p + a.len, 0 };
	}
	*head = (struct sv){ a.p, (size_t)(q - a.p) };
	return (struct sv){ q + 1, a.len - (size_t)(q - a.p) - 1 };
}

int sv_to_u64(struct sv a, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (a.len == 0)
		return -EINVAL;
	for (size_t i = 0; i < a.len; i++) {
		unsigned d = (unsigned char)a.p[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

char *sv_dup(struct sv a)
{
	char *s = xmalloc(a.len + 1);

	if (a.len)
		memcpy(s, a.p, a.len);
	s[a.len] = '\0';
	return s;
}

int sv_copy(struct sv a, char *dst, size_t dstsz)
{
	if (a.len + 1 > dstsz)
		return -ENOSPC;
	if (a.len)
		memcpy(dst, a.p, a.len);
	dst[a.len] = '\0';
	return 0;
}
