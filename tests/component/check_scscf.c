/* check_scscf.c - the S-CSCF in-process on 127.0.0.1 with a mock HSS (a
 * lib/diam server answering MAR/SAR) and a raw UDP socket as the UE. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../scscf-sim/scscf.h"
#include "diam/diam_peer.h"
#include "digest/digest.h"
#include "ims/ims.h"
#include "sip/sip.h"

#define DOMAIN "ims.example.com"
#define ALICE "alice@" DOMAIN
#define ALICE_PW "alice-pass"
#define PATH_IN "<sip:term@127.0.0.1:5060;lr>"
#define INITIAL_AUTH(impi) \
	"Authorization: Digest username=\"" impi "\", realm=\"" DOMAIN \
	"\", uri=\"sip:" DOMAIN "\", nonce=\"\", response=\"\"\r\n"

/* ---- mock HSS ------------------------------------------------------------ */

struct mock_req {
	uint32_t cmd, sat, udaa, nitems;
	char user[64], impu[96], scheme[32], server[96], realm[64];
};

struct mock {
	struct diam_server *srv;
	uint16_t port;
	struct mock_req reqs[32];
	size_t n;
};

static void copy_sv(char *dst, size_t n, struct sv v)
{
	snprintf(dst, n, "%.*s", v.p ? (int)v.len : 0, v.p ? v.p : "");
}

/* alice: two IMPUs plus a barred one; bob: a wildcarded IMPU listed
 * first, which must not become the first P-Associated-URI. */
static void user_data(const char *impi, struct buf *out)
{
	struct ims_sub sub;

	ims_sub_init(&sub, impi);
	if (strncmp(impi, "bob", 3) == 0) {
		ims_sub_add(&sub, "sip:+1555![0-9]{4}!@" DOMAIN,
			    IMS_ID_WILDCARDED_IMPU, false,
			    "sip:+1555![0-9]{4}!@" DOMAIN, 0);
		ims_sub_add(&sub, "sip:bob@" DOMAIN, IMS_ID_PUBLIC_USER, false,
			    NULL, 0);
	} else {
		ims_sub_add(&sub, "sip:alice@" DOMAIN, IMS_ID_PUBLIC_USER,
			    false, NULL, 0);
		ims_sub_add(&sub, "sip:alice-barred@" DOMAIN,
			    IMS_ID_PUBLIC_USER, true, NULL, 0);
		ims_sub_add(&sub, "tel:+15550100", IMS_ID_PUBLIC_USER, false,
			    NULL, 0);
	}
	ck_assert_int_eq(ims_sub_print(&sub, out), 0);
	ims_sub_close(&sub);
}

static void mock_on_request(struct diam_peer *p, const struct diam_msg *req,
			    const struct diam_cx *cx, void *arg)
{
	struct mock *mk = arg;
	struct mock_req *r = &mk->reqs[mk->n < 32 ? mk->n++ : 31];
	char md5[DIGEST_HEX_MAX], sha[DIGEST_HEX_MAX];
	struct diam_cx ans;
	struct buf ud;

	UNUSED(req);
	memset(r, 0, sizeof(*r));
	r->cmd = cx->cmd;
	r->sat = cx->sat;
	r->udaa = cx->udaa;
	r->nitems = cx->num_auth_items;
	copy_sv(r->user, sizeof(r->user), cx->user_name);
	copy_sv(r->impu, sizeof(r->impu), cx->public_identity);
	copy_sv(r->server, sizeof(r->server), cx->server_name);
	copy_sv(r->realm, sizeof(r->realm), cx->dest_realm);
	if (cx->n_auth)
		copy_sv(r->scheme, sizeof(r->scheme), cx->auth[0].scheme);
	buf_init(&ud);
	diam_cx_answer_init(&ans, cx);
	ans.result = DIAM_SUCCESS;
	if (!sv_eq_cstr(cx->user_name, ALICE) &&
	    !sv_eq_cstr(cx->user_name, "bob@" DOMAIN)) {
		ans.experimental = true;
		ans.result = DIAM_CX_ERROR_USER_UNKNOWN;
	} else if (cx->cmd == DIAM_CMD_MA) {
		digest_ha1_calc(md5, DIGEST_ALG_MD5, cx->user_name, SV(DOMAIN),
				SV(ALICE_PW));
		digest_ha1_calc(sha, DIGEST_ALG_SHA256, cx->user_name,
				SV(DOMAIN), SV(ALICE_PW));
		ans.n_auth = 1;
		ans.auth[0] = (struct diam_cx_auth){
			.scheme = SV(DIAM_CX_SCHEME_DIGEST),
			.realm = SV(DOMAIN), .qop = SV("auth"),
			.algorithm = SV("MD5"), .ha1 = sv_from_cstr(md5),
			.alt_algorithm = SV("SHA-256"),
			.alt_ha1 = sv_from_cstr(sha) };
	} else if (cx->cmd == DIAM_CMD_SA &&
		   (cx->sat == DIAM_CX_SAT_REGISTRATION ||
		    cx->sat == DIAM_CX_SAT_RE_REGISTRATION)) {
		user_data(r->user, &ud);
		ans.user_data = (struct sv){ ud.data, ud.len };
	}
	ck_assert_int_eq(diam_peer_send_answer_cx(p, &ans), 0);
	buf_close(&ud);
}

