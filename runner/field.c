/*
 * field.c - what a check reads from a traced message: SIP through lib/sip
 * (headers by name with their compact forms, list elements, parameters,
 * URIs), Diameter through lib/diam (AVPs by dictionary name, found at any
 * depth of Grouped AVPs), HTTP by its start line and header lines.
 */
#include "match.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "diam/diam.h"
#include "sip/sip.h"

#define SHOW_MAX 200 /* longest value shown in an excerpt */

struct mt_dec {
	int state; /* 0 not tried, 1 decoded, -1 failed */
	char *buf; /* owned copy of the raw bytes (SIP parsing folds) */
	struct sip_msg *sip; /* owned */
	struct diam_msg dm;
	char why[96];
};

void mt_ctx_init(struct mt_ctx *c, struct rn_run *r)
{
	c->r = r;
	c->dec = xcalloc(r->nevents + 1, sizeof(*c->dec));
}

void mt_ctx_close(struct mt_ctx *c)
{
	for (size_t i = 0; i < c->r->nevents; i++) {
		free(c->dec[i].buf);
		free(c->dec[i].sip);
	}
	free(c->dec);
	c->dec = NULL;
}

static bool is_proto(const struct rn_event *e, enum scn_proto p)
{
	return !strcmp(e->proto, scn_proto_trace(p));
}

static struct mt_dec *decode(struct mt_ctx *c, size_t i)
{
	struct mt_dec *d = &c->dec[i];
	const struct rn_event *e = &c->r->events[i];
	struct perr pe = { 0 };
	struct diam_err de = { 0 };

	if (d->state)
		return d;
	d->state = -1;
	d->buf = xmalloc(e->len + 1);
	if (e->len)
		memcpy(d->buf, e->raw, e->len);
	d->buf[e->len] = '\0';
	if (is_proto(e, SCN_SIP)) {
		d->sip = xcalloc(1, sizeof(*d->sip));
		if (sip_msg_parse(d->sip, d->buf, e->len, false, &pe) == 0)
			d->state = 1;
		else
			snprintf(d->why, sizeof(d->why),
				 "not valid SIP: %s at byte %zu",
				 pe.why ? pe.why : "?", pe.offset);
	} else if (is_proto(e, SCN_DIAM)) {
		if (diam_msg_parse(&d->dm, d->buf, e->len, &de) == 0)
			d->state = 1;
		else
			snprintf(d->why, sizeof(d->why),
				 "not valid Diameter: %s",
				 de.pe.why ? de.pe.why : "?");
	} else {
		d->state = 1; /* HTTP, WS: read as text */
	}
	return d;
}

static struct sv first_line(const struct rn_event *e)
{
	struct sv all = { (const char *)e->raw, e->len }, l;

	sv_split(all, '\n', &l);
	return sv_trim(l);
}

static long sv_long(struct sv s)
{
	uint64_t v = 0;

	return sv_to_u64(sv_trim(s), 1000000000, &v) ? -1 : (long)v;
}

/* ---- selector ---------------------------------------------------------- */

static bool ws_http_sel(struct mt_ctx *c, size_t i, const char *sel);

static bool status_sel(int status, const char *sel)
{
	if (!strcmp(sel, "*"))
		return true;
	if (!strcmp(sel + 1, "xx"))
		return status / 100 == sel[0] - '0';
	return status == sv_long(sv_from_cstr(sel));
}

static bool http_sel(const struct rn_event *e, const char *sel)
{
	struct sv l = first_line(e), w1, w2, rest, sw1;

	rest = sv_split(l, ' ', &w1);
	sv_split(rest, ' ', &w2);
	if (sv_starts_with(w1, "HTTP/"))
		return status_sel((int)sv_long(w2), sel);
	rest = sv_split(sv_from_cstr(sel), ' ', &sw1);
	sv_split(w2, '?', &w2);
	return sv_eq(w1, sw1) && sv_eq(w2, rest);
}

