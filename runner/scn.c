/*
 * scn.c - scenario file parser: the document keywords, the steps and the
 * actions (the lines under a step are in scn_check.c). The language is
 * specified in scenarios/README.md.
 */
#include "scn_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Node names a scenario may use (STYLE rule 12: one table). Whether the
 * runner can start one is the launcher's business. */
static const char *const node_names[] = {
	"client", "pcscf", "scscf", "hss", "wsf", "wws", "wws-ent", "browser",
};

/* The demo subscribers of hss-sim (README "Demo subscribers"). */
static const struct {
	const char *name, *impu, *impi, *password;
} demo_users[] = {
	{ "alice", "sip:alice@ims.example.com", "alice@ims.example.com",
	  "alice-pass" },
	{ "bob", "sip:bob@ims.example.com", "bob@ims.example.com", "bob-pass" },
};

static const char *const proto_names[SCN_PROTO__COUNT][2] = {
	[SCN_SIP] = { "SIP", "sip" },
	[SCN_DIAM] = { "Diameter", "diameter" },
	[SCN_HTTP] = { "HTTP", "http" },
	[SCN_WS] = { "WS", "ws" },
};

/* Diameter commands a step may name (TS 29.229 §6.1, RFC 6733 §5). */
static const char *const diam_cmds[] = {
	"CER", "CEA", "DWR", "DWA", "DPR", "DPA", "UAR", "UAA", "SAR",
	"SAA", "LIR", "LIA", "MAR", "MAA", "RTR", "RTA", "PPR", "PPA",
};

int scn__fail(struct scn_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, SCN_ERR_LEN, "%s:%d: ", p->name, p->line);

	va_start(ap, fmt);
	if (n > 0 && n < SCN_ERR_LEN)
		vsnprintf(p->err + n, SCN_ERR_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *scn_proto_name(enum scn_proto p)
{
	return p < SCN_PROTO__COUNT ? proto_names[p][0] : "?";
}

const char *scn_proto_trace(enum scn_proto p)
{
	return p < SCN_PROTO__COUNT ? proto_names[p][1] : "?";
}

const char *scn_kind_name(enum scn_step_kind k)
{
	static const char *const names[] = { "step", "never", "require",
					     "allow", "forbid" };

	return k < ARRAY_SIZE(names) ? names[k] : "?";
}

bool scn_has_node(const struct scn *s, const char *node)
{
	for (size_t i = 0; i < s->nnodes; i++)
		if (!strcmp(s->nodes[i], node))
			return true;
	return false;
}

const struct scn_user *scn_user_find(const struct scn *s, const char *name)
{
	for (size_t i = 0; i < s->nusers; i++)
		if (!strcmp(s->users[i].name, name))
			return &s->users[i];
	return NULL;
}

/* ---- words ------------------------------------------------------------- */

static int tokenize(struct scn_parser *p, char *line, struct scn_toks *t)
{
	char *r = line, *w;

	t->n = 0;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '#')
			return 0;
		if (t->n == SCN_MAX_TOKS)
			return scn__fail(p, "too many words on one line");
		t->quoted[t->n] = *r == '"';
		if (*r == '"') {
			w = ++r;
			t->v[t->n] = w;
			while (*r && *r != '"') {
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			if (!*r)
				return scn__fail(p, "unterminated \"quote\"");
			r++;
			if (*r && *r != ' ' && *r != '\t')
				return scn__fail(p, "text right after a "
						    "closing quote");
			*w = '\0';
		} else {
			t->v[t->n] = r;
			while (*r && *r != ' ' && *r != '\t')
				r++;
		}
		t->n++;
		if (*r)
			*r++ = '\0';
	}
}

/* The text after the keyword, trimmed: title, purpose, note, figure. */
static char *rest_of_line(const char *line)
{
	const char *r = line;
	size_t n;

	while (*r == ' ' || *r == '\t')
		r++;
	while (*r && *r != ' ' && *r != '\t')
		r++;
	while (*r == ' ' || *r == '\t')
		r++;
	n = strlen(r);
	while (n && (r[n - 1] == ' ' || r[n - 1] == '\t'))
		n--;
	return sv_dup((struct sv){ r, n });
}

/* "500ms", "5s", "1.5s", "2m", or a plain number of seconds. */
int scn__duration(const char *w, long *ms)
{
	char *end;
	double v = strtod(w, &end), unit;

	if (end == w || !(v >= 0)) /* !(>=): NaN too */
		return -EINVAL;
	if (!strcmp(end, "ms"))
		unit = 1;
	else if (!*end || !strcmp(end, "s"))
		unit = 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		unit = 60000;
	else
		return -EINVAL;
	/* Range first: converting a double beyond long (1e300s, inf) to
	 * long is undefined (found by fuzz_scn). */
	if (v * unit > 24.0 * 3600 * 1000)
		return -ERANGE;
	*ms = (long)(v * unit);
	return 0;
}

