/* wws: the WebRTC Web Server process (see wws.h): serves HTTPS, or runs
 * one provisioning command on its database and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wws.h"

static void on_stop(void *arg)
{
	wws_close(arg);
}

static int serve(struct wws_conf *conf, struct trace *trace, struct rng *rng)
{
	struct wws *w = NULL;
	struct app app;
	uv_loop_t loop;
	char err[512] = "";
	int rc, status = 0;

	uv_loop_init(&loop);
	rc = wws_new(&w, &loop, conf, trace, rng, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "wws: cannot start: %s\n", err);
		status = 1;
	} else {
		app_signals_start(&app, &loop, on_stop, w);
		log_info(
			"WWS on https://%s:%u/ (login, /.well-known/jwks.json, "
			"/introspect), db %s",
			conf->listen, wws_port(w), conf->db);
	}
	if (app_run(&loop))
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	static const struct conf_cli cli = {
		"wws",
		"WebRTC Web Server of the imstb testbed (TR 23.701 WWS/WAF): "
		"HTTPS page, web login with JWT tokens (ES256/RS256/HS256), "
		"JWKS and RFC 7662 introspection, SQLite web users",
		wws_cli_usage
	};
	struct wws_conf conf = { 0 };
	struct trace trace;
	struct rng rng;
	char why[256];
	bool cmd = false;
	int argi, rc, status;

	rc = app_init(&cli, wws_conf_keys, &conf, &conf.common, argc, argv,
		      &argi, &trace, &rng);
	if (rc) {
		status = rc > 0 ? 0 : 2;
		goto out_conf;
	}
	if (wws_conf_check(&conf, why, sizeof(why))) {
		fprintf(stderr, "wws: bad setting: %s\n", why);
		status = 2;
		goto out_trace;
	}
	if (argi < argc && strcmp(argv[argi], "serve") == 0)
		argi++;
	else if (argi < argc)
		cmd = true;
	if (cmd) {
		status = wws_cli_run(&conf, argc - argi, argv + argi, stdout,
				     stderr);
	} else if (argi < argc) {
		fprintf(stderr, "wws: serve: unexpected argument '%s'\n",
			argv[argi]);
		status = 2;
	} else {
		status = serve(&conf, &trace, &rng);
	}
out_trace:
	trace_close(&trace);
out_conf:
	conf_free(wws_conf_keys, &conf);
	return status;
}