bool mt_sel_match(struct mt_ctx *c, size_t i, enum scn_proto proto,
		  const char *sel)
{
	const struct rn_event *e = &c->r->events[i];
	struct mt_dec *d;

	if (proto == SCN_WS &&
	    (!strcmp(sel, "upgrade") || !strcmp(sel, "101")))
		return ws_http_sel(c, i, sel);
	if (!is_proto(e, proto))
		return false;
	if (!strcmp(sel, "*"))
		return true;
	if (proto == SCN_HTTP)
		return http_sel(e, sel);
	if (proto == SCN_WS)
		return e->summary && !strncasecmp(e->summary, sel, strlen(sel));
	d = decode(c, i);
	if (d->state < 0)
		return false;
	if (proto == SCN_DIAM)
		return !strcmp(
			diam_cmd_name(d->dm.cmd, d->dm.flags & DIAM_FLAG_R),
			sel);
	if (d->sip->is_request)
		return sv_eq_cstr(d->sip->method_str, sel);
	return status_sel(d->sip->status, sel);
}

/* ---- headers ------------------------------------------------------------ */

/* Headers whose value is one thing even with commas inside (credentials,
 * challenges, free text): not split into list elements. */
static bool hdr_single(enum sip_hdr_id id)
{
	switch (id) {
	case SIP_HDR_AUTHORIZATION:
	case SIP_HDR_PROXY_AUTHORIZATION:
	case SIP_HDR_WWW_AUTHENTICATE:
	case SIP_HDR_PROXY_AUTHENTICATE:
	case SIP_HDR_AUTHENTICATION_INFO:
	case SIP_HDR_USER_AGENT:
	case SIP_HDR_SERVER:
	case SIP_HDR_CALL_ID:
	case SIP_HDR_CSEQ:
	case SIP_HDR_FROM:
	case SIP_HDR_TO:
	case SIP_HDR_CONTENT_TYPE:
	case SIP_HDR_CONTENT_LENGTH:
	case SIP_HDR_MAX_FORWARDS:
	case SIP_HDR_EXPIRES:
	case SIP_HDR_MIN_EXPIRES:
	case SIP_HDR_P_CHARGING_VECTOR:
		return true;
	default:
		return false;
	}
}

/* The lines of one header, by name (full or compact): a SIP message
 * through lib/sip, HTTP by scanning its head. */
struct hdr_it {
	const struct sip_msg *m; /* NULL for HTTP */
	enum sip_hdr_id id;
	const char *name;
	size_t pos;
	struct sv rest; /* HTTP: what is left of the head */
};

static void hdr_it_init(struct hdr_it *it, struct mt_ctx *c, size_t i,
			const char *name)
{
	const struct rn_event *e = &c->r->events[i];
	struct sv all = { (const char *)e->raw, e->len }, l;

	*it = (struct hdr_it){ .name = name };
	if (is_proto(e, SCN_SIP)) {
		it->m = decode(c, i)->sip;
		it->id = sip_hdr_id_of(sv_from_cstr(name));
	} else {
		it->rest = sv_split(all, '\n', &l);
	}
}

static bool hdr_it_next(struct hdr_it *it, struct sv *value)
{
	struct sv l, name;

	if (it->m) {
		while (it->pos < it->m->nhdrs) {
			const struct sip_hdr *h = &it->m->hdrs[it->pos++];

			if (it->id != SIP_HDR_OTHER
				    ? h->id == it->id
				    : sv_casecmp_cstr(h->name, it->name)) {
				*value = h->value;
				return true;
			}
		}
		return false;
	}
	while (it->rest.len) {
		it->rest = sv_split(it->rest, '\n', &l);
		l = sv_trim(l);
		if (!l.len)
			break;
		*value = sv_trim(sv_split(l, ':', &name));
		if (sv_casecmp_cstr(sv_trim(name), it->name))
			return true;
	}
	it->rest = SV_NULL;
	return false;
}

/* `WS upgrade` and `WS 101` name the HTTP side of a WebSocket (RFC 6455
 * §4): the GET with Upgrade: websocket, and its 101. */
