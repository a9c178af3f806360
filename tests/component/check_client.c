/*
 * check_client.c - the client-sim role in-process against a scripted
 * registrar: a sipt UAS in this test on 127.0.0.1 (port 0) that answers
 * each REGISTER as its script says (401 with fresh nonces, 200 with
 * Service-Route and P-Associated-URI, 403, 423, silence) and checks every
 * Digest answer with digest_resp_verify against the HA1. Also the command
 * parser and the stdin line reader. Every wait is bounded; each test ends
 * with uv_loop_close() == 0.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../client-sim/client.h"
#include "../../client-sim/linein.h"
#include "digest/digest.h"
#include "sipt/sipt.h"

#define REALM "ims.example.com"
#define IMPU "sip:alice@ims.example.com"
#define IMPI "alice@ims.example.com"
#define PASS "alice-pass"
#define SROUTE "sip:orig@127.0.0.1:6060;lr"
#define MAXREQ 16
#define MAXEV 32

static uv_loop_t loop;

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static void step(void)
{
	struct timespec ts = { 0, 200000 };

	uv_run(&loop, UV_RUN_NOWAIT);
	nanosleep(&ts, NULL);
}

#define WAIT(cond, ms) \
	do { \
		uint64_t t0_ = now_ms(); \
		while (!(cond) && now_ms() - t0_ < (ms)) \
			step(); \
	} while (0)

/* ---- the scripted registrar ---------------------------------------------- */

enum act {
	A_AUTO = 0,   /* initial form: 401; an answer: 200 */
	A_CHAL,       /* 401, fresh nonce */
	A_CHAL_STALE, /* 401 stale=true */
	A_CHAL_AKA,   /* 401 with an algorithm we cannot answer */
	A_OK,         /* 200 (the Digest answer is checked) */
	A_FORBID,     /* 403 */
	A_BRIEF,      /* 423 Min-Expires: 7200 */
	A_SILENT,     /* no answer */
};

struct peer {
	struct sipt *s;
	struct rng rng;
	const enum act *script; /* request i gets script[i] (last repeats) */
	size_t nscript;
	enum digest_alg algs[2]; /* challenge order */
	size_t nalgs;
	long grant;              /* expires granted */
	bool expires_hdr;        /* grant in Expires, not in our Contact */
	struct digest_nonce_key key;
	struct digest_nctrack *nct;
	size_t nreq;
	struct sip_msg *req[MAXREQ]; /* owned dups */
	uint64_t at[MAXREQ];
	int verify[MAXREQ];          /* digest_resp_verify, 1 if unchecked */
};

static struct peer P;

static int check_answer(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_AUTHORIZATION);
	char ha1[DIGEST_HEX_MAX];
	struct digest_cred c;

	if (!h || digest_cred_parse(&c, h->value, NULL))
		return -EBADMSG;
	if (digest_ha1_calc(ha1, c.alg, c.username, SV(REALM), SV(PASS)))
		return -ENOTSUP;
	return digest_resp_verify(&c, &(struct digest_verify){
					      .method = SV("REGISTER"),
					      .ha1 = sv_from_cstr(ha1),
					      .key = &P.key,
					      .bound = SV(REALM),
					      .nct = P.nct,
					      .now = (uint64_t)time(NULL),
				      });
}

static bool is_dereg(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_hdr_find(req, SIP_HDR_EXPIRES);

	return h && sv_eq_cstr(h->value, "0");
}

static void answer(struct sipt_strans *st, const struct sip_msg *req,
		   enum act a)
{
	char nonce[DIGEST_NONCE_LEN + 1];
	const struct sip_hdr *ct = sip_hdr_find(req, SIP_HDR_CONTACT);
	struct sip_addr ca;
	struct buf b;

