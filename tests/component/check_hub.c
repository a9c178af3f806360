/* check_hub.c - the live ladder of `imstb up` (runner/hub.h) in-process:
 * a hub on 127.0.0.1 (port 0) tailing a trace file of a temporary
 * directory, with one scenario beside it, driven by plain non-blocking
 * sockets between short hub_run slices: the routes and their refusals,
 * the server-sent events as trace lines are appended (one event per
 * message, both ends named, the browser as `client`, torn and malformed
 * lines), a selection from POST /select to hub_select_done (labels, the
 * figure, busy, none, failure, settling), and hub_free with a browser
 * still connected and a selection pending. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runner/hub.h"
#include "trace/trace.h"

#define PCSCF	"127.0.0.1:15060"
#define SCSCF	"127.0.0.1:16060"
#define UE	"127.0.0.1:40000"
#define WAIT_MS 5000

static const char scn_text[] = "title    A test figure\n"
			       "figure   9.9-1\n"
			       "purpose  the hub's test\n"
			       "nodes    client pcscf scscf\n"
			       "config   pcscf path_policy=add\n"
			       "step 1  pcscf -> scscf  SIP REGISTER\n"
			       "step 2  scscf -> pcscf  SIP 200\n";

static const char sip_reg[] =
	"REGISTER sip:ims.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:15060;branch=z9hG4bK1\r\n"
	"From: <sip:a@ims.example.com>;tag=1\r\n"
	"To: <sip:a@ims.example.com>\r\nCall-ID: c1\r\n"
	"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

struct env {
	char dir[64], trace[128], scn[128];
	struct hub *h;
	double t; /* the next trace line's time */
};

struct cli {
	int fd;
	bool eof;
	struct buf in;
};

static void file_put(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void env_init(struct env *e)
{
	static const struct mt_name none = { 0 };
	struct mt_name names[2] = { none, none };
	const char *nodes[] = { "client", "pcscf", "scscf" };
	const struct hub_link link = { "WebRTC client",
				       "https://127.0.0.1:8443/" };
	struct hub_conf c = { .names = names,
			      .nnames = 2,
			      .nodes = nodes,
			      .nnodes = 3,
			      .links = &link,
			      .nlinks = 1 };
	char p[192], err[256] = "";

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_hub.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	snprintf(e->trace, sizeof(e->trace), "%s/trace.jsonl", e->dir);
	snprintf(e->scn, sizeof(e->scn), "%s/scn", e->dir);
	mkdir(e->scn, 0755);
	snprintf(p, sizeof(p), "%s/a", e->scn);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/one.scn", e->scn);
	file_put(p, scn_text, "w");
	snprintf(p, sizeof(p), "%s/bad.scn", e->scn); /* skipped */
	file_put(p, "nodes\n", "w");
	ck_assert_int_eq(rn_addr_parse(PCSCF, &names[0].addr), 0);
	snprintf(names[0].name, sizeof(names[0].name), "pcscf");
	ck_assert_int_eq(rn_addr_parse(SCSCF, &names[1].addr), 0);
	snprintf(names[1].name, sizeof(names[1].name), "scscf");
	c.trace = e->trace;
	c.scn_dir = e->scn;
	ck_assert_msg(hub_new(&e->h, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_ne(hub_port(e->h), 0);
	e->t = 1700000000.0;
}

static void env_close(struct env *e)
{
	char p[192];
	static const char *const files[] = { "trace.jsonl", "scn/a/one.scn",
					     "scn/bad.scn", "scn/a", "scn" };

	hub_free(e->h);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", e->dir, files[i]);
		remove(p);
	}
	rmdir(e->dir);
}

/* A trace line (README "The trace"); nl: ends it. */
static void line_add(struct env *e, const char *node, bool sent,
		     const char *local, const char *peer, const char *raw,
		     bool nl)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "{\"t\":%.6f,\"node\":\"%s\",\"dir\":\"%s\",\"proto\":"
		   "\"sip\",\"transport\":\"udp\",\"local\":\"%s\",\"peer\":"
		   "\"%s\",\"summary\":\"REGISTER sip:ims.example.com "
		   "SIP/2.0\",\"len\":%zu,\"raw\":\"",
		   e->t, node, sent ? "send" : "recv", local, peer,
		   strlen(raw));
	trace_base64(&b, raw, strlen(raw));
	buf_puts(&b, nl ? "\"}\n" : "\"}");
	file_put(e->trace, b.data, "a");
	buf_close(&b);
	e->t += 0.001;
}

