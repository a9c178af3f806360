/*
 * fuzz_scn.c - libFuzzer target for the runner's scenario parser
 * (runner/scn.c, scn_act.c, scn_check.c).
 *
 * The input is the text of a .scn file. What parses is walked the way the
 * runner reports it (node and user lookups, every field and operator
 * printed, AVP names and values) and freed; what fails must say where
 * (the "name:LINE: reason" message, NUL-terminated within SCN_ERR_LEN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "../../runner/scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct scn *s)
{
	char buf[256];
	long v;
	uint32_t code;

	for (size_t i = 0; i < s->nnodes; i++)
		if (!scn_has_node(s, s->nodes[i]))
			abort(); /* a declared node not found */
	for (size_t i = 0; i < s->nusers; i++)
		(void)scn_user_find(s, s->users[i].name);
	(void)scn_user_find(s, "alice");
	for (size_t i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->steps[i];

		(void)scn_kind_name(st->kind);
		(void)scn_proto_name(st->proto);
		(void)scn_proto_trace(st->proto);
		for (size_t k = 0; k < st->nchecks; k++) {
			const struct scn_check *c = &st->checks[k];

			scn_field_print(&c->f, buf, sizeof(buf));
			if (strlen(buf) >= sizeof(buf))
				abort();
			(void)scn_op_name(c->op);
			if (c->f.kind == SCN_F_AVP && c->arg)
				(void)scn_avp_enum_value(c->f.avp, c->arg, &v);
			if (c->f.kind == SCN_F_AVP)
				(void)scn_avp_enum_name(c->f.avp, 1);
			if (c->f.name)
				(void)scn_avp_code(c->f.name, &code);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	char err[SCN_ERR_LEN];
	struct scn *s = NULL;
	int rc;

	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 'x', sizeof(err));
	rc = scn_parse(&s, "fuzz.scn", text, err);
	if (!rc) {
		if (!s)
			abort();
		walk(s);
	} else if (rc != -EINVAL || s || !memchr(err, '\0', sizeof(err)) ||
		   strncmp(err, "fuzz.scn:", 9)) {
		abort(); /* a refusal names the file and line */
	}
	scn_free(s);
	free(text);
	return 0;
}