	buf_init(&b);
	switch (a) {
	case A_CHAL:
	case A_CHAL_STALE:
	case A_CHAL_AKA:
		digest_nonce_make(nonce, &P.key, &P.rng, (uint64_t)time(NULL),
				  SV(REALM));
		sipt_print_response_start(&b, st, 401, NULL, "ptag");
		if (a == A_CHAL_AKA)
			sip_print_hdrf(&b, "WWW-Authenticate",
				       "Digest realm=\"%s\", nonce=\"%s\", "
				       "algorithm=AKAv1-MD5, qop=\"auth\"",
				       REALM, nonce);
		else
			ck_assert_int_eq(digest_chal_print_list(&b,
				"WWW-Authenticate", &(struct digest_offer){
					.realm = SV(REALM),
					.nonce = sv_from_cstr(nonce),
					.stale = a == A_CHAL_STALE },
				P.algs, P.nalgs), 0);
		break;
	case A_OK:
		sipt_print_response_start(&b, st, 200, NULL, "ptag");
		ck_assert_int_eq(sip_addr_parse(&ca, ct->value, NULL), 0);
		if (!is_dereg(req) && P.expires_hdr)
			sip_print_hdrf(&b, "Contact", "<%.*s>",
				       SV_ARG(ca.uri_str));
		else if (!is_dereg(req))
			sip_print_hdrf(&b, "Contact", "<%.*s>;expires=%ld",
				       SV_ARG(ca.uri_str), P.grant);
		sip_print_hdrf(&b, "Contact",
			       "<sip:alice@10.0.0.9:5060>;expires=100");
		sip_print_hdrf(&b, "Expires", "%ld",
			       P.expires_hdr ? P.grant : 7200);
		sip_print_hdrf(&b, "Service-Route", "<%s>", SROUTE);
		sip_print_hdrf(&b, "P-Associated-URI", "<%s>, <tel:+15550100>",
			       IMPU);
		break;
	case A_FORBID:
		sipt_print_response_start(&b, st, 403, "Forbidden here",
					  "ptag");
		break;
	case A_BRIEF:
		sipt_print_response_start(&b, st, 423, NULL, "ptag");
		sip_print_hdrf(&b, "Min-Expires", "7200");
		break;
	default:
		buf_close(&b);
		return;
	}
	sip_print_end(&b, NULL, NULL, 0);
	ck_assert_int_eq(sipt_strans_reply(st, b.data, b.len), 0);
	buf_close(&b);
}

static void peer_request(struct sipt *s, struct sipt_strans *st,
			 const struct sip_msg *req, void *arg)
{
	size_t i = P.nreq;
	enum act a;

	UNUSED(s);
	UNUSED(arg);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_lt(i, MAXREQ);
	a = P.script[i < P.nscript ? i : P.nscript - 1];
	if (a == A_AUTO) {
		const struct sip_hdr *h = sip_hdr_find(req,
						       SIP_HDR_AUTHORIZATION);

		a = h && strstr(h->value.p, "response=\"\"") ? A_CHAL : A_OK;
	}
	P.req[i] = sip_msg_dup(req);
	P.at[i] = now_ms();
	P.verify[i] = a == A_OK ? check_answer(req) : 1;
	P.nreq++;
	answer(st, req, a);
}

static void peer_open(const enum act *script, size_t n)
{
	struct sipt_conf c = { 0 };

	memset(&P, 0, sizeof(P));
	rng_init(&P.rng, 7);
	P.script = script;
	P.nscript = n;
	P.algs[0] = DIGEST_ALG_MD5;
	P.nalgs = 1;
	P.grant = 3600;
	digest_nonce_key_init(&P.key, &P.rng, 300);
	P.nct = digest_nctrack_new(64, 600);
	c.udp_addr = c.tcp_addr = "127.0.0.1";
	c.rng = &P.rng;
	c.request_cb = peer_request;
	ck_assert_int_eq(sipt_new(&P.s, &loop, &c), 0);
}

/* ---- the client under test ----------------------------------------------- */

static struct client_conf CONF;
static struct client *C;
static struct trace TR;
static struct rng RNG;
static json_t *EV[MAXEV];
static int NEV;
static bool DRAINED;

static void on_event(const json_t *ev, void *arg)
{
	UNUSED(arg);
	ck_assert_int_lt(NEV, MAXEV);
	EV[NEV++] = json_deep_copy(ev);
}

