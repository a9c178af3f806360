/* load.c - client-sim's load mode (load.h). */
#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define TICK_MS	    2	 /* pacing of starts and de-registrations */
#define PROGRESS_MS 1000 /* a progress line on stderr */
#define NAME_MAX_   48

static const char load_usage[] =
	"  load --clients N --rate R [--mode wss|web] [--hold S] "
	"[--expires E]\n"
	"       [--timeout-ms T] [--deadline S] [--first K] [--prefix P]\n"
	"       [--web-domain D] [--login-path PATH] [--leave-rate L]\n"
	"    N clients (users PNNNNN of `hss-sim bulk N` / `wws user bulk "
	"N`), R starts\n"
	"    per second, each over its own WSS to wsf_url: wss = REGISTER "
	"with Digest,\n"
	"    web = HTTPS login at wws_url, then REGISTER with the token; "
	"hold S s\n"
	"    (default 10), de-register at L/s (default R; 0: just close);\n"
	"    progress on stderr, a "
	"\"holding\" line\n"
	"    and a final JSON report on stdout (registered, failed by "
	"status,\n"
	"    refreshes, regs_per_s, p50/p90/p99/max_ms time-to-registered)."
	"\n";

enum lc_state {
	LC_IDLE = 0,
	LC_LOGIN,   /* web: login in flight */
	LC_REG,	    /* REGISTER (and the WebSocket) in flight */
	LC_HELD,    /* registered */
	LC_DEREG,   /* de-registration in flight */
	LC_DONE,    /* de-registered */
	LC_FAILED,  /* never registered, or lost */
};

struct lclient {
	uint64_t t0; /* uv_hrtime at start */
	uint8_t state;
};

enum phase { PH_RAMP, PH_HOLD, PH_LEAVE, PH_END };

struct load {
	struct client_conf conf; /* a copy, with limits fitting N */
	const struct load_opts *o;
	uv_loop_t *loop;
	struct client *c; /* NULL once closed */
	struct app app;
	uv_timer_t tick, progress, deadline, hold;
	struct lclient *cl;   /* owned, N */
	uint32_t *lat_us;     /* owned, one per registered client */
	json_t *fail_status;  /* owned: {"<status>": count} */
	enum phase phase;
	long started, registered, failed, held, held_max;
	long refreshes, refresh_failed;
	long left, deregistered, dereg_failed; /* leave phase */
	long tmo_next;	      /* oldest client that may time out */
	uint64_t t_start, t_phase, t_last_start, t_last_reg;
	bool deadline_hit, interrupted;
};

static const char *lstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ---- options ------------------------------------------------------------ */

int load_opts_parse(struct load_opts *o, int argc, char **argv, char *err,
		    size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
		long lo, hi;
	} nums[] = {
		{ "--clients", offsetof(struct load_opts, clients), 1, 99999 },
		{ "--rate", offsetof(struct load_opts, rate), 1, 1000000 },
		{ "--hold", offsetof(struct load_opts, hold_s), 0, 86400 },
		{ "--expires", offsetof(struct load_opts, expires), 1,
		  2147483647 },
		{ "--timeout-ms", offsetof(struct load_opts, timeout_ms), 100,
		  600000 },
		{ "--deadline", offsetof(struct load_opts, deadline_s), 0,
		  86400 },
		{ "--first", offsetof(struct load_opts, first), 1, 99999 },
		{ "--leave-rate", offsetof(struct load_opts, leave_rate), 0,
		  1000000 },
	};
	uint64_t n;
	int i;

	*o = (struct load_opts){ .clients = 0, .rate = 100, .hold_s = 10,
				 .leave_rate = -1,
				 .expires = 600, .timeout_ms = 10000,
				 .first = 1, .prefix = "user",
				 .web_domain = "web.example.com",
				 .login_path = "/login" };
	for (i = 0; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t j;

		if (!v) {
			snprintf(err, errlen, "%s needs a value", k);
			return -EINVAL;
		}
		i++;
		for (j = 0; j < ARRAY_SIZE(nums); j++)
			if (!strcmp(k, nums[j].name))
				break;
		if (j < ARRAY_SIZE(nums)) {
			if (sv_to_u64(sv_from_cstr(v), (uint64_t)nums[j].hi,
				      &n) || (long)n < nums[j].lo) {
				snprintf(err, errlen, "%s: %ld..%ld, not '%s'",
					 k, nums[j].lo, nums[j].hi, v);
				return -EINVAL;
			}
			*(long *)(void *)((char *)o + nums[j].off) = (long)n;
		} else if (!strcmp(k, "--mode") &&
			   (!strcmp(v, "wss") || !strcmp(v, "web"))) {
			o->web = !strcmp(v, "web");
		} else if (!strcmp(k, "--prefix")) {
			o->prefix = v;
		} else if (!strcmp(k, "--web-domain")) {
			o->web_domain = v;
		} else if (!strcmp(k, "--login-path")) {
			o->login_path = v;
		} else {
			snprintf(err, errlen, "unknown option '%s %s'", k, v);
			return -EINVAL;
		}
	}
	if (o->leave_rate < 0)
		o->leave_rate = o->rate;
	if (!o->clients || o->first + o->clients - 1 > 99999 ||
	    strlen(o->prefix) > 20) {
		snprintf(err, errlen, "--clients N is required (first + N - 1 "
			 "<= 99999, prefix <= 20 bytes)");
		return -EINVAL;
	}
	return 0;
}

