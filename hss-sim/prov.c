/*
 * prov.c - the provisioning commands of hss-sim (see hss.h): each opens
 * the database, does one thing, prints a short readable result and
 * returns the exit status.
 */
#include "hss.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char hss_cli_usage[] =
	"Commands (none: serve):\n"
	"  serve                  run the Cx server (TS 29.229)\n"
	"  subscriber add IMPI PASSWORD [IMPU...]\n"
	"                         new subscriber; its IMPUs form one implicit\n"
	"                         set, the first is the default\n"
	"  subscriber list | subscriber remove IMPI\n"
	"  impu add IMPI IMPU [--barred] [--new-set]\n"
	"                         add to the IMPI's first implicit set\n"
	"                         (--new-set: a set of its own)\n"
	"  impu list | impu remove IMPU\n"
	"  range add IMPI WILDCARD [--barred] [--new-set]\n"
	"                         wildcarded IMPU range (TS 23.003 13.4A),\n"
	"                         e.g. 'sip:+1555![0-9]{4}!@ims.example.com'\n"
	"  range list | range remove WILDCARD\n"
	"  bulk N [PREFIX]        N load-test users numbered from 1: IMPI\n"
	"                         PREFIX%05d@<origin_realm>, IMPU\n"
	"                         sip:PREFIX%05d@<origin_realm>, password\n"
	"                         pass-%05d (PREFIX default: user)\n"
	"Provisioning commands work on the db file, also while hss-sim "
	"serves it,\nand exit 0 when done, 1 when refused (reason on "
	"stderr), 2 on bad usage.";

struct cli {
	const struct hss_conf *conf;
	struct hss_store *st;
	FILE *out, *err;
	const char *what; /* "subscriber add", for messages */
	unsigned flags;   /* HSS_IMPU_BARRED */
	bool new_set;
	bool ranges; /* the list commands: ranges, not IMPUs */
	size_t count;
};

static const char *why(int err)
{
	switch (err) {
	case -EEXIST:
		return "already provisioned";
	case -ENOENT:
		return "not found";
	case -EINVAL:
		return "malformed identity or argument";
	case -EBUSY:
		return "database busy";
	case -EPROTO:
		return "database written by a newer hss-sim";
	default:
		return "database error";
	}
}

/* One-line refusal; returns the exit status 1. */
static int refuse(struct cli *c, const char *subject, int err)
{
	fprintf(c->err, "hss-sim: %s: %s: %s\n", c->what, subject, why(err));
	return 1;
}

/* The set new identities of impi go in: its first one, unless
 * --new-set or it has none (0 = a new set). */
static int64_t first_set(struct cli *c, const char *impi)
{
	struct hss_impu_list l;
	int64_t iset = 0;

	if (c->new_set)
		return 0;
	if (!hss_store_impu_list(c->st, impi, &l) && l.n)
		iset = l.v[0].iset;
	hss_impu_list_close(&l);
	return iset;
}

static const char *state_name(struct cli *c, const char *impu)
{
	static const char *const names[] = { "not-registered", "registered",
					     "unregistered" };
	enum hss_reg_state s;

	if (hss_store_reg_state_get(c->st, impu, &s) ||
	    (unsigned)s >= ARRAY_SIZE(names))
		return "?";
	return names[s];
}

/* ---- subscriber ------------------------------------------------------ */

static int sub_add(struct cli *c, char **a, int n)
{
	int64_t iset = 0;
	int err;

	err = hss_store_sub_add(c->st, a[0], NULL, a[1], HSS_AUTH_DIGEST);
	if (err)
		return refuse(c, a[0], err);
	for (int i = 2; i < n; i++) {
		err = hss_store_impu_add(c->st, a[0], a[i], iset,
					 i == 2 ? HSS_IMPU_DEFAULT : 0,
					 IMS_ID_PUBLIC_USER, &iset);
		if (err) {
			/* all or nothing */
			hss_store_sub_remove(c->st, a[0]);
			return refuse(c, a[i], err);
		}
	}
	fprintf(c->out, "added %s with %d IMPU(s)\n", a[0], n - 2);
	return 0;
}

/* " label=a,b" for the distinct IMPUs (ranges false) or the ranges. */
static void print_ids(struct cli *c, const char *label,
		      const struct hss_impu_list *l, bool ranges)
{
	const char *sep = label;

	for (size_t i = 0; i < l->n; i++) {
		if ((l->v[i].type == IMS_ID_WILDCARDED_IMPU) != ranges)
			continue;
		fprintf(c->out, "%s%s", sep, l->v[i].impu);
		sep = ",";
	}
}