static void client_open(const char *t1, const char *trace_path)
{
	char err[CONF_ERR_LEN], port[8];

	conf_defaults(client_conf_keys, &CONF);
	snprintf(port, sizeof(port), "%u", P.s ? sipt_port(P.s, SIPT_UDP) : 9);
	ck_assert_int_eq(conf_set_kv(client_conf_keys, &CONF, "pcscf_port",
				     port, err), 0);
	ck_assert_int_eq(conf_set_kv(client_conf_keys, &CONF, "t1_ms", t1,
				     err), 0);
	rng_init(&RNG, 11);
	ck_assert_int_eq(trace_open(&TR, trace_path, "client"), 0);
	ck_assert_int_eq(client_new(&C, &loop, &CONF, &TR, &RNG, on_event,
				    NULL), 0);
}

static void setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	log_set_level(LOG_ERROR);
	NEV = 0;
	DRAINED = false;
	C = NULL;
	memset(&P, 0, sizeof(P));
}

static void teardown(void)
{
	if (C)
		client_close(C);
	if (P.s)
		sipt_close(P.s, NULL, NULL);
	WAIT(!uv_loop_alive(&loop), 2000);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	trace_close(&TR);
	conf_free(client_conf_keys, &CONF);
	for (size_t i = 0; i < P.nreq; i++)
		sip_msg_free(P.req[i]);
	digest_nctrack_free(P.nct);
	for (int i = 0; i < NEV; i++)
		json_decref(EV[i]);
}

static const char *ev_str(int i, const char *k)
{
	const char *s = json_string_value(json_object_get(EV[i], k));

	return s ? s : "";
}

static long ev_int(int i, const char *k)
{
	return (long)json_integer_value(json_object_get(EV[i], k));
}

static int cmd(const char *line)
{
	return client_command(C, line, strlen(line));
}

static struct sv hdr(size_t i, enum sip_hdr_id id)
{
	const struct sip_hdr *h;

	ck_assert_uint_lt(i, P.nreq);
	h = sip_hdr_find(P.req[i], id);
	return h ? h->value : SV_NULL;
}

static bool has(struct sv v, const char *needle)
{
	return v.p && memmem(v.p, v.len, needle, strlen(needle)) != NULL;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *q = hay; (q = strstr(q, needle)); q++)
		n++;
	return n;
}

/* The parsed Authorization of request i (c must not be copied). */
static void cred_of(size_t i, struct digest_cred *c)
{
	ck_assert_int_eq(digest_cred_parse(c, hdr(i, SIP_HDR_AUTHORIZATION),
					   NULL), 0);
}

/* ---- registration, answered challenge, de-registration ------------------- */

static const enum act s_auto[] = { A_AUTO };

static const struct {
	bool tcp;
	bool sha_first;   /* challenges SHA-256 then MD5: SHA-256 answered */
	bool expires_hdr; /* the grant comes in Expires, not our Contact */
} reg_vec[] = {
	{ false, false, false },
	{ true, false, false },
	{ false, true, true },
	{ true, true, true },
};