static size_t mock_count(const struct mock *mk, uint32_t cmd)
{
	size_t n = 0;

	for (size_t i = 0; i < mk->n; i++)
		n += mk->reqs[i].cmd == cmd;
	return n;
}

static const struct mock_req *mock_last(const struct mock *mk, uint32_t cmd)
{
	for (size_t i = mk->n; i > 0; i--)
		if (mk->reqs[i - 1].cmd == cmd)
			return &mk->reqs[i - 1];
	return NULL;
}

struct env {
	uv_loop_t loop;
	struct mock mock;
	struct scscf_conf conf;
	struct scscf *s;
	struct trace trace;
	struct rng rng, ue_rng;
	int fd;
	uint16_t ue_port;
	char dir[64], db[128];
	char rbuf[8192], chal_text[512];
	const char *pw; /* alice's password, as the UE knows it */
	struct sip_msg m;
	struct digest_chal chal;
	unsigned branch;
};

/* Binds fd to 127.0.0.1, port 0; returns the port the OS chose. */
static uint16_t bind_lo(int fd)
{
	struct sockaddr_in sin = { 0 };
	socklen_t sl = sizeof(sin);

	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sl), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	return ntohs(sin.sin_port);
}

static uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

static void set(struct env *e, const char *kv)
{
	char err[CONF_ERR_LEN];

	ck_assert_msg(conf_set(scscf_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

static void scscf_start(struct env *e, uint64_t seed)
{
	uint64_t end = ms_now() + 5000;

	rng_init(&e->rng, seed);
	ck_assert_int_eq(scscf_new(&e->s, &e->loop, &e->conf, &e->trace,
				   &e->rng),
			 0);
	while (e->mock.srv && !scscf_hss_open(e->s) && ms_now() < end)
		uv_run(&e->loop, UV_RUN_NOWAIT);
}

/* overrides: NULL-terminated "key=value" list. hss: start the mock. */
static struct env *env_new(const char *const *overrides, bool hss)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct diam_conf dc = { .local = { .host = "hss.ims.example.com",
					   .realm = DOMAIN } };
	struct diam_handlers h = { .request = mock_on_request };
	struct sockaddr_in sin = { 0 };
	struct sockaddr_storage ss;
	char kv[160];

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	ck_assert_int_eq(trace_open(&e->trace, NULL, "scscf"), 0);
	rng_init(&e->ue_rng, 7);
	e->pw = ALICE_PW;
	h.arg = &e->mock;
	if (hss) {
		uv_ip4_addr("127.0.0.1", 0, &sin);
		ck_assert_int_eq(diam_server_new(&e->mock.srv, &e->loop, &dc,
						 &h, (struct sockaddr *)&sin),
				 0);
		diam_server_addr(e->mock.srv, &ss);
		e->mock.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		/* A port nobody listens on: bind one, then let it go. */
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		e->mock.port = bind_lo(fd);
		close(fd);
	}
	snprintf(e->dir, sizeof(e->dir), "/tmp/check_scscf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	snprintf(e->db, sizeof(e->db), "%s/scscf.db", e->dir);
	conf_defaults(scscf_conf_keys, &e->conf);
	set(e, "port=0");
	set(e, "log_level=warn");
	snprintf(kv, sizeof(kv), "hss_port=%u", e->mock.port);
	set(e, kv);
	snprintf(kv, sizeof(kv), "db=%s", e->db);
	set(e, kv);
	for (size_t i = 0; overrides && overrides[i]; i++)
		set(e, overrides[i]);
	log_set_level(e->conf.common.log_level);
	scscf_start(e, 1);
	e->fd = socket(AF_INET, SOCK_DGRAM, 0); /* the UE */
	e->ue_port = bind_lo(e->fd);
	return e;
}

/* Runs the loop until it ends by itself (bounded). */
static void loop_drain(struct env *e)
{
	uint64_t end = ms_now() + 5000;

	while (uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end)
		usleep(1000);
}

static void env_free(struct env *e)
{
	char p[160];

	if (e->s)
		scscf_close(e->s);
	diam_server_free(e->mock.srv);
	loop_drain(e);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	close(e->fd);
	trace_close(&e->trace);
	conf_free(scscf_conf_keys, &e->conf);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", e->db,
			 (const char *[]){ "", "-wal", "-shm" }[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
}

/* Spins the loop until the scscf has been away `ms` (lets timers run). */
static void spin(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

struct reg_req {
	const char *user;    /* To/From user part */
	unsigned cseq;
	const char *contact; /* Contact value; NULL: none */
	const char *expires; /* Expires value; NULL: none */
	const char *auth;    /* whole Authorization line(s); NULL: none */
	const char *extra;   /* more header lines */
	const char *ruri;    /* NULL: sip:<domain> */
	const char *method;  /* NULL: REGISTER */
	const char *to;      /* NULL: sip:<user>@<domain> */
};

static void ue_send(struct env *e, const struct reg_req *r)
{
	const char *method = r->method ? r->method : "REGISTER";
	struct sockaddr_in to;
	struct buf b;
	char uri[128];

	buf_init(&b);
	if (r->to)
		snprintf(uri, sizeof(uri), "%s", r->to);
	else
		snprintf(uri, sizeof(uri), "sip:%s@" DOMAIN, r->user);
	buf_printf(&b, "%s %s SIP/2.0\r\n", method,
		   r->ruri ? r->ruri : "sip:" DOMAIN);
	buf_printf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKue%u;"
		       "rport\r\n", e->ue_port, ++e->branch);
	buf_printf(&b, "Max-Forwards: 70\r\nFrom: <%s>;tag=ue1\r\n"
		       "To: <%s>\r\nCall-ID: call-%s@ue\r\n"
		       "CSeq: %u %s\r\n", uri, uri, r->user, r->cseq, method);
	if (r->contact)
		buf_printf(&b, "Contact: %s\r\n", r->contact);
	if (r->expires)
		buf_printf(&b, "Expires: %s\r\n", r->expires);
	buf_puts(&b, "Path: " PATH_IN "\r\nSupported: path\r\n");
	if (r->auth)
		buf_puts(&b, r->auth);
	if (r->extra)
		buf_puts(&b, r->extra);
	buf_puts(&b, "Content-Length: 0\r\n\r\n");
	uv_ip4_addr("127.0.0.1", scscf_port(e->s), &to);
	ck_assert_int_eq(sendto(e->fd, b.data, b.len, 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)b.len);
	buf_close(&b);
}

/* The next final response into e->m (bounded wait). */
static const struct sip_msg *ue_recv(struct env *e)
{
	uint64_t end = ms_now() + 5000;
	ssize_t n;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		n = recv(e->fd, e->rbuf, sizeof(e->rbuf) - 1, MSG_DONTWAIT);
		if (n > 0) {
			e->rbuf[n] = '\0';
			ck_assert_int_eq(sip_msg_parse(&e->m, e->rbuf,
						       (size_t)n, false, NULL),
					 0);
			ck_assert(!e->m.is_request && e->m.to_tag.len);
			if (e->m.status >= 200)
				return &e->m;
		}
		usleep(1000);
	}
	ck_abort_msg("no response from the S-CSCF");
	return NULL;
}

static const struct sip_msg *ue_do(struct env *e, const struct reg_req *r,
				   int want)
{
	const struct sip_msg *m;

	ue_send(e, r);
	m = ue_recv(e);
	ck_assert_msg(m->status == want, "got %d %.*s, want %d", m->status,
		      SV_ARG(m->reason), want);
	return m;
}

static bool hdr_is(const struct sip_msg *m, enum sip_hdr_id id,
		   const char *want)
{
	const struct sip_hdr *h = sip_hdr_find(m, id);

	return h && sv_eq_cstr(h->value, want);
}

/* Keeps the first challenge whose algorithm is in mask. */
static void take_chal(struct env *e, unsigned mask)
{
	struct sv v[4];
	const struct sip_hdr *h;
	size_t n = 0, idx;

	for (h = sip_hdr_find(&e->m, SIP_HDR_WWW_AUTHENTICATE); h && n < 4;
	     h = sip_hdr_next(&e->m, h))
		v[n++] = h->value;
	ck_assert_int_eq(digest_chal_select(&e->chal, &idx, v, n, mask), 0);
	copy_sv(e->chal_text, sizeof(e->chal_text), v[idx]);
	ck_assert_int_eq(digest_chal_parse(&e->chal,
					   sv_from_cstr(e->chal_text), NULL),
			 0);
}

/* alice's initial REGISTER (IMS empty-form credentials). */
static const struct sip_msg *alice_initial(struct env *e, unsigned cseq,
					   const char *contact, int want)
{
	return ue_do(e, &(struct reg_req){ .user = "alice", .cseq = cseq,
					   .contact = contact,
					   .auth = INITIAL_AUTH(ALICE) },
		     want);
}

/* alice answering the kept challenge with nonce-count nc. */
static const struct sip_msg *alice_answer(struct env *e, unsigned cseq,
					  const char *contact,
					  const char *expires, uint32_t nc,
					  int want)
{
	struct digest_answer a = { .username = SV(ALICE),
				   .password = sv_from_cstr(e->pw),
				   .method = SV("REGISTER"),
				   .uri = SV("sip:" DOMAIN), .nc = nc };
	const struct sip_msg *m;
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "Authorization: ");
	ck_assert_int_eq(digest_auth_print(&b, &e->chal, &a, &e->ue_rng), 0);
	buf_puts(&b, "\r\n");
	m = ue_do(e, &(struct reg_req){ .user = "alice", .cseq = cseq,
					.contact = contact,
					.expires = expires, .auth = b.data },
		  want);
	buf_close(&b);
	return m;
}

/* 401 for alice, then the answered REGISTER -> 200. */
static void alice_register(struct env *e, unsigned cseq, const char *contact)
{
	alice_initial(e, cseq, contact, 401);
	take_chal(e, 0);
	alice_answer(e, cseq + 1, contact, NULL, 1, 200);
}

static uint64_t contact_expires(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_CONTACT);
	struct sip_addr a;
	struct sv v;
	uint64_t n = 0;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(sip_addr_parse(&a, h->value, NULL), 0);
	ck_assert_int_eq(sip_param_get(a.params, "expires", &v), 0);
	ck_assert_int_eq(sv_to_u64(v, UINT32_MAX, &n), 0);
	return n;
}

#define CONTACT1 "<sip:alice@127.0.0.1:5070>;expires=600"
#define CONTACT2 "<sip:alice@127.0.0.1:5071>"
#define AUTH_DONE(impi) \
	"Authorization: Digest username=\"" impi "\", realm=\"" DOMAIN \
	"\", uri=\"sip:" DOMAIN "\", nonce=\"\", response=\"\", " \
	"integrity-protected=\"auth-done\"\r\n"

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_register_flow)
{
	struct env *e = env_new(NULL, true);
	const struct mock_req *q;
	const struct sip_msg *m;
	char sr[128];

	/* Initial REGISTER -> MAR -> 401 */
	m = alice_initial(e, 1, CONTACT1, 401);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_WWW_AUTHENTICATE), 1);
	take_chal(e, 0);
	ck_assert(sv_eq_cstr(e->chal.realm, DOMAIN));
	ck_assert_uint_eq(e->chal.nonce.len, DIGEST_NONCE_LEN);
	ck_assert_int_eq(e->chal.alg, DIGEST_ALG_MD5);
	ck_assert(sv_eq_cstr(e->chal.algorithm, "MD5"));
	ck_assert(e->chal.qop_auth && !e->chal.stale);
	ck_assert_uint_eq(e->mock.n, 1);
	q = &e->mock.reqs[0];
	ck_assert_uint_eq(q->cmd, DIAM_CMD_MA);
	ck_assert_str_eq(q->user, ALICE);
	ck_assert_str_eq(q->impu, "sip:alice@" DOMAIN);
	ck_assert_str_eq(q->scheme, DIAM_CX_SCHEME_DIGEST);
	ck_assert_uint_eq(q->nitems, 1);
	ck_assert_str_eq(q->server, "sip:scscf.ims.example.com:6060");
	ck_assert_str_eq(q->realm, DOMAIN);

	/* Answered -> SAR REGISTRATION -> 200 */
	m = alice_answer(e, 2, CONTACT1, NULL, 1, 200);
	ck_assert_uint_ge(contact_expires(m), 598);
	ck_assert_uint_le(contact_expires(m), 600);
	ck_assert(hdr_is(m, SIP_HDR_PATH, PATH_IN));
	snprintf(sr, sizeof(sr), "<sip:orig@127.0.0.1:%u;lr>",
		 scscf_port(e->s));
	ck_assert(hdr_is(m, SIP_HDR_SERVICE_ROUTE, sr));
	ck_assert(hdr_is(m, SIP_HDR_P_ASSOCIATED_URI,
			 "<sip:alice@" DOMAIN ">, <tel:+15550100>"));
	ck_assert(hdr_is(m, SIP_HDR_SUPPORTED, "path"));
	q = mock_last(&e->mock, DIAM_CMD_SA);
	ck_assert_uint_eq(q->sat, DIAM_CX_SAT_REGISTRATION);
	ck_assert_uint_eq(q->udaa, 0);
	ck_assert_str_eq(q->user, ALICE);
	ck_assert_str_eq(q->impu, "sip:alice@" DOMAIN);
	ck_assert_str_eq(q->server, "sip:scscf.ims.example.com:6060");
	ck_assert_uint_eq(scscf_reg_count(e->s), 1);
	/* implicit registration: the tel URI is registered too */
	ck_assert_uint_eq(scscf_binding_count(e->s, "tel:+15550100"), 1);

	/* Re-register reusing the nonce (nc 2), one more contact: no MAR */
	m = alice_answer(e, 3, CONTACT2, "300", 2, 200);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_CONTACT), 2);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_MA), 1);
	q = mock_last(&e->mock, DIAM_CMD_SA);
	ck_assert_uint_eq(q->sat, DIAM_CX_SAT_RE_REGISTRATION);
	ck_assert_uint_eq(q->udaa, 1);
	ck_assert_uint_eq(scscf_binding_count(e->s, "sip:alice@" DOMAIN), 2);

	/* The same nc again is a replay: challenged afresh */
	alice_answer(e, 4, CONTACT2, "300", 2, 401);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_MA), 2);

	/* Contact: * with Expires: 0 removes both -> USER_DEREGISTRATION */
	m = alice_answer(e, 5, "*", "0", 3, 200);
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_CONTACT));
	ck_assert_ptr_null(sip_hdr_find(m, SIP_HDR_P_ASSOCIATED_URI));
	q = mock_last(&e->mock, DIAM_CMD_SA);
	ck_assert_uint_eq(q->sat, DIAM_CX_SAT_USER_DEREGISTRATION);
	ck_assert_uint_eq(scscf_reg_count(e->s), 0);
	ck_assert_uint_eq(scscf_binding_count(e->s, "tel:+15550100"), 0);
	env_free(e);
}
END_TEST

