/*
 * report.c - what `imstb run` prints per scenario: a header (figure id,
 * title, purpose), one line per step with its verdict and, for a failure,
 * what differed and the message actually seen, the notes, the ladder, and
 * PASS or FAIL.
 */
#include "drive.h"

#include <stdio.h>
#include <string.h>

#define RED  "\033[1;31m"
#define GRN  "\033[32m"
#define BGRN "\033[1;32m"
#define DIM  "\033[2m"
#define BOLD "\033[1m"
#define OFF  "\033[0m"

static const char *c_(bool color, const char *code)
{
	return color ? code : "";
}

void report_header(FILE *out, const struct scn *s, bool color)
{
	fprintf(out, "%s== %s  %s%s\n", c_(color, BOLD), s->figure, s->title,
		c_(color, OFF));
	if (s->purpose)
		fprintf(out, "   %s\n", s->purpose);
	fprintf(out, "   %s%s%s%s%s\n", c_(color, DIM), s->file,
		s->tags ? "  [" : "", s->tags ? s->tags : "",
		s->tags ? "]" : "");
	fprintf(out, "%s", c_(color, OFF));
	fflush(out);
}

/* Detail lines after the first: the message seen, indented. */
static void print_detail(FILE *out, const char *detail, bool color)
{
	const char *nl = strchr(detail, '\n');

	fprintf(out, "%.*s\n", nl ? (int)(nl - detail) : (int)strlen(detail),
		detail);
	while (nl) {
		const char *line = nl + 1;

		nl = strchr(line, '\n');
		fprintf(out, "%s%*s| %.*s%s\n", c_(color, DIM), 10, "",
			nl ? (int)(nl - line) : (int)strlen(line), line,
			c_(color, OFF));
	}
}

static void print_step(FILE *out, const struct scn_step *st,
		       const struct rn_step *v, bool color)
{
	char head[40];

	if (st->kind == SCN_STEP || st->kind == SCN_NEVER)
		snprintf(head, sizeof(head), "%s %s", scn_kind_name(st->kind),
			 st->label);
	else
		snprintf(head, sizeof(head), "%s", scn_kind_name(st->kind));
	fprintf(out, "%-11s %6s -> %-6s %-20s ", head, v->from, v->to, v->what);
	if (v->ok && v->skipped)
		fprintf(out, "%sok (not seen)%s\n", c_(color, GRN),
			c_(color, OFF));
	else if (v->ok && st->kind == SCN_FORBID)
		fprintf(out, "%sok (not seen)%s\n", c_(color, GRN),
			c_(color, OFF));
	else if (v->ok)
		fprintf(out, "%sok%s\n", c_(color, GRN), c_(color, OFF));
	else {
		fprintf(out, "%sFAILED%s: ", c_(color, RED), c_(color, OFF));
		print_detail(out, v->detail ? v->detail : "", color);
	}
}

void report_result(FILE *out, const struct scn *s, const struct rn_run *r,
		   const char *kept, const struct report_opts *o)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nsteps && k < r->nsteps; i++)
		if (s->steps[i].kind != SCN_ALLOW)
			print_step(out, &s->steps[i], &r->steps[k++], o->color);
	if (r->notes) {
		const char *l = r->notes, *nl;

		do {
			nl = strchr(l, '\n');
			fprintf(out, "note: %.*s\n",
				nl ? (int)(nl - l) : (int)strlen(l), l);
			l = nl ? nl + 1 : l;
		} while (nl);
	}
	if (r->error)
		fprintf(out, "%serror%s: %s\n", c_(o->color, RED),
			c_(o->color, OFF), r->error);
	if (kept)
		fprintf(out, "kept: %s (trace.jsonl, one log per node)\n",
			kept);
	if (o->ladder && r->nevents) {
		fputc('\n', out);
		rn_ladder_print(out, r, o->color, o->width);
	}
	fprintf(out, "%s%s%s  %s %s  (%.1f s)\n\n",
		c_(o->color, r->passed ? BGRN : RED),
		r->passed ? "PASS" : "FAIL", c_(o->color, OFF), r->figure,
		r->title, r->t_end - r->t_start);
	fflush(out);
}
