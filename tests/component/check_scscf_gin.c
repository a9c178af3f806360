/*
 * check_scscf_gin.c - [range] in the IMS core, in-process: the S-CSCF and
 * the real HSS (hss-sim's Cx server on a fresh database with the demo
 * subscribers) on 127.0.0.1, a raw UDP socket as the enterprise WWS (what
 * the WSF forwards in registration mode). The block registers once,
 * GIN-style (RFC 6140): 401, the answered REGISTER, 200 with the implicit
 * set in P-Associated-URI (the default IMPU first, the wildcard second,
 * escaped); MAR and SAR name the wildcard (checked on the Cx bytes of the
 * trace); every member of the block is then bound; wrong credentials get
 * 403; malformed GIN requests are refused; de-registration unbinds all.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../../hss-sim/hss.h"
#include "../../scscf-sim/scscf.h"
#include "diam/diam_cx.h"
#include "digest/digest.h"
#include "sip/sip.h"

#define DOM "ims.example.com"
#define ENT "enterprise@" DOM
#define RANGE "sip:+15551230![0-9]{3}!@" DOM
#define BLOCK "sip:+15551230!%5B0-9%5D%7B3%7D!@" DOM
#define BNC "<sip:f00d.invalid;transport=ws;bnc>"
#define PAU "<sip:enterprise@" DOM ">, <" BLOCK ">"
#define GIN "Require: gin\r\nProxy-Require: gin\r\nSupported: path, gin\r\n"
#define INITIAL                                                         \
	"Authorization: Digest username=\"" ENT "\", realm=\"" DOM "\", " \
	"uri=\"sip:" DOM "\", nonce=\"\", response=\"\"\r\n"

struct env {
	uv_loop_t loop;
	struct hss_conf hconf;
	struct scscf_conf sconf;
	struct hss *h;
	struct scscf *s;
	struct trace th, ts;
	struct rng rng, ue_rng;
	int fd;
	uint16_t ue_port;
	unsigned branch;
	char dir[64], path[128];
	char rbuf[8192];
	struct sip_msg m;
	char chal[512];
};

static struct env *E;

static uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

static void kv(const struct conf_key *keys, void *obj, const char *fmt,
	       const char *arg)
{
	char err[CONF_ERR_LEN], line[256];

	snprintf(line, sizeof(line), fmt, arg);
	ck_assert_msg(conf_set(keys, obj, line, err) == 0, "%s", err);
}

static void setup(void)
{
	struct env *e = E = xcalloc(1, sizeof(*e));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char port[16];
	uint64_t end;

	log_set_level(LOG_ERROR);
	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_gin.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/trace.jsonl", e->dir);
	ck_assert_int_eq(trace_open(&e->th, e->path, "hss"), 0);
	ck_assert_int_eq(trace_open(&e->ts, e->path, "scscf"), 0);
	rng_init(&e->rng, 5);
	rng_init(&e->ue_rng, 6);
	conf_defaults(hss_conf_keys, &e->hconf);
	kv(hss_conf_keys, &e->hconf, "port=%s", "0");
	kv(hss_conf_keys, &e->hconf, "log_level=%s", "error");
	kv(hss_conf_keys, &e->hconf, "db=%s/hss.db", e->dir);
	ck_assert_int_eq(hss_new(&e->h, &e->loop, &e->hconf, &e->th, &e->rng),
			 0);
	conf_defaults(scscf_conf_keys, &e->sconf);
	kv(scscf_conf_keys, &e->sconf, "port=%s", "0");
	kv(scscf_conf_keys, &e->sconf, "log_level=%s", "error");
	kv(scscf_conf_keys, &e->sconf, "db=%s", "");
	snprintf(port, sizeof(port), "%u", hss_port(e->h));
	kv(scscf_conf_keys, &e->sconf, "hss_port=%s", port);
	ck_assert_int_eq(scscf_new(&e->s, &e->loop, &e->sconf, &e->ts,
				   &e->rng),
			 0);
	for (end = ms_now() + 5000; !scscf_hss_open(e->s) && ms_now() < end;)
		uv_run(&e->loop, UV_RUN_NOWAIT);
	ck_assert(scscf_hss_open(e->s));
	e->fd = socket(AF_INET, SOCK_DGRAM, 0);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(e->fd, (struct sockaddr *)&sin, sl), 0);
	getsockname(e->fd, (struct sockaddr *)&sin, &sl);
	e->ue_port = ntohs(sin.sin_port);
}

static void teardown(void)
{
	struct env *e = E;
	char p[192];
	uint64_t end = ms_now() + 5000;

	scscf_close(e->s);
	hss_close(e->h);
	while (uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end)
		usleep(1000);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	hss_free(e->h);
	close(e->fd);
	trace_close(&e->th);
	trace_close(&e->ts);
	conf_free(hss_conf_keys, &e->hconf);
	conf_free(scscf_conf_keys, &e->sconf);
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", e->dir,
			 (const char *[]){ "hss.db", "hss.db-wal",
					   "hss.db-shm", "trace.jsonl" }[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
}

/* Sends a REGISTER: to (NULL: the block), contact line (NULL: none),
 * extra header lines (Require..., Authorization...). */