/* RFC 3261 §10.3 steps 6-7 after a successful authentication. */
START_TEST(test_post_auth_errors)
{
	struct env *e = env_new(NULL, true);
	const struct sip_msg *m;

	alice_initial(e, 1, CONTACT1, 401);
	take_chal(e, 0);
	m = alice_answer(e, 2, "<sip:alice@127.0.0.1:5070>;expires=10", NULL,
			 1, 423);
	ck_assert(hdr_is(m, SIP_HDR_MIN_EXPIRES, "60"));
	alice_answer(e, 3, "*", "600", 2, 400);
	alice_answer(e, 10, CONTACT1, NULL, 3, 200);
	m = alice_answer(e, 5, CONTACT1, NULL, 4, 500);
	ck_assert(sv_eq_cstr(m->reason, "Out of order"));
	ck_assert_uint_eq(scscf_binding_count(e->s, "sip:alice@" DOMAIN), 1);
	/* Expires: 0 on the one contact de-registers */
	alice_answer(e, 11, "<sip:alice@127.0.0.1:5070>", "0", 5, 200);
	ck_assert_uint_eq(mock_last(&e->mock, DIAM_CMD_SA)->sat,
			  DIAM_CX_SAT_USER_DEREGISTRATION);
	ck_assert_uint_eq(scscf_reg_count(e->s), 0);
	env_free(e);
}
END_TEST