int scn__node_check(struct scn_parser *p, const char *w, bool star)
{
	if (star && !strcmp(w, "*"))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(node_names); i++)
		if (!strcmp(node_names[i], w))
			return 0;
	return scn__fail(p,
			 "unknown node '%s' (client, pcscf, scscf, hss, "
			 "wsf, wws, wws-ent, browser%s)",
			 w, star ? " or *" : "");
}

int scn__node_declared(struct scn_parser *p, const char *node)
{
	if (strcmp(node, "*") && !scn_has_node(p->s, node))
		return scn__fail(p, "node '%s' is not in the `nodes` list",
				 node);
	return 0;
}

static void append_text(char **dst, const char *sep, const char *add)
{
	struct buf b;

	buf_init(&b);
	if (*dst) {
		buf_puts(&b, *dst);
		buf_puts(&b, sep);
	}
	buf_puts(&b, add);
	free(*dst);
	*dst = buf_steal(&b, NULL);
}

bool scn__in_list(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w, list[i]))
			return true;
	return false;
}

/* ---- document keywords -------------------------------------------------- */

static int kw_text(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn *s = p->s;
	char *text = rest_of_line(line);
	char **dst = !strcmp(t->v[0], "title")	   ? &s->title
		     : !strcmp(t->v[0], "figure")  ? &s->figure
		     : !strcmp(t->v[0], "purpose") ? &s->purpose
						   : &s->notes;
	int rc = 0;

	if (!*text)
		rc = scn__fail(p, "%s needs a text", t->v[0]);
	else if (*dst && dst != &s->notes)
		rc = scn__fail(p, "second %s", t->v[0]);
	else
		append_text(dst, "\n", text);
	free(text);
	return rc;
}

static int kw_tags(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	UNUSED(line);
	if (t->n < 2)
		return scn__fail(p, "tags needs at least one tag");
	for (int i = 1; i < t->n; i++)
		append_text(&p->s->tags, " ", t->v[i]);
	return 0;
}

static int kw_nodes(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn *s = p->s;

	UNUSED(line);
	if (t->n < 2)
		return scn__fail(p, "nodes needs at least one node");
	for (int i = 1; i < t->n; i++) {
		if (scn__node_check(p, t->v[i], false))
			return -EINVAL;
		if (scn_has_node(s, t->v[i]))
			return scn__fail(p, "node '%s' listed twice", t->v[i]);
		GROW(s->nodes, s->nnodes);
		s->nodes[s->nnodes++] = xstrdup(t->v[i]);
	}
	return 0;
}

static int kw_config(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn *s = p->s;

	UNUSED(line);
	if (t->n < 3)
		return scn__fail(p, "usage: config NODE key=value...");
	if (scn__node_check(p, t->v[1], false) ||
	    scn__node_declared(p, t->v[1]))
		return -EINVAL;
	for (int i = 2; i < t->n; i++) {
		const char *eq = strchr(t->v[i], '=');

		if (!eq || eq == t->v[i])
			return scn__fail(p, "'%s' is not key=value", t->v[i]);
		GROW(s->confs, s->nconfs);
		s->confs[s->nconfs] = (struct scn_conf){ .line = p->line };
		snprintf(s->confs[s->nconfs].node, SCN_NAME_LEN, "%s", t->v[1]);
		s->confs[s->nconfs++].kv = xstrdup(t->v[i]);
	}
	return 0;
}

static int kw_provision(struct scn_parser *p, struct scn_toks *t,
			const char *line)
{
	struct scn *s = p->s;
	struct scn_conf *c;

	UNUSED(line);
	if (t->n < 3)
		return scn__fail(p, "usage: provision NODE ARGS...");
	if (scn__node_check(p, t->v[1], false) ||
	    scn__node_declared(p, t->v[1]))
		return -EINVAL;
	GROW(s->provs, s->nprovs);
	c = &s->provs[s->nprovs++];
	*c = (struct scn_conf){ .line = p->line, .argc = (size_t)t->n - 2 };
	snprintf(c->node, SCN_NAME_LEN, "%s", t->v[1]);
	c->argv = xcalloc(c->argc + 1, sizeof(char *));
	for (size_t i = 0; i < c->argc; i++)
		c->argv[i] = xstrdup(t->v[i + 2]);
	return 0;
}

