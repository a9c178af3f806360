/*
 * up.c - `imstb up`: the testbed on the default port plan, in the
 * foreground, until Ctrl-C (or until one node dies).
 */
#include "drive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

#define UP_DIR	 "var/up"
#define UP_TRACE UP_DIR "/trace.jsonl"

struct up_set {
	const struct launch_kind *kind;
	char *kv; /* owned "key=value" */
};

struct up {
	struct up_set *sets;
	size_t nsets;
	struct launch_proc procs[8];
	size_t nprocs;
};

static const char up_usage[] =
	"Usage: imstb up [--config FILE] [--set node.key=value]...\n"
	"Starts every node of the testbed (hss-sim, scscf-sim, pcscf-sim) "
	"from\n"
	"the directory of imstb, on the default port plan (127.0.0.1: hss "
	"3868,\n"
	"scscf 6060, pcscf 5060), data under var/, logs and the shared trace\n"
	"under " UP_DIR "/. Ctrl-C stops them all.\n"
	"  --config FILE          lines `node.key = value` (# comments)\n"
	"  --set node.key=value   one setting of one node, e.g. "
	"scscf.digest_algorithms=SHA-256,MD5\n";

/* "node.key=value" (spaces around '=' allowed in a file). */
static int add_set(struct up *u, const char *text, const char *where)
{
	const char *dot = strchr(text, '.'), *eq = strchr(text, '=');
	char node[32];
	const struct launch_kind *k;
	struct sv key, val;

	if (!dot || !eq || dot > eq || (size_t)(dot - text) >= sizeof(node)) {
		fprintf(stderr, "imstb up: %s'%s' is not node.key=value\n",
			where, text);
		return -EINVAL;
	}
	snprintf(node, sizeof(node), "%.*s", (int)(dot - text), text);
	k = launch_kind_find(node);
	if (!k || !k->up) {
		fprintf(stderr,
			"imstb up: %sunknown node '%s' (hss, scscf, "
			"pcscf)\n",
			where, node);
		return -EINVAL;
	}
	key = sv_trim((struct sv){ dot + 1, (size_t)(eq - dot - 1) });
	val = sv_trim(sv_from_cstr(eq + 1));
	u->sets = xrealloc(u->sets, (u->nsets + 1) * sizeof(*u->sets));
	u->sets[u->nsets].kind = k;
	u->sets[u->nsets].kv = xmalloc(key.len + val.len + 2);
	snprintf(u->sets[u->nsets++].kv, key.len + val.len + 2, "%.*s=%.*s",
		 SV_ARG(key), SV_ARG(val));
	return 0;
}

static int load_config(struct up *u, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], where[300];
	int n = 0, rc = 0;

	if (!f) {
		fprintf(stderr, "imstb up: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		struct sv l = sv_trim(sv_from_cstr(line));
		char *text;

		n++;
		if (!l.len || l.p[0] == '#')
			continue;
		text = sv_dup(l);
		snprintf(where, sizeof(where), "%s:%d: ", path, n);
		rc = add_set(u, text, where);
		free(text);
	}
	fclose(f);
	return rc;
}

/* The port a node will listen on: its `port` setting, else the plan. */
static uint16_t port_of(const struct up *u, const struct launch_kind *k)
{
	uint64_t v = k->def_port;

	for (size_t i = 0; i < u->nsets; i++)
		if (u->sets[i].kind == k && !strncmp(u->sets[i].kv, "port=", 5))
			sv_to_u64(sv_from_cstr(u->sets[i].kv + 5), 65535, &v);
	return (uint16_t)v;
}

static void stop_all(struct up *u)
{
	for (size_t i = u->nprocs; i-- > 0;) {
		struct launch_proc *p = &u->procs[i];
		bool running = p->pid != 0;
		int rc = launch_proc_stop(p, LAUNCH_GRACE_MS);

		if (running && rc == -ETIMEDOUT)
			fprintf(stderr,
				"imstb up: %s did not stop within %d s: "
				"killed\n",
				p->kind->name, LAUNCH_GRACE_MS / 1000);
		else if (running && rc)
			fprintf(stderr, "imstb up: %s exited with status %d\n",
				p->kind->name, p->status);
	}
}