START_TEST(test_wrong_password)
{
	struct env *e = env_new(NULL, true);
	const struct sip_msg *m;

	alice_initial(e, 1, CONTACT1, 401);
	take_chal(e, 0);
	e->pw = "not-the-password";
	m = alice_answer(e, 2, CONTACT1, NULL, 1, 403);
	ck_assert(sv_eq_cstr(m->reason, "Wrong credentials"));
	ck_assert_uint_eq(mock_last(&e->mock, DIAM_CMD_SA)->sat,
			  DIAM_CX_SAT_AUTHENTICATION_FAILURE);
	ck_assert_uint_eq(scscf_reg_count(e->s), 0);
	env_free(e);
}
END_TEST

START_TEST(test_unknown_user)
{
	struct env *e = env_new(NULL, true);
	const struct sip_msg *m;

	m = ue_do(e, &(struct reg_req){
			     .user = "nobody", .cseq = 1, .contact = CONTACT1,
			     .auth = INITIAL_AUTH("nobody@" DOMAIN) },
		  403);
	ck_assert(sv_eq_cstr(m->reason, "Unknown user"));
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_MA), 1);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_SA), 0);
	env_free(e);
}
END_TEST

/* Refused (or answered) before any Cx traffic. */
static const struct {
	struct reg_req r;
	int status;
	enum sip_hdr_id hdr;
	const char *value;
} pre_vec[] = {
#define R(...) { .user = "alice", .cseq = 1, __VA_ARGS__ }
	{ R(.contact = CONTACT1, .ruri = "sip:other.example.com"), 403, 0,
	  NULL },
	{ R(.contact = CONTACT1, .ruri = "sip:alice@" DOMAIN), 403, 0, NULL },
	{ R(.contact = CONTACT1, .extra = "Require: path, foo\r\n"), 420,
	  SIP_HDR_UNSUPPORTED, "foo" },
	{ R(.contact = CONTACT1, .to = "tel:+15550100"), 403, 0, NULL },
	{ R(.contact = "<tel:+15550100>"), 400, 0, NULL },
	{ R(.contact = CONTACT1,
	    .auth = "Authorization: Digest username=\r\n"), 400, 0, NULL },
	{ R(.method = "OPTIONS"), 200, SIP_HDR_ALLOW, "REGISTER, OPTIONS" },
	{ R(.method = "MESSAGE"), 501, 0, NULL },
#undef R
};

