/* hss-sim: the HSS process (see hss.h): serves Cx, or runs one
 * provisioning command on its database and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hss.h"

static void on_stop(void *arg)
{
	hss_close(arg);
}

static int serve(struct hss_conf *conf, struct trace *trace, struct rng *rng)
{
	struct hss *h = NULL;
	struct app app;
	uv_loop_t loop;
	int rc, status = 0;

	uv_loop_init(&loop);
	rc = hss_new(&h, &loop, conf, trace, rng);
	if (rc) {
		fprintf(stderr, "hss-sim: cannot start on %s:%ld (db %s): %s\n",
			conf->listen, conf->port, conf->db, uv_strerror(rc));
		status = 1;
	} else {
		app_signals_start(&app, &loop, on_stop, h);
		log_info("HSS %s (realm %s) on %s:%u (Diameter Cx over TCP), "
			 "db %s", conf->origin_host, conf->origin_realm,
			 conf->listen, hss_port(h), conf->db);
	}
	if (app_run(&loop))
		status = 1;
	/* Only now: closing connections traced through h until the end. */
	hss_free(h);
	return status;
}

int main(int argc, char **argv)
{
	static const struct conf_cli cli = {
		"hss-sim",
		"HSS of the imstb IMS testbed: Cx server (TS 29.228/29.229 "
		"MAR, SAR, UAR, LIR over Diameter) on a SQLite subscriber "
		"store, with provisioning commands",
		hss_cli_usage
	};
	struct hss_conf conf = { 0 };
	struct trace trace;
	struct rng rng;
	char why[128];
	bool cmd = false;
	int argi, rc, status;

	rc = app_init(&cli, hss_conf_keys, &conf, &conf.common, argc, argv,
		      &argi, &trace, &rng);
	if (rc) {
		status = rc > 0 ? 0 : 2;
		goto out_conf;
	}
	if (hss_conf_check(&conf, why, sizeof(why))) {
		fprintf(stderr, "hss-sim: bad setting: %s\n", why);
		status = 2;
		goto out_trace;
	}
	if (argi < argc && strcmp(argv[argi], "serve") == 0)
		argi++;
	else if (argi < argc)
		cmd = true;
	if (cmd) {
		status = hss_cli_run(&conf, argc - argi, argv + argi, stdout,
				     stderr);
	} else if (argi < argc) {
		fprintf(stderr, "hss-sim: serve: unexpected argument '%s'\n",
			argv[argi]);
		status = 2;
	} else {
		status = serve(&conf, &trace, &rng);
	}
out_trace:
	trace_close(&trace);
out_conf:
	conf_free(hss_conf_keys, &conf);
	return status;
}