START_TEST(test_register_dereg)
{
	const char *tp = reg_vec[_i].tcp ? "tcp" : "udp";
	char line[256], path[] = "/tmp/check_client.XXXXXX", *trace;
	struct digest_cred c0, c1, c2;
	struct sip_via v0, v1;
	json_t *a;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	peer_open(s_auto, 1);
	if (reg_vec[_i].sha_first) {
		P.algs[0] = DIGEST_ALG_SHA256;
		P.algs[1] = DIGEST_ALG_MD5;
		P.nalgs = 2;
	}
	P.expires_hdr = reg_vec[_i].expires_hdr;
	client_open("500", path);
	snprintf(line, sizeof(line), "register alice %s %s %s transport=%s",
		 IMPU, IMPI, PASS, tp);
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 3000);
	ck_assert_int_eq(NEV, 1);
	ck_assert_uint_eq(P.nreq, 2);
	/* 1: the IMS initial form (24.229 §5.1.1.2.2). */
	ck_assert(sv_eq_cstr(P.req[0]->ruri_str, "sip:" REALM));
	cred_of(0, &c0);
	ck_assert(digest_cred_is_initial(&c0));
	ck_assert(sv_eq_cstr(c0.username, IMPI));
	ck_assert(sv_eq_cstr(c0.realm, REALM));
	ck_assert(sv_eq_cstr(c0.uri, "sip:" REALM));
	ck_assert(sv_eq_cstr(hdr(0, SIP_HDR_SUPPORTED), "path"));
	ck_assert(has(hdr(0, SIP_HDR_CONTACT), "+sip.instance=\"<urn:uuid:"));
	ck_assert(has(hdr(0, SIP_HDR_CONTACT), ";expires=600000"));
	ck_assert(has(hdr(0, SIP_HDR_CONTACT),
		      reg_vec[_i].tcp ? "transport=tcp>" : "transport=udp>"));
	ck_assert(has(hdr(0, SIP_HDR_USER_AGENT), "imstb client-sim"));
	ck_assert_int_eq(P.req[0]->max_forwards, 70);
	ck_assert(sv_eq_cstr(P.req[0]->from.uri_str, IMPU));
	ck_assert(sv_eq_cstr(P.req[0]->to.uri_str, IMPU));
	ck_assert_uint_gt(P.req[0]->from_tag.len, 0);
	ck_assert_uint_eq(P.req[0]->to_tag.len, 0);
	ck_assert_uint_eq(P.req[0]->cseq, 1);
	ck_assert_int_eq(sip_via_parse(&v0, hdr(0, SIP_HDR_VIA), NULL), 0);
	ck_assert(v0.has_rport);
	ck_assert(sv_eq_cstr(v0.transport, reg_vec[_i].tcp ? "TCP" : "UDP"));
	/* 2: the answer, same Call-ID, CSeq + 1, new branch, right digest. */
	ck_assert(sv_eq(P.req[1]->call_id, P.req[0]->call_id));
	ck_assert(sv_eq(P.req[1]->from_tag, P.req[0]->from_tag));
	ck_assert_uint_eq(P.req[1]->cseq, 2);
	ck_assert_int_eq(sip_via_parse(&v1, hdr(1, SIP_HDR_VIA), NULL), 0);
	ck_assert(!sv_eq(v0.branch, v1.branch));
	ck_assert_int_eq(P.verify[1], 0);
	cred_of(1, &c1);
	ck_assert_int_eq(c1.alg, reg_vec[_i].sha_first ? DIGEST_ALG_SHA256 :
							 DIGEST_ALG_MD5);
	ck_assert(sv_eq_cstr(c1.qop, "auth"));
	ck_assert(sv_eq_cstr(c1.nc, "00000001"));
	/* The event. */
	ck_assert_str_eq(ev_str(0, "event"), "registered");
	ck_assert_str_eq(ev_str(0, "ua"), "alice");
	ck_assert_int_eq(ev_int(0, "status"), 200);
	ck_assert_int_eq(ev_int(0, "expires"), 3600);
	ck_assert_int_eq(ev_int(0, "contacts"), 2);
	a = json_object_get(EV[0], "service_route");
	ck_assert_uint_eq(json_array_size(a), 1);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)), SROUTE);
	a = json_object_get(EV[0], "associated_uris");
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)), IMPU);
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)),
			 "tel:+15550100");
	ck_assert(client_ua_registered(C, "alice"));
	/* De-registration: Expires: 0, the same Contact with expires=0, the
	 * nonce reused with the next nonce-count (24.229 §5.1.1.6). */
	ck_assert_int_eq(cmd("deregister alice"), 0);
	WAIT(NEV == 2, 3000);
	ck_assert_int_eq(NEV, 2);
	ck_assert_str_eq(ev_str(1, "event"), "deregistered");
	ck_assert_int_eq(ev_int(1, "status"), 200);
	ck_assert_int_eq(ev_int(1, "contacts"), 1);
	ck_assert_uint_eq(P.nreq, 3);
	ck_assert(sv_eq_cstr(hdr(2, SIP_HDR_EXPIRES), "0"));
	ck_assert(has(hdr(2, SIP_HDR_CONTACT), ";expires=0;"));
	ck_assert(sv_eq(P.req[2]->call_id, P.req[0]->call_id));
	ck_assert_uint_eq(P.req[2]->cseq, 3);
	ck_assert_int_eq(P.verify[2], 0);
	cred_of(2, &c2);
	ck_assert(sv_eq(c2.nonce, c1.nonce));
	ck_assert(sv_eq_cstr(c2.nc, "00000002"));
	ck_assert(!client_ua_registered(C, "alice"));
	ck_assert(cmd("forget alice") == 0 && client_ua_count(C) == 0);
	ck_assert_str_eq(ev_str(2, "event"), "forgotten"); /* state gone */
	/* Every message in and out is traced as node "client". */
	fd = open(path, O_RDONLY);
	trace = xcalloc(1, 65536);
	ck_assert_int_gt(read(fd, trace, 65535), 0);
	close(fd);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(trace, "\"node\":\"client\""));
	ck_assert_int_ge(count(trace, "\"dir\":\"send\""), 3);
	ck_assert_int_ge(count(trace, "\"dir\":\"recv\""), 3);
	free(trace);
}
END_TEST