static void send_reg(unsigned cseq, const char *to, const char *contact,
		     const char *extra)
{
	struct env *e = E;
	struct sockaddr_in dst;
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
		   "REGISTER sip:" DOM " SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKgin%u;rport\r\n"
		   "Max-Forwards: 70\r\nFrom: <%s>;tag=w1\r\nTo: <%s>\r\n"
		   "Call-ID: gin-1@127.0.0.1\r\nCSeq: %u REGISTER\r\n",
		   e->ue_port, ++e->branch, to ? to : BLOCK, to ? to : BLOCK,
		   cseq);
	if (contact)
		buf_printf(&b, "Contact: %s\r\n", contact);
	buf_printf(&b, "%sContent-Length: 0\r\n\r\n", extra ? extra : "");
	uv_ip4_addr("127.0.0.1", scscf_port(e->s), &dst);
	ck_assert_int_eq(sendto(e->fd, b.data, b.len, 0,
				(struct sockaddr *)&dst, sizeof(dst)),
			 (ssize_t)b.len);
	buf_close(&b);
}

static const struct sip_msg *recv_final(int want)
{
	struct env *e = E;
	uint64_t end = ms_now() + 5000;
	ssize_t n;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		n = recv(e->fd, e->rbuf, sizeof(e->rbuf) - 1, MSG_DONTWAIT);
		if (n > 0) {
			ck_assert_int_eq(sip_msg_parse(&e->m, e->rbuf,
						       (size_t)n, false, NULL),
					 0);
			if (e->m.status < 200)
				continue;
			ck_assert_msg(e->m.status == want, "got %d %.*s",
				      e->m.status, SV_ARG(e->m.reason));
			return &e->m;
		}
		usleep(1000);
	}
	ck_abort_msg("no response from the S-CSCF");
	return NULL;
}

/* The answer to the last challenge (the 401 in e->m, else the one kept)
 * with nonce-count nc, as GIN lines and an Authorization line. */
static void answer(const char *password, uint32_t nc, struct buf *out)
{
	const struct sip_hdr *h = sip_hdr_find(&E->m, SIP_HDR_WWW_AUTHENTICATE);
	struct sv pw = sv_from_cstr(password);
	struct digest_chal ch;

	if (h)
		sv_copy(h->value, E->chal, sizeof(E->chal));
	ck_assert_int_eq(digest_chal_parse(&ch, sv_from_cstr(E->chal), NULL),
			 0);
	buf_puts(out, GIN "Authorization: ");
	ck_assert_int_eq(digest_auth_print(out, &ch,
					   &(struct digest_answer){
						   .username = SV(ENT),
						   .password = pw,
						   .method = SV("REGISTER"),
						   .uri = SV("sip:" DOM),
						   .nc = nc,
					   },
					   &E->ue_rng),
			 0);
	buf_puts(out, "\r\n");
}

