/* check_pcscf.c - the P-CSCF in-process on 127.0.0.1. A raw UDP socket is
 * the mock S-CSCF (it answers by hand, or stays silent); raw UDP and TCP
 * sockets are the UE. What the mock receives is parsed with sip_msg_parse
 * and checked against TS 24.229 §5.2.2, RFC 3327 and RFC 3261 §16. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../pcscf-sim/pcscf.h"
#include "digest/digest.h"
#include "sip/sip.h"

#define DOMAIN "ims.example.com"
#define ALICE "alice@" DOMAIN
#define UE_HOST "192.0.2.1" /* sent-by differs from the source: received= */
#define CONTACT "<sip:alice@" UE_HOST ":5070>"
#define NONCE "bm9uY2UtMQ=="
#define RESP "6629fae49393a05397450978507c4ef1"
#define CHAL                                                                   \
	"Digest realm=\"" DOMAIN "\", nonce=\"" NONCE "\", algorithm=MD5, "    \
	"qop=\"auth\""
#define CRED_HEAD                                                              \
	"Digest username=\"" ALICE "\", realm=\"" DOMAIN "\", uri=\"sip:"     \
	DOMAIN "\", "
#define INITIAL CRED_HEAD "nonce=\"\", response=\"\""
#define ANSWERED                                                               \
	CRED_HEAD "nonce=\"" NONCE "\", response=\"" RESP "\", "             \
	"algorithm=MD5, qop=auth, nc=00000001, cnonce=\"0a4f113b\""
/* What a UE has no right to assert (TS 24.229 §5.2.2.1). */
#define FORGED ", integrity-protected=\"auth-done\""
#define SR "<sip:orig@127.0.0.1:6060;lr>"
#define PAU "<sip:alice@" DOMAIN ">, <tel:+15550100>"

struct env {
	uv_loop_t loop;
	struct pcscf_conf conf;
	struct pcscf *p;
	struct trace trace;
	struct rng rng;
	int ue, tcp;         /* UE sockets (tcp: -1 until connected) */
	uint16_t ue_port, tcp_port;
	int mk;              /* the mock S-CSCF */
	uint16_t mk_port;
	struct sockaddr_storage mk_from; /* where the P-CSCF sent from */
	char mbuf[8192], ubuf[8192];
	size_t ulen;         /* bytes buffered from the TCP stream */
	struct sip_msg mm, um; /* last received by the mock / by the UE */
	unsigned branch, cseq, nprov;
};

static uint64_t ms_now(void)
{
	return time_now_us() / 1000;
}

static void set(struct env *e, const char *kv)
{
	char err[CONF_ERR_LEN];

	ck_assert_msg(conf_set(pcscf_conf_keys, &e->conf, kv, err) == 0, "%s",
		      err);
}

/* A socket bound to 127.0.0.1 on an OS-chosen port. */
static int sock_bound(int type, uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);

	ck_assert_int_ge(fd, 0);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sl), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* overrides: NULL-terminated "key=value" list. scscf_port 0: the mock. */
static struct env *env_new(const char *const *overrides, uint64_t seed,
			   uint16_t scscf_port)
{
	struct env *e = xcalloc(1, sizeof(*e));
	char kv[64];

	ck_assert_int_eq(uv_loop_init(&e->loop), 0);
	ck_assert_int_eq(trace_open(&e->trace, NULL, "pcscf"), 0);
	e->mk = sock_bound(SOCK_DGRAM, &e->mk_port);
	e->ue = sock_bound(SOCK_DGRAM, &e->ue_port);
	e->tcp = -1;
	conf_defaults(pcscf_conf_keys, &e->conf);
	set(e, "port=0");
	set(e, "log_level=error");
	snprintf(kv, sizeof(kv), "scscf_port=%u",
		 scscf_port ? scscf_port : e->mk_port);
	set(e, kv);
	for (size_t i = 0; overrides && overrides[i]; i++)
		set(e, overrides[i]);
	log_set_level(e->conf.common.log_level);
	rng_init(&e->rng, seed);
	ck_assert_int_eq(pcscf_new(&e->p, &e->loop, &e->conf, &e->trace,
				   &e->rng),
			 0);
	ck_assert_uint_ne(pcscf_port(e->p), 0);
	return e;
}