/* ---- refresh ------------------------------------------------------------- */

START_TEST(test_refresh_timing)
{
	char line[256];
	struct digest_cred c1, c2, c3;
	uint64_t t_reg;

	peer_open(s_auto, 1);
	P.grant = 4; /* <= 1200 s: refresh at half, 2 s (24.229 §5.1.1.4) */
	client_open("500", NULL);
	snprintf(line, sizeof(line), "register alice %s %s %s expires=4%s",
		 IMPU, IMPI, PASS, _i ? " transport=tcp" : "");
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 3000);
	ck_assert_int_eq(NEV, 1);
	t_reg = now_ms();
	ck_assert_str_eq(ev_str(0, "event"), "registered");
	ck_assert_int_eq(ev_int(0, "expires"), 4);
	ck_assert(has(hdr(0, SIP_HDR_CONTACT), ";expires=4;"));
	WAIT(NEV == 2, 4000);
	ck_assert_int_eq(NEV, 2);
	ck_assert_str_eq(ev_str(1, "event"), "refreshed");
	ck_assert_int_eq(ev_int(1, "expires"), 4);
	ck_assert_uint_eq(P.nreq, 3);
	ck_assert_uint_ge(P.at[2] - t_reg, 1700);
	ck_assert_uint_le(P.at[2] - t_reg, 2600);
	/* The refresh reuses the nonce with nc + 1, and it verifies. */
	cred_of(1, &c1);
	cred_of(2, &c2);
	ck_assert(sv_eq(c2.nonce, c1.nonce));
	ck_assert(sv_eq_cstr(c2.nc, "00000002"));
	ck_assert_int_eq(P.verify[2], 0);
	ck_assert_uint_eq(P.req[2]->cseq, 3);
	/* A refresh on command, at once. */
	ck_assert_int_eq(cmd("refresh alice"), 0);
	WAIT(NEV == 3, 1000);
	ck_assert_int_eq(NEV, 3);
	ck_assert_str_eq(ev_str(2, "event"), "refreshed");
	cred_of(3, &c3);
	ck_assert(sv_eq_cstr(c3.nc, "00000003"));
	ck_assert_int_eq(P.verify[3], 0);
}
END_TEST

/* The registrar forgot the nonce: the refresh is challenged and answered.
 * Then a refused de-registration leaves the UA registered. */
static const enum act s_rechal[] = { A_CHAL, A_OK, A_CHAL, A_OK, A_FORBID };

START_TEST(test_refresh_rechallenged)
{
	char line[256];
	struct digest_cred c1, c3;

	peer_open(s_rechal, ARRAY_SIZE(s_rechal));
	client_open("500", NULL);
	snprintf(line, sizeof(line), "register alice %s %s %s", IMPU, IMPI,
		 PASS);
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 3000);
	ck_assert_int_eq(cmd("refresh alice"), 0);
	WAIT(NEV == 2, 3000);
	ck_assert_int_eq(NEV, 2);
	ck_assert_str_eq(ev_str(1, "event"), "refreshed");
	ck_assert_uint_eq(P.nreq, 4);
	cred_of(1, &c1);
	cred_of(3, &c3);
	ck_assert(!sv_eq(c3.nonce, c1.nonce));
	ck_assert(sv_eq_cstr(c3.nc, "00000001"));
	ck_assert_int_eq(P.verify[3], 0);
	ck_assert_int_eq(cmd("deregister alice"), 0);
	WAIT(NEV == 3, 3000);
	ck_assert_str_eq(ev_str(2, "event"), "failed");
	ck_assert_str_eq(ev_str(2, "op"), "deregister");
	ck_assert_int_eq(ev_int(2, "status"), 403);
	ck_assert(client_ua_registered(C, "alice"));
}
END_TEST