/* ---- clients ------------------------------------------------------------ */

static void user_name(const struct load *l, long i, char *out, size_t n)
{
	snprintf(out, n, "%s%05ld", l->o->prefix, l->o->first + i);
}

/* The index of a UA name, or -1. */
static long user_index(const struct load *l, const char *name)
{
	size_t pl = strlen(l->o->prefix);
	uint64_t n;

	if (strncmp(name, l->o->prefix, pl) ||
	    sv_to_u64(sv_from_cstr(name + pl), 99999, &n) ||
	    (long)n < l->o->first || (long)n >= l->o->first + l->o->clients)
		return -1;
	return (long)n - l->o->first;
}

static void count_fail(struct load *l, long i, long status)
{
	char key[16];
	json_t *v;

	snprintf(key, sizeof(key), "%ld", status);
	v = json_object_get(l->fail_status, key);
	json_object_set_new(l->fail_status, key,
			    json_integer(v ? json_integer_value(v) + 1 : 1));
	l->cl[i].state = LC_FAILED;
	l->failed++;
}

static void maybe_settled(struct load *l);
static void maybe_left(struct load *l);

/* A client that never registered: counted once, its UA forgotten. */
static void client_failed(struct load *l, long i, long status)
{
	char name[NAME_MAX_];

	if (l->cl[i].state != LC_LOGIN && l->cl[i].state != LC_REG)
		return;
	count_fail(l, i, status);
	user_name(l, i, name, sizeof(name));
	client_drop(l->c, name);
	maybe_settled(l);
}

static int reg_start(struct load *l, long i)
{
	char name[NAME_MAX_], impu[112], impi[96], pw[16];
	struct client_reg_args a = { 0 };

	user_name(l, i, name, sizeof(name));
	snprintf(impi, sizeof(impi), "%s@%s", name, l->conf.home_domain);
	snprintf(impu, sizeof(impu), "sip:%s", impi);
	snprintf(pw, sizeof(pw), "pass-%05ld", l->o->first + i);
	a = (struct client_reg_args){ .name = name, .impu = impu,
				      .impi = impi, .password = pw,
				      .expires = l->o->expires,
				      .transport = CLIENT_TR_WSS,
				      .bearer = l->o->web };
	l->cl[i].state = LC_REG;
	return client_register(l->c, &a);
}

static void client_start(struct load *l, long i)
{
	char name[NAME_MAX_], id[96], pw[16];
	int rc;

	l->cl[i].t0 = uv_hrtime();
	if (l->o->web) {
		user_name(l, i, name, sizeof(name));
		snprintf(id, sizeof(id), "%s@%s", name, l->o->web_domain);
		snprintf(pw, sizeof(pw), "pass-%05ld", l->o->first + i);
		l->cl[i].state = LC_LOGIN;
		rc = client_web_login(l->c, name, l->o->login_path, id, pw);
	} else {
		rc = reg_start(l, i);
	}
	if (rc) {
		log_warn("client %ld: refused at start: %s", i, strerror(-rc));
		l->cl[i].state = LC_REG;
		client_failed(l, i, 0);
	}
}

