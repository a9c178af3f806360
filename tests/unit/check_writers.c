/*
 * check_writers.c - the runner's writers (runner/ladder.c, junit.c,
 * pcap.c, html.c) on two synthetic runs (see ev_defs), each artefact
 * checked by what reads it: libxml2 parses the JUnit file; the pcapng is
 * walked here and, when tshark is installed, tshark must dissect it as SIP
 * and Diameter with no malformed packet or expert error (checksums on).
 */
#include <check.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "diam/diam_cx.h"
#include "trace/trace.h"
#include "../../runner/writers.h"

#define EVIL "</script><script>alert(1)</script> \"<>&"
#define EVIL_ESC                                                               \
	"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; "                \
	"&quot;&lt;&gt;&amp;"
#define BIG_BODY 70000

/* ---- fixture ----------------------------------------------------------- */

/* "127.0.0.1:5060" or "[::1]:5060" */
static void addr_set(struct sockaddr_storage *ss, const char *s)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char ip[64];
	const char *colon = strrchr(s, ':');

	snprintf(ip, sizeof(ip), "%.*s", (int)(colon - s), s);
	if (ip[0] == '[')
		snprintf(ip, sizeof(ip), "%.*s", (int)(colon - s - 2), s + 1);
	ck_assert_int_eq(getaddrinfo(ip, colon + 1, &hints, &ai), 0);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
}

#define REG  "REGISTER sip:ims.test SIP/2.0"
#define MSG  "MESSAGE sip:bob@ims.test SIP/2.0"
#define S401 "SIP/2.0 401 Unauthorized"
#define S200 "SIP/2.0 200 OK"
#define WWWA "WWW-Authenticate: Digest realm=\"ims.test\", nonce=\"abc\"\r\n"
#define AUTHZ                                                                  \
	"Authorization: Digest username=\"alice@ims.test\", "                  \
	"realm=\"ims.test\", nonce=\"abc\", uri=\"sip:ims.test\", "            \
	"response=\"0123456789abcdef0123456789abcdef\"\r\n"
#define C_UDP  "127.0.0.1:40000"
#define P_UDP  "127.0.0.1:15060"
#define P_TCP  "127.0.0.1:41000"
#define S_TCP  "127.0.0.1:16060"
#define SC_TCP "127.0.0.1:42000"
#define H_TCP  "127.0.0.1:13868"
#define C6     "[::1]:40002"
#define P6     "[::1]:15060"

/* Run 0 is the registration, failing at 8-9, with a forbidden MESSAGE to
 * a peer that is none of our nodes (step "!") and a MESSAGE over one TCP
 * segment (extra NULL: a BIG_BODY body). Run 1 passes, over IPv6. A
 * NULL start is a Cx MAR (extra "R") or MAA. */
static const struct ev_def {
	int run, ms;
	const char *from, *to, *tr, *src, *dst, *step, *start, *extra;
} ev_defs[] = {
	{ 0, 1, "client", "pcscf", "udp", C_UDP, P_UDP, "1", REG,
	  "Contact: <sip:alice@" C_UDP ">\r\n" },
	{ 0, 3, "pcscf", "scscf", "tcp", P_TCP, S_TCP, "2", REG,
	  "Path: <sip:term@pcscf.ims.test;lr>\r\n" },
	{ 0, 4, "scscf", "hss", "tcp", SC_TCP, H_TCP, "3", NULL, "R" },
	{ 0, 6, "hss", "scscf", "tcp", H_TCP, SC_TCP, "4", NULL, "" },
	{ 0, 8, "scscf", "pcscf", "tcp", S_TCP, P_TCP, "5", S401, WWWA },
	{ 0, 9, "pcscf", "client", "udp", P_UDP, C_UDP, "6", S401, WWWA },
	{ 0, 20, "client", "pcscf", "udp", C_UDP, P_UDP, "7", REG, AUTHZ },
	{ 0, 31, "pcscf", "client", "udp", P_UDP, C_UDP, "8-9", S200,
	  "Subject: " EVIL "\r\n" },
	{ 0, 40, "client", "127.0.0.1:5060", "udp", C_UDP, "127.0.0.1:5060",
	  "!", MSG, "" },
	{ 0, 50, "pcscf", "scscf", "tcp", P_TCP, S_TCP, "", MSG, NULL },
	{ 1, 1, "client", "pcscf", "udp", C6, P6, "1", REG, "" },
	{ 1, 2, "pcscf", "client", "udp", P6, C6, "", S200, "" },
};

