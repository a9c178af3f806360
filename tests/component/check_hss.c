/*
 * check_hss.c - hss-sim in-process: the Cx server on 127.0.0.1 (port 0)
 * over a temporary database with the demo subscribers, driven by a real
 * Diameter client peer (lib/diam); and the provisioning commands.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../hss-sim/hss.h"
#include "diam/diam_peer.h"

#define DOM "ims.example.com"
#define ALICE "alice@" DOM
#define ALICE_IMPU "sip:alice@" DOM
#define BOB "bob@" DOM
#define ENT "enterprise@" DOM
#define RANGE "sip:+15551230![0-9]{3}!@" DOM
#define SCSCF "sip:scscf." DOM ":6060"
#define WAIT_MS 3000

static char dir[64], db[96], trace_path[96];
static struct hss_conf conf;
static uv_loop_t loop;
static struct trace trace;
static struct rng rng;
static struct hss *hss;
static struct diam_peer *client;
static bool client_open;

/* What an answer said, copied out of the callback. */
struct got {
	bool done;
	int status;
	uint32_t result;
	bool exp;
	unsigned n_auth;
	char scheme[32], realm[64], algo[16], qop[16], ha1[65];
	char alt_algo[16], alt_ha1[65];
	char server_name[128], wildcard[128], user_name[128];
	char *user_data; /* heap */
	bool has_password; /* "alice-pass" anywhere in the raw answer */
};

static void cp(char *dst, size_t n, struct sv v)
{
	dst[0] = '\0';
	if (v.p)
		ck_assert_int_eq(sv_copy(v, dst, n), 0);
}

/* ---- loop helpers ------------------------------------------------------ */

static void on_guard(uv_timer_t *t)
{
	*(bool *)t->data = true;
	uv_stop(t->loop);
}

/* Runs the loop until *flag is true; false if WAIT_MS went by first. */
static bool run_until(const bool *flag)
{
	uv_timer_t guard;
	bool expired = false;

	uv_timer_init(&loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, WAIT_MS, 0);
	while (!*flag && !expired)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return *flag;
}

static void on_state(struct diam_peer *p, bool open, void *arg)
{
	UNUSED(p);
	UNUSED(arg);
	client_open = open;
}

static void setup(void)
{
	struct sockaddr_storage ss;
	struct diam_conf dc = { 0 };
	struct diam_handlers h = { 0 };

	snprintf(dir, sizeof(dir), "/tmp/check_hss_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/sub/hss.db", dir);
	snprintf(trace_path, sizeof(trace_path), "%s/trace.jsonl", dir);
	conf_defaults(hss_conf_keys, &conf);
	free(conf.db);
	conf.db = xstrdup(db);
	conf.port = 0;
	conf.request_timeout_ms = 1000;
	log_set_level(LOG_WARN);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(trace_open(&trace, trace_path, "hss"), 0);
	rng_init(&rng, 1);
	ck_assert_int_eq(hss_new(&hss, &loop, &conf, &trace, &rng), 0);
	ck_assert_uint_ne(hss_port(hss), 0);

	ck_assert_int_eq(uv_ip4_addr("127.0.0.1", hss_port(hss),
				     (struct sockaddr_in *)&ss), 0);
	dc.local.host = "scscf." DOM;
	dc.local.realm = DOM;
	dc.request_timeout_ms = 1000;
	h.state = on_state;
	client_open = false;
	ck_assert_int_eq(diam_peer_connect(&client, &loop, &dc, &h,
					   (struct sockaddr *)&ss), 0);
	ck_assert(run_until(&client_open));
}

/* Everything must close and the loop end cleanly (no leaked handle). */
static void teardown(void)
{
	uv_timer_t guard;
	bool expired = false;
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[128];

	diam_peer_free(client);
	hss_close(hss);
	uv_timer_init(&loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, WAIT_MS, 0);
	uv_unref((uv_handle_t *)&guard);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_msg(!expired, "connections did not close in time");
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	hss_free(hss);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	trace_close(&trace);
	conf_free(hss_conf_keys, &conf);
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	rmdir(p);
	unlink(trace_path);
	rmdir(dir);
}

/* ---- requests ------------------------------------------------------------ */