static void env_free(struct env *e)
{
	uint64_t end = ms_now() + 5000;

	pcscf_close(e->p);
	while (uv_run(&e->loop, UV_RUN_NOWAIT) && ms_now() < end)
		usleep(1000);
	ck_assert_int_eq(uv_loop_close(&e->loop), 0);
	close(e->mk);
	close(e->ue);
	if (e->tcp >= 0)
		close(e->tcp);
	trace_close(&e->trace);
	conf_free(pcscf_conf_keys, &e->conf);
	free(e);
}

static void spin(struct env *e, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

/* ---- the mock S-CSCF ----------------------------------------------------- */

/* One datagram into e->mm if there is one (no waiting). */
static bool mock_poll(struct env *e)
{
	socklen_t sl = sizeof(e->mk_from);
	ssize_t n = recvfrom(e->mk, e->mbuf, sizeof(e->mbuf) - 1,
			     MSG_DONTWAIT, (struct sockaddr *)&e->mk_from, &sl);
	struct perr pe = { 0 };

	if (n <= 0)
		return false;
	e->mbuf[n] = '\0';
	ck_assert_msg(sip_msg_parse(&e->mm, e->mbuf, (size_t)n, false, &pe) ==
			      0,
		      "mock got a bad message (%s at %zu):\n%s", pe.why,
		      pe.offset, e->mbuf);
	ck_assert(e->mm.is_request);
	return true;
}

/* The next request the P-CSCF sends to the mock (bounded wait). */
static const struct sip_msg *mock_recv(struct env *e)
{
	uint64_t end = ms_now() + 5000;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		if (mock_poll(e))
			return &e->mm;
		usleep(1000);
	}
	ck_abort_msg("nothing reached the mock S-CSCF");
	return NULL;
}

/* Nothing reaches the mock during ms. */
static void mock_silent(struct env *e, unsigned ms)
{
	spin(e, ms);
	ck_assert_msg(!mock_poll(e), "the mock got:\n%s", e->mbuf);
}

/* Answers the last request; extra: more header lines (or NULL). */
static void mock_reply(struct env *e, int status, const char *extra)
{
	struct buf b;

	buf_init(&b);
	sip_print_response_start(&b, &e->mm, status, NULL, "mocktag");
	if (extra)
		buf_puts(&b, extra);
	sip_print_end(&b, NULL, NULL, 0);
	ck_assert_int_eq(sendto(e->mk, b.data, b.len, 0,
				(struct sockaddr *)&e->mk_from,
				sizeof(struct sockaddr_in)),
			 (ssize_t)b.len);
	buf_close(&b);
}

/* ---- the UE -------------------------------------------------------------- */

struct ue_req {
	const char *method; /* NULL: REGISTER */
	const char *auth;   /* Authorization value; NULL: none */
	const char *extra;  /* more header lines */
	const char *mf;     /* Max-Forwards; NULL: 70 */
	bool no_path;       /* leave out Supported: path */
};

static void ue_build(struct env *e, const struct ue_req *r, bool tcp,
		     struct buf *b)
{
	const char *method = r->method ? r->method : "REGISTER";

	buf_printf(b, "%s sip:" DOMAIN " SIP/2.0\r\n", method);
	buf_printf(b, "Via: SIP/2.0/%s " UE_HOST ":5070;branch=z9hG4bKue%u;"
		      "rport\r\n", tcp ? "TCP" : "UDP", ++e->branch);
	buf_printf(b, "Max-Forwards: %s\r\n", r->mf ? r->mf : "70");
	buf_printf(b, "From: <sip:" ALICE ">;tag=ue1\r\nTo: <sip:" ALICE
		      ">\r\nCall-ID: reg-1@ue\r\nCSeq: %u %s\r\n"
		      "Contact: " CONTACT "\r\n", ++e->cseq, method);
	if (!r->no_path)
		buf_puts(b, "Supported: path\r\n");
	if (r->auth)
		buf_printf(b, "Authorization: %s\r\n", r->auth);
	if (r->extra)
		buf_puts(b, r->extra);
	buf_puts(b, "Content-Length: 0\r\n\r\n");
}