/* ---- a client ------------------------------------------------------------ */

static void cli_open(struct cli *c, const struct env *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(hub_port(e->h)),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	memset(c, 0, sizeof(*c));
	buf_init(&c->in);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->fd, 0);
	/* the kernel completes it (backlog); the hub accepts in hub_run */
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

static void cli_close(struct cli *c)
{
	close(c->fd);
	buf_close(&c->in);
}

static void cli_req(struct cli *c, const char *method, const char *path,
		    const char *hdrs, const char *body)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
		   "%sContent-Length: %zu\r\n\r\n%s",
		   method, path, hdrs ? hdrs : "", body ? strlen(body) : 0,
		   body ? body : "");
	ck_assert_int_eq(write(c->fd, b.data, b.len), (ssize_t)b.len);
	buf_close(&b);
}

/* Serves and reads until want is in what c got (NULL: until EOF). */
static bool pump(struct env *e, struct cli *c, const char *want, int ms)
{
	for (int waited = 0; waited < ms; waited += 10) {
		char tmp[8192];
		ssize_t n;

		hub_run(e->h, 10);
		while (c && (n = recv(c->fd, tmp, sizeof(tmp), 0)) > 0)
			buf_append(&c->in, tmp, (size_t)n);
		if (c && n == 0)
			c->eof = true;
		if (c && want && c->in.len && strstr(c->in.data, want))
			return true;
		if (c && !want && c->eof)
			return true;
	}
	return false;
}

/* pump, or fail showing what came */
#define GOT(e, c, want, ms)                                                    \
	ck_assert_msg(pump(e, c, want, ms), "waited for %s; got: %s", want,    \
		      (c)->in.len ? (c)->in.data : "nothing")

static int status_of(const struct cli *c)
{
	int st = 0;

	if (c->in.len)
		sscanf(c->in.data, "HTTP/1.1 %d", &st);
	return st;
}

static size_t count(const struct cli *c, const char *s)
{
	size_t n = 0;

	for (const char *p = c->in.data; p && (p = strstr(p, s)); p++)
		n++;
	return n;
}

/* ---- the routes --------------------------------------------------------- */

#define J "Content-Type: application/json\r\n"

static const struct {
	const char *method, *path, *hdrs, *body;
	int status;
	const char *has, *lacks;
} route_vec[] = {
	{ "GET", "/", NULL, NULL, 200, "<title>imstb live ladder</title>",
	  "@LADDER_" },
	{ "GET", "/", NULL, NULL, 200, "svg .ev{cursor:pointer}", NULL },
	{ "GET", "/", NULL, NULL, 200,
	  "Content-Security-Policy: default-src "
	  "'none'",
	  NULL },
	{ "HEAD", "/", NULL, NULL, 200, "text/html", "<html" },
	{ "GET", "/figures", NULL, NULL, 200,
	  "\"path\":\"a/one.scn\",\"figure\":\"9.9-1\"", "bad.scn" },
	{ "GET", "/figures", NULL, NULL, 200,
	  "\"variant\":\"pcscf path_policy=add\"", NULL },
	{ "GET", "/figures", NULL, NULL, 200, "\"runnable\":true", NULL },
	{ "POST", "/", J, "{}", 405, "GET only", NULL },
	{ "GET", "/select", NULL, NULL, 405, "POST only", NULL },
	{ "PUT", "/clear", J, "{}", 405, "POST only", NULL },
	{ "GET", "/nothing", NULL, NULL, 404, "not_found", NULL },
	{ "POST", "/select",
	  "Content-Type: application/x-www-form-urlencoded"
	  "\r\n",
	  "scenario=a/one.scn", 415, "application/json", NULL },
	{ "POST", "/select", J "Origin: https://evil.example\r\n",
	  "{\"scenario\":null}", 403, "forbidden", NULL },
	{ "POST", "/select", J, "{\"scenario\":\"../etc/passwd\"}", 404,
	  "unknown_scenario", NULL },
	{ "POST", "/select", J, "{\"scenario\":5}", 400, "invalid_request",
	  NULL },
	{ "POST", "/select", J, "[\"a/one.scn\"]", 400, "invalid_request",
	  NULL },
	{ "POST", "/select", J, "{\"scenario\":", 400, "invalid_request",
	  NULL },
	{ "POST", "/clear", J, "{}", 200, "\"ok\":true", NULL },
	{ "POST", "/clear", J "Origin: http://localhost:1\r\n", "{}", 403,
	  "forbidden", NULL },
};

