/* wsf: the WebRTC Signalling Function process (see wsf.h). */
#include <stdio.h>
#include <stdlib.h>

#include "wsf.h"

static void on_stop(void *arg)
{
	wsf_close(arg);
}

int main(int argc, char **argv)
{
	static const struct conf_cli cli = {
		"wsf",
		"WebRTC Signalling Function of the imstb IMS testbed (SIP over "
		"secure WebSocket, RFC 7118, towards the P-CSCF over UDP or "
		"TCP; flow tokens in Path, RFC 5626)",
		NULL
	};
	static const char *const chal[] = { "forward", "terminate" };
	static const char *const modes[] = { "static", "registration" };
	struct wsf_conf conf = { 0 };
	struct wsf *w = NULL;
	struct trace trace;
	struct rng rng;
	struct app app;
	uv_loop_t loop;
	char err[CONF_ERR_LEN];
	int argi, rc, status = 0;

	rc = app_init(&cli, wsf_conf_keys, &conf, &conf.common, argc, argv,
		      &argi, &trace, &rng);
	if (rc) {
		status = rc > 0 ? 0 : 2;
		goto out_conf;
	}
	if (argi < argc) {
		fprintf(stderr, "wsf: unexpected argument '%s'\n", argv[argi]);
		status = 2;
		goto out_trace;
	}
	if (wsf_conf_check(&conf, err, sizeof(err))) {
		fprintf(stderr, "wsf: bad setting: %s\n", err);
		status = 2;
		goto out_trace;
	}
	uv_loop_init(&loop);
	rc = wsf_new(&w, &loop, &conf, &trace, &rng, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "wsf: cannot start: %s\n", err);
		status = 1;
	} else {
		app_signals_start(&app, &loop, on_stop, w);
		log_info("WSF: WSS %s:%u, WS %s:%u, SIP %s:%u (UDP, TCP); "
			 "P-CSCF %s:%ld/%s; challenge=%s, range_mode=%s",
			 conf.listen, wsf_wss_port(w), conf.listen,
			 wsf_ws_port(w), conf.listen, wsf_sip_port(w),
			 conf.pcscf_host, conf.pcscf_port,
			 conf.pcscf_transport ? "tcp" : "udp",
			 chal[conf.challenge], modes[conf.range_mode]);
	}
	if (app_run(&loop))
		status = 1;
out_trace:
	trace_close(&trace);
out_conf:
	conf_free(wsf_conf_keys, &conf);
	return status;
}
