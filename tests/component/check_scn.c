/* check_scn.c - the runner's scenario parser and matcher in-process: scenario
 * texts against a synthetic trace of one registration (every message traced
 * by its sender and its receiver, as the real nodes do). */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/match.h"
#include "diam/diam_cx.h"

/* ---- parser ------------------------------------------------------------- */

#define HEAD "title T\nfigure TS 24.228 5.2.2.3\nnodes client pcscf scscf hss\n"
#define WEB "title T\nfigure 6.X.2.1.2.2-1\nnodes client wws wsf pcscf\n" \
	    "user alice\nstep 1 client -> wws HTTP GET /\n"

static const struct {
	const char *text;
	const char *err; /* NULL: valid; else a substring of the error */
} parse_vec[] = {
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n", NULL },
	{ HEAD "  # comment\n\nstep 1 client -> pcscf SIP REGISTER  # c\n"
	       "  header Path absent\n  header \"X\" present\n",
	  NULL },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  header\n",
	  "t.scn:5: 'header' wants a name" },
	{ HEAD "stpe 1 client -> pcscf SIP REGISTER\n",
	  "t.scn:4: unknown keyword 'stpe'" },
	{ HEAD "header Path present\n", "t.scn:4: 'header' checks a message" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  avp User-Name present\n",
	  "t.scn:5: 'avp' does not apply to SIP" },
	{ HEAD "step 3 scscf -> hss Diameter MAR\n  avp User-Nmae present\n",
	  "t.scn:5: unknown AVP 'User-Nmae'" },
	{ HEAD "step 3 scscf -> hss Diameter SAR\n"
	       "  avp Server-Assignment-Type == REGISTRATON\n",
	  "'REGISTRATON' is not a value of Server-Assignment-Type" },
	{ HEAD "step 3 scscf -> hss Diameter XYZ\n",
	  "unknown Diameter command 'XYZ'" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n"
	       "  param Authorization nonce == $nonce\n",
	  "t.scn:5: $nonce is not captured before this line" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  header Path ~ \"(\"\n",
	  "bad regular expression" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  header Path ==\n",
	  "'==' wants exactly one value" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n"
	       "  header P-Visited-Network-ID == Visited Network\n",
	  "'==' wants exactly one value (quote it" },
	{ HEAD "step 1 client -> wsf SIP REGISTER\n",
	  "node 'wsf' is not in the `nodes` list" },
	{ HEAD "step 1 client -> pcsf SIP REGISTER\n", "unknown node 'pcsf'" },
	{ HEAD "step 1 client -> pcscf SIP register\n",
	  "neither a SIP method" },
	{ HEAD "step client -> pcscf SIP REGISTER\n", "wants a figure step" },
	{ HEAD "title X\n", "t.scn:4: second title" },
	{ "figure F\nnodes hss\nstep 1 hss -> hss Diameter MAR\n",
	  "t.scn:1: no title" },
	{ HEAD "user carol\n", "not a demo user" },
	{ HEAD "client alice register\n", "no user 'alice'" },
	{ HEAD "user alice\nclient alice register transport=sctp\n"
	       "step 1 client -> pcscf SIP REGISTER\n",
	  "transport must be udp or tcp" },
	{ HEAD "user alice\nwait client alice registred\n", "usage: wait" },
	{ HEAD "wait 5parsecs\n", "bad duration" },
	/* fault actions */
	{ HEAD "crash scscf\nstart scscf\nwait step 1 2s\n"
	       "fault pcscf drop sip REGISTER to=scscf count=1\n"
	       "fault hss delay diam MAA 1500ms\nfault pcscf clear\n"
	       "step 1 client -> pcscf SIP REGISTER\n"
	       "step 2 pcscf -> scscf SIP REGISTER dropped\n",
	  NULL },
	{ HEAD "wait step 7\nstep 1 client -> pcscf SIP REGISTER\n",
	  "t.scn:4: wait step 7: no `step 7` line" },
	{ HEAD "fault client drop sip REGISTER\n", "has no fault filter" },
	{ HEAD "fault pcscf drop sip register\n", "is not a SIP message" },
	{ HEAD "fault hss drop diam MAX\n", "is not a Diameter message" },
	{ HEAD "fault hss delay diam MAA\n", "usage: fault" },
	{ HEAD "fault pcscf drop sip 200 to=wsf\n", "not in the `nodes`" },
	{ HEAD "fault pcscf drop sip 4xx count=0\n", "bad count" },
	{ HEAD "crash\n", "usage: crash NODE" },
	/* tests/fuzz: a duration beyond long was converted (UB) */
	{ HEAD "wait 1e300s\n", "bad duration" },
	{ HEAD "wait inf\n", "bad duration" },
	{ HEAD "wait nan\n", "bad duration" },
	{ HEAD "timeout 1e30m\n", "timeout" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  header X == \"abc\n",
	  "unterminated" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  count param X y == 1\n",
	  "count applies to header and avp only" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n"
	       "  count header Via == two\n",
	  "wants a number" },
	{ HEAD "timers slow\n", "usage: timers" },
	{ HEAD "config pcscf t1_ms\n", "is not key=value" },
	{ HEAD, "no step" },
	/* tests/fuzz: a last line ending in a lone CR (no LF) was read
	 * again forever; CRLF and a final CR are both line ends. */
	{ HEAD "step 1 client -> pcscf SIP REGISTER\r\n# end\r", NULL },
	{ "# x\r", "t.scn:1: no title" },
	/* tests/fuzz: nested repetitions made regcomp take gigabytes */
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n  uri Path ~ \"^s++ip\"\n",
	  "stacked repetitions" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n"
	       "  header Path ~ \"((a{999}){999})\"\n",
	  "too many repetitions" },
	{ HEAD "step 1 client -> pcscf SIP REGISTER\n"
	       "  header Path ~ \"^[[:alnum:]]{32}(;[a-z]+=[^;]*)*$\"\n",
	  NULL },
	/* WebRTC: actions, the WS selector, json */
	{ WEB "client alice web get /\nclient alice web login\n"
	      "client alice web login a@b pw\n"
	      "wait client alice login status=200 result=ims_auth_required\n"
	      "client alice register via=wss credential=terminate\n"
	      "client alice register via=ws auth=bearer token=x.y.z\n"
	      "step 4 client -> wsf WS upgrade\n"
	      "  header Sec-WebSocket-Protocol == sip\n"
	      "step 3 wws -> client HTTP 200\n  json result == ok\n",
	  NULL },
	{ HEAD "user alice\nclient alice web get /\n", "need the wws node" },
	{ WEB "client alice web get page\n", "usage: client USER web" },
	{ WEB "client alice web login a@b\n", "usage: client USER web" },
	{ WEB "client alice register via=sctp\n",
	  "via must be udp, tcp, ws or wss" },
	{ WEB "client alice register credential=keep\n",
	  "credential must be terminate or none" },
	{ WEB "client alice refresh via=wss\n", "refresh takes no setting" },
	{ HEAD "user alice\nclient alice register via=wss\n",
	  "via=wss needs the wsf node" },
	{ WEB "wait client alice login result=\n", "bad result" },
	{ WEB "step 1 client -> wsf SIP REGISTER\n  json x == 1\n",
	  "'json' does not apply to SIP" },
};

