/*
 * scn_act.c - the action lines of a scenario (what the runner does, in
 * file order): client commands, waits, and stopping, resuming, killing
 * and restarting a node. One table per family of words (STYLE rule 12).
 */
#include "scn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forge.h"

static struct scn_action *new_action(struct scn_parser *p,
				     enum scn_act_kind kind, const char *line)
{
	struct scn *s = p->s;
	struct scn_action *a;
	char *tr;
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	tr = xstrdup(line);
	n = strlen(tr);
	while (n && (tr[n - 1] == ' ' || tr[n - 1] == '\t'))
		tr[--n] = '\0';
	GROW(s->acts, s->nacts);
	a = &s->acts[s->nacts++];
	*a = (struct scn_action){ .kind = kind, .line = p->line, .text = tr };
	return a;
}

static const char *const client_verbs[] = { "register", "refresh",
					    "deregister", "web", "token" };
static const char *const client_events[] = { "registered", "refreshed",
					     "deregistered", "failed", "page",
					     "login" };

static int need_client_user(struct scn_parser *p, const char *ua)
{
	if (!scn_has_node(p->s, "client"))
		return scn__fail(p, "client actions need `nodes ... client`");
	if (!scn_user_find(p->s, ua))
		return scn__fail(p, "no user '%s': declare it with `user %s`",
				 ua, ua);
	return 0;
}

/* register's settings: key, allowed values (NULL: any). */
static const struct {
	const char *key;
	const char *const *values;
	const char *what; /* the values, for the error */
} reg_keys[] = {
	{ "transport=", (const char *const[]){ "udp", "tcp", NULL },
	  "udp or tcp" },
	{ "via=", (const char *const[]){ "udp", "tcp", "ws", "wss", NULL },
	  "udp, tcp, ws or wss" },
	{ "expires=", NULL, NULL },
	{ "password=", NULL, NULL },
	{ "url=", NULL, NULL },
	{ "origin=", NULL, NULL },
	{ "credential=", (const char *const[]){ "terminate", "none", NULL },
	  "terminate or none" },
	{ "auth=", (const char *const[]){ "digest", "bearer", NULL },
	  "digest or bearer" },
	{ "token=", NULL, NULL },
};

static int reg_setting(struct scn_parser *p, const char *w)
{
	for (size_t k = 0; k < ARRAY_SIZE(reg_keys); k++) {
		size_t n = strlen(reg_keys[k].key);
		const char *const *v = reg_keys[k].values;

		if (strncmp(w, reg_keys[k].key, n))
			continue;
		for (; v && *v && strcmp(*v, w + n); v++)
			;
		if (v && !*v)
			return scn__fail(p, "%.*s must be %s", (int)n - 1, w,
					 reg_keys[k].what);
		if (!strcmp(reg_keys[k].key, "via=") && !strncmp(w + n, "ws", 2)
		    && !scn_has_node(p->s, "wsf"))
			return scn__fail(p, "%s needs the wsf node", w);
		return 0;
	}
	return scn__fail(p,
			 "unknown client setting '%s' (register takes "
			 "via=udp|tcp|ws|wss, transport=, expires=N, "
			 "password=PW, url=, origin=, credential=terminate, "
			 "auth=digest|bearer, token=)",
			 w);
}

/* A trailing `at=NODE` (the WWS an action talks to: wws, the default, or
 * wws-ent): -1 after the error, else how many words come before it.
 * need: the error when that node is not in the run. */
static int at_words(struct scn_parser *p, struct scn_toks *t,
		    const char *need)
{
	const char *at = t->n > 4 && !strncmp(t->v[t->n - 1], "at=", 3)
				 ? t->v[t->n - 1] + 3
				 : NULL;

	if (at && strcmp(at, "wws") && strcmp(at, "wws-ent")) {
		scn__fail(p, "at=%s: must be wws or wws-ent", at);
		return -1;
	}
	if (!scn_has_node(p->s, at ? at : "wws")) {
		scn__fail(p, need, at ? at : "wws");
		return -1;
	}
	return at ? t->n - 1 : t->n;
}

/* client USER web get [PATH] [at=NODE] | client USER web login [ID
 * PASSWORD] [at=NODE] */
