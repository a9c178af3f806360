/*
 * up.c - `imstb up`: the testbed on the default port plan (or on free
 * ports), in the foreground, until Ctrl-C (or until one node dies), with
 * the live ladder (hub.h) on --hub PORT.
 *
 * Besides the IMS core it runs the WebRTC side (issue [browser]): the wws
 * whose page is the WebRTC client, the wsf, and the enterprise WWS
 * (wws-ent) when its program can be one; a wws-ent that does not start is
 * reported and left out. Every TLS server shows the wws's certificate
 * (made at its first start, before the wsf starts), so a browser that
 * accepted it once for 127.0.0.1 accepts them all.
 *
 * A figure selected on the ladder page (POST /select) is applied here,
 * outside the hub's loop: the nodes whose `config` lines change (and the
 * enterprise WWS after a wsf restart, since it registers its block at its
 * start) are stopped and started again with the scenario's lines last.
 */
#include "drive.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub.h"
#include "launch.h"

#define UP_DIR	 "var/up"
#define UP_TRACE UP_DIR "/trace.jsonl"
#define UP_CERT	 "var/wws/cert.pem"
#define UP_KEY	 "var/wws/key.pem"
#define UP_MAX	 8

struct up_set {
	const struct launch_kind *kind;
	char *kv; /* owned "key=value" */
};

struct up_node {
	const struct launch_kind *kind;
	uint16_t port, extra[LAUNCH_EXTRA];
	struct launch_proc proc;
	bool started;
	bool optional; /* wws-ent: left out if it cannot start */
	char **conf;   /* owned: the selected scenario's lines for it */
	size_t nconf;
};

struct up {
	struct up_set *sets;
	size_t nsets;
	struct up_node nodes[UP_MAX];
	size_t nnodes;
	const char *bindir;
	bool random;
	int hub_port; /* -1: the default, or a free one with --ports random */
	char *scn_dir;
	struct hub *hub;
};

static const char up_usage[] =
	"Usage: imstb up [--ports random] [--hub PORT] [--config FILE]\n"
	"                [--set node.key=value]... [--scenarios DIR]\n"
	"Starts every node of the testbed from the directory of imstb: the "
	"IMS core\n(hss-sim, scscf-sim, pcscf-sim) and the WebRTC side (wws, "
	"wsf, and the\nenterprise WWS wws-ent when available), on the "
	"default port plan\n(127.0.0.1: hss 3868, scscf 6060, pcscf 5060, "
	"wws 8443, wsf 7443 (WSS),\n7080 (WS), 5070 (SIP), wws-ent 9443), "
	"data under var/, logs and the\nshared trace under " UP_DIR
	"/, and the live ladder on http://127.0.0.1:8090/.\nCtrl-C stops "
	"them all.\n"
	"  --ports random         free ports instead of the plan (a --set "
	"port wins)\n"
	"  --hub PORT             the live ladder's port (0: none)\n"
	"  --config FILE          lines `node.key = value` (# comments)\n"
	"  --set node.key=value   one setting of one node, e.g. "
	"scscf.digest_algorithms=SHA-256,MD5\n"
	"  --scenarios DIR        the figures the ladder offers (default: "
	"scenarios/)\n";

/* The nodes it runs: those the node table marks (launch.c) and the
 * WebRTC side. */