/* ok: 0 failed, 1 ok, 2 skipped */
static const struct step_def {
	int run;
	const char *label, *from, *to, *what;
	int ok, event;
	const char *detail;
} step_defs[] = {
	{ 0, "1", "client", "pcscf", "SIP REGISTER", 1, 0, NULL },
	{ 0, "2", "pcscf", "scscf", "SIP REGISTER", 1, 1, NULL },
	{ 0, "3", "scscf", "hss", "Diameter MAR", 1, 2, NULL },
	{ 0, "4", "hss", "scscf", "Diameter MAA", 1, 3, NULL },
	{ 0, "5", "scscf", "pcscf", "SIP 401", 1, 4, NULL },
	{ 0, "6", "pcscf", "client", "SIP 401", 1, 5, NULL },
	{ 0, "7", "client", "pcscf", "SIP REGISTER", 1, 6, NULL },
	{ 0, "8-9", "pcscf", "client", "SIP 200", 0, 7,
	  "header Service-Route absent; seen Subject: " EVIL },
	{ 0, "10", "scscf", "pcscf", "SIP NOTIFY", 0, -1,
	  "no such message within 5 s" },
	{ 0, "11", "client", "pcscf", "SIP PUBLISH", 2, -1, NULL },
	{ 1, "1", "client", "pcscf", "SIP REGISTER", 1, 0, NULL },
};

static const struct {
	const char *file, *title, *figure, *purpose;
	double t0, secs;
	bool passed;
	size_t nnodes;
} run_defs[] = {
	{ "scenarios/ts23701/reg-initial.scn", "Initial registration",
	  "6.X.2.1.2.2-1", "REGISTER, 401, REGISTER, 200 " EVIL, 1764041625.0,
	  1.25, false, 4 },
	{ "scenarios/ts23701/reg-v6.scn", "Registration over IPv6",
	  "6.X.2.1.2.2-2", NULL, 1764041630.0, 0.5, true, 2 },
};

static const char *const node_names[] = { "client", "pcscf", "scscf", "hss" };

/* A SIP message with a right Content-Length (tshark checks it on TCP). */
static void sip_text(struct buf *b, const char *start, const char *tr,
		     const char *via, const char *extra)
{
	char *body = xcalloc(1, BIG_BODY + 1);
	const char *sp = strchr(start, ' ');
	bool req = strncmp(start, "SIP/", 4) != 0;

	if (!strncmp(start, "MESSAGE", 7))
		memset(body, 'x', extra ? 2 : BIG_BODY);
	buf_printf(b,
		   "%s\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK7f3a\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:alice@ims.test>;tag=a1b2\r\n"
		   "To: <sip:alice@ims.test>%s\r\n"
		   "Call-ID: c0ffee@127.0.0.1\r\nCSeq: 1 %.*s\r\n%s%s"
		   "Content-Length: %zu\r\n\r\n%s",
		   start, !strcmp(tr, "udp") ? "UDP" : "TCP", via,
		   req ? "" : ";tag=s9", req ? (int)(sp - start) : 8,
		   req ? start : "REGISTER", extra ? extra : "",
		   *body ? "Content-Type: text/plain\r\n" : "", strlen(body),
		   body);
	free(body);
}