/* ---- events ------------------------------------------------------------- */

static void on_registered(struct load *l, long i)
{
	uint64_t now = uv_hrtime();

	if (l->cl[i].state != LC_REG)
		return;
	l->cl[i].state = LC_HELD;
	l->lat_us[l->registered++] = (uint32_t)((now - l->cl[i].t0) / 1000);
	l->t_last_reg = now;
	if (++l->held > l->held_max)
		l->held_max = l->held;
	maybe_settled(l);
}

static void on_gone(struct load *l, long i, bool ok)
{
	char name[NAME_MAX_];

	if (l->cl[i].state == LC_DEREG) {
		l->cl[i].state = LC_DONE;
		if (ok)
			l->deregistered++;
		else
			l->dereg_failed++;
	} else if (l->cl[i].state == LC_HELD) {
		l->cl[i].state = LC_FAILED; /* a refresh failed */
		l->refresh_failed++;
	} else {
		return;
	}
	l->held--;
	user_name(l, i, name, sizeof(name));
	client_drop(l->c, name);
	maybe_left(l);
}

static void on_event(const json_t *ev, void *arg)
{
	struct load *l = arg;
	const char *e = lstr(ev, "event"), *op = lstr(ev, "op");
	long i = user_index(l, lstr(ev, "ua"));
	long status = (long)json_integer_value(json_object_get(ev, "status"));
	int rc;

	if (i < 0 || l->phase == PH_END) {
		if (!strcmp(e, "error"))
			log_warn("load: %s", lstr(ev, "reason"));
		return;
	}
	if (!strcmp(e, "login")) {
		if (l->cl[i].state != LC_LOGIN)
			return;
		if (strcmp(lstr(ev, "result"), "ok") ||
		    !json_object_get(ev, "token")) {
			client_failed(l, i, status);
			return;
		}
		rc = reg_start(l, i);
		if (rc)
			client_failed(l, i, 0);
	} else if (!strcmp(e, "registered")) {
		on_registered(l, i);
	} else if (!strcmp(e, "refreshed")) {
		l->refreshes++;
	} else if (!strcmp(e, "deregistered")) {
		on_gone(l, i, true);
	} else if (!strcmp(e, "failed")) {
		if (!strcmp(op, "refresh") || !strcmp(op, "deregister"))
			on_gone(l, i, false);
		else
			client_failed(l, i, status);
		if (l->failed + l->refresh_failed <= 5)
			log_warn("load: %s %s failed: %ld %s", lstr(ev, "ua"),
				 op, status, lstr(ev, "reason"));
	}
}

/* ---- phases ------------------------------------------------------------- */

static void finish(struct load *l);

static void on_hold_end(uv_timer_t *t)
{
	struct load *l = t->data;

	l->phase = PH_LEAVE;
	l->t_phase = uv_hrtime();
	if (!l->o->leave_rate) {
		finish(l); /* closes every WebSocket, no de-registration */
		return;
	}
	maybe_left(l);
}

static void maybe_settled(struct load *l)
{
	json_t *j;

	if (l->phase != PH_RAMP || l->registered + l->failed < l->o->clients)
		return;
	l->phase = PH_HOLD;
	j = json_pack("{s:s,s:I,s:I,s:I,s:f}", "event", "holding",
		      "registered", (json_int_t)l->registered, "failed",
		      (json_int_t)l->failed, "held", (json_int_t)l->held,
		      "elapsed_s", secs(uv_hrtime() - l->t_start));
	json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
	printf("\n");
	fflush(stdout);
	json_decref(j);
	uv_timer_start(&l->hold, on_hold_end, (uint64_t)l->o->hold_s * 1000,
		       0);
}

/* The leave phase ends when every client is done, failed or gave up. */
static void maybe_left(struct load *l)
{
	if (l->phase == PH_LEAVE && l->left == l->o->clients && !l->held)
		finish(l);
}