static int kw_user(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn *s = p->s;
	struct scn_user u = { .name = "" };
	int rc = 0;

	UNUSED(line);
	if (t->n < 2 || strlen(t->v[1]) >= SCN_NAME_LEN)
		return scn__fail(p, "usage: user NAME [impu=URI] [impi=ID] "
				    "[password=PW]");
	if (scn_user_find(s, t->v[1]))
		return scn__fail(p, "user '%s' declared twice", t->v[1]);
	snprintf(u.name, sizeof(u.name), "%s", t->v[1]);
	for (size_t i = 0; i < ARRAY_SIZE(demo_users); i++) {
		if (strcmp(demo_users[i].name, u.name))
			continue;
		u.impu = xstrdup(demo_users[i].impu);
		u.impi = xstrdup(demo_users[i].impi);
		u.password = xstrdup(demo_users[i].password);
	}
	for (int i = 2; i < t->n && !rc; i++) {
		char **dst = !strncmp(t->v[i], "impu=", 5)	 ? &u.impu
			     : !strncmp(t->v[i], "impi=", 5)	 ? &u.impi
			     : !strncmp(t->v[i], "password=", 9) ? &u.password
								 : NULL;
		if (!dst) {
			rc = scn__fail(p,
				       "unknown user setting '%s' (impu=, "
				       "impi=, password=)",
				       t->v[i]);
			break;
		}
		free(*dst);
		*dst = xstrdup(strchr(t->v[i], '=') + 1);
	}
	if (!rc && (!u.impu || !u.impi || !u.password))
		rc = scn__fail(p,
			       "user '%s' is not a demo user (alice, bob): "
			       "give impu=, impi= and password=",
			       u.name);
	if (rc) {
		free(u.impu);
		free(u.impi);
		free(u.password);
		return rc;
	}
	GROW(s->users, s->nusers);
	s->users[s->nusers++] = u;
	return 0;
}

static int kw_timers(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	UNUSED(line);
	if (t->n != 2 ||
	    (strcmp(t->v[1], "fast") && strcmp(t->v[1], "default")))
		return scn__fail(p, "usage: timers fast|default");
	p->s->timers_fast = !strcmp(t->v[1], "fast");
	return 0;
}

static int kw_timeout(struct scn_parser *p, struct scn_toks *t,
		      const char *line)
{
	UNUSED(line);
	if (t->n != 2 || scn__duration(t->v[1], &p->s->timeout_ms) ||
	    !p->s->timeout_ms)
		return scn__fail(p, "usage: timeout DURATION (e.g. 20s)");
	return 0;
}

/* ---- steps -------------------------------------------------------------- */

static bool label_ok(const char *w)
{
	size_t n = strlen(w);

	if (!n || n >= 16 || !isdigit((unsigned char)w[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '-' && w[i] != '.')
			return false;
	return true;
}

static bool all_digits(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)w[i]))
			return false;
	return n > 0;
}

/* The message a step names, after its protocol word. */
static int parse_sel(struct scn_parser *p, struct scn_step *st, char **w, int n)
{
	const char *s0 = n > 0 ? w[0] : "";

	if (n < 1)
		return scn__fail(p, "the message is missing (e.g. SIP "
				    "REGISTER, SIP 401, Diameter MAR)");
	switch (st->proto) {
	case SCN_SIP:
		if (n != 1)
			return scn__fail(p,
					 "one SIP method or status, not "
					 "%d words",
					 n);
		if (strcmp(s0, "*") &&
		    !(strlen(s0) == 3 &&
		      (all_digits(s0, 3) || (isdigit((unsigned char)s0[0]) &&
					     !strcmp(s0 + 1, "xx"))))) {
			for (const char *c = s0; *c; c++)
				if (!isupper((unsigned char)*c) && *c != '-')
					return scn__fail(p,
							 "'%s' is neither "
							 "a SIP method "
							 "(upper case) nor a "
							 "status",
							 s0);
		}
		break;
	case SCN_DIAM:
		if (n != 1 ||
		    (strcmp(s0, "*") &&
		     !scn__in_list(s0, diam_cmds, ARRAY_SIZE(diam_cmds))))
			return scn__fail(p,
					 "unknown Diameter command '%s' "
					 "(MAR, MAA, SAR, SAA, UAR, UAA, LIR, "
					 "LIA, CER, DWR, ... or *)",
					 s0);
		break;
	case SCN_HTTP:
		if (!(n == 1 && (!strcmp(s0, "*") || all_digits(s0, 3))) &&
		    !(n == 2 && w[1][0] == '/'))
			return scn__fail(p, "HTTP wants METHOD /path, a status "
					    "or *");
		break;
	default:
		if (n != 1)
			return scn__fail(p, "WS wants one word (upgrade, text, "
					    "binary, close or *)");
		break;
	}
	for (int i = 0; i < n; i++) {
		size_t used = strlen(st->sel);

		snprintf(st->sel + used, sizeof(st->sel) - used, "%s%s",
			 i ? " " : "", w[i]);
	}
	snprintf(st->what, sizeof(st->what), "%s %s", scn_proto_name(st->proto),
		 st->sel);
	return 0;
}