START_TEST(test_parse)
{
	char err[SCN_ERR_LEN];
	struct scn *s = NULL;
	int rc = scn_parse(&s, "t.scn", parse_vec[_i].text, err);

	if (!parse_vec[_i].err) {
		ck_assert_msg(rc == 0, "unexpected error: %s", err);
		ck_assert_ptr_nonnull(s);
	} else {
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(err, parse_vec[_i].err),
			      "error '%s' lacks '%s'", err, parse_vec[_i].err);
	}
	scn_free(s);
}
END_TEST

START_TEST(test_parse_whole)
{
	static const char text[] =
		"title   Initial registration\n"
		"figure  TS 24.228 5.2.2.3\n"
		"purpose The UE registers.\n"
		"tags    ims udp\n"
		"note    first note\n"
		"note    second note\n"
		"nodes   client pcscf scscf hss\n"
		"timers  fast\n"
		"config  scscf digest_algorithms=MD5 default_expires=600\n"
		"provision hss subscriber add c@x pw sip:c@x\n"
		"user alice\n"
		"user nobody impu=sip:nobody@x impi=nobody@x password=pw\n"
		"client alice register transport=tcp expires=600\n"
		"wait client alice registered status=200 5s\n"
		"wait 200ms\n"
		"stop hss\n"
		"step 5 scscf -> pcscf SIP 401\n"
		"  capture nonce = param WWW-Authenticate nonce ~ \"^(.*)$\"\n"
		"step 7 client -> pcscf SIP REGISTER\n"
		"  param Authorization nonce == $nonce\n"
		"  header X ~ \"a${nonce}b\"\n"
		"never 2-5 client -> pcscf SIP 4xx\n"
		"require scscf -> hss Diameter SAR\n"
		"allow * -> * Diameter DWR\n"
		"forbid * -> hss Diameter UAR\n";
	char err[SCN_ERR_LEN];
	struct scn *s;

	ck_assert_msg(scn_parse(&s, "w.scn", text, err) == 0, "%s", err);
	ck_assert_str_eq(s->notes, "first note\nsecond note");
	ck_assert_str_eq(s->tags, "ims udp");
	ck_assert_uint_eq(s->nnodes, 4);
	ck_assert_uint_eq(s->nconfs, 2);
	ck_assert_uint_eq(s->nprovs, 1);
	ck_assert_uint_eq(s->provs[0].argc, 5);
	ck_assert_uint_eq(s->nusers, 2);
	ck_assert_str_eq(scn_user_find(s, "alice")->password, "alice-pass");
	ck_assert(s->timers_fast);
	ck_assert_uint_eq(s->nacts, 4);
	ck_assert_int_eq(s->acts[1].kind, SCN_ACT_WAIT_CLIENT);
	ck_assert_int_eq(s->acts[1].ms, 5000);
	ck_assert_int_eq(s->acts[1].status, 200);
	ck_assert_int_eq(s->acts[2].ms, 200);
	ck_assert_int_eq(s->acts[3].kind, SCN_ACT_STOP);
	ck_assert_uint_eq(s->nsteps, 6);
	ck_assert_str_eq(s->steps[1].checks[0].arg, "${nonce}");
	ck_assert(s->steps[1].checks[0].has_vars);
	ck_assert_str_eq(s->steps[2].label, "2-5");
	ck_assert_str_eq(s->steps[2].what, "SIP 4xx");
	ck_assert_int_eq(s->steps[5].kind, SCN_FORBID);
	scn_free(s);
}
END_TEST

