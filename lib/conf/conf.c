/* conf.c - config files, --set overrides, --help, from one key table. */
#include "conf/conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct conf_key *key_find(const struct conf_key *keys,
				       struct sv name)
{
	for (const struct conf_key *k = keys; k->name; k++)
		if (sv_eq_cstr(name, k->name))
			return k;
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_long(const char *v, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno || end == v || *end)
		return -EINVAL;
	return 0;
}

static int set_value(const struct conf_key *k, void *obj, const char *v,
		     char err[CONF_ERR_LEN])
{
	char *field = (char *)obj + k->offset;
	long n;
	bool b;
	enum log_level l;

	switch (k->type) {
	case CONF_STR:
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case CONF_INT:
		if (parse_long(v, &n)) {
			snprintf(err, CONF_ERR_LEN,
				 "%s: '%s' is not an integer", k->name, v);
			return -EINVAL;
		}
		if ((k->min || k->max) && (n < k->min || n > k->max)) {
			snprintf(err, CONF_ERR_LEN,
				 "%s: %ld is out of range [%ld, %ld]", k->name,
				 n, k->min, k->max);
			return -EINVAL;
		}
		*(long *)field = n;
		return 0;
	case CONF_BOOL:
		if (parse_bool(v, &b)) {
			snprintf(err, CONF_ERR_LEN,
				 "%s: '%s' is not a boolean (true/false)",
				 k->name, v);
			return -EINVAL;
		}
		*(bool *)field = b;
		return 0;
	case CONF_LEVEL:
		if (log_level_parse(v, &l)) {
			snprintf(err, CONF_ERR_LEN,
				 "%s: '%s' is not one of error, warn, info, "
				 "debug, trace",
				 k->name, v);
			return -EINVAL;
		}
		*(enum log_level *)field = l;
		return 0;
	case CONF_CHOICE:
		for (int i = 0; k->choices[i]; i++) {
			if (strcmp(v, k->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		snprintf(err, CONF_ERR_LEN, "%s: '%s' is not a valid choice",
			 k->name, v);
		return -EINVAL;
	}
	return -EINVAL;
}

void conf_defaults(const struct conf_key *keys, void *obj)
{
	char err[CONF_ERR_LEN];

	for (const struct conf_key *k = keys; k->name; k++) {
		const char *d = k->def;

		if (!d)
			d = k->type == CONF_STR	     ? ""
			    : k->type == CONF_BOOL   ? "false"
			    : k->type == CONF_LEVEL  ? "info"
			    : k->type == CONF_CHOICE ? k->choices[0]
						     : "0";
		/* A bad default is a programming error: fail loudly. */
		if (set_value(k, obj, d, err)) {
			fprintf(stderr, "imstb: bad default: %s\n", err);
			abort();
		}
	}
}

int conf_set_kv(const struct conf_key *keys, void *obj, const char *key,
		const char *value, char err[CONF_ERR_LEN])
{
	const struct conf_key *k = key_find(keys, sv_from_cstr(key));

	if (!k) {
		snprintf(err, CONF_ERR_LEN, "%s: unknown key", key);
		return -EINVAL;
	}
	return set_value(k, obj, value, err);
}

/* Splits "key = value" (value may be double-quoted) and applies it. */
static int apply_line(const struct conf_key *keys, void *obj, struct sv line,
		      char err[CONF_ERR_LEN])
{
	struct sv key, value = sv_split(line, '=', &key);
	char kbuf[128], *vbuf;
	int rc;

	key = sv_trim(key);
	value = sv_trim(value);
	if (!sv_chr(line, '=') || key.len == 0) {
		snprintf(err, CONF_ERR_LEN, "'%.*s': expected key = value",
			 SV_ARG(line));
		return -EINVAL;
	}
	if (value.len >= 2 && value.p[0] == '"' &&
	    value.p[value.len - 1] == '"') {
		value.p++;
		value.len -= 2;
	}
	if (sv_copy(key, kbuf, sizeof(kbuf))) {
		snprintf(err, CONF_ERR_LEN, "key too long");
		return -EINVAL;
	}
	vbuf = sv_dup(value);
	rc = conf_set_kv(keys, obj, kbuf, vbuf, err);
	free(vbuf);
	return rc;
}

int conf_set(const struct conf_key *keys, void *obj, const char *kv,
	     char err[CONF_ERR_LEN])
{
	return apply_line(keys, obj, sv_from_cstr(kv), err);
}

int conf_load(const struct conf_key *keys, void *obj, const char *path,
	      char err[CONF_ERR_LEN])
{
	FILE *f = fopen(path, "r");
	char line[4096], inner[CONF_ERR_LEN];
	int lineno = 0, rc = 0;

	if (!f) {
		snprintf(err, CONF_ERR_LEN, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		struct sv l = sv_trim(sv_from_cstr(line));

		lineno++;
		if (l.len == 0 || l.p[0] == '#')
			continue;
		rc = apply_line(keys, obj, l, inner);
		if (rc) {
			snprintf(err, CONF_ERR_LEN, "%.100s:%d: %.140s", path,
				 lineno, inner);
			break;
		}
	}
	fclose(f);
	return rc;
}

void conf_free(const struct conf_key *keys, void *obj)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		if (k->type == CONF_STR) {
			char **field = (char **)((char *)obj + k->offset);

			free(*field);
			*field = NULL;
		}
	}
}

void conf_print_keys(const struct conf_key *keys, FILE *out)
{
	for (const struct conf_key *k = keys; k->name; k++)
		fprintf(out, "  %-24s %s (default: %s)\n", k->name,
			k->help ? k->help : "", k->def ? k->def : "");
}

void conf_print_values(const struct conf_key *keys, const void *obj, FILE *out)
{
	static const char *const levels[] = { "error", "warn", "info", "debug",
					      "trace" };

	for (const struct conf_key *k = keys; k->name; k++) {
		const char *field = (const char *)obj + k->offset;

		fprintf(out, "%s = ", k->name);
		switch (k->type) {
		case CONF_STR:
			fprintf(out, "\"%s\"\n", *(char *const *)field);
			break;
		case CONF_INT:
			fprintf(out, "%ld\n", *(const long *)field);
			break;
		case CONF_BOOL:
			fprintf(out, "%s\n",
				*(const bool *)field ? "true" : "false");
			break;
		case CONF_LEVEL:
			fprintf(out, "%s\n",
				levels[*(const enum log_level *)field]);
			break;
		case CONF_CHOICE:
			fprintf(out, "%s\n", k->choices[*(const int *)field]);
			break;
		}
	}
}

static void print_help(const struct conf_cli *cli, const struct conf_key *keys)
{
	printf("%s - %s\n\n", cli->prog, cli->summary);
	printf("Usage: %s [--config FILE] [--set key=value]... "
	       "[--log-level LEVEL] [--print-config] [--help]%s\n",
	       cli->prog, cli->usage ? " [COMMAND ...]" : "");
	if (cli->usage)
		printf("\n%s\n", cli->usage);
	printf("\nSettings (config file lines `key = value`, or --set):\n");
	conf_print_keys(keys, stdout);
}

/* Value of "--opt V" or "--opt=V"; advances *i. NULL if missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int conf_parse_cli(const struct conf_cli *cli, const struct conf_key *keys,
		   void *obj, int argc, char **argv, int *argi)
{
	char err[CONF_ERR_LEN];
	bool print = false;
	int i;

	conf_defaults(keys, obj);
	/* First pass: the config file, so --set always wins over it. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			print_help(cli, keys);
			return 1;
		}
		if (strncmp(argv[i], "--config", 8) == 0) {
			const char *f = opt_value(argc, argv, &i, "--config");

			if (!f) {
				fprintf(stderr, "%s: --config needs a file\n",
					cli->prog);
				return -1;
			}
			if (conf_load(keys, obj, f, err)) {
				fprintf(stderr, "%s: bad config: %s\n",
					cli->prog, err);
				return -1;
			}
		} else if (strncmp(argv[i], "--set", 5) == 0 ||
			   strncmp(argv[i], "--log-level", 11) == 0) {
			i += strchr(argv[i], '=') ? 0 : 1;
		}
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strncmp(argv[i], "--config", 8) == 0) {
			opt_value(argc, argv, &i, "--config");
		} else if (strcmp(argv[i], "--print-config") == 0) {
			print = true;
		} else if (strncmp(argv[i], "--set", 5) == 0) {
			v = opt_value(argc, argv, &i, "--set");
			if (!v || conf_set(keys, obj, v, err)) {
				fprintf(stderr, "%s: bad setting: %s\n",
					cli->prog,
					v ? err : "--set needs key=value");
				return -1;
			}
		} else if (strncmp(argv[i], "--log-level", 11) == 0) {
			v = opt_value(argc, argv, &i, "--log-level");
			if (!v || conf_set_kv(keys, obj, "log_level", v, err)) {
				fprintf(stderr, "%s: bad setting: %s\n",
					cli->prog,
					v ? err : "--log-level needs a level");
				return -1;
			}
		} else {
			fprintf(stderr,
				"%s: unknown option '%s' (see --help)\n",
				cli->prog, argv[i]);
			return -1;
		}
	}
	if (print) {
		conf_print_values(keys, obj, stdout);
		return 1;
	}
	*argi = i;
	return 0;
}