static bool ws_http_sel(struct mt_ctx *c, size_t i, const char *sel)
{
	const struct rn_event *e = &c->r->events[i];
	struct sv l = first_line(e), w1, w2, v;
	struct hdr_it it;

	if (!is_proto(e, SCN_HTTP))
		return false;
	sv_split(sv_split(l, ' ', &w1), ' ', &w2);
	if (!strcmp(sel, "101"))
		return sv_starts_with(w1, "HTTP/") && sv_eq_cstr(w2, "101");
	if (!sv_eq_cstr(w1, "GET"))
		return false;
	hdr_it_init(&it, c, i, "Upgrade");
	while (hdr_it_next(&it, &v))
		if (sv_casecmp_cstr(sv_trim(v), "websocket"))
			return true;
	return false;
}

/* The idx-th (1-based) element of the header across all its lines; or,
 * with idx 0, how many there are (returned in *count). */
static int hdr_elem(struct mt_ctx *c, size_t i, const char *name, unsigned idx,
		    struct sv *out, unsigned *count)
{
	struct hdr_it it;
	struct sv v, rest, el;
	unsigned n = 0;
	bool single;

	hdr_it_init(&it, c, i, name);
	single = !it.m || hdr_single(it.id);
	while (hdr_it_next(&it, &v)) {
		if (single) {
			if (++n == idx) {
				*out = v;
				return 0;
			}
			continue;
		}
		rest = v;
		while (sip_list_next(&rest, &el)) {
			if (++n == idx) {
				*out = el;
				return 0;
			}
		}
	}
	if (count)
		*count = n;
	return -ENOENT;
}

/* A parameter of a header element: pieces split at ',' and ';' outside
 * quotes and <>, each `name=value` or a flag; a leading word before the
 * name (an auth scheme, a Via sent-protocol) is skipped. */
static int param_get(struct sv el, const char *name, struct sv *val)
{
	size_t i = 0, start = 0;
	bool q = false;
	int angle = 0;

	for (i = 0; i <= el.len; i++) {
		char ch = i < el.len ? el.p[i] : ',';
		struct sv piece, k, v;
		const char *sp;

		if (ch == '"' && (i == 0 || el.p[i - 1] != '\\'))
			q = !q;
		if (q)
			continue;
		angle += ch == '<' ? 1 : ch == '>' ? -1 : 0;
		if (angle > 0 || (ch != ',' && ch != ';'))
			continue;
		piece = sv_trim((struct sv){ el.p + start, i - start });
		start = i + 1;
		v = sv_split(piece, '=', &k);
		if (k.len == piece.len)
			v = SV_NULL; /* a flag */
		k = sv_trim(k);
		for (sp = k.p + k.len;
		     sp > k.p && sp[-1] != ' ' && sp[-1] != '\t'; sp--)
			;
		k = (struct sv){ sp, (size_t)(k.p + k.len - sp) };
		if (!k.len || !sv_casecmp_cstr(k, name))
			continue;
		v = sv_trim(v);
		if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
			v = (struct sv){ v.p + 1, v.len - 2 };
		*val = v;
		return 0;
	}
	return -ENOENT;
}

/* ---- Diameter ----------------------------------------------------------- */

/* Depth-first search for the want-th (1-based) AVP with this code; with
 * want 0 it only counts them in *seen. */
static int avp_find(const struct diam_msg *m, struct diam_iter *it,
		    uint32_t code, unsigned want, unsigned *seen,
		    struct diam_avp *out, int depth)
{
	struct diam_avp a;

	while (diam_iter_next(it, &a)) {
		const struct diam_avp_def *d =
			diam_avp_def_find(a.code, a.vendor);
		struct diam_iter sub;

		if (a.code == code && ++*seen == want) {
			*out = a;
			return 0;
		}
		if (d && d->type == DIAM_TYPE_GROUPED &&
		    depth < DIAM_MAX_DEPTH) {
			diam_iter_group(&sub, &a, m);
			if (!avp_find(m, &sub, code, want, seen, out,
				      depth + 1))
				return 0;
		}
	}
	return -ENOENT;
}

