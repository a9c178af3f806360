/* app.c - process runtime shared by every imstb program. */
#include "app/app.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_signal(uv_signal_t *h, int signum)
{
	struct app *a = h->data;

	if (a->stopping) {
		log_warn("second signal %d while stopping: exiting now",
			 signum);
		/* _exit: no atexit work on a half-closed process (under
		 * LSan, its leak check of everything still open could spin
		 * forever); what was printed is flushed first. */
		fflush(NULL);
		_exit(1);
	}
	log_info("signal %d: shutting down", signum);
	a->stopping = true;
	app_signals_close(a);
	a->stop_cb(a->arg);
}

int app_signals_start(struct app *a, uv_loop_t *loop, app_stop_cb *cb,
		      void *arg)
{
	int rc;

	*a = (struct app){ .loop = loop, .stop_cb = cb, .arg = arg };
	/* A peer that resets a TCP connection must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	uv_signal_init(loop, &a->sigint);
	uv_signal_init(loop, &a->sigterm);
	a->sigint.data = a->sigterm.data = a;
	rc = uv_signal_start(&a->sigint, on_signal, SIGINT);
	if (!rc)
		rc = uv_signal_start(&a->sigterm, on_signal, SIGTERM);
	return rc;
}

void app_signals_close(struct app *a)
{
	/* Keep catching signals until the loop ends, but don't keep it alive.
	 */
	uv_unref((uv_handle_t *)&a->sigint);
	uv_unref((uv_handle_t *)&a->sigterm);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	UNUSED(arg);
	/* Only our signal handles: anything else left open is a bug that
	 * uv_loop_close must report, not something to sweep away. */
	if (h->type == UV_SIGNAL && !uv_is_closing(h))
		uv_close(h, NULL);
}

int app_run(uv_loop_t *loop)
{
	int rc;

	uv_run(loop, UV_RUN_DEFAULT);
	uv_walk(loop, close_walk, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(loop);
	if (rc) {
		log_error("loop still has open handles at exit:");
		uv_print_all_handles(loop, stderr);
		return -EBUSY;
	}
	return 0;
}

int app_init(const struct conf_cli *cli, const struct conf_key *keys,
	     void *conf, const struct app_common *common, int argc, char **argv,
	     int *argi, struct trace *trace, struct rng *rng)
{
	int rc = conf_parse_cli(cli, keys, conf, argc, argv, argi);

	if (rc)
		return rc;
	log_set_ident(common->trace_node);
	log_set_level(common->log_level);
	if (common->seed < 0) {
		fprintf(stderr, "%s: bad setting: seed: must be >= 0\n",
			cli->prog);
		return -1;
	}
	rng_init(rng, (uint64_t)common->seed);
	if (common->trace_file[0])
		app_mkdir_parent(common->trace_file);
	rc = trace_open(trace, common->trace_file, common->trace_node);
	trace->secrets = common->trace_secrets;
	if (rc) {
		fprintf(stderr, "%s: bad setting: trace_file: %s: %s\n",
			cli->prog, common->trace_file, strerror(-rc));
		return -1;
	}
	rc = trace_fault_open(trace, common->fault_file);
	if (rc) {
		fprintf(stderr, "%s: bad setting: fault_file: %s: %s\n",
			cli->prog, common->fault_file, strerror(-rc));
		trace_close(trace);
		return -1;
	}
	return 0;
}

void app_trace_sip(struct trace *t, bool sent, const char *transport,
		   const struct sockaddr *local, const struct sockaddr *peer,
		   const char *bytes, size_t len)
{
	struct sv all = { bytes, len }, first;
	char lower[8] = "";

	if (!trace_on(t))
		return;
	sv_split(all, '\r', &first);
	for (size_t i = 0; transport[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(transport[i] | 0x20);
	trace_emit(t, &(struct trace_event){
			      .dir = sent ? TRACE_SEND : TRACE_RECV,
			      .proto = "sip",
			      .transport = lower,
			      .local = local,
			      .peer = peer,
			      .summary = first,
			      .raw = bytes,
			      .len = len,
		      });
}

void app_trace_http(struct trace *t, bool sent, const char *transport,
		    const struct sockaddr *local, const struct sockaddr *peer,
		    struct sv start_line, const void *raw, size_t len)
{
	if (!trace_on(t))
		return;
	trace_emit(t, &(struct trace_event){
			      .dir = sent ? TRACE_SEND : TRACE_RECV,
			      .proto = "http",
			      .transport = transport,
			      .local = local,
			      .peer = peer,
			      .summary = start_line,
			      .raw = raw,
			      .len = len,
		      });
}

int app_mkdir_parent(const char *path)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}