/* Over UDP, or over the TCP connection once ue_tcp_connect ran. */
static void ue_send(struct env *e, const struct ue_req *r)
{
	struct sockaddr_in to;
	struct buf b;

	buf_init(&b);
	ue_build(e, r, e->tcp >= 0, &b);
	uv_ip4_addr("127.0.0.1", pcscf_port(e->p), &to);
	ck_assert_int_eq(sendto(e->tcp >= 0 ? e->tcp : e->ue, b.data, b.len,
				0, e->tcp >= 0 ? NULL : (struct sockaddr *)&to,
				e->tcp >= 0 ? 0 : sizeof(to)),
			 (ssize_t)b.len);
	buf_close(&b);
}

/* One response from the UDP or TCP socket into e->um, if complete. */
static bool ue_poll(struct env *e, bool tcp)
{
	size_t skip = 0, len = 0;
	ssize_t n;

	if (!tcp) {
		n = recv(e->ue, e->ubuf, sizeof(e->ubuf) - 1, MSG_DONTWAIT);
		if (n <= 0)
			return false;
		len = (size_t)n;
	} else {
		n = recv(e->tcp, e->ubuf + e->ulen,
			 sizeof(e->ubuf) - 1 - e->ulen, MSG_DONTWAIT);
		if (n > 0)
			e->ulen += (size_t)n;
		if (sip_msg_frame(e->ubuf, e->ulen, &skip, &len, NULL))
			return false;
		ck_assert_uint_eq(skip, 0);
		e->ulen = 0; /* one response at a time in these tests */
	}
	e->ubuf[len] = '\0';
	ck_assert_msg(sip_msg_parse(&e->um, e->ubuf, len, tcp, NULL) == 0,
		      "UE got a bad message:\n%s", e->ubuf);
	ck_assert(!e->um.is_request);
	return true;
}

/* The next final response to the UE (bounded wait); 1xx are counted. */
static const struct sip_msg *ue_recv(struct env *e, bool tcp, int want)
{
	uint64_t end = ms_now() + 5000;

	while (ms_now() < end) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		if (ue_poll(e, tcp)) {
			if (e->um.status >= 200)
				goto out;
			e->nprov++;
		}
		usleep(1000);
	}
	ck_abort_msg("no response to the UE");
out:
	ck_assert_msg(e->um.status == want, "UE got %d %.*s, want %d",
		      e->um.status, SV_ARG(e->um.reason), want);
	/* §16.7 item 3: the P-CSCF's own Via is gone, the UE's is on top. */
	ck_assert_uint_eq(sip_hdr_count(&e->um, SIP_HDR_VIA), 1);
	ck_assert(sv_eq_cstr(e->um.via.host, UE_HOST));
	return &e->um;
}

static void ue_tcp_connect(struct env *e)
{
	struct sockaddr_in to;

	e->tcp = sock_bound(SOCK_STREAM, &e->tcp_port);
	uv_ip4_addr("127.0.0.1", pcscf_port(e->p), &to);
	ck_assert_int_eq(connect(e->tcp, (struct sockaddr *)&to, sizeof(to)),
			 0);
}

/* ---- checks on what the mock got ----------------------------------------- */

static bool hdr_is(const struct sip_msg *m, enum sip_hdr_id id,
		   const char *want)
{
	const struct sip_hdr *h = sip_hdr_find(m, id);

	return h && sv_eq_cstr(h->value, want);
}

static bool is_hex32(struct sv v)
{
	if (v.len != 32)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (!strchr("0123456789abcdef", v.p[i]))
			return false;
	return true;
}