static bool printable(struct sv s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!isprint((unsigned char)s.p[i]) && s.p[i] != '\t' &&
		    s.p[i] != '\r' && s.p[i] != '\n')
			return false;
	return true;
}

static void avp_render(const struct diam_msg *m, const struct diam_avp *a,
		       struct buf *out)
{
	const struct diam_avp_def *d = diam_avp_def_find(a->code, a->vendor);
	struct sockaddr_storage ss;
	struct diam_iter it;
	struct diam_avp ch;
	char ip[64];
	uint32_t u;
	int32_t s;
	uint64_t u64;

	switch (d ? d->type : DIAM_TYPE_OCTETS) {
	case DIAM_TYPE_U32:
	case DIAM_TYPE_TIME:
		if (!diam_avp_u32(a, &u))
			buf_printf(out, "%u", u);
		return;
	case DIAM_TYPE_I32:
	case DIAM_TYPE_ENUM:
		if (!diam_avp_i32(a, &s))
			buf_printf(out, "%d", s);
		return;
	case DIAM_TYPE_U64:
		if (!diam_avp_u64(a, &u64))
			buf_printf(out, "%llu", (unsigned long long)u64);
		return;
	case DIAM_TYPE_ADDR:
		if (!diam_avp_addr(a, &ss)) {
			inet_ntop(
				ss.ss_family,
				ss.ss_family == AF_INET
					? (void *)&((struct sockaddr_in *)&ss)
						  ->sin_addr
					: (void *)&((struct sockaddr_in6 *)&ss)
						  ->sin6_addr,
				ip, sizeof(ip));
			buf_puts(out, ip);
		}
		return;
	case DIAM_TYPE_GROUPED:
		/* The names of its children: `avp X ~ Digest-HA1` works. */
		diam_iter_group(&it, a, m);
		buf_puts(out, "{");
		while (diam_iter_next(&it, &ch))
			buf_printf(out, "%s%s",
				   out->data[out->len - 1] == '{' ? "" : ", ",
				   diam_avp_name(ch.code, ch.vendor));
		buf_puts(out, "}");
		return;
	default:
		if (printable(a->data)) {
			buf_putsv(out, a->data);
		} else {
			char *hex = xmalloc(2 * a->data.len + 1);

			hex_encode(a->data.p, a->data.len, hex);
			buf_printf(out, "0x%s", hex);
			free(hex);
		}
	}
}

static int diam_field(struct mt_ctx *c, size_t i, const struct scn_field *f,
		      struct buf *out)
{
	const struct diam_msg *m = &decode(c, i)->dm;
	struct diam_iter it;
	struct diam_avp a;
	unsigned seen = 0;
	uint32_t rc, vendor;
	bool exp;

	switch (f->kind) {
	case SCN_F_CMD:
		buf_puts(out, diam_cmd_name(m->cmd, m->flags & DIAM_FLAG_R));
		return 0;
	case SCN_F_RESULT:
		if (diam_msg_result(m, &rc, &exp, &vendor))
			return -ENOENT;
		buf_printf(out, "%u", rc);
		return 0;
	case SCN_F_AVP:
		diam_iter_msg(&it, m);
		if (f->count) {
			avp_find(m, &it, f->avp, 0, &seen, &a, 0);
			buf_printf(out, "%u", seen);
			return 0;
		}
		if (avp_find(m, &it, f->avp, f->idx ? f->idx : 1, &seen, &a, 0))
			return -ENOENT;
		avp_render(m, &a, out);
		return 0;
	default:
		return -ENOENT;
	}
}

/* ---- fields ---------------------------------------------------------------
 */

static int sip_field(struct mt_ctx *c, size_t i, const struct scn_field *f,
		     struct buf *out)
{
	const struct rn_event *e = &c->r->events[i];
	const struct sip_msg *m = decode(c, i)->sip;
	bool sip = m != NULL;
	struct sv el, v, l = first_line(e), w1, w2, w3;
	struct hdr_it it;
	struct sip_addr a;
	unsigned n = 0;