/* ---- a synthetic trace --------------------------------------------------- */

enum { CLIENT, PCSCF, SCSCF, SCSCF_CX, HSS };
static const char *const node_of[] = { "client", "pcscf", "scscf", "scscf",
				       "hss" };
static const uint16_t port_of[] = { 40000, 5060, 6060, 50001, 3868 };

#define REG_HDRS(cseq, auth)                                                  \
	"Max-Forwards: 70\r\nFrom: <sip:alice@ims.example.com>;tag=ft1\r\n"   \
	"To: <sip:alice@ims.example.com>\r\nCall-ID: cid1\r\n"               \
	"CSeq: " cseq " REGISTER\r\n"                                        \
	"Contact: <sip:alice@127.0.0.1:40000>;expires=600\r\n"               \
	"Authorization: Digest username=\"alice@ims.example.com\", "         \
	"realm=\"ims.example.com\", uri=\"sip:ims.example.com\", " auth      \
	"\r\nSupported: path\r\n"
#define VIA_UE "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKc1;rport\r\n"
#define VIA_P "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp1\r\n"
#define EDGE                                                                  \
	"Path: <sip:term@127.0.0.1:5060;lr>\r\nRequire: path\r\n"            \
	"P-Visited-Network-ID: \"Visited Network Number 1\"\r\n"             \
	"P-Charging-Vector: icid-value=abc123\r\n"
#define RESP(st) "SIP/2.0 " st "\r\n"
#define RESP_HDRS(cseq)                                                       \
	"From: <sip:alice@ims.example.com>;tag=ft1\r\n"                      \
	"To: <sip:alice@ims.example.com>;tag=tt1\r\nCall-ID: cid1\r\n"       \
	"CSeq: " cseq " REGISTER\r\n"
#define CHAL                                                                  \
	"WWW-Authenticate: Digest realm=\"ims.example.com\", "               \
	"nonce=\"N0NCE\", algorithm=MD5, qop=\"auth\"\r\n"
#define OK_HDRS                                                               \
	"Path: <sip:term@127.0.0.1:5060;lr>\r\n"                             \
	"Service-Route: <sip:orig@127.0.0.1:6060;lr>\r\n"                    \
	"P-Associated-URI: <sip:alice@ims.example.com>, <tel:+15550100>\r\n"