/*
 * A REGISTER forwarded per 24.229 §5.2.2.1 / RFC 3261 §16.6: our Via on
 * top, the UE's below it stamped (RFC 3581 §4), Max-Forwards - 1, Path on
 * top with Require: path (RFC 3327 §5), P-Visited-Network-ID and a fresh
 * P-Charging-Vector (RFC 7315 §4.6). The icid goes to icid (33 bytes).
 */
static void check_forwarded(struct env *e, const char *ue_transport,
			    uint16_t ue_port, char *icid)
{
	const struct sip_msg *m = &e->mm;
	struct sip_list_iter it = { 0 };
	const struct sip_hdr *h;
	struct sip_via v;
	struct sv el, val;
	char want[96];

	ck_assert_int_eq(m->method, SIP_METHOD_REGISTER);
	ck_assert(sv_eq_cstr(m->ruri_str, "sip:" DOMAIN));
	ck_assert(sv_eq_cstr(m->via.transport, "UDP"));
	ck_assert(sv_eq_cstr(m->via.host, "127.0.0.1"));
	ck_assert_uint_eq(m->via.port, pcscf_port(e->p));
	ck_assert(sv_starts_with(m->via.branch, "z9hG4bK"));
	ck_assert(!sv_starts_with(m->via.branch, "z9hG4bKue"));
	ck_assert(sip_list_iter_next(m, SIP_HDR_VIA, &it, &el));
	ck_assert(sip_list_iter_next(m, SIP_HDR_VIA, &it, &el));
	ck_assert_int_eq(sip_via_parse(&v, el, NULL), 0);
	ck_assert(sv_eq_cstr(v.transport, ue_transport));
	ck_assert(sv_eq_cstr(v.host, UE_HOST));
	ck_assert(sv_eq_cstr(v.received, "127.0.0.1"));
	ck_assert(v.has_rport);
	ck_assert_uint_eq(v.rport, ue_port);
	ck_assert(!sip_list_iter_next(m, SIP_HDR_VIA, &it, &el));
	ck_assert_int_eq(m->max_forwards, 69);
	snprintf(want, sizeof(want), "<sip:term@127.0.0.1:%u;lr>",
		 pcscf_port(e->p));
	ck_assert_msg(hdr_is(m, SIP_HDR_PATH, want), "Path: want %s", want);
	ck_assert(sip_msg_has_option(m, SIP_HDR_REQUIRE, "path"));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_P_VISITED_NETWORK_ID), 1);
	ck_assert(hdr_is(m, SIP_HDR_P_VISITED_NETWORK_ID,
			 "\"Visited Network Number 1\""));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_P_CHARGING_VECTOR), 1);
	h = sip_hdr_find(m, SIP_HDR_P_CHARGING_VECTOR);
	ck_assert_int_eq(sip_param_get(h->value, "icid-value", &val), 0);
	ck_assert_msg(is_hex32(val), "icid-value=%.*s", SV_ARG(val));
	ck_assert_int_eq(sv_copy(val, icid, 33), 0);
	ck_assert_int_eq(sip_param_get(h->value, "icid-generated-at", &val),
			 0);
	ck_assert(sv_eq_cstr(val, "127.0.0.1"));
	/* The rest is copied verbatim. */
	ck_assert(hdr_is(m, SIP_HDR_CONTACT, CONTACT));
	ck_assert(sv_eq_cstr(m->call_id, "reg-1@ue"));
	ck_assert(sv_eq_cstr(m->from_tag, "ue1"));
}

/* The forwarded Authorization: the UE's credentials, untouched but for
 * integrity-protected, which is exactly want (NULL: absent). */