START_TEST(test_routes)
{
	struct env e;
	struct cli c;

	env_init(&e);
	cli_open(&c, &e);
	cli_req(&c, route_vec[_i].method, route_vec[_i].path,
		route_vec[_i].hdrs, route_vec[_i].body);
	ck_assert(pump(&e, &c, NULL, WAIT_MS));
	ck_assert_int_eq(status_of(&c), route_vec[_i].status);
	ck_assert_msg(strstr(c.in.data, route_vec[_i].has), "%s %s: %s",
		      route_vec[_i].method, route_vec[_i].path, c.in.data);
	if (route_vec[_i].lacks)
		ck_assert_ptr_null(strstr(c.in.data, route_vec[_i].lacks));
	cli_close(&c);
	env_close(&e);
}
END_TEST

/* ---- the events -----------------------------------------------------------
 */

START_TEST(test_events)
{
	struct env e;
	struct cli c;

	env_init(&e);
	cli_open(&c, &e);
	cli_req(&c, "GET", "/events", NULL, NULL);
	GOT(&e, &c, "event: steps", WAIT_MS);
	ck_assert_ptr_nonnull(strstr(c.in.data, "text/event-stream"));
	ck_assert_ptr_nonnull(strstr(c.in.data, "event: hello\ndata: {"));
	ck_assert_ptr_nonnull(strstr(c.in.data, "\"figure\":null"));
	ck_assert_ptr_nonnull(
		strstr(c.in.data, "\"url\":\"https://127.0.0.1:8443/\""));
	ck_assert_ptr_nonnull(strstr(
		c.in.data, "{\"cols\":[\"client\",\"pcscf\",\"scscf\"]}"));
	ck_assert_uint_eq(count(&c, "event: ev\n"), 0);
	/* One message traced at both ends: one event, named. */
	line_add(&e, "pcscf", true, PCSCF, SCSCF, sip_reg, true);
	line_add(&e, "scscf", false, SCSCF, PCSCF, sip_reg, true);
	GOT(&e, &c, "\"brief\":\"REGISTER\"", WAIT_MS);
	pump(&e, &c, "never", 300);
	ck_assert_uint_eq(count(&c, "event: ev\n"), 1);
	ck_assert_ptr_nonnull(strstr(
		c.in.data, "\"from\":\"pcscf\",\"to\":\"scscf\",\"proto\":"));
	/* A torn line waits for its end; a broken one is skipped; an end
	 * that is none of ours is the client. */
	line_add(&e, "pcscf", false, PCSCF, UE, sip_reg, false);
	pump(&e, &c, "never", 300);
	ck_assert_uint_eq(count(&c, "event: ev\n"), 1);
	file_put(e.trace, "\n{\"t\": broken\n", "a");
	ck_assert(
		pump(&e, &c, "\"from\":\"client\",\"to\":\"pcscf\"", WAIT_MS));
	pump(&e, &c, "never", 300);
	ck_assert_uint_eq(count(&c, "event: ev\n"), 2);
	ck_assert_ptr_nonnull(strstr(c.in.data, "\"i\":1,"));
	/* POST /clear: the ladder starts over, with nothing. */
	{
		struct cli p;

		cli_open(&p, &e);
		cli_req(&p, "POST", "/clear", J, "{}");
		ck_assert(pump(&e, &p, NULL, WAIT_MS));
		ck_assert_int_eq(status_of(&p), 200);
		cli_close(&p);
	}
	GOT(&e, &c, "event: reset\ndata: {}\n\nevent: steps", WAIT_MS);
	cli_close(&c);
	env_close(&e);
}
END_TEST

/* A burst of messages bigger than a stream may hold (1 MiB): a browser
 * connected during it and one that comes after both get every message,
 * at their own pace, then the steps table. */
