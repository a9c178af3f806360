/*
 * prov.c - the provisioning commands of wws (see wws.h): each opens the
 * database, does one thing, prints a short result and returns the exit
 * status.
 */
#include "wws_int.h"

#include <errno.h>
#include <string.h>

const char wws_cli_usage[] =
	"Commands (none: serve):\n"
	"  serve                  run the HTTPS server\n"
	"  user add WEBID PASSWORD IMPU IMPI\n"
	"                         a web user (password hashed with PBKDF2,\n"
	"                         pbkdf2_iterations) mapped to an IMS "
	"identity\n"
	"  user list | user remove WEBID\n"
	"  user bulk N [PREFIX]   N load-test users numbered from 1: web id\n"
	"                         PREFIXNNNNN@<domain> (PREFIX: user),\n"
	"                         password pass-NNNNN -> the IMPU and IMPI\n"
	"                         of `hss-sim bulk N` (PREFIXNNNNN@"
	"<ims_domain>)\n"
	"  range list             who holds which IMPU of the block "
	"(enterprise)\n"
	"Provisioning commands work on the db file, also while wws serves "
	"it,\nand exit 0 when done, 1 when refused (reason on stderr), 2 on "
	"bad usage.";

static int print_impu(const char *impu, const char *webid, void *arg)
{
	fprintf(arg, "%s %s\n", impu, webid);
	return 0;
}

static int print_user(const struct wws_user *usr, void *arg)
{
	fprintf(arg, "%s %s %s\n", usr->webid, usr->impu, usr->impi);
	return 0;
}

static const char *why(int err)
{
	switch (err) {
	case -EEXIST:
		return "already provisioned";
	case -ENOENT:
		return "not found";
	case -EBUSY:
		return "database busy";
	default:
		return "database error";
	}
}

int wws_cli_run(const struct wws_conf *c, int argc, char **argv, FILE *out,
		FILE *err)
{
	struct wws_users *u = NULL;
	const char *bad, *what;
	char msg[256] = "";
	uint64_t count = 0;
	int rc, status = 1;

	what = argc >= 2 && strcmp(argv[0], "user") == 0 ? argv[1] : "";
	if (argc == 2 && !strcmp(argv[0], "range") && !strcmp(argv[1], "list"))
		what = "range";
	if (!((strcmp(what, "add") == 0 && argc == 6) ||
	      (strcmp(what, "list") == 0 && argc == 2) ||
	      (strcmp(what, "range") == 0 && argc == 2) ||
	      (strcmp(what, "remove") == 0 && argc == 3) ||
	      (strcmp(what, "bulk") == 0 && (argc == 3 || argc == 4)))) {
		fprintf(err, "wws: unknown command or wrong arguments "
			     "(see --help)\n");
		return 2;
	}
	if (strcmp(what, "add") == 0) {
		bad = wws_user_check(argv[2], argv[3], argv[4], argv[5],
				     c->ims_domain);
		if (bad) {
			fprintf(err, "wws: user add: %s: %s\n", argv[2], bad);
			return 1;
		}
	}
	if (strcmp(what, "bulk") == 0 &&
	    (sv_to_u64(sv_from_cstr(argv[2]), 99999, &count) || !count)) {
		fprintf(err, "wws: user bulk: N must be 1..99999\n");
		return 2;
	}
	rc = wws__users_setup(c, &u, msg, sizeof(msg));
	if (rc) {
		fprintf(err, "wws: %s\n", msg);
		return 1;
	}
	if (strcmp(what, "add") == 0)
		rc = wws_users_add(u, argv[2], argv[3], argv[4], argv[5],
				   c->pbkdf2_iterations);
	else if (strcmp(what, "remove") == 0)
		rc = wws_users_remove(u, argv[2]);
	else if (strcmp(what, "bulk") == 0)
		rc = wws_users_bulk(u, &(struct wws_bulk){
					       .first = 1,
					       .count = (unsigned)count,
					       .prefix = argc > 3 ? argv[3]
								  : "user",
					       .domain = c->domain,
					       .ims_domain = c->ims_domain,
					       .iterations =
						       c->pbkdf2_iterations,
				       });
	else if (strcmp(what, "range") == 0)
		rc = wws_users_impu_list(u, print_impu, out);
	else
		rc = wws_users_list(u, print_user, out);
	if (rc) {
		fprintf(err, "wws: user %s: %s: %s\n", what,
			argc > 2 ? argv[2] : c->db, why(rc));
	} else {
		status = 0;
		if (strcmp(what, "add") == 0)
			fprintf(out, "added %s -> %s, %s\n", argv[2], argv[4],
				argv[5]);
		else if (strcmp(what, "remove") == 0)
			fprintf(out, "removed %s\n", argv[2]);
		else if (strcmp(what, "bulk") == 0)
			fprintf(out, "created %u web users %s%05u@%s .. "
				"(password pass-NNNNN)\n", (unsigned)count,
				argc > 3 ? argv[3] : "user", 1u, c->domain);
	}
	wws_users_close(u);
	return status;
}
