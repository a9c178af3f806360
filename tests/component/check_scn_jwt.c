/* check_scn_jwt.c - the token side of the scenario language (issue
 * [token]): the `jwt claim|header NAME` field on synthetic messages (a
 * REGISTER with either Bearer form, an introspection request's form body,
 * a login answer's JSON), and the parsing of `client USER token forge
 * KIND` with `token=$forged`. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runner/match.h"

/* {"alg":"ES256","kid":"k1","typ":"JWT"} .
 * {"iss":"https://w","sub":"alice@web","aud":["wsf","x"],"exp":1000,
 *  "impu":"sip:a@i"} . a fake signature */
#define JH "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0"
#define JP                                                                     \
	"eyJpc3MiOiJodHRwczovL3ciLCJzdWIiOiJhbGljZUB3ZWIiLCJhdWQiOlsid3NmIi" \
	"wieCJdLCJleHAiOjEwMDAsImltcHUiOiJzaXA6YUBpIn0"
#define JWT JH "." JP ".c2ln"

#define REG(auth)                                                             \
	"REGISTER sip:ims.example.com SIP/2.0\r\n"                            \
	"Via: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\n"                      \
	"From: <sip:a@i>;tag=1\r\nTo: <sip:a@i>\r\nCall-ID: c\r\n"            \
	"CSeq: 1 REGISTER\r\nAuthorization: " auth                          \
	"\r\nContent-Length: 0\r\n\r\n"

static const struct {
	int from, to; /* 0 client, 1 wsf, 2 wws */
	const char *proto;
	const char *raw;
} flow[] = {
	{ 0, 1, "sip", REG("Bearer " JWT) },
	{ 0, 1, "sip", REG("Bearer access_token=\"" JWT "\"") },
	{ 1, 2, "http",
	  "POST /introspect HTTP/1.1\r\nHost: w\r\n"
	  "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
	  "token_type_hint=x&token=" JH "%2E" JP ".c2ln" },
	{ 2, 0, "http",
	  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
	  "{\"result\":\"ok\",\"token\":\"" JWT "\"}" },
	{ 0, 1, "sip", REG("Bearer " JH ".eyJpc3MiOiJodHRw") },
	{ 1, 2, "sip", REG("Digest username=\"a@i\", nonce=\"\"") },
	/* the same bytes again: a second HTTP answer (a new request, not a
	 * retransmission); a SIP retransmission over the same addresses */
	{ 2, 0, "http",
	  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
	  "{\"result\":\"ok\",\"token\":\"" JWT "\"}" },
	{ 1, 2, "sip", REG("Digest username=\"a@i\", nonce=\"\"") },
};

static const struct {
	const char *steps;
	const char *label; /* NULL: passes; else the step that fails */
	const char *detail;
} vec[] = {
	{ "step 5 client -> wsf SIP REGISTER\n"
	  "  jwt header alg == ES256\n  jwt header kid == k1\n"
	  "  jwt claim iss == https://w\n  jwt claim exp == 1000\n"
	  "  jwt claim exp > 999\n"
	  "  jwt claim aud == \"[\\\"wsf\\\",\\\"x\\\"]\"\n"
	  "  jwt claim impu == sip:a@i\n  jwt claim impi absent\n"
	  "  capture sub = jwt claim sub\n"
	  "step 5 client -> wsf SIP REGISTER\n"
	  "  header Authorization ~ access_token\n  jwt claim sub == $sub\n"
	  "step 6 wsf -> wws HTTP POST /introspect\n"
	  "  jwt claim iss == https://w\n"
	  "step 7 wws -> client HTTP 200\n  jwt header typ == JWT\n"
	  "  jwt claim sub == alice@web\n"
	  "step 8 client -> wsf SIP REGISTER\n  jwt header alg == ES256\n"
	  "step 9 wsf -> wws SIP REGISTER\n  jwt claim iss absent\n"
	  "  jwt header alg absent\n",
	  NULL, NULL },
	{ "step 5 client -> wsf SIP REGISTER\n  jwt claim iss == https://x\n",
	  "5", "jwt claim iss: expected == \"https://x\", got \"https://w\"" },
	{ "step 5 client -> wsf SIP REGISTER\n  jwt claim nbf present\n",
	  "5", "jwt claim nbf: expected present, got (absent)" },
	{ "step 7 wws -> client HTTP 200\n  jwt claim sub == bob\n", "7",
	  "got \"alice@web\"" },
	{ "step 7 wws -> client HTTP 200\n"
	  "step 8 client -> wsf SIP REGISTER\n"
	  "  header Authorization !~ access_token\n"
	  "  header Authorization ~ \"Bearer [^.]*\\.[^.]*$\"\n"
	  "  jwt claim iss present\n",
	  "8", "jwt claim iss: not a JWT" },
	{ "step 9 wsf -> wws SIP REGISTER\n  jwt claim iss present\n", "9",
	  "jwt claim iss: expected present, got (absent)" },
	{ "step 7 wws -> client HTTP 200\nstep 7 wws -> client HTTP 200\n",
	  NULL, NULL },
	{ "step 9 wsf -> wws SIP REGISTER\nstep 10 wsf -> wws SIP REGISTER\n",
	  "10", "no SIP REGISTER from wsf to wws after step 9" },
};

static struct rn_run *run(const char *steps)
{
	static const char *const names[] = { "client", "wsf", "wws" };
	static const uint16_t ports[] = { 41000, 7443, 8443 };
	struct rn_run *r = xcalloc(1, sizeof(*r));
	struct rn_event *ev = NULL;
	struct mt_name nm[3];
	char err[SCN_ERR_LEN];
	struct scn *s;
	struct buf b;

