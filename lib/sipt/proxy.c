/*
 * proxy.c - helpers for a stateful proxy (RFC 3261 §16): the request
 * checks of §16.3, building the forwarded request (§16.6) and relaying a
 * response upstream (§16.7).
 *
 * Loop detection (§16.3 item 4, §16.6 item 8): our branches are
 * "z9hG4bK" <16 hex loop hash> "." <random>. The hash covers the
 * Request-URI, From tag, To tag, Call-ID, CSeq number, Proxy-Require and
 * Proxy-Authorization of the request as received. §16.6 also lists the
 * topmost Via; we leave it out on purpose: a request that loops back
 * through another hop always arrives with that hop's Via on top, so
 * including it would hide every loop longer than one hop.
 */
#include "sipt/sipt_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOP_HEX 16

static uint64_t fnv(uint64_t h, struct sv v)
{
	for (size_t i = 0; i < v.len; i++) {
		h ^= (unsigned char)v.p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff; /* field separator: "ab"+"c" differs from "a"+"bc" */
	return h * 0x100000001b3ULL;
}

static void loop_hash(const struct sip_msg *m, char out[LOOP_HEX + 1])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char be[8];
	const struct sip_hdr *p;
	char num[16];

	h = fnv(h, m->ruri_str);
	h = fnv(h, m->from_tag);
	h = fnv(h, m->to_tag);
	h = fnv(h, m->call_id);
	snprintf(num, sizeof(num), "%u", m->cseq);
	h = fnv(h, sv_from_cstr(num));
	for (p = sip_hdr_find(m, SIP_HDR_PROXY_REQUIRE); p;
	     p = sip_hdr_next(m, p))
		h = fnv(h, p->value);
	for (p = sip_hdr_find(m, SIP_HDR_PROXY_AUTHORIZATION); p;
	     p = sip_hdr_next(m, p))
		h = fnv(h, p->value);
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)(h >> (56 - 8 * i));
	hex_encode(be, sizeof(be), out);
}

static bool host_is_us(const struct sipt *s, struct sv host)
{
	if (sv_casecmp_cstr(host, s->via_host))
		return true;
	if (s->conf.udp_addr && sv_casecmp_cstr(host, s->conf.udp_addr))
		return true;
	if (s->conf.tcp_addr && sv_casecmp_cstr(host, s->conf.tcp_addr))
		return true;
	for (const char *const *a = s->conf.aliases; a && *a; a++)
		if (sv_casecmp_cstr(host, *a))
			return true;
	return false;
}

static bool port_is_us(const struct sipt *s, uint16_t port)
{
	return port == s->conf.via_port || port == sipt_port(s, SIPT_UDP) ||
	       port == sipt_port(s, SIPT_TCP);
}

bool sipt_uri_is_us(const struct sipt *s, const struct sip_uri *u)
{
	/* A Route without a port names us by host alone (an alias). */
	return host_is_us(s, u->host) && (!u->port || port_is_us(s, u->port));
}

int sipt_proxy_check(struct sipt *s, const struct sip_msg *req, int *status)
{
	struct sip_list_iter it = { 0 };
	char hash[LOOP_HEX + 1];
	struct sip_via v;
	struct sv el;

	*status = 0;
	if (req->max_forwards == 0) {
		*status = 483; /* §16.3 item 3 */
		return -ELOOP;
	}
	loop_hash(req, hash);
	while (sip_list_iter_next(req, SIP_HDR_VIA, &it, &el)) {
		if (sip_via_parse(&v, el, NULL) ||
		    !host_is_us(s, v.host) ||
		    !port_is_us(s, v.port ? v.port : 5060))
			continue;
		/* Ours, same loop part: the very request came back. A
		 * different part is a spiral, which is fine (§16.3 item 4). */
		if (v.branch.len > 7 + LOOP_HEX &&
		    sv_starts_with(v.branch, "z9hG4bK") &&
		    !memcmp(v.branch.p + 7, hash, LOOP_HEX)) {
			*status = 482;
			return -ELOOP;
		}
	}
	return 0;
}

/* ---- header copying with edits ------------------------------------------- */

static bool hdr_is(const struct sip_hdr *h, const char *name)
{
	enum sip_hdr_id id = sip_hdr_id_of(sv_from_cstr(name));

	if (id != SIP_HDR_OTHER)
		return h->id == id;
	return h->id == SIP_HDR_OTHER && sv_casecmp_cstr(h->name, name);
}

struct editor {
	const struct sipt_hdr_edit *ed;
	size_t n;
	bool *done; /* owned: edit i already inserted */
};

static void editor_init(struct editor *e, const struct sipt_hdr_edit *ed,
			size_t n)
{
	e->ed = ed;
	e->n = n;
	e->done = xcalloc(n ? n : 1, sizeof(bool));
}

/* Inserts the edits due before h; returns true if h must be dropped. */
static bool editor_before(struct editor *e, const struct sip_hdr *h,
			  struct buf *out)
{
	bool drop = false;