/* Clients due by now at rate, from t_phase (the first at once). */
static long due(const struct load *l, uint64_t now, long rate)
{
	uint64_t n = (now - l->t_phase) / 1000 * (uint64_t)rate / 1000000 + 1;

	return n > (uint64_t)l->o->clients ? l->o->clients : (long)n;
}

static void on_tick(uv_timer_t *t)
{
	struct load *l = t->data;
	uint64_t now = uv_hrtime(), tmo = (uint64_t)l->o->timeout_ms * 1000000;
	char name[NAME_MAX_];
	long n;

	if (l->phase == PH_RAMP) {
		for (n = due(l, now, l->o->rate);
		     l->started < n && l->phase == PH_RAMP;)
			client_start(l, l->started++);
		if (l->started == l->o->clients && !l->t_last_start)
			l->t_last_start = uv_hrtime();
	}
	/* Start times grow with the index: the oldest first. */
	while (l->phase != PH_END && l->tmo_next < l->started &&
	       l->cl[l->tmo_next].t0 + tmo <= now) {
		long i = l->tmo_next++;

		if (l->cl[i].state == LC_LOGIN || l->cl[i].state == LC_REG)
			client_failed(l, i, 408);
	}
	if (l->phase != PH_LEAVE)
		return;
	for (n = due(l, now, l->o->leave_rate);
	     l->left < n && l->phase == PH_LEAVE;) {
		long i = l->left++;

		if (l->cl[i].state != LC_HELD)
			continue;
		user_name(l, i, name, sizeof(name));
		l->cl[i].state = LC_DEREG;
		if (client_deregister(l->c, name))
			on_gone(l, i, false);
	}
	maybe_left(l);
}

static void on_progress(uv_timer_t *t)
{
	struct load *l = t->data;

	fprintf(stderr,
		"load: %.1f s started %ld registered %ld failed %ld held %ld "
		"refreshes %ld deregistered %ld\n",
		secs(uv_hrtime() - l->t_start), l->started, l->registered,
		l->failed, l->held, l->refreshes, l->deregistered);
}

static void on_deadline(uv_timer_t *t)
{
	struct load *l = t->data;

	l->deadline_hit = true;
	log_warn("load: deadline of %.0f s passed", (double)t->timeout / 1e3);
	finish(l);
}

static void on_stop(void *arg)
{
	struct load *l = arg;

	l->interrupted = true;
	finish(l);
}

/* ---- report ------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted latencies, in ms. */
static double pct(const struct load *l, double p)
{
	size_t k;

	if (!l->registered)
		return 0;
	k = (size_t)(p / 100.0 * (double)l->registered + 0.999999);
	k = k ? k - 1 : 0;
	if (k >= (size_t)l->registered)
		k = (size_t)l->registered - 1;
	return (double)l->lat_us[k] / 1000.0;
}

static void report(struct load *l)
{
	uint64_t span = l->t_last_reg > l->t_start ? l->t_last_reg - l->t_start
						   : 0;
	double ramp = l->t_last_start ? secs(l->t_last_start - l->t_start) : 0;
	json_t *j;

	qsort(l->lat_us, (size_t)l->registered, sizeof(*l->lat_us), cmp_u32);
	j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:O,s:I,s:I,s:I,s:I,s:I,"
		      "s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:b}",
		      "event", "report", "mode", l->o->web ? "web" : "wss",
		      "clients", (json_int_t)l->o->clients, "rate",
		      (json_int_t)l->o->rate, "attempted",
		      (json_int_t)l->started, "registered",
		      (json_int_t)l->registered, "failed",
		      (json_int_t)l->failed, "failed_by_status",
		      l->fail_status, "held_max", (json_int_t)l->held_max,
		      "refreshes", (json_int_t)l->refreshes,
		      "refresh_failed", (json_int_t)l->refresh_failed,
		      "deregistered", (json_int_t)l->deregistered,
		      "dereg_failed", (json_int_t)l->dereg_failed,
		      "regs_per_s",
		      span ? (double)l->registered / secs(span) : 0.0,
		      "ramp_s", ramp,
		      "p50_ms", pct(l, 50), "p90_ms", pct(l, 90), "p99_ms",
		      pct(l, 99), "max_ms", pct(l, 100), "elapsed_s",
		      secs(uv_hrtime() - l->t_start), "complete",
		      !l->deadline_hit && !l->interrupted);
	json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
	printf("\n");
	fflush(stdout);
	json_decref(j);
}