static int sub_print(const struct hss_sub *sub, void *arg)
{
	struct cli *c = arg;
	struct hss_impu_list l;

	fprintf(c->out, "%s realm=%s scscf=%s", sub->impi, sub->realm,
		sub->scscf ? sub->scscf : "-");
	if (!hss_store_impu_list(c->st, sub->impi, &l)) {
		print_ids(c, " impus=", &l, false);
		print_ids(c, " ranges=", &l, true);
	}
	hss_impu_list_close(&l);
	fputc('\n', c->out);
	c->count++;
	return 0;
}

static int sub_list(struct cli *c, char **a, int n)
{
	int err = hss_store_sub_list(c->st, sub_print, c);

	UNUSED(a);
	UNUSED(n);
	if (err)
		return refuse(c, c->conf->db, err);
	fprintf(c->out, "%zu subscriber(s)\n", c->count);
	return 0;
}

static int sub_remove(struct cli *c, char **a, int n)
{
	int err = hss_store_sub_remove(c->st, a[0]);

	UNUSED(n);
	if (err)
		return refuse(c, a[0], err);
	fprintf(c->out, "removed %s\n", a[0]);
	return 0;
}

/* ---- impu / range ---------------------------------------------------- */

static int impu_add(struct cli *c, char **a, int n)
{
	int64_t iset = first_set(c, a[0]);
	unsigned flags = c->flags | (iset ? 0 : HSS_IMPU_DEFAULT);
	int err;

	UNUSED(n);
	err = hss_store_impu_add(c->st, a[0], a[1], iset, flags,
				 IMS_ID_PUBLIC_USER, &iset);
	if (err)
		return refuse(c, a[1], err);
	fprintf(c->out, "added %s to %s (set %lld%s)\n", a[1], a[0],
		(long long)iset, c->flags ? ", barred" : "");
	return 0;
}

static int range_add(struct cli *c, char **a, int n)
{
	int64_t iset = first_set(c, a[0]);
	int err;

	UNUSED(n);
	err = hss_store_wildcard_add(c->st, a[0], a[1], iset, c->flags,
				     &iset);
	if (err)
		return refuse(c, a[1], err);
	fprintf(c->out, "added range %s to %s (set %lld%s)\n", a[1], a[0],
		(long long)iset, c->flags ? ", barred" : "");
	return 0;
}

static int ids_print(const struct hss_sub *sub, void *arg)
{
	struct cli *c = arg;
	struct hss_impu_list l;
	int err;

	err = hss_store_impu_list(c->st, sub->impi, &l);
	for (size_t i = 0; !err && i < l.n; i++) {
		const struct hss_impu *v = &l.v[i];

		if ((v->type == IMS_ID_WILDCARDED_IMPU) != c->ranges)
			continue;
		fprintf(c->out, "%s impi=%s set=%lld state=%s%s%s\n", v->impu,
			v->impi, (long long)v->iset, state_name(c, v->impu),
			v->is_default ? " default" : "",
			v->barred ? " barred" : "");
		c->count++;
	}
	hss_impu_list_close(&l);
	return err;
}

static int ids_list(struct cli *c, bool ranges)
{
	int err;

	c->ranges = ranges;
	err = hss_store_sub_list(c->st, ids_print, c);
	if (err)
		return refuse(c, c->conf->db, err);
	fprintf(c->out, "%zu %s\n", c->count, ranges ? "range(s)" : "IMPU(s)");
	return 0;
}

static int impu_list(struct cli *c, char **a, int n)
{
	UNUSED(a);
	UNUSED(n);
	return ids_list(c, false);
}

static int range_list(struct cli *c, char **a, int n)
{
	UNUSED(a);
	UNUSED(n);
	return ids_list(c, true);
}

static int impu_remove(struct cli *c, char **a, int n)
{
	int err = hss_store_impu_remove(c->st, a[0]);

	UNUSED(n);
	if (err)
		return refuse(c, a[0], err);
	fprintf(c->out, "removed %s\n", a[0]);
	return 0;
}

static int range_remove(struct cli *c, char **a, int n)
{
	int err = hss_store_wildcard_remove(c->st, a[0]);

	UNUSED(n);
	if (err)
		return refuse(c, a[0], err);
	fprintf(c->out, "removed range %s\n", a[0]);
	return 0;
}

/* ---- bulk -------------------------------------------------------------- */

/* Appends s with every '%' doubled, so it is literal in a format. */
static void put_literal(struct buf *b, const char *s)
{
	for (; *s; s++) {
		buf_append(b, s, 1);
		if (*s == '%')
			buf_append(b, s, 1);
	}
}