static int web_words(struct scn_parser *p, struct scn_toks *t)
{
	bool get = t->n > 3 && !strcmp(t->v[3], "get");
	bool login = t->n > 3 && !strcmp(t->v[3], "login");
	int n = at_words(p, t, "web actions need the %s node");

	if (n < 0)
		return -EINVAL;
	if ((get && n <= 5 && (n == 4 || t->v[4][0] == '/')) ||
	    (login && (n == 4 || n == 6)))
		return 0;
	return scn__fail(p, "usage: client USER web get [/PATH] [at=NODE] | "
			    "client USER web login [ID PASSWORD] [at=NODE]");
}

/* client USER token forge KIND (runner/forge.h): the runner builds the
 * token; `register ... token=$forged` sends it. */
static int token_words(struct scn_parser *p, struct scn_toks *t)
{
	const struct scn *s = p->s;
	bool other = false;
	int n = at_words(p, t, "token forge needs the %s node (its signing "
			       "key)");

	if (n < 0)
		return -EINVAL;
	if (n != 5 || strcmp(t->v[3], "forge"))
		return scn__fail(p, "usage: client USER token forge KIND "
				    "[at=NODE]");
	if (!forge_kind_known(t->v[4]))
		return scn__fail(p, "unknown token kind '%s' (%s)", t->v[4],
				 forge_kind_list());
	for (size_t i = 0; i < s->nusers; i++)
		other |= strcmp(s->users[i].name, t->v[1]) != 0;
	if (!strcmp(t->v[4], "other-user") && !other)
		return scn__fail(p, "other-user needs another user declared "
				    "first (e.g. `user bob`)");
	return 0;
}

/* token=$forged: a token this user forged on an earlier line. */
static int forged_ref(struct scn_parser *p, const char *ua, const char *w)
{
	const struct scn *s = p->s;

	if (strncmp(w, "token=$", 7))
		return 0;
	if (strcmp(w + 7, "forged"))
		return scn__fail(p, "token=$%s: the only variable here is "
				    "$forged",
				 w + 7);
	for (size_t i = 0; i < s->nacts; i++)
		if (s->acts[i].kind == SCN_ACT_CLIENT &&
		    !strcmp(s->acts[i].verb, "token forge") &&
		    !strcmp(s->acts[i].node, ua))
			return 0;
	return scn__fail(p, "token=$forged: no `client %s token forge KIND` "
			    "before this line",
			 ua);
}

int scn__act_client(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn_action *a;
	bool web, tok;
	int first;

	if (t->n < 3 ||
	    !scn__in_list(t->v[2], client_verbs, ARRAY_SIZE(client_verbs)))
		return scn__fail(p, "usage: client USER register|refresh|"
				    "deregister [key=value...] | client USER "
				    "web get|login ... | client USER token "
				    "forge KIND");
	if (need_client_user(p, t->v[1]))
		return -EINVAL;
	web = !strcmp(t->v[2], "web");
	tok = !strcmp(t->v[2], "token");
	if (web && web_words(p, t))
		return -EINVAL;
	if (tok && token_words(p, t))
		return -EINVAL;
	web |= tok; /* the same shape: two verb words, then words */
	for (int i = 3; !web && i < t->n; i++) {
		if (strcmp(t->v[2], "register"))
			return scn__fail(p, "%s takes no setting", t->v[2]);
		if (reg_setting(p, t->v[i]) ||
		    forged_ref(p, t->v[1], t->v[i]))
			return -EINVAL;
	}
	a = new_action(p, SCN_ACT_CLIENT, line);
	snprintf(a->node, SCN_NAME_LEN, "%s", t->v[1]);
	snprintf(a->verb, sizeof(a->verb), "%s%s%s", t->v[2], web ? " " : "",
		 web ? t->v[3] : "");
	first = web ? 4 : 3;
	a->nkv = (size_t)(t->n - first);
	a->kv = xcalloc(a->nkv + 1, sizeof(char *));
	for (size_t i = 0; i < a->nkv; i++)
		a->kv[i] = xstrdup(t->v[(size_t)first + i]);
	return 0;
}