START_TEST(test_pre_auth)
{
	struct env *e = env_new(NULL, true);
	const struct sip_msg *m = ue_do(e, &pre_vec[_i].r, pre_vec[_i].status);

	if (pre_vec[_i].value)
		ck_assert(hdr_is(m, pre_vec[_i].hdr, pre_vec[_i].value));
	ck_assert_uint_eq(e->mock.n, 0);
	env_free(e);
}
END_TEST

/* RFC 8760 §2.3: one challenge per algorithm, in the configured order. */
START_TEST(test_sha256)
{
	static const char *const o[] = { "digest_algorithms=SHA-256,MD5",
					 NULL };
	struct env *e = env_new(o, true);
	const struct sip_hdr *h;
	const struct sip_msg *m;

	m = alice_initial(e, 1, CONTACT1, 401);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_WWW_AUTHENTICATE), 2);
	h = sip_hdr_find(m, SIP_HDR_WWW_AUTHENTICATE);
	ck_assert_ptr_nonnull(strstr(h->value.p, "algorithm=SHA-256"));
	ck_assert_ptr_nonnull(
		strstr(sip_hdr_next(m, h)->value.p, "algorithm=MD5"));
	take_chal(e, DIGEST_ALG_BIT(DIGEST_ALG_SHA256));
	ck_assert_int_eq(e->chal.alg, DIGEST_ALG_SHA256);
	alice_answer(e, 2, CONTACT1, NULL, 1, 200);
	env_free(e);
}
END_TEST