static void finish(struct load *l)
{
	if (l->phase == PH_END)
		return;
	l->phase = PH_END;
	report(l);
	uv_close((uv_handle_t *)&l->tick, NULL);
	uv_close((uv_handle_t *)&l->progress, NULL);
	uv_close((uv_handle_t *)&l->deadline, NULL);
	uv_close((uv_handle_t *)&l->hold, NULL);
	app_signals_close(&l->app);
	client_close(l->c); /* abandons what is in flight */
	l->c = NULL;
}

/* ---- run ---------------------------------------------------------------- */

static void fd_check(long n)
{
	struct rlimit r;

	/* Each client holds a socket; the benchmark raises the limit. */
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 &&
	    r.rlim_cur < (rlim_t)n + 64)
		log_warn("load: %ld clients but ulimit -n is %lu: raise it",
			 n, (unsigned long)r.rlim_cur);
}

int load_run(const struct client_conf *conf, const struct load_opts *o,
	     struct trace *trace, struct rng *rng)
{
	struct load *l = xcalloc(1, sizeof(*l));
	uv_loop_t loop;
	uint64_t deadline;
	int rc, status = 1;

	l->conf = *conf;
	l->o = o;
	l->loop = &loop;
	if (l->conf.max_trans < 4 * o->clients)
		l->conf.max_trans = 4 * o->clients;
	if (log_get_level() == LOG_INFO) /* a line per client is too much */
		log_set_level(LOG_WARN);
	fd_check(o->clients);
	l->cl = xcalloc((size_t)o->clients, sizeof(*l->cl));
	l->lat_us = xcalloc((size_t)o->clients, sizeof(*l->lat_us));
	l->fail_status = json_object();
	uv_loop_init(&loop);
	rc = client_new(&l->c, &loop, &l->conf, trace, rng, on_event, l);
	if (rc) {
		fprintf(stderr, "client-sim: load: cannot start: %s\n",
			uv_strerror(rc));
		uv_loop_close(&loop);
		goto out;
	}
	uv_timer_init(&loop, &l->tick);
	uv_timer_init(&loop, &l->progress);
	uv_timer_init(&loop, &l->deadline);
	uv_timer_init(&loop, &l->hold);
	l->tick.data = l->progress.data = l->deadline.data = l->hold.data = l;
	app_signals_start(&l->app, &loop, on_stop, l);
	deadline = o->deadline_s ? (uint64_t)o->deadline_s * 1000
				 : (uint64_t)(2 * o->clients / o->rate +
					      o->hold_s + 60) * 1000 +
					   (uint64_t)o->timeout_ms;
	l->t_start = l->t_phase = uv_hrtime();
	uv_timer_start(&l->tick, on_tick, 0, TICK_MS);
	uv_timer_start(&l->progress, on_progress, PROGRESS_MS, PROGRESS_MS);
	uv_timer_start(&l->deadline, on_deadline, deadline, 0);
	fprintf(stderr, "load: %ld %s clients at %ld/s, hold %ld s, "
		"expires %ld, deadline %.0f s\n", o->clients,
		o->web ? "web" : "wss", o->rate, o->hold_s, o->expires,
		(double)deadline / 1e3);
	status = 0;
	if (app_run(&loop))
		status = 1;
	if (l->deadline_hit || l->interrupted)
		status = 1;
out:
	json_decref(l->fail_status);
	free(l->lat_us);
	free(l->cl);
	free(l);
	return status;
}

int load_main(const struct client_conf *conf, int argc, char **argv,
	      struct trace *trace, struct rng *rng)
{
	struct load_opts o;
	char err[160];

	if (argc == 1 && !strcmp(argv[0], "--help")) {
		printf("Usage: client-sim [--set key=value]... load ...\n%s",
		       load_usage);
		return 0;
	}
	if (load_opts_parse(&o, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "client-sim: load: %s\n%s", err, load_usage);
		return 2;
	}
	return load_run(conf, &o, trace, rng);
}