static void check_auth(const struct sip_msg *m, const char *sent,
		       const char *want)
{
	const struct sip_hdr *h = sip_hdr_find(m, SIP_HDR_AUTHORIZATION);
	struct digest_cred *c;
	char *text;

	if (!sent) {
		ck_assert_ptr_null(h);
		return;
	}
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_AUTHORIZATION), 1);
	c = xmalloc(sizeof(*c));
	ck_assert_int_eq(digest_cred_parse(c, h->value, NULL), 0);
	ck_assert(sv_eq_cstr(c->username, ALICE));
	ck_assert(sv_eq_cstr(c->uri, "sip:" DOMAIN));
	ck_assert(sv_eq_cstr(c->nonce, strstr(sent, NONCE) ? NONCE : ""));
	ck_assert(sv_eq_cstr(c->response, strstr(sent, RESP) ? RESP : ""));
	text = sv_dup(h->value);
	if (want) {
		ck_assert_msg(sv_eq_cstr(c->integrity_protected, want),
			      "got: %s", text);
		/* once: the UE's own is gone */
		ck_assert_ptr_null(strcasestr(
			strcasestr(text, "integrity-protected") + 1,
			"integrity-protected"));
	} else {
		ck_assert_msg(!strcasestr(text, "integrity-protected"),
			      "got: %s", text);
	}
	free(text);
	free(c);
}

/* ---- tests --------------------------------------------------------------- */

#define FIXED_TLS "integrity_protected=fixed", "integrity_value=tls-yes"
#define IP_NONE "integrity_protected=none"

/* TS 24.229 §5.2.2.1: the UE's integrity-protected is always dropped; the
 * P-CSCF asserts its own per configuration. Only a trusted edge (the WSF,
 * TNA) keeps its "auth-done". */
static const struct {
	const char *conf[3];
	const char *auth; /* sent by the UE; NULL: no Authorization */
	const char *want; /* forwarded integrity-protected; NULL: none */
} auth_vec[] = {
	{ { NULL }, NULL, NULL },
	{ { NULL }, INITIAL, NULL },
	{ { NULL }, INITIAL FORGED, NULL },
	{ { NULL }, INITIAL ", Integrity-Protected=auth-done", NULL },
	{ { NULL }, ANSWERED, "ip-assoc-pending" },
	{ { NULL }, ANSWERED FORGED, "ip-assoc-pending" },
	{ { NULL }, ANSWERED ", integrity-protected=\"ip-assoc-yes\"",
	  "ip-assoc-pending" },
	{ { FIXED_TLS }, INITIAL, "tls-yes" },
	{ { FIXED_TLS }, INITIAL FORGED, "tls-yes" },
	{ { FIXED_TLS }, ANSWERED FORGED, "tls-yes" },
	{ { FIXED_TLS }, NULL, NULL },
	{ { IP_NONE }, INITIAL FORGED, NULL },
	{ { IP_NONE }, ANSWERED, NULL },
	{ { IP_NONE }, ANSWERED FORGED, NULL },
	{ { "trusted_edges=127.0.0.1" }, INITIAL FORGED, "auth-done" },
	{ { "trusted_edges=127.0.0.2,127.0.0.1:1" }, INITIAL FORGED, NULL },
};

START_TEST(test_auth)
{
	struct env *e = env_new(auth_vec[_i].conf, 1, 0);
	char icid[33];

	ue_send(e, &(struct ue_req){ .auth = auth_vec[_i].auth });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid);
	check_auth(&e->mm, auth_vec[_i].auth, auth_vec[_i].want);
	mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
	ue_recv(e, false, 401);
	env_free(e);
}
END_TEST