/* auth-done skips MAR and the challenge only when trust_auth_done is on
 * AND it comes from a trusted peer; otherwise it is challenged. */
#define ON "trust_auth_done=true"
static const struct {
	const char *conf[3];
	bool skip;
} auth_done_vec[] = {
	{ { NULL }, false }, { { ON, "trusted_peers=127.0.0.1", NULL }, true },
	{ { ON, "trusted_peers=127.0.0.2,[::1]:5060", NULL }, false },
	{ { "trust_auth_done=false", "trusted_peers=*", NULL }, false },
};

START_TEST(test_auth_done)
{
	bool skip = auth_done_vec[_i].skip;
	struct env *e = env_new(auth_done_vec[_i].conf, true);

	ue_do(e, &(struct reg_req){ .user = "alice", .cseq = 1,
				    .contact = CONTACT1,
				    .auth = AUTH_DONE(ALICE) },
	      skip ? 200 : 401);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_MA), skip ? 0 : 1);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_SA), skip ? 1 : 0);
	if (skip)
		ck_assert_uint_eq(mock_last(&e->mock, DIAM_CMD_SA)->sat,
				  DIAM_CX_SAT_REGISTRATION);
	env_free(e);
}
END_TEST

/* A wildcarded IMPU listed first in User-Data is not the first
 * P-Associated-URI (it cannot be the default IMPU); what a SIP URI cannot
 * carry is escaped. */
