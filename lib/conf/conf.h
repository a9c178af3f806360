/*
 * conf.h - one configuration format for every process.
 *
 * A process describes its settings once, as a table of struct conf_key
 * pointing into its own config struct. From that table come: the defaults,
 * the config file reader (`key = value` lines, `#` comments, values may be
 * "double-quoted"), the `--set key=value` overrides, the --help text, and
 * the one-line error that names the bad key and why.
 *
 * Order of precedence: defaults < config file < --set (left to right).
 */
#ifndef IMSTB_CONF_H
#define IMSTB_CONF_H

#include <stdio.h>

#include "base/base.h"

enum conf_type {
	CONF_STR,   /* char * (owned, xstrdup'd; conf_free releases it) */
	CONF_INT,   /* long, within [min, max] */
	CONF_BOOL,  /* bool: true/false/yes/no/on/off/1/0 */
	CONF_LEVEL, /* enum log_level: error|warn|info|debug|trace */
	CONF_CHOICE /* int: index into choices[] (NULL-terminated) */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;     /* offsetof(struct my_conf, field) */
	const char *def;   /* default, as text (NULL = empty string / 0) */
	const char *help;
	long min, max;     /* CONF_INT bounds (both 0 = unbounded) */
	const char *const *choices; /* CONF_CHOICE */
};

#define CONF_ERR_LEN 256

/* Sets every key to its default. */
void conf_defaults(const struct conf_key *keys, void *obj);
/* Applies one `key=value`. On error, err says "<key>: <why>". */
int conf_set(const struct conf_key *keys, void *obj, const char *kv,
	     char err[CONF_ERR_LEN]);
int conf_set_kv(const struct conf_key *keys, void *obj, const char *key,
		const char *value, char err[CONF_ERR_LEN]);
/* Reads a file; err names "file:line: key: why". -ENOENT, -EINVAL. */
int conf_load(const struct conf_key *keys, void *obj, const char *path,
	      char err[CONF_ERR_LEN]);
/* Frees the CONF_STR values. */
void conf_free(const struct conf_key *keys, void *obj);
/* One line per key: name, default, help. */
void conf_print_keys(const struct conf_key *keys, FILE *out);
/* Writes the effective configuration (for `--print-config`). */
void conf_print_values(const struct conf_key *keys, const void *obj,
		       FILE *out);

/*
 * The command line every imstb process shares:
 *   PROG [--config F] [--set key=value]... [--log-level L] [--help]
 *        [--print-config] [ARGS...]
 * The conf struct must have its log level at `level_offset` (a CONF_LEVEL
 * key named "log_level"). Returns 0 and the index of the first positional
 * argument in *argi; 1 if --help/--print-config was handled (exit 0); -1
 * after printing a one-line reason to stderr (exit non-zero).
 */
struct conf_cli {
	const char *prog;
	const char *summary; /* one line: what the program is */
	const char *usage;   /* extra usage text (subcommands), may be NULL */
};

int conf_parse_cli(const struct conf_cli *cli, const struct conf_key *keys,
		   void *obj, int argc, char **argv, int *argi);

#endif