	w3 = sv_split(sv_split(l, ' ', &w1), ' ', &w2);
	switch (f->kind) {
	case SCN_F_METHOD:
		if (sip ? !m->is_request : sv_starts_with(w1, "HTTP/"))
			return -ENOENT;
		buf_putsv(out, sip ? m->method_str : w1);
		return 0;
	case SCN_F_STATUS:
		if (sip ? m->is_request : !sv_starts_with(w1, "HTTP/"))
			return -ENOENT;
		if (sip)
			buf_printf(out, "%d", m->status);
		else
			buf_putsv(out, w2);
		return 0;
	case SCN_F_REASON:
		if (sip ? m->is_request : !sv_starts_with(w1, "HTTP/"))
			return -ENOENT;
		buf_putsv(out, sip ? m->reason : w3);
		return 0;
	case SCN_F_RURI:
		if (!m->is_request)
			return -ENOENT;
		buf_putsv(out, m->ruri_str);
		return 0;
	case SCN_F_BODY:
		if (sip) {
			buf_putsv(out, m->body);
		} else {
			const char *b = memmem(e->raw, e->len, "\r\n\r\n", 4);

			if (b)
				buf_append(out, b + 4,
					   e->len - (size_t)(b + 4 -
							     (char *)e->raw));
		}
		return 0;
	case SCN_F_HEADER:
		if (f->count) {
			hdr_elem(c, i, f->name, 0, &el, &n);
			buf_printf(out, "%u", n);
			return 0;
		}
		if (f->idx) {
			if (hdr_elem(c, i, f->name, f->idx, &el, NULL))
				return -ENOENT;
			buf_putsv(out, el);
			return 0;
		}
		/* All lines, joined as RFC 3261 §7.3.1 allows. */
		hdr_it_init(&it, c, i, f->name);
		while (hdr_it_next(&it, &v)) {
			buf_puts(out, n++ ? ", " : "");
			buf_putsv(out, v);
		}
		return n ? 0 : -ENOENT;
	case SCN_F_PARAM:
	case SCN_F_URI:
	case SCN_F_URIPARAM:
		if (hdr_elem(c, i, f->name, f->idx ? f->idx : 1, &el, NULL))
			return -ENOENT;
		if (f->kind == SCN_F_PARAM) {
			if (param_get(el, f->sub, &v))
				return -ENOENT;
			buf_putsv(out, v);
			return 0;
		}
		if (sip_addr_parse(&a, el, NULL) || a.star) {
			buf_puts(out, "not a name-addr or URI");
			return -EBADMSG;
		}
		if (f->kind == SCN_F_URI) {
			buf_putsv(out, a.uri_str);
			return 0;
		}
		if (sip_param_get(a.uri.params, f->sub, &v))
			return -ENOENT;
		buf_putsv(out, v);
		return 0;
	default:
		return -ENOENT;
	}
}

int mt__json_path(json_t *root, const char *path, unsigned idx,
		  struct buf *out)
{
	struct sv rest = sv_from_cstr(path), key;
	json_t *v;
	char *k;

	for (v = root; v && rest.len;) {
		rest = sv_split(rest, '.', &key);
		k = sv_dup(key);
		v = json_object_get(v, k);
		free(k);
	}
	if (v && idx)
		v = json_array_get(v, idx - 1);
	if (v && json_is_string(v)) {
		buf_puts(out, json_string_value(v));
	} else if (v) {
		k = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_puts(out, k ? k : "");
		free(k);
	}
	return v ? 0 : -ENOENT;
}

/* `json a.b[N]`: the member at that dotted path of an HTTP JSON body
 * (RFC 8259). */
static int json_field(const struct rn_event *e, const struct scn_field *f,
		      struct buf *out)
{
	const char *b = memmem(e->raw, e->len, "\r\n\r\n", 4);
	json_error_t jerr;
	json_t *root;
	int rc;