START_TEST(test_wildcard_not_first)
{
	struct env *e = env_new(auth_done_vec[1].conf, true); /* trusted */
	const struct sip_msg *m;

	m = ue_do(e, &(struct reg_req){ .user = "bob", .cseq = 1,
					.contact = "<sip:bob@127.0.0.1:5070>",
					.auth = AUTH_DONE("bob@" DOMAIN) },
		  200);
	ck_assert(hdr_is(m, SIP_HDR_P_ASSOCIATED_URI,
			 "<sip:bob@" DOMAIN ">, <sip:+1555!%5B0-9%5D%7B4%7D!@"
			 DOMAIN ">"));
	env_free(e);
}
END_TEST

/* A restarted S-CSCF (same db) still knows the registration. */
START_TEST(test_restart)
{
	struct env *e = env_new(NULL, true);
	const struct sip_msg *m;

	alice_register(e, 1, CONTACT1);
	scscf_close(e->s);
	e->s = NULL;
	spin(e, 20);
	scscf_start(e, 1); /* same seed: same nonce key */
	ck_assert_uint_eq(scscf_reg_count(e->s), 1);
	ck_assert_uint_eq(scscf_binding_count(e->s, "sip:alice@" DOMAIN), 1);
	ck_assert_uint_eq(scscf_binding_count(e->s, "tel:+15550100"), 1);
	/* The old nonce is still ours but its HA1 is gone: MAR, verify. A
	 * query (no Contact) lists the binding and the stored set, no SAR */
	e->mock.n = 0;
	m = alice_answer(e, 3, NULL, NULL, 2, 200);
	ck_assert_uint_ge(contact_expires(m), 590);
	ck_assert(hdr_is(m, SIP_HDR_P_ASSOCIATED_URI,
			 "<sip:alice@" DOMAIN ">, <tel:+15550100>"));
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_MA), 1);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_SA), 0);
	/* A refresh is a RE_REGISTRATION: the HSS state is ours */
	alice_answer(e, 4, CONTACT1, NULL, 3, 200);
	ck_assert_uint_eq(mock_count(&e->mock, DIAM_CMD_MA), 1);
	ck_assert_uint_eq(mock_last(&e->mock, DIAM_CMD_SA)->sat,
			  DIAM_CX_SAT_RE_REGISTRATION);
	env_free(e);
}
END_TEST