static void cx_text(struct buf *b, bool request)
{
	struct diam_cx c = { 0 };

	c.cmd = DIAM_CMD_MA;
	c.request = request;
	c.session_id = SV("scscf.ims.test;1;42");
	c.origin_host =
		sv_from_cstr(request ? "scscf.ims.test" : "hss.ims.test");
	c.origin_realm = SV("ims.test");
	c.dest_realm = SV("ims.test");
	c.user_name = SV("alice@ims.test");
	c.public_identity = SV("sip:alice@ims.test");
	c.server_name = SV("sip:scscf.ims.test:16060");
	c.has_num_auth_items = true;
	c.num_auth_items = 1;
	c.n_auth = 1;
	c.auth[0].scheme = SV(DIAM_CX_SCHEME_DIGEST);
	if (!request) {
		c.result = DIAM_SUCCESS;
		c.auth[0].realm = SV("ims.test");
		c.auth[0].algorithm = SV("MD5");
		c.auth[0].qop = SV("auth");
		c.auth[0].ha1 = SV("0123456789abcdef0123456789abcdef");
	}
	ck_assert_int_eq(diam_cx_build(b, &c, 0x1234, 0x5678), 0);
}

static void ev_add(struct rn_run *r, size_t i)
{
	struct rn_event *e = &r->events[r->nevents++];
	const struct ev_def *d = &ev_defs[i];
	bool req = d->start && strncmp(d->start, "SIP/", 4);
	struct buf b;
	const char *nl;

	buf_init(&b);
	e->t = r->t_start + d->ms / 1e3;
	snprintf(e->proto, sizeof(e->proto), "%s",
		 d->start ? "sip" : "diameter");
	snprintf(e->transport, sizeof(e->transport), "%s", d->tr);
	snprintf(e->from, sizeof(e->from), "%s", d->from);
	snprintf(e->to, sizeof(e->to), "%s", d->to);
	e->forbidden = !strcmp(d->step, "!");
	snprintf(e->step, sizeof(e->step), "%s", e->forbidden ? "" : d->step);
	addr_set(&e->src, d->src);
	addr_set(&e->dst, d->dst);
	if (d->start)
		sip_text(&b, d->start, d->tr, req ? d->src : d->dst, d->extra);
	else
		cx_text(&b, *d->extra == 'R');
	e->raw = (unsigned char *)buf_steal(&b, &e->len);
	if (d->start) {
		nl = strstr((char *)e->raw, "\r\n");
		e->summary = sv_dup((struct sv){
			(char *)e->raw, (size_t)(nl - (char *)e->raw) });
	} else {
		e->summary = xstrdup(e->raw[4] & 0x80 ? "MAR alice@ims.test"
						      : "MAA 2001");
	}
}

static struct rn_run *run_new(int k)
{
	struct rn_run *r = xcalloc(1, sizeof(*r));

	r->file = xstrdup(run_defs[k].file);
	r->title = xstrdup(run_defs[k].title);
	r->figure = xstrdup(run_defs[k].figure);
	r->purpose = run_defs[k].purpose ? xstrdup(run_defs[k].purpose) : NULL;
	r->t_start = run_defs[k].t0;
	r->t_end = r->t_start + run_defs[k].secs;
	r->passed = run_defs[k].passed;
	r->nnodes = run_defs[k].nnodes;
	r->nodes = xcalloc(r->nnodes, sizeof(char *));
	for (size_t i = 0; i < r->nnodes; i++)
		r->nodes[i] = xstrdup(node_names[i]);
	r->events = xcalloc(ARRAY_SIZE(ev_defs), sizeof(*r->events));
	for (size_t i = 0; i < ARRAY_SIZE(ev_defs); i++) {
		if (ev_defs[i].run == k)
			ev_add(r, i);
	}
	r->steps = xcalloc(ARRAY_SIZE(step_defs), sizeof(*r->steps));
	for (size_t i = 0; i < ARRAY_SIZE(step_defs); i++) {
		const struct step_def *d = &step_defs[i];
		struct rn_step *s = &r->steps[r->nsteps];

		if (d->run != k)
			continue;
		r->nsteps++;
		snprintf(s->label, sizeof(s->label), "%s", d->label);
		snprintf(s->from, sizeof(s->from), "%s", d->from);
		snprintf(s->to, sizeof(s->to), "%s", d->to);
		snprintf(s->what, sizeof(s->what), "%s", d->what);
		s->ok = d->ok != 0;
		s->skipped = d->ok == 2;
		s->event = d->event;
		s->detail = d->detail ? xstrdup(d->detail) : NULL;
	}
	return r;
}