/* ---- failures ------------------------------------------------------------ */

static const enum act s_forbid[] = { A_FORBID };
static const enum act s_wrong[] = { A_CHAL, A_CHAL };
static const enum act s_stale[] = { A_CHAL, A_CHAL_STALE, A_OK };
static const enum act s_stale2[] = { A_CHAL, A_CHAL_STALE, A_CHAL_STALE };
static const enum act s_silent[] = { A_SILENT };
static const enum act s_brief[] = { A_BRIEF, A_CHAL, A_OK };
static const enum act s_aka[] = { A_CHAL_AKA };

static const struct {
	const enum act *script;
	size_t n;
	bool tcp;
	const char *event;
	int status;
	const char *reason;
	size_t nreq;
} fail_vec[] = {
	{ s_forbid, 1, false, "failed", 403, "Forbidden here", 1 },
	{ s_forbid, 1, true, "failed", 403, "Forbidden here", 1 },
	{ s_wrong, 2, false, "failed", 401, "Wrong credentials", 2 },
	{ s_stale, 3, false, "registered", 200, NULL, 3 },
	{ s_stale2, 3, false, "failed", 401, "Wrong credentials", 3 },
	{ s_silent, 1, false, "failed", 408, "Request Timeout", 1 },
	{ s_silent, 1, true, "failed", 408, "Request Timeout", 1 },
	{ s_brief, 3, false, "registered", 200, NULL, 3 },
	{ s_aka, 1, false, "failed", 401, "No supported challenge", 1 },
	/* No P-CSCF listening over TCP: a local failure, status 0. */
	{ NULL, 0, true, "failed", 0, "Connection refused", 0 },
};

START_TEST(test_outcomes)
{
	char line[256];
	uint64_t t0 = now_ms();

	if (fail_vec[_i].script)
		peer_open(fail_vec[_i].script, fail_vec[_i].n);
	client_open("10", NULL); /* Timer F = 640 ms */
	snprintf(line, sizeof(line), "register alice %s %s %s transport=%s",
		 IMPU, IMPI, PASS, fail_vec[_i].tcp ? "tcp" : "udp");
	ck_assert_int_eq(cmd(line), 0);
	WAIT(NEV == 1, 3000);
	ck_assert_int_eq(NEV, 1);
	ck_assert_uint_lt(now_ms() - t0, 2500);
	ck_assert_str_eq(ev_str(0, "event"), fail_vec[_i].event);
	ck_assert_int_eq(ev_int(0, "status"), fail_vec[_i].status);
	if (fail_vec[_i].reason) {
		ck_assert_str_eq(ev_str(0, "reason"), fail_vec[_i].reason);
		ck_assert_str_eq(ev_str(0, "op"), "register");
		ck_assert(!client_ua_registered(C, "alice"));
	}
	ck_assert_uint_eq(P.nreq, fail_vec[_i].nreq);
	if (fail_vec[_i].script == s_brief) /* RFC 3261 §10.2.8 */
		ck_assert(has(hdr(1, SIP_HDR_CONTACT), ";expires=7200;"));
	if (fail_vec[_i].script == s_stale)
		ck_assert_int_eq(P.verify[2], 0);
	/* A failed UA is idle: refresh is refused, register may retry. */
	if (fail_vec[_i].reason && P.s) {
		ck_assert_int_eq(cmd("refresh alice"), -EPROTO);
		P.script = s_auto;
		P.nscript = 1;
		snprintf(line, sizeof(line), "register alice %s %s %s", IMPU,
			 IMPI, PASS);
		ck_assert_int_eq(cmd(line), 0);
		WAIT(NEV == 3, 3000);
		ck_assert_int_eq(NEV, 3);
		ck_assert_str_eq(ev_str(2, "event"), "registered");
	}
}
END_TEST