#define END "Content-Length: 0\r\n\r\n"
#define REQ "REGISTER sip:ims.example.com SIP/2.0\r\n"
#define A1 "nonce=\"\", response=\"\""
#define A2 "nonce=\"N0NCE\", response=\"0123\", nc=00000001"

static const struct {
	int from, to;
	const char *sip;    /* NULL: Diameter, built by diam_msg() */
	uint32_t cmd;
	bool req;
	uint32_t arg;       /* SAR type, answer result */
} flow[] = {
	{ CLIENT, PCSCF, REQ VIA_UE REG_HDRS("1", A1) END, 0, 0, 0 },
	{ PCSCF, SCSCF, REQ VIA_P VIA_UE REG_HDRS("1", A1) EDGE END, 0, 0, 0 },
	{ SCSCF_CX, HSS, NULL, DIAM_CMD_MA, true, 0 },
	{ HSS, SCSCF_CX, NULL, DIAM_CMD_MA, false, 2001 },
	{ SCSCF, PCSCF, RESP("401 Unauthorized") VIA_P VIA_UE RESP_HDRS("1")
		CHAL END, 0, 0, 0 },
	{ PCSCF, CLIENT, RESP("401 Unauthorized") VIA_UE RESP_HDRS("1")
		CHAL END, 0, 0, 0 },
	/* a retransmission of the 401 */
	{ PCSCF, CLIENT, RESP("401 Unauthorized") VIA_UE RESP_HDRS("1")
		CHAL END, 0, 0, 0 },
	{ CLIENT, PCSCF, REQ VIA_UE REG_HDRS("2", A2) END, 0, 0, 0 },
	{ PCSCF, SCSCF, REQ VIA_P VIA_UE REG_HDRS("2", A2) EDGE END, 0, 0, 0 },
	{ SCSCF_CX, HSS, NULL, DIAM_CMD_SA, true, 1 },
	{ HSS, SCSCF_CX, NULL, DIAM_CMD_SA, false, 2001 },
	{ SCSCF, PCSCF, RESP("200 OK") VIA_P VIA_UE RESP_HDRS("2") OK_HDRS END,
	  0, 0, 0 },
	{ PCSCF, CLIENT, RESP("200 OK") VIA_UE RESP_HDRS("2") OK_HDRS END, 0, 0,
	  0 },
};

static void diam_msg(struct buf *b, uint32_t cmd, bool req, uint32_t arg)
{
	struct diam_cx c = {
		.cmd = cmd,
		.request = req,
		.session_id = SV("scscf;1;1"),
		.origin_host = SV("x.ims.example.com"),
		.origin_realm = SV("ims.example.com"),
		.dest_realm = SV("ims.example.com"),
		.user_name = SV("alice@ims.example.com"),
		.public_identity = SV("sip:alice@ims.example.com"),
		.server_name = SV("sip:scscf.ims.example.com:6060"),
	};

	if (req && cmd == DIAM_CMD_MA) {
		c.has_num_auth_items = true;
		c.num_auth_items = 1;
		c.n_auth = 1;
		c.auth[0].scheme = SV("SIP Digest");
	} else if (req) {
		c.sat = arg;
	} else {
		c.result = arg;
		c.public_identity = SV_NULL;
		c.server_name = SV_NULL;
	}
	if (!req && cmd == DIAM_CMD_MA) {
		c.n_auth = 1;
		c.auth[0] = (struct diam_cx_auth){
			.scheme = SV("SIP Digest"),
			.realm = SV("ims.example.com"),
			.algorithm = SV("MD5"),
			.qop = SV("auth"),
			.ha1 = SV("00112233445566778899aabbccddeeff"),
		};
	}
	if (!req && cmd == DIAM_CMD_SA)
		c.user_data = SV("<IMSSubscription/>");
	ck_assert_int_eq(diam_cx_build(b, &c, 7, 9), 0);
}

static struct sockaddr_storage addr(int who)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port_of[who]);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return ss;
}

static void add(struct rn_event **ev, size_t *n, int k, bool sent, double t)
{
	struct rn_event *e;
	struct buf b;
	int node = sent ? flow[k].from : flow[k].to;

	buf_init(&b);
	if (flow[k].sip)
		buf_puts(&b, flow[k].sip);
	else
		diam_msg(&b, flow[k].cmd, flow[k].req, flow[k].arg);
	*ev = xrealloc(*ev, (*n + 1) * sizeof(**ev));
	e = &(*ev)[(*n)++];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->sent = sent;
	snprintf(e->node, sizeof(e->node), "%s", node_of[node]);
	snprintf(e->proto, sizeof(e->proto), "%s",
		 flow[k].sip ? "sip" : "diameter");
	snprintf(e->transport, sizeof(e->transport), "%s",
		 flow[k].sip ? "udp" : "tcp");
	e->src = addr(flow[k].from);
	e->dst = addr(flow[k].to);
	e->summary = xstrdup(flow[k].sip ? "SIP" : "Diameter");
	e->raw = (unsigned char *)buf_steal(&b, &e->len);
}