static int bulk(struct cli *c, char **a, int n)
{
	const char *prefix = n > 1 ? a[1] : "user";
	const char *realm = c->conf->origin_realm;
	struct buf fi, fu;
	uint64_t count;
	int err;

	if (sv_to_u64(sv_from_cstr(a[0]), 1000000, &count) || count == 0) {
		fprintf(c->err, "hss-sim: bulk: N must be 1..1000000\n");
		return 2;
	}
	buf_init(&fi);
	buf_init(&fu);
	put_literal(&fi, prefix);
	buf_puts(&fi, "%05u@");
	put_literal(&fi, realm);
	buf_puts(&fu, "sip:");
	buf_append(&fu, fi.data, fi.len);
	err = hss_store_bulk_create(c->st, &(struct hss_bulk){
						   .first = 1,
						   .count = (unsigned)count,
						   .impi_fmt = fi.data,
						   .impu_fmt = fu.data,
						   .password_fmt = "pass-%05u",
					   });
	if (err) {
		fprintf(c->err, "hss-sim: bulk: %s%05u@%s..: %s\n", prefix, 1u,
			realm, why(err));
	} else {
		fprintf(c->out,
			"created %u users %s%05u@%s .. %s%05u@%s "
			"(IMPU sip:<IMPI>, password pass-NNNNN)\n",
			(unsigned)count, prefix, 1u, realm, prefix,
			(unsigned)count, realm);
	}
	buf_close(&fi);
	buf_close(&fu);
	return err ? 1 : 0;
}

/* ---- dispatch ------------------------------------------------------------ */

typedef int(cli_fn)(struct cli *c, char **args, int n);

static const struct {
	const char *noun, *verb; /* verb NULL: the noun alone */
	int min, max;            /* operands after the words */
	bool opts;               /* takes --barred / --new-set */
	cli_fn *fn;
} cmds[] = {
	{ "subscriber", "add", 2, 64, false, sub_add },
	{ "subscriber", "list", 0, 0, false, sub_list },
	{ "subscriber", "remove", 1, 1, false, sub_remove },
	{ "impu", "add", 2, 2, true, impu_add },
	{ "impu", "list", 0, 0, false, impu_list },
	{ "impu", "remove", 1, 1, false, impu_remove },
	{ "range", "add", 2, 2, true, range_add },
	{ "range", "list", 0, 0, false, range_list },
	{ "range", "remove", 1, 1, false, range_remove },
	{ "bulk", NULL, 1, 2, false, bulk },
};

/* Moves --barred / --new-set out of args; -1 on another option. */
static int take_opts(struct cli *c, char **args, int *n, bool allowed)
{
	int k = 0;

	for (int i = 0; i < *n; i++) {
		if (allowed && strcmp(args[i], "--barred") == 0)
			c->flags |= HSS_IMPU_BARRED;
		else if (allowed && strcmp(args[i], "--new-set") == 0)
			c->new_set = true;
		else if (strncmp(args[i], "--", 2) == 0)
			return -1;
		else
			args[k++] = args[i];
	}
	*n = k;
	return 0;
}

int hss_cli_run(const struct hss_conf *conf, int nargs, char **args,
		FILE *out, FILE *errout)
{
	struct cli c = { .conf = conf, .out = out, .err = errout };
	char what[64];
	char **ops = NULL;
	int n = 0, status = 2, err;
	size_t i;

	for (i = 0; nargs > 0 && i < ARRAY_SIZE(cmds); i++) {
		int words = cmds[i].verb ? 2 : 1;

		if (strcmp(args[0], cmds[i].noun) != 0 ||
		    (cmds[i].verb &&
		     (nargs < 2 || strcmp(args[1], cmds[i].verb) != 0)))
			continue;
		n = nargs - words;
		ops = xmalloc(((size_t)n + 1) * sizeof(*ops));
		memcpy(ops, args + words, (size_t)n * sizeof(*ops));
		break;
	}
	if (i == ARRAY_SIZE(cmds) || nargs == 0) {
		fprintf(errout, "hss-sim: unknown command '%s' (see --help)\n",
			nargs ? args[0] : "");
		goto out;
	}
	snprintf(what, sizeof(what), "%s%s%s", cmds[i].noun,
		 cmds[i].verb ? " " : "", cmds[i].verb ? cmds[i].verb : "");
	c.what = what;
	if (take_opts(&c, ops, &n, cmds[i].opts) || n < cmds[i].min ||
	    n > cmds[i].max) {
		fprintf(errout, "hss-sim: %s: wrong arguments (see --help)\n",
			what);
		goto out;
	}
	err = hss_db_open(conf, &c.st);
	if (err) {
		fprintf(errout, "hss-sim: cannot open database %s: %s\n",
			conf->db, why(err));
		status = 1;
		goto out;
	}
	status = cmds[i].fn(&c, ops, n);
	hss_store_close(c.st);
out:
	free(ops);
	return status;
}