/* RFC 7616 §3.3: a right answer with an old nonce gets stale=true. */
START_TEST(test_stale)
{
	static const char *const o[] = { "nonce_lifetime_s=1", NULL };
	struct env *e = env_new(o, true);

	alice_initial(e, 1, CONTACT1, 401);
	take_chal(e, 0);
	spin(e, 2100);
	alice_answer(e, 2, CONTACT1, NULL, 1, 401);
	take_chal(e, 0);
	ck_assert(e->chal.stale);
	alice_answer(e, 3, CONTACT1, NULL, 1, 200);
	env_free(e);
}
END_TEST

START_TEST(test_expiry)
{
	static const char *const o[] = { "min_expires=1",
					 "expiry_check_ms=20", NULL };
	struct env *e = env_new(o, true);
	uint64_t end;

	alice_register(e, 1, "<sip:alice@127.0.0.1:5070>;expires=1");
	ck_assert_uint_eq(scscf_reg_count(e->s), 1);
	end = ms_now() + 4000;
	while (scscf_reg_count(e->s) && ms_now() < end)
		spin(e, 10);
	spin(e, 50); /* the SAR reaches the mock */
	ck_assert_uint_eq(scscf_reg_count(e->s), 0);
	ck_assert_uint_eq(mock_last(&e->mock, DIAM_CMD_SA)->sat,
			  DIAM_CX_SAT_TIMEOUT_DEREGISTRATION);
	env_free(e);
}
END_TEST

START_TEST(test_hss_down)
{
	static const char *const o[] = { "cx_timeout_ms=200", NULL };
	struct env *e = env_new(o, false);
	const struct sip_msg *m;

	m = alice_initial(e, 1, CONTACT1, 503);
	ck_assert(sv_eq_cstr(m->reason, "HSS unavailable"));
	/* Closing with a MAR pending frees it (LSan) without a callback */
	ue_send(e, &(struct reg_req){ .user = "alice", .cseq = 2 });
	spin(e, 20);
	env_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scscf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_register_flow);
	tcase_add_test(tc, test_post_auth_errors);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_unknown_user);
	tcase_add_loop_test(tc, test_pre_auth, 0, (int)ARRAY_SIZE(pre_vec));
	tcase_add_test(tc, test_sha256);
	tcase_add_loop_test(tc, test_auth_done, 0, ARRAY_SIZE(auth_done_vec));
	tcase_add_test(tc, test_wildcard_not_first);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_stale);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_hss_down);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