	if (!b) {
		buf_puts(out, "no body");
		return -EBADMSG;
	}
	b += 4;
	root = json_loadb(b, e->len - (size_t)(b - (const char *)e->raw), 0,
			  &jerr);
	if (!root) {
		buf_printf(out, "body is not JSON: %s", jerr.text);
		return -EBADMSG;
	}
	rc = mt__json_path(root, f->name, f->idx, out);
	json_decref(root);
	return rc;
}

int mt_field_get(struct mt_ctx *c, size_t i, const struct scn_field *f,
		 struct buf *out)
{
	const struct rn_event *e = &c->r->events[i];
	struct mt_dec *d = decode(c, i);

	buf_reset(out);
	buf_puts(out, ""); /* out->data is never NULL */
	if (f->kind == SCN_F_TRANSPORT) {
		buf_puts(out, e->transport);
		return 0;
	}
	if (f->kind == SCN_F_START) {
		if (is_proto(e, SCN_DIAM) || is_proto(e, SCN_WS))
			buf_puts(out, e->summary ? e->summary : "");
		else
			buf_putsv(out, first_line(e));
		return 0;
	}
	if (d->state < 0) {
		buf_puts(out, d->why);
		return -EBADMSG;
	}
	if (is_proto(e, SCN_DIAM))
		return diam_field(c, i, f, out);
	if (f->kind == SCN_F_JSON)
		return json_field(e, f, out);
	if (f->kind == SCN_F_JWT)
		return mt__jwt_field(c, i, f, out);
	return sip_field(c, i, f, out);
}

/* ---- excerpt --------------------------------------------------------------
 */

static void show(struct buf *out, const char *indent, const char *name,
		 struct sv v)
{
	buf_printf(out, "%s%s%s%.*s%s\n", indent, name ? name : "",
		   name ? ": " : "", (int)(v.len > SHOW_MAX ? SHOW_MAX : v.len),
		   v.p, v.len > SHOW_MAX ? "..." : "");
}

static bool named_before(const struct scn_step *st, size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (st->checks[j].f.name &&
		    !strcasecmp(st->checks[j].f.name, st->checks[k].f.name))
			return true;
	return false;
}

void mt_excerpt(struct mt_ctx *c, size_t i, const struct scn_step *st,
		const char *indent, struct buf *out)
{
	const struct rn_event *e = &c->r->events[i];
	struct scn_field f = { .kind = SCN_F_START };
	struct buf v;

	buf_init(&v);
	mt_field_get(c, i, &f, &v);
	show(out, indent, NULL, (struct sv){ v.data, v.len });
	for (size_t k = 0; st && k < st->nchecks; k++) {
		const struct scn_check *ck = &st->checks[k];

		if (ck->f.kind == SCN_F_JSON || ck->f.kind == SCN_F_JWT) {
			/* a member of the body or token, not a header */
			char fname[128];
			int rc = mt_field_get(c, i, &ck->f, &v);

			scn_field_print(&ck->f, fname, sizeof(fname));
			show(out, indent, fname,
			     rc == -ENOENT ? SV("(absent)")
					   : (struct sv){ v.data, v.len });
			continue;
		}
		if (!ck->f.name || named_before(st, k))
			continue;
		f = (struct scn_field){ .kind = ck->f.kind == SCN_F_AVP
							? SCN_F_AVP
							: SCN_F_HEADER,
					.name = ck->f.name,
					.avp = ck->f.avp };
		if (!is_proto(e, SCN_DIAM)) {
			/* idx 0: every line of the header, joined */
			if (mt_field_get(c, i, &f, &v))
				show(out, indent, ck->f.name, SV("(absent)"));
			else
				show(out, indent, ck->f.name,
				     (struct sv){ v.data, v.len });
			continue;
		}
		for (f.idx = 1; f.idx < 32; f.idx++) {
			if (mt_field_get(c, i, &f, &v)) {
				if (f.idx == 1)
					show(out, indent, ck->f.name,
					     SV("(absent)"));
				break;
			}
			show(out, indent, ck->f.name,
			     (struct sv){ v.data, v.len });
		}
	}
	buf_close(&v);
}
