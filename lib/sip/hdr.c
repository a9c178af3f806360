/*
 * hdr.c - header lookups, comma-separated lists (RFC 3261 §7.3.1) and
 * ';'-separated parameters (§25.1 generic-param) on a parsed message.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

struct sv sip__trim_wsp(struct sv s)
{
	while (s.len && sip__is_wsp(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && sip__is_wsp(s.p[s.len - 1]))
		s.len--;
	return s;
}

size_t sip__quoted_end(struct sv s, size_t i)
{
	/* quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE */
	for (i++; i < s.len; i++) {
		if (s.p[i] == '\\')
			i++; /* quoted-pair: skip the escaped char */
		else if (s.p[i] == '"')
			return i + 1;
	}
	return 0;
}

/* ---- lookups ------------------------------------------------------------ */

/* Does a received name n (full or compact) denote the header `name`? */
static bool hdr_name_is(struct sv n, const char *name)
{
	const char *full;

	if (sv_casecmp_cstr(n, name))
		return true;
	if (n.len != 1)
		return false;
	full = sip__compact_expand(n.p[0]);
	return full && strcasecmp(full, name) == 0;
}

const struct sip_hdr *sip_hdr_find(const struct sip_msg *m,
				   enum sip_hdr_id id)
{
	if (!m || id <= SIP_HDR_OTHER || id >= SIP_HDR__COUNT ||
	    !m->first[id])
		return NULL;
	return &m->hdrs[m->first[id] - 1];
}

const struct sip_hdr *sip_hdr_next(const struct sip_msg *m,
				   const struct sip_hdr *h)
{
	size_t i;

	if (!m || !h || h < m->hdrs || h >= m->hdrs + m->nhdrs)
		return NULL;
	for (i = (size_t)(h - m->hdrs) + 1; i < m->nhdrs; i++) {
		const struct sip_hdr *n = &m->hdrs[i];

		if (n->id != h->id)
			continue;
		/* Unknown headers: the next one with the same name. */
		if (h->id != SIP_HDR_OTHER || sv_caseeq(n->name, h->name))
			return n;
		if (n->name.len == 1 || h->name.len == 1) {
			struct sv a = n->name.len == 1 ? n->name : h->name;
			struct sv b = n->name.len == 1 ? h->name : n->name;
			const char *full = sip__compact_expand(a.p[0]);

			if (full && sv_casecmp_cstr(b, full))
				return n;
		}
	}
	return NULL;
}

const struct sip_hdr *sip_hdr_find_name(const struct sip_msg *m,
					const char *name)
{
	enum sip_hdr_id id;
	const char *full = name;

	if (!m || !name || !*name)
		return NULL;
	id = sip_hdr_id_of(sv_from_cstr(name));
	if (id != SIP_HDR_OTHER)
		return sip_hdr_find(m, id);
	if (name[1] == '\0' && sip__compact_expand(name[0]))
		full = sip__compact_expand(name[0]);
	for (size_t i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].id == SIP_HDR_OTHER &&
		    hdr_name_is(m->hdrs[i].name, full))
			return &m->hdrs[i];
	return NULL;
}

size_t sip_hdr_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	size_t n = 0;

	for (const struct sip_hdr *h = sip_hdr_find(m, id); h;
	     h = sip_hdr_next(m, h))
		n++;
	return n;
}

/* ---- lists -------------------------------------------------------------- */

bool sip_list_next(struct sv *rest, struct sv *elem)
{
	while (rest->len) {
		bool angle = false;
		size_t i = 0;
		struct sv el;

		/* A comma splits only outside quoted-strings and <...>
		 * (RFC 3261 §7.3.1, §20.10). Most values hold no comma at
		 * all: then the whole rest is the element, found by memchr
		 * without walking the quotes. */
		if (!memchr(rest->p, ',', rest->len))
			i = rest->len;
		while (i < rest->len) {
			char c = rest->p[i];

			if (c == '"') {
				size_t end = sip__quoted_end(*rest, i);

				i = end ? end : rest->len;
				continue;
			}
			if (c == '<')
				angle = true;
			else if (c == '>')
				angle = false;
			else if (c == ',' && !angle)
				break;
			i++;
		}
		el = sv_trim((struct sv){ rest->p, i });
		*rest = sip__from(*rest, i < rest->len ? i + 1 : i);
		if (el.len) {
			*elem = el;
			return true;
		}
	}
	return false;
}

bool sip_list_iter_next(const struct sip_msg *m, enum sip_hdr_id id,
			struct sip_list_iter *it, struct sv *elem)
{
	if (!it->started) {
		it->started = true;
		it->h = sip_hdr_find(m, id);
		if (it->h)
			it->rest = it->h->value;
	}
	while (it->h) {
		if (sip_list_next(&it->rest, elem))
			return true;
		it->h = sip_hdr_next(m, it->h);
		if (it->h)
			it->rest = it->h->value;
	}
	return false;
}

bool sip_msg_has_option(const struct sip_msg *m, enum sip_hdr_id id,
			const char *tag)
{
	struct sip_list_iter it = { 0 };
	struct sv el;

	while (sip_list_iter_next(m, id, &it, &el))
		if (sv_casecmp_cstr(el, tag))
			return true;
	return false;
}

/* ---- parameters --------------------------------------------------------- */

bool sip__param_next(struct sv *rest, struct sv *name, struct sv *value,
		     bool *has_value)
{
	while (rest->len) {
		size_t i = 0;
		struct sv seg, val;
		const char *eq;

		while (i < rest->len && rest->p[i] != ';') {
			if (rest->p[i] == '"') {
				size_t end = sip__quoted_end(*rest, i);

				i = end ? end : rest->len;
				continue;
			}
			i++;
		}
		seg = sv_trim((struct sv){ rest->p, i });
		*rest = sip__from(*rest, i < rest->len ? i + 1 : i);
		if (!seg.len)
			continue;
		/* A name is a token, so the first '=' is the separator. */
		eq = sv_chr(seg, '=');
		if (!eq) {
			*name = seg;
			*value = (struct sv){ seg.p + seg.len, 0 };
			*has_value = false;
			return true;
		}
		*name = sv_trim((struct sv){ seg.p, (size_t)(eq - seg.p) });
		val = sv_trim(sip__from(seg, (size_t)(eq - seg.p) + 1));
		if (val.len >= 2 && val.p[0] == '"' &&
		    val.p[val.len - 1] == '"') {
			val.p++;
			val.len -= 2;
		}
		*value = val;
		*has_value = true;
		return true;
	}
	return false;
}

int sip_param_get(struct sv params, const char *name, struct sv *value)
{
	struct sv n, v;
	bool has;

	if (!name)
		return -EINVAL;
	while (sip__param_next(&params, &n, &v, &has)) {
		if (sv_casecmp_cstr(n, name)) {
			if (value)
				*value = v;
			return 0;
		}
	}
	return -ENOENT;
}

bool sip_param_has(struct sv params, const char *name)
{
	return sip_param_get(params, name, NULL) == 0;
}
