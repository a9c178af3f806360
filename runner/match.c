/*
 * match.c - from trace lines to one event per message, and from events to
 * the verdict of every step of a scenario (see match.h).
 */
#include "match.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

#define GOT_MAX 160 /* longest value quoted in a failure */

/* ---- events ----------------------------------------------------------- */

static bool addr_eq(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return false;
}

struct namemap {
	struct mt_name *v;
	size_t n;
};

static void map_add(struct namemap *m, const struct sockaddr_storage *a,
		    const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (addr_eq(&m->v[i].addr, a))
			return;
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n].addr = *a;
	snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
	m->n++;
}

static void map_name(const struct namemap *m, const struct sockaddr_storage *a,
		     char out[32])
{
	for (size_t i = 0; i < m->n; i++) {
		if (addr_eq(&m->v[i].addr, a)) {
			snprintf(out, 32, "%s", m->v[i].name);
			return;
		}
	}
	trace_addr_str((const struct sockaddr *)a, out, 32);
}

static bool same_msg(const struct rn_event *a, const struct rn_event *b)
{
	return a->len == b->len && !strcmp(a->proto, b->proto) &&
	       (!a->len || !memcmp(a->raw, b->raw, a->len));
}

/* Can b be a retransmission of a? Only over the same addresses and ports
 * (RFC 3261 §17.1.2.2: the same request again on the same flow); never
 * HTTP, whose identical requests (a second login, the same token
 * introspected twice) each come on a new connection and mean it. */
static bool retrans_ok(const struct rn_event *a, const struct rn_event *b)
{
	return strcmp(a->proto, "http") && addr_eq(&a->src, &b->src) &&
	       addr_eq(&a->dst, &b->dst);
}

/* Time order, trace order among equal times (qsort is not stable). */
static int by_time(const void *pa, const void *pb, void *arg)
{
	const size_t *a = pa, *b = pb;
	const struct rn_event *ev = arg;

	if (ev[*a].t != ev[*b].t)
		return ev[*a].t < ev[*b].t ? -1 : 1;
	return *a < *b ? -1 : *a > *b;
}

static bool traced_node(const struct rn_event *ev, size_t n, const char *nm)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ev[i].node, nm))
			return true;
	return false;
}

static void add_node(struct rn_run *r, const char *name)
{
	for (size_t i = 0; i < r->nnodes; i++)
		if (!strcmp(r->nodes[i], name))
			return;
	r->nodes = xrealloc(r->nodes, (r->nnodes + 1) * sizeof(char *));
	r->nodes[r->nnodes++] = xstrdup(name);
}

void mt_events_build(struct rn_run *r, struct rn_event *ev, size_t n,
		     const struct mt_name *names, size_t nnames)
{
	struct namemap map = { 0 };
	bool *keep = xcalloc(n + 1, sizeof(bool));
	bool *paired = xcalloc(n + 1, sizeof(bool));
	size_t k = 0, *order;

	/* Who is where: the ports the runner assigned, then every local
	 * address a node traced (its ephemeral TCP ports, a client's port). */
	for (size_t i = 0; i < nnames; i++)
		map_add(&map, &names[i].addr, names[i].name);
	for (size_t i = 0; i < n; i++)
		map_add(&map, ev[i].sent ? &ev[i].src : &ev[i].dst, ev[i].node);
	for (size_t i = 0; i < n; i++) {
		keep[i] = true;
		map_name(&map, &ev[i].src, ev[i].from);
		map_name(&map, &ev[i].dst, ev[i].to);
	}
	/* One event per message: a send whose receiver traced it too gives
	 * way to that recv (the earliest unpaired one with the same bytes
	 * and ends). */
	for (size_t i = 0; i < n; i++) {
		if (!ev[i].sent || ev[i].dropped ||
		    !traced_node(ev, n, ev[i].to))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (ev[j].sent || paired[j] ||
			    strcmp(ev[j].node, ev[i].to) ||
			    !addr_eq(&ev[j].src, &ev[i].src) ||
			    !addr_eq(&ev[j].dst, &ev[i].dst) ||
			    ev[j].t < ev[i].t - 1.0 ||
			    !same_msg(&ev[i], &ev[j]))
				continue;
			paired[j] = true;
			keep[i] = false;
			break;
		}
	}
	order = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		if (keep[i])
			order[k++] = i;
		else
			rn_event_close(&ev[i]);
	}
	qsort_r(order, k, sizeof(size_t), by_time, ev);
	r->events = xcalloc(k + 1, sizeof(*r->events));
	for (size_t i = 0; i < k; i++)
		r->events[i] = ev[order[i]];
	r->nevents = k;
	for (size_t i = 0; i < k; i++) {
		for (size_t j = 0; j < i && !r->events[i].retrans; j++)
			r->events[i].retrans =
				!r->events[j].retrans &&
				!r->events[j].dropped &&
				!r->events[i].dropped &&
				!strcmp(r->events[j].from, r->events[i].from) &&
				!strcmp(r->events[j].to, r->events[i].to) &&
				same_msg(&r->events[j], &r->events[i]) &&
				retrans_ok(&r->events[j], &r->events[i]);
		add_node(r, r->events[i].from);
		add_node(r, r->events[i].to);
	}
	free(ev);
	free(order);
	free(keep);
	free(paired);
	free(map.v);
}