/* ---- several UAs, busy, drain -------------------------------------------- */

static void on_drained(void *arg)
{
	UNUSED(arg);
	DRAINED = true;
}

START_TEST(test_two_uas_drain)
{
	char line[256];

	peer_open(s_auto, 1);
	client_open("500", NULL);
	snprintf(line, sizeof(line), "register alice %s %s %s", IMPU, IMPI,
		 PASS);
	ck_assert_int_eq(cmd(line), 0);
	snprintf(line, sizeof(line), "register bob %s %s %s transport=tcp",
		 IMPU, IMPI, PASS);
	ck_assert_int_eq(cmd(line), 0);
	ck_assert_uint_eq(client_busy_count(C), 2);
	/* Busy: a second register or a refresh of alice is refused. */
	ck_assert_int_eq(cmd(line), -EBUSY);
	ck_assert_int_eq(NEV, 1);
	ck_assert_str_eq(ev_str(0, "event"), "error");
	ck_assert_str_eq(ev_str(0, "ua"), "bob");
	ck_assert_int_eq(cmd("refresh alice"), -EBUSY);
	/* quit waits for the outcomes in flight. */
	ck_assert_int_eq(cmd("quit"), 1);
	client_drain(C, on_drained, NULL);
	ck_assert(!DRAINED);
	WAIT(DRAINED, 3000);
	ck_assert(DRAINED);
	ck_assert_int_eq(NEV, 4);
	ck_assert_str_eq(ev_str(2, "event"), "registered");
	ck_assert_str_eq(ev_str(3, "event"), "registered");
	ck_assert_str_ne(ev_str(2, "ua"), ev_str(3, "ua"));
	ck_assert_uint_eq(client_ua_count(C), 2);
	ck_assert_uint_eq(P.nreq, 4);
	/* Draining: nothing new starts. */
	ck_assert_int_eq(cmd("refresh alice"), -ECANCELED);
}
END_TEST

/* ---- the command parser -------------------------------------------------- */

static const struct {
	const char *line;
	int rc;
	const char *reason; /* substring of the error event; NULL: none */
} cmd_vec[] = {
	{ "", 0, NULL },
	{ "   \t ", 0, NULL },
	{ "# a comment", 0, NULL },
	{ "quit", 1, NULL },
	{ "quit\r\n", 1, NULL },
	{ "quit now", -EINVAL, "usage: quit" },
	{ "frobnicate", -EINVAL, "unknown command 'frobnicate'" },
	{ "register", -EINVAL, "usage: register NAME" },
	{ "register a sip:a@x a@x", -EINVAL, "usage: register" },
	{ "register a sip:a@x a@x p expires=0", -EINVAL, "expires" },
	{ "register a sip:a@x a@x p expires=x1", -EINVAL, "expires" },
	{ "register a sip:a@x a@x p transport=sctp", -EINVAL, "transport" },
	{ "register a sip:a@x a@x p color=red", -EINVAL, "unknown option" },
	{ "register a <sip:a@x> a@x p", -EINVAL, "bad NAME, IMPU or IMPI" },
	{ "register a not-a-uri a@x p", -EINVAL, "bad NAME, IMPU or IMPI" },
	{ "register a\x01 sip:a@x a@x p", -EINVAL, "control character" },
	{ "register \xc3\xa9 sip:a@x a@x p", -EINVAL, "bad NAME" },
	{ "refresh nobody", -ENOENT, "no UA named nobody" },
	{ "deregister nobody", -ENOENT, "no UA named nobody" },
	{ "refresh", -EINVAL, "usage: refresh NAME" },
	{ "a b c d e f g h i j k l m n o", -EINVAL, "too many words" },
};

START_TEST(test_commands)
{
	client_open("500", NULL);
	ck_assert_int_eq(cmd(cmd_vec[_i].line), cmd_vec[_i].rc);
	if (!cmd_vec[_i].reason) {
		ck_assert_int_eq(NEV, 0);
		return;
	}
	ck_assert_int_eq(NEV, 1);
	ck_assert_str_eq(ev_str(0, "event"), "error");
	ck_assert_ptr_nonnull(strstr(ev_str(0, "reason"), cmd_vec[_i].reason));
}
END_TEST