/* The whole registration through the P-CSCF. */
START_TEST(test_flow)
{
	struct env *e = env_new(NULL, 1, 0);
	const struct sip_msg *m;
	char icid[6][33];

	/* Initial REGISTER -> 401: relayed with WWW-Authenticate intact, the
	 * mock's 100 Trying absorbed (RFC 3261 §16.7 item 5). */
	ue_send(e, &(struct ue_req){ .auth = INITIAL });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid[0]);
	mock_reply(e, 100, NULL);
	mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
	m = ue_recv(e, false, 401);
	ck_assert_uint_eq(e->nprov, 0);
	ck_assert(sv_eq_cstr(m->via.branch, "z9hG4bKue1"));
	ck_assert(sv_eq_cstr(m->to_tag, "mocktag"));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_WWW_AUTHENTICATE), 1);
	ck_assert(hdr_is(m, SIP_HDR_WWW_AUTHENTICATE, CHAL));
	ck_assert_uint_eq(pcscf_reg_count(e->p), 0);

	/* Answered -> pending -> 200 relayed, registration kept */
	ue_send(e, &(struct ue_req){ .auth = ANSWERED });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid[1]);
	check_auth(&e->mm, ANSWERED, "ip-assoc-pending");
	mock_reply(e, 200, "Contact: " CONTACT ";expires=600\r\n"
			   "Service-Route: " SR "\r\n"
			   "P-Associated-URI: " PAU "\r\n");
	m = ue_recv(e, false, 200);
	ck_assert(hdr_is(m, SIP_HDR_SERVICE_ROUTE, SR));
	ck_assert(hdr_is(m, SIP_HDR_P_ASSOCIATED_URI, PAU));
	ck_assert(hdr_is(m, SIP_HDR_CONTACT, CONTACT ";expires=600"));
	ck_assert_uint_eq(pcscf_reg_count(e->p), 1);

	/* Re-registration from the same address: ip-assoc-yes, also over a
	 * forged one */
	ue_send(e, &(struct ue_req){ .auth = ANSWERED FORGED });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid[2]);
	check_auth(&e->mm, ANSWERED FORGED, "ip-assoc-yes");
	mock_reply(e, 200, "Contact: " CONTACT ";expires=600\r\n"
			   "Service-Route: " SR "\r\n"
			   "P-Associated-URI: " PAU "\r\n");
	ue_recv(e, false, 200);
	ck_assert_uint_eq(pcscf_reg_count(e->p), 1);
	/* the initial form still gets nothing */
	ue_send(e, &(struct ue_req){ .auth = INITIAL FORGED });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid[3]);
	check_auth(&e->mm, INITIAL FORGED, NULL);
	mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
	ue_recv(e, false, 401);
	ck_assert_uint_eq(pcscf_reg_count(e->p), 1);

	/* Expires: 0 -> the 200 drops the registration */
	ue_send(e, &(struct ue_req){ .auth = ANSWERED,
				     .extra = "Expires: 0\r\n" });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid[4]);
	check_auth(&e->mm, ANSWERED, "ip-assoc-yes");
	ck_assert(hdr_is(&e->mm, SIP_HDR_EXPIRES, "0"));
	mock_reply(e, 200, NULL);
	ue_recv(e, false, 200);
	ck_assert_uint_eq(pcscf_reg_count(e->p), 0);

	/* Gone: pending again; a 403 is relayed and keeps nothing */
	ue_send(e, &(struct ue_req){ .auth = ANSWERED });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid[5]);
	check_auth(&e->mm, ANSWERED, "ip-assoc-pending");
	mock_reply(e, 403, NULL);
	ue_recv(e, false, 403);
	ck_assert_uint_eq(pcscf_reg_count(e->p), 0);

	for (size_t i = 0; i < ARRAY_SIZE(icid); i++)
		for (size_t j = i + 1; j < ARRAY_SIZE(icid); j++)
			ck_assert_str_ne(icid[i], icid[j]);
	env_free(e);
}
END_TEST

/* Headers the UE must not set itself are replaced, not duplicated; Path
 * goes on top of any already there; config changes them. */