/* The run of a scenario over the flow; skip: flow entries left out;
 * swap: two entries exchanged. */
static struct rn_run *run_flow(const char *text, int skip, int swap)
{
	char err[SCN_ERR_LEN];
	struct scn *s;
	struct rn_run *r = xcalloc(1, sizeof(*r));
	struct rn_event *ev = NULL;
	size_t n = 0;
	struct mt_name names[3] = { { .name = "pcscf" }, { .name = "scscf" },
				    { .name = "hss" } };
	double t = 1000.0;

	names[0].addr = addr(PCSCF);
	names[1].addr = addr(SCSCF);
	names[2].addr = addr(HSS);
	ck_assert_msg(scn_parse(&s, "m.scn", text, err) == 0, "%s", err);
	for (int k = 0; k < (int)ARRAY_SIZE(flow); k++) {
		int f = swap < 0 ? k : k == swap ? swap + 1
				   : k == swap + 1 ? swap : k;

		if (f == skip)
			continue;
		add(&ev, &n, f, true, t += 0.001);
		add(&ev, &n, f, false, t += 0.001);
	}
	mt_events_build(r, ev, n, names, 3);
	mt_match(r, s);
	scn_free(s);
	return r;
}

#define FLOW HEAD "user alice\n"

START_TEST(test_events)
{
	struct rn_run *r = run_flow(FLOW "step 1 client -> pcscf SIP "
					 "REGISTER\n", -1, -1);

	/* one event per message, both ends named, the 401 retransmission
	 * flagged */
	ck_assert_uint_eq(r->nevents, ARRAY_SIZE(flow));
	ck_assert_str_eq(r->events[0].from, "client");
	ck_assert_str_eq(r->events[0].to, "pcscf");
	ck_assert(!r->events[0].sent);
	ck_assert_str_eq(r->events[2].from, "scscf");
	ck_assert_str_eq(r->events[2].to, "hss");
	ck_assert(!r->events[5].retrans);
	ck_assert(r->events[6].retrans);
	ck_assert_str_eq(r->events[0].step, "1");
	ck_assert(r->passed);
	rn_run_free(r);
}
END_TEST

#define STEPS_OK                                                              \
	"step 1 client -> pcscf SIP REGISTER\n"                               \
	"  param Authorization nonce == \"\"\n"                               \
	"  header Path absent\n"                                              \
	"step 2 pcscf -> scscf SIP REGISTER\n"                                \
	"  uri Path ~ ^sip:term@\n"                                           \
	"  uriparam Path lr present\n"                                        \
	"  header P-Visited-Network-ID == "                                    \
	"\"\\\"Visited Network Number 1\\\"\"\n"                        \
	"  capture icid = param P-Charging-Vector icid-value\n"               \
	"  count header Via == 2\n"                                           \
	"step 3 scscf -> hss Diameter MAR\n"                                  \
	"  avp User-Name == alice@ims.example.com\n"                          \
	"  avp SIP-Authentication-Scheme == \"SIP Digest\"\n"                 \
	"step 4 hss -> scscf Diameter MAA\n"                                  \
	"  result == DIAMETER_SUCCESS\n"                                      \
	"  avp Digest-HA1 ~ ^[0-9a-f]{32}$\n"                                 \
	"  avp SIP-Digest-Authenticate ~ Digest-HA1\n"                        \
	"step 5 scscf -> pcscf SIP 401\n"                                     \
	"  capture nonce = header WWW-Authenticate ~ nonce=\"([^\"]*)\"\n"    \
	"  param WWW-Authenticate qop == auth\n"                              \
	"step 6 pcscf -> client SIP 401\n"                                    \
	"step 7 client -> pcscf SIP REGISTER\n"                               \
	"  param Authorization nonce == $nonce\n"                             \
	"  header Authorization ~ \"nonce=.${nonce}.\"\n"                     \
	"step 8-9 scscf -> hss Diameter SAR\n"                                \
	"  avp Server-Assignment-Type == REGISTRATION\n"                      \
	"step 8-9 hss -> scscf Diameter SAA\n"                                \
	"  avp User-Data present\n"                                           \
	"step 10 scscf -> pcscf SIP 2xx\n"                                    \
	"  uri P-Associated-URI[1] == sip:alice@ims.example.com\n"            \
	"  uri P-Associated-URI[2] == tel:+15550100\n"                        \
	"  count header P-Associated-URI == 2\n"                              \
	"  header Service-Route ~ \"^<sip:orig@\"\n"                          \
	"step 11 pcscf -> client SIP 200\n"                                   \
	"forbid * -> hss Diameter UAR\n"                                      \
	"require scscf -> hss Diameter SAR\n"