int scn__act_wait(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn_action *a;
	long ms = 0;
	int status = 0;

	if (t->n >= 3 && t->n <= 4 && !strcmp(t->v[1], "step")) {
		ms = 10000;
		if (t->n == 4 && scn__duration(t->v[3], &ms))
			return scn__fail(p, "bad duration '%s' (500ms, 2s)",
					 t->v[3]);
		if (strlen(t->v[2]) >= sizeof(a->verb))
			return scn__fail(p, "step label too long");
		a = new_action(p, SCN_ACT_WAIT_STEP, line);
		snprintf(a->verb, sizeof(a->verb), "%s", t->v[2]);
		a->ms = ms;
		return 0;
	}
	if (t->n == 2) {
		if (scn__duration(t->v[1], &ms))
			return scn__fail(p, "bad duration '%s' (500ms, 2s)",
					 t->v[1]);
		a = new_action(p, SCN_ACT_SLEEP, line);
		a->ms = ms;
		return 0;
	}
	if (t->n < 4 || strcmp(t->v[1], "client") ||
	    !scn__in_list(t->v[3], client_events, ARRAY_SIZE(client_events)))
		return scn__fail(p, "usage: wait DURATION | wait client USER "
				    "registered|refreshed|deregistered|failed|"
				    "page|login [status=N] [result=R] "
				    "[DURATION] | wait step LABEL [DURATION]");
	if (need_client_user(p, t->v[2]))
		return -EINVAL;
	ms = 10000;
	for (int i = 4; i < t->n; i++) {
		uint64_t v;

		if (!strncmp(t->v[i], "status=", 7)) {
			if (sv_to_u64(sv_from_cstr(t->v[i] + 7), 699, &v) ||
			    v < 100)
				return scn__fail(p, "bad status '%s'",
						 t->v[i] + 7);
			status = (int)v;
		} else if (!strncmp(t->v[i], "result=", 7)) {
			if (!t->v[i][7] || strlen(t->v[i] + 7) >= 32)
				return scn__fail(p, "bad result '%s'",
						 t->v[i] + 7);
			continue;
		} else if (scn__duration(t->v[i], &ms)) {
			return scn__fail(p, "bad duration '%s' (500ms, 2s)",
					 t->v[i]);
		}
	}
	a = new_action(p, SCN_ACT_WAIT_CLIENT, line);
	snprintf(a->node, SCN_NAME_LEN, "%s", t->v[2]);
	snprintf(a->verb, sizeof(a->verb), "%s", t->v[3]);
	a->ms = ms;
	a->status = status;
	for (int i = 4; i < t->n; i++)
		if (!strncmp(t->v[i], "result=", 7))
			snprintf(a->result, sizeof(a->result), "%s",
				 t->v[i] + 7);
	return 0;
}

/* The nodes whose sending path has the fault filter (lib/trace fault.c
 * wired into their lib/sipt and lib/diam). */
static const char *const fault_nodes[] = { "pcscf", "scscf", "hss", "wsf" };
static const char *const diam_cmds[] = {
	"CER", "CEA", "DWR", "DWA", "DPR", "DPA", "UAR", "UAA", "SAR",
	"SAA", "LIR", "LIA", "MAR", "MAA", "RTR", "RTA", "PPR", "PPA",
};

/* A SIP selector: `*`, a method (upper case), a status or a class. */
static bool sip_sel_ok(const char *w)
{
	size_t n = strlen(w);
	bool digits = n == 3 && w[0] >= '1' && w[0] <= '6';

	for (size_t i = 1; digits && i < 3; i++)
		digits = (w[i] >= '0' && w[i] <= '9') ||
			 (w[1] == 'x' && w[2] == 'x');
	if (!strcmp(w, "*") || digits)
		return true;
	for (size_t i = 0; i < n; i++)
		if (w[i] < 'A' || w[i] > 'Z')
			return false;
	return n > 0 && n < 16;
}

/* to=NODE and count=N after the selector (and the delay). */
static int fault_opts(struct scn_parser *p, struct scn_toks *t, int from)
{
	uint64_t v;

	for (int i = from; i < t->n; i++) {
		const char *w = t->v[i];

		if (!strncmp(w, "count=", 6)) {
			if (sv_to_u64(sv_from_cstr(w + 6), 1000000, &v) || !v)
				return scn__fail(p, "bad count '%s'", w + 6);
		} else if (!strncmp(w, "to=", 3)) {
			if (scn__node_check(p, w + 3, false) ||
			    scn__node_declared(p, w + 3))
				return -EINVAL;
		} else {
			return scn__fail(p, "unknown fault setting '%s' "
					    "(to=NODE, count=N)",
					 w);
		}
	}
	return 0;
}