static int kw_step(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	static const struct {
		const char *word;
		enum scn_step_kind kind;
		bool label;
	} kinds[] = {
		{ "step", SCN_STEP, true },
		{ "never", SCN_NEVER, true },
		{ "require", SCN_REQUIRE, false },
		{ "allow", SCN_ALLOW, false },
		{ "forbid", SCN_FORBID, false },
	};
	struct scn *s = p->s;
	struct scn_step st = { .line = p->line };
	int i = 1, k = 0, pr;

	UNUSED(line);
	while (strcmp(kinds[k].word, t->v[0]))
		k++;
	st.kind = kinds[k].kind;
	if (kinds[k].label) {
		if (t->n < 2 || !label_ok(t->v[1]))
			return scn__fail(p,
					 "%s wants a figure step label "
					 "first (5, 8-9, 2a)",
					 t->v[0]);
		snprintf(st.label, sizeof(st.label), "%s", t->v[1]);
		i = 2;
	}
	if (t->n < i + 4 || strcmp(t->v[i + 1], "->"))
		return scn__fail(p, "usage: %s %sFROM -> TO PROTO MESSAGE",
				 t->v[0], kinds[k].label ? "LABEL " : "");
	if (scn__node_check(p, t->v[i], true) ||
	    scn__node_check(p, t->v[i + 2], true) ||
	    scn__node_declared(p, t->v[i]) ||
	    scn__node_declared(p, t->v[i + 2]))
		return -EINVAL;
	snprintf(st.from, sizeof(st.from), "%s", t->v[i]);
	snprintf(st.to, sizeof(st.to), "%s", t->v[i + 2]);
	for (pr = 0; pr < SCN_PROTO__COUNT; pr++)
		if (!strcasecmp(t->v[i + 3], proto_names[pr][0]))
			break;
	if (pr == SCN_PROTO__COUNT)
		return scn__fail(p,
				 "unknown protocol '%s' (SIP, Diameter, "
				 "HTTP, WS)",
				 t->v[i + 3]);
	st.proto = (enum scn_proto)pr;
	st.dropped = t->n > i + 5 && !strcmp(t->v[t->n - 1], "dropped");
	if (parse_sel(p, &st, t->v + i + 4, t->n - i - 4 - st.dropped))
		return -EINVAL;
	if (st.dropped) {
		size_t wl = strlen(st.what);

		snprintf(st.what + wl, sizeof(st.what) - wl, " dropped");
	}
	GROW(s->steps, s->nsteps);
	s->steps[s->nsteps] = st;
	p->cur = (long)s->nsteps++;
	return 0;
}

/* ---- the document ------------------------------------------------------- */

typedef int(kw_fn)(struct scn_parser *p, struct scn_toks *t, const char *line);

static const struct {
	const char *word;
	kw_fn *fn;
	bool ends_block; /* closes an open step block */
} keywords[] = {
	{ "title", kw_text, true },	   { "figure", kw_text, true },
	{ "purpose", kw_text, true },	   { "note", kw_text, true },
	{ "tags", kw_tags, true },	   { "nodes", kw_nodes, true },
	{ "config", kw_config, true },	   { "provision", kw_provision, true },
	{ "user", kw_user, true },	   { "timers", kw_timers, true },
	{ "timeout", kw_timeout, true },   { "client", scn__act_client, true },
	{ "wait", scn__act_wait, true },   { "stop", scn__act_node, true },
	{ "resume", scn__act_node, true }, { "kill", scn__act_node, true },
	{ "start", scn__act_node, true },  { "restart", scn__act_node, true },
	{ "crash", scn__act_node, true },  { "fault", scn__act_fault, true },
	{ "step", kw_step, true },	   { "never", kw_step, true },
	{ "require", kw_step, true },	   { "allow", kw_step, true },
	{ "forbid", kw_step, true },
};