START_TEST(test_ue_headers)
{
	static const char *const cf[] = { "visited_network_id=",
					  "path_uri=sip:pcscf.visited.net;lr",
					  NULL };
	struct env *e = env_new(_i ? cf : NULL, 1, 0);
	const struct sip_msg *m;
	const struct sip_hdr *h;
	char want[96];

	ue_send(e, &(struct ue_req){
			   .auth = INITIAL,
			   .extra = "Path: <sip:wsf@127.0.0.1:5999;lr>\r\n"
				    "P-Charging-Vector: icid-value=forged\r\n"
				    "P-Visited-Network-ID: \"evil\"\r\n" });
	m = mock_recv(e);
	snprintf(want, sizeof(want), _i ? "<sip:pcscf.visited.net;lr>"
					: "<sip:term@127.0.0.1:%u;lr>",
		 pcscf_port(e->p));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_PATH), 2);
	h = sip_hdr_find(m, SIP_HDR_PATH);
	ck_assert(sv_eq_cstr(h->value, want));
	ck_assert(sv_eq_cstr(sip_hdr_next(m, h)->value,
			     "<sip:wsf@127.0.0.1:5999;lr>"));
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_P_CHARGING_VECTOR), 1);
	h = sip_hdr_find(m, SIP_HDR_P_CHARGING_VECTOR);
	ck_assert(!memmem(h->value.p, h->value.len, "forged", 6));
	/* visited_network_id empty: the UE's is still dropped */
	ck_assert_uint_eq(sip_hdr_count(m, SIP_HDR_P_VISITED_NETWORK_ID),
			  _i ? 0 : 1);
	if (!_i)
		ck_assert(hdr_is(m, SIP_HDR_P_VISITED_NETWORK_ID,
				 "\"Visited Network Number 1\""));
	mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
	ue_recv(e, false, 401);
	env_free(e);
}
END_TEST

/* RFC 3327 §5.2: with path_policy=reject a UE that does not support Path
 * gets 421 and the S-CSCF sees nothing. */
START_TEST(test_path_reject)
{
	static const char *const cf[] = { "path_policy=reject", NULL };
	struct env *e = env_new(cf, 1, 0);
	const struct sip_msg *m;
	char icid[33];

	ue_send(e, &(struct ue_req){ .auth = INITIAL, .no_path = !_i });
	if (!_i) {
		m = ue_recv(e, false, 421);
		ck_assert(hdr_is(m, SIP_HDR_REQUIRE, "path"));
		mock_silent(e, 50);
	} else {
		mock_recv(e);
		check_forwarded(e, "UDP", e->ue_port, icid);
		mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
		ue_recv(e, false, 401);
	}
	env_free(e);
}
END_TEST

/* Answered by the P-CSCF itself; nothing reaches the S-CSCF. */
static const struct {
	struct ue_req r;
	int status;
} local_vec[] = {
	{ { .mf = "0", .auth = INITIAL }, 483 }, /* RFC 3261 §16.3 item 3 */
	{ { .method = "OPTIONS" }, 200 },
	{ { .method = "INVITE" }, 501 },
	{ { .method = "MESSAGE" }, 501 },
	{ { .method = "SUBSCRIBE" }, 501 },
};

START_TEST(test_local)
{
	struct env *e = env_new(NULL, 1, 0);
	const char *method = local_vec[_i].r.method;

	ue_send(e, &local_vec[_i].r);
	ue_recv(e, false, local_vec[_i].status);
	ck_assert(sv_eq_cstr(e->um.cseq_method, method ? method : "REGISTER"));
	mock_silent(e, 50);
	env_free(e);
}
END_TEST

/* The mock never answers: Timer F (64*T1 = 640 ms) -> 408 to the UE,
 * after UDP retransmissions to the mock (Timer E, §17.1.2.2). */
START_TEST(test_timeout)
{
	static const char *const cf[] = { "t1_ms=10", NULL };
	struct env *e = env_new(cf, 1, 0);
	uint64_t start, end;
	unsigned copies = 0;
	char branch[64];

	ue_send(e, &(struct ue_req){ .auth = INITIAL });
	start = ms_now();
	end = start + 5000;
	mock_recv(e);
	ck_assert_int_eq(sv_copy(e->mm.via.branch, branch, sizeof(branch)),
			 0);
	while (ms_now() < end && !ue_poll(e, false)) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		if (mock_poll(e)) {
			ck_assert(sv_eq_cstr(e->mm.via.branch, branch));
			copies++;
		}
		usleep(1000);
	}
	ck_assert_int_eq(e->um.status, 408);
	ck_assert_uint_ge(ms_now() - start, 500);
	ck_assert_uint_ge(copies, 2);
	ck_assert_uint_eq(sip_hdr_count(&e->um, SIP_HDR_VIA), 1);
	ck_assert(sv_eq_cstr(e->um.via.host, UE_HOST));
	env_free(e);
}
END_TEST

