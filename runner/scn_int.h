/*
 * scn_int.h - what scn.c (document, steps, actions) and scn_check.c (the
 * lines under a step: fields, operators, values) share. Private to them.
 */
#ifndef IMSTB_RUNNER_SCN_INT_H
#define IMSTB_RUNNER_SCN_INT_H

#include "base/base.h"
#include "scn.h"

#define SCN_MAX_TOKS 128 /* a purpose or note line is words too */

/* Makes room for one more element at the end of a heap array. */
#define GROW(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))))

/* One line split into words: "double quoted" words may hold spaces (\"
 * and \\ are their only escapes); `#` at the start of a word begins a
 * comment. */
struct scn_toks {
	int n;
	char *v[SCN_MAX_TOKS];
	bool quoted[SCN_MAX_TOKS];
};

struct scn_parser {
	struct scn *s;
	const char *name;
	int line;
	char *err;   /* SCN_ERR_LEN bytes */
	long cur;    /* index of the open step block, -1 if none */
	char **vars; /* variables captured so far, in file order */
	size_t nvars;
};

/* Writes "name:line: why" into p->err and returns -EINVAL. */
int scn__fail(struct scn_parser *p, const char *fmt, ...)
	PRINTF_LIKE(2, 3);

/* Shared parsing helpers (scn.c). */
int scn__duration(const char *w, long *ms); /* "500ms", "2s", "1m" */
int scn__node_check(struct scn_parser *p, const char *w, bool star);
int scn__node_declared(struct scn_parser *p, const char *node);
bool scn__in_list(const char *w, const char *const *list, size_t n);

/* Action lines (scn_act.c): t->v[0] is the action word. */
int scn__act_client(struct scn_parser *p, struct scn_toks *t,
		    const char *line);
int scn__act_wait(struct scn_parser *p, struct scn_toks *t,
		  const char *line);
int scn__act_fault(struct scn_parser *p, struct scn_toks *t,
		    const char *line);
int scn__act_node(struct scn_parser *p, struct scn_toks *t,
		  const char *line);

/* Parses the words of a check line (t->v[0] is its first word) into a new
 * check of the open step. */
int scn__check_parse(struct scn_parser *p, struct scn_toks *t,
		     const char *text);
/* Is this word the start of a check line? */
bool scn__check_word(const char *w);
void scn__check_free(struct scn_check *c);

#endif