static void assert_hdr(const struct sip_msg *m, enum sip_hdr_id id,
		       const char *want)
{
	const struct sip_hdr *h = sip_hdr_find(m, id);

	ck_assert_msg(h && sv_eq_cstr(h->value, want), "%s: %.*s (want %s)",
		      sip_hdr_name(id), h ? (int)h->value.len : 2,
		      h ? h->value.p : "--", want);
}

/* Every Cx request the S-CSCF sent (from the trace), in order. */
static size_t cx_sent(struct diam_cx *out, size_t max, uint8_t *store,
		      size_t storesz)
{
	FILE *f = fopen(E->path, "r");
	char line[16384];
	size_t n = 0, used = 0;

	ck_assert_ptr_nonnull(f);
	while (n < max && fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *raw = json_string_value(json_object_get(j, "raw"));
		const char *node =
			json_string_value(json_object_get(j, "node"));
		const char *proto =
			json_string_value(json_object_get(j, "proto"));
		const char *dir = json_string_value(json_object_get(j, "dir"));
		struct diam_msg m;
		int len;

		if (raw && !strcmp(node, "scscf") &&
		    !strcmp(proto, "diameter") && !strcmp(dir, "send") &&
		    used + strlen(raw) < storesz) {
			len = EVP_DecodeBlock(store + used,
					      (const unsigned char *)raw,
					      (int)strlen(raw));
			ck_assert_int_gt(len, 0);
			if (diam_msg_parse(&m, store + used, (size_t)len,
					   NULL) == 0 &&
			    (m.flags & DIAM_FLAG_R) && m.cmd >= DIAM_CMD_UA &&
			    diam_cx_parse(&m, &out[n], NULL) == 0)
				n++;
			used += (size_t)len + 4;
		}
		json_decref(j);
	}
	fclose(f);
	return n;
}

START_TEST(test_block_register)
{
	enum hss_reg_state st;
	static uint8_t store[65536];
	struct diam_cx cx[16];
	const struct sip_msg *m;
	struct buf b;
	size_t n;

	send_reg(1, NULL, BNC ";expires=600", GIN INITIAL);
	recv_final(401);
	buf_init(&b);
	answer("enterprise-pass", 1, &b);
	send_reg(2, NULL, BNC ";expires=600", b.data);
	m = recv_final(200);
	assert_hdr(m, SIP_HDR_P_ASSOCIATED_URI, PAU);
	assert_hdr(m, SIP_HDR_CONTACT, BNC ";expires=600");
	ck_assert(sip_msg_has_option(m, SIP_HDR_SUPPORTED, "gin"));
	ck_assert_ptr_nonnull(sip_hdr_find(m, SIP_HDR_SERVICE_ROUTE));
	/* the bnc Contact serves every number of the block (RFC 6140) */
	ck_assert_uint_eq(scscf_binding_count(E->s, RANGE), 1);
	ck_assert_uint_eq(scscf_binding_count(E->s, BLOCK), 1);
	ck_assert_uint_eq(scscf_binding_count(E->s, "sip:+15551230042@" DOM),
			  1);
	ck_assert_uint_eq(scscf_binding_count(E->s, "sip:enterprise@" DOM), 1);
	ck_assert_uint_eq(scscf_binding_count(E->s, "sip:+15551231042@" DOM),
			  0);
	ck_assert_uint_eq(scscf_reg_count(E->s), 1);
	ck_assert_int_eq(hss_store_reg_state_get(hss_db(E->h),
						 "sip:+15551230777@" DOM, &st),
			 0);
	ck_assert_int_eq(st, HSS_REG_REGISTERED);
	/* Cx: MAR and SAR name the block by its TS 23.003 text */
	n = cx_sent(cx, ARRAY_SIZE(cx), store, sizeof(store));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(cx[0].cmd, DIAM_CMD_MA);
	ck_assert(sv_eq_cstr(cx[0].public_identity, RANGE));
	ck_assert(sv_eq_cstr(cx[0].user_name, ENT));
	ck_assert_uint_eq(cx[1].cmd, DIAM_CMD_SA);
	ck_assert_uint_eq(cx[1].sat, DIAM_CX_SAT_REGISTRATION);
	ck_assert(sv_eq_cstr(cx[1].public_identity, RANGE));
	ck_assert(sv_eq_cstr(cx[1].wildcarded_public_identity, RANGE));
	/* de-registration (the WWS shutting down) unbinds the block */
	buf_reset(&b);
	answer("enterprise-pass", 2, &b);
	send_reg(3, NULL, BNC ";expires=0", b.data);
	m = recv_final(200);
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_CONTACT));
	ck_assert_uint_eq(scscf_binding_count(E->s, "sip:+15551230042@" DOM),
			  0);
	ck_assert_uint_eq(scscf_reg_count(E->s), 0);
	ck_assert_int_eq(hss_store_reg_state_get(hss_db(E->h), RANGE, &st), 0);
	ck_assert_int_eq(st, HSS_REG_NOT_REGISTERED);
	n = cx_sent(cx, ARRAY_SIZE(cx), store, sizeof(store));
	ck_assert_uint_eq(cx[n - 1].sat, DIAM_CX_SAT_USER_DEREGISTRATION);
	ck_assert(sv_eq_cstr(cx[n - 1].wildcarded_public_identity, RANGE));
	buf_close(&b);
}
END_TEST