/* rn_run_free lives with the core (runner/run.c); ours are synthetic. */
static void run_del(struct rn_run *r)
{
	char *fields[] = {
		r->file,	  r->title,	     r->figure,
		r->purpose,	  r->notes,	     r->error,
		(char *)r->nodes, (char *)r->events, (char *)r->steps
	};

	for (size_t i = 0; i < r->nevents; i++) {
		free(r->events[i].summary);
		free(r->events[i].raw);
	}
	for (size_t i = 0; i < r->nsteps; i++)
		free(r->steps[i].detail);
	for (size_t i = 0; i < r->nnodes; i++)
		free(r->nodes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		free(fields[i]);
	free(r);
}

/* Each test (forked by Check) gets both runs and a fresh directory. */
static struct rn_run *runs[2];
static char tmpdir[64], tmp_file[192];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_writers.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	runs[0] = run_new(0);
	runs[1] = run_new(1);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	run_del(runs[0]);
	run_del(runs[1]);
}

/* A file in the test's directory (in the static tmp_file). */
static const char *tmp(const char *name)
{
	snprintf(tmp_file, sizeof(tmp_file), "%s/%s", tmpdir, name);
	return tmp_file;
}

static char *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *d;

	ck_assert(f && fstat(fileno(f), &st) == 0);
	d = xcalloc(1, (size_t)st.st_size + 1);
	*len = fread(d, 1, (size_t)st.st_size, f);
	fclose(f);
	return d;
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- shared helpers -------------------------------------------------- */

