/* check_conf.c - unit tests for lib/conf. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

struct tconf {
	char *listen;
	long port;
	bool trusted;
	enum log_level log_level;
	int mode;
};

static const char *const modes[] = { "introspect", "local", NULL };

static const struct conf_key keys[] = {
	{ "listen", CONF_STR, offsetof(struct tconf, listen), "127.0.0.1",
	  "address", 0, 0, NULL },
	{ "port", CONF_INT, offsetof(struct tconf, port), "5060", "port", 0,
	  65535, NULL },
	{ "trusted", CONF_BOOL, offsetof(struct tconf, trusted), "no", "", 0, 0,
	  NULL },
	{ "log_level", CONF_LEVEL, offsetof(struct tconf, log_level), "info",
	  "", 0, 0, NULL },
	{ "mode", CONF_CHOICE, offsetof(struct tconf, mode), "introspect", "",
	  0, 0, modes },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static const struct {
	const char *kv;
	int rc;
	const char *err_has; /* substring of the error, naming key and why */
} set_vec[] = {
	{ "port=6060", 0, NULL },
	{ "port = 6060", 0, NULL },
	{ "port=70000", -EINVAL, "port: 70000 is out of range" },
	{ "port=abc", -EINVAL, "port: 'abc' is not an integer" },
	{ "prot=1", -EINVAL, "prot: unknown key" },
	{ "trusted=maybe", -EINVAL, "trusted: 'maybe' is not a boolean" },
	{ "trusted=on", 0, NULL },
	{ "mode=local", 0, NULL },
	{ "mode=remote", -EINVAL, "mode: 'remote' is not a valid choice" },
	{ "log_level=loud", -EINVAL, "log_level: 'loud'" },
	{ "listen=\"::1\"", 0, NULL },
	{ "noequals", -EINVAL, "expected key = value" },
};

START_TEST(test_conf_set)
{
	struct tconf c = { 0 };
	char err[CONF_ERR_LEN] = "";

	conf_defaults(keys, &c);
	ck_assert_int_eq(c.port, 5060);
	ck_assert_str_eq(c.listen, "127.0.0.1");
	ck_assert_int_eq(conf_set(keys, &c, set_vec[_i].kv, err),
			 set_vec[_i].rc);
	if (set_vec[_i].err_has)
		ck_assert_msg(strstr(err, set_vec[_i].err_has), "err '%s'",
			      err);
	conf_free(keys, &c);
}
END_TEST

START_TEST(test_conf_file_and_cli_precedence)
{
	char path[] = "/tmp/check_conf_XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# comment\nport = 7000\n\nmode = local\n";
	char *argv[] = { "prog",     "--set", "port=8000",
			 "--config", path,    "--log-level=debug",
			 "sub",	     NULL };
	struct conf_cli cli = { "prog", "test", NULL };
	struct tconf c = { 0 };
	int argi = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(conf_parse_cli(&cli, keys, &c, 7, argv, &argi), 0);
	ck_assert_int_eq(c.port, 8000); /* --set beats the file */
	ck_assert_int_eq(c.mode, 1);
	ck_assert_int_eq(c.log_level, LOG_DEBUG);
	ck_assert_int_eq(argi, 6);
	conf_free(keys, &c);
	unlink(path);
}
END_TEST

START_TEST(test_conf_file_error_names_line)
{
	char path[] = "/tmp/check_conf_XXXXXX";
	int fd = mkstemp(path);
	const char *text = "port = 7000\nbogus = 1\n";
	struct tconf c = { 0 };
	char err[CONF_ERR_LEN];

	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	conf_defaults(keys, &c);
	ck_assert_int_eq(conf_load(keys, &c, path, err), -EINVAL);
	ck_assert_msg(strstr(err, ":2: bogus: unknown key"), "err '%s'", err);
	ck_assert_int_eq(conf_load(keys, &c, "/nonexistent/x", err), -ENOENT);
	conf_free(keys, &c);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_conf_set, 0, (int)ARRAY_SIZE(set_vec));
	tcase_add_test(tc, test_conf_file_and_cli_precedence);
	tcase_add_test(tc, test_conf_file_error_names_line);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