START_TEST(test_command_too_long)
{
	char *line = xmalloc(CLIENT_LINE_MAX + 2);

	client_open("500", NULL);
	memset(line, 'x', CLIENT_LINE_MAX + 1);
	ck_assert_int_eq(client_command(C, line, CLIENT_LINE_MAX + 1),
			 -EMSGSIZE);
	ck_assert_int_eq(client_command(C, line, CLIENT_LINE_MAX), -EINVAL);
	ck_assert_int_eq(NEV, 2);
	ck_assert_ptr_nonnull(strstr(ev_str(0, "reason"), "longer than"));
	ck_assert_ptr_nonnull(strstr(ev_str(1, "reason"), "unknown command"));
	free(line);
}
END_TEST

/* ---- the line reader ----------------------------------------------------- */

static const struct {
	const char *in;
	const char *out; /* lines joined by '|', '!' for -EMSGSIZE */
} line_vec[] = {
	{ "a\nbb\r\n\nccc", "a|bb||ccc|" },
	{ "0123456789\nok\n", "!|ok|" },
	{ "01234567\r\n01234567", "01234567|01234567|" },
	{ "012345678", "!|" },
	{ "", "" },
	{ "register alice\nquit\n", "!|quit|" },
};

struct lines {
	struct buf got;
	bool eof;
};

static void on_line(struct linein *li, const char *line, size_t len, int err,
		    void *arg)
{
	struct lines *l = arg;

	UNUSED(li);
	if (err == UV_EOF) {
		l->eof = true;
		return;
	}
	ck_assert(err == 0 || err == -EMSGSIZE);
	if (err)
		buf_puts(&l->got, "!");
	else
		buf_append(&l->got, line, len);
	buf_puts(&l->got, "|");
}

/* Even _i: through a pipe (uv_pipe_t); odd: a regular file (uv_fs_read). */
START_TEST(test_linein)
{
	const char *in = line_vec[_i / 2].in;
	struct lines l = { .eof = false };
	struct linein li;
	char path[] = "/tmp/check_linein.XXXXXX";
	int fds[2];

	buf_init(&l.got);
	if (_i % 2 == 0) {
		ck_assert_int_eq(pipe(fds), 0);
		ck_assert_int_eq(write(fds[1], in, strlen(in)),
				 (ssize_t)strlen(in));
		close(fds[1]);
	} else {
		fds[0] = mkstemp(path);
		ck_assert_int_ge(fds[0], 0);
		ck_assert_int_eq(write(fds[0], in, strlen(in)),
				 (ssize_t)strlen(in));
		lseek(fds[0], 0, SEEK_SET);
		unlink(path);
	}
	ck_assert_int_eq(linein_start(&li, &loop, fds[0], 8, on_line, &l), 0);
	ck_assert_int_eq(li.kind, _i % 2 ? UV_FILE : UV_NAMED_PIPE);
	WAIT(l.eof, 2000);
	ck_assert(l.eof);
	ck_assert_str_eq(l.got.len ? l.got.data : "", line_vec[_i / 2].out);
	linein_close(&li);
	WAIT(!uv_loop_alive(&loop), 1000);
	if (_i % 2)
		close(fds[0]); /* a pipe's fd is closed with its handle */
	buf_close(&l.got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("client");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_register_dereg, 0,
			    (int)ARRAY_SIZE(reg_vec));
	tcase_add_loop_test(tc, test_refresh_timing, 0, 2);
	tcase_add_test(tc, test_refresh_rechallenged);
	tcase_add_loop_test(tc, test_outcomes, 0, (int)ARRAY_SIZE(fail_vec));
	tcase_add_test(tc, test_two_uas_drain);
	tcase_add_loop_test(tc, test_commands, 0, (int)ARRAY_SIZE(cmd_vec));
	tcase_add_test(tc, test_command_too_long);
	tcase_add_loop_test(tc, test_linein, 0, 2 * (int)ARRAY_SIZE(line_vec));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
