/* pcscf-sim: the P-CSCF process (see pcscf.h). */
#include <stdio.h>
#include <stdlib.h>

#include "pcscf.h"

static void on_stop(void *arg)
{
	pcscf_close(arg);
}

int main(int argc, char **argv)
{
	static const struct conf_cli cli = {
		"pcscf-sim",
		"P-CSCF of the imstb IMS testbed (TS 24.229 5.2.2 proxy for "
		"REGISTER: Path, P-Visited-Network-ID, P-Charging-Vector, "
		"integrity-protected; forwards to one S-CSCF)",
		NULL
	};
	struct pcscf_conf conf = { 0 };
	struct pcscf *p = NULL;
	struct trace trace;
	struct rng rng;
	struct app app;
	uv_loop_t loop;
	char err[CONF_ERR_LEN];
	int argi, rc, status = 0;

	rc = app_init(&cli, pcscf_conf_keys, &conf, &conf.common, argc, argv,
		      &argi, &trace, &rng);
	if (rc) {
		status = rc > 0 ? 0 : 2;
		goto out_conf;
	}
	if (argi < argc) {
		fprintf(stderr, "pcscf-sim: unexpected argument '%s'\n",
			argv[argi]);
		status = 2;
		goto out_trace;
	}
	if (pcscf_conf_check(&conf, err, sizeof(err))) {
		fprintf(stderr, "pcscf-sim: bad setting: %s\n", err);
		status = 2;
		goto out_trace;
	}
	uv_loop_init(&loop);
	rc = pcscf_new(&p, &loop, &conf, &trace, &rng);
	if (rc) {
		fprintf(stderr, "pcscf-sim: cannot start on %s:%ld: %s\n",
			conf.listen, conf.port, uv_strerror(rc));
		status = 1;
	} else {
		app_signals_start(&app, &loop, on_stop, p);
		log_info("P-CSCF on %s:%u (UDP, TCP); S-CSCF %s:%ld/%s",
			 conf.listen, pcscf_port(p), conf.scscf_host,
			 conf.scscf_port, conf.scscf_transport ? "tcp" : "udp");
	}
	if (app_run(&loop))
		status = 1;
out_trace:
	trace_close(&trace);
out_conf:
	conf_free(pcscf_conf_keys, &conf);
	return status;
}