/* TCP towards an S-CSCF nobody listens on: 503 to the UE. */
START_TEST(test_tcp_unreachable)
{
	static const char *const cf[] = { "scscf_transport=tcp", NULL };
	uint16_t port;
	int fd = sock_bound(SOCK_STREAM, &port);
	struct env *e;

	close(fd); /* the port is now free: connect is refused */
	e = env_new(cf, 1, port);
	ue_send(e, &(struct ue_req){ .auth = INITIAL });
	ue_recv(e, false, 503);
	env_free(e);
}
END_TEST

/* A UE over TCP: its Via says TCP, received/rport name its connection, and
 * the 401 comes back on the same connection. */
START_TEST(test_tcp_ue)
{
	struct env *e = env_new(NULL, 1, 0);
	const struct sip_msg *m;
	char icid[33];

	ue_tcp_connect(e);
	ue_send(e, &(struct ue_req){ .auth = ANSWERED FORGED });
	mock_recv(e);
	check_forwarded(e, "TCP", e->tcp_port, icid);
	check_auth(&e->mm, ANSWERED FORGED, "ip-assoc-pending");
	mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
	m = ue_recv(e, true, 401);
	ck_assert(sv_eq_cstr(m->via.transport, "TCP"));
	ck_assert(hdr_is(m, SIP_HDR_WWW_AUTHENTICATE, CHAL));
	env_free(e);
}
END_TEST

/* The first icid of a run with seed s. */
static void first_icid(uint64_t seed, char icid[33])
{
	struct env *e = env_new(NULL, seed, 0);

	ue_send(e, &(struct ue_req){ .auth = INITIAL });
	mock_recv(e);
	check_forwarded(e, "UDP", e->ue_port, icid);
	mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
	ue_recv(e, false, 401);
	env_free(e);
}

/* --seed N makes icids reproducible; different seeds differ. */
START_TEST(test_icid_seed)
{
	char a[33], b[33], c[33];

	first_icid(42, a);
	first_icid(42, b);
	first_icid(43, c);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
}
END_TEST

/* Every request gets its own icid (RFC 7315 §4.6: globally unique). */
START_TEST(test_icid_unique)
{
	struct env *e = env_new(NULL, 42, 0);
	char icid[8][33];

	for (size_t i = 0; i < ARRAY_SIZE(icid); i++) {
		ue_send(e, &(struct ue_req){ .auth = INITIAL });
		mock_recv(e);
		check_forwarded(e, "UDP", e->ue_port, icid[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(icid[i], icid[j]);
		mock_reply(e, 401, "WWW-Authenticate: " CHAL "\r\n");
		ue_recv(e, false, 401);
	}
	env_free(e);
}
END_TEST

/* Closing with a REGISTER in flight (no answer yet, and a registration
 * kept) frees everything: LSan and uv_loop_close check it. */
START_TEST(test_close_inflight)
{
	struct env *e = env_new(NULL, 1, 0);

	ue_send(e, &(struct ue_req){ .auth = ANSWERED });
	mock_recv(e);
	mock_reply(e, 200, "Contact: " CONTACT "\r\n"
			   "Service-Route: " SR "\r\n");
	ue_recv(e, false, 200);
	ck_assert_uint_eq(pcscf_reg_count(e->p), 1);
	ue_send(e, &(struct ue_req){ .auth = ANSWERED });
	mock_recv(e);
	env_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pcscf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_auth, 0, (int)ARRAY_SIZE(auth_vec));
	tcase_add_test(tc, test_flow);
	tcase_add_loop_test(tc, test_ue_headers, 0, 2);
	tcase_add_loop_test(tc, test_path_reject, 0, 2);
	tcase_add_loop_test(tc, test_local, 0, (int)ARRAY_SIZE(local_vec));
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_tcp_unreachable);
	tcase_add_test(tc, test_tcp_ue);
	tcase_add_test(tc, test_icid_seed);
	tcase_add_test(tc, test_icid_unique);
	tcase_add_test(tc, test_close_inflight);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