static void on_answer(struct diam_peer *p, int status,
		      const struct diam_msg *ans, const struct diam_cx *cx,
		      void *arg)
{
	struct got *g = arg;

	UNUSED(p);
	g->done = true;
	g->status = status;
	if (ans) {
		diam_msg_result(ans, &g->result, &g->exp, &(uint32_t){ 0 });
		g->has_password = memmem(ans->raw, ans->len, "alice-pass",
					 10) != NULL;
	}
	if (!cx)
		return;
	g->n_auth = cx->n_auth;
	if (cx->n_auth) {
		const struct diam_cx_auth *a = &cx->auth[0];

		cp(g->scheme, sizeof(g->scheme), a->scheme);
		cp(g->realm, sizeof(g->realm), a->realm);
		cp(g->algo, sizeof(g->algo), a->algorithm);
		cp(g->qop, sizeof(g->qop), a->qop);
		cp(g->ha1, sizeof(g->ha1), a->ha1);
		cp(g->alt_algo, sizeof(g->alt_algo), a->alt_algorithm);
		cp(g->alt_ha1, sizeof(g->alt_ha1), a->alt_ha1);
	}
	cp(g->server_name, sizeof(g->server_name), cx->server_name);
	cp(g->wildcard, sizeof(g->wildcard), cx->wildcarded_public_identity);
	cp(g->user_name, sizeof(g->user_name), cx->user_name);
	if (cx->user_data.p)
		g->user_data = sv_dup(cx->user_data);
}

/* Sends req and waits for its answer into *g (freed by got_close). */
static void ask(struct diam_cx *req, struct got *g)
{
	memset(g, 0, sizeof(*g));
	req->request = true;
	if (!req->dest_realm.p)
		req->dest_realm = SV(DOM);
	ck_assert_int_eq(diam_peer_send_request_cx(client, req, on_answer, g),
			 0);
	ck_assert_msg(run_until(&g->done), "no answer in time");
}

static void got_close(struct got *g)
{
	free(g->user_data);
	g->user_data = NULL;
}

static void mar(const char *impi, const char *impu, const char *scheme,
		struct got *g)
{
	struct diam_cx q = { .cmd = DIAM_CMD_MA };

	q.user_name = sv_from_cstr(impi);
	q.public_identity = sv_from_cstr(impu);
	q.n_auth = 1;
	q.auth[0].scheme = sv_from_cstr(scheme);
	q.has_num_auth_items = true;
	q.num_auth_items = 1;
	q.server_name = SV(SCSCF);
	ask(&q, g);
}

static void sar(const char *impi, const char *impu, uint32_t sat,
		struct got *g)
{
	struct diam_cx q = { .cmd = DIAM_CMD_SA };

	q.user_name = impi ? sv_from_cstr(impi) : SV_NULL;
	q.public_identity = sv_from_cstr(impu);
	q.server_name = SV(SCSCF);
	q.sat = sat;
	q.udaa = DIAM_CX_USER_DATA_NOT_AVAILABLE;
	ask(&q, g);
}

static void lir(const char *impu, struct got *g)
{
	struct diam_cx q = { .cmd = DIAM_CMD_LI };

	q.public_identity = sv_from_cstr(impu);
	ask(&q, g);
}

static void uar(const char *impi, const char *impu, struct got *g)
{
	struct diam_cx q = { .cmd = DIAM_CMD_UA };

	q.user_name = sv_from_cstr(impi);
	q.public_identity = sv_from_cstr(impu);
	q.visited_network = SV("Visited Network Number 1");
	q.has_auth_type = true;
	q.auth_type = DIAM_CX_UAT_REGISTRATION;
	ask(&q, g);
}

#define ck_result(g, code, experimental) \
	do { \
		ck_assert_uint_eq((g)->result, (code)); \
		ck_assert_int_eq((g)->exp, (experimental)); \
	} while (0)

/* Hex digest of s, computed here (not by the store) with OpenSSL. */
static void hexdigest(const EVP_MD *md, const char *s, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	ck_assert(EVP_Digest(s, strlen(s), d, &n, md, NULL));
	hex_encode(d, n, hex);
}

/* ---- MAR ----------------------------------------------------------------- */