static const struct {
	const char *name;
	const char *steps; /* after FLOW */
	int skip, swap;    /* flow entries left out / exchanged */
	const char *label; /* NULL: passes; else the step that fails */
	const char *detail;
} match_vec[] = {
	{ "all steps hold", STEPS_OK, -1, -1, NULL, NULL },
	{ "changed status", "step 6 pcscf -> client SIP 403\n", -1, -1, "6",
	  "no SIP 403 from pcscf to client; instead: SIP" },
	{ "missing header", "step 2 pcscf -> scscf SIP REGISTER\n"
			    "  header P-Asserted-Identity present\n",
	  -1, -1, "2",
	  "header P-Asserted-Identity: expected present, got (absent)" },
	{ "wrong value", "step 3 scscf -> hss Diameter SAR\n"
			 "  avp Server-Assignment-Type == RE_REGISTRATION\n",
	  -1, -1, "3",
	  "avp Server-Assignment-Type: expected == \"2\", got \"1\" "
	  "(REGISTRATION)" },
	{ "out of order", "step 7 client -> pcscf SIP REGISTER\n"
			  "  param Authorization response != \"\"\n"
			  "step 5 scscf -> pcscf SIP 401\n",
	  -1, -1, "5", "after step 7; one came earlier" },
	{ "swapped on the wire", "step 3 scscf -> hss Diameter MAR\n"
				 "step 4 hss -> scscf Diameter MAA\n"
				 "step 5 scscf -> pcscf SIP 401\n",
	  -1, 3, "5", "no SIP 401 from scscf to pcscf after step 4; one "
		      "came earlier (SIP), out of order" },
	{ "forbidden present", "step 1 client -> pcscf SIP REGISTER\n"
			       "forbid scscf -> hss Diameter MAR\n",
	  -1, -1, "forbid", "seen, but forbidden" },
	{ "forbidden but allowed", "step 1 client -> pcscf SIP REGISTER\n"
				   "forbid scscf -> hss Diameter *\n"
				   "allow scscf -> hss Diameter MAR\n"
				   "allow scscf -> hss Diameter SAR\n",
	  -1, -1, NULL, NULL },
	{ "never holds", "step 1 client -> pcscf SIP REGISTER\n"
			 "never 2 pcscf -> client SIP 2xx\n"
			 "step 5 scscf -> pcscf SIP 401\n",
	  -1, -1, NULL, NULL },
	{ "never broken", "step 1 client -> pcscf SIP REGISTER\n"
			  "never 2-5 scscf -> hss Diameter MAR\n"
			  "step 6 pcscf -> client SIP 401\n",
	  -1, -1, "2-5", "happened, but the figure skips" },
	{ "missing message", "step 1 client -> pcscf SIP REGISTER\n"
			     "step 4 hss -> scscf Diameter MAA\n",
	  3, -1, "4", "no Diameter MAA from hss to scscf after step 1" },
	{ "required absent", "step 1 client -> pcscf SIP REGISTER\n"
			     "require scscf -> hss Diameter SAR\n",
	  9, -1, "require", "no Diameter SAR from scscf to hss" },
	{ "capture of a failed step", "step 5 scscf -> pcscf SIP 401\n"
				      "  capture n = param WWW-Authenticate "
				      "nonce\n"
				      "  header Foo present\n"
				      "step 7 client -> pcscf SIP REGISTER\n"
				      "  param Authorization nonce == $n\n",
	  -1, -1, "7", "$n was not captured" },
	{ "retransmission ignored", "step 6 pcscf -> client SIP 401\n"
				    "step 6b pcscf -> client SIP 401\n",
	  -1, -1, "6b", "no SIP 401 from pcscf to client after step 6" },
};