static const struct {
	const char *in;
	bool attr;
	const char *out;
} esc_vec[] = {
	{ "a<b>c", false, "a&lt;b&gt;c" },
	{ "\"'&", true, "&quot;&#39;&amp;" },
	{ "x\ny\tz", true, "x&#10;y&#9;z" },
	{ "x\ny", false, "x\ny" },
	{ "caf\xc3\xa9 \xe2\x9c\x97", false, "caf\xc3\xa9 \xe2\x9c\x97" },
	{ "\xff", false, "\xef\xbf\xbd" },
	{ "\xc0\xaf", false, "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
	{ "\xed\xa0\x80", false,			   /* surrogate */
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xe2\x82", false, "\xef\xbf\xbd\xef\xbf\xbd" }, /* cut short */
	{ "a\x01\x1b[31m", false, "a\xef\xbf\xbd\xef\xbf\xbd[31m" },
};

START_TEST(test_xml_escape)
{
	struct buf b;

	buf_init(&b);
	rn__xml_escape_cstr(&b, esc_vec[_i].in, esc_vec[_i].attr);
	ck_assert_str_eq(b.data ? b.data : "", esc_vec[_i].out);
	buf_close(&b);
}
END_TEST

static const struct {
	const char *proto;
	const char *summary; /* NULL: a Cx message, diam = 1 MAR, 2 MAA */
	int diam;
	const char *brief;
} brief_vec[] = {
	{ "sip", "REGISTER sip:ims.test SIP/2.0", 0, "REGISTER" },
	{ "sip", "SIP/2.0 401 Unauthorized", 0, "401 Unauthorized" },
	{ "http", "GET /api/token HTTP/1.1", 0, "GET /api/token" },
	{ "http", "HTTP/1.1 200 OK", 0, "200 OK" },
	{ "sip", "INVITE\x1b[2J sip:x SIP/2.0", 0, "INVITE?[2J" },
	{ "ws", "upgrade", 0, "upgrade" },
	{ "diameter", NULL, 1, "MAR" },
	{ "diameter", NULL, 2, "MAA 2001" },
};

START_TEST(test_event_brief)
{
	struct rn_event e = { 0 };
	struct buf b;
	char out[64];

	buf_init(&b);
	snprintf(e.proto, sizeof(e.proto), "%s", brief_vec[_i].proto);
	if (brief_vec[_i].diam) {
		cx_text(&b, brief_vec[_i].diam == 1);
		e.raw = (unsigned char *)b.data;
		e.len = b.len;
	} else {
		e.summary = (char *)brief_vec[_i].summary;
	}
	rn__event_brief(&e, out, sizeof(out));
	ck_assert_str_eq(out, brief_vec[_i].brief);
	buf_close(&b);
}
END_TEST

/* ---- ladder ------------------------------------------------------------ */

/* Terminal cells of a UTF-8 line (every glyph we use is one cell). */
static int cells(const char *s, size_t n)
{
	int w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

static char *ladder(const struct rn_run *r, bool color, int width)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	rn_ladder_print(f, r, color, width);
	fclose(f);
	return out;
}

static const int ladder_widths[] = { 60, 80, 100, 160, 240 };

START_TEST(test_ladder_fits)
{
	struct rn_run *r = runs[0];
	int width = ladder_widths[_i];
	char *out = ladder(r, false, width);
	static const char *const want[] = {
		"client",	"pcscf",	"scscf",
		"hss",		"other",	"\xe2\x94\x82",
		"\xe2\x96\xb6", "\xe2\x97\x80", "8-9 \xe2\x9c\x97",
		"missing"
	};
	static const char *const wide[] = { " REGISTER ", " 401 Unauthorized ",
					    " MAR ", " MAA 2001 ",
					    "    30.0ms" };
	size_t lines = 0;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		ck_assert_msg(strstr(out, want[i]), "%s missing at width %d",
			      want[i], width);
	for (const char *p = out, *nl; *p; p = nl + 1, lines++) {
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(cells(p, (size_t)(nl - p)) <= width,
			      "line %zu wider than %d: %.*s", lines, width,
			      (int)(nl - p), p);
	}
	/* Title, header, lifelines, one row per event, one missing step. */
	ck_assert_uint_eq(lines, 3 + r->nevents + 1);
	/* Each step label at the start of its row. */
	for (size_t k = 0; k < 8; k++) {
		char lbl[24];

		snprintf(lbl, sizeof(lbl), "\n%7s", r->steps[k].label);
		ck_assert_msg(strstr(out, lbl), "label %s", r->steps[k].label);
	}
	ck_assert_ptr_null(strchr(out, '\033'));
	/* Wide enough, the summaries and times are whole. */
	for (size_t i = 0; width >= 160 && i < ARRAY_SIZE(wide); i++)
		ck_assert_msg(strstr(out, wide[i]), "%s missing", wide[i]);
	free(out);
}
END_TEST

START_TEST(test_ladder_color)
{
	struct rn_run *r = runs[0];
	char *out = ladder(r, true, 120);

	/* The failed and forbidden rows red, passed labels green; every
	 * colour reset on its line. */
	ck_assert_uint_eq(count_str(out, "\033[31m"), 1 + 2 + 1);
	ck_assert_uint_ge(count_str(out, "\033[32m"), 7);
	for (const char *p = out, *nl; *p; p = nl + 1) {
		const char *esc;

		nl = strchr(p, '\n');
		esc = memrchr(p, '\033', (size_t)(nl - p));
		if (esc)
			ck_assert(!memcmp(esc, "\033[0m", 4));
	}
	/* The message's own escape sequence never reaches the terminal. */
	free(out);
	r->events[0].summary[0] = '\033';
	out = ladder(r, false, 120);
	ck_assert_ptr_null(strchr(out, '\033'));
	free(out);
}
END_TEST

/* ---- JUnit --------------------------------------------------------------- */

static char *xpath_str(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlChar *s;
	char *res;

	ck_assert_ptr_nonnull(o);
	s = xmlXPathCastToString(o);
	res = xstrdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return res;
}

static const struct {
	const char *xpath;
	const char *want;
} junit_vec[] = {
	/* tests, failures, errors; testsuites, testcases, failures */
	{ "concat(//testsuite/@tests, //testsuite/@failures, "
	  "//testsuite/@errors, count(/testsuites/testsuite), "
	  "count(//testcase), count(//failure))",
	  "210121" },
	{ "//testcase[1]/@name", "6.X.2.1.2.2-1 Initial registration" },
	{ "//testcase[1]/@classname", "imstb.reg-initial" },
	{ "concat(//testcase[1]/@time, ' ', //testsuite/@time, ' ', "
	  "//testsuite/@timestamp)",
	  "1.250 1.750 2025-11-25T03:33:45" },
	{ "concat(//testcase[2]/@classname, count(//testcase[2]/failure))",
	  "imstb.reg-v60" },
	{ "starts-with(//failure/@message, '2 of 10 steps failed, first: "
	  "step 8-9 SIP 200: header Service-Route absent; seen Subject: "
	  "</script><script>alert(1)</script> \"<>&')",
	  "true" },
	{ "contains(//failure, 'step 8-9 pcscf -> client SIP 200 FAILED: "
	  "header Service-Route absent; seen Subject: </script>')",
	  "true" },
	{ "contains(//failure, 'step 10 scscf -> pcscf SIP NOTIFY FAILED')",
	  "true" },
	{ "contains(//failure, 'step 7 ')", "false" },
	{ "contains(//testcase[1]/system-out, 'step 11 client -> pcscf SIP "
	  "PUBLISH skipped')",
	  "true" },
	{ "contains(//testcase[2]/system-out, 'step 1 client -> pcscf SIP "
	  "REGISTER ok')",
	  "true" },
};

START_TEST(test_junit)
{
	char *v;
	xmlDocPtr doc;

	/* A detail with bytes that are not UTF-8 must still give XML. */
	runs[0]->steps[8].detail[0] = '\xff';
	ck_assert_int_eq(rn_junit_write(tmp("junit.xml"), runs, 2), 0);
	doc = xmlReadFile(tmp_file, NULL, XML_PARSE_NONET);
	ck_assert_msg(doc, "JUnit file does not parse");
	for (size_t i = 0; i < ARRAY_SIZE(junit_vec); i++) {
		v = xpath_str(doc, junit_vec[i].xpath);
		ck_assert_msg(!strcmp(v, junit_vec[i].want),
			      "%s = '%s' not '%s'", junit_vec[i].xpath, v,
			      junit_vec[i].want);
		free(v);
	}
	xmlFreeDoc(doc);
	/* A run that could not run is an <error>, not a <failure>. */
	runs[1]->error = xstrdup("scenario line 3: unknown node \"<x>\"");
	runs[1]->passed = false;
	ck_assert_int_eq(rn_junit_write(tmp_file, runs, 2), 0);
	doc = xmlReadFile(tmp_file, NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	v = xpath_str(doc, "concat(//testsuite/@errors, ' ', "
			   "//testsuite/@failures, ' ', //error/@message)");
	ck_assert_str_eq(v, "1 1 scenario line 3: unknown node \"<x>\"");
	free(v);
	xmlFreeDoc(doc);
}
END_TEST

/* ---- pcapng ------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* UDP 7 (run 0: 5, run 1: 2); TCP pcscf-scscf 3 + 1 + 1 + 2 + 3, TCP
 * scscf-hss 3 + 1 + 1 + 3. */
#define EXPECT_EPB 25

START_TEST(test_pcap_blocks)
{
	char *data;
	const uint8_t *p, *end;
	size_t len, nepb = 0, ncomment = 0, nbig = 0;
	uint64_t last = 0;
	uint32_t blen;

	ck_assert_int_eq(rn_pcap_write(tmp("run.pcapng"), runs, 2), 0);
	data = file_read(tmp_file, &len);
	p = (const uint8_t *)data;
	end = p + len;
	ck_assert_uint_eq(rd32(p), 0x0a0d0d0a);
	ck_assert_uint_eq(rd32(p + 8), 0x1a2b3c4d);
	for (int i = 0; p < end; i++, p += blen) {
		uint32_t type = rd32(p), cap = rd32(p + 20), sum = 0;
		uint64_t ts = (uint64_t)rd32(p + 12) << 32 | rd32(p + 16);
		const uint8_t *pkt = p + 28, *o = pkt + ((cap + 3) & ~3u);

		blen = rd32(p + 4);
		ck_assert_uint_eq(blen % 4, 0);
		ck_assert(blen >= 12 && blen <= (size_t)(end - p));
		ck_assert_uint_eq(rd32(p + blen - 4), blen);
		ck_assert_uint_eq(type, i == 0 ? 0x0a0d0d0a : i == 1 ? 1 : 6);
		if (i == 1)
			ck_assert_uint_eq(rd32(p + 8) & 0xffff, 101);
		if (type != 6)
			continue;
		ck_assert_uint_eq(rd32(p + 24), cap);
		ck_assert(32 + cap <= blen);
		ck_assert_uint_ge(ts, last);
		last = ts;
		/* Options follow the padded packet: the run's comment. */
		if (blen > 32 + ((cap + 3) & ~3u)) {
			ck_assert_uint_eq(o[0] | o[1] << 8, 1);
			ck_assert(!memcmp(o + 4, "imstb run scenarios/", 20));
			ncomment++;
		}
		/* IPv4: the RFC 791 header checksum verifies. */
		for (int k = 0; (pkt[0] >> 4) == 4 && k < 20; k += 2)
			sum += (uint32_t)pkt[k] << 8 | pkt[k + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ck_assert_uint_eq(sum, (pkt[0] >> 4) == 4 ? 0xffff : 0);
		/* IP total length (v4), payload length + 40 (v6). */
		ck_assert_uint_eq((pkt[0] >> 4) == 4
					  ? pkt[2] << 8 | pkt[3]
					  : (pkt[4] << 8 | pkt[5]) + 40,
				  cap);
		nbig += cap > 60000;
		nepb++;
	}
	ck_assert_uint_eq(nepb, EXPECT_EPB);
	ck_assert_uint_eq(ncomment, 2);
	ck_assert_uint_eq(nbig, 1); /* 70000 bytes: 65000 + the rest */
	free(data);
}
END_TEST

/* Lines tshark prints for a display filter; -1 if tshark failed. */
static int tshark_count(const char *path, const char *filter)
{
	char cmd[1024], line[4096];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.check_checksum:TRUE "
		 "-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-d udp.port==15060,sip -d tcp.port==16060,sip "
		 "-d tcp.port==13868,diameter -Y '%s' 2>/dev/null",
		 path, filter);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n++;
	return pclose(f) == 0 ? n : -1;
}

static const struct {
	const char *filter;
	int n;
} tshark_vec[] = {
	{ "frame", EXPECT_EPB },
	{ "_ws.malformed || _ws.expert.severity == error", 0 },
	/* 8 in run 0 (the big one is reassembled: counted once), 2 in 1 */
	{ "sip", 8 + 2 },
	{ "sip.Method == \"MESSAGE\" && sip.msg_body", 2 },
	{ "diameter", 2 },
	{ "diameter.cmd.code == 303 && diameter.Session-Id", 2 },
	{ "ipv6 && sip", 2 },
	{ "tcp.flags.syn == 1", 4 },
	{ "tcp.flags.fin == 1", 4 },
	{ "frame.comment contains \"-d tcp.port==13868,diameter\"", 1 },
};

START_TEST(test_pcap_tshark)
{
	if (system("tshark -v >/dev/null 2>&1") != 0) {
		fprintf(stderr, "tshark not found: dissection not checked\n");
		return;
	}
	ck_assert_int_eq(rn_pcap_write(tmp("run.pcapng"), runs, 2), 0);
	ck_assert_int_eq(tshark_count(tmp_file, tshark_vec[_i].filter),
			 tshark_vec[_i].n);
}
END_TEST

/* ---- HTML ---------------------------------------------------------------- */

START_TEST(test_html)
{
	/* clang-format off */
	static const char *const want[] = {
		"<!DOCTYPE html>", "<svg", "<tspan class=\"stp\">8-9</tspan>",
		"<tspan class=\"stp\">1</tspan>", ">client</text>",
		">other</text>", "6.X.2.1.2.2-1", "Initial registration",
		"FAILED", "PASSED", "class=\"ev fail\"", "data-bin=\"1\"",
		"data-dec=\"Diameter MAR (303)", "<td class=\"failc\">FAILED",
		"SIP-Auth-Data-Item(612/10415)", EVIL_ESC,
	};
	/* clang-format on */
	static const char *const banned[] = {
		"<script>alert", "src=",	"<link",   "@import",
		"url(http",	 "href=\"http", "<iframe",
	};
	char *html, cmd[256];
	struct buf b64 = { 0 };
	size_t len;

	ck_assert_int_eq(rn_html_write(tmp("report.html"), runs, 2), 0);
	html = file_read(tmp_file, &len);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		ck_assert_msg(strstr(html, want[i]), "missing: %s", want[i]);
	for (size_t i = 0; i < ARRAY_SIZE(banned); i++)
		ck_assert_msg(!strstr(html, banned[i]), "found: %s", banned[i]);
	/* Our one script, nothing from the messages; purpose (1), detail
	 * in the table (1), the 200's arrow has it only in base64. */
	ck_assert_uint_eq(count_str(html, "<script"), 1);
	ck_assert_uint_eq(count_str(html, "</script"), 1);
	ck_assert_uint_eq(count_str(html, EVIL_ESC), 2);
	ck_assert_uint_eq(count_str(html, "<g class=\"ev "), 10 + 2);
	ck_assert_uint_eq(count_str(html, "<tr class="), 10 + 1);
	/* Every arrow carries its message byte for byte. */
	for (size_t k = 0; k < runs[0]->nevents; k++) {
		buf_reset(&b64);
		trace_base64(&b64, runs[0]->events[k].raw,
			     runs[0]->events[k].len);
		ck_assert_ptr_nonnull(strstr(html, b64.data));
	}
	buf_close(&b64);
	/* The script at least parses, when node is at hand. */
	if (system("node --version >/dev/null 2>&1") == 0) {
		const char *a = strstr(html, "<script>") + 8;
		FILE *f = fopen(tmp("page.js"), "w");

		ck_assert_ptr_nonnull(f);
		fwrite(a, 1, (size_t)(strstr(a, "</script>") - a), f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "node --check '%s'", tmp_file);
		ck_assert_int_eq(system(cmd), 0);
	}
	free(html);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

static int (*const writers[])(const char *, struct rn_run *const *,
			      size_t) = { rn_junit_write, rn_pcap_write,
					  rn_html_write };

START_TEST(test_write_errors)
{
	struct stat st;

	ck_assert_int_eq(writers[_i]("/nonexistent/dir/x", runs, 2), -ENOENT);
	ck_assert_int_eq(writers[_i](NULL, runs, 2), -EINVAL);
	/* No run at all still makes a valid (empty) artefact. */
	ck_assert_int_eq(writers[_i](tmp("empty"), NULL, 0), 0);
	ck_assert_int_eq(stat(tmp_file, &st), 0);
	ck_assert_int_gt(st.st_size, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("writers");
	TCase *tc = tcase_create("writers");
	SRunner *sr;
	int failed;

	/* tshark takes a second or two per call. */
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_xml_escape, 0, (int)ARRAY_SIZE(esc_vec));
	tcase_add_loop_test(tc, test_event_brief, 0,
			    (int)ARRAY_SIZE(brief_vec));
	tcase_add_loop_test(tc, test_ladder_fits, 0,
			    (int)ARRAY_SIZE(ladder_widths));
	tcase_add_test(tc, test_ladder_color);
	tcase_add_test(tc, test_junit);
	tcase_add_test(tc, test_pcap_blocks);
	tcase_add_loop_test(tc, test_pcap_tshark, 0,
			    (int)ARRAY_SIZE(tshark_vec));
	tcase_add_test(tc, test_html);
	tcase_add_loop_test(tc, test_write_errors, 0, (int)ARRAY_SIZE(writers));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