/* ---- checks ---------------------------------------------------------------
 */

struct var {
	char *name, *value;
};

struct vars {
	struct var *v;
	size_t n;
};

struct mm {
	struct mt_ctx c;
	struct vars done; /* captured by steps that matched */
	struct vars tent; /* captured by the candidate being tried */
	struct buf val, arg, why;
};

static void vars_set(struct vars *vs, const char *name, const char *value)
{
	for (size_t i = 0; i < vs->n; i++) {
		if (!strcmp(vs->v[i].name, name)) {
			free(vs->v[i].value);
			vs->v[i].value = xstrdup(value);
			return;
		}
	}
	vs->v = xrealloc(vs->v, (vs->n + 1) * sizeof(*vs->v));
	vs->v[vs->n].name = xstrdup(name);
	vs->v[vs->n++].value = xstrdup(value);
}

static void vars_clear(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

static const char *var_get(struct mm *m, const char *name, size_t n)
{
	struct vars *lists[] = { &m->tent, &m->done };

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (strlen(lists[l]->v[i].name) == n &&
			    !strncmp(lists[l]->v[i].name, name, n))
				return lists[l]->v[i].value;
	return NULL;
}

/* arg with each ${V} replaced (regex-escaped when re); -ENOENT naming the
 * variable in out when one was never captured. */
static int expand(struct mm *m, const char *arg, bool re, struct buf *out)
{
	const char *r = arg, *st, *end, *v;

	buf_reset(out);
	buf_puts(out, "");
	while ((st = strstr(r, "${")) != NULL) {
		end = strchr(st, '}');
		buf_append(out, r, (size_t)(st - r));
		v = var_get(m, st + 2, (size_t)(end - st - 2));
		if (!v) {
			buf_reset(out);
			buf_printf(out,
				   "$%.*s was not captured (its step "
				   "failed)",
				   (int)(end - st - 2), st + 2);
			return -ENOENT;
		}
		for (; re && *v; v++) {
			if (strchr("\\^$.|?*+()[]{}", *v))
				buf_puts(out, "\\");
			buf_append(out, v, 1);
		}
		if (!re)
			buf_puts(out, v);
		r = end + 1;
	}
	buf_puts(out, r);
	return 0;
}

static void quote(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	buf_printf(b, "\"%.*s%s\"", (int)(n > GOT_MAX ? GOT_MAX : n), s,
		   n > GOT_MAX ? "..." : "");
}

static bool to_long(const char *s, long *v)
{
	char *end;

	*v = strtol(s, &end, 10);
	return *s && !*end;
}

/* One check on event i: true if it holds; else the reason in m->why. */
static bool check_one(struct mm *m, const struct scn_check *ck, size_t i)
{
	char fname[128];
	regex_t dyn, *re = (regex_t *)&ck->re;
	regmatch_t pm[2];
	bool ok = false, present,
	     isre = ck->op == SCN_OP_RE || ck->op == SCN_OP_NRE;
	long a, b;
	int rc;

	scn_field_print(&ck->f, fname, sizeof(fname));
	buf_reset(&m->why);
	rc = mt_field_get(&m->c, i, &ck->f, &m->val);
	if (rc == -EBADMSG) {
		buf_printf(&m->why, "%s: %s", fname, m->val.data);
		return false;
	}
	present = rc == 0;
	if (ck->arg && expand(m, ck->arg, isre, &m->arg)) {
		buf_printf(&m->why, "%s: %s", fname, m->arg.data);
		return false;
	}
	if (isre && !ck->re_ok) {
		if (regcomp(&dyn, m->arg.data, REG_EXTENDED)) {
			buf_printf(&m->why, "%s: bad regex %s", fname,
				   m->arg.data);
			return false;
		}
		re = &dyn;
	}
	if (isre && present)
		ok = !regexec(re, m->val.data, 2, pm, 0);
	switch (ck->op) {
	case SCN_OP_PRESENT:
		ok = present;
		break;
	case SCN_OP_ABSENT:
		ok = !present;
		break;
	case SCN_OP_EQ:
	case SCN_OP_NE:
		if (ck->f.kind == SCN_F_AVP || ck->f.kind == SCN_F_RESULT) {
			uint32_t code =
				ck->f.kind == SCN_F_RESULT ? 0 : ck->f.avp;

			if (!ck->f.count &&
			    !scn_avp_enum_value(code, m->arg.data, &a)) {
				buf_reset(&m->arg);
				buf_printf(&m->arg, "%ld", a);
			}
		}
		ok = present && !strcmp(m->val.data, m->arg.data);
		ok = ck->op == SCN_OP_EQ ? ok : present && !ok;
		break;
	case SCN_OP_RE:
		break;
	case SCN_OP_NRE:
		ok = !ok;
		break;
	default:
		ok = present && to_long(m->val.data, &a) &&
		     to_long(m->arg.data, &b) &&
		     (ck->op == SCN_OP_LT   ? a < b
		      : ck->op == SCN_OP_LE ? a <= b
		      : ck->op == SCN_OP_GT ? a > b
					    : a >= b);
	}
	if (ok && ck->capture) {
		if (ck->op == SCN_OP_RE) {
			size_t g = re->re_nsub >= 1 && pm[1].rm_so >= 0;

			m->val.data[pm[g].rm_eo] = '\0';
			vars_set(&m->tent, ck->var, m->val.data + pm[g].rm_so);
		} else {
			vars_set(&m->tent, ck->var, m->val.data);
		}
	}
	if (re == &dyn)
		regfree(&dyn);
	if (ok)
		return true;
	if (ck->capture)
		buf_printf(&m->why, "capture %s: %s: ", ck->var, fname);
	else
		buf_printf(&m->why, "%s: expected %s", fname,
			   scn_op_name(ck->op));
	if (ck->capture && present)
		buf_puts(&m->why, "expected ~");
	if (ck->arg && (present || !ck->capture)) {
		buf_puts(&m->why, " ");
		quote(&m->why, m->arg.data);
	}
	buf_puts(&m->why, ck->capture && !present ? "got " : ", got ");
	if (!present) {
		buf_puts(&m->why, "(absent)");
		return false;
	}
	quote(&m->why, m->val.data);
	if ((ck->f.kind == SCN_F_AVP || ck->f.kind == SCN_F_RESULT) &&
	    !ck->f.count && to_long(m->val.data, &a)) {
		const char *nm = scn_avp_enum_name(
			ck->f.kind == SCN_F_RESULT ? 0 : ck->f.avp, a);

		if (nm)
			buf_printf(&m->why, " (%s)", nm);
	}
	return false;
}

static bool checks_hold(struct mm *m, const struct scn_step *st, size_t i)
{
	vars_clear(&m->tent);
	for (size_t k = 0; k < st->nchecks; k++)
		if (!check_one(m, &st->checks[k], i))
			return false;
	return true;
}

static void commit(struct mm *m)
{
	for (size_t i = 0; i < m->tent.n; i++)
		vars_set(&m->done, m->tent.v[i].name, m->tent.v[i].value);
	vars_clear(&m->tent);
}

/* ---- steps ----------------------------------------------------------------
 */

static bool ends_match(const struct scn_step *st, const struct rn_event *e)
{
	return (!strcmp(st->from, "*") || !strcmp(st->from, e->from)) &&
	       (!strcmp(st->to, "*") || !strcmp(st->to, e->to));
}

static bool carries(struct mm *m, const struct scn_step *st, size_t i)
{
	const struct rn_event *e = &m->c.r->events[i];

	return !e->retrans && e->dropped == st->dropped && ends_match(st, e) &&
	       mt_sel_match(&m->c, i, st->proto, st->sel);
}

/* First event in [from, to) that carries st's message and passes its
 * checks, or -1. *cand: the first that carries it (-1 if none), whose
 * first failed check is left in *why. */
static long find(struct mm *m, const struct scn_step *st, size_t from,
		 size_t to, long *cand, struct buf *why)
{
	*cand = -1;
	buf_reset(why);
	for (size_t i = from; i < to; i++) {
		if (!carries(m, st, i))
			continue;
		if (checks_hold(m, st, i))
			return (long)i;
		if (*cand < 0) {
			*cand = (long)i;
			buf_puts(why, m->why.data ? m->why.data : "");
		}
	}
	return -1;
}

static bool allowed(struct mm *m, const struct scn *s, size_t i)
{
	for (size_t k = 0; k < s->nsteps; k++)
		if (s->steps[k].kind == SCN_ALLOW &&
		    carries(m, &s->steps[k], i) &&
		    checks_hold(m, &s->steps[k], i))
			return true;
	return false;
}

static struct rn_step *new_verdict(struct rn_run *r, const struct scn_step *st)
{
	struct rn_step *v;

	r->steps = xrealloc(r->steps, (r->nsteps + 1) * sizeof(*r->steps));
	v = &r->steps[r->nsteps++];
	memset(v, 0, sizeof(*v));
	snprintf(v->label, sizeof(v->label), "%s",
		 st->kind == SCN_REQUIRE  ? "require"
		 : st->kind == SCN_FORBID ? "forbid"
					  : st->label);
	snprintf(v->from, sizeof(v->from), "%s", st->from);
	snprintf(v->to, sizeof(v->to), "%s", st->to);
	snprintf(v->what, sizeof(v->what), "%s", st->what);
	v->event = -1;
	v->ok = true;
	return v;
}

/* Marks v failed with reason `why` and, if ev >= 0, the message seen. */
static void fail(struct mm *m, struct rn_step *v, const struct scn_step *st,
		 const char *why, long ev)
{
	struct buf d;

	buf_init(&d);
	buf_puts(&d, why);
	if (ev >= 0) {
		buf_puts(&d, "\n");
		mt_excerpt(&m->c, (size_t)ev, st, "", &d);
		if (d.data[d.len - 1] == '\n')
			d.data[--d.len] = '\0';
		v->event = (int)ev;
	}
	v->ok = false;
	v->detail = buf_steal(&d, NULL);
}

/* Why a step found nothing at or after `cursor`: out of order, or another
 * message in its place. */
static void not_seen(struct mm *m, struct rn_step *v, const struct scn_step *st,
		     size_t cursor, const char *prev)
{
	struct rn_run *r = m->c.r;
	struct buf d;
	long instead = -1;

	buf_init(&d);
	buf_printf(&d, "no %s from %s to %s", st->what, st->from, st->to);
	if (prev)
		buf_printf(&d, " after step %s", prev);
	for (size_t i = 0; i < cursor && i < r->nevents; i++) {
		if (!r->events[i].step[0] && carries(m, st, i)) {
			buf_printf(&d, "; one came earlier (%s), out of order",
				   r->events[i].summary);
			break;
		}
	}
	for (size_t i = cursor; i < r->nevents && instead < 0; i++)
		if (!r->events[i].retrans && ends_match(st, &r->events[i]) &&
		    !strcmp(r->events[i].proto, scn_proto_trace(st->proto)))
			instead = (long)i;
	if (instead >= 0)
		buf_printf(&d, "; instead: %s%s", r->events[instead].summary,
			   r->events[instead].dropped ? " (dropped)" : "");
	fail(m, v, st, d.data, instead);
	buf_close(&d);
}

struct never {
	size_t verdict; /* index in r->steps */
	size_t scn;	/* index in s->steps */
	size_t start;
};

static void close_nevers(struct mm *m, const struct scn *s, struct never *nv,
			 size_t *nn, size_t end)
{
	struct rn_run *r = m->c.r;
	long cand, idx;

	for (size_t k = 0; k < *nn; k++) {
		const struct scn_step *st = &s->steps[nv[k].scn];
		struct rn_step *v = &r->steps[nv[k].verdict];
		struct buf why;

		buf_init(&why);
		idx = find(m, st, nv[k].start, end, &cand, &why);
		buf_close(&why);
		if (idx < 0) {
			v->skipped = true;
			continue;
		}
		snprintf(r->events[idx].step, sizeof(r->events[idx].step), "%s",
			 st->label);
		fail(m, v, st, "happened, but the figure skips this step", idx);
	}
	*nn = 0;
}

void mt_match(struct rn_run *r, const struct scn *s)
{
	struct mm m = { 0 };
	struct never *nv = xcalloc(s->nsteps + 1, sizeof(*nv));
	size_t nn = 0, cursor = 0;
	const char *prev = NULL;
	long idx, cand;

	mt_ctx_init(&m.c, r);
	buf_init(&m.val);
	buf_init(&m.arg);
	buf_init(&m.why);
	for (size_t k = 0; k < s->nsteps; k++) {
		const struct scn_step *st = &s->steps[k];
		struct rn_step *v;
		struct buf why;

		if (st->kind == SCN_ALLOW)
			continue;
		v = new_verdict(r, st);
		buf_init(&why);
		switch (st->kind) {
		case SCN_STEP:
			idx = find(&m, st, cursor, r->nevents, &cand, &why);
			close_nevers(&m, s, nv, &nn,
				     idx >= 0	 ? (size_t)idx
				     : cand >= 0 ? (size_t)cand
						 : r->nevents);
			if (idx < 0 && cand < 0) {
				not_seen(&m, v, st, cursor, prev);
				break;
			}
			if (idx < 0) {
				fail(&m, v, st, why.data, cand);
				idx = cand;
			} else {
				commit(&m);
				v->event = (int)idx;
			}
			snprintf(r->events[idx].step,
				 sizeof(r->events[idx].step), "%s", st->label);
			cursor = (size_t)idx + 1;
			prev = st->label;
			break;
		case SCN_NEVER:
			nv[nn++] = (struct never){ r->nsteps - 1, k, cursor };
			break;
		case SCN_REQUIRE:
			idx = find(&m, st, 0, r->nevents, &cand, &why);
			if (idx >= 0) {
				commit(&m);
				v->event = (int)idx;
			} else if (cand >= 0) {
				fail(&m, v, st, why.data, cand);
			} else {
				not_seen(&m, v, st, 0, NULL);
			}
			break;
		default: /* SCN_FORBID */
			for (size_t i = 0; i < r->nevents; i++) {
				if (!carries(&m, st, i) ||
				    !checks_hold(&m, st, i) ||
				    allowed(&m, s, i))
					continue;
				r->events[i].forbidden = true;
				if (v->ok)
					fail(&m, v, st, "seen, but forbidden",
					     (long)i);
			}
			break;
		}
		buf_close(&why);
	}
	close_nevers(&m, s, nv, &nn, r->nevents);
	r->passed = true;
	for (size_t k = 0; k < r->nsteps; k++)
		r->passed &= r->steps[k].ok;
	vars_clear(&m.done);
	vars_clear(&m.tent);
	buf_close(&m.val);
	buf_close(&m.arg);
	buf_close(&m.why);
	mt_ctx_close(&m.c);
	free(nv);
}