static bool up_runs(const struct launch_kind *k)
{
	return k->up || !strcmp(k->name, "wws") || !strcmp(k->name, "wsf") ||
	       !strcmp(k->name, "wws-ent");
}

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
	if (!k || !up_runs(k)) {
		fprintf(stderr,
			"imstb up: %sunknown node '%s' (hss, scscf, "
			"pcscf, wws, wsf, wws-ent)\n",
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

/* ---- the port plan ------------------------------------------------------- */

/* The value of a --set key=... of kind k, if any. */
static bool set_port(const struct up *u, const struct launch_kind *k,
		     const char *key, uint16_t *port)
{
	size_t n = strlen(key);
	bool found = false;
	uint64_t v;

	for (size_t i = 0; i < u->nsets; i++)
		if (u->sets[i].kind == k && !strncmp(u->sets[i].kv, key, n) &&
		    u->sets[i].kv[n] == '=' &&
		    !sv_to_u64(sv_from_cstr(u->sets[i].kv + n + 1), 65535,
			       &v)) {
			*port = (uint16_t)v;
			found = true;
		}
	return found;
}

static int plan_ports(struct up *u)
{
	uint16_t used[UP_MAX * (1 + LAUNCH_EXTRA) + 1];
	size_t nused = 0;
	struct rng rng;

	rng_init(&rng, 0);
	for (size_t pass = 0; pass < 2; pass++) { /* explicit ones first */
		for (size_t i = 0; i < u->nnodes; i++) {
			struct up_node *n = &u->nodes[i];
			const struct launch_kind *k = n->kind;

			for (size_t x = 0; x <= LAUNCH_EXTRA; x++) {
				const char *key = x ? k->extra[x - 1].key
						  : k->port_key ? k->port_key
								: "port";
				uint16_t *p = x ? &n->extra[x - 1] : &n->port;
				uint16_t def =
					x ? k->extra[x - 1].def : k->def_port;

				if (!key)
					break;
				if (pass == 0 && !set_port(u, k, key, p))
					*p = u->random ? 0 : def;
				if (pass == 1 && !*p &&
				    launch_port_pick(&rng, used, nused, p))
					return -EADDRINUSE;
				if (pass == 1)
					used[nused++] = *p;
			}
		}
	}
	if (u->random && u->hub_port < 0) {
		uint16_t p;

		if (launch_port_pick(&rng, used, nused, &p))
			return -EADDRINUSE;
		u->hub_port = p;
	}
	if (u->hub_port < 0)
		u->hub_port = HUB_DEFAULT_PORT;
	return 0;
}

/* The node called name, if it is one of the testbed's. */
static struct up_node *node_find(struct up *u, const char *name)
{
	for (size_t i = 0; i < u->nnodes; i++)
		if (!strcmp(u->nodes[i].kind->name, name))
			return &u->nodes[i];
	return NULL;
}

/* The same, if it runs. */
static const struct up_node *node_up(struct up *u, const char *name)
{
	const struct up_node *n = node_find(u, name);

	return n && n->started ? n : NULL;
}

/* ---- starting and stopping ------------------------------------------------
 */

/* Is k's program already run by an earlier node (wws-ent after wws)? Then
 * its data go to var/<node>/, not to the program's default place. */
static bool second_instance(const struct up *u, const struct up_node *n)
{
	for (const struct up_node *o = u->nodes; o < n; o++)
		if (!strcmp(o->kind->prog, n->kind->prog))
			return true;
	return false;
}

static void node_args(struct up *u, struct up_node *n)
{
	const struct launch_kind *k = n->kind;
	struct launch_proc *p = &n->proc;
	char path[4096], log[128];

	snprintf(path, sizeof(path), "%s/%s", u->bindir, k->prog);
	snprintf(log, sizeof(log), UP_DIR "/%s.log", k->name);
	launch_proc_close(p);
	launch_proc_init(p, k, path, log);
	p->port = n->port;
	memcpy(p->extra_port, n->extra, sizeof(n->extra));
	for (size_t j = 0; j < LAUNCH_PRESETS && k->presets[j]; j++)
		launch_proc_set(p, "%s", k->presets[j]);
	launch_proc_set(p, "trace_file=" UP_TRACE);
	launch_proc_set(p, "trace_node=%s", k->name);
	launch_proc_set(p, "%s=%u", k->port_key ? k->port_key : "port",
			n->port);
	for (size_t j = 0; j < LAUNCH_EXTRA && k->extra[j].key; j++)
		launch_proc_set(p, "%s=%u", k->extra[j].key, n->extra[j]);
	for (size_t j = 0; j < LAUNCH_PEERS && k->peers[j].node; j++) {
		const struct up_node *pn = node_find(u, k->peers[j].node);
		unsigned pi = k->peers[j].port;

		if (pn && pi <= LAUNCH_EXTRA)
			launch_proc_set(p, k->peers[j].set,
					pi ? pn->extra[pi - 1] : pn->port);
	}
	if (second_instance(u, n)) {
		mkdir("var", 0755);
		snprintf(path, sizeof(path), "var/%s", k->name);
		mkdir(path, 0755);
		if (k->db_key)
			launch_proc_set(p, "%s=var/%s/%s.db", k->db_key,
					k->name, k->prog);
	}
	for (size_t j = 0; j < LAUNCH_FILES && k->files[j]; j++) {
		const char *f = k->files[j], *eq = strchr(f, '=');

		if (!strncmp(f, "cert=", 5) || !strncmp(f, "key=", 4))
			launch_proc_set(p, "%.*s=%s", (int)(eq - f), f,
					f[0] == 'c' ? UP_CERT : UP_KEY);
		else if (second_instance(u, n))
			launch_proc_set(p, "%.*s=var/%s/%s", (int)(eq - f), f,
					k->name, eq + 1);
	}
	for (size_t j = 0; j < u->nsets; j++)
		if (u->sets[j].kind == k)
			launch_proc_set(p, "%s", u->sets[j].kv);
	for (size_t j = 0; j < n->nconf; j++)
		launch_proc_set(p, "%s", n->conf[j]);
}

/* again: a restart (its log goes on). A node that cannot start is
 * stopped; an optional one is then left out. */
static int node_start(struct up *u, struct up_node *n, bool again)
{
	char tail[256];
	int rc;

	node_args(u, n);
	if (access(n->proc.argv[0], X_OK)) {
		fprintf(stderr, "imstb up: no program %s (make all?)\n",
			n->proc.argv[0]);
		return -ENOENT;
	}
	n->started = true;
	rc = launch_proc_start(&n->proc, again);
	if (!rc)
		rc = launch_proc_wait_listen(&n->proc, 10000);
	if (rc) {
		launch_log_tail(n->proc.log, tail, sizeof(tail));
		fprintf(stderr, "imstb up: %s did not start (%s): %s\n",
			n->kind->name, rc == -ECHILD ? "exited" : strerror(-rc),
			tail);
		launch_proc_stop(&n->proc, LAUNCH_GRACE_MS);
		n->started = !n->optional;
		return rc;
	}
	return 0;
}

static void node_stop(struct up_node *n)
{
	struct launch_proc *p = &n->proc;
	bool running = p->pid != 0;
	int rc = launch_proc_stop(p, LAUNCH_GRACE_MS);

	if (running && rc == -ETIMEDOUT)
		fprintf(stderr,
			"imstb up: %s did not stop within %d s: killed\n",
			n->kind->name, LAUNCH_GRACE_MS / 1000);
	else if (running && rc)
		fprintf(stderr, "imstb up: %s exited with status %d\n",
			n->kind->name, p->status);
}

static void stop_all(struct up *u)
{
	for (size_t i = u->nnodes; i-- > 0;)
		node_stop(&u->nodes[i]);
}

static int start_all(struct up *u)
{
	for (size_t i = 0; i < u->nnodes; i++) {
		struct up_node *n = &u->nodes[i];
		int rc = node_start(u, n, false);

		if (rc == -EINTR || (rc && !n->optional))
			return rc;
		if (rc)
			fprintf(stderr,
				"imstb up: going on without %s (no "
				"enterprise user)\n",
				n->kind->name);
	}
	return 0;
}

/* ---- a figure selected on the ladder --------------------------------------
 */

static bool conf_same(const struct up_node *n, const struct scn *s)
{
	size_t k = 0;

	for (size_t i = 0; s && i < s->nconfs; i++) {
		if (strcmp(s->confs[i].node, n->kind->name))
			continue;
		if (k >= n->nconf || strcmp(n->conf[k], s->confs[i].kv))
			return false;
		k++;
	}
	return k == n->nconf;
}

static void conf_take(struct up_node *n, const struct scn *s)
{
	for (size_t i = 0; i < n->nconf; i++)
		free(n->conf[i]);
	free(n->conf);
	n->conf = NULL;
	n->nconf = 0;
	for (size_t i = 0; s && i < s->nconfs; i++) {
		if (strcmp(s->confs[i].node, n->kind->name))
			continue;
		n->conf = xrealloc(n->conf, (n->nconf + 1) * sizeof(char *));
		n->conf[n->nconf++] = xstrdup(s->confs[i].kv);
	}
}

/* Restarts what s changes; a node that does not start with the figure's
 * lines is started again without them. why: what was done. *since: when
 * the nodes started again, if what they send at their start is part of
 * the figure (the enterprise WWS's block registration, when the figure
 * has that node), else 0. */
static int apply(struct up *u, const struct scn *s, char *why, size_t n,
		 double *since)
{
	bool again[UP_MAX] = { false };
	struct up_node *wsf = node_find(u, "wsf");
	struct up_node *ent = node_find(u, "wws-ent");
	struct buf b;
	int rc = 0;

	for (size_t i = 0; i < u->nnodes; i++)
		again[i] = u->nodes[i].started && !conf_same(&u->nodes[i], s);
	/* The enterprise WWS registers its block with the wsf at its start. */
	if (wsf && ent && ent->started && again[wsf - u->nodes])
		again[ent - u->nodes] = true;
	buf_init(&b);
	for (size_t i = u->nnodes; i-- > 0;)
		if (again[i])
			node_stop(&u->nodes[i]);
	*since = ent && again[ent - u->nodes] && s && scn_has_node(s, "wws-ent")
			 ? (double)time_now_us() / 1e6
			 : 0;
	for (size_t i = 0; i < u->nnodes; i++) {
		struct up_node *nd = &u->nodes[i];

		if (!again[i])
			continue;
		conf_take(nd, s);
		buf_printf(&b, "%s%s", b.len ? ", " : "restarted ",
			   nd->kind->name);
		if (node_start(u, nd, true) == 0)
			continue;
		rc = -EINVAL;
		buf_printf(&b, " (failed with the figure's settings: back to "
			       "its own)");
		conf_take(nd, NULL);
		if (node_start(u, nd, true))
			buf_printf(&b, " (and without them: down)");
	}
	snprintf(why, n, "%s", b.len ? b.data : "nothing to restart");
	buf_close(&b);
	return rc;
}

/* ---- the ladder ------------------------------------------------------------
 */

/* scenarios/ beside the tree imstb was built in (bin/ or build/san/bin/),
 * else in the current directory. */
static char *scn_dir_find(const char *bindir)
{
	static const char *const up[] = { "/..", "/../../.." };
	struct stat st;
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < ARRAY_SIZE(up); i++) {
		buf_reset(&b);
		buf_printf(&b, "%s%s/scenarios", bindir, up[i]);
		if (stat(b.data, &st) == 0 && S_ISDIR(st.st_mode))
			return buf_steal(&b, NULL);
	}
	buf_close(&b);
	return xstrdup("scenarios");
}

static int hub_start(struct up *u)
{
	static const char *const order[] = { "client", "wws",	"wws-ent",
					     "wsf",    "pcscf", "scscf",
					     "hss" };
	struct mt_name names[UP_MAX * (1 + LAUNCH_EXTRA)];
	const char *nodes[UP_MAX + 1];
	struct hub_link links[2];
	char url[2][160], err[256];
	struct hub_conf c = { .port = (uint16_t)u->hub_port,
			      .trace = UP_TRACE,
			      .scn_dir = u->scn_dir,
			      .names = names,
			      .nodes = nodes,
			      .links = links };
	const struct up_node *wws = node_up(u, "wws");
	const struct up_node *ent = node_up(u, "wws-ent");

	memset(names, 0, sizeof(names));
	for (size_t i = 0; i < u->nnodes; i++) {
		for (size_t x = 0; x <= LAUNCH_EXTRA; x++) {
			const struct up_node *n = &u->nodes[i];
			struct sockaddr_in *s4 = (void *)&names[c.nnames].addr;
			uint16_t port = x ? n->extra[x - 1] : n->port;

			if (!port || (x && !n->kind->extra[x - 1].key))
				continue;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(port);
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			snprintf(names[c.nnames++].name, sizeof(names[0].name),
				 "%s", n->kind->name);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (!i || node_up(u, order[i]))
			nodes[c.nnodes++] = order[i];
	/* The page offers the enterprise user a link to its own WWS. */
	if (wws && ent)
		snprintf(url[0], sizeof(url[0]),
			 "https://127.0.0.1:%u/?enterprise=https://"
			 "127.0.0.1:%u/",
			 wws->port, ent->port);
	else if (wws)
		snprintf(url[0], sizeof(url[0]), "https://127.0.0.1:%u/",
			 wws->port);
	if (wws)
		links[c.nlinks++] =
			(struct hub_link){ "WebRTC client", url[0] };
	if (ent) {
		snprintf(url[1], sizeof(url[1]), "https://127.0.0.1:%u/",
			 ent->port);
		links[c.nlinks++] =
			(struct hub_link){ "Enterprise WWS", url[1] };
	}
	if (hub_new(&u->hub, &c, err, sizeof(err))) {
		fprintf(stderr, "imstb up: the live ladder: %s\n", err);
		return -EADDRINUSE;
	}
	return 0;
}

static void print_table(struct up *u)
{
	const struct up_node *wws = node_up(u, "wws");
	const struct up_node *ent = node_up(u, "wws-ent");

	printf("imstb up: the testbed runs on 127.0.0.1 (Ctrl-C stops it)\n");
	printf("  %-7s %-10s %-8s %-30s %s\n", "node", "program", "pid",
	       "listens on", "log");
	for (size_t i = 0; i < u->nnodes; i++) {
		const struct up_node *n = &u->nodes[i];
		char where[64];
		int w;

		if (!n->started)
			continue;
		w = snprintf(where, sizeof(where), "127.0.0.1:%u %s", n->port,
			     n->kind->listen == LAUNCH_TCP ? "tcp" : "udp+tcp");
		for (size_t x = 0; x < LAUNCH_EXTRA && n->kind->extra[x].key &&
				   w > 0 && (size_t)w < sizeof(where);
		     x++)
			w += snprintf(where + w, sizeof(where) - (size_t)w,
				      " +%u", n->extra[x]);
		printf("  %-7s %-10s %-8d %-30s %s\n", n->kind->name,
		       n->kind->prog, (int)n->proc.pid, where, n->proc.log);
	}
	printf("  trace: %s (one JSON line per message)\n", UP_TRACE);
	if (wws)
		printf("  open the WebRTC client: https://127.0.0.1:%u/ "
		       "(accept its certificate once: " UP_CERT ")\n",
		       wws->port);
	if (ent)
		printf("  the enterprise user's page: https://127.0.0.1:%u/\n",
		       ent->port);
	if (u->hub)
		printf("  live ladder: http://127.0.0.1:%u/\n",
		       hub_port(u->hub));
	fflush(stdout);
}

/* ---- main ------------------------------------------------------------------
 */

static int parse_args(struct up *u, int argc, char **argv, bool *help)
{
	int rc = 0;

	for (int i = 0; i < argc && !rc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t port;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
		} else if (!strcmp(a, "--config") && v) {
			rc = load_config(u, argv[++i]);
		} else if (!strcmp(a, "--set") && v) {
			rc = add_set(u, argv[++i], "");
		} else if (!strcmp(a, "--ports") && v &&
			   (!strcmp(v, "random") || !strcmp(v, "plan"))) {
			u->random = !strcmp(argv[++i], "random");
		} else if (!strcmp(a, "--hub") && v &&
			   !sv_to_u64(sv_from_cstr(v), 65535, &port)) {
			u->hub_port = (int)port;
			i++;
		} else if (!strcmp(a, "--scenarios") && v) {
			free(u->scn_dir);
			u->scn_dir = xstrdup(argv[++i]);
		} else {
			fprintf(stderr,
				"imstb up: unexpected argument '%s'\n%s", a,
				up_usage);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* Supervises until a signal or a death; applies selections. 0 or 1. */
static int supervise(struct up *u)
{
	while (!launch_interrupted()) {
		const struct scn *s;
		char why[256];

		for (size_t i = 0; i < u->nnodes; i++) {
			struct up_node *n = &u->nodes[i];
			char tail[256];

			if (!n->started || launch_proc_alive(&n->proc))
				continue;
			launch_log_tail(n->proc.log, tail, sizeof(tail));
			fprintf(stderr,
				"imstb up: %s exited with status %d: %s"
				"\nimstb up: stopping the others\n",
				n->kind->name, n->proc.status, tail);
			return 1;
		}
		if (!u->hub) {
			launch_sleep(200);
			continue;
		}
		hub_run(u->hub, 200);
		if (hub_select_pending(u->hub, &s)) {
			double since = 0;
			int rc = apply(u, s, why, sizeof(why), &since);

			printf("imstb up: figure %s: %s\n",
			       s && s->figure ? s->figure : "none", why);
			fflush(stdout);
			hub_select_done(u->hub, rc, why, since);
		}
	}
	printf("imstb up: signal %d: stopping\n", launch_interrupted());
	return 0;
}

int up_main(int argc, char **argv, const char *bindir)
{
	struct up u = { .bindir = bindir, .hub_port = -1 };
	bool help = false;
	int status = 0;
	FILE *f;

	for (size_t i = 0; launch_kind_at(i); i++) {
		const struct launch_kind *k = launch_kind_at(i);

		if (up_runs(k) && u.nnodes < UP_MAX)
			u.nodes[u.nnodes++] = (struct up_node){
				.kind = k,
				.optional = !strcmp(k->name, "wws-ent"),
				.proc = { .in_fd = -1, .out_fd = -1 }
			};
	}
	if (parse_args(&u, argc, argv, &help)) {
		status = 2;
		goto out;
	}
	if (help) {
		fputs(up_usage, stdout);
		goto out;
	}
	if (!u.scn_dir)
		u.scn_dir = scn_dir_find(bindir);
	if (plan_ports(&u)) {
		fprintf(stderr, "imstb up: no free ports\n");
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < u.nnodes; i++) {
		const struct up_node *n = &u.nodes[i];
		bool busy = launch_port_busy(n->port, n->kind->listen);

		for (size_t x = 0; x < LAUNCH_EXTRA && n->kind->extra[x].key;
		     x++)
			busy = busy ||
			       launch_port_busy(n->extra[x],
						n->kind->extra[x].listen);
		if (busy && !n->optional) {
			fprintf(stderr,
				"imstb up: port %u (%s) is in use; stop "
				"what runs there first\n",
				n->port, n->kind->name);
			status = 1;
			goto out;
		}
	}
	if (u.hub_port && launch_port_busy((uint16_t)u.hub_port, LAUNCH_TCP)) {
		fprintf(stderr,
			"imstb up: port %d (the live ladder) is in use; "
			"--hub PORT, or --hub 0 for none\n",
			u.hub_port);
		status = 1;
		goto out;
	}
	mkdir("var", 0755);
	mkdir(UP_DIR, 0755);
	f = fopen(UP_TRACE, "w"); /* this session's trace only */
	if (f)
		fclose(f);
	launch_signals_init();
	if (start_all(&u) || (u.hub_port && hub_start(&u))) {
		stop_all(&u);
		status = 1;
		goto out;
	}
	print_table(&u);
	status = supervise(&u);
	stop_all(&u);
	for (size_t i = 0; i < u.nnodes; i++)
		if (u.nodes[i].proc.exited && u.nodes[i].proc.status && !status)
			status = 1;
	if (!status)
		printf("imstb up: every node stopped cleanly\n");
out:
	hub_free(u.hub);
	for (size_t i = 0; i < u.nnodes; i++) {
		launch_proc_close(&u.nodes[i].proc);
		conf_take(&u.nodes[i], NULL);
	}
	for (size_t i = 0; i < u.nsets; i++)
		free(u.sets[i].kv);
	free(u.sets);
	free(u.scn_dir);
	return status;
}