/* fault NODE clear | fault NODE drop PROTO SEL [to=NODE] [count=N] |
 * fault NODE delay PROTO SEL DURATION [to=NODE] [count=N] */
int scn__act_fault(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	struct scn_action *a;
	bool clear = t->n == 3 && !strcmp(t->v[2], "clear");
	bool delay = t->n > 2 && !strcmp(t->v[2], "delay");
	bool diam = t->n > 3 && (!strcmp(t->v[3], "diam") ||
				 !strcmp(t->v[3], "diameter"));
	long ms = 0;
	int opts = delay ? 6 : 5;

	if (!clear && (t->n < opts || (!delay && strcmp(t->v[2], "drop")) ||
		       (!diam && strcmp(t->v[3], "sip"))))
		return scn__fail(p, "usage: fault NODE drop sip|diam MESSAGE "
				    "[to=NODE] [count=N] | fault NODE delay "
				    "sip|diam MESSAGE DURATION [to=NODE] "
				    "[count=N] | fault NODE clear");
	if (scn__node_check(p, t->v[1], false) ||
	    scn__node_declared(p, t->v[1]))
		return -EINVAL;
	if (!scn__in_list(t->v[1], fault_nodes, ARRAY_SIZE(fault_nodes)))
		return scn__fail(p, "fault: %s has no fault filter (pcscf, "
				    "scscf, hss, wsf)",
				 t->v[1]);
	if (!clear && (diam ? strcmp(t->v[4], "*") &&
				      !scn__in_list(t->v[4], diam_cmds,
						    ARRAY_SIZE(diam_cmds))
			    : !sip_sel_ok(t->v[4])))
		return scn__fail(p, "fault: '%s' is not a %s message (%s)",
				 t->v[4], diam ? "Diameter" : "SIP",
				 diam ? "MAR, MAA, CER, DWR, ... or *"
				      : "REGISTER, 200, 4xx or *");
	if (delay && (scn__duration(t->v[5], &ms) || ms <= 0))
		return scn__fail(p, "bad delay '%s' (500ms, 2s)", t->v[5]);
	if (!clear && fault_opts(p, t, opts))
		return -EINVAL;
	a = new_action(p, SCN_ACT_FAULT, line);
	snprintf(a->node, SCN_NAME_LEN, "%s", t->v[1]);
	snprintf(a->verb, sizeof(a->verb), "%s", t->v[2]);
	a->ms = ms;
	a->nkv = clear ? 0 : (size_t)(t->n - 3 - (delay ? 1 : 0));
	a->kv = xcalloc(a->nkv + 1, sizeof(char *));
	for (size_t i = 0, k = 3; i < a->nkv; i++, k++) {
		if (delay && k == 5)
			k++;
		a->kv[i] = xstrdup(i == 0 ? (diam ? "diameter" : "sip")
					  : t->v[k]);
	}
	return 0;
}

int scn__act_node(struct scn_parser *p, struct scn_toks *t, const char *line)
{
	static const struct {
		const char *word;
		enum scn_act_kind kind;
	} kinds[] = {
		{ "stop", SCN_ACT_STOP },	{ "resume", SCN_ACT_RESUME },
		{ "kill", SCN_ACT_KILL },	{ "start", SCN_ACT_START },
		{ "restart", SCN_ACT_RESTART }, { "crash", SCN_ACT_CRASH },
	};
	struct scn_action *a;

	if (t->n != 2)
		return scn__fail(p, "usage: %s NODE", t->v[0]);
	if (scn__node_check(p, t->v[1], false) ||
	    scn__node_declared(p, t->v[1]))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(kinds[i].word, t->v[0]))
			continue;
		a = new_action(p, kinds[i].kind, line);
		snprintf(a->node, SCN_NAME_LEN, "%s", t->v[1]);
	}
	return 0;
}