	for (size_t i = 0; i < e->n; i++) {
		if (!hdr_is(h, e->ed[i].name))
			continue;
		if (e->ed[i].op != SIPT_HDR_TOP)
			drop = true;
		if (e->ed[i].op != SIPT_HDR_REMOVE && !e->done[i]) {
			sip_print_hdr(out, e->ed[i].name, e->ed[i].value);
			e->done[i] = true;
		}
	}
	return drop;
}

/* The edits that found no header of their name go last. */
static void editor_close(struct editor *e, struct buf *out)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ed[i].op != SIPT_HDR_REMOVE && !e->done[i])
			sip_print_hdr(out, e->ed[i].name, e->ed[i].value);
	free(e->done);
}

/* The elements of a header value after its first one. */
static struct sv value_rest(struct sv value)
{
	struct sv rest = value, el;

	if (!sip_list_next(&rest, &el))
		return SV_NULL;
	rest = sv_trim(rest);
	if (rest.len && rest.p[0] == ',') {
		rest.p++;
		rest.len--;
	}
	return sv_trim(rest);
}

static void print_max_forwards(struct buf *out, int n)
{
	buf_append(out, "Max-Forwards: ", 14);
	buf_put_u(out, (unsigned long)n, 1);
	buf_append(out, "\r\n", 2);
}

static bool top_route_is_us(struct sipt *s, const struct sip_hdr *h)
{
	struct sv rest = h->value, el;
	struct sip_addr a;

	return sip_list_next(&rest, &el) && !sip_addr_parse(&a, el, NULL) &&
	       sipt_uri_is_us(s, &a.uri);
}

int sipt_proxy_fwd_print(struct sipt *s, const struct sip_msg *req,
			 const struct sipt_fwd *f, struct buf *out,
			 char branch_out[SIPT_BRANCH_MAX])
{
	const struct sip_hdr *route = sip_hdr_find(req, SIP_HDR_ROUTE);
	struct sv ruri = f->ruri.len ? f->ruri : req->ruri_str;
	char hash[LOOP_HEX + 1], rnd[13];
	struct editor ed;
	bool mf_done = false;
	struct sv rest;

	if (!req->is_request || req->max_forwards == 0)
		return -EINVAL;
	loop_hash(req, hash);
	rng_hex(s->conf.rng ? s->conf.rng : &s->own_rng, rnd, 12);
	snprintf(branch_out, SIPT_BRANCH_MAX, "z9hG4bK%s.%s", hash, rnd);
	buf_putsv(out, req->method_str);
	buf_append(out, " ", 1);
	buf_putsv(out, ruri);
	buf_append(out, " SIP/2.0\r\n", 10);
	/* §16.6 item 8: our Via on top; item 3: Max-Forwards. */
	sipt_via_print(s, out, f->proto, branch_out);
	if (req->max_forwards < 0) {
		sip_print_hdr(out, "Max-Forwards", SV("70"));
		mf_done = true;
	}
	/* §16.4: a top Route naming us is consumed here. */
	if (route && !top_route_is_us(s, route))
		route = NULL;
	editor_init(&ed, f->edits, f->nedits);
	for (size_t i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		if (editor_before(&ed, h, out))
			continue;
		switch (h->id) {
		case SIP_HDR_CONTENT_LENGTH:
			break; /* recomputed by sip_print_end */
		case SIP_HDR_MAX_FORWARDS:
			if (!mf_done)
				print_max_forwards(out, req->max_forwards - 1);
			mf_done = true;
			break;
		case SIP_HDR_ROUTE:
			if (h != route) {
				sip_print_hdr_raw(out, h);
				break;
			}
			rest = value_rest(h->value);
			if (rest.len)
				sip_print_hdr(out, "Route", rest);
			break;
		default:
			sip_print_hdr_raw(out, h);
		}
	}
	editor_close(&ed, out);
	sip_print_end(out, NULL, req->body.p, req->body.len);
	return 0;
}

int sipt_proxy_resp_print(const struct sip_msg *resp,
			  const struct sipt_hdr_edit *edits, size_t nedits,
			  struct buf *out)
{
	const struct sip_hdr *via = sip_hdr_find(resp, SIP_HDR_VIA);
	struct sip_list_iter it = { 0 };
	struct editor ed;
	struct sv el, rest;
	size_t nvia = 0;

	if (resp->is_request)
		return -EINVAL;
	while (sip_list_iter_next(resp, SIP_HDR_VIA, &it, &el))
		nvia++;
	if (nvia < 2)
		return -EBADMSG;
	buf_append(out, "SIP/2.0 ", 8);
	buf_put_u(out, (unsigned long)resp->status, 3);
	buf_append(out, " ", 1);
	buf_putsv(out, resp->reason);
	buf_append(out, "\r\n", 2);
	editor_init(&ed, edits, nedits);
	for (size_t i = 0; i < resp->nhdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		if (editor_before(&ed, h, out))
			continue;
		if (h->id == SIP_HDR_CONTENT_LENGTH)
			continue;
		if (h != via) {
			sip_print_hdr_raw(out, h);
			continue;
		}
		/* §16.7 item 3: the topmost Via value is ours; drop it. */
		rest = value_rest(h->value);
		if (rest.len)
			sip_print_hdr(out, "Via", rest);
	}
	editor_close(&ed, out);
	sip_print_end(out, NULL, resp->body.p, resp->body.len);
	return 0;
}