static int parse_line(struct scn_parser *p, const char *line)
{
	char *copy = xstrdup(line);
	struct scn_toks t;
	int rc = tokenize(p, copy, &t);

	if (rc || !t.n)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++) {
		if (strcmp(keywords[i].word, t.v[0]) || t.quoted[0])
			continue;
		if (keywords[i].ends_block)
			p->cur = -1;
		rc = keywords[i].fn(p, &t, line);
		goto out;
	}
	if (scn__check_word(t.v[0])) {
		if (p->cur < 0)
			rc = scn__fail(p,
				       "'%s' checks a message: put it under "
				       "a step, require or forbid line",
				       t.v[0]);
		else
			rc = scn__check_parse(p, &t, line);
		goto out;
	}
	rc = scn__fail(p, "unknown keyword '%s'", t.v[0]);
out:
	free(copy);
	return rc;
}

static int finish(struct scn_parser *p)
{
	struct scn *s = p->s;
	bool any = false;

	p->line = 1;
	if (!s->title)
		return scn__fail(p, "no title");
	if (!s->figure)
		return scn__fail(p, "no figure (the figure id as printed, e.g. "
				    "TS 24.228 5.2.2.3)");
	if (!s->nnodes)
		return scn__fail(p, "no nodes");
	for (size_t i = 0; i < s->nsteps; i++)
		any |= s->steps[i].kind == SCN_STEP;
	if (!any)
		return scn__fail(p, "no step: a scenario checks at least one "
				    "numbered step");
	for (size_t i = 0; i < s->nacts; i++) {
		bool found = false;

		for (size_t k = 0; k < s->nsteps; k++)
			found |= s->steps[k].kind == SCN_STEP &&
				 !strcmp(s->steps[k].label, s->acts[i].verb);
		p->line = s->acts[i].line;
		if (s->acts[i].kind == SCN_ACT_WAIT_STEP && !found)
			return scn__fail(p, "wait step %s: no `step %s` line",
					 s->acts[i].verb, s->acts[i].verb);
	}
	return 0;
}

int scn_parse(struct scn **out, const char *name, const char *text,
	      char err[SCN_ERR_LEN])
{
	struct scn *s = xcalloc(1, sizeof(*s));
	struct scn_parser p = { .s = s, .name = name, .err = err, .cur = -1 };
	const char *l = text;
	int rc = 0;

	err[0] = '\0';
	s->file = xstrdup(name);
	while (*l && !rc) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l), n = len;
		char *line;

		if (n && l[n - 1] == '\r')
			n--;
		line = sv_dup((struct sv){ l, n });
		p.line++;
		if (memchr(l, '\0', n))
			rc = scn__fail(&p, "NUL byte");
		else
			rc = parse_line(&p, line);
		free(line);
		/* past the whole line: a last line ending in a lone CR
		 * (no LF) must not be read again forever (tests/fuzz) */
		l = nl ? nl + 1 : l + len;
	}
	if (!rc)
		rc = finish(&p);
	for (size_t i = 0; i < p.nvars; i++)
		free(p.vars[i]);
	free(p.vars);
	if (rc) {
		scn_free(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

int scn_load(struct scn **out, const char *path, char err[SCN_ERR_LEN])
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		snprintf(err, SCN_ERR_LEN, "%s: %s", path, strerror(-rc));
		return rc;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	rc = scn_parse(out, path, b.len ? b.data : "", err);
	buf_close(&b);
	return rc;
}

void scn_free(struct scn *s)
{
	if (!s)
		return;
	free(s->file);
	free(s->title);
	free(s->figure);
	free(s->purpose);
	free(s->notes);
	free(s->tags);
	for (size_t i = 0; i < s->nnodes; i++)
		free(s->nodes[i]);
	free(s->nodes);
	for (size_t i = 0; i < s->nconfs; i++)
		free(s->confs[i].kv);
	free(s->confs);
	for (size_t i = 0; i < s->nprovs; i++) {
		for (size_t j = 0; j < s->provs[i].argc; j++)
			free(s->provs[i].argv[j]);
		free(s->provs[i].argv);
	}
	free(s->provs);
	for (size_t i = 0; i < s->nusers; i++) {
		free(s->users[i].impu);
		free(s->users[i].impi);
		free(s->users[i].password);
	}
	free(s->users);
	for (size_t i = 0; i < s->nacts; i++) {
		free(s->acts[i].text);
		for (size_t j = 0; j < s->acts[i].nkv; j++)
			free(s->acts[i].kv[j]);
		free(s->acts[i].kv);
	}
	free(s->acts);
	for (size_t i = 0; i < s->nsteps; i++) {
		for (size_t j = 0; j < s->steps[i].nchecks; j++)
			scn__check_free(&s->steps[i].checks[j]);
		free(s->steps[i].checks);
	}
	free(s->steps);
	free(s);
}