	for (int k = 0; k < 3; k++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&nm[k].addr;

		memset(&nm[k], 0, sizeof(nm[k]));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ports[k]);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		snprintf(nm[k].name, sizeof(nm[k].name), "%s", names[k]);
	}
	ev = xcalloc(ARRAY_SIZE(flow), sizeof(*ev));
	for (size_t k = 0; k < ARRAY_SIZE(flow); k++) {
		struct rn_event *e = &ev[k];

		e->t = 100.0 + (double)k;
		e->sent = true;
		snprintf(e->node, sizeof(e->node), "%s", names[flow[k].from]);
		snprintf(e->proto, sizeof(e->proto), "%s", flow[k].proto);
		snprintf(e->transport, sizeof(e->transport), "tls");
		e->src = nm[flow[k].from].addr;
		e->dst = nm[flow[k].to].addr;
		e->summary = xstrdup("M");
		e->raw = (unsigned char *)xstrdup(flow[k].raw);
		e->len = strlen(flow[k].raw);
	}
	mt_events_build(r, ev, ARRAY_SIZE(flow), nm, 3);
	buf_init(&b);
	buf_printf(&b, "title T\nfigure F\nnodes client wsf wws\n%s", steps);
	ck_assert_msg(scn_parse(&s, "j.scn", b.data, err) == 0, "%s", err);
	mt_match(r, s);
	scn_free(s);
	buf_close(&b);
	return r;
}

START_TEST(test_jwt)
{
	struct rn_run *r = run(vec[_i].steps);
	bool found = false;

	for (size_t k = 0; k < r->nsteps; k++) {
		if (!vec[_i].label) {
			ck_assert_msg(r->steps[k].ok, "step %s: %s",
				      r->steps[k].label, r->steps[k].detail);
			continue;
		}
		if (strcmp(r->steps[k].label, vec[_i].label))
			continue;
		ck_assert(!r->steps[k].ok);
		ck_assert_msg(strstr(r->steps[k].detail, vec[_i].detail),
			      "'%s' lacks '%s'", r->steps[k].detail,
			      vec[_i].detail);
		found = true;
	}
	ck_assert(vec[_i].label ? found && !r->passed : r->passed);
	rn_run_free(r);
}
END_TEST

/* ---- parsing ------------------------------------------------------------ */

#define WEB "title T\nfigure 6.X.2.1.2.1-1\nnodes client wws wsf\n" \
	    "user alice\nstep 5 client -> wsf SIP REGISTER\n"

static const struct {
	const char *text;
	const char *err; /* NULL: valid */
} parse_vec[] = {
	{ WEB "  jwt claim iss == x\n  jwt header alg == none\n"
	      "step 3 wws -> client HTTP 200\n  jwt claim impu present\n",
	  NULL },
	{ WEB "  jwt iss == x\n", "usage: jwt claim NAME | jwt header NAME" },
	{ WEB "  jwt claim[2] iss == x\n", "usage: jwt claim NAME" },
	{ WEB "  jwt claim\n", "'jwt' wants claim NAME or header NAME" },
	{ WEB "  count jwt claim iss == 1\n", "count applies to header" },
	{ "title T\nfigure F\nnodes hss scscf\n"
	  "step 1 scscf -> hss Diameter MAR\n  jwt claim iss present\n",
	  "'jwt' does not apply to Diameter" },
	{ "title T\nfigure F\nnodes client wws wsf\nuser alice\nuser bob\n"
	  "client alice token forge expired\n"
	  "client alice register via=wss auth=bearer token=$forged\n"
	  "client bob token forge other-user\n"
	  "client alice token forge alg-none\n"
	  "step 5 client -> wsf SIP REGISTER\n",
	  NULL },
	{ WEB "client alice token forge rotten\n",
	  "unknown token kind 'rotten'" },
	{ WEB "client alice token forge\n", "usage: client USER token forge" },
	{ WEB "client alice token mint expired\n",
	  "usage: client USER token forge" },
	{ WEB "client alice token forge other-user\n",
	  "other-user needs another user" },
	{ WEB "client alice register via=wss token=$forged\n",
	  "no `client alice token forge KIND` before this line" },
	{ WEB "client alice token forge expired\n"
	      "client alice register via=wss token=$stolen\n",
	  "the only variable here is $forged" },
	{ "title T\nfigure F\nnodes client wsf\nuser alice\n"
	  "client alice token forge expired\n",
	  "token forge needs the wws node" },
};

START_TEST(test_parse)
{
	char err[SCN_ERR_LEN];
	struct scn *s = NULL;
	int rc = scn_parse(&s, "t.scn", parse_vec[_i].text, err);

	if (!parse_vec[_i].err) {
		ck_assert_msg(rc == 0, "unexpected error: %s", err);
		if (s->nacts) {
			ck_assert_str_eq(s->acts[0].verb, "token forge");
			ck_assert_str_eq(s->acts[0].kv[0], "expired");
			ck_assert_uint_eq(s->acts[0].nkv, 1);
		}
	} else {
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_msg(strstr(err, parse_vec[_i].err),
			      "error '%s' lacks '%s'", err, parse_vec[_i].err);
	}
	scn_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scn_jwt");
	TCase *tc = tcase_create("scn_jwt");
	SRunner *sr;
	int failed;

	log_set_level(LOG_ERROR);
	tcase_add_loop_test(tc, test_jwt, 0, (int)ARRAY_SIZE(vec));
	tcase_add_loop_test(tc, test_parse, 0, (int)ARRAY_SIZE(parse_vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