START_TEST(test_burst)
{
	enum { N = 1200 };
	struct env e;
	struct cli live, late;
	struct buf raw, lines;
	char want[32];

	env_init(&e);
	cli_open(&live, &e);
	cli_req(&live, "GET", "/events", NULL, NULL);
	GOT(&e, &live, "event: steps", WAIT_MS);
	buf_init(&raw);
	buf_init(&lines);
	for (int i = 0; i < N; i++) {
		buf_reset(&raw);
		buf_printf(&raw,
			   "MESSAGE sip:ims.example.com SIP/2.0\r\n"
			   "Call-ID: %d\r\nX-Pad: %03000d\r\n\r\n",
			   i, 0);
		buf_printf(&lines,
			   "{\"t\":%.6f,\"node\":\"pcscf\",\"dir\":\"send\","
			   "\"proto\":\"sip\",\"transport\":\"udp\",\"local\":"
			   "\"" PCSCF "\",\"peer\":\"" UE "\",\"summary\":"
			   "\"MESSAGE sip:ims.example.com SIP/2.0\",\"len\":"
			   "%zu,\"raw\":\"",
			   e.t + i * 0.001, raw.len);
		trace_base64(&lines, raw.data, raw.len);
		buf_puts(&lines, "\"}\n");
	}
	file_put(e.trace, lines.data, "a");
	buf_close(&raw);
	buf_close(&lines);
	snprintf(want, sizeof(want), "\"i\":%d,", N - 1);
	GOT(&e, &live, want, 20000);
	GOT(&e, &live, "event: steps", 20000);
	ck_assert_uint_eq(count(&live, "event: ev\n"), N);
	ck_assert_uint_gt(live.in.len, 4u << 20);
	cli_open(&late, &e);
	cli_req(&late, "GET", "/events", NULL, NULL);
	GOT(&e, &late, want, 20000);
	GOT(&e, &late, "event: steps", 20000);
	ck_assert_uint_eq(count(&late, "event: ev\n"), N);
	cli_close(&late);
	cli_close(&live);
	env_close(&e);
}
END_TEST

/* ---- selections ------------------------------------------------------------
 */

static void select_post(struct env *e, struct cli *c, const char *body)
{
	const struct scn *s = NULL;

	cli_open(c, e);
	cli_req(c, "POST", "/select", J, body);
	for (int i = 0; i < WAIT_MS / 10 && !hub_select_pending(e->h, &s); i++)
		hub_run(e->h, 10);
}

START_TEST(test_select)
{
	const struct scn *s = NULL;
	struct env e;
	struct cli c, p, q;

	env_init(&e);
	line_add(&e, "pcscf", true, PCSCF, SCSCF, sip_reg, true);
	cli_open(&c, &e);
	cli_req(&c, "GET", "/events", NULL, NULL);
	GOT(&e, &c, "\"brief\":\"REGISTER\"", WAIT_MS);
	ck_assert_ptr_nonnull(strstr(c.in.data, "\"step\":\"\""));
	select_post(&e, &p, "{\"scenario\":\"a/one.scn\"}");
	ck_assert(hub_select_pending(e.h, &s));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->figure, "9.9-1");
	ck_assert_str_eq(s->confs[0].kv, "path_policy=add");
	GOT(&e, &c, "\"state\":\"applying\"", WAIT_MS);
	/* One at a time. */
	cli_open(&q, &e);
	cli_req(&q, "POST", "/select", J, "{\"scenario\":null}");
	ck_assert(pump(&e, &q, NULL, WAIT_MS));
	ck_assert_int_eq(status_of(&q), 409);
	cli_close(&q);
	ck_assert_uint_eq(p.in.len, 0); /* not answered yet */
	hub_select_done(e.h, 0, "restarted pcscf", 1.0);
	ck_assert(!hub_select_pending(e.h, &s));
	ck_assert(pump(&e, &p, NULL, WAIT_MS));
	ck_assert_int_eq(status_of(&p), 200);
	ck_assert_ptr_nonnull(
		strstr(p.in.data, "\"detail\":\"restarted pcscf\""));
	ck_assert_ptr_nonnull(strstr(p.in.data, "\"scenario\":\"a/one.scn\""));
	cli_close(&p);
	/* The browser: the figure, the arrow's step, the steps table. */
	GOT(&e, &c, "\"step\":\"1\",\"state\":\"ok\"", WAIT_MS);
	ck_assert_ptr_nonnull(strstr(c.in.data, "\"figure\":{\"path\":"
						"\"a/one.scn\""));
	ck_assert(pump(&e, &c,
		       "{\"label\":\"2\",\"from\":\"scscf\",\"to\":\"pcscf\","
		       "\"what\":\"SIP 200\",\"seen\":false",
		       WAIT_MS));
	/* A browser that comes now gets the labelled ladder at once. */
	cli_open(&q, &e);
	cli_req(&q, "GET", "/events", NULL, NULL);
	GOT(&e, &q, "event: steps", WAIT_MS);
	ck_assert_ptr_nonnull(strstr(q.in.data, "\"step\":\"1\""));
	cli_close(&q);
	/* GET /figures names it. */
	cli_open(&q, &e);
	cli_req(&q, "GET", "/figures", NULL, NULL);
	ck_assert(pump(&e, &q, NULL, WAIT_MS));
	ck_assert_ptr_nonnull(strstr(q.in.data, "\"selected\":\"a/one.scn\""));
	cli_close(&q);
	/* None again: no figure, no label. */
	select_post(&e, &p, "{\"scenario\":\"\"}");
	ck_assert(hub_select_pending(e.h, &s));
	ck_assert_ptr_null(s);
	hub_select_done(e.h, 0, "restarted pcscf", 1.0);
	ck_assert(pump(&e, &p, NULL, WAIT_MS));
	ck_assert_int_eq(status_of(&p), 200);
	cli_close(&p);
	GOT(&e, &c, "\"step\":\"\",\"state\":\"plain\"", WAIT_MS);
	cli_close(&c);
	env_close(&e);
}
END_TEST