START_TEST(test_match)
{
	struct buf b;
	struct rn_run *r;
	bool found = false;

	buf_init(&b);
	buf_printf(&b, FLOW "%s", match_vec[_i].steps);
	r = run_flow(b.data, match_vec[_i].skip, match_vec[_i].swap);
	if (!match_vec[_i].label) {
		for (size_t k = 0; k < r->nsteps; k++)
			ck_assert_msg(r->steps[k].ok, "%s: step %s: %s",
				      match_vec[_i].name, r->steps[k].label,
				      r->steps[k].detail);
		ck_assert(r->passed);
	} else {
		ck_assert_msg(!r->passed, "%s passed", match_vec[_i].name);
		for (size_t k = 0; k < r->nsteps; k++) {
			if (strcmp(r->steps[k].label, match_vec[_i].label))
				continue;
			ck_assert(!r->steps[k].ok);
			ck_assert_msg(strstr(r->steps[k].detail,
					     match_vec[_i].detail),
				      "%s: '%s' lacks '%s'", match_vec[_i].name,
				      r->steps[k].detail,
				      match_vec[_i].detail);
			found = true;
		}
		ck_assert(found);
	}
	buf_close(&b);
	rn_run_free(r);
}
END_TEST

/* ---- HTTP and WebSocket events ---------------------------------------- */

#define LOGIN_REQ "POST /login HTTP/1.1\r\nHost: x\r\n" \
	"Content-Type: application/json\r\nContent-Length: 36\r\n\r\n" \
	"{\"id\":\"sip:a@ims\",\"password\":\"pw\"}"
#define LOGIN_RESP "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Content-Length: 62\r\n\r\n{\"result\":\"ims_auth_required\"," \
	"\"impu\":\"sip:a@ims\",\"n\":{\"k\":[1,2]}}"
#define UPGRADE "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" \
	"Connection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
#define SWITCH "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" \
	"Sec-WebSocket-Protocol: sip\r\n\r\n"

static const struct {
	int from, to; /* 0 client, 1 wws, 2 wsf */
	const char *raw;
} web_flow[] = {
	{ 0, 1, LOGIN_REQ },
	{ 1, 0, LOGIN_RESP },
	{ 0, 2, UPGRADE },
	{ 2, 0, SWITCH },
};

static const struct {
	const char *steps;
	const char *label; /* NULL: passes; else the step that fails */
	const char *detail;
} web_vec[] = {
	{ "step 2 client -> wws HTTP POST /login\n"
	  "  json id == sip:a@ims\n  header Content-Type ~ json\n"
	  "step 3 wws -> client HTTP 200\n"
	  "  json result == ims_auth_required\n  json n.k[2] == 2\n"
	  "  json n == \"{\\\"k\\\":[1,2]}\"\n  json token absent\n"
	  "step 4 client -> wsf WS upgrade\n"
	  "  header Sec-WebSocket-Protocol == sip\n  method == GET\n"
	  "step 4 wsf -> client WS 101\n  status == 101\n",
	  NULL, NULL },
	{ "step 3 wws -> client HTTP 200\n  json result == ok\n", "3",
	  "json result: expected == \"ok\", got \"ims_auth_required\"" },
	{ "step 2 client -> wws HTTP POST /login\n  json x.y present\n", "2",
	  "json x.y: expected present, got (absent)" },
	{ "step 4 client -> wws WS upgrade\n", "4",
	  "no WS upgrade from client to wws" },
	{ "step 4 client -> wsf HTTP POST /login\n", "4",
	  "no HTTP POST /login from client to wsf" },
	{ "step 4 wsf -> client WS upgrade\n", "4",
	  "no WS upgrade from wsf to client" },
};

