/* client-sim: an IMS UE or WebRTC client driven by commands (client.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "linein.h"
#include "load.h"

struct cmain {
	struct client *c; /* NULL once closing */
	struct linein in;
	struct app app;
	const char *ua;   /* one-shot register: the UA to de-register */
	bool oneshot;     /* the command came from argv, not stdin */
	bool stopping;    /* signalled: de-registering before exit */
	int status;
};

static void close_all(void *arg)
{
	struct cmain *m = arg;

	app_signals_close(&m->app); /* caught still, loop not held */
	linein_close(&m->in);
	if (m->c)
		client_close(m->c);
	m->c = NULL;
}

/* One JSON object per line on stdout, flushed: a runner reads it live. */
static void on_event(const json_t *ev, void *arg)
{
	struct cmain *m = arg;
	const char *e = json_string_value(json_object_get(ev, "event"));

	json_dumpf(ev, stdout, JSON_COMPACT);
	printf("\n");
	fflush(stdout);
	if (!m->oneshot || !e || !strcmp(e, "registered") ||
	    !strcmp(e, "refreshed"))
		return;
	/* One-shot: the outcome is in (or a refresh failed): done. */
	if ((!strcmp(e, "failed") || !strcmp(e, "error")) && !m->stopping)
		m->status = 1;
	close_all(m);
}

static void on_line(struct linein *li, const char *line, size_t len, int err,
		    void *arg)
{
	struct cmain *m = arg;

	UNUSED(li);
	if (err == -EMSGSIZE) {
		client_report_error(m->c, "command longer than 4096 bytes");
		return;
	}
	/* quit, and end of input, wait for the outcomes in flight. */
	if (err || client_command(m->c, line, len) == 1) {
		linein_close(&m->in);
		client_drain(m->c, close_all, m);
	}
}

static void on_stop(void *arg)
{
	struct cmain *m = arg;

	/* One-shot register: leave the network cleanly (24.229 §5.1.1.6). */
	if (m->oneshot && m->c && m->ua && !m->stopping &&
	    client_ua_registered(m->c, m->ua) &&
	    client_deregister(m->c, m->ua) == 0) {
		m->stopping = true;
		return;
	}
	close_all(m);
}

static int start(struct cmain *m, uv_loop_t *loop, int argc, char **argv,
		 int argi)
{
	int rc;

	if (argi >= argc)
		return linein_start(&m->in, loop, STDIN_FILENO,
				    CLIENT_LINE_MAX, on_line, m);
	m->oneshot = true;
	if (!strcmp(argv[argi], "register") && argi + 1 < argc)
		m->ua = argv[argi + 1];
	rc = client_command_argv(m->c, argc - argi, argv + argi);
	if (rc < 0)
		m->status = 2; /* a refused command is a usage error */
	if (rc)
		close_all(m);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct conf_cli cli = {
		"client-sim",
		"imstb UE: SIP to the P-CSCF, or over WebSocket to the WSF",
		"Commands (as arguments: run one, print its outcome, exit 0/1; "
		"none: read them\non stdin, one per line; one JSON object per "
		"outcome on stdout):\n  register NAME IMPU IMPI PASSWORD "
		"[expires=N] [via=udp|tcp|ws|wss] [url=URL]\n    [origin=O] "
		"[credential=terminate] [auth=digest|bearer] [token=JWT]\n  "
		"refresh NAME | deregister NAME | forget NAME | quit |\n  "
		"web NAME get URL | web NAME login URL ID PW\nA one-shot "
		"register stays until SIGINT/SIGTERM, then de-registers.\n"
		"Load mode (client-sim [options] load --help):\n  load "
		"--clients N --rate R [--mode wss|web] [--hold S] ...\n"
	};
	struct client_conf conf = { 0 };
	struct cmain m = { 0 };
	struct trace trace;
	struct rng rng;
	uv_loop_t loop;
	int argi, rc;

	rc = app_init(&cli, client_conf_keys, &conf, &conf.common, argc, argv,
		      &argi, &trace, &rng);
	if (rc) {
		m.status = rc > 0 ? 0 : 2;
		goto out_conf;
	}
	if (argi < argc && !strcmp(argv[argi], "load")) {
		m.status = load_main(&conf, argc - argi - 1, argv + argi + 1,
				     &trace, &rng);
		goto out_trace;
	}
	uv_loop_init(&loop);
	rc = client_new(&m.c, &loop, &conf, &trace, &rng, on_event, &m);
	if (rc) {
		/* -EINVAL: an address is not numeric (logged above). */
		fprintf(stderr, "client-sim: cannot start on %s:%ld: %s\n",
			conf.listen, conf.port, uv_strerror(rc));
		m.status = rc == -EINVAL ? 2 : 1;
	} else {
		app_signals_start(&m.app, &loop, on_stop, &m);
		log_info("UE on %s:%u (UDP, TCP); P-CSCF %s:%ld", conf.listen,
			 client_port(m.c), conf.pcscf_host, conf.pcscf_port);
		rc = start(&m, &loop, argc, argv, argi);
		if (rc) {
			fprintf(stderr, "client-sim: cannot read stdin: %s\n",
				uv_strerror(rc));
			m.status = 1;
			close_all(&m);
		}
	}
	if (app_run(&loop))
		m.status = 1;
out_trace:
	trace_close(&trace);
out_conf:
	conf_free(client_conf_keys, &conf);
	return m.status;
}