START_TEST(test_block_wrong_password)
{
	enum hss_reg_state st;
	struct buf b;

	send_reg(1, NULL, BNC, GIN INITIAL);
	recv_final(401);
	buf_init(&b);
	answer("not-the-pass", 1, &b);
	send_reg(2, NULL, BNC, b.data);
	recv_final(403);
	buf_close(&b);
	ck_assert_uint_eq(scscf_reg_count(E->s), 0);
	ck_assert_uint_eq(scscf_binding_count(E->s, "sip:+15551230042@" DOM),
			  0);
	ck_assert_int_eq(hss_store_reg_state_get(hss_db(E->h), RANGE, &st), 0);
	ck_assert_int_eq(st, HSS_REG_NOT_REGISTERED);
}
END_TEST

/* Refused before anything reaches the HSS. */
static const struct {
	const char *name, *to, *contact, *hdrs;
	int status;
	const char *reason;
} bad_vec[] = {
	{ "bnc without gin", NULL, BNC, INITIAL, 400,
	  "bnc Contact without Require: gin" },
	{ "bnc with a user", NULL, "<sip:pbx@f00d.invalid;bnc>", GIN INITIAL,
	  400, "bnc Contact with a user part" },
	{ "gin without bnc", NULL, "<sip:f00d.invalid;transport=ws>",
	  GIN INITIAL, 400, "GIN Contact without bnc" },
	{ "gin for a distinct IMPU", "sip:enterprise@" DOM, BNC, GIN INITIAL,
	  403, "GIN needs a wildcarded IMPU" },
	{ "unknown Require", NULL, BNC, "Require: gin, frob\r\n" INITIAL, 420,
	  NULL },
};

START_TEST(test_block_refused)
{
	const struct sip_msg *m;
	struct diam_cx cx[4];
	static uint8_t store[16384];

	send_reg(1, bad_vec[_i].to, bad_vec[_i].contact, bad_vec[_i].hdrs);
	m = recv_final(bad_vec[_i].status);
	if (bad_vec[_i].reason)
		ck_assert_msg(sv_eq_cstr(m->reason, bad_vec[_i].reason),
			      "%.*s", SV_ARG(m->reason));
	else
		assert_hdr(m, SIP_HDR_UNSUPPORTED, "frob");
	ck_assert_uint_eq(cx_sent(cx, ARRAY_SIZE(cx), store, sizeof(store)),
			  0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scscf_gin");
	TCase *tc = tcase_create("gin");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_block_register);
	tcase_add_test(tc, test_block_wrong_password);
	tcase_add_loop_test(tc, test_block_refused, 0,
			    (int)ARRAY_SIZE(bad_vec));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