START_TEST(test_mar_alice_ha1)
{
	char md5[33], sha[65];
	struct got g;
	FILE *f;
	char line[4096];
	bool req_seen = false, ans_seen = false;

	hexdigest(EVP_md5(), ALICE ":" DOM ":alice-pass", md5);
	hexdigest(EVP_sha256(), ALICE ":" DOM ":alice-pass", sha);
	mar(ALICE, ALICE_IMPU, DIAM_CX_SCHEME_DIGEST, &g);
	ck_assert_int_eq(g.status, 0);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_uint_eq(g.n_auth, 1);
	ck_assert_str_eq(g.scheme, "SIP Digest");
	ck_assert_str_eq(g.realm, DOM);
	ck_assert_str_eq(g.algo, "MD5");
	ck_assert_str_eq(g.qop, "auth");
	ck_assert_str_eq(g.ha1, md5);
	ck_assert_str_eq(g.alt_algo, "SHA-256");
	ck_assert_str_eq(g.alt_ha1, sha);
	ck_assert_str_eq(g.user_name, ALICE);
	/* TS 29.229 §6.3.36: HA1 on Cx, never the password */
	ck_assert(!g.has_password);
	got_close(&g);

	/* the trace has the MAR received and the MAA sent */
	f = fopen(trace_path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		req_seen |= strstr(line, "\"dir\":\"recv\"") &&
			    strstr(line, "MAR user=" ALICE);
		ans_seen |= strstr(line, "\"dir\":\"send\"") &&
			    strstr(line, "\"MAA 2001\"");
	}
	fclose(f);
	ck_assert(req_seen);
	ck_assert(ans_seen);
}
END_TEST

static const struct {
	const char *impi, *impu, *scheme;
	uint32_t result;
	bool exp;
} mar_vec[] = {
	{ "nobody@" DOM, ALICE_IMPU, "SIP Digest",
	  DIAM_CX_ERROR_USER_UNKNOWN, true },
	{ ALICE, "sip:nobody@" DOM, "SIP Digest", DIAM_CX_ERROR_USER_UNKNOWN,
	  true },
	{ BOB, ALICE_IMPU, "SIP Digest", DIAM_CX_ERROR_IDENTITIES_DONT_MATCH,
	  true },
	{ BOB, "sip:+15551230123@" DOM, "SIP Digest",
	  DIAM_CX_ERROR_IDENTITIES_DONT_MATCH, true },
	{ ALICE, ALICE_IMPU, "Digest-AKAv1-MD5",
	  DIAM_CX_ERROR_AUTH_SCHEME_NOT_SUPPORTED, true },
	{ ALICE, ALICE_IMPU, "NASS-Bundled",
	  DIAM_CX_ERROR_AUTH_SCHEME_NOT_SUPPORTED, true },
	{ ALICE, ALICE_IMPU, "Unknown", DIAM_SUCCESS, false },
	{ ALICE, "tel:+1-555-0100", "SIP Digest", DIAM_SUCCESS, false },
	{ ALICE, "SIP:alice@IMS.example.com", "SIP Digest", DIAM_SUCCESS,
	  false },
	{ ENT, "sip:+15551230042@" DOM, "SIP Digest", DIAM_SUCCESS, false },
	{ ENT, "sip:+15551231042@" DOM, "SIP Digest",
	  DIAM_CX_ERROR_USER_UNKNOWN, true },
	/* [range]: the block itself, as text and as a SIP header has it */
	{ ENT, RANGE, "SIP Digest", DIAM_SUCCESS, false },
	{ ENT, "sip:+15551230!%5B0-9%5D%7B3%7D!@" DOM, "SIP Digest",
	  DIAM_SUCCESS, false },
	{ ENT, "sip:enterprise@" DOM, "SIP Digest", DIAM_SUCCESS, false },
	{ ALICE, RANGE, "SIP Digest", DIAM_CX_ERROR_IDENTITIES_DONT_MATCH,
	  true },
};

START_TEST(test_mar_results)
{
	struct got g;

	mar(mar_vec[_i].impi, mar_vec[_i].impu, mar_vec[_i].scheme, &g);
	ck_assert_int_eq(g.status, 0);
	ck_result(&g, mar_vec[_i].result, mar_vec[_i].exp);
	ck_assert_uint_eq(g.n_auth, mar_vec[_i].result == DIAM_SUCCESS);
	got_close(&g);
}
END_TEST

/* ---- SAR / LIR / UAR ----------------------------------------------------- */