START_TEST(test_select_failed)
{
	const struct scn *s;
	struct env e;
	struct cli p, q;

	env_init(&e);
	select_post(&e, &p, "{\"scenario\":\"a/one.scn\"}");
	ck_assert(hub_select_pending(e.h, &s));
	hub_select_done(e.h, -EINVAL, "pcscf did not start", 0);
	ck_assert(pump(&e, &p, NULL, WAIT_MS));
	ck_assert_int_eq(status_of(&p), 500);
	ck_assert_ptr_nonnull(strstr(p.in.data, "\"ok\":false"));
	cli_close(&p);
	cli_open(&q, &e);
	cli_req(&q, "GET", "/figures", NULL, NULL);
	ck_assert(pump(&e, &q, NULL, WAIT_MS));
	ck_assert_ptr_nonnull(strstr(q.in.data, "\"selected\":null"));
	cli_close(&q);
	env_close(&e);
}
END_TEST

/* Without `since`, the answer waits until the trace is quiet. */
START_TEST(test_select_settles)
{
	const struct scn *s;
	struct env e;
	struct cli p;

	env_init(&e);
	select_post(&e, &p, "{\"scenario\":\"a/one.scn\"}");
	ck_assert(hub_select_pending(e.h, &s));
	hub_select_done(e.h, 0, "restarted pcscf", 0);
	line_add(&e, "pcscf", true, PCSCF, SCSCF, sip_reg, true);
	ck_assert(!pump(&e, &p, NULL, 300));
	ck_assert(pump(&e, &p, NULL, 4000));
	ck_assert_int_eq(status_of(&p), 200);
	cli_close(&p);
	env_close(&e);
}
END_TEST

/* hub_free with a browser on /events and a selection pending: both end,
 * nothing leaks (LSan), the loop closes. */
START_TEST(test_free_busy)
{
	const struct scn *s;
	struct env e;
	struct cli c, p;

	env_init(&e);
	cli_open(&c, &e);
	cli_req(&c, "GET", "/events", NULL, NULL);
	GOT(&e, &c, "event: steps", WAIT_MS);
	select_post(&e, &p, "{\"scenario\":\"a/one.scn\"}");
	ck_assert(hub_select_pending(e.h, &s));
	env_close(&e);
	cli_close(&c);
	cli_close(&p);
}
END_TEST

static Suite *hub_suite(void)
{
	Suite *s = suite_create("hub");
	TCase *tc = tcase_create("hub");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_routes, 0, ARRAY_SIZE(route_vec));
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_burst);
	tcase_add_test(tc, test_select);
	tcase_add_test(tc, test_select_failed);
	tcase_add_test(tc, test_select_settles);
	tcase_add_test(tc, test_free_busy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hub_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
