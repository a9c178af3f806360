/*
 * fuzz_conf.c - libFuzzer target for lib/conf (config files and --set).
 *
 * The input is the text of a config file. It is loaded as a file (through
 * a memfd, so nothing touches the disk), each of its lines is applied as
 * a `--set key=value`, and the whole command line a process gets is run
 * (conf_parse_cli with --config and --set). The key table has every type
 * (string, bounded and unbounded integers, bool, log level, choice), like
 * the processes' tables. After each pass the values are printed and freed,
 * so a leak or a bad string shows.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fconf {
	char *sip_ip, *realm, *db;
	long sip_port, expires, any;
	bool tls, trace;
	enum log_level log_level;
	int mode;
};

static const char *const modes[] = { "static", "registration", "off", NULL };

static const struct conf_key keys[] = {
	{ "sip_ip", CONF_STR, offsetof(struct fconf, sip_ip), "127.0.0.1",
	  "address", 0, 0, NULL },
	{ "realm", CONF_STR, offsetof(struct fconf, realm), NULL, "realm", 0,
	  0, NULL },
	{ "db", CONF_STR, offsetof(struct fconf, db), ":memory:", "db", 0, 0,
	  NULL },
	{ "sip_port", CONF_INT, offsetof(struct fconf, sip_port), "5060",
	  "port", 0, 65535, NULL },
	{ "expires", CONF_INT, offsetof(struct fconf, expires), "600",
	  "seconds", 1, 86400, NULL },
	{ "any", CONF_INT, offsetof(struct fconf, any), "0", "unbounded", 0, 0,
	  NULL },
	{ "tls", CONF_BOOL, offsetof(struct fconf, tls), "false", "tls", 0, 0,
	  NULL },
	{ "trace", CONF_BOOL, offsetof(struct fconf, trace), "yes", "trace",
	  0, 0, NULL },
	{ "log_level", CONF_LEVEL, offsetof(struct fconf, log_level), "error",
	  "level", 0, 0, NULL },
	{ "mode", CONF_CHOICE, offsetof(struct fconf, mode), "static", "mode",
	  0, 0, modes },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static void print_free(struct fconf *c)
{
	FILE *f = fopen("/dev/null", "w");

	if (f) {
		conf_print_values(keys, c, f);
		fclose(f);
	}
	conf_free(keys, c);
	log_set_level(LOG_ERROR); /* the only global conf may touch */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[CONF_ERR_LEN];
	char *argv[40], *text;
	struct fconf c;
	int fd, argc = 0, argi = 0;
	size_t off = 0;

	fd = memfd_create("fuzz-conf", 0);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* --config FILE */
	memset(&c, 0, sizeof(c));
	conf_defaults(keys, &c);
	(void)conf_load(keys, &c, path, err);
	print_free(&c);

	/* Each line as --set; the command line with both. */
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = "fuzz";
	argv[argc++] = "--config";
	argv[argc++] = path;
	memset(&c, 0, sizeof(c));
	conf_defaults(keys, &c);
	while (off < size && argc < 36) {
		char *line = text + off, *nl = memchr(line, '\n', size - off);

		if (nl)
			*nl = '\0';
		off += strlen(line) + 1;
		(void)conf_set(keys, &c, line, err);
		argv[argc++] = "--set";
		argv[argc++] = line;
	}
	argv[argc] = NULL;
	print_free(&c);
	memset(&c, 0, sizeof(c));
	if (conf_parse_cli(&(struct conf_cli){ "fuzz", "fuzz", NULL }, keys,
			   &c, argc, argv, &argi) == 0 &&
	    (argi < 0 || argi > argc))
		abort();
	print_free(&c);
	free(text);
	close(fd);
	return 0;
}