START_TEST(test_web)
{
	static const char *const names[] = { "client", "wws", "wsf" };
	static const uint16_t ports[] = { 41000, 8443, 7443 };
	struct mt_name nm[3];
	struct rn_event *ev = NULL;
	struct rn_run *r = xcalloc(1, sizeof(*r));
	char err[SCN_ERR_LEN];
	struct scn *s;
	struct buf b;
	size_t n = 0;
	bool found = false;

	for (int k = 0; k < 3; k++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&nm[k].addr;

		memset(&nm[k], 0, sizeof(nm[k]));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ports[k]);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		snprintf(nm[k].name, sizeof(nm[k].name), "%s", names[k]);
	}
	for (size_t k = 0; k < ARRAY_SIZE(web_flow); k++) {
		struct rn_event *e;

		ev = xrealloc(ev, (n + 1) * sizeof(*ev));
		e = &ev[n++];
		memset(e, 0, sizeof(*e));
		e->t = 100.0 + (double)k;
		e->sent = true;
		snprintf(e->node, sizeof(e->node), "%s",
			 names[web_flow[k].from]);
		snprintf(e->proto, sizeof(e->proto), "http");
		snprintf(e->transport, sizeof(e->transport), "tls");
		e->src = nm[web_flow[k].from].addr;
		e->dst = nm[web_flow[k].to].addr;
		e->summary = xstrdup("HTTP");
		e->raw = (unsigned char *)xstrdup(web_flow[k].raw);
		e->len = strlen(web_flow[k].raw);
	}
	mt_events_build(r, ev, n, nm, 3);
	buf_init(&b);
	buf_printf(&b, "title T\nfigure F\nnodes client wws wsf\n%s",
		   web_vec[_i].steps);
	ck_assert_msg(scn_parse(&s, "w.scn", b.data, err) == 0, "%s", err);
	mt_match(r, s);
	for (size_t k = 0; k < r->nsteps; k++) {
		if (!web_vec[_i].label) {
			ck_assert_msg(r->steps[k].ok, "step %s: %s",
				      r->steps[k].label, r->steps[k].detail);
			continue;
		}
		if (strcmp(r->steps[k].label, web_vec[_i].label))
			continue;
		ck_assert(!r->steps[k].ok);
		ck_assert_msg(strstr(r->steps[k].detail, web_vec[_i].detail),
			      "'%s' lacks '%s'", r->steps[k].detail,
			      web_vec[_i].detail);
		found = true;
	}
	ck_assert(web_vec[_i].label ? found && !r->passed : r->passed);
	scn_free(s);
	buf_close(&b);
	rn_run_free(r);
}
END_TEST

START_TEST(test_trace_read)
{
	char path[] = "/tmp/check_scn.XXXXXX";
	int fd = mkstemp(path);
	static const char lines[] =
		"{\"t\":1.5,\"node\":\"pcscf\",\"dir\":\"recv\","
		"\"proto\":\"sip\","
		"\"transport\":\"udp\",\"local\":\"127.0.0.1:5060\",\"peer\":"
		"\"127.0.0.1:40000\",\"summary\":\"OPTIONS x\",\"len\":5,"
		"\"raw\":\"aGVsbG8=\"}\n"
		"{\"t\":1.6,\"node\":\"pcscf\",\"dir\":\"send\","
		"\"proto\":\"sip\","
		"\"transport\":\"tcp\",\"local\":\"[::1]:5060\",\"peer\":"
		"\"[::1]:1\",\"summary\":\"x\",\"len\":0,\"raw\":\"\"}\n"
		"{\"t\":1.7,\"node\":\"pc\n";
	struct rn_event *ev;
	size_t n, bad;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, lines, sizeof(lines) - 1),
			 (ssize_t)sizeof(lines) - 1);
	close(fd);
	ck_assert_int_eq(rn_trace_read(path, &ev, &n, &bad), 0);
	unlink(path);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(ev[0].len, 5);
	ck_assert(!memcmp(ev[0].raw, "hello", 5));
	ck_assert(!ev[0].sent);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ev[0].src)->sin_port),
			  40000);
	ck_assert_int_eq(ev[1].src.ss_family, AF_INET6);
	ck_assert_uint_eq(ev[1].len, 0);
	for (size_t i = 0; i < n; i++)
		rn_event_close(&ev[i]);
	free(ev);
	ck_assert_int_eq(rn_trace_read("/nonexistent/t", &ev, &n, &bad), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scn");
	TCase *tc = tcase_create("scn");
	SRunner *sr;
	int failed;

	log_set_level(LOG_ERROR);
	tcase_add_loop_test(tc, test_parse, 0, (int)ARRAY_SIZE(parse_vec));
	tcase_add_test(tc, test_parse_whole);
	tcase_add_test(tc, test_events);
	tcase_add_loop_test(tc, test_match, 0, (int)ARRAY_SIZE(match_vec));
	tcase_add_loop_test(tc, test_web, 0, (int)ARRAY_SIZE(web_vec));
	tcase_add_test(tc, test_trace_read);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
