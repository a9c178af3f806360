/* scscf-sim: the S-CSCF process (see scscf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "scscf.h"

static void on_stop(void *arg)
{
	scscf_close(arg);
}

int main(int argc, char **argv)
{
	static const struct conf_cli cli = {
		"scscf-sim",
		"S-CSCF of the imstb IMS testbed (TS 24.229 5.4.1 registrar: "
		"SIP Digest challenge with HA1s from the HSS over Cx MAR/SAR, "
		"Path, Service-Route, P-Associated-URI, bindings in SQLite)",
		NULL
	};
	struct scscf_conf conf = { 0 };
	struct scscf *s = NULL;
	struct trace trace;
	struct rng rng;
	struct app app;
	uv_loop_t loop;
	char err[256];
	int argi, rc, status = 0;

	rc = app_init(&cli, scscf_conf_keys, &conf, &conf.common, argc, argv,
		      &argi, &trace, &rng);
	if (rc) {
		status = rc > 0 ? 0 : 2;
		goto out_conf;
	}
	if (argi < argc) {
		fprintf(stderr, "scscf-sim: unexpected argument '%s'\n",
			argv[argi]);
		status = 2;
		goto out_trace;
	}
	if (scscf_conf_check(&conf, err, sizeof(err))) {
		fprintf(stderr, "scscf-sim: bad setting: %s\n", err);
		status = 2;
		goto out_trace;
	}
	uv_loop_init(&loop);
	rc = scscf_new(&s, &loop, &conf, &trace, &rng);
	if (rc) {
		fprintf(stderr, "scscf-sim: cannot start on %s:%ld: %s\n",
			conf.listen, conf.port,
			rc == -EIO ? "database error" : uv_strerror(rc));
		status = 1;
	} else {
		app_signals_start(&app, &loop, on_stop, s);
		log_info("S-CSCF on %s:%u (UDP, TCP) for %s; HSS %s:%ld; "
			 "db %s", conf.listen, scscf_port(s), conf.home_domain,
			 conf.hss_host, conf.hss_port,
			 conf.db[0] ? conf.db : "(memory)");
	}
	if (app_run(&loop))
		status = 1;
out_trace:
	trace_close(&trace);
out_conf:
	conf_free(scscf_conf_keys, &conf);
	return status;
}