START_TEST(test_sar_register_then_deregister)
{
	struct ims_sub sub;
	struct got g;

	uar(ALICE, ALICE_IMPU, &g);
	ck_result(&g, DIAM_CX_FIRST_REGISTRATION, true);
	lir(ALICE_IMPU, &g);
	ck_result(&g, DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED, true);

	sar(ALICE, ALICE_IMPU, DIAM_CX_SAT_REGISTRATION, &g);
	ck_assert_int_eq(g.status, 0);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.user_name, ALICE);
	ck_assert_str_eq(g.wildcard, "");
	ck_assert_ptr_nonnull(g.user_data);
	ck_assert_int_eq(ims_sub_parse(g.user_data, strlen(g.user_data), &sub,
				       NULL),
			 0);
	ck_assert_str_eq(sub.private_id, ALICE);
	ck_assert_uint_eq(sub.n, 2);
	ck_assert_str_eq(sub.ids[0].identity, ALICE_IMPU);
	ck_assert_str_eq(sub.ids[1].identity, "tel:+15550100");
	ck_assert_int_eq(sub.ids[0].type, IMS_ID_PUBLIC_USER);
	ck_assert(!sub.ids[0].barred);
	ims_sub_close(&sub);
	got_close(&g);

	/* the whole implicit set is registered, at our S-CSCF */
	lir(ALICE_IMPU, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.server_name, SCSCF);
	lir("tel:+15550100", &g);
	ck_result(&g, DIAM_SUCCESS, false);
	uar(ALICE, ALICE_IMPU, &g);
	ck_result(&g, DIAM_CX_SUBSEQUENT_REGISTRATION, true);
	ck_assert_str_eq(g.server_name, SCSCF);

	sar(ALICE, ALICE_IMPU, DIAM_CX_SAT_USER_DEREGISTRATION, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_ptr_null(g.user_data);
	lir(ALICE_IMPU, &g);
	ck_result(&g, DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED, true);
	ck_assert_str_eq(g.server_name, "");
	uar(ALICE, ALICE_IMPU, &g);
	ck_result(&g, DIAM_CX_FIRST_REGISTRATION, true);
}
END_TEST

START_TEST(test_sar_wildcard_range)
{
	const char *impu = "sip:+15551230123@" DOM;
	struct ims_sub sub;
	struct got g;

	sar(ENT, impu, DIAM_CX_SAT_REGISTRATION, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.wildcard, RANGE);
	ck_assert_ptr_nonnull(g.user_data);
	ck_assert_int_eq(ims_sub_parse(g.user_data, strlen(g.user_data), &sub,
				       NULL),
			 0);
	ck_assert_uint_eq(sub.n, 3);
	ck_assert_str_eq(sub.ids[0].identity, "sip:enterprise@" DOM);
	ck_assert_str_eq(sub.ids[1].identity, impu);
	ck_assert_int_eq(sub.ids[1].type, IMS_ID_NON_DISTINCT_IMPU);
	ck_assert_str_eq(sub.ids[1].wildcard, RANGE);
	ck_assert_str_eq(sub.ids[2].identity, RANGE);
	ck_assert_int_eq(sub.ids[2].type, IMS_ID_WILDCARDED_IMPU);
	ims_sub_close(&sub);
	got_close(&g);

	/* one registration for the range: another member is reachable */
	lir("sip:+15551230999@" DOM, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.server_name, SCSCF);
	ck_assert_str_eq(g.wildcard, RANGE);
	/* without User-Name the IMPU names its owner */
	sar(NULL, "sip:+15551230007@" DOM, DIAM_CX_SAT_RE_REGISTRATION, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.user_name, ENT);
	got_close(&g);
}
END_TEST

/* [range] Figure 6.X.2.1.3.2-1 registration mode: the S-CSCF registers
 * the block itself (Public-Identity = the wildcard text): the profile is
 * the implicit set, default IMPU first, wildcard second; every member is
 * then reachable until the block is de-registered. */