static int start_all(struct up *u, const char *bindir)
{
	for (size_t i = 0; launch_kind_at(i); i++) {
		const struct launch_kind *k = launch_kind_at(i);
		struct launch_proc *p = &u->procs[u->nprocs];
		char path[4096], log[128], tail[256];
		int rc;

		if (!k->up)
			continue;
		snprintf(path, sizeof(path), "%s/%s", bindir, k->prog);
		snprintf(log, sizeof(log), UP_DIR "/%s.log", k->name);
		launch_proc_init(p, k, path, log);
		p->port = port_of(u, k);
		u->nprocs++;
		launch_proc_set(p, "trace_file=" UP_TRACE);
		launch_proc_set(p, "trace_node=%s", k->name);
		for (size_t j = 0; j < LAUNCH_PEERS && k->peers[j].node; j++) {
			const struct launch_kind *pk =
				launch_kind_find(k->peers[j].node);
			unsigned pi = k->peers[j].port;

			if (pk->up && pi <= LAUNCH_EXTRA)
				launch_proc_set(p, k->peers[j].set,
						pi ? pk->extra[pi - 1].def
						   : port_of(u, pk));
		}
		for (size_t j = 0; j < u->nsets; j++)
			if (u->sets[j].kind == k)
				launch_proc_set(p, "%s", u->sets[j].kv);
		if (access(path, X_OK)) {
			fprintf(stderr, "imstb up: no program %s (make all?)\n",
				path);
			return -ENOENT;
		}
		rc = launch_proc_start(p, false);
		if (!rc)
			rc = launch_proc_wait_listen(p, 10000);
		if (rc) {
			launch_log_tail(log, tail, sizeof(tail));
			fprintf(stderr, "imstb up: %s did not start (%s): %s\n",
				k->name,
				rc == -ECHILD ? "exited" : strerror(-rc), tail);
			return rc;
		}
	}
	return 0;
}

static void print_table(const struct up *u)
{
	printf("imstb up: the testbed runs on 127.0.0.1 (Ctrl-C stops it)\n");
	printf("  %-6s %-10s %-8s %-24s %s\n", "node", "program", "pid",
	       "listens on", "log");
	for (size_t i = 0; i < u->nprocs; i++) {
		const struct launch_proc *p = &u->procs[i];
		char where[40];

		snprintf(where, sizeof(where), "127.0.0.1:%u %s", p->port,
			 p->kind->listen == LAUNCH_TCP ? "tcp" : "udp+tcp");
		printf("  %-6s %-10s %-8d %-24s %s\n", p->kind->name,
		       p->kind->prog, (int)p->pid, where, p->log);
	}
	printf("  trace: %s (one JSON line per message)\n", UP_TRACE);
	fflush(stdout);
}

int up_main(int argc, char **argv, const char *bindir)
{
	struct up u = { 0 };
	int rc = 0, status = 0;
	FILE *f;

	for (int i = 0; i < argc && !rc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(up_usage, stdout);
			goto out;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			rc = load_config(&u, argv[++i]);
		} else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
			rc = add_set(&u, argv[++i], "");
		} else {
			fprintf(stderr,
				"imstb up: unexpected argument '%s'\n%s",
				argv[i], up_usage);
			rc = -EINVAL;
		}
	}
	if (rc) {
		status = 2;
		goto out;
	}
	for (size_t i = 0; launch_kind_at(i); i++) {
		const struct launch_kind *k = launch_kind_at(i);

		if (k->up && launch_port_busy(port_of(&u, k), k->listen)) {
			fprintf(stderr,
				"imstb up: port %u (%s) is in use; stop "
				"what runs there first\n",
				port_of(&u, k), k->name);
			status = 1;
			goto out;
		}
	}
	mkdir("var", 0755);
	mkdir(UP_DIR, 0755);
	f = fopen(UP_TRACE, "w"); /* this session's trace only */
	if (f)
		fclose(f);
	launch_signals_init();
	if (start_all(&u, bindir)) {
		stop_all(&u);
		status = 1;
		goto out;
	}
	print_table(&u);
	while (!launch_interrupted()) {
		for (size_t i = 0; i < u.nprocs; i++) {
			struct launch_proc *p = &u.procs[i];
			char tail[256];

			if (launch_proc_alive(p))
				continue;
			launch_log_tail(p->log, tail, sizeof(tail));
			fprintf(stderr,
				"imstb up: %s exited with status %d: %s"
				"\nimstb up: stopping the others\n",
				p->kind->name, p->status, tail);
			status = 1;
			goto stop;
		}
		launch_sleep(200);
	}
	printf("imstb up: signal %d: stopping\n", launch_interrupted());
stop:
	stop_all(&u);
	for (size_t i = 0; i < u.nprocs; i++)
		if (u.procs[i].exited && u.procs[i].status && !status)
			status = 1;
	if (!status)
		printf("imstb up: every node stopped cleanly\n");
out:
	for (size_t i = 0; i < u.nprocs; i++)
		launch_proc_close(&u.procs[i]);
	for (size_t i = 0; i < u.nsets; i++)
		free(u.sets[i].kv);
	free(u.sets);
	return status;
}
