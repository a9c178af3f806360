/*
 * rebase.c - carries a parsed message over to an edited copy of its bytes.
 *
 * A server transaction stamps received/rport into the top Via of every
 * request (RFC 3261 §18.2.1, RFC 3581 §4) and keeps the stamped copy. Its
 * parse equals the original one but for the edited element, so the views
 * are moved rather than the message parsed a second time: on a proxy that
 * was a third of the SIP work per hop.
 */
#include "sipt/sipt_int.h"

#include <errno.h>
#include <string.h>

struct rebase {
	const char *old; /* src->raw.p */
	size_t old_len;
	char *base;
	const struct sipt__edit *ed;
};

static void sv_move(const struct rebase *r, struct sv *v)
{
	size_t o, end;
	long delta = (long)r->ed->new_end - (long)r->ed->old_end;

	if (!v->p || v->p < r->old || v->p > r->old + r->old_len)
		return; /* not a view into the message (e.g. a constant) */
	o = (size_t)(v->p - r->old);
	end = o + v->len;
	if (end <= r->ed->start) {
		v->p = r->base + o; /* before the edit */
	} else if (o >= r->ed->old_end) {
		v->p = r->base + (long)o + delta; /* after it */
	} else if (o <= r->ed->start && end >= r->ed->old_end) {
		v->p = r->base + o; /* across it: stretches */
		v->len = (size_t)((long)v->len + delta);
	} else {
		v->p = r->base + o; /* inside: the caller re-parses it */
	}
}

static void uri_move(const struct rebase *r, struct sip_uri *u)
{
	sv_move(r, &u->user);
	sv_move(r, &u->password);
	sv_move(r, &u->host);
	sv_move(r, &u->params);
	sv_move(r, &u->headers);
}

static void addr_move(const struct rebase *r, struct sip_addr *a)
{
	sv_move(r, &a->display);
	sv_move(r, &a->uri_str);
	uri_move(r, &a->uri);
	sv_move(r, &a->params);
}

int sipt__msg_rebase(struct sip_msg *dst, const struct sip_msg *src,
		     char *base, const struct sipt__edit *ed)
{
	struct rebase r = { src->raw.p, src->raw.len, base, ed };

	/* hdrs[] past nhdrs is garbage in src too: copy what is used. */
	memcpy(dst, src, offsetof(struct sip_msg, hdrs));
	memcpy(dst->hdrs, src->hdrs, src->nhdrs * sizeof(src->hdrs[0]));
	memcpy(&dst->first, &src->first,
	       sizeof(*dst) - offsetof(struct sip_msg, first));
	sv_move(&r, &dst->method_str);
	sv_move(&r, &dst->ruri_str);
	uri_move(&r, &dst->ruri);
	sv_move(&r, &dst->reason);
	sv_move(&r, &dst->raw);
	sv_move(&r, &dst->body);
	for (size_t i = 0; i < dst->nhdrs; i++) {
		sv_move(&r, &dst->hdrs[i].name);
		sv_move(&r, &dst->hdrs[i].value);
	}
	sv_move(&r, &dst->via.transport);
	sv_move(&r, &dst->via.host);
	sv_move(&r, &dst->via.params);
	sv_move(&r, &dst->via.branch);
	sv_move(&r, &dst->via.received);
	sv_move(&r, &dst->call_id);
	sv_move(&r, &dst->cseq_method);
	sv_move(&r, &dst->from_tag);
	sv_move(&r, &dst->to_tag);
	addr_move(&r, &dst->from);
	addr_move(&r, &dst->to);
	if (ed->new_end == ed->start && ed->old_end == ed->start)
		return 0; /* nothing was edited */
	return sip_via_parse(&dst->via,
			     (struct sv){ base + ed->start,
					  ed->new_end - ed->start },
			     NULL)
		       ? -EBADMSG
		       : 0;
}
