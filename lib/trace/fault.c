/*
 * fault.c - fault rules on the sending path (see trace.h): the scenario
 * runner's `fault NODE drop|delay ...` lines, written to a file the node
 * re-reads on SIGUSR1. The transports (lib/sipt, lib/diam) ask before a
 * message leaves; a dropped one is traced with dir "drop" by the caller.
 */
#include "trace/trace.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_MAX_RULES 32
#define FAULT_MAX_TO    8

struct fault_rule {
	long id;
	bool drop;         /* else delay */
	bool diam;         /* else sip */
	char sel[16];      /* "*", "REGISTER", "200", "4xx", "MAA" */
	long ms;           /* delay */
	char to[FAULT_MAX_TO][64]; /* "ip:port"; none: any destination */
	size_t nto;
	long count;        /* 0: every match */
	long used;         /* matches acted on */
};

struct trace_fault {
	char *path; /* owned */
	unsigned long gen; /* SIGUSR1 count at the last (re)load */
	struct fault_rule rules[FAULT_MAX_RULES];
	size_t n;
};

/* Bumped by the SIGUSR1 handler only: a signal handler can do no more
 * than set a flag (the one mutable global of lib/trace, see trace.h). */
static volatile sig_atomic_t fault_gen;

static void on_usr1(int sig)
{
	(void)sig;
	fault_gen++;
}

/* Diameter command codes by name stem (RFC 6733, TS 29.229). */
static const struct {
	const char *stem;
	unsigned code;
} diam_cmds[] = {
	{ "CE", 257 }, { "DW", 280 }, { "DP", 282 }, { "UA", 300 },
	{ "SA", 301 }, { "LI", 302 }, { "MA", 303 }, { "RT", 304 },
	{ "PP", 305 },
};

static int rule_word(struct fault_rule *r, const char *w)
{
	char *end;

	if (!strncmp(w, "count=", 6)) {
		r->count = strtol(w + 6, &end, 10);
		return *end || r->count < 0 ? -EINVAL : 0;
	}
	if (strncmp(w, "to=", 3))
		return -EINVAL;
	for (const char *p = w + 3; *p && r->nto < FAULT_MAX_TO;) {
		size_t n = strcspn(p, ",");

		snprintf(r->to[r->nto++], sizeof(r->to[0]), "%.*s", (int)n,
			 p);
		p += n + (p[n] == ',');
	}
	return 0;
}

/* "ID drop|delay PROTO SEL [MS] [to=..] [count=N]" */
static int rule_parse(struct fault_rule *r, char *line)
{
	char *w[8], *save = NULL, *end;
	int n = 0, i;

	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	if (n < 4)
		return -EINVAL;
	*r = (struct fault_rule){ .id = strtol(w[0], &end, 10) };
	r->drop = !strcmp(w[1], "drop");
	r->diam = !strcmp(w[2], "diameter");
	if ((!r->drop && strcmp(w[1], "delay")) ||
	    (!r->diam && strcmp(w[2], "sip")))
		return -EINVAL;
	snprintf(r->sel, sizeof(r->sel), "%s", w[3]);
	i = 4;
	if (!r->drop) {
		if (n < 5)
			return -EINVAL;
		r->ms = strtol(w[i++], &end, 10);
		if (*end || r->ms <= 0)
			return -EINVAL;
	}
	for (; i < n; i++)
		if (rule_word(r, w[i]))
			return -EINVAL;
	return 0;
}

/* Re-reads the rules; a rule whose ID was there before keeps its count
 * of messages acted on (a reload for a new rule does not re-arm the
 * `count=1` of an old one). A missing file means no rule. */
static void fault_load(struct trace_fault *f)
{
	struct fault_rule old[FAULT_MAX_RULES];
	size_t nold = f->n;
	char line[1024];
	FILE *fp;

	memcpy(old, f->rules, sizeof(old));
	f->n = 0;
	f->gen = (unsigned long)fault_gen;
	fp = fopen(f->path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp) && f->n < FAULT_MAX_RULES) {
		struct fault_rule *r = &f->rules[f->n];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (rule_parse(r, line)) {
			log_warn("fault: %s: bad rule ignored", f->path);
			continue;
		}
		for (size_t i = 0; i < nold; i++)
			if (old[i].id == r->id)
				r->used = old[i].used;
		f->n++;
	}
	fclose(fp);
	log_info("fault: %zu rule(s) from %s", f->n, f->path);
}

int trace_fault_open(struct trace *t, const char *path)
{
	struct sigaction sa;

	if (!path || !*path)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	t->fault = xcalloc(1, sizeof(*t->fault));
	t->fault->path = xstrdup(path);
	fault_load(t->fault);
	return 0;
}

void trace__fault_free(struct trace *t)
{
	if (!t->fault)
		return;
	free(t->fault->path);
	free(t->fault);
	t->fault = NULL;
}

/* The start line's method, or its status for a response (SIP/2.0 NNN). */
static bool sip_sel_match(const char *sel, const char *p, size_t len)
{
	size_t n = 0;

	if (!strcmp(sel, "*"))
		return true;
	if (len > 12 && !memcmp(p, "SIP/2.0 ", 8)) {
		if (strlen(sel) != 3)
			return false;
		for (int i = 0; i < 3; i++)
			if (sel[i] != p[8 + i] && !(i && sel[i] == 'x'))
				return false;
		return true;
	}
	while (n < len && p[n] != ' ')
		n++;
	return n == strlen(sel) && !memcmp(sel, p, n);
}

static bool diam_sel_match(const char *sel, const unsigned char *p,
			   size_t len)
{
	unsigned code;
	bool req;

	if (!strcmp(sel, "*"))
		return true;
	if (len < 20 || strlen(sel) != 3)
		return false;
	req = p[4] & 0x80;
	code = (unsigned)p[5] << 16 | (unsigned)p[6] << 8 | p[7];
	if (sel[2] != (req ? 'R' : 'A'))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(diam_cmds); i++)
		if (!strncmp(diam_cmds[i].stem, sel, 2))
			return diam_cmds[i].code == code;
	return false;
}

static bool to_match(const struct fault_rule *r, const struct sockaddr *peer)
{
	char a[64];

	if (!r->nto)
		return true;
	trace_addr_str(peer, a, sizeof(a));
	for (size_t i = 0; i < r->nto; i++)
		if (!strcmp(r->to[i], a))
			return true;
	return false;
}

int trace_fault_check(struct trace *t, const char *proto,
		      const struct sockaddr *peer, const void *raw, size_t len)
{
	struct trace_fault *f = t ? t->fault : NULL;
	bool diam;

	if (!f)
		return 0;
	if (f->gen != (unsigned long)fault_gen)
		fault_load(f);
	diam = !strcmp(proto, "diameter");
	for (size_t i = 0; i < f->n; i++) {
		struct fault_rule *r = &f->rules[i];

		if (r->diam != diam || (r->count && r->used >= r->count) ||
		    !to_match(r, peer))
			continue;
		if (diam ? !diam_sel_match(r->sel, raw, len)
			 : !sip_sel_match(r->sel, raw, len))
			continue;
		r->used++;
		log_info("fault %ld: %s %s %s", r->id,
			 r->drop ? "dropped" : "delayed", proto, r->sel);
		return r->drop ? -1 : (int)r->ms;
	}
	return 0;
}