START_TEST(test_sar_block)
{
	struct ims_sub sub;
	struct got g;

	sar(ENT, RANGE, DIAM_CX_SAT_REGISTRATION, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.wildcard, RANGE);
	ck_assert_str_eq(g.user_name, ENT);
	ck_assert_int_eq(ims_sub_parse(g.user_data, strlen(g.user_data), &sub,
				       NULL),
			 0);
	ck_assert_uint_eq(sub.n, 2);
	ck_assert_str_eq(sub.ids[0].identity, "sip:enterprise@" DOM);
	ck_assert_int_eq(sub.ids[0].type, IMS_ID_PUBLIC_USER);
	ck_assert_str_eq(sub.ids[1].identity, RANGE);
	ck_assert_int_eq(sub.ids[1].type, IMS_ID_WILDCARDED_IMPU);
	ck_assert_str_eq(sub.ids[1].wildcard, RANGE);
	ims_sub_close(&sub);
	got_close(&g);
	lir("sip:+15551230999@" DOM, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	ck_assert_str_eq(g.server_name, SCSCF);
	lir("sip:enterprise@" DOM, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	sar(ENT, RANGE, DIAM_CX_SAT_USER_DEREGISTRATION, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	got_close(&g);
	lir("sip:+15551230999@" DOM, &g);
	ck_result(&g, DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED, true);
}
END_TEST

/* After a REGISTRATION, one more SAR, then where LIR finds alice. */
static const struct {
	uint32_t sat;
	uint32_t result;
	bool exp;
	uint32_t lia;
	bool lia_exp;
} sat_vec[] = {
	{ DIAM_CX_SAT_TIMEOUT_DEREGISTRATION, DIAM_SUCCESS, false,
	  DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED, true },
	{ DIAM_CX_SAT_ADMINISTRATIVE_DEREGISTRATION, DIAM_SUCCESS, false,
	  DIAM_CX_ERROR_IDENTITY_NOT_REGISTERED, true },
	{ DIAM_CX_SAT_USER_DEREGISTRATION_STORE_SERVER_NAME, DIAM_SUCCESS,
	  false, DIAM_CX_UNREGISTERED_SERVICE, true },
	{ DIAM_CX_SAT_TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME, DIAM_SUCCESS,
	  false, DIAM_CX_UNREGISTERED_SERVICE, true },
	{ DIAM_CX_SAT_AUTHENTICATION_FAILURE, DIAM_SUCCESS, false,
	  DIAM_SUCCESS, false },
	{ DIAM_CX_SAT_AUTHENTICATION_TIMEOUT, DIAM_SUCCESS, false,
	  DIAM_SUCCESS, false },
	{ DIAM_CX_SAT_NO_ASSIGNMENT, DIAM_SUCCESS, false, DIAM_SUCCESS,
	  false },
	{ 99, DIAM_CX_ERROR_IN_ASSIGNMENT_TYPE, true, DIAM_SUCCESS, false },
};

START_TEST(test_sar_types)
{
	struct got g;

	sar(ALICE, ALICE_IMPU, DIAM_CX_SAT_REGISTRATION, &g);
	ck_result(&g, DIAM_SUCCESS, false);
	got_close(&g);
	sar(ALICE, "tel:+15550100", sat_vec[_i].sat, &g);
	ck_assert_int_eq(g.status, 0);
	ck_result(&g, sat_vec[_i].result, sat_vec[_i].exp);
	ck_assert_int_eq(g.user_data != NULL,
			 sat_vec[_i].sat == DIAM_CX_SAT_NO_ASSIGNMENT);
	got_close(&g);
	lir(ALICE_IMPU, &g);
	ck_result(&g, sat_vec[_i].lia, sat_vec[_i].lia_exp);
}
END_TEST

START_TEST(test_sar_errors)
{
	struct got g;

	sar("nobody@" DOM, "sip:nobody@" DOM, DIAM_CX_SAT_REGISTRATION, &g);
	ck_result(&g, DIAM_CX_ERROR_USER_UNKNOWN, true);
	sar(BOB, ALICE_IMPU, DIAM_CX_SAT_REGISTRATION, &g);
	ck_result(&g, DIAM_CX_ERROR_IDENTITIES_DONT_MATCH, true);
	ck_assert_ptr_null(g.user_data);
	lir("sip:nobody@" DOM, &g);
	ck_result(&g, DIAM_CX_ERROR_USER_UNKNOWN, true);
}
END_TEST

START_TEST(test_realm_not_served)
{
	struct diam_cx q = { .cmd = DIAM_CMD_MA };
	struct got g;

	q.dest_realm = SV("other.example.org");
	q.user_name = SV(ALICE);
	q.public_identity = SV(ALICE_IMPU);
	q.n_auth = 1;
	q.auth[0].scheme = SV("SIP Digest");
	q.has_num_auth_items = true;
	q.num_auth_items = 1;
	q.server_name = SV(SCSCF);
	ask(&q, &g);
	ck_assert_uint_eq(g.result, DIAM_REALM_NOT_SERVED);
	ck_assert(!g.exp);
	ck_assert_uint_eq(g.n_auth, 0);
	/* and the connection is still usable, realm case aside */
	q.dest_realm = SV("IMS.Example.COM");
	ask(&q, &g);
	ck_result(&g, DIAM_SUCCESS, false);
}
END_TEST

/* ---- the provisioning commands ------------------------------------------- */

static const struct {
	const char *args; /* space-separated */
	int status;
	const char *out; /* expected in stdout (NULL: nothing checked) */
} cli_vec[] = {
	{ "subscriber list", 0, "alice@" DOM " realm=" DOM },
	{ "subscriber add carol@" DOM " carol-pw sip:carol@" DOM
	  " tel:+15550199",
	  0, "added carol@" DOM },
	{ "subscriber add carol@" DOM " x", 1, NULL },
	{ "subscriber add not-an-impi pw", 1, NULL },
	{ "impu add carol@" DOM " sip:carol.alt@" DOM " --barred", 0,
	  "barred" },
	{ "impu list", 0, "sip:carol.alt@" DOM " impi=carol@" DOM },
	{ "impu remove sip:carol.alt@" DOM, 0, "removed" },
	{ "impu remove sip:carol.alt@" DOM, 1, NULL },
	{ "range add carol@" DOM " sip:+1666![0-9]{2}!@" DOM, 0,
	  "added range" },
	{ "range list", 0, "sip:+1666![0-9]{2}!@" DOM " impi=carol@" DOM },
	{ "range add carol@" DOM " sip:+1666!([0-9]!@" DOM, 1, NULL },
	{ "range remove sip:+1666![0-9]{2}!@" DOM, 0, "removed range" },
	{ "bulk 3 load", 0, "created 3 users load00001@" DOM },
	{ "bulk 3 load", 1, NULL },
	{ "bulk 0", 2, NULL },
	{ "bulk many", 2, NULL },
	{ "subscriber list", 0, "load00003@" DOM " realm=" DOM " scscf=- "
				"impus=sip:load00003@" DOM },
	{ "subscriber remove carol@" DOM, 0, "removed carol@" DOM },
	{ "subscriber remove carol@" DOM, 1, NULL },
	{ "subscriber frob", 2, NULL },
	{ "impu add carol@" DOM, 2, NULL },
	{ "impu add a@" DOM " sip:a@" DOM " --bogus", 2, NULL },
};

/* Runs the command table in order on the server's database file, the way
 * an operator provisions while hss-sim serves. */
START_TEST(test_cli)
{
	char expect[33];
	struct hss_auth a;

	for (size_t i = 0; i < ARRAY_SIZE(cli_vec); i++) {
		char *copy = xstrdup(cli_vec[i].args), *args[16], *o, *e;
		size_t olen, elen;
		FILE *out = open_memstream(&o, &olen);
		FILE *err = open_memstream(&e, &elen);
		int n = 0, st;

		for (char *s = copy, *tok; (tok = strsep(&s, " "));)
			args[n++] = tok;
		st = hss_cli_run(&conf, n, args, out, err);
		fclose(out);
		fclose(err);
		ck_assert_msg(st == cli_vec[i].status,
			      "'%s': status %d, stdout '%s', stderr '%s'",
			      cli_vec[i].args, st, o, e);
		if (cli_vec[i].out)
			ck_assert_msg(strstr(o, cli_vec[i].out),
				      "'%s' printed '%s'", cli_vec[i].args, o);
		/* a refusal is one line naming why */
		if (st)
			ck_assert_msg(strchr(e, '\n') == e + elen - 1,
				      "'%s' stderr '%s'", cli_vec[i].args, e);
		free(o);
		free(e);
		free(copy);
	}
	/* the bulk users are what tests/proc/sipp_register.sh expects */
	hexdigest(EVP_md5(), "load00002@" DOM ":" DOM ":pass-00002", expect);
	ck_assert_int_eq(hss_store_auth_get(hss_db(hss), "load00002@" DOM,
					    NULL, &a),
			 0);
	ck_assert_str_eq(a.ha1_md5, expect);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hss");
	TCase *tc = tcase_create("cx");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_mar_alice_ha1);
	tcase_add_loop_test(tc, test_mar_results, 0, (int)ARRAY_SIZE(mar_vec));
	tcase_add_test(tc, test_sar_register_then_deregister);
	tcase_add_test(tc, test_sar_wildcard_range);
	tcase_add_test(tc, test_sar_block);
	tcase_add_loop_test(tc, test_sar_types, 0, (int)ARRAY_SIZE(sat_vec));
	tcase_add_test(tc, test_sar_errors);
	tcase_add_test(tc, test_realm_not_served);
	tcase_add_test(tc, test_cli);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
